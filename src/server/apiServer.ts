// The local HTTP API on node:http. Chosen over a framework because the
// contract wants exact control of what frameworks decide for you: 405 with
// Allow for a known path, one JSON error shape for every failure (body
// limit, bad JSON, guards), no compression, and checks before any body is
// read; routes.ts holds the route table, router.ts how a path finds its route.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as z from 'zod';
import type { Core } from '../core/openCore';
import { ConflictError, CoreError } from '../core/errors';
import { STATUS_OF_KIND } from './httpStatus';
import { buildRoutes, type Method, type Route } from './routes';
import { compileRoute, decodeParams, matchRoute, parseTarget, type CompiledRoute } from './router';
import { BODY_TIMEOUT_MS, RequestBody } from './requestBody';
import { buildOpenApiDocument } from './openapi';
import { JsonBytes, JsonPieces, JsonReply, StreamingReply } from './reply';
import type { EventStreamOptions } from './eventStream';
import { allowedHosts, hasValidToken, isAllowedHost, isAllowedOrigin, isUsableToken } from './guards';

const FALLBACK_PORT_TRIES = 50;
const HEADERS_TIMEOUT_MS = 60_000;
/** What dispatch answers for a CORS preflight: 204 with CORS headers and no body. */
const PREFLIGHT = Symbol('preflight');
const EMPTY = Buffer.alloc(0);

export interface ApiServerOptions {
  core: Core;
  host?: string;
  port?: number;
  /** The bearer token every route but `GET /` requires; null turns auth off. */
  token: string | null;
  allowedOrigins?: readonly string[];
  /** Take the next free port when the one asked for is in use (the extension); headless fails instead. */
  fallbackToFreePort?: boolean;
  /** How long a request's body may take to arrive, from the request's start (default 30 s); then 408. */
  bodyTimeoutMs?: number;
  /** How long a request's headers may take to arrive (default 60 s); then 408. */
  headersTimeoutMs?: number;
  /** GET /v1/events: heartbeat interval and how far a client may fall behind. */
  eventStream?: EventStreamOptions;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class ApiServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private inFlight = 0;
  private idle: (() => void) | undefined;
  /** Open event streams: stop() ends them first, so they never hold up a shutdown. */
  private readonly streams = new Set<StreamingReply>();
  private stopping = false;
  private readonly routes: CompiledRoute[];
  private hosts = new Set<string>();
  private boundPort = 0;
  private openApi: unknown;

  constructor(private readonly options: ApiServerOptions) {
    if (options.token !== null && !isUsableToken(options.token)) {
      // Every caller generates or checks its token first: reaching here is a bug, not a user's mistake.
      throw new TypeError('ApiServer needs a token of printable ASCII with nothing around it, or null to turn auth off');
    }
    const routes: Route[] = [
      ...buildRoutes(options.core, { eventStream: options.eventStream ?? {} }),
      {
        method: 'GET',
        path: '/v1/openapi.json',
        summary: 'This document (OpenAPI 3.1)',
        response: z.looseObject({ openapi: z.string() }),
        // Built when first asked for: it costs a tenth of a start-up, and most clients never ask.
        handle: async () => (this.openApi ??= buildOpenApiDocument(routes)),
      },
    ];
    this.routes = routes.map(compileRoute);
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.options.host ?? '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
  }

  /** Listens; resolves with the port actually bound. */
  async start(): Promise<number> {
    const host = this.options.host ?? '127.0.0.1';
    const first = this.options.port ?? 5000;
    const tries = this.options.fallbackToFreePort && first !== 0 ? FALLBACK_PORT_TRIES : 1;
    // Returns on the first port it binds; throws on the last try.
    for (let i = 0; ; i++) {
      const port = first === 0 ? 0 : first + i;
      try {
        await this.listen(host, port);
        if (i > 0) this.options.log?.('warn', `Port ${first} is in use; the API took port ${this.boundPort} instead.`);
        return this.boundPort;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || i === tries - 1) {
          if (code === 'EADDRINUSE') throw new ConflictError(`Port ${port} on ${host} is already in use.`);
          throw err;
        }
      }
    }
  }

  private listen(host: string, port: number): Promise<void> {
    const headersTimeout = this.options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    // Node checks the headers deadline on this interval (30 s by default): a fraction of it keeps the deadline near.
    const server = createServer(
      { connectionsCheckingInterval: Math.max(25, Math.min(30_000, Math.floor(headersTimeout / 4))) },
      (req, res) => void this.handle(req, res),
    );
    // A prompt may legitimately take minutes to answer; what bounds a request is its body's deadline (RequestBody).
    server.requestTimeout = 0;
    server.headersTimeout = headersTimeout;
    // Requests Node refuses before they reach a handler still get the API's JSON error shape.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
      if (!socket.writable || started || err.code === 'ECONNRESET') return socket.destroy();
      const [status, reason, detail] = clientErrorAnswer(err.code, headersTimeout);
      const body = JSON.stringify({ detail });
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ` +
          `${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.server = server;
        this.boundPort = (server.address() as AddressInfo).port;
        this.hosts = allowedHosts(host, this.boundPort);
        resolve();
      });
    });
  }

  /**
   * Stops accepting connections, lets requests in flight finish (a prompt
   * writes its records before answering) for up to `graceMs`, then closes
   * what is left.
   */
  async stop(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.stopping = true;
    for (const stream of this.streams) stream.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.idle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.stopping = false;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    // The clock for the body starts now, whether or not a route ever reads it.
    const body = new RequestBody(req, this.options.bodyTimeoutMs ?? BODY_TIMEOUT_MS);
    try {
      const result = await this.dispatch(req, body);
      if (result === PREFLIGHT) this.send(res, 204, undefined);
      else if (result instanceof StreamingReply) await this.serveStream(req, res, result);
      else if (result instanceof JsonReply) this.send(res, result.status, result.body);
      else if (result instanceof JsonBytes) this.sendBytes(res, 200, result.bytes);
      else if (result instanceof JsonPieces) await this.sendPieces(req, res, result);
      else this.send(res, 200, result);
    } catch (err) {
      this.sendError(req, res, err);
    } finally {
      if (--this.inFlight === 0 && this.idle) {
        this.idle();
        this.idle = undefined;
      }
    }
  }

  private async dispatch(req: IncomingMessage, body: RequestBody): Promise<unknown> {
    if (!isAllowedHost(req.headers.host, this.hosts)) {
      throw new CoreError('forbidden', 'Host not allowed: the API answers only requests addressed to this machine\'s loopback address.');
    }
    const origin = req.headers.origin;
    if (!isAllowedOrigin(origin, this.options.allowedOrigins ?? [])) {
      throw new CoreError(
        'forbidden',
        `Origin "${origin}" is not allowed; add it to the API's allowed origins to let that page call the API.`,
      );
    }
    const { segments, query } = parseTarget(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    // A CORS preflight from an allow-listed page: answered (with CORS headers) before auth, as browsers send no token.
    if (method === 'OPTIONS' && origin !== undefined) return PREFLIGHT;

    const matches = this.routes
      .map((c) => ({ c, raw: matchRoute(c, segments) }))
      .filter((x): x is { c: CompiledRoute; raw: Record<string, string> } => x.raw !== undefined);
    const match = matches.find((x) => x.c.route.method === method);
    const isPublic = match?.c.route.public === true;
    if (!isPublic && this.options.token !== null && !hasValidToken(req.headers.authorization, this.options.token)) {
      throw new CoreError(
        'unauthorized',
        'Missing or wrong token: send "Authorization: Bearer <token>" (the token is in api.json in the storage folder).',
        {
          headers: { 'WWW-Authenticate': 'Bearer' },
        },
      );
    }
    if (!match) {
      if (matches.length > 0) {
        const allow = [...new Set(matches.map((x) => x.c.route.method))].join(', ');
        throw new CoreError('method-not-allowed', `Method ${method} not allowed here; use ${allow}.`, { headers: { Allow: allow } });
      }
      throw new CoreError('not-found', 'Not found: no such route (see /v1/openapi.json).');
    }
    const { c, raw } = match;
    const params = decodeParams(raw);
    // PUT may come without a body (Moonshot's clients send none): that means "change nothing".
    const parsed = c.route.body ? await body.json(method === 'PUT' ? {} : undefined) : await body.discard();
    return c.route.handle({ params, query, body: parsed });
  }

  private async serveStream(req: IncomingMessage, res: ServerResponse, stream: StreamingReply): Promise<void> {
    this.streams.add(stream);
    if (this.stopping) stream.close();
    try {
      await stream.serve(req, res, { 'X-Content-Type-Options': 'nosniff', ...this.corsHeaders(req) });
    } catch (err) {
      // The headers are out: all that is left to do is close the connection.
      this.options.log?.('error', `${req.method} ${req.url} failed while streaming: ${(err as Error)?.stack ?? String(err)}`);
      res.destroy();
    } finally {
      this.streams.delete(stream);
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    // Encoded once: the length and the bytes sent come from the same buffer.
    this.sendBytes(res, status, status === 204 ? EMPTY : Buffer.from(JSON.stringify(body)), headers);
  }

  private sendBytes(res: ServerResponse, status: number, bytes: Buffer, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': bytes.length,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...this.corsHeaders(res.req),
      ...headers,
    });
    res.end(bytes);
  }

  /**
   * A 200 JSON body written piece by piece as they come, waiting when the
   * client reads slower than they come. A failure before the first piece is
   * an ordinary error answer; after it, the connection is closed (the body
   * can no longer be taken back), and a client gone stops the reading.
   */
  private async sendPieces(req: IncomingMessage, res: ServerResponse, { pieces, release }: JsonPieces): Promise<void> {
    const iterator = pieces[Symbol.asyncIterator]();
    const first = await iterator.next();
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...this.corsHeaders(req),
    });
    try {
      for (let piece = first; !piece.done; piece = await iterator.next()) {
        if (res.destroyed) break;
        const bytes = piece.value;
        // Given back only once written: until then the socket holds it.
        const written = res.write(bytes, (err) => {
          if (!err) release?.(bytes);
        });
        if (!written) await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      res.end();
    } catch (err) {
      this.options.log?.('error', `${req.method} ${req.url} failed while answering: ${(err as Error)?.stack ?? String(err)}`);
      res.destroy();
    } finally {
      await iterator.return?.();
    }
  }

  /** CORS headers only for an origin the user allow-listed. */
  private corsHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin;
    if (origin === undefined || !(this.options.allowedOrigins ?? []).includes(origin)) return {};
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    };
  }

  private sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    if (err instanceof CoreError) {
      const body = err.issues.length > 0 || err.kind === 'invalid' ? { detail: err.message, error: err.issues } : { detail: err.message };
      // A body refused part-way (too large, too slow) is not read on: the connection closes after the answer.
      const unread = err.kind === 'too-large' || err.kind === 'timeout';
      this.send(res, STATUS_OF_KIND[err.kind], body, unread ? { ...err.headers, Connection: 'close' } : err.headers);
      if (unread) res.once('finish', () => req.socket.destroy());
      return;
    }
    this.options.log?.('error', `${req.method} ${req.url} failed: ${(err as Error)?.stack ?? String(err)}`);
    this.send(res, 500, { detail: `Internal error: ${(err as Error)?.message ?? String(err)}` });
  }
}

/** Status, reason phrase and detail for a request Node's parser refused. */
function clientErrorAnswer(code: string | undefined, headersTimeoutMs: number): [number, string, string] {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        'Request Timeout',
        `Request headers did not arrive completely within ${Number((headersTimeoutMs / 1000).toFixed(3))} s.`,
      ];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', 'Request headers are too large.'];
    default:
      return [400, 'Bad Request', 'Bad request: malformed HTTP.'];
  }
}

export type { Method };
