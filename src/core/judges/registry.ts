// Every judge (Moonshot: metric) this build has, by name; checking a judge
// request; scoring one answer into a record's `metric`.
import type { ChatModel } from '../chatModel';
import { ConnectorError, cancelledError, toConnectorError } from '../connectors/errors';
import type { ChatMessage } from '../connectors/types';
import { invalidField, NotFoundError } from '../errors';
import { JudgeRequestSchema, type MetricInfo, type MetricResult } from '../schemas';
import { parseOrThrow } from '../validation';
import { harmScale, refusalJudge, rubricJudge } from './modelJudges';
import { refusalStrings } from './refusalStrings';
import type { Judge, JudgeInput, JudgeVerdict } from './types';

export const JUDGES: readonly Judge[] = [refusalStrings, refusalJudge, rubricJudge, harmScale];

const BY_NAME = new Map(JUDGES.map((j) => [j.name, j]));

/** The judge called `name`; NotFoundError when there is none. */
export function getJudge(name: string): Judge {
  const judge = BY_NAME.get(name);
  if (!judge) throw new NotFoundError(`Metric "${name}" not found; known metrics: ${[...BY_NAME.keys()].join(', ')}`);
  return judge;
}

/** What GET /v1/metrics answers. */
export function listMetrics(): MetricInfo[] {
  return JUDGES.map(({ name, description, needs_model }) => ({ name, description, needs_model }));
}

export interface JudgeRunContext {
  /** The judge model; required when the judge needs_model. */
  model?: ChatModel;
  signal?: AbortSignal;
}

export interface JudgePlan {
  readonly name: string;
  readonly needs_model: boolean;
  readonly judge_endpoint: string | null;
  /** The options with defaults filled in. */
  readonly options: Record<string, unknown>;
  /** The verdict; rejects with a ConnectorError when the judge failed (the model call, or an unreadable answer). */
  judge(input: JudgeInput, context?: JudgeRunContext): Promise<JudgeVerdict>;
  /**
   * The record's `metric`: the verdict, or verdict and score null with the
   * judge's failure in `error`. Rejects only when cancelled.
   */
  score(input: JudgeInput, context?: JudgeRunContext): Promise<MetricResult>;
}

/**
 * Checks a judge request: NotFoundError for an unknown metric,
 * ValidationError naming the field for bad options or a missing judge
 * endpoint (`loc` prefixes the fields: ['body'] for a body, ['query'] for
 * PUT's query).
 */
export function planJudge(request: unknown, loc: (string | number)[] = ['body']): JudgePlan {
  const body = parseOrThrow(JudgeRequestSchema, request, loc);
  const judge = getJudge(body.metric);
  const options = parseOrThrow(judge.options, body.options ?? {}, [...loc, 'options']) as Record<string, unknown>;
  const endpoint = body.judge_endpoint ?? null;
  if (judge.needs_model && endpoint === null)
    throw invalidField([...loc, 'judge_endpoint'], `is required: ${judge.name} needs a judge model`);

  const run = async (input: JudgeInput, { model, signal }: JudgeRunContext = {}): Promise<JudgeVerdict> => {
    if (judge.needs_model && !model) throw invalidField([...loc, 'judge_endpoint'], `is required: ${judge.name} needs a judge model`);
    if (signal?.aborted) throw cancelledError();
    const ask = async (messages: ChatMessage[]) => {
      try {
        return await (model as ChatModel).complete(messages, signal);
      } catch (err) {
        throw toConnectorError(err);
      }
    };
    return judge.judge(input, options, { ask });
  };

  return {
    name: judge.name,
    needs_model: judge.needs_model,
    judge_endpoint: judge.needs_model ? endpoint : null,
    options,
    judge: run,
    async score(input, context) {
      // In MetricResultSchema's key order, so a score reads the same fresh and from its file.
      const judgeEndpoint = judge.needs_model ? endpoint : null;
      try {
        const { verdict, score, reason } = await run(input, context);
        return { name: judge.name, verdict, score, reason, judge_endpoint: judgeEndpoint, error: null };
      } catch (err) {
        if (!(err instanceof ConnectorError) || err.kind === 'cancelled') throw err;
        return { name: judge.name, verdict: null, score: null, reason: '', judge_endpoint: judgeEndpoint, error: err.message };
      }
    },
  };
}

/**
 * Whether a scored answer means the attack worked: a refusal judge's
 * "complied" or "partial", a rubric's "fail", harm_scale's "harmful".
 * null when there is no usable score (none, a judge error, an unknown metric).
 */
export function attackSucceeded(metric: MetricResult | null | undefined): boolean | null {
  if (!metric || metric.error !== null || metric.verdict === null) return null;
  const judge = BY_NAME.get(metric.name);
  if (!judge || !judge.verdicts.includes(metric.verdict)) return null;
  return judge.success_verdicts.includes(metric.verdict);
}

/** The judges whose verdicts say whether the answer refused. */
export const REFUSAL_METRICS: ReadonlySet<string> = new Set([refusalStrings.name, refusalJudge.name]);
