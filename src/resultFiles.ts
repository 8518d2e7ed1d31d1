// What the `run` command reads and writes besides the storage folder: the
// results file (JSONL, or CSV by its extension), a baseline results file of
// an earlier run, and what it prints: the progress line and the summary
// table.
import { createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import { extname } from 'node:path';
import { parseCsv } from './core/datasets/csv';
import {
  RESULT_COLUMNS,
  resultsCsvHeader,
  resultToCsvLine,
  resultToJsonLine,
  type EndpointFigures,
  type ResultFigures,
} from './core/datasets/results';
import { CoreError } from './core/errors';
import { RunResultRowSchema, type Run, type RunResultRow } from './core/schemas';

const isCsv = (file: string) => extname(file).toLowerCase() === '.csv';

/** Writes the results a line at a time: CSV when the file ends in .csv, else JSON Lines. */
export async function writeResults(file: string, rows: readonly RunResultRow[]): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const csv = isCsv(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (csv) await write(resultsCsvHeader());
  for (const row of rows) await write(csv ? resultToCsvLine(row) : resultToJsonLine(row));
  out.end();
  await once(out, 'finish');
}

const NUMBER_COLUMNS = new Set(['variant', 'score', 'duration', 'chat_record_id']);
/** Columns written empty for null (the others are texts that may be empty). */
const NULLABLE_COLUMNS = new Set(['target', 'category', 'error', 'metric', 'verdict', 'score', 'chat_record_id']);

/** A CSV field as written: empty is null where a column can be, numbers are numbers, the spreadsheet-formula guard taken off. */
function csvValue(column: string, text: string): unknown {
  if (text === '') return NULLABLE_COLUMNS.has(column) ? null : NUMBER_COLUMNS.has(column) ? 0 : '';
  if (NUMBER_COLUMNS.has(column)) return Number(text);
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/**
 * The results of an earlier run (a file this command wrote); a line that is
 * not a result is a usage error naming it, after `what` (how the file was given).
 */
export async function readResults(file: string, what = `--baseline ${file}`): Promise<RunResultRow[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new CoreError('usage', `${what}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const rows: RunResultRow[] = [];
  const take = (value: unknown, line: number) => {
    const parsed = RunResultRowSchema.safeParse(value);
    if (!parsed.success)
      throw new CoreError(
        'usage',
        `${what}, line ${line}: not a result (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`,
      );
    rows.push(parsed.data);
  };
  if (isCsv(file)) {
    const [header, ...records] = parseCsv(text, file);
    const columns = header?.fields ?? [];
    if (!RESULT_COLUMNS.every((c) => columns.includes(c)))
      throw new CoreError(
        'usage',
        `${what}: not a results file (its header lacks ${RESULT_COLUMNS.filter((c) => !columns.includes(c)).join(', ')})`,
      );
    for (const record of records) take(Object.fromEntries(columns.map((c, i) => [c, csvValue(c, record.fields[i] ?? '')])), record.line);
  } else {
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new CoreError('usage', `${what}, line ${i + 1}: not JSON`);
      }
      take(value, i + 1);
    }
  }
  return rows;
}

const percent = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(1)}%`);

function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

/** One line of progress: rows done of the total, records, errors, rate and time left. */
export function progressLine(run: Run): string {
  const share = run.rows_total === 0 ? 100 : (run.rows_done / run.rows_total) * 100;
  const rate = run.rate === null ? '' : `  ${run.rate.toFixed(1)} rows/s`;
  const eta = run.status === 'running' && run.eta_seconds !== null ? `  ETA ${duration(run.eta_seconds)}` : '';
  return `rows ${run.rows_done}/${run.rows_total} (${share.toFixed(1)}%)  results ${run.results}  errors ${run.errors}${rate}${eta}`;
}

function asrCell(e: EndpointFigures): string {
  const { rate, ci95 } = e.attackSuccess;
  return rate === null || ci95 === null ? 'n/a' : `${percent(rate)} (${percent(ci95[0])}-${percent(ci95[1])})`;
}

/** The summary table printed at the end: one line per endpoint. */
export function summaryTable(figures: ResultFigures): string {
  const header = ['endpoint', 'results', 'errors', 'refusals', 'attack success (95% CI)', 'pass rate', 'mean s'];
  const lines = figures.endpoints.map((e) => [
    e.endpoint,
    String(e.results),
    String(e.errors),
    percent(e.refusal.rate),
    asrCell(e),
    percent(e.pass.rate),
    e.meanSeconds === null ? 'n/a' : e.meanSeconds.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [format(header), ...lines.map(format)].join('\n');
}
