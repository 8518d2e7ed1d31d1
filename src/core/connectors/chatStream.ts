// One streamed chat completion through any OpenAI SDK client (plain or
// Azure): the SDK does retries (429/5xx/network, honouring Retry-After) and
// the timeout up to the response headers; this adds what it leaves out.
import OpenAI, { APIError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import { cancelledError, timeoutError, toConnectorError } from './errors';
import type { CallSettings } from './settings';
import type { CompletionRequest, CompletionResult, Connector, TokenUsage } from './types';

/** Options every SDK client gets, whatever its flavour. */
export function sdkOptions(settings: CallSettings) {
  return {
    maxRetries: settings.maxAttempts - 1,
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
  constructor(
    private readonly client: OpenAI,
    private readonly settings: CallSettings,
  ) {}

  async complete({ messages, signal, onDelta }: CompletionRequest): Promise<CompletionResult> {
    if (signal?.aborted) throw cancelledError();
    const { model, modelParams, timeoutMs, timeoutSeconds } = this.settings;
    const body = {
      ...modelParams,
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    } as ChatCompletionCreateParamsStreaming;

    const call = new AbortController();
    const cancel = () => call.abort();
    signal?.addEventListener('abort', cancel, { once: true });
    // The SDK's timeout stops at the response headers; a stream that stalls
    // afterwards would otherwise hang until undici's own 300 s body timeout.
    const idle = new IdleTimer(timeoutMs, () => call.abort());
    try {
      const pending = this.client.chat.completions.create(body, { signal: call.signal }).withResponse();
      const { data: stream, response } = await untilAborted(pending, signal);
      idle.restart();
      const result = isJson(response) ? await readJson(response, onDelta) : await readStream(stream, idle, onDelta);
      // The SDK's stream ends quietly, without an error, when its request is aborted.
      if (signal?.aborted) throw cancelledError();
      if (idle.fired) throw timeoutError({ timeoutSeconds });
      return result;
    } catch (err) {
      if (signal?.aborted) throw cancelledError();
      if (idle.fired) throw timeoutError({ timeoutSeconds });
      throw toConnectorError(err, { timeoutSeconds });
    } finally {
      idle.stop();
      signal?.removeEventListener('abort', cancel);
    }
  }
}

async function readStream(
  stream: Stream<ChatCompletionChunk>,
  idle: IdleTimer,
  onDelta?: (text: string) => void,
): Promise<CompletionResult> {
  let text = '';
  let usage: TokenUsage | null = null;
  for await (const chunk of stream) {
    idle.restart();
    const delta = chunk.choices?.[0]?.delta?.content;
    if (typeof delta === 'string' && delta !== '') {
      text += delta;
      onDelta?.(delta);
    }
    if (chunk.usage) usage = toUsage(chunk.usage);
  }
  return { text, usage };
}

/** Some servers ignore `stream: true` and answer with one JSON completion. */
async function readJson(response: Response, onDelta?: (text: string) => void): Promise<CompletionResult> {
  const parsed = JSON.parse(await response.text()) as {
    choices?: { message?: { content?: unknown } }[];
    usage?: Partial<TokenUsage>;
    error?: object;
  };
  const content = parsed?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') {
    if (parsed?.error) throw new APIError(undefined, parsed.error, undefined, undefined);
    throw new SyntaxError('no message content in the answer');
  }
  if (content !== '') onDelta?.(content);
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

/**
 * Rejects as soon as the signal fires: the SDK only looks at the signal
 * between its steps, so a cancel during a Retry-After wait would otherwise
 * wait the whole delay out.
 */
function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

class IdleTimer {
  fired = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly onFire: () => void,
  ) {}

  restart(): void {
    this.stop();
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onFire();
    }, this.ms);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
