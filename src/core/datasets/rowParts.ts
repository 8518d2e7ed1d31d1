// What the row makers of every format share: the pass they make rows in,
// and two small rules.
import type { RowIds } from './rowIds';
import type { RowTemplate } from './rowTemplate';

/** One pass over one file. */
export interface RowContext {
  file: string;
  template?: RowTemplate;
  ids: RowIds;
}

/** `{key: value}`, or nothing when there is no value: optional fields stay absent rather than undefined. */
export const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, string>);

/** The variable that is a promptfoo row's prompt when no template says: the only one, or one called prompt, input or query. */
export function defaultVariable(vars: readonly string[]): string | undefined {
  if (vars.length === 1) return vars[0];
  return ['prompt', 'input', 'query'].find((v) => vars.includes(v));
}
