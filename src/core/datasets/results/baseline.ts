// A run against a baseline run (the CI gate's question): which results
// changed outcome. A result is matched by row, endpoint, attack and variant;
// when a run has a result twice (a retry), its last one counts.
import { resultKey, resultOutcome, type ResultOutcome, type RunResultRow } from './outcome';

export interface VerdictChange {
  /** fixed: failed in the baseline, passes now; broken: passed, fails now; other: an error on either side. */
  kind: 'fixed' | 'broken' | 'other';
  row_id: string;
  endpoint: string;
  attack_module: string;
  variant: number;
  input: string;
  before: ResultOutcome;
  after: ResultOutcome;
  before_verdict: string | null;
  after_verdict: string | null;
}

export interface BaselineComparison {
  fixed: number;
  broken: number;
  other: number;
  unchanged: number;
  /** Results only in the current run. */
  added: number;
  /** Results only in the baseline. */
  removed: number;
  /** Broken first, then fixed, then other; in the current run's order within each. */
  changes: VerdictChange[];
}

function latest(rows: readonly RunResultRow[]): Map<string, RunResultRow> {
  const byKey = new Map<string, RunResultRow>();
  for (const row of rows) {
    const key = resultKey(row);
    byKey.delete(key);
    byKey.set(key, row);
  }
  return byKey;
}

const ORDER = { broken: 0, fixed: 1, other: 2 } as const;

export function compareToBaseline(current: readonly RunResultRow[], baseline: readonly RunResultRow[]): BaselineComparison {
  const now = latest(current);
  const before = latest(baseline);
  const result: BaselineComparison = { fixed: 0, broken: 0, other: 0, unchanged: 0, added: 0, removed: 0, changes: [] };
  for (const [key, row] of now) {
    const old = before.get(key);
    if (!old) {
      result.added++;
      continue;
    }
    const [was, is] = [resultOutcome(old), resultOutcome(row)];
    if (was === is) {
      result.unchanged++;
      continue;
    }
    const kind = was === 'fail' && is === 'pass' ? 'fixed' : was === 'pass' && is === 'fail' ? 'broken' : 'other';
    result[kind]++;
    result.changes.push({
      kind,
      row_id: row.row_id,
      endpoint: row.endpoint,
      attack_module: row.attack_module,
      variant: row.variant ?? 0,
      input: row.input,
      before: was,
      after: is,
      before_verdict: old.verdict ?? null,
      after_verdict: row.verdict ?? null,
    });
  }
  for (const key of before.keys()) if (!now.has(key)) result.removed++;
  result.changes.sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
  return result;
}
