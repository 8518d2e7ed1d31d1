// The dataset run routes: datasets of the configured folders, attacker
// loops, runs (start, list, one with its summary figures, its results by
// page, a comparison with another run, cancel, resume). Like every route
// they only translate; the rules are the core's (src/core/runs).
import * as z from 'zod';
import type { Core } from '../core/openCore';
import type { ResultFigures } from '../core/datasets/results';
import { listLoops } from '../core/runs';
import {
  BaselineComparisonSchema,
  CreateRunBodySchema,
  DatasetEntrySchema,
  LoopInfoSchema,
  ResultsLimitQuerySchema,
  ResultsOffsetQuerySchema,
  RunIdSchema,
  RunResultsPageSchema,
  RunSchema,
  RunSummarySchema,
  SessionIdSchema,
  type RunSummary,
} from '../core/schemas';
import { parseOrThrow } from '../core/validation';
import { accepted } from './reply';
import { queryParam } from './routeParams';
import type { RequestContext, Route } from './routes';

const runId = (ctx: RequestContext) => parseOrThrow(RunIdSchema, ctx.params.run_id, ['path', 'run_id']);

/** The figures in the API's words (snake_case), without the list of every duration. */
export function summaryOf(figures: ResultFigures): RunSummary {
  const groups = (list: ResultFigures['categories']) =>
    list.map((g) => ({
      group: g.group,
      results: g.results,
      by_endpoint: g.byEndpoint.map((b) => ({ endpoint: b.endpoint, attack_success: b.attackSuccess })),
    }));
  return {
    endpoints: figures.endpoints.map((e) => ({
      endpoint: e.endpoint,
      results: e.results,
      errors: e.errors,
      answers: e.answers,
      refusal: e.refusal,
      attack_success: e.attackSuccess,
      pass: e.pass,
      mean_seconds: e.meanSeconds,
      p50_seconds: e.p50Seconds,
      p95_seconds: e.p95Seconds,
    })),
    categories: groups(figures.categories),
    attacks: groups(figures.attacks),
  };
}

export function buildRunRoutes(core: Core): Route[] {
  const { runs } = core;
  return [
    {
      method: 'GET',
      path: '/v1/datasets',
      summary:
        'The datasets of the configured dataset folders: name, format, rows (counted for files up to 4 MiB), and why one cannot be used',
      response: z.array(DatasetEntrySchema),
      handle: async () => (await runs.datasets()).datasets.map(({ path: _path, ...entry }) => entry),
    },
    {
      method: 'GET',
      path: '/v1/loops',
      summary: 'The attacker loops a run can use (loop.name)',
      response: z.array(LoopInfoSchema),
      handle: async () => listLoops(),
    },
    {
      method: 'POST',
      path: '/v1/runs',
      summary: 'Start a dataset run on a session: every row (or a sample) to every endpoint; progress comes as run_progress events',
      body: CreateRunBodySchema,
      status: 202,
      errors: { 404: 'No such session, dataset, attack module, metric, loop or endpoint', 409: 'A run is already going on the session' },
      response: z.object({ run: RunSchema }),
      handle: async (ctx) => accepted({ run: await runs.start(ctx.body) }),
    },
    {
      method: 'GET',
      path: '/v1/runs',
      summary: "Dataset runs, newest first; ?session_id= for one session's",
      query: [{ name: 'session_id', schema: SessionIdSchema, description: "Only this session's runs (404 when there is no such session)" }],
      response: z.array(RunSchema),
      handle: async (ctx) => {
        const sessionId = queryParam(ctx, 'session_id', SessionIdSchema, undefined);
        return runs.list(sessionId === undefined ? {} : { sessionId });
      },
    },
    {
      method: 'GET',
      path: '/v1/runs/{run_id}',
      summary: 'One run, with the figures of its results so far (per endpoint, category and attack)',
      response: z.object({ run: RunSchema, summary: RunSummarySchema }),
      handle: async (ctx) => {
        const id = runId(ctx);
        const run = await runs.get(id);
        return { run, summary: summaryOf(await runs.summary(id)) };
      },
    },
    {
      method: 'GET',
      path: '/v1/runs/{run_id}/results',
      summary: "The run's results (RunResultRow: row x endpoint x attack variant, with verdicts), a page at a time, in row order",
      query: [
        { name: 'offset', schema: ResultsOffsetQuerySchema, description: 'The first result (default 0)' },
        { name: 'limit', schema: ResultsLimitQuerySchema, description: 'Results per page, 1 to 1000 (default 100)' },
      ],
      response: RunResultsPageSchema,
      handle: async (ctx) => {
        const id = runId(ctx);
        const offset = queryParam(ctx, 'offset', ResultsOffsetQuerySchema, 0);
        const limit = queryParam(ctx, 'limit', ResultsLimitQuerySchema, 100);
        return runs.resultsPage(id, offset, limit);
      },
    },
    {
      method: 'GET',
      path: '/v1/runs/{run_id}/compare',
      summary: 'The run against a baseline run: which results changed outcome (broken: passed before, fail now)',
      query: [{ name: 'baseline', schema: RunIdSchema, description: 'The run to compare with (required)' }],
      response: BaselineComparisonSchema,
      handle: async (ctx) => {
        const id = runId(ctx);
        const baseline = queryParam(ctx, 'baseline', RunIdSchema, undefined);
        if (baseline === undefined) parseOrThrow(RunIdSchema, undefined, ['query', 'baseline']);
        return runs.compare(id, baseline as string);
      },
    },
    {
      method: 'DELETE',
      path: '/v1/runs/{run_id}',
      summary: 'Cancel a run: no new row is sent and its calls in flight stop (a run that has ended is left as it is); answers the run',
      errors: { 409: 'The run is going on in another process' },
      response: z.object({ run: RunSchema }),
      handle: async (ctx) => ({ run: await runs.cancel(runId(ctx)) }),
    },
    {
      method: 'POST',
      path: '/v1/runs/{run_id}/resume',
      summary: 'Resume a run that is not going: only what has no answer yet is sent',
      status: 202,
      errors: { 409: 'The run is going on, another run is going on its session, or its dataset file changed' },
      response: z.object({ run: RunSchema }),
      handle: async (ctx) => accepted({ run: await runs.resume(runId(ctx)) }),
    },
  ];
}
