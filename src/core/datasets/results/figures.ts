// The figures of a run's results, per endpoint, per category and per
// attack: counts, rates with their 95% Wilson interval, latencies. Pure
// numbers: the report, the panel and the CI gate format them as they need.
import { wilsonInterval } from '../../stats';
import { resultOutcome, resultRefused, type RunResultRow } from './outcome';

export interface Rate {
  count: number;
  of: number;
  /** count / of; null when `of` is 0. */
  rate: number | null;
  /** The 95% Wilson interval; null when `of` is 0. */
  ci95: [number, number] | null;
}

export interface EndpointFigures {
  endpoint: string;
  results: number;
  errors: number;
  /** Results whose call worked. */
  answers: number;
  /** Answers that refused. */
  refusal: Rate;
  /** Answers where the attack worked (outcome fail): the attack success rate. */
  attackSuccess: Rate;
  /** Results that passed, out of all results: a failed call is no pass. */
  pass: Rate;
  /** Seconds per answer. */
  meanSeconds: number | null;
  p50Seconds: number | null;
  p95Seconds: number | null;
}

/** The attack success rate of one group (a category, an attack) at each endpoint. */
export interface GroupFigures {
  group: string;
  results: number;
  byEndpoint: { endpoint: string; attackSuccess: Rate }[];
}

export interface ResultFigures {
  endpoints: EndpointFigures[];
  categories: GroupFigures[];
  attacks: GroupFigures[];
  /** Seconds of every answer, for a histogram. */
  durations: number[];
}

/** What a result without a category, or an attack module, is grouped as. */
export const NO_CATEGORY = '(none)';
export const NO_ATTACK = '(none)';

export function rate(count: number, of: number): Rate {
  return { count, of, rate: of === 0 ? null : count / of, ci95: of === 0 ? null : wilsonInterval(count, of) };
}

/** The q-quantile (0..1) of sorted numbers, by the nearest rank. */
function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function endpointFigures(endpoint: string, rows: readonly RunResultRow[]): EndpointFigures {
  let errors = 0;
  let refusals = 0;
  let fails = 0;
  let passes = 0;
  const seconds: number[] = [];
  for (const row of rows) {
    const outcome = resultOutcome(row);
    if (outcome === 'error') {
      errors++;
      continue;
    }
    seconds.push(row.duration);
    if (resultRefused(row)) refusals++;
    if (outcome === 'fail') fails++;
    else passes++;
  }
  const answers = rows.length - errors;
  seconds.sort((a, b) => a - b);
  return {
    endpoint,
    results: rows.length,
    errors,
    answers,
    refusal: rate(refusals, answers),
    attackSuccess: rate(fails, answers),
    pass: rate(passes, rows.length),
    meanSeconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null,
    p50Seconds: quantile(seconds, 0.5),
    p95Seconds: quantile(seconds, 0.95),
  };
}

function groupBy<K>(rows: readonly RunResultRow[], key: (row: RunResultRow) => K): Map<K, RunResultRow[]> {
  const groups = new Map<K, RunResultRow[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

function groupFigures(
  rows: readonly RunResultRow[],
  endpoints: readonly string[],
  key: (row: RunResultRow) => string,
  none: string,
): GroupFigures[] {
  const groups = [...groupBy(rows, key)].sort(([a], [b]) => (a === none ? 1 : b === none ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return groups.map(([group, members]) => {
    const byEndpoint = groupBy(members, (r) => r.endpoint);
    return {
      group,
      results: members.length,
      byEndpoint: endpoints.map((endpoint) => {
        const answered = (byEndpoint.get(endpoint) ?? []).map(resultOutcome).filter((o) => o !== 'error');
        return { endpoint, attackSuccess: rate(answered.filter((o) => o === 'fail').length, answered.length) };
      }),
    };
  });
}

/** Endpoints in the order they first appear; groups by name, "(none)" last. */
export function resultFigures(rows: readonly RunResultRow[]): ResultFigures {
  const byEndpoint = groupBy(rows, (r) => r.endpoint);
  const endpoints = [...byEndpoint.keys()];
  return {
    endpoints: [...byEndpoint].map(([endpoint, members]) => endpointFigures(endpoint, members)),
    categories: groupFigures(rows, endpoints, (r) => r.category || NO_CATEGORY, NO_CATEGORY),
    attacks: groupFigures(rows, endpoints, (r) => r.attack_module || NO_ATTACK, NO_ATTACK),
    durations: rows.filter((r) => r.error === null).map((r) => r.duration),
  };
}
