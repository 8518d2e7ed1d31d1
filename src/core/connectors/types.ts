// The contract between the session service and the code that calls models.

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** An endpoint with its secret resolved, ready to call. */
export interface ResolvedEndpoint {
  id: string;
  name: string;
  connector_type: string;
  uri: string;
  /** The secret itself, or '' when none. */
  token: string;
  max_calls_per_second: number;
  max_concurrency: number;
  model: string;
  params: Record<string, unknown>;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface CompletionRequest {
  /** Everything to send, system prompt and history included, in order. */
  messages: ChatMessage[];
  signal?: AbortSignal;
  /** Called with each piece of text as it streams in. */
  onDelta?: (text: string) => void;
}

export interface CompletionResult {
  text: string;
  usage: TokenUsage | null;
}

export interface Connector {
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

/**
 * Params that steer this program rather than the model; every other
 * endpoint param goes to the model call as it is.
 */
export const NON_MODEL_PARAMS = new Set([
  'timeout',
  'max_attempts',
  'system_prompt',
  'pre_prompt',
  'post_prompt',
  'allow_retries',
  'num_of_retries',
  'api_version',
  'model',
  'stream',
]);
