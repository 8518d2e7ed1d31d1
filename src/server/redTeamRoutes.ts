// The red-teaming routes: attack modules and attack runs, judges (Moonshot's
// metrics) on a session and scores on demand, the session's summary, and
// bookmarks. Like every route they only translate; the rules are the core's.
import * as z from 'zod';
import type { Core } from '../core/openCore';
import { listAttackModules } from '../core/attacks';
import { ValidationError, invalidField, type FieldIssue } from '../core/errors';
import { listMetrics } from '../core/judges';
import {
  AttackDetailSchema,
  AttackIdSchema,
  AttackModuleInfoSchema,
  AttackSchema,
  BookmarkSchema,
  BooleanQuerySchema,
  CreateAttackBodySchema,
  CreateBookmarkBodySchema,
  EndpointIdSchema,
  MetricInfoSchema,
  ScoreAcceptedSchema,
  ScoreBodySchema,
  SessionJudgeSchema,
  SessionSummarySchema,
  SetMetricBodySchema,
  SuccessBodySchema,
} from '../core/schemas';
import { parseOrThrow } from '../core/validation';
import { accepted } from './reply';
import { nameParam, queryParam, sessionId, success } from './routeParams';
import type { RequestContext, Route } from './routes';

const attackId = (ctx: RequestContext) => parseOrThrow(AttackIdSchema, ctx.params.attack_id, ['path', 'attack_id']);
const bookmarkName = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

/**
 * Runs `fn` and reports its validation issues where the client wrote the
 * value: a judge request checked as a body says `body.judge_endpoint`, which
 * a PUT carries in its query.
 */
async function relocated<T>(fn: () => Promise<T>, moves: Record<string, (string | number)[]>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const issues: FieldIssue[] = err.issues.map((issue) => {
      const [where, field, ...rest] = issue.loc;
      const to = where === 'body' && typeof field === 'string' ? moves[field] : undefined;
      return to ? { ...issue, loc: [...to, ...rest] } : issue;
    });
    throw new ValidationError(err.message, issues);
  }
}

export function buildRedTeamRoutes(core: Core): Route[] {
  const { sessions, attacks, bookmarks } = core;
  return [
    {
      method: 'GET',
      path: '/v1/attack_modules',
      summary: 'The attack modules: what each does, whether it needs an attacker model, and its options (JSON Schema)',
      response: z.array(AttackModuleInfoSchema),
      handle: async () => listAttackModules(),
    },
    {
      method: 'GET',
      path: '/v1/metrics',
      summary: 'The judges (Moonshot: metrics) that score answers',
      response: z.array(MetricInfoSchema),
      handle: async () => listMetrics(),
    },
    {
      method: 'POST',
      path: '/v1/sessions/{session_id}/attacks',
      summary: 'Start an attack: its variants go to every endpoint of the session; progress comes as attack_progress events',
      body: CreateAttackBodySchema,
      status: 202,
      errors: { 404: 'No such session, attack module or attacker endpoint', 409: 'An attack is already running on the session' },
      response: z.object({ attack: AttackSchema }),
      handle: async (ctx) => accepted({ attack: await attacks.start(sessionId(ctx), ctx.body) }),
    },
    {
      method: 'GET',
      path: '/v1/sessions/{session_id}/attacks',
      summary: "The session's attacks, newest first",
      response: z.array(AttackSchema),
      handle: (ctx) => attacks.list(sessionId(ctx)),
    },
    {
      method: 'GET',
      path: '/v1/sessions/{session_id}/attacks/{attack_id}',
      summary: 'One attack; with ?detail=true also its variants and every call to the attacker model',
      query: [{ name: 'detail', schema: BooleanQuerySchema, description: 'true: {"attack", "variants", "attacker_calls"}' }],
      response: z.union([z.object({ attack: AttackSchema }), AttackDetailSchema]),
      handle: async (ctx) => {
        const id = sessionId(ctx);
        const attack = attackId(ctx);
        if (queryParam(ctx, 'detail', BooleanQuerySchema, false)) return attacks.detail(id, attack);
        return { attack: await attacks.get(id, attack) };
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/{session_id}/attacks/{attack_id}',
      summary: 'Cancel an attack: its queued and running calls stop (an attack that has ended is left as it is)',
      errors: { 409: 'The attack runs in another process' },
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await attacks.cancel(sessionId(ctx), attackId(ctx));
        return success;
      },
    },
    {
      method: 'GET',
      path: '/v1/sessions/{session_id}/metrics',
      summary: "The session's judge, which scores every new record, or null",
      response: z.object({ metric: SessionJudgeSchema.nullable() }),
      handle: async (ctx) => ({ metric: await sessions.judge(sessionId(ctx)) }),
    },
    {
      method: 'PUT',
      path: '/v1/sessions/{session_id}/metrics/{name}',
      summary: "Set the session's judge: every new record whose call worked is scored (score events). The body is optional",
      query: [
        {
          name: 'judge_endpoint',
          schema: EndpointIdSchema,
          description: 'The endpoint that plays the judge (required for judges that need a model)',
        },
      ],
      body: SetMetricBodySchema,
      errors: { 404: 'No such session, metric or judge endpoint' },
      response: SuccessBodySchema,
      handle: async (ctx) => {
        const id = sessionId(ctx);
        const metric = nameParam(ctx);
        const { options } = parseOrThrow(SetMetricBodySchema, ctx.body);
        const judgeEndpoint = ctx.query.get('judge_endpoint');
        const request = { metric, ...(judgeEndpoint !== null ? { judge_endpoint: judgeEndpoint } : {}), ...(options ? { options } : {}) };
        await relocated(() => sessions.setJudge(id, request), { judge_endpoint: ['query', 'judge_endpoint'], metric: ['path', 'name'] });
        return success;
      },
    },
    {
      method: 'DELETE',
      path: '/v1/sessions/{session_id}/metrics/{name}',
      summary: "Clear the session's judge (if it is this one)",
      response: SuccessBodySchema,
      handle: async (ctx) => {
        await sessions.clearJudge(sessionId(ctx), nameParam(ctx));
        return success;
      },
    },
    {
      method: 'POST',
      path: '/v1/sessions/{session_id}/score',
      summary: 'Score existing records (those whose call worked) with a judge, in the background: each score is a score event',
      body: ScoreBodySchema,
      status: 202,
      errors: { 404: 'No such session, metric or judge endpoint' },
      response: ScoreAcceptedSchema,
      handle: async (ctx) => accepted(await sessions.scoreRecords(sessionId(ctx), ctx.body)),
    },
    {
      method: 'GET',
      path: '/v1/sessions/{session_id}/summary',
      summary: 'Per chat: answers, errors, refusals, attack success rate with its 95% interval, mean duration, tokens',
      response: SessionSummarySchema,
      handle: (ctx) => sessions.summary(sessionId(ctx)),
    },
    {
      method: 'GET',
      path: '/v1/bookmarks',
      summary: 'Every bookmark, oldest first; with ?name= the one of that name',
      query: [{ name: 'name', schema: bookmarkName, description: 'The bookmark to get: answers {"bookmark": Bookmark}' }],
      errors: { 404: 'No bookmark of that name' },
      response: z.union([z.array(BookmarkSchema), z.object({ bookmark: BookmarkSchema })]),
      handle: async (ctx) => {
        const name = queryParam(ctx, 'name', bookmarkName, undefined);
        return name === undefined ? bookmarks.list() : { bookmark: await bookmarks.get(name) };
      },
    },
    {
      method: 'POST',
      path: '/v1/bookmarks',
      summary: 'Keep an answer as a bookmark (bookmark_time is set now)',
      body: CreateBookmarkBodySchema,
      errors: { 409: 'A bookmark of that name exists' },
      response: z.object({ bookmark: BookmarkSchema }),
      handle: async (ctx) => ({ bookmark: await bookmarks.create(ctx.body) }),
    },
    {
      method: 'DELETE',
      path: '/v1/bookmarks',
      summary: 'Delete the bookmark ?name=, or every bookmark with ?all=true',
      query: [
        { name: 'name', schema: bookmarkName, description: 'The bookmark to delete' },
        { name: 'all', schema: BooleanQuerySchema, description: 'true: delete every bookmark' },
      ],
      errors: { 404: 'No bookmark of that name' },
      response: SuccessBodySchema,
      handle: async (ctx) => {
        const name = queryParam(ctx, 'name', bookmarkName, undefined);
        const all = queryParam(ctx, 'all', BooleanQuerySchema, false);
        if (name !== undefined && all) throw invalidField(['query'], 'give ?name= or ?all=true, not both');
        if (name !== undefined) await bookmarks.delete(name);
        else if (all) await bookmarks.deleteAll();
        else throw invalidField(['query'], 'say which bookmarks to delete: ?name=<name>, or ?all=true for every one');
        return success;
      },
    },
    {
      method: 'GET',
      path: '/v1/bookmarks/export',
      summary: "Every bookmark, in Moonshot's export shape",
      response: z.object({ bookmarks: z.array(BookmarkSchema) }),
      handle: () => bookmarks.export(),
    },
  ];
}
