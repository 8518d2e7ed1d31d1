// The CSV formats: which one a header is, and a row of each. Every column
// name is checked against the header before the first row is read, so that
// a missing column or template variable is one error on line 1, not one per
// row.
import type { CsvRecord } from './csv';
import { DatasetError } from './datasetError';
import { defaultVariable, optional, type RowContext } from './rowParts';
import type { RowTemplate } from './rowTemplate';
import type { DatasetFormat, DatasetRow } from './types';

export type CsvFormat = Extract<DatasetFormat, 'moonshot-csv' | 'promptfoo-csv' | 'harmbench-csv' | 'advbench-csv'>;

/**
 * The format a CSV header says: HarmBench's and AdvBench's columns, Moonshot's input/target, else
 * promptfoo's (every column a variable).
 */
export function csvFormatOf(columns: readonly string[]): CsvFormat {
  const has = new Set(columns);
  if (has.has('Behavior') && has.has('BehaviorID')) return 'harmbench-csv';
  if (has.has('goal') && columns.every((c) => c === 'goal' || c === 'target')) return 'advbench-csv';
  if (has.has('input') && columns.every((c) => c === 'input' || c === 'target')) return 'moonshot-csv';
  return 'promptfoo-csv';
}

export type CsvRowMaker = (record: CsvRecord) => DatasetRow;

const nonEmpty = (s: string | undefined) => (s === undefined || s === '' ? undefined : s);

function checkHeader(file: string, header: CsvRecord, format: CsvFormat, template: RowTemplate | undefined): void {
  const seen = new Set<string>();
  header.fields.forEach((name, i) => {
    if (name.trim() === '') throw new DatasetError(file, header.line, `column ${i + 1} of the header has no name`);
    if (seen.has(name)) throw new DatasetError(file, header.line, `the header has the column "${name}" twice`);
    seen.add(name);
  });
  const required: Record<CsvFormat, string[]> = {
    'moonshot-csv': ['input'],
    'advbench-csv': ['goal'],
    'harmbench-csv': ['Behavior', 'BehaviorID'],
    'promptfoo-csv': [],
  };
  for (const column of required[format])
    if (!seen.has(column)) throw new DatasetError(file, header.line, `no "${column}" column, which a ${format} file needs`);
  if (template) {
    const vars = format === 'promptfoo-csv' ? header.fields.filter((c) => !c.startsWith('__')) : header.fields;
    const missing = template.variables.find((v) => !vars.includes(v));
    if (missing)
      throw new DatasetError(
        file,
        header.line,
        `the template uses {{ ${missing} }}, which is not a column (the columns are ${vars.join(', ')})`,
      );
  }
}

/** Checks the header and gives the function that makes each later record a row. */
export function csvRowMaker(format: CsvFormat, header: CsvRecord, { file, template, ids }: RowContext): CsvRowMaker {
  checkHeader(file, header, format, template);
  const columns = header.fields;
  // Ids from content hash the fields in column-name order, so reordering the columns changes no id.
  const sorted = columns.map((name, i) => [name, i] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const contentOf = (fields: string[]) => JSON.stringify(sorted.map(([name, i]) => [name, fields[i]]));
  const recordOf = (fields: string[]) => {
    const record: Record<string, string> = {};
    columns.forEach((name, i) => (record[name] = fields[i] as string));
    return record;
  };
  const rowOf = (fields: string[], line: number, own?: string): Pick<DatasetRow, 'id' | 'line'> => {
    if (own === undefined) return { id: ids.fromContent(contentOf(fields)), line };
    if (own === '') throw new DatasetError(file, line, 'the id column is empty');
    if (!ids.own(own)) throw new DatasetError(file, line, `the id "${own}" is also the id of an earlier row`);
    return { id: own, line };
  };
  const width = (record: CsvRecord) => {
    if (record.fields.length !== columns.length) {
      throw new DatasetError(
        file,
        record.line,
        `this row has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'}, the header has ${columns.length}`,
      );
    }
  };
  const templated = (record: Record<string, string>, fallback: string) => (template ? template.render(record) : fallback);

  switch (format) {
    case 'moonshot-csv':
      return (r) => {
        width(r);
        const f = recordOf(r.fields);
        return {
          ...rowOf(r.fields, r.line),
          input: templated(f, f.input as string),
          ...optional('target', nonEmpty(f.target)),
          metadata: {},
        };
      };
    case 'advbench-csv':
      return (r) => {
        width(r);
        const f = recordOf(r.fields);
        return {
          ...rowOf(r.fields, r.line),
          input: templated(f, f.goal as string),
          ...optional('target', nonEmpty(f.target)),
          metadata: {},
        };
      };
    case 'harmbench-csv':
      return (r) => {
        width(r);
        const f = recordOf(r.fields);
        const { Behavior: behavior, BehaviorID: id, SemanticCategory: category, ContextString: context } = f;
        const metadata: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(f)) if (k !== 'Behavior' && k !== 'BehaviorID' && v !== '') metadata[k] = v;
        return {
          ...rowOf(r.fields, r.line, id),
          input: templated(f, context ? `${context}\n\n${behavior}` : (behavior as string)),
          ...optional('category', nonEmpty(category)),
          metadata,
        };
      };
    case 'promptfoo-csv':
      return promptfooCsvMaker(header, { file, template, ids }, rowOf, width, recordOf);
  }
}

/**
 * promptfoo's columns: every column is a variable, but for those starting
 * with "__": `__expected` (and `__expected1`, ...) are the assertions, the
 * first is the target; `__description`; `__metadata:NAME`; `__prefix` and
 * `__suffix` go around the prompt; any other is kept in the metadata.
 */
function promptfooCsvMaker(
  header: CsvRecord,
  { file, template }: RowContext,
  rowOf: (fields: string[], line: number) => Pick<DatasetRow, 'id' | 'line'>,
  width: (r: CsvRecord) => void,
  recordOf: (fields: string[]) => Record<string, string>,
): CsvRowMaker {
  const columns = header.fields;
  const vars = columns.filter((c) => !c.startsWith('__'));
  const expected = columns.filter((c) => /^__expected\d*$/.test(c));
  const promptVar = template ? undefined : defaultVariable(vars);
  if (!template && promptVar === undefined) {
    throw new DatasetError(
      file,
      header.line,
      `the rows have several variables (${vars.join(', ') || 'none'}) and none is called prompt, input or query: give a template such as ` +
        `"{{ ${vars[0] ?? 'question'} }}" to make the prompt`,
    );
  }
  return (r) => {
    width(r);
    const all = recordOf(r.fields);
    const values: Record<string, string> = {};
    for (const v of vars) values[v] = all[v] as string;
    const metadata: Record<string, unknown> = {};
    let category: string | undefined;
    for (const column of columns) {
      const value = all[column] as string;
      if (!column.startsWith('__') || value === '' || expected.includes(column) || column === '__prefix' || column === '__suffix') continue;
      if (column === '__description') metadata.description = value;
      else if (column.startsWith('__metadata:')) metadata[column.slice('__metadata:'.length)] = value;
      else metadata[column] = value;
    }
    if (typeof metadata.category === 'string') category = metadata.category;
    const asserts = expected.map((c) => all[c] as string).filter((v) => v !== '');
    if (asserts.length > 1) metadata.expected = asserts;
    const body = template ? template.render(values) : (values[promptVar as string] as string);
    return {
      ...rowOf(r.fields, r.line),
      input: `${all.__prefix ?? ''}${body}${all.__suffix ?? ''}`,
      ...optional('target', asserts[0]),
      ...optional('category', category),
      metadata,
    };
  };
}
