// When a failed attempt is worth another one, and how long to wait first.
// The SDK has its own retries, but they cannot be bounded per attempt nor
// interrupted during their wait; these follow the same rules (429, 5xx,
// 408/409, network errors, timeouts; Retry-After), and the wait ends the
// moment the call is cancelled.
import type { APIError } from 'openai';
import { cancelledError, type ConnectorError } from './errors';
import { loadedSdk } from './sdk';

/** A server asking for a longer pause is answered with its error at once: nobody waits minutes for a record. */
export const MAX_RETRY_WAIT_MS = 60_000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8000;

export type RetryDecision = { retry: true; waitMs: number } | { retry: false; note?: string };

/**
 * Whether the attempt that failed with `error` (the SDK's `raw` error
 * behind it, for its headers) should be followed by another one, the
 * `attempt`-th having just failed.
 */
export function retryDecision(error: ConnectorError, raw: unknown, attempt: number): RetryDecision {
  if (!isRetryable(error, raw)) return { retry: false };
  const asked = retryAfterMs(raw);
  if (asked !== undefined && asked > MAX_RETRY_WAIT_MS) {
    return { retry: false, note: `the server asked to wait ${Number((asked / 1000).toFixed(3))} s before retrying` };
  }
  return { retry: true, waitMs: asked ?? backoffMs(attempt) };
}

function isRetryable(error: ConnectorError, raw: unknown): boolean {
  if (error.kind === 'timeout' || error.kind === 'network') return true;
  if (error.kind !== 'http' || error.status === undefined) return false;
  // A server may say itself whether a retry can help.
  const says = sdkHeaders(raw)?.get('x-should-retry');
  if (says === 'true') return true;
  if (says === 'false') return false;
  return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
}

/** The response headers of an SDK error (an HTTP status). */
function sdkHeaders(raw: unknown): APIError['headers'] {
  const sdk = loadedSdk();
  return sdk && raw instanceof sdk.APIError ? raw.headers : undefined;
}

/** retry-after-ms, else Retry-After in seconds or as an HTTP date; undefined when neither is usable. */
function retryAfterMs(raw: unknown): number | undefined {
  const headers = sdkHeaders(raw);
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** 0.5 s, 1 s, 2 s ... up to 8 s, less up to a quarter at random so that many callers do not retry in step. */
function backoffMs(attempt: number): number {
  const base = Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  return base * (1 - Math.random() * 0.25);
}

/** Waits `ms`, or rejects with "cancelled" the moment the signal fires; either way no timer is left behind. */
export function waitOrCancel(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelledError());
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
