// Turns zod failures into the API's 422 shape: a readable `detail` and
// FastAPI-style `error` items, so Moonshot clients keep working.
import type { z } from 'zod';
import { ValidationError, type FieldIssue } from './errors';

export function issuesOf(error: z.ZodError, locPrefix: (string | number)[]): FieldIssue[] {
  return error.issues.map((issue) => ({
    loc: [...locPrefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
    msg: issue.message,
    type: issue.code,
  }));
}

export function summarize(issues: FieldIssue[]): string {
  return issues
    .map((i) => {
      const field = i.loc.filter((p) => p !== 'body' && p !== 'query' && p !== 'path').join('.');
      return field ? `${field}: ${i.msg}` : i.msg;
    })
    .join('; ');
}

/** A zod failure as one line, `field: message; ...`, for problems shown to a person (a file that cannot be used). */
export function formatIssues(error: z.ZodError): string {
  return summarize(issuesOf(error, []));
}

/** Parses or throws a ValidationError (422) naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, locPrefix: (string | number)[] = ['body']): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesOf(result.error, locPrefix);
  throw new ValidationError(summarize(issues), issues);
}
