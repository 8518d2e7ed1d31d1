// How an endpoint's params turn into call settings and a request body.
// Endpoint files are hand-written (Moonshot's format), so numbers may arrive
// as strings or be missing; bad values fall back to the defaults instead of
// failing every call.
import { modelOf } from '../endpointConfig';
import { NON_MODEL_PARAMS, type ResolvedEndpoint } from './types';

export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface CallSettings {
  timeoutSeconds: number;
  /** Whole milliseconds: the SDK rejects fractional timeouts. */
  timeoutMs: number;
  /** First try included. */
  maxAttempts: number;
  model: string;
  /** Every param that is meant for the model (temperature, max_tokens ...). */
  modelParams: Record<string, unknown>;
}

export function callSettings(endpoint: ResolvedEndpoint): CallSettings {
  const { params } = endpoint;
  const timeoutSeconds = positive(params.timeout) ?? DEFAULT_TIMEOUT_SECONDS;
  const attempts = Math.floor(positive(params.max_attempts) ?? DEFAULT_MAX_ATTEMPTS);
  const modelParams: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (!NON_MODEL_PARAMS.has(key)) modelParams[key] = value;
  }
  return {
    timeoutSeconds,
    timeoutMs: Math.max(1, Math.round(timeoutSeconds * 1000)),
    // Moonshot's older `allow_retries: false` still means "one try only".
    maxAttempts: params.allow_retries === false ? 1 : Math.max(1, attempts),
    model: modelOf(endpoint),
    modelParams,
  };
}

function positive(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}
