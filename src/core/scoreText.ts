// A judge's score and a chat's summary as short text: the badges on answers,
// the summary strip under each column title, the Markdown export's verdicts
// and table, a bookmark's `metric` field. Only types are imported, so the
// chat panel's script can use it as it is.
import type { ChatSummary, MetricResult } from './schemas';

/** How a verdict reads for red-teaming: the model held (safe), gave in (unsafe), or half of it. */
export type VerdictTone = 'safe' | 'unsafe' | 'mixed' | 'error' | 'neutral';

export interface MetricBadge {
  /** "refused", "complied", "partial", "pass", "fail", "harm 7/10", "judge error". */
  text: string;
  tone: VerdictTone;
  /** The judge, its verdict and score, and its reason (untrusted model text: show it as text only). */
  title: string;
}

// A Map: a verdict read from a file someone edited is any string ("__proto__" too).
const TONES: ReadonlyMap<string, VerdictTone> = new Map([
  ['refused', 'safe'],
  ['complied', 'unsafe'],
  ['partial', 'mixed'],
  ['pass', 'safe'],
  ['fail', 'unsafe'],
  ['harmless', 'safe'],
  ['harmful', 'unsafe'],
]);

/** A reason longer than this is cut in tooltips: a judge model may write an essay. */
const MAX_REASON_CHARS = 600;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** harm_scale's rating 1-10 from its score ((rating - 1) / 9): whole, or with one decimal. */
export function harmRating(score: number): string {
  const rating = Math.round((score * 9 + 1) * 10) / 10;
  return Number.isInteger(rating) ? String(rating) : rating.toFixed(1);
}

/** A score as one decimal figure: 1 → "1", 0.5 → "0.5", 0.333 → "0.33". */
const scoreFigure = (score: number) => String(Math.round(score * 100) / 100);

export function metricBadge(metric: MetricResult): MetricBadge {
  const by = metric.judge_endpoint ? `${metric.name} (judge: ${metric.judge_endpoint})` : metric.name;
  if (metric.error !== null || metric.verdict === null) {
    return { text: 'judge error', tone: 'error', title: `${by} failed: ${clip(metric.error ?? 'it gave no verdict', MAX_REASON_CHARS)}` };
  }
  const harm = metric.name === 'harm_scale' && metric.score !== null;
  const text = harm ? `harm ${harmRating(metric.score as number)}/10` : metric.verdict;
  const score = metric.score === null ? '' : harm ? ` (${metric.verdict})` : `, score ${scoreFigure(metric.score)}`;
  const reason = metric.reason.trim() === '' ? '' : `\n${clip(metric.reason.trim(), MAX_REASON_CHARS)}`;
  return { text, tone: TONES.get(metric.verdict) ?? 'neutral', title: `${by}: ${text}${score}${reason}` };
}

/** One line for a bookmark's `metric` and the export: "refusal_judge: refused", "harm_scale: harm 7/10". */
export function metricLine(metric: MetricResult | null | undefined): string {
  return metric ? `${metric.name}: ${metricBadge(metric).text}` : '';
}

/** 0.4 → "40"; a share that is not 0 or 1 never rounds to them ("<1", ">99"). */
function percentFigure(share: number): string {
  if (share > 0 && share < 0.005) return '<1';
  if (share < 1 && share > 0.995) return '>99';
  return String(Math.round(share * 100));
}

/** 0.4 → "40%". */
export const percent = (share: number) => `${percentFigure(share)}%`;

/** The 95% interval as "12–74%". */
const intervalText = ([low, high]: readonly [number, number]) => `${percentFigure(low)}–${percent(high)}`;

/** "ASR 40% (12–74%) n=10"; null when the chat has no answers to attack prompts. */
export function asrText(summary: ChatSummary): string | null {
  if (summary.attack_success_rate === null || summary.attack_answers === 0) return null;
  const ci = summary.asr_ci95 ? ` (${intervalText(summary.asr_ci95)})` : '';
  return `ASR ${percent(summary.attack_success_rate)}${ci} n=${summary.attack_answers}`;
}

/** Seconds as the panel shows durations: "0.41 s", "12.3 s". */
export function secondsText(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`;
}

const numberFormat = new Intl.NumberFormat('en-US');
const count = (n: number) => numberFormat.format(n);
const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

export interface SummaryPart {
  key: 'answers' | 'errors' | 'refusals' | 'asr' | 'latency' | 'tokens';
  text: string;
  title: string;
}

/** The summary strip of a column: what is there to say, in order; parts with nothing to say are left out. */
export function summaryParts(summary: ChatSummary): SummaryPart[] {
  const parts: SummaryPart[] = [
    { key: 'answers', text: plural(summary.answers, 'answer'), title: `${plural(summary.answers, 'answer')} (calls that worked)` },
  ];
  if (summary.errors > 0)
    parts.push({ key: 'errors', text: plural(summary.errors, 'error'), title: `${plural(summary.errors, 'call')} failed or stopped` });
  if (summary.answers > 0) {
    parts.push({
      key: 'refusals',
      text: `${count(summary.refusals)} refused`,
      title: `${count(summary.refusals)} of ${plural(summary.answers, 'answer')} refused (by the latest refusal judge's score, else by ` +
        `refusal phrases)`,
    });
  }
  const asr = asrText(summary);
  if (asr !== null && summary.attack_success_rate !== null) {
    const successes = Math.round(summary.attack_success_rate * summary.attack_answers);
    const ci = summary.asr_ci95 ? `; 95% interval ${intervalText(summary.asr_ci95)} (Wilson)` : '';
    parts.push({
      key: 'asr',
      text: asr,
      title: `Attack success rate: the attack worked in ${count(successes)} of ${plural(summary.attack_answers, 'answer')} to attack ` +
        `prompts${ci}`,
    });
  }
  if (summary.mean_duration !== null)
    parts.push({
      key: 'latency',
      text: secondsText(summary.mean_duration),
      title: `Mean latency of the answers: ${summary.mean_duration} s`,
    });
  const t = summary.tokens;
  if (t.total_tokens > 0) {
    parts.push({
      key: 'tokens',
      text: `${count(t.total_tokens)} tok`,
      title: `Tokens: ${count(t.prompt_tokens)} prompt, ${count(t.completion_tokens)} completion, ${count(t.total_tokens)} total`,
    });
  }
  return parts;
}
