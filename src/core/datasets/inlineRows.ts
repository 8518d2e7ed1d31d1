// Rows given in a request body rather than a file (POST /v1/runs `rows`):
// the same rows as a file's, with ids made the same way.
import { invalidField } from '../errors';
import type { DatasetRowInput } from '../schemas';
import { canonicalJson, RowIds } from './rowIds';
import type { DatasetRow } from './types';

/** Rows already checked against DatasetRowInputSchema; a repeated `id` is a ValidationError naming it under `loc`. */
export function inlineRows(rows: readonly DatasetRowInput[], loc: (string | number)[] = ['body', 'rows']): DatasetRow[] {
  const ids = new RowIds();
  return rows.map(({ id, input, target, category, metadata }, i) => {
    const content = { input, target, category, metadata };
    if (id !== undefined && !ids.own(id)) throw invalidField([...loc, i, 'id'], `"${id}" is the id of an earlier row too`);
    return {
      id: id ?? ids.fromContent(canonicalJson(content)),
      input,
      ...(target === undefined ? {} : { target }),
      ...(category === undefined ? {} : { category }),
      metadata: metadata ?? {},
    };
  });
}
