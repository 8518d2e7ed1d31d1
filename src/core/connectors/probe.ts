// One small call to an endpoint, to tell the user whether it works.
import { createConnector, describeError } from './index';
import type { Connector, ResolvedEndpoint } from './types';

export type ProbeResult = { ok: true; ms: number; text: string } | { ok: false; ms: number; error: string };

export async function probeEndpoint(endpoint: ResolvedEndpoint, connectorFor: (e: ResolvedEndpoint) => Connector = createConnector, signal?: AbortSignal): Promise<ProbeResult> {
  const started = performance.now();
  try {
    // One attempt: the user wants to know now, not after retries.
    const connector = connectorFor({ ...endpoint, params: { ...endpoint.params, max_attempts: 1 } });
    const result = await connector.complete({ messages: [{ role: 'user', content: 'Reply with the word OK.' }], ...(signal ? { signal } : {}) });
    return { ok: true, ms: performance.now() - started, text: result.text };
  } catch (err) {
    return { ok: false, ms: performance.now() - started, error: describeError(err) };
  }
}
