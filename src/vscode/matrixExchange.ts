// One cell of the matrix in full, for the pane a click opens: read back
// from the session's chat file (the prompt as prepared, the time, tokens;
// for an attacker loop every turn) and its score file (the judge's reason).
// Only the row's lines of that chat are parsed.
import { resultKey, resultOutcome } from '../core/datasets/results';
import { NotFoundError } from '../core/errors';
import { latestScores } from '../core/runs/runAnswers';
import { recordSeconds } from '../core/runs/runResults';
import type { MetricResult, Run, StoredChatRecord } from '../core/schemas';
import type { SessionStore } from '../core/store';
import type { Exchange } from '../shared/matrixProtocol';
import type { MatrixModel } from './matrixData';


/** A loop's turns that led to `result`: back from it to the turn 1 that began that try (a resumed loop runs again from turn 1). */
function loopTurns(records: readonly StoredChatRecord[], result: StoredChatRecord | undefined): StoredChatRecord[] {
  const turns = records.filter((r) => r.turn !== undefined);
  const end = result ? turns.indexOf(result) : turns.length - 1;
  if (end < 0) return [];
  let start = end;
  while (start > 0 && (turns[start] as StoredChatRecord).turn !== 1) start--;
  return turns.slice(start, end + 1);
}

export async function readExchange(
  store: SessionStore,
  run: Run,
  model: MatrixModel,
  rowId: string,
  columnKey: string,
): Promise<Exchange> {
  const cell = model.cell(rowId, columnKey);
  const column = model.columns.find((c) => c.key === columnKey);
  if (!cell || !column) throw new NotFoundError('That cell has no result (yet).');
  const { result } = cell;
  const chatId = run.chat_ids[run.endpoints.indexOf(column.endpoint)];
  const records: StoredChatRecord[] = [];
  if (chatId !== undefined) {
    for await (const record of store.streamChat(run.session_id, chatId, `"row_id":${JSON.stringify(rowId)}`)) {
      const sameCell = record.attack_module === column.attack && (record.variant ?? 0) === column.variant;
      if (record.run_id === run.run_id && record.row_id === rowId && sameCell) records.push(record);
    }
  }
  const record = records.find((r) => r.chat_record_id === result.chat_record_id) ?? records.at(-1);
  const scores = chatId === undefined ? new Map<number, MetricResult>() : await latestScores(store, run.session_id, chatId, run.metric);
  const metric = record ? scores.get(record.chat_record_id) : undefined;
  const old = model.baseline?.before.get(resultKey(result));
  const badge = model.badges[cell.badge] ?? { text: cell.outcome, tone: 'neutral' as const };
  return {
    rowId,
    column: columnKey,
    endpointName: column.endpointName,
    attack: column.attack,
    variant: column.variant,
    input: result.input,
    target: result.target ?? null,
    category: result.category ?? null,
    prompt: result.prompt,
    preparedPrompt: record?.prepared_prompt ?? null,
    answer: result.response,
    error: result.error,
    outcome: cell.outcome,
    badge,
    metric: metric
      ? {
        name: metric.name,
        verdict: metric.verdict,
        score: metric.score,
        reason: metric.reason,
        error: metric.error,
        judgeEndpoint: metric.judge_endpoint,
      }
      : null,
    seconds: result.duration,
    promptTime: record?.prompt_time ?? null,
    tokens: record?.usage?.total_tokens ?? null,
    baseline: old ? { outcome: resultOutcome(old), verdict: old.verdict ?? null, change: cell.change ?? 'unchanged' } : null,
    stopReason: result.stop_reason ?? null,
    turns: run.loop
      ? loopTurns(records, record).map((r) => ({
        turn: r.turn as number,
        prompt: r.prompt,
        answer: r.predicted_result,
        error: r.error,
        verdict: scores.get(r.chat_record_id)?.verdict ?? null,
        seconds: recordSeconds(r.duration),
      }))
      : [],
  };
}
