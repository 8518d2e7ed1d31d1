// A local OpenAI-compatible server for tests (node:http only). One server
// serves many endpoints at once: the behaviour is picked per request from the
// `model` field, either registered with setBehaviour() or spelled in the
// model name itself (see parseModelName). Plain and Azure paths both work:
//   POST /v1/chat/completions
//   POST /openai/deployments/<deployment>/chat/completions?api-version=...
//   GET  /v1/models
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Behaviour =
  /** Answers "<prefix><last user message>" (prefix "echo: " by default). */
  | { kind: 'echo'; prefix?: string }
  | { kind: 'reply'; text: string; /** Answer plain JSON even when asked to stream. */ ignoreStream?: boolean }
  /** Answers what `reply` makes of the request's messages (a scripted attacker, judge or target); `attempt` counts from 1 per model. */
  | { kind: 'compute'; reply: (messages: { role: string; content: string }[], attempt: number) => string }
  /** Waits, then behaves like `then` (echo by default). */
  | { kind: 'delay'; ms: number; then?: Behaviour }
  /**
   * Fails with `status` on the first `times` attempts (all when omitted), then
   * behaves like `then`. `retryAfter` is sent as Retry-After (seconds, as a string,
   * so fractions like "0.05" work), `retryAfterMs` as retry-after-ms.
   */
  | {
    kind: 'status';
    status: number;
    times?: number;
    message?: string;
    body?: string;
    retryAfter?: string;
    retryAfterMs?: number;
    then?: Behaviour;
  }
  /** Never answers (not even headers). */
  | { kind: 'hang' }
  /** Destroys the socket before any answer. */
  | { kind: 'reset' }
  /** Streams `chunks` then destroys the socket mid-stream. */
  | { kind: 'reset-mid-stream'; chunks?: string[] }
  /** A 200 whose body (or first stream event) is not JSON. */
  | { kind: 'invalid-json' }
  /** Streams `chunks` one every `intervalMs` (the first one after the headers, at once). */
  | { kind: 'slow'; chunks: string[]; intervalMs: number }
  /**
   * Streams a chunk of `text` (default ".") every `intervalMs` and never ends:
   * the connection is never idle, the answer never complete. `text: ""` sends
   * chunks with empty content (a server's keep-alive), so no text ever arrives.
   */
  | { kind: 'endless'; intervalMs: number; text?: string }
  /**
   * Fails with `status` and an error body that repeats the key the client sent
   * (Authorization: Bearer <key>, or Azure's api-key), as careless servers do:
   * `json` {"error": {"message"}}, `detail` {"detail"} (FastAPI), `html` (a
   * proxy page with the key in its title), `plain` text, `url` (the key
   * percent-encoded inside a URL), `embedded` (inside a longer word).
   */
  | { kind: 'leak-key'; status: number; format: LeakFormat };

export type LeakFormat = 'json' | 'detail' | 'html' | 'plain' | 'url' | 'embedded';

export interface LoggedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it was not JSON, or undefined for GET. */
  body: unknown;
  /** body.model, or the Azure deployment from the path when the body has none. */
  model: string;
  /** Set when the connection ended: after the full response, or before it (client abort, reset). */
  outcome: 'pending' | 'completed' | 'aborted';
}

export interface FakeOpenAI {
  /** Base URL for openai-connector, ending in /v1. */
  url: string;
  /** http://127.0.0.1:<port>, the Azure "endpoint" (resource) URL. */
  origin: string;
  port: number;
  requests: LoggedRequest[];
  /** Emits 'request' (LoggedRequest) on arrival and 'closed' (LoggedRequest) when it ends either way. */
  events: EventEmitter;
  /** Registers a behaviour for a model name; '*' replaces the default (echo). */
  setBehaviour(model: string, behaviour: Behaviour): void;
  /** Chat completion requests received for a model, failures included. */
  attempts(model: string): number;
  /** Resolves when the next request for `model` has ended (finished or abandoned by the client). */
  nextClosed(model: string): Promise<LoggedRequest>;
  close(): Promise<void>;
}

/**
 * Behaviours by model name, for tests that do not want to register one:
 * `reply:<text>`, `delay:<ms>`, `fail:<status>` (always), `fail:<status>:<times>`,
 * `hang`, `reset`, `reset-mid-stream`, `invalid-json`, `slow:<ms>` (ten chunks),
 * `endless:<ms>` (dots forever), `leak-key:<status>:<format>`.
 * Anything else echoes.
 */
export function parseModelName(model: string): Behaviour | undefined {
  const [kind = '', ...rest] = model.split(':');
  const arg = rest.join(':');
  switch (kind) {
    case 'reply':
      return { kind: 'reply', text: arg };
    case 'delay':
      return { kind: 'delay', ms: Number(arg) };
    case 'fail': {
      const [status, times] = arg.split(':');
      return { kind: 'status', status: Number(status), times: times === undefined ? undefined : Number(times) };
    }
    case 'hang':
    case 'reset':
    case 'reset-mid-stream':
    case 'invalid-json':
      return { kind };
    case 'slow':
      return { kind: 'slow', intervalMs: Number(arg), chunks: Array.from({ length: 10 }, (_, i) => `c${i} `) };
    case 'endless':
      return { kind: 'endless', intervalMs: Number(arg) };
    case 'leak-key': {
      const [status, format] = arg.split(':');
      return { kind: 'leak-key', status: Number(status), format: (format ?? 'json') as LeakFormat };
    }
    default:
      return undefined;
  }
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const behaviours = new Map<string, Behaviour>();
  const counts = new Map<string, number>();
  const requests: LoggedRequest[] = [];
  const events = new EventEmitter();
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname);
    let body: unknown = undefined;
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const entry: LoggedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      model: typeof fields.model === 'string' ? fields.model : decodeURIComponent(azure?.[1] ?? ''),
      outcome: 'pending',
    };
    requests.push(entry);
    events.emit('request', entry);
    res.on('close', () => {
      entry.outcome = res.writableFinished ? 'completed' : 'aborted';
      events.emit('closed', entry);
    });

    if (req.method === 'GET' && url.pathname === '/v1/models') {
      const ids = ['fake-model', ...behaviours.keys()].filter((id) => id !== '*');
      sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })) });
      return;
    }
    if (req.method !== 'POST' || !(url.pathname === '/v1/chat/completions' || azure)) {
      sendJson(res, 404, { error: { message: `no route for ${req.method} ${url.pathname}`, type: 'not_found' } });
      return;
    }
    if (typeof body !== 'object' || body === null) {
      sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
      return;
    }
    const attempt = (counts.get(entry.model) ?? 0) + 1;
    counts.set(entry.model, attempt);
    const behaviour = behaviours.get(entry.model) ?? parseModelName(entry.model) ?? behaviours.get('*') ?? { kind: 'echo' };
    respond(behaviour, fields, attempt, req, res);
  }

  function respond(
    b: Behaviour,
    body: Record<string, unknown>,
    attempt: number,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    const stream = body.stream === true;
    const model = String(body.model ?? '');
    switch (b.kind) {
      case 'echo':
        return answer(res, body, `${b.prefix ?? 'echo: '}${lastUser(body)}`, stream);
      case 'reply':
        return answer(res, body, b.text, stream && !b.ignoreStream);
      case 'compute': {
        const messages = Array.isArray(body.messages) ? (body.messages as { role: string; content: string }[]) : [];
        return answer(res, body, b.reply(messages, attempt), stream);
      }
      case 'delay':
        return later(b.ms, () => respond(b.then ?? { kind: 'echo' }, body, attempt, req, res));
      case 'status': {
        if (b.times !== undefined && attempt > b.times) return respond(b.then ?? { kind: 'echo' }, body, attempt, req, res);
        const headers: Record<string, string> = {};
        if (b.retryAfter !== undefined) headers['retry-after'] = b.retryAfter;
        if (b.retryAfterMs !== undefined) headers['retry-after-ms'] = String(b.retryAfterMs);
        if (b.body !== undefined) {
          res.writeHead(b.status, { 'content-type': 'text/plain', ...headers });
          res.end(b.body);
          return;
        }
        const message = b.message ?? `fake failure ${b.status} (attempt ${attempt})`;
        return sendJson(res, b.status, { error: { message, type: 'fake_error' } }, headers);
      }
      case 'hang':
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'reset-mid-stream': {
        startStream(res);
        for (const text of b.chunks ?? ['partial ']) writeEvent(res, chunk(model, { content: text }));
        later(20, () => req.socket.destroy());
        return;
      }
      case 'invalid-json':
        if (stream) {
          startStream(res);
          res.end('data: {"id": "x", "choices": [oops\n\n');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id": "x", "choices": [oops');
        }
        return;
      case 'slow': {
        startStream(res);
        const send = (i: number) => {
          if (res.destroyed) return;
          if (i === b.chunks.length) {
            finishStream(res, body, b.chunks.join(''));
            return;
          }
          writeEvent(res, chunk(model, { content: b.chunks[i] }));
          later(b.intervalMs, () => send(i + 1));
        };
        send(0);
        return;
      }
      case 'endless': {
        startStream(res);
        const send = () => {
          if (res.destroyed) return;
          writeEvent(res, chunk(model, { content: b.text ?? '.' }));
          later(b.intervalMs, send);
        };
        send();
        return;
      }
      case 'leak-key':
        return leakKey(res, b.status, b.format, sentKey(req));
    }
  }

  function answer(res: http.ServerResponse, body: Record<string, unknown>, text: string, stream: boolean) {
    const model = String(body.model ?? '');
    if (!stream) {
      sendJson(res, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: 0,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: usage(body, text),
      });
      return;
    }
    startStream(res);
    writeEvent(res, chunk(model, { role: 'assistant', content: '' }));
    for (const piece of text.match(/\S+\s*|\s+/g) ?? []) writeEvent(res, chunk(model, { content: piece }));
    finishStream(res, body, text);
  }

  function finishStream(res: http.ServerResponse, body: Record<string, unknown>, text: string) {
    const model = String(body.model ?? '');
    writeEvent(res, chunk(model, {}, 'stop'));
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage) writeEvent(res, { ...chunk(model, {}), choices: [], usage: usage(body, text) });
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    port,
    requests,
    events,
    setBehaviour: (model, behaviour) => void behaviours.set(model, behaviour),
    attempts: (model) => counts.get(model) ?? 0,
    nextClosed: (model) =>
      new Promise((resolve) => {
        const onClosed = (entry: LoggedRequest) => {
          if (entry.model !== model) return;
          events.off('closed', onClosed);
          resolve(entry);
        };
        events.on('closed', onClosed);
      }),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hung requests would keep close() waiting forever.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** The key the client authenticated with, as it sent it. */
function sentKey(req: http.IncomingMessage): string {
  const apiKey = req.headers['api-key'];
  if (typeof apiKey === 'string') return apiKey;
  return /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

function leakKey(res: http.ServerResponse, status: number, format: LeakFormat, key: string): void {
  const plain = (type: string, text: string) => {
    res.writeHead(status, { 'content-type': type });
    res.end(text);
  };
  switch (format) {
    case 'json':
      return sendJson(res, status, { error: { message: `Incorrect API key provided: ${key}.`, type: 'invalid_request_error' } });
    case 'detail':
      return sendJson(res, status, { detail: `token ${key} is not valid` });
    case 'html':
      return plain('text/html', `<html><head><title>${status} Forbidden for ${key}</title></head><body>denied</body></html>`);
    case 'plain':
      return plain('text/plain', `denied: the key "${key}" has expired`);
    case 'url':
      return plain('text/plain', `see https://auth.invalid/keys?key=${encodeURIComponent(key)}&why=revoked`);
    case 'embedded':
      return plain('text/plain', `unknown credential x${key}y in request`);
  }
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function startStream(res: http.ServerResponse) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

function writeEvent(res: http.ServerResponse, value: unknown) {
  res.write(`data: ${JSON.stringify(value)}\n\n`);
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null) {
  return { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

function lastUser(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: string; content?: unknown }[]) : [];
  const last = messages.filter((m) => m.role === 'user').at(-1);
  return typeof last?.content === 'string' ? last.content : '';
}

/** Word counts: deterministic, so tests can assert exact numbers. */
function usage(body: Record<string, unknown>, text: string) {
  const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  const prompt_tokens = messages.reduce((n, m) => n + (typeof m.content === 'string' ? words(m.content) : 0), 0);
  const completion_tokens = words(text);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}
