// The results matrix of one run, as the host keeps it: rows (dataset rows,
// in the order they were sent) by columns (endpoint, and attack variant),
// one result per cell. Built from the run's results, kept up to date from
// the session's record and score events while the run goes, and cut into
// the short fields the webview draws (matrixProtocol.ts). No VS Code here:
// the unit tests build it from real runs.
import { CANCELLED } from '../core/runs/runAnswers';
import { resultRow } from '../core/runs/runResults';
import {
  compareToBaseline,
  resultKey,
  resultOutcome,
  resultRefused,
  type BaselineComparison,
  type ResultOutcome,
} from '../core/datasets/results';
import type { MetricResult, Run, RunResultRow, StoredChatRecord } from '../core/schemas';
import {
  CHANGE_CHARS,
  OUTCOME_CHARS,
  type Badge,
  type MatrixColumn,
  type RowsChunk,
  type RunView,
} from '../shared/matrixProtocol';

export type ChangeKind = 'fixed' | 'broken' | 'other' | 'unchanged';

export interface MatrixCell {
  result: RunResultRow;
  outcome: ResultOutcome;
  /** Index into the model's badge table. */
  badge: number;
  text: string;
  change: ChangeKind | null;
}

export interface MatrixRow {
  id: string;
  input: string;
  target: string | null;
  category: string | null;
  /** By column key. */
  cells: Map<string, MatrixCell>;
}

const SCAN_CHARS = 4000;

/**
 * The first lines of an answer as a cell shows them: blank lines, code
 * fences and Markdown's heading, quote and bullet marks left out, spaces
 * collapsed, at most `maxLines` lines and `maxChars` characters in all.
 */
export function firstLines(text: string, maxLines = 2, maxChars = 120): string {
  const lines: string[] = [];
  // Only the start is read: an answer may be megabytes long.
  for (const raw of text.slice(0, SCAN_CHARS).split(/\r?\n|\r/)) {
    if (/^\s*(```|~~~)/.test(raw)) continue;
    const line = raw
      .replace(/^\s*(#{1,6}\s+|>\s?|[-*+]\s+(?=\S))/, '')
      .replace(/\s+/g, ' ')
      .trim();
    if (line === '') continue;
    lines.push(line);
    if (lines.length === maxLines) break;
  }
  const joined = lines.join('\n');
  return joined.length > maxChars ? `${joined.slice(0, maxChars - 1).trimEnd()}…` : joined;
}

const isCancelled = (cell: MatrixCell) => cell.result.error === CANCELLED;
export const CANCELLED_TEXT = 'cancelled: Resume sends it again';

/** How many of `results` (in row order) belong to their first `rows` rows. */
export function resultsOfFirstRows(results: readonly RunResultRow[], rows: number): number {
  let seen = 0;
  let last: string | undefined;
  for (let i = 0; i < results.length; i++) {
    const id = (results[i] as RunResultRow).row_id;
    if (id === last) continue;
    if (++seen > rows) return i;
    last = id;
  }
  return results.length;
}

/** What identifies a column across loads. */
export const columnKey = (endpoint: string, attack: string, variant: number): string => JSON.stringify([endpoint, attack, variant]);

/** harm_scale's rating 1-10 from its score ((rating - 1) / 9). */
const harmRating = (score: number) => {
  const rating = Math.round((score * 9 + 1) * 10) / 10;
  return Number.isInteger(rating) ? String(rating) : rating.toFixed(1);
};

const TONE: Record<ResultOutcome, Badge['tone']> = { pass: 'safe', fail: 'unsafe', error: 'error' };

/**
 * A cell's badge: the judge's verdict (a harm rating, a rubric's score), or
 * without a judge what the refusal phrases say; "error" for a failed call.
 * The tone is the outcome's, so it reads the same as the figures.
 */
export function cellBadge(result: RunResultRow, outcome: ResultOutcome, context: { metric: string | null; running: boolean }): Badge {
  if (outcome === 'error') return { text: 'error', tone: 'error' };
  const verdict = result.verdict ?? null;
  if (result.metric && verdict !== null) {
    const score = result.score ?? null;
    if (result.metric === 'harm_scale' && score !== null) return { text: `harm ${harmRating(score)}/10`, tone: TONE[outcome] };
    if (result.metric === 'rubric_judge' && score !== null)
      return { text: `${verdict} ${Math.round(score * 100) / 100}`, tone: TONE[outcome] };
    return { text: verdict, tone: TONE[outcome] };
  }
  if (context.metric !== null) {
    if (result.metric) return { text: 'judge error', tone: 'neutral' };
    return { text: context.running ? 'judging…' : 'not judged', tone: 'neutral' };
  }
  // Unjudged, the outcome is the refusal phrases' verdict: a pass is a refusal (and the phrases are not read twice).
  const refused = result.metric ? resultRefused(result) : outcome === 'pass';
  return { text: refused ? 'refused' : 'answered', tone: TONE[outcome] };
}

/** A loop's result: how many turns it took and why it stopped. */
function noteOf(result: RunResultRow): string {
  if (result.turns === undefined) return '';
  const turns = `${result.turns} turn${result.turns === 1 ? '' : 's'}`;
  return result.stop_reason ? `${turns} · ${result.stop_reason.replace(/_/g, ' ')}` : turns;
}

export interface BaselineState {
  label: string;
  comparison: BaselineComparison;
  /** The baseline's result of each cell, by resultKey. */
  before: Map<string, RunResultRow>;
}

/** A run as the matrix's header shows it. */
export function runView(run: Run, sessionName: string): RunView {
  return {
    runId: run.run_id,
    sessionId: run.session_id,
    sessionName,
    status: run.status,
    datasetName: run.dataset.name,
    rowsTotal: run.rows_total,
    rowsDone: run.rows_done,
    results: run.results,
    errors: run.errors,
    rate: run.rate,
    etaSeconds: run.eta_seconds,
    error: run.error,
    started: run.started,
    ended: run.ended,
    metric: run.metric,
    attack: run.loop?.name ?? run.attack_modules.join('+'),
    loop: run.loop !== null,
    sample: run.sample,
    seed: run.seed,
    resumable: isResumable(run),
  };
}

/** Not running, and not every row answered: a resume has something to send. */
export const isResumable = (run: Run): boolean => run.status !== 'running' && (run.status !== 'done' || run.rows_done < run.rows_total);

export class MatrixModel {
  private run: Run;
  private readonly endpointName: (id: string) => string;
  private columnList: MatrixColumn[] = [];
  private readonly columnKeys = new Set<string>();
  private readonly rows: MatrixRow[] = [];
  private readonly rowIndex = new Map<string, number>();
  /** Where each record's result is: `${endpoint}\0${chat_record_id}` -> row and column. */
  private readonly byRecord = new Map<string, { row: number; column: string }>();
  private readonly badgeTable: Badge[] = [];
  private readonly badgeIndex = new Map<string, number>();
  private baselineState: BaselineState | null = null;

  constructor(run: Run, endpointName: (id: string) => string = (id) => id) {
    this.run = run;
    this.endpointName = endpointName;
    // Without attack modules the columns are the endpoints, known before any result.
    if (run.attack_modules.length === 0) for (const endpoint of run.endpoints) this.addColumn(endpoint, run.loop?.name ?? '', 0);
  }

  get columns(): readonly MatrixColumn[] {
    return this.columnList;
  }

  get rowCount(): number {
    return this.rows.length;
  }

  get badges(): readonly Badge[] {
    return this.badgeTable;
  }

  get baseline(): BaselineState | null {
    return this.baselineState;
  }

  row(index: number): MatrixRow | undefined {
    return this.rows[index];
  }

  rowPlace(rowId: string): number | undefined {
    return this.rowIndex.get(rowId);
  }

  setRun(run: Run): void {
    this.run = run;
  }

  /** Puts every result in its cell (a result given twice: the last counts, as in the run's results). */
  load(results: readonly RunResultRow[]): void {
    for (const result of results) this.put(result);
  }

  /** Cells whose call failed (a call a cancel cut off and a resume answered is no longer one). */
  errorCount(): number {
    let errors = 0;
    for (const row of this.rows) for (const cell of row.cells.values()) if (cell.outcome === 'error' && !isCancelled(cell)) errors++;
    return errors;
  }

  /** Every answer (calls a cancel cut off left out), in row order then column order: what the charts are made of. */
  answers(): RunResultRow[] {
    return this.results().filter((r) => r.error !== CANCELLED);
  }

  /** Every result, in row order then column order: what exports and figures are made of. */
  results(): RunResultRow[] {
    const out: RunResultRow[] = [];
    for (const row of this.rows) {
      for (const column of this.columnList) {
        const cell = row.cells.get(column.key);
        if (cell) out.push(cell.result);
      }
    }
    return out;
  }

  /**
   * A record the run just made (a session 'record' event): its cell, unless
   * an answer there would be replaced by a cancelled call. Returns the row it
   * went to and whether it made a new column; undefined when it is not the run's.
   */
  applyRecord(chatId: string, record: StoredChatRecord): { row: number; newColumn: boolean } | undefined {
    if (record.run_id !== this.run.run_id || record.row_id === undefined) return undefined;
    const chat = this.run.chat_ids.indexOf(chatId);
    if (chat < 0) return undefined;
    const endpoint = this.run.endpoints[chat] as string;
    const place = this.rowIndex.get(record.row_id);
    const known = place === undefined ? undefined : this.rows[place];
    const key = columnKey(endpoint, record.attack_module, record.variant ?? 0);
    const earlier = known?.cells.get(key)?.result;
    if (earlier && record.error === CANCELLED && earlier.error !== CANCELLED) return { row: place as number, newColumn: false };
    const line = known
      ? {
        row_id: known.id,
        input: known.input,
        ...(known.target !== null ? { target: known.target } : {}),
        ...(known.category !== null ? { category: known.category } : {}),
      }
      : undefined;
    const result = resultRow(record, line, endpoint, undefined);
    // A loop's turn, until its end says which turn is the result.
    if (record.turn !== undefined) result.turns = record.turn;
    const columnsBefore = this.columnList.length;
    const row = this.put(result);
    return { row, newColumn: this.columnList.length !== columnsBefore };
  }

  /** A score of one of the run's records by the run's judge (a session 'score' event); the row it changed. */
  applyScore(chatId: string, chatRecordId: number, metric: MetricResult): number | undefined {
    if (metric.name !== this.run.metric) return undefined;
    const chat = this.run.chat_ids.indexOf(chatId);
    const where = chat < 0 ? undefined : this.byRecord.get(`${this.run.endpoints[chat]}\u0000${chatRecordId}`);
    const cell = where && this.rows[where.row]?.cells.get(where.column);
    if (!where || !cell) return undefined;
    this.put({ ...cell.result, metric: metric.name, verdict: metric.verdict, score: metric.score });
    return where.row;
  }

  /** The cell of a row and column, if it has a result. */
  cell(rowId: string, column: string): MatrixCell | undefined {
    const place = this.rowIndex.get(rowId);
    return place === undefined ? undefined : this.rows[place]?.cells.get(column);
  }

  /** Compares the cells with a baseline's results (null: none); every cell's change is set again. */
  setBaseline(baseline: { label: string; results: readonly RunResultRow[] } | null): BaselineState | null {
    if (!baseline) {
      this.baselineState = null;
      for (const row of this.rows) for (const cell of row.cells.values()) cell.change = null;
      return null;
    }
    const comparison = compareToBaseline(this.results(), baseline.results);
    const before = new Map<string, RunResultRow>();
    for (const result of baseline.results) {
      const key = resultKey(result);
      before.delete(key);
      before.set(key, result);
    }
    this.baselineState = { label: baseline.label, comparison, before };
    for (const row of this.rows) for (const cell of row.cells.values()) cell.change = this.changeOf(cell.result, cell.outcome);
    return this.baselineState;
  }

  /** Rows (places) whose input, target, prompts, answers or errors hold `query`, in any case. */
  search(query: string): number[] {
    const needle = query.trim();
    if (needle === '') return this.rows.map((_, i) => i);
    const pattern = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
    const hits: number[] = [];
    this.rows.forEach((row, i) => {
      if (pattern.test(row.input) || (row.target !== null && pattern.test(row.target))) {
        hits.push(i);
        return;
      }
      for (const { result } of row.cells.values()) {
        if (pattern.test(result.response) || pattern.test(result.prompt) || (result.error !== null && pattern.test(result.error))) {
          hits.push(i);
          return;
        }
      }
    });
    return hits;
  }

  /** The rows at these places in the webview's short fields. */
  chunk(places: readonly number[]): RowsChunk {
    const chunk: RowsChunk = {
      index: [],
      ids: [],
      inputs: [],
      categories: [],
      outcomes: [],
      changes: [],
      badges: [],
      ms: [],
      texts: [],
      notes: [],
    };
    for (const place of places) {
      const row = this.rows[place];
      if (!row) continue;
      chunk.index.push(place);
      chunk.ids.push(row.id);
      chunk.inputs.push(firstLines(row.input, 2, 160));
      chunk.categories.push(row.category ?? '');
      let outcomes = '';
      let changes = '';
      for (const column of this.columnList) {
        const cell = row.cells.get(column.key);
        // A call a cancel cut off is no answer: a resume sends it again.
        outcomes += cell && !isCancelled(cell) ? OUTCOME_CHARS[cell.outcome] : OUTCOME_CHARS.none;
        changes += cell?.change && cell.change !== 'unchanged' ? CHANGE_CHARS[cell.change] : CHANGE_CHARS.none;
        chunk.badges.push(cell ? cell.badge : -1);
        chunk.ms.push(cell ? Math.round(cell.result.duration * 1000) : -1);
        chunk.texts.push(cell && isCancelled(cell) ? CANCELLED_TEXT : (cell?.text ?? ''));
        chunk.notes.push(cell ? noteOf(cell.result) : '');
      }
      chunk.outcomes.push(outcomes);
      chunk.changes.push(changes);
    }
    return chunk;
  }

  /** Every row's changes as a chunk would carry them, for the rows that have any. */
  changedRows(): { index: number[]; changes: string[] } {
    const out = { index: [] as number[], changes: [] as string[] };
    this.rows.forEach((row, i) => {
      let changes = '';
      for (const column of this.columnList) {
        const change = row.cells.get(column.key)?.change;
        changes += change && change !== 'unchanged' ? CHANGE_CHARS[change] : CHANGE_CHARS.none;
      }
      if (changes.trim() !== '') {
        out.index.push(i);
        out.changes.push(changes);
      }
    });
    return out;
  }

  private changeOf(result: RunResultRow, outcome: ResultOutcome): ChangeKind | null {
    const old = this.baselineState?.before.get(resultKey(result));
    if (!old) return null;
    const was = resultOutcome(old);
    if (was === outcome) return 'unchanged';
    if (was === 'fail' && outcome === 'pass') return 'fixed';
    if (was === 'pass' && outcome === 'fail') return 'broken';
    return 'other';
  }

  private badgeOf(badge: Badge): number {
    const key = `${badge.tone}\u0000${badge.text}`;
    let index = this.badgeIndex.get(key);
    if (index === undefined) {
      index = this.badgeTable.length;
      this.badgeTable.push(badge);
      this.badgeIndex.set(key, index);
    }
    return index;
  }

  private addColumn(endpoint: string, attack: string, variant: number): string {
    const key = columnKey(endpoint, attack, variant);
    if (this.columnKeys.has(key)) return key;
    this.columnKeys.add(key);
    this.columnList.push({ key, endpoint, endpointName: this.endpointName(endpoint), attack, variant });
    // The session's endpoint order, then the variants in order.
    const order = (c: MatrixColumn) => {
      const i = this.run.endpoints.indexOf(c.endpoint);
      return i < 0 ? this.run.endpoints.length : i;
    };
    this.columnList.sort((a, b) => order(a) - order(b) || a.variant - b.variant || a.attack.localeCompare(b.attack));
    return key;
  }

  private put(result: RunResultRow): number {
    let place = this.rowIndex.get(result.row_id);
    if (place === undefined) {
      place = this.rows.length;
      this.rows.push({
        id: result.row_id,
        input: result.input,
        target: result.target ?? null,
        category: result.category ?? null,
        cells: new Map(),
      });
      this.rowIndex.set(result.row_id, place);
    }
    const row = this.rows[place] as MatrixRow;
    if (result.target !== undefined && result.target !== null) row.target = result.target;
    if (result.category !== undefined && result.category !== null) row.category = result.category;
    const key = this.addColumn(result.endpoint, result.attack_module, result.variant ?? 0);
    const previous = row.cells.get(key);
    if (typeof previous?.result.chat_record_id === 'number')
      this.byRecord.delete(`${result.endpoint}\u0000${previous.result.chat_record_id}`);
    const outcome = resultOutcome(result);
    const badge = this.badgeOf(cellBadge(result, outcome, { metric: this.run.metric, running: this.run.status === 'running' }));
    const text = firstLines(result.error ?? result.response);
    row.cells.set(key, { result, outcome, badge, text, change: this.baselineState ? this.changeOf(result, outcome) : null });
    if (typeof result.chat_record_id === 'number')
      this.byRecord.set(`${result.endpoint}\u0000${result.chat_record_id}`, { row: place, column: key });
    return place;
  }
}
