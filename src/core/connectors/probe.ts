// One small call to an endpoint, to tell the user whether it works.
import { createConnector, toConnectorError, type FailureKind } from './index';
import type { Connector, ResolvedEndpoint } from './types';

export type ProbeResult =
  | { ok: true; ms: number; text: string }
  /** `kind` and `status` say what failed, so the UI can offer the fix that fits. */
  | { ok: false; ms: number; error: string; kind: FailureKind; status?: number };

export async function probeEndpoint(
  endpoint: ResolvedEndpoint,
  connectorFor: (e: ResolvedEndpoint) => Connector = createConnector,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const started = performance.now();
  try {
    // One attempt: the user wants to know now, not after retries.
    const connector = connectorFor({ ...endpoint, params: { ...endpoint.params, max_attempts: 1 } });
    const result = await connector.complete({
      messages: [{ role: 'user', content: 'Reply with the word OK.' }],
      ...(signal ? { signal } : {}),
    });
    return { ok: true, ms: performance.now() - started, text: result.text };
  } catch (err) {
    const failure = toConnectorError(err);
    return {
      ok: false,
      ms: performance.now() - started,
      error: failure.message,
      kind: failure.kind,
      ...(failure.status === undefined ? {} : { status: failure.status }),
    };
  }
}
