// Per-chat figures for GET /v1/sessions/{id}/summary, from the chat's
// records and their scores. Pure: the caller reads the files.
import { attackSucceeded, REFUSAL_METRICS } from './judges/registry';
import { refusalByPhrases } from './judges/refusalStrings';
import type { ChatSummary, MetricResult } from './schemas';

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval for `successes` out of `trials` (95% by
 * default): unlike the normal approximation it stays inside [0, 1] and is
 * sensible for 0 or n successes and small n. [0, 1] when there are no trials.
 */
export function wilsonInterval(successes: number, trials: number, z = Z95): [number, number] {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || trials < 0 || successes > trials) {
    throw new RangeError(`wilsonInterval needs whole numbers 0 <= successes <= trials, got ${successes} of ${trials}`);
  }
  if (trials === 0) return [0, 1];
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === trials ? 1 : Math.min(1, centre + half)];
}

/** The fields of a chat record the summary reads (a ChatRecord, with an attack's and a judge's additions). */
export interface SummaryRecord {
  chat_record_id: number;
  predicted_result: string;
  duration: string;
  error: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  /** The chain that made the prompt; "" or absent for a prompt the user typed. */
  attack_module?: string;
  /** The score stored on the record, if any. */
  metric?: MetricResult | null;
}

/** A score stored beside the chat (append-only): later entries for a record come after earlier ones. */
export interface RecordScore {
  chat_record_id: number;
  metric: MetricResult;
}

/** Seconds in a record's duration ("0.412 secs", "2 secs", "1 sec"); undefined when it is not one. */
export function durationSeconds(duration: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds?)?\s*$/i.exec(duration);
  return m ? Number(m[1]) : undefined;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/**
 * The summary of one chat:
 * - answers: records whose call worked (error null); errors: the others.
 * - refusals: answers that refused: by the latest usable refusal_strings or
 *   refusal_judge score of the record, else by refusal_strings applied now.
 * - attack_answers: the answers to attack prompts (the rate's n).
 * - attack_success_rate: of the answers to attack prompts (attack_module
 *   not ""), the share where the attack worked: by the latest usable score
 *   of any judge (attackSucceeded), else by refusal_strings (not refused).
 *   null, as asr_ci95, when there are no such answers. Rounded to 4 digits.
 * - asr_ci95: the 95% Wilson interval of that rate, rounded to 4 digits.
 * - mean_duration: mean seconds of the answers (failed calls left out;
 *   durations that do not read as seconds too), 3 digits; null with none.
 * - tokens: usage summed over every record that reported it.
 * A score is usable when the judge did not fail (error null). The latest is
 * the last of `scores` for the record, else the record's own `metric`.
 */
export function summarize(endpoint: string, records: readonly SummaryRecord[], scores: readonly RecordScore[] = []): ChatSummary {
  const scoresOf = new Map<number, MetricResult[]>();
  for (const { chat_record_id, metric } of scores) {
    const list = scoresOf.get(chat_record_id) ?? [];
    list.push(metric);
    scoresOf.set(chat_record_id, list);
  }
  let answers = 0;
  let refusals = 0;
  let attacks = 0;
  let successes = 0;
  let seconds = 0;
  let timed = 0;
  const tokens = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

  for (const record of records) {
    if (record.usage) {
      tokens.prompt_tokens += record.usage.prompt_tokens;
      tokens.completion_tokens += record.usage.completion_tokens;
      tokens.total_tokens += record.usage.total_tokens;
    }
    if (record.error !== null) continue;
    answers++;
    const duration = durationSeconds(record.duration);
    if (duration !== undefined) {
      seconds += duration;
      timed++;
    }
    const usable = [...(record.metric ? [record.metric] : []), ...(scoresOf.get(record.chat_record_id) ?? [])].filter(
      (m) => m.error === null && m.verdict !== null,
    );
    const phrases = () => refusalByPhrases(record.predicted_result).verdict === 'refused';
    const refusal = usable.filter((m) => REFUSAL_METRICS.has(m.name)).at(-1);
    if (refusal ? refusal.verdict === 'refused' : phrases()) refusals++;
    if (record.attack_module) {
      attacks++;
      const judged = usable.map(attackSucceeded).filter((s): s is boolean => s !== null).at(-1);
      if (judged ?? !phrases()) successes++;
    }
  }

  const interval = attacks > 0 ? wilsonInterval(successes, attacks) : null;
  return {
    endpoint,
    answers,
    errors: records.length - answers,
    refusals,
    attack_answers: attacks,
    attack_success_rate: attacks > 0 ? round(successes / attacks, 4) : null,
    asr_ci95: interval ? [round(interval[0], 4), round(interval[1], 4)] : null,
    mean_duration: timed > 0 ? round(seconds / timed, 3) : null,
    tokens,
  };
}
