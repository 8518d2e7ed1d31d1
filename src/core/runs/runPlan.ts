// A run request checked and ready to go: everything a client can get wrong
// is found here, before anything is stored or sent, so the API can answer
// 422/404 at once and 202 after. The same check runs again on resume, from
// the request the manifest kept.
import { planAttack, type AttackPlan } from '../attacks';
import { findDataset } from '../datasets';
import type { EndpointRegistry } from '../endpoints';
import { invalidField, ValidationError, type FieldIssue } from '../errors';
import { planJudge, type JudgePlan } from '../judges';
import { CreateRunBodySchema, type DatasetRowInput, type SessionMetadata } from '../schemas';
import type { SessionService } from '../sessions';
import { parseOrThrow } from '../validation';
import { getLoop, type AttackerLoop } from './loops';
import type { RowSource } from './runSource';
import { windowSize } from './runWindow';

/** The request as a run's manifest keeps it (the rows of an inline run are kept beside it). */
export type RunRequest = Omit<ReturnType<typeof CreateRunBodySchema.parse>, 'rows'>;

/** The judge loops use when the request names none: refusal phrases, which need no model. */
export const DEFAULT_LOOP_METRIC = 'refusal_strings';

export interface RunAttack {
  /** The modules, one per item ("a+b" split). */
  modules: string[];
  chain: string;
  needsModel: boolean;
  /** The plan for one row's prompt. */
  planFor(input: string): AttackPlan;
}

export interface RunPlan {
  request: RunRequest;
  session: SessionMetadata;
  source: RowSource;
  attack: RunAttack | null;
  judge: JudgePlan | null;
  loop: { loop: AttackerLoop; maxTurns: number } | null;
  attackerEndpoint: string | null;
  sample: number;
  seed: number;
  onlyUnanswered: boolean;
  /** Prompts (or loops) in flight at once. */
  window: number;
  /** What records of this run carry as attack_module: the chain, the loop's name, or "". */
  attackModule: string;
}

export interface RunPlanContext {
  sessions: SessionService;
  endpoints: EndpointRegistry;
  datasetFolders: readonly string[];
}

export interface RunPlanOptions {
  /** A dataset file named by the caller itself (the CLI, a command of the editor) rather than by name from the folders. */
  datasetFile?: string;
}

/** Runs `check`, reporting its issues under the run's own field names (an attack's `options` are the run's `attack_options`). */
function renamed<T>(check: () => T, moves: Record<string, string>): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const issues: FieldIssue[] = err.issues.map((issue) => {
      const [where, field, ...rest] = issue.loc;
      const to = where === 'body' && typeof field === 'string' ? moves[field] : undefined;
      return to ? { ...issue, loc: ['body', to, ...rest] } : issue;
    });
    throw new ValidationError(err.message, issues);
  }
}

/**
 * Checks a run request (the body of POST /v1/runs): ValidationError naming
 * the field, NotFoundError for an unknown session, dataset, attack module,
 * metric, loop or endpoint.
 */
export async function planRun(body: unknown, context: RunPlanContext, options: RunPlanOptions = {}): Promise<RunPlan> {
  const parsed = parseOrThrow(CreateRunBodySchema, body);
  const { rows, ...request } = parsed;
  const session = await context.sessions.get(request.session_id);

  const given = [request.dataset !== undefined, rows !== undefined, options.datasetFile !== undefined].filter(Boolean).length;
  if (given === 0) throw invalidField(['body', 'dataset'], 'give a dataset (its name, GET /v1/datasets) or the rows themselves');
  if (given > 1) throw invalidField(['body', rows !== undefined ? 'rows' : 'dataset'], 'give a dataset or rows, not both');
  if (rows !== undefined && request.template !== undefined)
    throw invalidField(['body', 'template'], 'is only for dataset files (inline rows have their prompt in `input`)');
  let source: RowSource;
  if (rows !== undefined) source = { kind: 'inline', rows: rows as DatasetRowInput[] };
  else {
    const file = options.datasetFile ?? (await findDataset(context.datasetFolders, request.dataset as string));
    source = { kind: 'file', file, ...(request.template !== undefined ? { template: request.template } : {}) };
  }

  const attackerEndpoint = request.attacker_endpoint ?? null;
  if (request.loop && request.attack_modules)
    throw invalidField(['body', 'attack_modules'], 'cannot be combined with a loop: the loop writes the prompts');
  const loop = request.loop ? { loop: getLoop(request.loop.name), maxTurns: request.loop.max_turns } : null;
  if (loop && attackerEndpoint === null)
    throw invalidField(['body', 'attacker_endpoint'], `is required: the loop ${loop.loop.name} needs an attacker model`);

  let attack: RunAttack | null = null;
  if (request.attack_modules) {
    const attackBody = (input: string) => ({
      attack_modules: request.attack_modules,
      prompt: input,
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.num_variants !== undefined ? { num_variants: request.num_variants } : {}),
      ...(request.attack_options ? { options: request.attack_options } : {}),
      ...(attackerEndpoint !== null ? { attacker_endpoint: attackerEndpoint } : {}),
    });
    const planFor = (input: string) => renamed(() => planAttack(attackBody(input)), { options: 'attack_options', prompt: 'rows' });
    // Checked once now with a stand-in prompt: the modules, their options, the attacker endpoint.
    const probe = planFor('probe');
    attack = { modules: [...probe.modules], chain: probe.chain, needsModel: probe.needs_model, planFor };
  }

  const metric = request.metric ?? (loop ? DEFAULT_LOOP_METRIC : undefined);
  const judge =
    metric === undefined
      ? null
      : renamed(
        () =>
          planJudge({
            metric,
            ...(request.judge_endpoint !== undefined ? { judge_endpoint: request.judge_endpoint } : {}),
            ...(request.judge_options ? { options: request.judge_options } : {}),
          }),
        { options: 'judge_options' },
      );
  if (judge === null && (request.judge_endpoint !== undefined || request.judge_options !== undefined))
    throw invalidField(['body', 'metric'], 'is required with judge_endpoint or judge_options');
  context.sessions.checkModelEndpoint(judge?.judge_endpoint ?? null, ['body', 'judge_endpoint']);
  if (loop || attack?.needsModel) context.sessions.checkModelEndpoint(attackerEndpoint, ['body', 'attacker_endpoint']);

  const concurrencies = session.endpoints.map((id) => context.endpoints.get(id)?.config.max_concurrency ?? 1);
  return {
    request,
    session,
    source,
    attack,
    judge,
    loop,
    attackerEndpoint,
    sample: request.sample ?? 1,
    seed: request.seed ?? 0,
    onlyUnanswered: request.only_unanswered ?? false,
    window: windowSize(concurrencies),
    attackModule: attack?.chain ?? loop?.loop.name ?? '',
  };
}
