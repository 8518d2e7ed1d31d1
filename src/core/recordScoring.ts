// Scoring a chat's records with a judge, in the background: every score is
// appended beside the chat file as soon as it is made (the history itself is
// never rewritten) and then reported. A judge that fails, or whose endpoint
// cannot be called, makes a score with `error`, never a verdict; only a
// cancel (the session deleted) makes no score at all.
import type { ChatModel } from './chatModel';
import { ConnectorError, errorText } from './connectors/errors';
import { isCoreError } from './errors';
import type { JudgeInput, JudgePlan } from './judges';
import type { Log } from './log';
import type { MetricResult, StoredChatRecord } from './schemas';
import type { SessionStore } from './store';

export interface RecordScoringContext {
  store: SessionStore;
  /** The judge model; rejects (not found, unsupported) when the endpoint cannot be called. */
  modelFor(endpointId: string): Promise<ChatModel>;
  /** Called once a score is written. */
  onScore(record: StoredChatRecord, metric: MetricResult): void;
  log: Log;
  signal: AbortSignal;
}

/** What a judge reads of a record: the prompt as sent, the answer, and what an attack disguised. */
export function judgeInput(record: StoredChatRecord): JudgeInput {
  return {
    prompt: record.prompt,
    response: record.predicted_result,
    ...(record.original_prompt !== undefined ? { original_prompt: record.original_prompt } : {}),
  };
}

/** Whether a record has an answer to judge: a failed call (cancelled included) has none. */
export const isScorable = (record: StoredChatRecord) => record.error === null;

function failedScore(plan: JudgePlan, error: string): MetricResult {
  return { name: plan.name, verdict: null, score: null, reason: '', judge_endpoint: plan.judge_endpoint, error };
}


/**
 * Scores `records` of one chat (all at once: the judge endpoint's limits bound the calls); resolves
 * when every score is written. Never rejects.
 */
export async function scoreChatRecords(
  sessionId: string,
  chatId: string,
  records: readonly StoredChatRecord[],
  plan: JudgePlan,
  context: RecordScoringContext,
): Promise<void> {
  const { store, signal, log } = context;
  let model: ChatModel | undefined;
  let modelError: string | undefined;
  if (plan.needs_model && plan.judge_endpoint !== null) {
    try {
      model = await context.modelFor(plan.judge_endpoint);
    } catch (err) {
      modelError = `the judge endpoint cannot be called: ${errorText(err)}`;
    }
  }
  await Promise.all(
    records.map(async (record) => {
      let metric: MetricResult;
      if (modelError !== undefined) {
        metric = failedScore(plan, modelError);
      } else {
        try {
          metric = await plan.score(judgeInput(record), { ...(model ? { model } : {}), signal });
        } catch (err) {
          if (signal.aborted || (err instanceof ConnectorError && err.kind === 'cancelled')) return;
          metric = failedScore(plan, errorText(err));
        }
      }
      if (signal.aborted) return;
      try {
        await store.appendScores(sessionId, chatId, [{ chat_record_id: record.chat_record_id, metric }]);
      } catch (err) {
        // The session went meanwhile: its scores go with it.
        if (isCoreError(err, 'not-found')) return;
        log(
          'error',
          `Could not store the ${plan.name} score of record ${record.chat_record_id} of ${sessionId}/${chatId}: ${errorText(err)}`,
        );
        return;
      }
      context.onScore(record, metric);
    }),
  );
}
