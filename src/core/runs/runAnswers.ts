// Which of a run's answers exist, read back from the session's chat files:
// what a resume must not send again, and what only_unanswered leaves out.
// A row's unit is one prompt (the row itself, or one attack variant of it);
// for each unit the chats that answered it are kept as a bit mask (a session
// has at most 20 chats). A record of a call that was stopped ("cancelled")
// is no answer: a resume sends it again. Memory: one entry per unit.
import type { MetricResult, SessionMetadata, StoredChatRecord } from '../schemas';
import type { SessionStore } from '../store';
import { readRunFile, RowLineSchema, TurnLineSchema } from './runFiles';

export const CANCELLED = 'cancelled';

export const unitKey = (rowId: string, variant: number) => `${rowId}\u0000${variant}`;

export interface AnswerIndex {
  /** Chats (bit i: chat_ids[i]) that answered each unit. */
  units: Map<string, number>;
  /** Chats whose loop ended, by row id. */
  loops: Map<string, number>;
  /** Variants an attacker model wrote for a row (used again, never asked again). */
  variants: Map<string, string[]>;
  /** Rows already in the run's rows file. */
  rowLines: Set<string>;
  /** Records the run made, and how many of them failed. */
  results: number;
  errors: number;
  /** Answers of the run without a score by its judge (its process died in between), by chat. */
  unscored: Map<string, StoredChatRecord[]>;
}

export const emptyIndex = (): AnswerIndex => ({
  units: new Map(),
  loops: new Map(),
  variants: new Map(),
  rowLines: new Set(),
  results: 0,
  errors: 0,
  unscored: new Map(),
});

const isAnswer = (record: StoredChatRecord) => record.error !== CANCELLED;

/** Record ids of a chat scored by `metric` (any score, failed judges included: a judge is not asked twice). */
async function scoredBy(store: SessionStore, sessionId: string, chatId: string, metric: string): Promise<Set<number>> {
  const ids = new Set<number>();
  for (const score of await store.readScores(sessionId, chatId)) if (score.metric.name === metric) ids.add(score.chat_record_id);
  return ids;
}

/** A record whose call failed: one the user or a cancel stopped did not (`errors` counts "records whose call failed"). */
export function callFailed(record: { error: string | null }): boolean {
  return record.error !== null && record.error !== CANCELLED;
}

/** What the run made so far: its records (with the judge named, those it has not scored) and its files. */
export async function indexRun(store: SessionStore, session: SessionMetadata, runId: string, metric: string | null): Promise<AnswerIndex> {
  const index = emptyIndex();
  const { session_id: sessionId } = session;
  for (const [i, chatId] of session.chat_ids.entries()) {
    const scored = metric === null ? undefined : await scoredBy(store, sessionId, chatId, metric);
    const unscored: StoredChatRecord[] = [];
    for await (const record of store.streamChat(sessionId, chatId, `"run_id":${JSON.stringify(runId)}`)) {
      if (record.run_id !== runId || record.row_id === undefined) continue;
      index.results++;
      if (callFailed(record)) index.errors++;
      if (!isAnswer(record)) continue;
      const key = unitKey(record.row_id, record.variant ?? 0);
      index.units.set(key, (index.units.get(key) ?? 0) | (1 << i));
      if (scored && record.error === null && !scored.has(record.chat_record_id)) unscored.push(record);
    }
    if (unscored.length > 0) index.unscored.set(chatId, unscored);
  }
  for await (const line of readRunFile(store, sessionId, runId, 'rows', RowLineSchema)) index.rowLines.add(line.row_id);
  for await (const line of readRunFile(store, sessionId, runId, 'turns', TurnLineSchema)) {
    if (line.type === 'variants') index.variants.set(line.row_id, line.variants);
    else if (line.type === 'loop_end') {
      const i = session.chat_ids.indexOf(line.chat_id);
      if (i >= 0) index.loops.set(line.row_id, (index.loops.get(line.row_id) ?? 0) | (1 << i));
    }
  }
  // A loop's turns are its own records; what counts for a loop is that it ended.
  return index;
}

/**
 * What other runs on the session answered with the same attack (or none),
 * for only_unanswered: their records by unit, and for loops the loops that
 * ended in the runs of the same loop (`loopRuns`; null for a run with no loop).
 */
export async function indexEarlier(
  store: SessionStore,
  session: SessionMetadata,
  runId: string,
  attackModule: string,
  loopRuns: readonly string[] | null,
): Promise<Pick<AnswerIndex, 'units' | 'loops'>> {
  const units = new Map<string, number>();
  const loops = new Map<string, number>();
  const { session_id: sessionId } = session;
  if (loopRuns === null) {
    for (const [i, chatId] of session.chat_ids.entries()) {
      for await (const record of store.streamChat(sessionId, chatId, '"row_id":')) {
        if (record.row_id === undefined || record.run_id === runId || record.attack_module !== attackModule || !isAnswer(record)) continue;
        const key = unitKey(record.row_id, record.variant ?? 0);
        units.set(key, (units.get(key) ?? 0) | (1 << i));
      }
    }
  }
  for (const other of loopRuns ?? []) {
    for await (const line of readRunFile(store, sessionId, other, 'turns', TurnLineSchema)) {
      if (line.type !== 'loop_end') continue;
      const i = session.chat_ids.indexOf(line.chat_id);
      if (i >= 0) loops.set(line.row_id, (loops.get(line.row_id) ?? 0) | (1 << i));
    }
  }
  return { units, loops };
}

/** The latest score of each record by `metric`, of one chat. */
export async function latestScores(
  store: SessionStore,
  sessionId: string,
  chatId: string,
  metric: string | null,
): Promise<Map<number, MetricResult>> {
  const latest = new Map<number, MetricResult>();
  if (metric === null) return latest;
  for (const score of await store.readScores(sessionId, chatId)) {
    if (score.metric.name === metric) latest.set(score.chat_record_id, score.metric);
  }
  return latest;
}
