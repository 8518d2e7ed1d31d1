// The matrix as the webview holds it: one RowView per dataset row, made of
// the host's chunks, with what the filters and sorts ask of it counted once
// (fails, passes, errors, changes, the slowest answer). Filtering and
// sorting are pure functions of it (unit-tested); searching is the host's
// (it has the whole answers), and comes back as a set of row places.
import {
  CHANGE_CHARS,
  OUTCOME_CHARS,
  type Badge,
  type Filter,
  type MatrixColumn,
  type RowsChunk,
  type Sort,
} from '../shared/matrixProtocol';

export interface RowView {
  place: number;
  id: string;
  input: string;
  category: string;
  /** One character per column (OUTCOME_CHARS). */
  outcomes: string;
  /** One character per column (CHANGE_CHARS). */
  changes: string;
  badges: number[];
  ms: number[];
  texts: string[];
  notes: string[];
  fails: number;
  passes: number;
  errors: number;
  changed: number;
  /** The slowest answer of the row in milliseconds; -1 when it has none. */
  maxMs: number;
}

function counts(row: RowView): void {
  let fails = 0;
  let passes = 0;
  let errors = 0;
  let changed = 0;
  let maxMs = -1;
  for (let i = 0; i < row.outcomes.length; i++) {
    const o = row.outcomes[i];
    if (o === OUTCOME_CHARS.fail) fails++;
    else if (o === OUTCOME_CHARS.pass) passes++;
    else if (o === OUTCOME_CHARS.error) errors++;
    if (row.changes[i] !== undefined && row.changes[i] !== CHANGE_CHARS.none) changed++;
    const ms = row.ms[i] ?? -1;
    if (ms > maxMs) maxMs = ms;
  }
  Object.assign(row, { fails, passes, errors, changed, maxMs });
}

/** Row i of a chunk, as a RowView; `columns` is how many cells each row has. */
export function rowOfChunk(chunk: RowsChunk, i: number, columns: number): RowView {
  const from = i * columns;
  const row: RowView = {
    place: chunk.index[i] as number,
    id: chunk.ids[i] ?? '',
    input: chunk.inputs[i] ?? '',
    category: chunk.categories[i] ?? '',
    outcomes: (chunk.outcomes[i] ?? '').padEnd(columns, OUTCOME_CHARS.none),
    changes: (chunk.changes[i] ?? '').padEnd(columns, CHANGE_CHARS.none),
    badges: chunk.badges.slice(from, from + columns),
    ms: chunk.ms.slice(from, from + columns),
    texts: chunk.texts.slice(from, from + columns),
    notes: chunk.notes.slice(from, from + columns),
    fails: 0,
    passes: 0,
    errors: 0,
    changed: 0,
    maxMs: -1,
  };
  counts(row);
  return row;
}

/** Answers that disagree: at least one endpoint passed and another failed (failed calls left aside). */
export const disagrees = (row: RowView): boolean => row.passes > 0 && row.fails > 0;

export function rowMatches(row: RowView, filter: Filter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'failures':
      return row.fails > 0;
    case 'passes':
      // Every cell answered and passed.
      return row.passes > 0 && row.fails === 0 && row.errors === 0;
    case 'errors':
      return row.errors > 0;
    case 'disagree':
      return disagrees(row);
    case 'changed':
      return row.changed > 0;
  }
}

/** How many rows each filter keeps (the counts on the filter buttons). */
export function filterCounts(rows: Iterable<RowView | undefined>): Record<Filter, number> {
  const out: Record<Filter, number> = { all: 0, failures: 0, passes: 0, errors: 0, disagree: 0, changed: 0 };
  for (const row of rows) {
    if (!row) continue;
    out.all++;
    if (row.fails > 0) out.failures++;
    if (rowMatches(row, 'passes')) out.passes++;
    if (row.errors > 0) out.errors++;
    if (disagrees(row)) out.disagree++;
    if (row.changed > 0) out.changed++;
  }
  return out;
}

/**
 * The places of the rows to show, in order: those the filter keeps (and
 * the search found, when `hits` is given), in row order, by failures (most
 * first, then errors) or by latency (slowest first); ties keep row order.
 */
export function orderRows(rows: readonly (RowView | undefined)[], filter: Filter, sort: Sort, hits: ReadonlySet<number> | null): number[] {
  const kept: RowView[] = [];
  for (const row of rows) if (row && (hits === null || hits.has(row.place)) && rowMatches(row, filter)) kept.push(row);
  if (sort === 'failures') kept.sort((a, b) => b.fails - a.fails || b.errors - a.errors || a.place - b.place);
  else if (sort === 'latency') kept.sort((a, b) => b.maxMs - a.maxMs || a.place - b.place);
  return kept.map((r) => r.place);
}

/** Seconds as a cell shows them: "0.41 s", "12.3 s", "2 min 05 s"; "" for none. */
export function latencyText(ms: number): string {
  if (ms < 0) return '';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

/** The rows the webview has, by place, with the columns and badges they refer to. */
export class MatrixData {
  readonly rows: (RowView | undefined)[] = [];
  badges: Badge[] = [];
  total = 0;
  /** Rows the host has sent so far. */
  loaded = 0;

  constructor(readonly columns: readonly MatrixColumn[]) {}

  /** Puts a chunk's rows in their places; the places it touched. */
  apply(chunk: RowsChunk, badges: readonly Badge[], total: number): number[] {
    this.badges = [...badges];
    this.total = Math.max(total, this.rows.length);
    const width = this.columns.length;
    const places: number[] = [];
    for (let i = 0; i < chunk.index.length; i++) {
      const row = rowOfChunk(chunk, i, width);
      if (this.rows[row.place] === undefined) this.loaded++;
      this.rows[row.place] = row;
      places.push(row.place);
    }
    return places;
  }

  /** New changes against a baseline: rows in `index` get theirs, every other row none. */
  setChanges(index: readonly number[], changes: readonly string[]): void {
    const none = CHANGE_CHARS.none.repeat(this.columns.length);
    const given = new Map(index.map((place, i) => [place, changes[i] ?? none]));
    for (const row of this.rows) {
      if (!row) continue;
      row.changes = (given.get(row.place) ?? none).padEnd(this.columns.length, CHANGE_CHARS.none);
      counts(row);
    }
  }
}
