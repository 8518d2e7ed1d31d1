// The two rules of Moonshot endpoint objects that every reader of them
// follows (files, settings, API bodies, connectors).

/** An endpoint's id: its `id` when it has one, else the slug of its name (as Moonshot names its files). */
import { slugify } from './ids';

export function endpointIdOf(endpoint: { id?: unknown; name?: unknown }): string {
  return typeof endpoint.id === 'string' && endpoint.id !== '' ? endpoint.id : slugify(String(endpoint.name ?? ''));
}

/** The model an endpoint calls: `model`, else `params.model` (older Moonshot files), else ''. */
export function modelOf(endpoint: { model?: string | undefined; params: Record<string, unknown> }): string {
  return endpoint.model || (typeof endpoint.params.model === 'string' ? endpoint.params.model : '');
}
