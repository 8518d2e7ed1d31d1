// What the endpoint flows (Add Endpoint, Edit Endpoint) offer and check:
// base URL presets, URLs typed in, names suggested from the server and the
// model, params as JSON, and rate limits. Plain functions, no VS Code.
import { slugify } from '../core/ids';

export interface BaseUrlPreset {
  label: string;
  uri: string;
  detail: string;
  needsToken: boolean;
}

/** Base URLs people use most; any other can be typed. */
export const BASE_URL_PRESETS: readonly BaseUrlPreset[] = [
  { label: 'OpenAI', uri: '', detail: "OpenAI's own API (needs an API key)", needsToken: true },
  { label: 'Ollama', uri: 'http://localhost:11434/v1', detail: 'Ollama on this machine', needsToken: false },
  { label: 'LM Studio', uri: 'http://localhost:1234/v1', detail: "LM Studio's local server", needsToken: false },
  { label: 'vLLM', uri: 'http://localhost:8000/v1', detail: "vLLM's OpenAI-compatible server", needsToken: false },
];

export function validateUrl(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'Use an http:// or https:// URL';
  } catch {
    return 'Not a URL';
  }
}

/**
 * Text typed into the list of presets that is meant as a URL: one with
 * http(s)://, or host:port (`localhost:8080/v1`, taken as http). Other text
 * only filters the list.
 */
export function typedUrl(value: string): string | undefined {
  const text = value.trim();
  if (/^https?:\/\//i.test(text)) return validateUrl(text) ? undefined : text;
  if (/^[a-z0-9.-]+:\d{1,5}(\/\S*)?$/i.test(text)) return validateUrl(`http://${text}`) ? undefined : `http://${text}`;
  return undefined;
}

/** host:port of a URL, or the text itself when it is none. */
function hostOf(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}

/** The preset a URL belongs to (same host and port), for naming. */
function presetOf(uri: string): BaseUrlPreset | undefined {
  if (!uri.trim()) return BASE_URL_PRESETS.find((p) => p.uri === '');
  const host = hostOf(uri);
  return BASE_URL_PRESETS.find((p) => p.uri !== '' && hostOf(p.uri) === host);
}

/**
 * A name that says which server and model: "ollama llama3.2 (localhost:11434)",
 * "OpenAI gpt-4o", "Azure gpt-4o (res.openai.azure.com)"; made unique among `taken`
 * (names, compared case-insensitively, and ids) with " 2", " 3" ...
 */
export function suggestEndpointName(connectorType: string, uri: string, model: string, taken: ReadonlySet<string>): string {
  const m = model.trim();
  let base: string;
  if (connectorType === 'azure-openai-connector') base = `Azure ${m} (${hostOf(uri.trim())})`;
  else if (!uri.trim()) base = `OpenAI ${m}`;
  else {
    const preset = presetOf(uri);
    base = `${preset ? `${preset.label.toLowerCase()} ` : ''}${m} (${hostOf(uri.trim())})`;
  }
  const free = (name: string) => !taken.has(name.toLowerCase()) && !taken.has(slugify(name));
  if (free(base)) return base;
  for (let n = 2; ; n++) if (free(`${base} ${n}`)) return `${base} ${n}`;
}

/** Why a name cannot be used, or undefined. `taken` as for suggestEndpointName. */
export function validateEndpointName(name: string, taken: ReadonlySet<string>): string | undefined {
  if (!slugify(name)) return 'The name needs a letter or digit';
  if (name.trim().length > 100) return 'At most 100 characters';
  if (taken.has(name.trim().toLowerCase()) || taken.has(slugify(name))) return 'An endpoint with this name exists';
  return undefined;
}

/** An endpoint's params as the user types them: a JSON object. */
export function parseParams(text: string): { ok: true; params: Record<string, unknown> } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() || '{}');
  } catch (err) {
    return { ok: false, problem: `Not JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problem: 'Params are a JSON object, e.g. {"temperature": 0.5, "timeout": 60}' };
  return { ok: true, params: value as Record<string, unknown> };
}

/** A rate limit (max_calls_per_second, max_concurrency): a number above 0. */
export function validateLimit(text: string): string | undefined {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(n) && n > 0 ? undefined : 'A number greater than 0, e.g. 1 or 0.5';
}
