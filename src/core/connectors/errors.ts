// Every way a model call can fail, reduced to one sentence for a ChatRecord's
// `error`: users read these in the UI and in saved sessions, so they name the
// cause (status and server message, timeout, refused host) and nothing else.
import type { APIError } from 'openai';
import { isCoreError } from '../errors';
import { redactSecrets } from './redact';
import { loadedSdk, type Sdk } from './sdk';

export type FailureKind = 'http' | 'timeout' | 'network' | 'cancelled' | 'invalid-response' | 'config' | 'other';

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FailureContext {
  /** The per-call timeout, so a timeout can say how long it waited. */
  timeoutSeconds?: number;
  /** The endpoint's secrets (its token): replaced by **** wherever a server's words repeat them. */
  secrets?: readonly string[];
}

const MAX_SENTENCE = 500;

export function cancelledError(): ConnectorError {
  return new ConnectorError('cancelled', 'cancelled');
}

export function timeoutError(context: FailureContext = {}): ConnectorError {
  return new ConnectorError('timeout', timeoutSentence(context));
}

function timeoutSentence(context: FailureContext): string {
  return context.timeoutSeconds === undefined ? 'timed out' : `timed out after ${formatSeconds(context.timeoutSeconds)}`;
}

/** The sentence for a record's `error` field. */
export function describeError(err: unknown, context: FailureContext = {}): string {
  return toConnectorError(err, context).message;
}

/** What went wrong, before it is made one short sentence with the secrets taken out. */
interface Failure {
  kind: FailureKind;
  text: string;
  status?: number;
}

export function toConnectorError(err: unknown, context: FailureContext = {}): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const { kind, text, status } = classify(err, context);
  const secrets = (context.secrets ?? []).filter((s) => s !== '');
  // Redacted before it is cut short, so no piece of a token survives at the cut; the cause
  // (the SDK's error, with the server's whole body) is dropped where it could hold a token.
  const sentence = oneSentence(redactSecrets(text, secrets));
  return new ConnectorError(kind, sentence, status, secrets.length > 0 ? undefined : { cause: err });
}

function classify(err: unknown, context: FailureContext): Failure {
  const sdk = loadedSdk();
  if ((sdk && err instanceof sdk.APIUserAbortError) || isAbortError(err)) return { kind: 'cancelled', text: 'cancelled' };
  return (sdk && sdkFailure(err, sdk, context)) ?? otherFailure(err, context);
}

/** The SDK's own errors: a timeout, a failed connection, an HTTP status or an error in the stream. */
function sdkFailure(err: unknown, sdk: Sdk, context: FailureContext): Failure | undefined {
  if (err instanceof sdk.APIConnectionTimeoutError) return { kind: 'timeout', text: timeoutSentence(context) };
  if (err instanceof sdk.APIConnectionError) {
    return networkFailure(err.cause, context) ?? { kind: 'network', text: `network error: ${innermostMessage(err)}` };
  }
  if (err instanceof sdk.APIError) {
    const detail = serverMessage(err);
    // Without a status: an error object sent inside an otherwise successful stream.
    if (err.status === undefined) return { kind: 'http', text: `server error: ${detail || 'unknown error'}` };
    return { kind: 'http', text: `HTTP ${err.status}${detail ? `: ${detail}` : ''}`, status: err.status };
  }
  return undefined;
}

function otherFailure(err: unknown, context: FailureContext): Failure {
  if (err instanceof SyntaxError) return { kind: 'invalid-response', text: `invalid response from server: ${err.message}` };
  const message = err instanceof Error ? err.message : String(err);
  return networkFailure(err, context) ?? { kind: 'other', text: message || 'unknown error' };
}

/** The server's own words, without the SDK's "<status> " prefix. */
function serverMessage(err: APIError): string {
  const body: unknown = err.error;
  if (typeof body === 'string') return body;
  if (isRecord(body) && typeof body.message === 'string') return body.message;
  const message = err.message.replace(/^\d{3} /, '');
  if (/^status code \(no body\)$|^\(no status code or body\)$/.test(message)) return '';
  return fromHtml(message);
}

/** Proxies answer 502/504 with an HTML page; its title is the useful part. */
function fromHtml(text: string): string {
  if (!/^\s*<(!doctype|html)/i.test(text)) return text;
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  return title || text.replace(/<[^>]*>/g, ' ');
}

interface SystemError {
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  message?: string;
  errors?: unknown[];
}

/** Looks through the cause chain (undici nests the socket error) for a system error code. */
function networkFailure(err: unknown, context: FailureContext): Failure | undefined {
  const found = findCode(err);
  if (!found) return undefined;
  const { code, sys } = found;
  const make = (text: string): Failure => ({ kind: 'network', text });
  const where = (name?: string) => (name ? ` (${name})` : '');
  switch (code) {
    case 'ECONNREFUSED':
      return make(`connection refused${where(addressOf(sys))}`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return make('connection reset');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make(`host not found${where(sys.hostname)}`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return make(`host unreachable${where(addressOf(sys))}`);
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', text: timeoutSentence(context) };
    default:
      if (/CERT|SSL|TLS|SELF_SIGNED|VERIFY/.test(code)) return make(`TLS error: ${sys.message ?? code}`);
      return make(`network error: ${sys.message || code}`);
  }
}

function findCode(err: unknown): { code: string; sys: SystemError } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && isRecord(current); depth++) {
    const sys = current as SystemError;
    if (typeof sys.code === 'string') {
      // Happy-eyeballs connects fail as an AggregateError whose members hold the address.
      const first = Array.isArray(sys.errors) && isRecord(sys.errors[0]) ? (sys.errors[0] as SystemError) : undefined;
      return { code: sys.code, sys: sys.address === undefined && first ? { ...first, code: sys.code } : sys };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** fetch's own "fetch failed" says nothing; the deepest cause says what went wrong. */
function innermostMessage(err: unknown): string {
  let message = '';
  let current: unknown = err;
  for (let depth = 0; depth < 8 && isRecord(current); depth++) {
    if (typeof current.message === 'string' && current.message) message = current.message;
    current = current.cause;
  }
  return message || 'connection failed';
}

function addressOf(sys: SystemError): string | undefined {
  if (!sys.address) return undefined;
  const host = sys.address.includes(':') ? `[${sys.address}]` : sys.address;
  return sys.port === undefined ? host : `${host}:${sys.port}`;
}

function isAbortError(err: unknown): boolean {
  return isRecord(err) && (err.name === 'AbortError' || err.code === 'ABORT_ERR');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function oneSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SENTENCE ? `${flat.slice(0, MAX_SENTENCE - 1)}…` : flat;
}

function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(3))} s`;
}

/** A failure as a log line says it: a core error's own message, anything else described as a call's failure is. */
export function errorText(err: unknown): string {
  return isCoreError(err) ? err.message : describeError(err);
}
