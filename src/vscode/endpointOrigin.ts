// Where an endpoint comes from decides what the user can do with it here:
// endpoints from settings and from the API are edited and removed in place;
// endpoints from files are changed in those files; the built-in echo is
// what it is.
import type { EndpointEntry } from '../core/endpoints';
import { ENDPOINT_SETTING_ORIGIN } from './configuration';

export type EndpointOrigin =
  | { kind: 'built-in' }
  /** Created through the local API (or this extension's Add Endpoint before it wrote settings): a file in the storage folder. */
  | { kind: 'api' }
  | { kind: 'settings' }
  /** A Moonshot endpoint file in a folder, or one entry of a JSON array file. */
  | { kind: 'file'; path: string };

export function originOf(entry: EndpointEntry): EndpointOrigin {
  if (entry.origin === 'built-in') return { kind: 'built-in' };
  if (entry.editable) return { kind: 'api' };
  if (entry.origin.startsWith(`${ENDPOINT_SETTING_ORIGIN}[`)) return { kind: 'settings' };
  return { kind: 'file', path: entry.origin.replace(/\[\d+\]$/, '') };
}

/** One word for the tree (the tooltip has the path): "settings", "API", "built-in", "folder". */
export function originLabel(origin: EndpointOrigin): string {
  switch (origin.kind) {
    case 'built-in':
      return 'built-in';
    case 'api':
      return 'API';
    case 'settings':
      return 'settings';
    case 'file':
      return 'folder';
  }
}

/** Whether Edit Endpoint changes it here (otherwise it says where to change it). */
export const isEditable = (o: EndpointOrigin) => o.kind === 'settings' || o.kind === 'api';
export const isRemovable = isEditable;
