// A run's results as RunResultRows (docs/datasets.md, Results): one per
// dataset row x endpoint x attack variant, read back from the session's
// records, their scores by the run's judge and the run's rows file. For an
// attacker loop, one per row x endpoint: the loop's last turn (the one that
// reached the goal, or the last it tried), with how many turns it took and
// why it stopped. A unit answered twice (resent after a cancel) counts its
// last answer. In row order (as sent), then variant, then the session's
// endpoint order.
import type { MetricResult, RunResultRow, SessionMetadata, StoredChatRecord } from '../schemas';
import type { SessionStore } from '../store';
import { CANCELLED, latestScores, unitKey } from './runAnswers';
import { readRunFile, RowLineSchema, TurnLineSchema, type RowLine, type StopReason } from './runFiles';

export interface RunResultsOptions {
  /** The run's judge, whose scores give the verdicts. */
  metric: string | null;
  /** Whether the run is a loop's: its results are the loops' last turns. */
  loop: boolean;
}

export interface LoopEnd {
  chatRecordId: number;
  turns: number;
  stopReason: StopReason;
}

/** A record's duration ("0.412 secs") in seconds; 0 when it is not a number. */
export const recordSeconds = (duration: string): number => {
  const value = Number.parseFloat(duration);
  return Number.isFinite(value) && value >= 0 ? value : 0;
};

/** A record as a RunResultRow: the dataset row's fields (when known), the judge's score by the run's metric, a loop's end. */
export function resultRow(
  record: StoredChatRecord,
  row: RowLine | undefined,
  endpoint: string,
  metric: MetricResult | undefined,
  loopEnd?: LoopEnd,
): RunResultRow {
  return {
    row_id: record.row_id as string,
    input: row?.input ?? record.original_prompt ?? record.prompt,
    target: row?.target ?? null,
    category: row?.category ?? null,
    endpoint,
    attack_module: record.attack_module,
    variant: record.variant ?? 0,
    prompt: record.prompt,
    response: record.predicted_result,
    error: record.error,
    metric: metric?.name ?? null,
    verdict: metric?.verdict ?? null,
    score: metric?.score ?? null,
    duration: recordSeconds(record.duration),
    chat_record_id: record.chat_record_id,
    ...(loopEnd ? { turns: loopEnd.turns, stop_reason: loopEnd.stopReason } : {}),
  };
}

export async function readRunResults(
  store: SessionStore,
  session: SessionMetadata,
  runId: string,
  options: RunResultsOptions,
): Promise<RunResultRow[]> {
  const sessionId = session.session_id;
  const rows = new Map<string, { order: number; line: RowLine }>();
  for await (const line of readRunFile(store, sessionId, runId, 'rows', RowLineSchema))
    if (!rows.has(line.row_id)) rows.set(line.row_id, { order: rows.size, line });

  // Loops: the record each (row, chat) ended on; a loop run again after a resume ends later, and wins.
  const loopEnds = new Map<string, LoopEnd>();
  if (options.loop) {
    for await (const line of readRunFile(store, sessionId, runId, 'turns', TurnLineSchema)) {
      if (line.type === 'loop_end' && line.chat_record_id !== null)
        loopEnds.set(`${line.row_id}\u0000${line.chat_id}`, {
          chatRecordId: line.chat_record_id,
          turns: line.turns,
          stopReason: line.stop_reason,
        });
    }
  }

  const found: { order: number; variant: number; chat: number; result: RunResultRow }[] = [];
  for (const [chat, chatId] of session.chat_ids.entries()) {
    const endpoint = session.endpoints[chat] ?? '';
    const scores = await latestScores(store, sessionId, chatId, options.metric);
    const latest = new Map<string, StoredChatRecord>();
    for await (const record of store.streamChat(sessionId, chatId, `"run_id":${JSON.stringify(runId)}`)) {
      if (record.run_id !== runId || record.row_id === undefined) continue;
      if (options.loop) {
        const end = loopEnds.get(`${record.row_id}\u0000${chatId}`);
        if (end?.chatRecordId === record.chat_record_id) latest.set(record.row_id, record);
        continue;
      }
      const key = unitKey(record.row_id, record.variant ?? 0);
      const earlier = latest.get(key);
      if (!earlier || record.error !== CANCELLED || earlier.error === CANCELLED) latest.set(key, record);
    }
    for (const record of latest.values()) {
      const row = rows.get(record.row_id as string);
      const loopEnd = options.loop ? loopEnds.get(`${record.row_id}\u0000${chatId}`) : undefined;
      const result = resultRow(record, row?.line, endpoint, scores.get(record.chat_record_id), loopEnd);
      found.push({ order: row?.order ?? Number.MAX_SAFE_INTEGER, variant: record.variant ?? 0, chat, result });
    }
  }
  found.sort((a, b) => a.order - b.order || a.variant - b.variant || a.chat - b.chat);
  return found.map((f) => f.result);
}
