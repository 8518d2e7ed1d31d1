// What every loop does the same way: ask the attacker (a failure ends the
// loop with its reason, a cancel goes on up), and end.
import { ConnectorError, describeError } from '../../connectors/errors';
import type { ChatMessage } from '../../connectors/types';
import type { StopReason } from '../runFiles';
import type { JudgedTurn, LoopContext, LoopOutcome } from './types';

/** The attacker's answer, or why there is none; a cancel rejects. */
export async function askAttacker(context: LoopContext, messages: ChatMessage[]): Promise<{ answer: string } | { error: string }> {
  try {
    return { answer: await context.attacker.complete(messages, context.signal) };
  } catch (err) {
    if ((err instanceof ConnectorError && err.kind === 'cancelled') || context.signal.aborted) throw err;
    return { error: `the attacker model failed: ${describeError(err)}` };
  }
}

export function ended(stopReason: StopReason, turns: number, result: JudgedTurn | undefined, error: string | null = null): LoopOutcome {
  return { stopReason, turns, result, error };
}

export const NO_PROPOSAL = 'the attacker model declined or wrote nothing to send';
