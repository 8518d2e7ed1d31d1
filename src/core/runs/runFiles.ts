// What a run keeps besides its records and manifest, in two append-only
// files beside the manifest (sessions/<session_id>/runs/):
//   <run_id>.rows.jsonl   each row sent: its id, prompt, target and category,
//                         so results can be read back without the dataset
//   <run_id>.turns.jsonl  the attacker's calls, the variants an attacker
//                         model wrote for a row, and how each loop ended
// Lines are written in batches; a line whose record must not be sent twice
// (a loop's end, a row's variants) is flushed before the run goes on.
import * as z from 'zod';
import { isCoreError } from '../errors';
import type { Log } from '../log';
import type { RunFileKind, SessionStore } from '../store';

export const RowLineSchema = z.object({
  row_id: z.string(),
  input: z.string(),
  target: z.string().optional(),
  category: z.string().optional(),
});
export type RowLine = z.infer<typeof RowLineSchema>;

const MessageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

export const STOP_REASONS = ['goal_reached', 'max_turns', 'refused', 'error', 'cancelled'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

export const TurnLineSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('attacker_call'),
    row_id: z.string(),
    /** The chat whose loop asked; null for a row's attack variants. */
    chat_id: z.string().nullable(),
    turn: z.number().int(),
    attack_module: z.string(),
    messages: z.array(MessageSchema),
    answer: z.string().nullable(),
    error: z.string().nullable(),
    duration: z.number(),
  }),
  z.object({ type: z.literal('variants'), row_id: z.string(), variants: z.array(z.string()), truncated: z.boolean() }),
  z.object({
    type: z.literal('loop_end'),
    row_id: z.string(),
    chat_id: z.string(),
    stop_reason: z.enum(STOP_REASONS),
    turns: z.number().int(),
    /** The last turn's record: the loop's result. */
    chat_record_id: z.number().int().nullable(),
    error: z.string().nullable(),
  }),
]);
export type TurnLine = z.infer<typeof TurnLineSchema>;

/** A run's file's lines that fit `schema`, in order; others (torn, from a newer version) are skipped. */
export async function* readRunFile<T>(
  store: SessionStore,
  sessionId: string,
  runId: string,
  kind: RunFileKind,
  schema: z.ZodType<T>,
): AsyncGenerator<T> {
  for await (const value of store.readRunLines(sessionId, runId, kind)) {
    const parsed = schema.safeParse(value);
    if (parsed.success) yield parsed.data;
  }
}

const FLUSH_MS = 100;
const FLUSH_LINES = 500;

/** Appends to one run's files in batches: at most every 100 ms, or 500 lines. */
export class RunFiles {
  private readonly buffers: Record<RunFileKind, unknown[]> = { rows: [], turns: [] };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writes: Promise<void> = Promise.resolve();
  /** The first write that failed, reported by the next flush() and by close(). */
  private failure: unknown;

  constructor(
    private readonly store: SessionStore,
    private readonly sessionId: string,
    private readonly runId: string,
    private readonly log: Log,
  ) {}

  /** Queues a line. */
  add(kind: RunFileKind, value: unknown): void {
    const buffer = this.buffers[kind];
    buffer.push(value);
    if (buffer.length >= FLUSH_LINES) void this.flush().catch(() => undefined);
    else this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), FLUSH_MS);
  }

  /** Queues a line and resolves once it (and every line before it) is written. */
  async addNow(kind: RunFileKind, value: unknown): Promise<void> {
    this.buffers[kind].push(value);
    await this.flush();
  }

  /** Writes what is queued; rejects with the storage error when a write failed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = (Object.keys(this.buffers) as RunFileKind[])
      .map((kind) => [kind, this.buffers[kind].splice(0)] as const)
      .filter(([, lines]) => lines.length > 0);
    const write = this.writes.then(async () => {
      for (const [kind, lines] of batches) await this.store.appendRunLines(this.sessionId, this.runId, kind, lines);
    });
    this.writes = write.catch((err: unknown) => {
      this.failure ??= err;
      // A session deleted meanwhile takes its run's files with it: nothing to say.
      if (!isCoreError(err, 'not-found'))
        this.log('error', `Could not write the files of run ${this.runId}: ${isCoreError(err) ? err.message : String(err)}`);
    });
    return write.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /** Writes what is left; the first failure (if any) rejects. */
  close(): Promise<void> {
    return this.flush();
  }
}
