// Asks an OpenAI-compatible server which models it has (GET <base>/models),
// for the guided Add Endpoint and Edit Endpoint flows. When it cannot, the
// reason is a sentence the flow shows before it asks for a model name.
import { openAIBaseURL } from './openai';
import { describeError, timeoutError } from './errors';

export type ModelList = { ok: true; models: string[] } | { ok: false; reason: string };

const DEFAULT_TIMEOUT_MS = 3000;

export async function fetchModels(baseUrl: string, token: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ModelList> {
  const base = openAIBaseURL(baseUrl);
  if (!/^https?:\/\//.test(base)) return { ok: false, reason: `"${baseUrl}" is not an http:// or https:// URL` };
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(`${base}/models`, { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal });
    if (!res.ok) return { ok: false, reason: `${base}/models answered HTTP ${res.status}${await errorDetail(res)}` };
    const body = (await res.json()) as { data?: unknown };
    if (!Array.isArray(body.data)) return { ok: false, reason: `${base}/models did not answer a model list` };
    const ids = body.data.map((m: { id?: unknown } | null) => m?.id).filter((id): id is string => typeof id === 'string');
    return { ok: true, models: ids.sort() };
  } catch (err) {
    if (signal.aborted) return { ok: false, reason: timeoutError({ timeoutSeconds: timeoutMs / 1000 }).message };
    if (err instanceof SyntaxError) return { ok: false, reason: `${base}/models did not answer JSON` };
    // fetch's own "fetch failed" says nothing; its cause does.
    return { ok: false, reason: describeError(err instanceof TypeError && err.cause ? err.cause : err) };
  }
}

/** The models, or undefined when the server could not list them. */
export async function listModels(baseUrl: string, token: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[] | undefined> {
  const list = await fetchModels(baseUrl, token, timeoutMs);
  return list.ok ? list.models : undefined;
}

async function errorDetail(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: unknown } | string };
    const message = typeof body.error === 'string' ? body.error : body.error?.message;
    return typeof message === 'string' && message ? `: ${message.slice(0, 200)}` : '';
  } catch {
    return '';
  }
}
