// What Test Endpoint offers when the call failed: the fix that fits the
// failure. No VS Code here, so it is tested on Node.
import type { ProbeResult } from '../core/connectors/probe';

export type EndpointFix = 'editUrl' | 'setToken' | 'pickModel';

type Failure = Extract<ProbeResult, { ok: false }>;

const MODEL_MISSING = /model\b.*\b(not found|does not exist|not exist|unknown|no such)|\b(unknown|invalid) model\b|model_not_found/i;

export function fixesFor(failure: Pick<Failure, 'kind' | 'status' | 'error'>): EndpointFix[] {
  if (MODEL_MISSING.test(failure.error)) return ['pickModel'];
  if (failure.status === 401 || failure.status === 403) return ['setToken'];
  // A 404 without a word about the model is as often a base URL without /v1.
  if (failure.status === 404) return ['pickModel', 'editUrl'];
  if (failure.kind === 'network') return ['editUrl'];
  return [];
}

export const FIX_TITLES: Record<EndpointFix, string> = {
  editUrl: 'Edit URL',
  setToken: 'Set Token',
  pickModel: 'Pick Model',
};
