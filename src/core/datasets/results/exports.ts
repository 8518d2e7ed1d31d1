// A run's results as files: CSV (RFC 4180, CRLF, one header line) and JSON
// Lines, one line per dataset row x endpoint x attack variant, with the
// verdict and what it means (outcome). Line by line, so that a large run
// can be written as it is read.
import { csvField, type CsvFieldOptions } from '../csv';
import { resultOutcome, type RunResultRow } from './outcome';

/** The columns, in order: the result's fields, then its outcome. */
export const RESULT_COLUMNS = [
  'row_id',
  'input',
  'target',
  'category',
  'endpoint',
  'attack_module',
  'variant',
  'prompt',
  'response',
  'error',
  'metric',
  'verdict',
  'score',
  'duration',
  'chat_record_id',
  'outcome',
] as const;

type Column = (typeof RESULT_COLUMNS)[number];

function values(row: RunResultRow): Record<Column, string | number | null> {
  return {
    row_id: row.row_id,
    input: row.input,
    target: row.target ?? null,
    category: row.category ?? null,
    endpoint: row.endpoint,
    attack_module: row.attack_module,
    variant: row.variant ?? 0,
    prompt: row.prompt,
    response: row.response,
    error: row.error,
    metric: row.metric ?? null,
    verdict: row.verdict ?? null,
    score: row.score ?? null,
    duration: row.duration,
    chat_record_id: row.chat_record_id ?? null,
    outcome: resultOutcome(row),
  };
}

export const resultsCsvHeader = (): string => `${RESULT_COLUMNS.join(',')}\r\n`;

/** One result as a CSV line (with its CRLF); null is an empty field. */
export function resultToCsvLine(row: RunResultRow, options: CsvFieldOptions = {}): string {
  const v = values(row);
  return `${RESULT_COLUMNS.map((c) => csvField(v[c] === null ? '' : String(v[c]), options)).join(',')}\r\n`;
}

export function resultsToCsv(rows: Iterable<RunResultRow>, options: CsvFieldOptions = {}): string {
  let out = resultsCsvHeader();
  for (const row of rows) out += resultToCsvLine(row, options);
  return out;
}

/** One result as a JSON line (with its newline): every column, null where there is no value. */
export const resultToJsonLine = (row: RunResultRow): string => `${JSON.stringify(values(row))}\n`;

export function resultsToJsonl(rows: Iterable<RunResultRow>): string {
  let out = '';
  for (const row of rows) out += resultToJsonLine(row);
  return out;
}
