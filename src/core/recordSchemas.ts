// The shapes the chat panel's webview checks too (records, scores, summaries,
// attacks), written with zod/mini: the same zod, without the method chains
// that would put all of classic zod into the webview's bundle. The host uses
// these very schemas (schemas.ts re-exports them, the OpenAPI document
// describes them), so there is one definition of each.
import * as z from 'zod/mini';

/** What classic zod's .meta() does, for zod/mini: a description or id for the OpenAPI document. */
function meta<T extends z.ZodMiniType>(schema: T, data: z.core.GlobalMeta): T {
  z.globalRegistry.add(schema, data);
  return schema;
}

/** `z.number().int()` of classic zod. */
const integer = () => z.number().check(z.int());

/** A record's score by one judge; a judge that failed leaves verdict and score null and says why in `error`. */
export const MetricResultSchema = meta(
  z.object({
    name: z.string(),
    verdict: z.nullable(z.string()),
    score: z.nullable(z.number().check(z.minimum(0), z.maximum(1))),
    reason: z.string(),
    judge_endpoint: z.nullable(z.string()),
    error: z.nullable(z.string()),
  }),
  { id: 'MetricResult' },
);
export type MetricResult = z.infer<typeof MetricResultSchema>;

/**
 * One line of a chat file: the record as stored (scores are stored beside
 * it, never in it). Loose: a field a newer version adds to stored records
 * survives this version's reads and exports.
 */
export const StoredChatRecordSchema = z.looseObject({
  chat_record_id: integer().check(z.positive()),
  conn_id: z.string(),
  context_strategy: z.string(),
  prompt_template: z.string(),
  prompt: z.string(),
  prepared_prompt: z.string(),
  predicted_result: z.string(),
  duration: meta(z.string(), { description: 'Seconds the endpoint took, e.g. "0.412 secs".' }),
  prompt_time: meta(z.string(), { description: 'Local time the prompt was sent, MM/DD/YYYY, HH:MM:SS.' }),
  error: meta(z.nullable(z.string()), { description: 'Why the call failed, or null when it worked.' }),
  usage: meta(z.optional(z.nullable(z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }))), {
    description: "Token usage when the model reported it (an addition to Moonshot's web API).",
  }),
  prompt_id: meta(z.optional(z.string()), {
    description:
      'The prompt this record answers: every record one prompt made (one per chat) shares it, and a retry in one chat carries the id of ' +
        'the prompt it retries. Absent on records written before it existed.',
  }),
  attack_module: meta(z._default(z.string(), ''), {
    description:
      'The attack chain that made the prompt ("charswap_attack+base64"); "" for a prompt that no attack made (and for records written ' +
        'before the field existed).',
  }),
  original_prompt: meta(z.optional(z.string()), {
    description: "An attack's record only: what the attack started from (the prompt, or a generator's topic).",
  }),
  run_id: meta(z.optional(z.string()), { description: 'A dataset run\'s record only: the run that sent it (GET /v1/runs/{run_id}).' }),
  row_id: meta(z.optional(z.string()), { description: "A dataset run's record only: the dataset row it answers." }),
  variant: meta(z.optional(integer().check(z.minimum(0))), {
    description: "A dataset run with attack modules: which of the row's attack variants was sent, from 0.",
  }),
  turn: meta(z.optional(integer().check(z.positive())), { description: "An attacker loop's record only: the loop's turn, from 1." }),
});
export type StoredChatRecord = z.infer<typeof StoredChatRecordSchema>;

/** A record as the API and the UI get it: the stored record with its latest score. */
export const ChatRecordSchema = meta(
  z.extend(StoredChatRecordSchema, {
    metric: meta(z._default(z.nullable(MetricResultSchema), null), {
      description:
        "The record's latest score by a judge (the session's judge, or one asked for with POST .../score); null when it has none.",
    }),
  }),
  { id: 'ChatRecord' },
);
export type ChatRecord = z.infer<typeof ChatRecordSchema>;

export const TokenTotalsSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });

export const ChatSummarySchema = meta(
  z.object({
    endpoint: z.string(),
    answers: meta(integer(), { description: 'Records whose call worked (error null).' }),
    errors: meta(integer(), { description: 'Records whose call failed.' }),
    refusals: meta(integer(), { description: 'Answers judged refused.' }),
    attack_answers: meta(integer(), { description: 'Answers to attack prompts (attack_module not ""): the n of the attack success rate.' }),
    attack_success_rate: meta(z.nullable(z.number()), { description: 'Successful attacks / attack answers; null with no attack answers.' }),
    asr_ci95: meta(z.nullable(z.tuple([z.number(), z.number()])), {
      description: '95% Wilson score interval of the rate; null with no attack answers.',
    }),
    mean_duration: meta(z.nullable(z.number()), { description: 'Mean seconds per answer; null with none.' }),
    tokens: TokenTotalsSchema,
  }),
  { id: 'ChatSummary' },
);
export type ChatSummary = z.infer<typeof ChatSummarySchema>;

export const SessionSummarySchema = meta(z.record(z.string(), ChatSummarySchema), { id: 'SessionSummary', description: 'By chat id.' });
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const ATTACK_STATUSES = ['running', 'done', 'cancelled', 'failed', 'interrupted'] as const;
export type AttackStatus = (typeof ATTACK_STATUSES)[number];

export const AttackSchema = meta(
  z.object({
    attack_id: z.string(),
    session_id: z.string(),
    attack_modules: meta(z.array(z.string()), { description: 'The chain, one module name per item, in order.' }),
    status: meta(z.enum(ATTACK_STATUSES), {
      description:
        'running; done (every variant was sent to every chat); cancelled; failed (see error); interrupted (the process running it ended ' +
          'first).',
    }),
    done: meta(integer(), { description: 'Records made so far: one per variant and chat.' }),
    total: meta(integer(), {
      description: 'Variants x chats; 0 until the variants are made (an attacker model may still be writing them).',
    }),
    started: meta(z.string(), { description: 'When it started: ISO 8601, UTC.' }),
    ended: meta(z.nullable(z.string()), { description: 'When it ended (ISO 8601, UTC); null while it runs.' }),
    error: meta(z.nullable(z.string()), { description: 'Why it failed or was interrupted; null otherwise.' }),
    original_prompt: meta(z.string(), { description: 'What the attack started from: the prompt, or the topic of a generator.' }),
    attacker_endpoint: z.nullable(z.string()),
    attacker_calls: meta(integer(), {
      description: 'Calls made to the attacker model (GET .../attacks/{id}?detail=true shows them).',
    }),
    variants: meta(integer(), { description: 'Variants made (0 until they are made).' }),
    truncated: meta(z.boolean(), { description: 'Whether the chain made more than 100 variants and the list was cut.' }),
  }),
  { id: 'Attack' },
);
export type Attack = z.infer<typeof AttackSchema>;
