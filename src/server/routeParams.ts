// Reading path and query parameters the same way in every route: each is
// checked against its schema before it comes near the core, and a bad one is
// a 422 naming it.
import * as z from 'zod';
import { SessionIdSchema } from '../core/schemas';
import { parseOrThrow } from '../core/validation';
import { invalidField } from '../core/errors';
import type { RequestContext } from './routes';

export const success = { success: true } as const;

/** Validates a query parameter against its schema, or answers 422 naming it. */
export function queryParam<S extends z.ZodType, F extends z.output<S> | undefined>(
  ctx: RequestContext,
  name: string,
  schema: S,
  fallback: F,
): z.output<S> | F {
  const raw = ctx.query.get(name);
  return raw === null ? fallback : (parseOrThrow(schema, raw, ['query', name]) as z.output<S>);
}

export const sessionId = (ctx: RequestContext) => parseOrThrow(SessionIdSchema, ctx.params.session_id, ['path', 'session_id']);
/** Template, strategy and metric names: never a path, never a control character. */
const NameSchema = z
  .string()
  .min(1)
  .max(200)
  // eslint-disable-next-line no-control-regex
  .refine((name) => !/[/\\\u0000-\u001f\u007f]/.test(name), 'must not contain "/", "\\" or control characters');
export const nameParam = (ctx: RequestContext) => parseOrThrow(NameSchema, ctx.params.name, ['path', 'name']);

/** The body as an object whose fields the core then validates; any other JSON is a 422 naming the body. */
export function objectBody(ctx: RequestContext): Record<string, unknown> {
  if (typeof ctx.body === 'object' && ctx.body !== null && !Array.isArray(ctx.body)) return ctx.body as Record<string, unknown>;
  throw invalidField(['body'], 'must be a JSON object');
}
