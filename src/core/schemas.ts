// The one source of truth for every shape that crosses a boundary: API
// bodies, stored records, endpoint configs. Types are z.infer of these, and
// the OpenAPI document is generated from them. Those the chat panel's webview
// checks too are in recordSchemas.ts (zod/mini), re-exported here.
import * as z from 'zod';
import { ENDPOINT_ID_PATTERN, SESSION_ID_PATTERN, slugify } from './ids';
import { MAX_SEED } from './random';
import { DEFAULT_NUM_OF_PREV_PROMPTS, MAX_PROMPT_CHARS } from './limits';
import { ATTACK_STATUSES, AttackSchema, ChatRecordSchema, MetricResultSchema } from './recordSchemas';

export { DEFAULT_NUM_OF_PREV_PROMPTS, MAX_PROMPT_CHARS };
export * from './recordSchemas';
/** add_previous_prompt compounds (each prepared prompt holds the earlier ones): past this, a prompt is not sent. */
export const MAX_PREPARED_PROMPT_CHARS = 1_000_000;
export const MAX_ENDPOINTS_PER_SESSION = 20;

/** absent, null and "" all mean "none" (Moonshot's web UI sends ""). */
const optionalName = z
  .union([z.string().max(200), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()));

export const SessionIdSchema = z.string().max(200).regex(SESSION_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]*$');
export const EndpointIdSchema = z
  .string()
  .max(200)
  .regex(ENDPOINT_ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]*$')
  .refine((id) => !id.includes('..'), 'must not contain ".."');

export const ChatHistorySchema = z.record(z.string(), z.array(ChatRecordSchema));
export type ChatHistory = z.infer<typeof ChatHistorySchema>;

export const SessionMetadataSchema = z
  .object({
    session_id: z.string(),
    name: z.string(),
    description: z.string(),
    created_epoch: z.number(),
    created_datetime: z.string(),
    chat_ids: z.array(z.string()),
    endpoints: z.array(z.string()),
    prompt_template: z.string().nullable(),
    context_strategy: z.string().nullable(),
    filename: z.null(),
    chat_history: ChatHistorySchema.nullable(),
  })
  .meta({ id: 'SessionMetadata' });
export type SessionMetadata = z.infer<typeof SessionMetadataSchema>;

/** The judge that scores every new record of a session (PUT .../metrics/{name}), as session.json keeps it. */
export const SessionJudgeSchema = z
  .object({
    name: z.string(),
    judge_endpoint: z.string().nullable(),
    options: z.record(z.string(), z.unknown()).meta({ description: "The judge's options with defaults filled in." }),
  })
  .meta({ id: 'SessionJudge' });
export type SessionJudge = z.infer<typeof SessionJudgeSchema>;

/** What session.json holds: the metadata without history, plus settings. */
export const StoredSessionSchema = SessionMetadataSchema.omit({ chat_history: true }).extend({
  num_of_prev_prompts: z.number().int().positive().default(DEFAULT_NUM_OF_PREV_PROMPTS),
  /** Files written before judges existed have none. */
  metric: SessionJudgeSchema.nullable().default(null),
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;

/** A session or endpoint name: its slug becomes the id, so it needs a letter or digit. */
const nameField = z
  .string()
  .transform((s) => s.trim())
  .pipe(
    z.string().min(1, { message: 'must not be empty', abort: true }).max(100, { message: 'must be at most 100 characters', abort: true }),
  )
  .refine((s) => slugify(s) !== '', 'must contain at least one letter or digit');

export const CreateSessionBodySchema = z
  .object({
    name: nameField,
    description: z.string().max(1000, 'must be at most 1000 characters').default(''),
    endpoints: z
      .array(z.string().min(1))
      .min(1, 'must name at least one endpoint')
      .max(MAX_ENDPOINTS_PER_SESSION, `must name at most ${MAX_ENDPOINTS_PER_SESSION} endpoints`)
      .refine((a) => new Set(a).size === a.length, 'must not repeat an endpoint'),
    prompt_template: optionalName,
    context_strategy: optionalName,
  })
  .meta({ id: 'CreateSessionBody' });
export type CreateSessionBody = z.input<typeof CreateSessionBodySchema>;

export const PromptBodySchema = z
  .object({
    prompt: z
      .string()
      .min(1, { message: 'must not be empty', abort: true })
      .max(MAX_PROMPT_CHARS, { message: `must be at most ${MAX_PROMPT_CHARS} characters`, abort: true })
      .refine((s) => s.trim() !== '', 'must not be only white space'),
  })
  .meta({ id: 'PromptBody' });

/** Numbers as Moonshot's web UI sends them: numbers or numeric strings. */
const positiveNumber = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v),
  z.number().positive('must be greater than 0'),
);
/** `params` as an object, or "" meaning {}. */
const paramsField = z.preprocess((v) => (v === '' || v === null ? {} : v), z.record(z.string(), z.unknown()));

/** A Moonshot `connectors-endpoints/*.json` file, loaded unchanged. */
export const EndpointFileSchema = z.looseObject({
  name: z.string().min(1),
  connector_type: z.string().min(1),
  uri: z.string().default(''),
  token: z.string().nullable().default(''),
  max_calls_per_second: positiveNumber.default(1),
  max_concurrency: positiveNumber.default(1),
  model: z.string().default(''),
  params: paramsField.default({}),
});
export type EndpointFile = z.infer<typeof EndpointFileSchema>;

export const CreateEndpointBodySchema = z
  .object({
    name: nameField,
    connector_type: z.string().min(1),
    uri: z.string().default(''),
    token: z.string().default(''),
    max_calls_per_second: positiveNumber.default(1),
    max_concurrency: positiveNumber.default(1),
    model: z.string().optional(),
    params: paramsField.default({}),
  })
  .meta({ id: 'CreateEndpointBody' });
export type CreateEndpointBody = z.input<typeof CreateEndpointBodySchema>;

export const UpdateEndpointBodySchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    connector_type: z.string().min(1).optional(),
    uri: z.string().optional(),
    token: z.string().optional(),
    max_calls_per_second: positiveNumber.optional(),
    max_concurrency: positiveNumber.optional(),
    model: z.string().optional(),
    params: paramsField.optional(),
  })
  .meta({ id: 'UpdateEndpointBody' });
export type UpdateEndpointBody = z.input<typeof UpdateEndpointBodySchema>;

export const EndpointViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    connector_type: z.string(),
    uri: z.string(),
    token: z.string().meta({ description: 'Redacted: "****" when a token is set, "" when none.' }),
    max_calls_per_second: z.number(),
    max_concurrency: z.number(),
    model: z.string(),
    params: z.record(z.string(), z.unknown()),
    created_date: z.string(),
    supported: z.boolean(),
    unsupported_reason: z.string().optional(),
  })
  .meta({ id: 'Endpoint' });
export type EndpointView = z.infer<typeof EndpointViewSchema>;

/** A Moonshot `prompt-templates/*.json` file. */
export const PromptTemplateSchema = z
  .looseObject({
    name: z.string().min(1),
    description: z.string().default(''),
    template: z.string(),
  })
  .meta({ id: 'PromptTemplate' });
export type PromptTemplate = z.infer<typeof PromptTemplateSchema>;

export const ContextStrategyInfoSchema = z
  .object({ name: z.string(), description: z.string() })
  .meta({ id: 'ContextStrategy' });

export const ErrorBodySchema = z
  .object({
    detail: z.string(),
    error: z
      .array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() }))
      .optional(),
  })
  .meta({ id: 'Error' });

export const SuccessBodySchema = z.object({ success: z.literal(true) }).meta({ id: 'Success' });

export const BooleanQuerySchema = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
export const HistoryQuerySchema = z.enum(['new', 'all']);
export const NumOfPrevPromptsQuerySchema = z.coerce.number().int().positive().max(1000);

// ---- Red-teaming: attacks, judges (metrics), summaries, bookmarks ----

/** Modules one attack may chain. */
export const MAX_ATTACK_CHAIN = 5;
/** Variants one attack run may make in all (a chain's counts multiply; the list is cut here). */
export const MAX_ATTACK_VARIANTS = 100;

export const CreateAttackBodySchema = z
  .object({
    attack_modules: z
      .array(z.string().min(1).max(500))
      .min(1, 'must name at least one attack module')
      .meta({ description: 'A chain applied in order ("a+b" in one item is the same as two items).' }),
    prompt: PromptBodySchema.shape.prompt.optional(),
    topic: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(1000, 'must be at most 1000 characters')
      .optional()
      .meta({ description: 'For malicious_question_generator: what the questions are about (else the prompt).' }),
    seed: z.number().int().min(0).max(MAX_SEED).optional().meta({ description: 'Seed of every random choice (default 0).' }),
    num_variants: z
      .number()
      .int()
      .min(1)
      .max(MAX_ATTACK_VARIANTS)
      .optional()
      .meta({ description: "Variants per module, for modules that make several (default: each module's own)." }),
    attacker_endpoint: EndpointIdSchema.optional().meta({
      description: 'The endpoint that plays the attacker, for modules that need a model.',
    }),
    options: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: 'Options per module of the chain, by module name (see GET /v1/attack_modules).' }),
  })
  .meta({ id: 'CreateAttackBody' });
export type CreateAttackBody = z.input<typeof CreateAttackBodySchema>;

export const AttackModuleInfoSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    needs_model: z.boolean(),
    options: z.record(z.string(), z.unknown()).meta({ description: 'Each option as a JSON Schema (type, default, bounds, description).' }),
  })
  .meta({ id: 'AttackModule' });
export type AttackModuleInfo = z.infer<typeof AttackModuleInfoSchema>;

export const MetricInfoSchema = z
  .object({ name: z.string(), description: z.string(), needs_model: z.boolean() })
  .meta({ id: 'Metric' });
export type MetricInfo = z.infer<typeof MetricInfoSchema>;


/** "", absent and null all mean none, as Moonshot's web UI sends them. */
const optionalText = z
  .union([z.string().max(500), z.null()])
  .optional()
  .transform((v) => v ?? '');

export const BookmarkSchema = z
  .object({
    name: z.string(),
    prompt: z.string(),
    prepared_prompt: z.string(),
    response: z.string(),
    context_strategy: z.string(),
    prompt_template: z.string(),
    attack_module: z.string(),
    metric: z.string(),
    bookmark_time: z.string().meta({ description: 'Local time it was made, YYYY-MM-DD HH:MM:SS (Moonshot\'s format).' }),
  })
  .meta({ id: 'Bookmark' });
export type Bookmark = z.infer<typeof BookmarkSchema>;

/** Longest prepared prompt or response a bookmark keeps (a prepared prompt may be long; the body limit is 1 MiB). */
export const MAX_BOOKMARK_TEXT = 1_000_000;

export const CreateBookmarkBodySchema = z
  .object({
    name: z
      .string()
      .transform((s) => s.trim())
      .pipe(z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters')),
    prompt: z.string().min(1, 'must not be empty').max(MAX_BOOKMARK_TEXT),
    prepared_prompt: z.string().min(1, 'must not be empty').max(MAX_BOOKMARK_TEXT),
    response: z.string().max(MAX_BOOKMARK_TEXT).meta({ description: 'May be "" (an empty answer is a finding too).' }),
    context_strategy: optionalText,
    prompt_template: optionalText,
    attack_module: optionalText,
    metric: z
      .union([z.string().max(10_000), z.null()])
      .optional()
      .transform((v) => v ?? '')
      .meta({ description: 'Free text about the score, e.g. "refusal_judge: refused".' }),
    bookmark_time: z.unknown().optional().meta({ description: 'Ignored: the time is set when the bookmark is made (as Moonshot).' }),
  })
  .meta({ id: 'CreateBookmarkBody' });
export type CreateBookmarkBody = z.input<typeof CreateBookmarkBodySchema>;

/** Which judge scores records, and how (PUT .../metrics/{name}, POST .../score). */
export const JudgeRequestSchema = z
  .object({
    metric: z.string().min(1).max(200),
    judge_endpoint: EndpointIdSchema.nullable()
      .optional()
      .meta({ description: 'The endpoint that plays the judge, for judges that need a model.' }),
    options: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "The judge's options (rubric_judge: rubric; harm_scale: threshold)." }),
  })
  .meta({ id: 'JudgeRequest' });
export type JudgeRequest = z.input<typeof JudgeRequestSchema>;

/** One line of `<chat_id>.scores.jsonl`: a score of one record, appended (a later line for a record wins). */
export const RecordScoreSchema = z.object({
  chat_record_id: z.number().int().positive(),
  metric: MetricResultSchema,
});
export type RecordScore = z.infer<typeof RecordScoreSchema>;

/** PUT /v1/sessions/{id}/metrics/{name}: the judge's options (the name and judge endpoint are in the path and query). */
export const SetMetricBodySchema = z
  .object({
    options: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "The judge's options (rubric_judge: rubric; harm_scale: threshold)." }),
  })
  .meta({ id: 'SetMetricBody' });

/** POST /v1/sessions/{id}/score. */
export const ScoreBodySchema = JudgeRequestSchema.extend({
  chat_ids: z
    .array(z.string().min(1).max(200))
    .min(1, 'must name at least one chat')
    .optional()
    .meta({ description: 'The chats whose records are scored (default: every chat of the session).' }),
}).meta({ id: 'ScoreBody' });
export type ScoreBody = z.input<typeof ScoreBodySchema>;

export const ScoreAcceptedSchema = z
  .object({
    metric: z.string(),
    judge_endpoint: z.string().nullable(),
    records: z
      .number()
      .int()
      .meta({ description: 'How many records will be scored (those whose call worked); each score arrives as a `score` event.' }),
  })
  .meta({ id: 'ScoreAccepted' });
export type ScoreAccepted = z.infer<typeof ScoreAcceptedSchema>;

export const AttackIdSchema = z.string().max(200).regex(SESSION_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]*$');

export const AttackerCallSchema = z
  .object({
    attack_module: z.string(),
    messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })),
    answer: z.string().nullable(),
    error: z.string().nullable(),
    duration: z.number(),
  })
  .meta({ id: 'AttackerCall' });

export const AttackVariantSchema = z
  .object({
    index: z.number().int(),
    prompt: z.string(),
    prompt_id: z.string().meta({ description: 'The prompt_id of the records this variant made.' }),
  })
  .meta({ id: 'AttackVariant' });

export const AttackDetailSchema = z
  .object({
    attack: AttackSchema,
    variants: z.array(AttackVariantSchema),
    attacker_calls: z.array(AttackerCallSchema),
  })
  .meta({ id: 'AttackDetail' });
export type AttackDetail = z.infer<typeof AttackDetailSchema>;

// Datasets and their runs (see docs/datasets.md).

export const DATASET_FORMATS = [
  'moonshot-json',
  'moonshot-csv',
  'promptfoo-csv',
  'promptfoo-yaml',
  'promptfoo-json',
  'promptfoo-jsonl',
  'harmbench-csv',
  'advbench-csv',
  'jsonl',
  'json',
  'text',
] as const;
export const DatasetFormatSchema = z
  .enum(DATASET_FORMATS)
  .meta({ id: 'DatasetFormat', description: 'The reader a dataset file is read with, detected from its extension and content.' });
export type DatasetFormat = z.infer<typeof DatasetFormatSchema>;

/** A dataset file in a configured folder, as GET /v1/datasets lists it. */
export const DatasetEntrySchema = z
  .object({
    name: z.string().meta({ description: 'The file name without its extension: what a run names.' }),
    format: DatasetFormatSchema.nullable().meta({ description: 'null when the file cannot be read (see problem).' }),
    rows: z.number().int().min(0).optional().meta({ description: 'Counted for files small enough to read while listing.' }),
    problem: z.string().optional().meta({ description: 'Why the file cannot be used, when it cannot.' }),
  })
  .meta({ id: 'Dataset' });
export type DatasetEntry = z.infer<typeof DatasetEntrySchema>;

/** A row given inline (POST /v1/runs `rows`); `id` is made from its content when absent, as for a file. */
export const DatasetRowInputSchema = z
  .object({
    id: z.string().min(1).max(200).optional(),
    input: z.string().min(1, 'must not be empty').max(MAX_PROMPT_CHARS),
    target: z.string().optional(),
    category: z.string().max(200).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'DatasetRow' });
export type DatasetRowInput = z.input<typeof DatasetRowInputSchema>;

/** One answer of a run: a dataset row sent to one endpoint (through one attack variant), with its verdict. */
export const RunResultRowSchema = z
  .object({
    row_id: z.string(),
    input: z.string().meta({ description: "The row's prompt, before any attack." }),
    target: z.string().nullable().optional(),
    category: z.string().nullable().optional(),
    endpoint: z.string(),
    attack_module: z.string().meta({ description: '"" when the row was sent as it is; else the chain, "a+b".' }),
    variant: z.number().int().min(0).optional().meta({ description: "Which of the attack's variants, from 0 (0 with no attack)." }),
    prompt: z.string().meta({ description: 'The prompt as sent (the attack variant).' }),
    response: z.string(),
    error: z.string().nullable().meta({ description: 'Why the call failed, or null.' }),
    metric: z.string().nullable().optional().meta({ description: 'The judge that gave the verdict.' }),
    verdict: z.string().nullable().optional(),
    score: z.number().nullable().optional(),
    duration: z.number().min(0).meta({ description: 'Seconds the endpoint took.' }),
    chat_record_id: z.number().int().positive().nullable().optional().meta({ description: "The answer's record in the session's chat." }),
    turns: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "An attacker loop's result: the turns it took (the result is the last turn's answer)." }),
    stop_reason: z
      .string()
      .optional()
      .meta({ description: "An attacker loop's result: why it stopped (goal_reached, max_turns, refused, error, cancelled)." }),
  })
  .meta({ id: 'RunResultRow' });
export type RunResultRow = z.infer<typeof RunResultRowSchema>;

// Dataset runs (see docs/runs.md).

/** Rows a run may be given inline (POST /v1/runs `rows`); a larger set belongs in a dataset file. */
export const MAX_INLINE_ROWS = 10_000;
/** Turns an attacker loop may take per row and chat. */
export const MAX_LOOP_TURNS = 50;

export const RunIdSchema = z.string().max(200).regex(SESSION_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9_-]*$');

export const RunLoopRequestSchema = z
  .object({
    name: z.string().min(1).max(200).meta({ description: 'iterative_jailbreak, crescendo or violent_durian (GET /v1/loops).' }),
    max_turns: z
      .number()
      .int()
      .min(1)
      .max(MAX_LOOP_TURNS)
      .default(5)
      .meta({ description: `Turns per row and endpoint, 1 to ${MAX_LOOP_TURNS} (default 5).` }),
  })
  .meta({ id: 'RunLoopRequest' });

export const CreateRunBodySchema = z
  .object({
    session_id: SessionIdSchema.meta({ description: "The session whose endpoints answer: the run's records are this session's." }),
    dataset: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'A dataset of the configured folders, by name (GET /v1/datasets). Give this or `rows`.' }),
    rows: z
      .array(DatasetRowInputSchema)
      .min(1, 'must hold at least one row')
      .max(MAX_INLINE_ROWS, `must hold at most ${MAX_INLINE_ROWS} rows (use a dataset file beyond that)`)
      .optional()
      .meta({ description: 'The rows themselves, instead of a dataset.' }),
    template: z
      .string()
      .min(1)
      .max(10_000)
      .optional()
      .meta({ description: 'Makes each row\'s prompt of its fields ("{{ ContextString }}\\n\\n{{ Behavior }}"); see docs/datasets.md.' }),
    attack_modules: z
      .array(z.string().min(1).max(500))
      .min(1, 'must name at least one attack module')
      .optional()
      .meta({ description: "A chain applied to every row's prompt; each variant goes to every endpoint." }),
    num_variants: z
      .number()
      .int()
      .min(1)
      .max(MAX_ATTACK_VARIANTS)
      .optional()
      .meta({ description: 'Variants per module, for modules that make several.' }),
    attack_options: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: 'Options per attack module, by module name (GET /v1/attack_modules).' }),
    metric: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'The judge that scores every answer of the run (GET /v1/metrics); loops stop when it says the attack worked.' }),
    judge_endpoint: EndpointIdSchema.optional().meta({ description: 'The endpoint that plays the judge, for judges that need a model.' }),
    judge_options: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "The judge's options (rubric_judge: rubric; harm_scale: threshold)." }),
    attacker_endpoint: EndpointIdSchema.optional().meta({
      description: 'The endpoint that plays the attacker: for a loop, and for attack modules that need a model.',
    }),
    loop: RunLoopRequestSchema.optional().meta({ description: 'An attacker loop over each row instead of sending it as it is.' }),
    sample: z
      .number()
      .min(0, 'must be a number from 0 to 1')
      .max(1, 'must be a number from 0 to 1')
      .optional()
      .meta({ description: 'The share of rows to send, picked by seed (default 1: all).' }),
    seed: z.number().int().min(0).max(MAX_SEED).optional().meta({ description: 'Seed of the sample and of the attacks (default 0).' }),
    only_unanswered: z
      .boolean()
      .optional()
      .meta({ description: 'Leave out rows that earlier runs on this session answered already (same attack or loop).' }),
  })
  .meta({ id: 'CreateRunBody' });
export type CreateRunBody = z.input<typeof CreateRunBodySchema>;

export const RunDatasetSchema = z
  .object({
    name: z.string().meta({ description: 'The dataset\'s name (its file stem), or "inline" for rows given in the request.' }),
    path: z.string().nullable().meta({ description: 'The file, or null for inline rows.' }),
    format: z.string().meta({ description: 'The reader (DatasetFormat), or "inline".' }),
    sha256: z
      .string()
      .meta({ description: "SHA-256 of the file's bytes (inline rows: of their JSON); a resume refuses a file that changed." }),
    rows: z.number().int().meta({ description: 'Rows in the dataset, before sampling.' }),
  })
  .meta({ id: 'RunDataset' });
export type RunDataset = z.infer<typeof RunDatasetSchema>;

export const RunSchema = z
  .object({
    run_id: z.string(),
    session_id: z.string(),
    status: z.enum(ATTACK_STATUSES).meta({
      description:
        'running; done (every row was answered); cancelled; failed (see error); interrupted (the process running it ended first: ' +
          'resume it).',
    }),
    dataset: RunDatasetSchema,
    endpoints: z.array(z.string()).meta({ description: "The session's endpoints, in the order of chat_ids." }),
    chat_ids: z.array(z.string()),
    attack_modules: z.array(z.string()).meta({ description: 'The attack chain, one module per item; [] when rows are sent as they are.' }),
    loop: z.object({ name: z.string(), max_turns: z.number().int() }).nullable(),
    metric: z.string().nullable(),
    judge_endpoint: z.string().nullable(),
    attacker_endpoint: z.string().nullable(),
    sample: z.number(),
    seed: z.number().int(),
    only_unanswered: z.boolean(),
    rows_total: z
      .number()
      .int()
      .meta({ description: 'Rows the run covers: the sample, less rows answered before it began (only_unanswered).' }),
    rows_done: z.number().int().meta({ description: 'Rows with every answer (each endpoint, each variant) and its score.' }),
    results: z.number().int().meta({ description: 'Records the run made in all (retries after a resume included).' }),
    errors: z.number().int().meta({ description: 'Records whose call failed.' }),
    rate: z.number().nullable().meta({ description: 'Rows per second while it ran in this process; null when unknown.' }),
    eta_seconds: z.number().nullable().meta({ description: 'Seconds left at that rate; null when unknown or not running.' }),
    started: z.string().meta({ description: 'When it started: ISO 8601, UTC.' }),
    ended: z.string().nullable().meta({ description: 'When it last ended (ISO 8601, UTC); null while it runs.' }),
    error: z.string().nullable(),
    resumes: z.number().int().meta({ description: 'How many times it was resumed.' }),
  })
  .meta({ id: 'Run' });
export type Run = z.infer<typeof RunSchema>;

const RateSchema = z
  .object({
    count: z.number().int(),
    of: z.number().int(),
    rate: z.number().nullable(),
    ci95: z.tuple([z.number(), z.number()]).nullable().meta({ description: '95% Wilson score interval; null when `of` is 0.' }),
  })
  .meta({ id: 'Rate' });

const GroupFiguresSchema = z.object({
  group: z.string(),
  results: z.number().int(),
  by_endpoint: z.array(z.object({ endpoint: z.string(), attack_success: RateSchema })),
});

export const RunSummarySchema = z
  .object({
    endpoints: z.array(
      z.object({
        endpoint: z.string(),
        results: z.number().int(),
        errors: z.number().int(),
        answers: z.number().int(),
        refusal: RateSchema,
        attack_success: RateSchema,
        pass: RateSchema,
        mean_seconds: z.number().nullable(),
        p50_seconds: z.number().nullable(),
        p95_seconds: z.number().nullable(),
      }),
    ),
    categories: z.array(GroupFiguresSchema),
    attacks: z.array(GroupFiguresSchema),
  })
  .meta({ id: 'RunSummary', description: "The figures of the run's results (see docs/datasets.md, Results)." });
export type RunSummary = z.infer<typeof RunSummarySchema>;

export const RunResultsPageSchema = z
  .object({
    results: z.array(RunResultRowSchema),
    offset: z.number().int(),
    limit: z.number().int(),
    total: z.number().int().meta({ description: 'Results in all.' }),
  })
  .meta({ id: 'RunResultsPage' });

export const LoopInfoSchema = z
  .object({ name: z.string(), description: z.string() })
  .meta({ id: 'Loop' });

export const RESULT_OUTCOMES = ['pass', 'fail', 'error'] as const;

export const BaselineComparisonSchema = z
  .object({
    fixed: z.number().int().meta({ description: 'Failed in the baseline, pass now.' }),
    broken: z.number().int().meta({ description: 'Passed in the baseline, fail now: the model got easier to break.' }),
    other: z.number().int().meta({ description: 'A failed call on either side.' }),
    unchanged: z.number().int(),
    added: z.number().int().meta({ description: 'Results only in this run.' }),
    removed: z.number().int().meta({ description: 'Results only in the baseline.' }),
    changes: z.array(
      z.object({
        kind: z.enum(['fixed', 'broken', 'other']),
        row_id: z.string(),
        endpoint: z.string(),
        attack_module: z.string(),
        variant: z.number().int(),
        input: z.string(),
        before: z.enum(RESULT_OUTCOMES),
        after: z.enum(RESULT_OUTCOMES),
        before_verdict: z.string().nullable(),
        after_verdict: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'BaselineComparison' });

export const ResultsOffsetQuerySchema = z.coerce.number().int().min(0);
export const MAX_RESULTS_PAGE = 1000;
export const ResultsLimitQuerySchema = z.coerce.number().int().min(1).max(MAX_RESULTS_PAGE);
