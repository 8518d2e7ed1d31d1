// What an attack module is, and what an attack run gives back.
import * as z from 'zod';
import type { ChatMessage } from '../connectors/types';
import { MAX_SEED, type SeededRandom } from '../random';

/** One prompt an attack made, ready to send to the session's endpoints. */
export interface AttackVariant {
  prompt: string;
  /** What the user gave: the prompt, or the topic of a generator. */
  original_prompt: string;
  /** The chain that made it, module names joined by "+". */
  attack_module: string;
  /** Position in the run's list, from 0. */
  index: number;
}

/** One call to the attacker model, kept with the attack ("attacker calls"). */
export interface AttackerCall {
  /** The module that made the call. */
  attack_module: string;
  messages: ChatMessage[];
  /** The model's answer, or null when the call failed. */
  answer: string | null;
  /** Why the call failed (a ConnectorError's sentence), or null. */
  error: string | null;
  /** Seconds the call took. */
  duration: number;
}

export interface AttackContext {
  /** Seeded for this module and this input: the only source of randomness a module may use. */
  rng: SeededRandom;
  /** Asks the attacker model (timed, recorded as an AttackerCall); rejects with a ConnectorError. */
  ask(messages: ChatMessage[]): Promise<string>;
}

export interface AttackModule {
  name: string;
  /** Shown to users and in GET /v1/attack_modules: exactly what the module does. */
  description: string;
  needs_model: boolean;
  /** A strict object schema of the module's options, with defaults. */
  options: z.ZodObject;
  /** The variants for one input (in order; duplicates are removed by the caller). */
  generate(input: string, options: Record<string, unknown>, context: AttackContext): string[] | Promise<string[]>;
}

/** Variants one module may make for one input. */
export const MAX_MODULE_VARIANTS = 100;

export const numVariantsOption = (byDefault: number, max = MAX_MODULE_VARIANTS) =>
  z
    .number()
    .int()
    .min(1)
    .max(max)
    .default(byDefault)
    .meta({ description: `How many variants to make (Moonshot's max_iteration); 1 to ${max}.` });

export const seedOption = z
  .number()
  .int()
  .min(0)
  .max(MAX_SEED)
  .default(0)
  .meta({ description: 'Seed of the random choices (0 to 4294967295): the same prompt and seed give the same variants.' });

export const wrapOption = z
  .boolean()
  .default(true)
  .meta({
    description:
      'Put an instruction before the encoded prompt that says how to decode it and asks the model to answer the decoded message.',
  });

/** An AttackModule whose generate() sees its options typed by its own schema. */
export function defineAttack<S extends z.ZodObject>(module: {
  name: string;
  description: string;
  needs_model: boolean;
  options: S;
  generate(input: string, options: z.output<S>, context: AttackContext): string[] | Promise<string[]>;
}): AttackModule {
  return module as unknown as AttackModule;
}
