// How a request target finds its route. Paths are routed as sent: nothing
// is resolved or decoded before matching (WHATWG URL parsing would turn
// `%2e%2e` into a step back, so `.../prompt_templates/%2e%2e` would reach
// the session itself), each path parameter is one segment decoded on its
// own, and "." / ".." are never ids. One trailing slash is the same route
// (clients of Moonshot's FastAPI server were redirected to it); an empty
// segment anywhere else is no route.
import { CoreError, ValidationError } from '../core/errors';
import type { Route } from './routes';

type Segment = { literal: string } | { param: string };

export interface CompiledRoute {
  route: Route;
  segments: Segment[];
}

export function compileRoute(route: Route): CompiledRoute {
  const segments = splitPath(route.path).map((part): Segment => {
    const param = /^\{(\w+)\}$/.exec(part)?.[1];
    return param === undefined ? { literal: part } : { param };
  });
  return { route, segments };
}

export interface Target {
  /** The path's segments as sent, still percent-encoded. */
  segments: string[];
  query: URLSearchParams;
}

/** The path and query of an origin-form request target (`/v1/...?a=b`); any other form is a 400. */
export function parseTarget(target: string): Target {
  if (!target.startsWith('/')) {
    throw new CoreError(
      'bad-request',
      'Bad request: the request target must be a path starting with "/" (absolute and asterisk forms are not served).',
    );
  }
  const at = target.indexOf('?');
  const path = at < 0 ? target : target.slice(0, at);
  return { segments: splitPath(path), query: new URLSearchParams(at < 0 ? '' : target.slice(at + 1)) };
}

function splitPath(path: string): string[] {
  if (path === '/') return [];
  const segments = path.slice(1).split('/');
  if (segments.length > 1 && segments.at(-1) === '') segments.pop();
  return segments;
}

/** The still-encoded path parameters when `segments` fit the route, else undefined. */
export function matchRoute(compiled: CompiledRoute, segments: readonly string[]): Record<string, string> | undefined {
  if (compiled.segments.length !== segments.length) return undefined;
  const raw: Record<string, string> = {};
  for (const [i, segment] of compiled.segments.entries()) {
    const sent = segments[i] as string;
    if ('literal' in segment) {
      if (segment.literal !== sent) return undefined;
    } else {
      if (sent === '') return undefined;
      raw[segment.param] = sent;
    }
  }
  return raw;
}

function pathIssue(name: string, msg: string): ValidationError {
  return new ValidationError(`${name}: ${msg}`, [{ loc: ['path', name], msg, type: 'value_error' }]);
}

/** Decodes each path parameter; one that is not valid percent-encoding, or is "." or "..", is a 422 naming it. */
export function decodeParams(raw: Record<string, string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, sent] of Object.entries(raw)) {
    let value: string;
    try {
      value = decodeURIComponent(sent);
    } catch {
      throw pathIssue(name, 'is not valid percent-encoding');
    }
    if (value === '.' || value === '..') throw pathIssue(name, `must not be "${value}" (a path step, never an id)`);
    params[name] = value;
  }
  return params;
}
