// What an attacker loop is: a conversation between an attacker model and one
// target chat about one dataset row's goal, judged after every answer, that
// stops when the judge says the goal was reached, after its last turn, or
// when it cannot go on.
import type { ChatModel } from '../../chatModel';
import type { SeededRandom } from '../../random';
import type { ChatRecord, MetricResult, StoredChatRecord } from '../../schemas';
import type { StopReason } from '../runFiles';

export interface LoopTurnOptions {
  /** Earlier turns of this loop in this chat, oldest first, sent as real messages before this one. */
  conversation?: readonly StoredChatRecord[];
}

/** One answer of the target and the judge's score of it (null when the call failed: there is nothing to judge). */
export interface JudgedTurn {
  record: ChatRecord;
  metric: MetricResult | null;
  /** Whether the judge says the attack worked; null without a usable verdict. */
  success: boolean | null;
}

export interface LoopContext {
  /** What the row asks for: the attacker's goal. */
  goal: string;
  /** What a successful answer would say or start with, when the dataset has it. */
  target: string | undefined;
  maxTurns: number;
  /** The attacker model; every call is kept with the run. */
  attacker: ChatModel;
  /** Seeded for this row and chat: the loop's only randomness. */
  rng: SeededRandom;
  /** Sends a turn to the target chat and judges its answer; rejects only when cancelled or the session is gone. */
  send(text: string, turn: number, options?: LoopTurnOptions): Promise<JudgedTurn>;
  signal: AbortSignal;
}

export interface LoopOutcome {
  stopReason: StopReason;
  /** Turns sent to the target. */
  turns: number;
  /** The turn that stands for the loop's result: the one that reached the goal, else the last one. */
  result: JudgedTurn | undefined;
  /** Why it stopped, for `error` and `refused`. */
  error: string | null;
}

export interface AttackerLoop {
  name: string;
  /** Shown in GET /v1/loops: exactly what the loop does. */
  description: string;
  run(context: LoopContext): Promise<LoopOutcome>;
}
