// The messages between the results matrix's host (src/vscode/matrixPanel.ts)
// and its webview (src/matrix). One discriminated union per direction,
// parsed with safeParse on arrival, as the chat panel does, in zod/mini:
// the webview's bundle carries only the validators it uses. The matrix of a
// large run (10,000 rows x 4 endpoints) travels in chunks of short fields:
// each cell's outcome, badge, latency and the first lines of its answer,
// cut on the host. The whole exchange of one cell is asked for when it is
// clicked (a request with a requestId, answered by exactly one `reply`).
import * as z from 'zod/mini';

/** A cell's outcome, one character each: pass, fail, error, or no result yet. */
export const OUTCOME_CHARS = { pass: 'p', fail: 'f', error: 'e', none: '-' } as const;
/** A cell's change against the baseline, one character each. */
export const CHANGE_CHARS = { none: ' ', fixed: 'F', broken: 'B', other: 'O' } as const;

export const BadgeToneSchema = z.enum(['safe', 'unsafe', 'error', 'neutral']);
export type BadgeTone = z.infer<typeof BadgeToneSchema>;
export const BadgeSchema = z.object({ text: z.string(), tone: BadgeToneSchema });
export type Badge = z.infer<typeof BadgeSchema>;

export const MatrixColumnSchema = z.object({
  /** Stable across loads: the endpoint, attack and variant. */
  key: z.string(),
  endpoint: z.string(),
  endpointName: z.string(),
  /** The attack chain or loop ("" for rows sent as they are). */
  attack: z.string(),
  variant: z.int(),
});
export type MatrixColumn = z.infer<typeof MatrixColumnSchema>;

/**
 * Rows of the matrix, column by column of fields: `index[i]` is the row's
 * place, and its cells are items i*columns .. i*columns+columns-1 of the
 * per-cell lists. `outcomes` and `changes` hold one character per cell.
 */
export const RowsChunkSchema = z.object({
  index: z.array(z.int().check(z.minimum(0))),
  ids: z.array(z.string()),
  inputs: z.array(z.string()),
  categories: z.array(z.string()),
  outcomes: z.array(z.string()),
  changes: z.array(z.string()),
  /** Index into the message's badge table; -1 for none. */
  badges: z.array(z.int()),
  /** Milliseconds the endpoint took; -1 for none. */
  ms: z.array(z.int()),
  /** The answer's first lines (or the error), cut by the host. */
  texts: z.array(z.string()),
  /** A loop's turns and how it ended, or "". */
  notes: z.array(z.string()),
});
export type RowsChunk = z.infer<typeof RowsChunkSchema>;

export const RunViewSchema = z.object({
  runId: z.string(),
  sessionId: z.string(),
  sessionName: z.string(),
  status: z.string(),
  datasetName: z.string(),
  rowsTotal: z.int(),
  rowsDone: z.int(),
  results: z.int(),
  errors: z.int(),
  rate: z.nullable(z.number()),
  etaSeconds: z.nullable(z.number()),
  error: z.nullable(z.string()),
  started: z.string(),
  ended: z.nullable(z.string()),
  metric: z.nullable(z.string()),
  /** The attack chain or the loop's name, or "". */
  attack: z.string(),
  loop: z.boolean(),
  sample: z.number(),
  seed: z.int(),
  /** Not running, and some rows have no answer yet. */
  resumable: z.boolean(),
});
export type RunView = z.infer<typeof RunViewSchema>;

export const BaselineSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), runId: z.string() }),
  z.object({ kind: z.literal('file'), path: z.string() }),
]);
export type BaselineSource = z.infer<typeof BaselineSourceSchema>;

export const BaselineViewSchema = z.object({
  source: BaselineSourceSchema,
  label: z.string(),
  fixed: z.int(),
  broken: z.int(),
  other: z.int(),
  unchanged: z.int(),
  added: z.int(),
  removed: z.int(),
});
export type BaselineView = z.infer<typeof BaselineViewSchema>;

const RateViewSchema = z.object({
  rate: z.nullable(z.number()),
  low: z.nullable(z.number()),
  high: z.nullable(z.number()),
  count: z.int(),
  of: z.int(),
});

export const EndpointFiguresViewSchema = z.object({
  endpoint: z.string(),
  results: z.int(),
  errors: z.int(),
  pass: RateViewSchema,
  refusal: RateViewSchema,
  attackSuccess: RateViewSchema,
  meanSeconds: z.nullable(z.number()),
  p95Seconds: z.nullable(z.number()),
});
export type EndpointFiguresView = z.infer<typeof EndpointFiguresViewSchema>;

export const ChartSchema = z.object({ id: z.string(), title: z.string(), svg: z.string() });
export type Chart = z.infer<typeof ChartSchema>;

export const ExchangeTurnSchema = z.object({
  turn: z.int(),
  prompt: z.string(),
  answer: z.string(),
  error: z.nullable(z.string()),
  verdict: z.nullable(z.string()),
  seconds: z.number(),
});

/** One cell in full: what was sent, what came back, what the judge said. */
export const ExchangeSchema = z.object({
  rowId: z.string(),
  column: z.string(),
  endpointName: z.string(),
  attack: z.string(),
  variant: z.int(),
  input: z.string(),
  target: z.nullable(z.string()),
  category: z.nullable(z.string()),
  prompt: z.string(),
  preparedPrompt: z.nullable(z.string()),
  answer: z.string(),
  error: z.nullable(z.string()),
  outcome: z.enum(['pass', 'fail', 'error']),
  badge: BadgeSchema,
  metric: z.nullable(
    z.object({
      name: z.string(),
      verdict: z.nullable(z.string()),
      score: z.nullable(z.number()),
      reason: z.string(),
      error: z.nullable(z.string()),
      judgeEndpoint: z.nullable(z.string()),
    }),
  ),
  seconds: z.number(),
  promptTime: z.nullable(z.string()),
  tokens: z.nullable(z.int()),
  /** The baseline's outcome of the same cell, when there is a baseline that has it. */
  baseline: z.nullable(
    z.object({
      outcome: z.enum(['pass', 'fail', 'error']),
      verdict: z.nullable(z.string()),
      change: z.enum(['fixed', 'broken', 'other', 'unchanged']),
    }),
  ),
  stopReason: z.nullable(z.string()),
  /** A loop's turns, oldest first (empty for a single prompt). */
  turns: z.array(ExchangeTurnSchema),
});
export type Exchange = z.infer<typeof ExchangeSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    /** Counts the loads of this panel: replies and rows of an earlier one are dropped. */
    generation: z.int(),
    run: RunViewSchema,
    columns: z.array(MatrixColumnSchema),
    /** Rows in the matrix; the first come in `chunk`, the rest in `rows` messages. */
    total: z.int(),
    badges: z.array(BadgeSchema),
    chunk: RowsChunkSchema,
    baseline: z.nullable(BaselineViewSchema),
  }),
  z.object({ type: z.literal('rows'), generation: z.int(), total: z.int(), badges: z.array(BadgeSchema), chunk: RowsChunkSchema }),
  z.object({ type: z.literal('run'), run: RunViewSchema }),
  z.object({
    type: z.literal('baseline'),
    generation: z.int(),
    baseline: z.nullable(BaselineViewSchema),
    /** Rows whose changes are not all " ": every other row has none. */
    index: z.array(z.int()),
    changes: z.array(z.string()),
  }),
  z.object({ type: z.literal('charts'), charts: z.array(ChartSchema), figures: z.array(EndpointFiguresViewSchema) }),
  z.object({
    type: z.literal('reply'),
    requestId: z.int(),
    outcome: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('exchange'), exchange: ExchangeSchema }),
      z.object({ kind: z.literal('search'), generation: z.int(), rows: z.array(z.int()) }),
      z.object({ kind: z.literal('error'), error: z.string() }),
    ]),
  }),
  z.object({ type: z.literal('notice'), level: z.enum(['info', 'error']), message: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessageSchema>;
export type MatrixInit = Extract<HostMessage, { type: 'init' }>;
export type MatrixReply = Extract<HostMessage, { type: 'reply' }>;

export const ExportFormatSchema = z.enum(['csv', 'jsonl', 'md']);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

export const WebviewMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('exchange'), requestId: z.int(), rowId: z.string(), column: z.string() }),
  /** Rows whose input or answers hold `query` (any case), as row places of that generation. */
  z.object({ type: z.literal('search'), requestId: z.int(), generation: z.int(), query: z.string().check(z.maxLength(1000)) }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('compare') }),
  z.object({ type: z.literal('clearBaseline') }),
  z.object({ type: z.literal('export'), format: ExportFormatSchema }),
  /** The charts tab is shown (the host sends charts while it is) or hidden. */
  z.object({ type: z.literal('charts'), visible: z.boolean() }),
  z.object({ type: z.literal('copy'), text: z.string() }),
  z.object({ type: z.literal('openSession') }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessageSchema>;

export const FILTERS = ['all', 'failures', 'passes', 'errors', 'disagree', 'changed'] as const;
export type Filter = (typeof FILTERS)[number];
export const SORTS = ['order', 'failures', 'latency'] as const;
export type Sort = (typeof SORTS)[number];

/** What the webview keeps across reloads (vscode.setState), and the serializer revives from. */
export const MatrixStateSchema = z.object({
  runId: z.string(),
  filter: z._default(z.enum(FILTERS), 'all'),
  sort: z._default(z.enum(SORTS), 'order'),
  search: z._default(z.string().check(z.maxLength(1000)), ''),
  scrollTop: z._default(z.number().check(z.minimum(0)), 0),
  tab: z._default(z.enum(['matrix', 'charts']), 'matrix'),
  baseline: z._default(z.nullable(BaselineSourceSchema), null),
});
export type MatrixState = z.infer<typeof MatrixStateSchema>;

/** Rows of the first chunk (in init: enough for the first screen) and of each later one. */
export const FIRST_CHUNK_ROWS = 200;
export const CHUNK_ROWS = 2000;
