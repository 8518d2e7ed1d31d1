// The messages between the chat panel's host (extension) and its webview.
// One zod discriminated union per direction; each side parses what arrives
// with safeParse and drops what does not fit, because a webview is a
// separate, less trusted context. zod/mini, like the record schemas, so the
// webview's bundle does not carry classic zod. A webview request that wants an answer
// carries a `requestId`; the host answers it with exactly one `reply`.
import * as z from 'zod/mini';
import { MAX_PROMPT_CHARS } from '../core/limits';
import { AttackSchema, ChatRecordSchema, MetricResultSchema, SessionSummarySchema } from '../core/recordSchemas';

export const ColumnSchema = z.object({
  chatId: z.string(),
  endpointId: z.string(),
  endpointName: z.string(),
  model: z.string(),
  /** The endpoint is no longer configured: the history shows, new prompts fail. */
  missing: z.boolean(),
});
export type Column = z.infer<typeof ColumnSchema>;

/** The judge that scores every new record of the session (its chip in the header). */
export const JudgeInfoSchema = z.object({ name: z.string(), judgeEndpoint: z.nullable(z.string()) });
export type JudgeInfo = z.infer<typeof JudgeInfoSchema>;

export const SessionInfoSchema = z.object({
  sessionId: z.string(),
  name: z.string(),
  description: z.string(),
  promptTemplate: z.nullable(z.string()),
  contextStrategy: z.nullable(z.string()),
  /** How many earlier prompts the context strategy uses (num_of_prev_prompts). */
  numOfPrevPrompts: z.number().check(z.int(), z.positive()),
  judge: z.nullable(JudgeInfoSchema),
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/**
 * One prompt and every chat's answers to it: the panel shows it as one row.
 * `cells[chatId]` holds that chat's attempts, oldest first (more than one
 * after a Retry); a chat the prompt was not sent to has no entry.
 */
export const PromptRowSchema = z.object({
  /** The prompt id, or for records written before prompt ids existed, a key made by the host. */
  key: z.string(),
  /** Null for those older records: they cannot be retried into the same row. */
  promptId: z.nullable(z.string()),
  prompt: z.string(),
  cells: z.record(z.string(), z.array(ChatRecordSchema)),
});
export type PromptRow = z.infer<typeof PromptRowSchema>;

/** A prompt accepted and not finished (SessionService.activePrompts()), as the webview needs it. */
export const ActivePromptSchema = z.object({
  promptId: z.string(),
  prompt: z.string(),
  chats: z.record(z.string(), z.object({ state: z.enum(['queued', 'running']), text: z.string() })),
});
export type ActivePromptView = z.infer<typeof ActivePromptSchema>;

/** A page of older rows, oldest first; rows the webview already has come again when they gained attempts. */
export const RowPageSchema = z.object({ rows: z.array(PromptRowSchema), hasMore: z.boolean() });
export type RowPage = z.infer<typeof RowPageSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    /** Counts the inits of this panel: a request made before the latest init is stale. */
    generation: z.number().check(z.int()),
    session: SessionInfoSchema,
    columns: z.array(ColumnSchema),
    /** The newest rows, oldest first; older ones come as replies to `loadOlder`. */
    rows: z.array(PromptRowSchema),
    hasMore: z.boolean(),
    active: z.array(ActivePromptSchema),
    /** Earlier prompts of this session, oldest first, for Up/Down recall. */
    promptHistory: z.array(z.string()),
    /** The attack running on the session, if any (its progress follows as `attack` messages). */
    attack: z.nullable(AttackSchema),
  }),
  z.object({
    type: z.literal('reply'),
    requestId: z.number().check(z.int()),
    outcome: z.discriminatedUnion('ok', [
      z.object({ ok: z.literal(true), page: RowPageSchema }),
      z.object({ ok: z.literal(false), error: z.string() }),
    ]),
  }),
  z.object({
    type: z.literal('promptStarted'),
    promptId: z.string(),
    prompt: z.string(),
    chatIds: z.array(z.string()),
    /** The prompt is an attack's variant: its row shows the module and the original prompt before any answer. */
    attack: z.optional(z.object({ module: z.string(), originalPrompt: z.string() })),
  }),
  z.object({ type: z.literal('chatQueued'), promptId: z.string(), chatId: z.string() }),
  z.object({ type: z.literal('chatStarted'), promptId: z.string(), chatId: z.string() }),
  z.object({ type: z.literal('delta'), promptId: z.string(), chatId: z.string(), text: z.string() }),
  z.object({ type: z.literal('record'), promptId: z.string(), chatId: z.string(), record: ChatRecordSchema }),
  z.object({ type: z.literal('promptFinished'), promptId: z.string() }),
  /** A record was scored by a judge: its badge shows the verdict. */
  z.object({
    type: z.literal('score'),
    chatId: z.string(),
    chatRecordId: z.number().check(z.int()),
    promptId: z.nullable(z.string()),
    metric: MetricResultSchema,
  }),
  /** Each chat's figures (answers, refusals, attack success ...), for the strip under its column title. */
  z.object({ type: z.literal('summary'), summary: SessionSummarySchema }),
  /** An attack on the session made progress or ended. */
  z.object({ type: z.literal('attack'), attack: AttackSchema }),
  /** Puts text in the prompt box (a bookmark's prompt), to edit and send. */
  z.object({ type: z.literal('setPrompt'), prompt: z.string() }),
  z.object({ type: z.literal('sessionUpdated'), session: SessionInfoSchema }),
  z.object({ type: z.literal('sessionDeleted') }),
  z.object({ type: z.literal('focusPrompt') }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), message: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;
export type InitMessage = Extract<HostMessage, { type: 'init' }>;
export type ReplyMessage = Extract<HostMessage, { type: 'reply' }>;

export const PanelCommandSchema = z.enum(['export', 'setTemplate', 'clearTemplate', 'setStrategy', 'clearStrategy', 'startAttack', 'setJudge', 'clearJudge', 'scoreRecords']);
export type PanelCommand = z.infer<typeof PanelCommandSchema>;

const promptText = z.string().check(z.minLength(1), z.maxLength(MAX_PROMPT_CHARS));

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('sendPrompt'), prompt: promptText }),
  /** Stops one chat's call in flight, or all of them when chatId is absent. */
  z.object({ type: z.literal('stop'), chatId: z.optional(z.string()) }),
  /** Re-sends a prompt to one chat only; with the prompt's id its answer joins that prompt's row. */
  z.object({ type: z.literal('retry'), chatId: z.string(), prompt: promptText, promptId: z.optional(z.string()) }),
  /** Asks for the page of rows before the oldest one shown; answered by a `reply` with this requestId. */
  z.object({ type: z.literal('loadOlder'), requestId: z.number().check(z.int()), generation: z.number().check(z.int()) }),
  z.object({ type: z.literal('copy'), text: z.string() }),
  /** `language` is a code block's fence language (e.g. "ts"); absent for a whole answer (Markdown). */
  z.object({ type: z.literal('insert'), text: z.string(), language: z.optional(z.string().check(z.maxLength(100))) }),
  z.object({ type: z.literal('openLink'), href: z.string() }),
  z.object({ type: z.literal('command'), command: PanelCommandSchema }),
  z.object({ type: z.literal('cancelAttack'), attackId: z.string() }),
  /** Keeps an answer as a bookmark (the host reads the record and asks for a name). */
  z.object({ type: z.literal('bookmark'), chatId: z.string(), chatRecordId: z.number().check(z.int()) }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

/** What the webview keeps across reloads (vscode.setState), and the serializer revives from. */
export const PanelStateSchema = z.object({
  sessionId: z.string(),
  layout: z._default(z.enum(['columns', 'stacked']), 'columns'),
  /** Per chat, the last record id hidden by "Clear view" (the history itself is untouched). */
  clearedThrough: z._default(z.record(z.string(), z.number()), {}),
});
export type PanelState = z.infer<typeof PanelStateSchema>;

/** Prompt rows per page: the first page and each older one. */
export const PAGE_ROWS = 50;
