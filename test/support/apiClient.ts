// Calls the local API over a real socket with node:http, which (unlike
// fetch) sends paths exactly as written (dot segments, backslashes), any
// Host header and raw, invalid bodies.
import http from 'node:http';
import type net from 'node:net';

export const JSON_TYPE = 'application/json; charset=utf-8';

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  json: unknown;
}

export interface CallOptions {
  /** Sent JSON-encoded. */
  body?: unknown;
  /** Sent as it is (with Content-Type application/json). */
  raw?: string | Buffer;
  /** The bearer token; null or undefined sends no Authorization header. */
  token?: string | null;
  /** Extra headers, lower-case names; `host` replaces the Host header. */
  headers?: Record<string, string>;
  /** Default: a fresh connection per request. */
  agent?: http.Agent;
  /** Collects the socket each request went over. */
  sockets?: Set<net.Socket>;
}

export async function collect(res: http.IncomingMessage): Promise<Res> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, json };
}

/** One request to 127.0.0.1:port; asks for compression every time, which the API must never send. */
export function request(port: number, method: string, path: string, options: CallOptions = {}): Promise<Res> {
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
  if (options.token !== null && options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: Buffer | undefined;
  if (options.raw !== undefined) payload = Buffer.from(options.raw);
  else if (options.body !== undefined) payload = Buffer.from(JSON.stringify(options.body));
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  Object.assign(headers, options.headers);
  return new Promise<Res>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: options.agent ?? false }, (res) => {
      collect(res).then(resolve, reject);
    });
    req.on('socket', (socket) => options.sockets?.add(socket));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The rules every answer of the API follows, as sentences; empty when it follows them all. */
export function ruleViolations(res: Res): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  if (res.headers['content-encoding'] !== undefined) problems.push(`Content-Encoding ${res.headers['content-encoding']}`);
  if (res.status !== 204) {
    if (res.headers['content-type'] !== JSON_TYPE) problems.push(`Content-Type ${res.headers['content-type']}`);
    if (res.json === undefined) problems.push('body is not JSON');
  }
  if (res.status >= 400) {
    const detail = (res.json as { detail?: unknown } | undefined)?.detail;
    if (typeof detail !== 'string' || detail.trim() === '') problems.push('error without a detail string');
  }
  return problems;
}
