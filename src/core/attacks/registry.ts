// Every attack module this build has, by name, and what GET
// /v1/attack_modules says about each.
import * as z from 'zod';
import { CoreError, NotFoundError } from '../errors';
import { SeededRandom } from '../random';
import type { AttackModuleInfo } from '../schemas';
import { parseOrThrow } from '../validation';
import { ENCODING_MODULES } from './encodings';
import { maliciousQuestionGenerator, paraphraseAttack } from './generators';
import { charswapAttack, colloquialWordswapAttack, homoglyphAttack, insertPunctuationAttack, jobRoleGenerator } from './perturbations';
import { distinct } from './text';
import type { AttackModule } from './types';

export const ATTACK_MODULES: readonly AttackModule[] = [
  charswapAttack,
  insertPunctuationAttack,
  homoglyphAttack,
  colloquialWordswapAttack,
  jobRoleGenerator,
  ...ENCODING_MODULES,
  maliciousQuestionGenerator,
  paraphraseAttack,
];

const BY_NAME = new Map(ATTACK_MODULES.map((m) => [m.name, m]));

/** The module called `name`; NotFoundError when there is none. */
export function getAttackModule(name: string): AttackModule {
  const module = BY_NAME.get(name);
  if (!module) throw new NotFoundError(`Attack module "${name}" not found; known modules: ${[...BY_NAME.keys()].join(', ')}`);
  return module;
}

export function attackModuleInfo(module: AttackModule): AttackModuleInfo {
  const schema = z.toJSONSchema(module.options, { io: 'input', target: 'draft-2020-12' }) as { properties?: Record<string, unknown> };
  return { name: module.name, description: module.description, needs_model: module.needs_model, options: schema.properties ?? {} };
}

/** What GET /v1/attack_modules answers, in a stable order. */
export function listAttackModules(): AttackModuleInfo[] {
  return ATTACK_MODULES.map(attackModuleInfo);
}

/** The module's options with defaults filled in; a ValidationError naming the field (under `loc`) when one is bad or unknown. */
export function parseAttackOptions(
  name: string,
  options: unknown = {},
  loc: (string | number)[] = ['body', 'options', name],
): Record<string, unknown> {
  return parseOrThrow(getAttackModule(name).options, options, loc) as Record<string, unknown>;
}

/**
 * The variants of a module that needs no model, at once: the same as a
 * one-module attack with these options (seed included), without the async
 * machinery. For the modules that need a model use planAttack.
 */
export function transformPrompt(name: string, prompt: string, options: unknown = {}): string[] {
  const module = getAttackModule(name);
  if (module.needs_model) throw new CoreError('unsupported', `${name} needs an attacker model: run it with planAttack`);
  const parsed = parseAttackOptions(name, options);
  const rng = new SeededRandom(typeof parsed.seed === 'number' ? parsed.seed : 0);
  const ask = () => Promise.reject(new CoreError('unsupported', `${name} asked for a model`));
  return distinct(module.generate(prompt, parsed, { rng, ask }) as string[]);
}
