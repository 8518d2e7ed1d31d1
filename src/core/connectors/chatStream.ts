// One streamed chat completion through any OpenAI SDK client (plain or
// Azure). The SDK makes one request per attempt; the attempts, their
// deadline and the waits between them are this program's (see retry.ts), so
// that `params.timeout` bounds an attempt from connect to the last byte and
// a cancel ends the call at once, waits included.
import type { OpenAI } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import { cancelledError, ConnectorError, timeoutError, toConnectorError, type FailureContext } from './errors';
import { retryDecision, waitOrCancel } from './retry';
import type { CallSettings } from './callSettings';
import type { CompletionRequest, CompletionResult, Connector, TokenUsage } from './types';
import { loadSdk } from './sdk';

/** Options every SDK client gets, whatever its flavour. */
export function sdkOptions(settings: CallSettings) {
  return {
    maxRetries: 0,
    // The attempt's own deadline (ChatStreamConnector) covers the whole answer; this one stops at the headers.
    timeout: settings.timeoutMs,
    // The SDK logs unparsable stream chunks to the console; the record's error says it instead.
    logLevel: 'off' as const,
    // Without these the SDK picks up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment
    // and sends them to whatever server the endpoint names.
    organization: null,
    project: null,
  };
}

// TypeScript only accepts mixins over `new (...args: any[])`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ClientClass = new (...args: any[]) => OpenAI;

/**
 * The SDK only reads `{"error": ...}` error bodies; vLLM-style `{"message"}`
 * and FastAPI-style `{"detail"}` bodies would otherwise lose the server's words.
 */
export function withReadableErrors<T extends ClientClass>(Base: T) {
  return class extends Base {
    protected override makeStatusError(status: number, body: object, message: string | undefined, headers: Headers) {
      return super.makeStatusError(status, wrapErrorBody(body), message, headers);
    }
  };
}

function wrapErrorBody(body: object): object {
  if (!body || 'error' in body) return body;
  const { message, detail } = body as { message?: unknown; detail?: unknown };
  const text = message ?? detail;
  if (text === undefined) return body;
  return { error: { message: typeof text === 'string' ? text : JSON.stringify(text) } };
}

export class ChatStreamConnector implements Connector {
  private client: Promise<OpenAI> | undefined;

  constructor(
    /** Makes the SDK client, on the first call (it loads the SDK, see sdk.ts). */
    private readonly makeClient: () => Promise<OpenAI>,
    private readonly settings: CallSettings,
    /** The endpoint's token: never part of an error sentence. */
    private readonly secrets: readonly string[] = [],
  ) {}

  private clientOnce(): Promise<OpenAI> {
    this.client ??= this.makeClient().catch((err: unknown) => {
      this.client = undefined;
      throw err;
    });
    return this.client;
  }

  async complete({ messages, signal, onDelta }: CompletionRequest): Promise<CompletionResult> {
    const { model, modelParams, maxAttempts, timeoutSeconds } = this.settings;
    const body = {
      ...modelParams,
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    } as ChatCompletionCreateParamsStreaming;
    const context: FailureContext = { timeoutSeconds, secrets: this.secrets };
    // Once text has reached the caller (a person may be reading it), a new attempt would repeat it.
    let answered = false;
    const relay = (text: string) => {
      answered = true;
      onDelta?.(text);
    };
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw cancelledError();
      try {
        return await this.attempt(body, relay, signal);
      } catch (raw) {
        const error = toConnectorError(raw, context);
        if (error.kind === 'cancelled') throw error;
        const decision = retryDecision(error, raw, attempt);
        if (decision.retry && attempt < maxAttempts && !answered) {
          await waitOrCancel(decision.waitMs, signal);
          continue;
        }
        const stoppedEarly = decision.retry && attempt < maxAttempts;
        const attempts = stoppedEarly ? `attempt ${attempt} of ${maxAttempts}` : attempt > 1 ? `${attempt} attempts` : undefined;
        const note = !decision.retry ? decision.note : stoppedEarly ? 'part of the answer had arrived, so it was not retried' : undefined;
        throw withNote(error, [attempts, note]);
      }
    }
  }

  /** One request, bounded as a whole by the timeout: headers, every chunk, the end of the stream. */
  private async attempt(
    body: ChatCompletionCreateParamsStreaming,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<CompletionResult> {
    const client = await this.clientOnce();
    const call = new AbortController();
    const cancel = () => call.abort();
    signal?.addEventListener('abort', cancel, { once: true });
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      call.abort();
    }, this.settings.timeoutMs);
    const context = { timeoutSeconds: this.settings.timeoutSeconds };
    try {
      const { data: stream, response } = await client.chat.completions.create(body, { signal: call.signal }).withResponse();
      const result = isJson(response) ? await readJson(response, onDelta) : await readStream(stream, onDelta);
      // The SDK's stream ends quietly, without an error, when its request is aborted.
      if (signal?.aborted) throw cancelledError();
      if (timedOut) throw timeoutError(context);
      return result;
    } catch (err) {
      if (signal?.aborted) throw cancelledError();
      if (timedOut) throw timeoutError(context);
      throw err;
    } finally {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', cancel);
    }
  }
}

/** The error with what the attempts tell the reader after it: "HTTP 500: down (3 attempts)". */
function withNote(error: ConnectorError, notes: (string | undefined)[]): ConnectorError {
  const said = notes.filter((n): n is string => Boolean(n));
  if (said.length === 0) return error;
  return new ConnectorError(
    error.kind,
    `${error.message} (${said.join('; ')})`,
    error.status,
    error.cause === undefined ? undefined : { cause: error.cause },
  );
}

async function readStream(stream: Stream<ChatCompletionChunk>, onDelta: (text: string) => void): Promise<CompletionResult> {
  let text = '';
  let usage: TokenUsage | null = null;
  for await (const chunk of stream) {
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === 'string' && delta !== '') {
      text += delta;
      onDelta(delta);
    }
    if (chunk.usage) usage = toUsage(chunk.usage);
  }
  return { text, usage };
}

/** Some servers ignore `stream: true` and answer with one JSON completion. */
async function readJson(response: Response, onDelta: (text: string) => void): Promise<CompletionResult> {
  const parsed = JSON.parse(await response.text()) as {
    choices?: { message?: { content?: unknown } }[];
    usage?: Partial<TokenUsage>;
    error?: object;
  };
  const content = parsed?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') {
    if (parsed?.error) throw new (await loadSdk()).APIError(undefined, parsed.error, undefined, undefined);
    throw new SyntaxError('no message content in the answer');
  }
  if (content !== '') onDelta(content);
  return { text: content, usage: parsed.usage ? toUsage(parsed.usage) : null };
}

function toUsage(raw: Partial<TokenUsage>): TokenUsage {
  const prompt = Number(raw.prompt_tokens) || 0;
  const completion = Number(raw.completion_tokens) || 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: Number(raw.total_tokens) || prompt + completion };
}

function isJson(response: Response): boolean {
  return /\bapplication\/json\b/i.test(response.headers.get('content-type') ?? '');
}
