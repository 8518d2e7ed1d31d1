// Attacker loops: multi-turn attacks over a dataset's rows. See docs/runs.md.
import { NotFoundError } from '../../errors';
import type { z } from 'zod';
import type { LoopInfoSchema } from '../../schemas';
import { crescendo } from './crescendo';
import { iterativeJailbreak } from './iterativeJailbreak';
import type { AttackerLoop } from './types';
import { violentDurian } from './violentDurian';

export type { AttackerLoop, JudgedTurn, LoopContext, LoopOutcome, LoopTurnOptions } from './types';
export { MAX_BACKOFFS } from './crescendo';
export { PERSONAS } from './violentDurian';

export const LOOPS: readonly AttackerLoop[] = [iterativeJailbreak, crescendo, violentDurian];

const BY_NAME = new Map(LOOPS.map((l) => [l.name, l]));

/** The loop called `name`; NotFoundError naming the known ones. */
export function getLoop(name: string): AttackerLoop {
  const loop = BY_NAME.get(name);
  if (!loop) throw new NotFoundError(`Loop "${name}" not found; known loops: ${[...BY_NAME.keys()].join(', ')}`);
  return loop;
}

/** What GET /v1/loops answers. */
export function listLoops(): z.infer<typeof LoopInfoSchema>[] {
  return LOOPS.map(({ name, description }) => ({ name, description }));
}
