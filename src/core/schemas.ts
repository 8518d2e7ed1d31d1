// The one source of truth for every shape that crosses a boundary: API
// bodies, stored records, endpoint configs. Types are z.infer of these, and
// the OpenAPI document is generated from them.
import { z } from 'zod';
import { ENDPOINT_ID_PATTERN, SESSION_ID_PATTERN, slugify } from './ids';

export const MAX_PROMPT_CHARS = 100_000;
/** add_previous_prompt compounds (each prepared prompt holds the earlier ones): past this, a prompt is not sent. */
export const MAX_PREPARED_PROMPT_CHARS = 1_000_000;
/** How many earlier records a context strategy uses unless told otherwise. */
export const DEFAULT_NUM_OF_PREV_PROMPTS = 5;
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

export const ChatRecordSchema = z
  .object({
    chat_record_id: z.number().int().positive(),
    conn_id: z.string(),
    context_strategy: z.string(),
    prompt_template: z.string(),
    prompt: z.string(),
    prepared_prompt: z.string(),
    predicted_result: z.string(),
    duration: z.string().meta({ description: 'Seconds the endpoint took, e.g. "0.412 secs".' }),
    prompt_time: z.string().meta({ description: 'Local time the prompt was sent, MM/DD/YYYY, HH:MM:SS.' }),
    error: z.string().nullable().meta({ description: 'Why the call failed, or null when it worked.' }),
    usage: z
      .object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() })
      .nullable()
      .optional()
      .meta({ description: 'Token usage when the model reported it (an addition to the seed).' }),
    prompt_id: z
      .string()
      .optional()
      .meta({
        description:
          'The prompt this record answers: every record one prompt made (one per chat) shares it, and a retry in one chat carries the id of the prompt it retries. Absent on records written before it existed.',
      }),
  })
  .meta({ id: 'ChatRecord' });
export type ChatRecord = z.infer<typeof ChatRecordSchema>;

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

/** What session.json holds: the metadata without history, plus settings. */
export const StoredSessionSchema = SessionMetadataSchema.omit({ chat_history: true }).extend({
  num_of_prev_prompts: z.number().int().positive().default(DEFAULT_NUM_OF_PREV_PROMPTS),
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;

/** A session or endpoint name: its slug becomes the id, so it needs a letter or digit. */
const nameField = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().min(1, { message: 'must not be empty', abort: true }).max(100, { message: 'must be at most 100 characters', abort: true }))
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
