// An attack request checked and ready to run: a chain of modules applied in
// order. Everything a client can get wrong is found by planAttack, before
// any model is called, so the HTTP layer can answer 422/404 at once and 202
// after; run() then only fails for reasons of the run itself (the attacker
// model failed or answered nothing usable, cancelled, a variant too long).
//
// How variants combine: every variant of stage k is the input of stage k+1,
// so counts multiply (charswap_attack+base64: 10 x 1 = 10;
// homoglyph_attack+charswap_attack: 20 x 10 = 200). Variants are listed in
// that order (all of the first input's, then the next's), duplicates
// dropped, and the list is cut at MAX_ATTACK_VARIANTS (100): later inputs
// are then not sent to the next stage at all (no attacker calls are spent
// on them), and the run says `truncated`.
//
// Seeds: stage k applied to input j uses the seed
// deriveSeed(seed, k, j), except the first stage's single input, which uses
// the seed itself, so a one-module attack with seed S is exactly that
// module with seed S.
import type { z } from 'zod';
import { cancelledError, describeError, toConnectorError } from '../connectors/errors';
import type { ChatModel } from '../chatModel';
import type { ChatMessage } from '../connectors/types';
import { CoreError, invalidField } from '../errors';
import { deriveSeed, SeededRandom } from '../random';
import { CreateAttackBodySchema, MAX_ATTACK_CHAIN, MAX_ATTACK_VARIANTS, MAX_PROMPT_CHARS } from '../schemas';
import { parseOrThrow } from '../validation';
import { getAttackModule, parseAttackOptions } from './registry';
import { distinct } from './text';
import type { AttackerCall, AttackModule, AttackVariant } from './types';

/** The module that writes prompts from a topic: its input is not a prompt, so it must come first. */
const FROM_TOPIC = 'malicious_question_generator';

export interface AttackRunContext {
  /** The attacker model; required when the plan needs_model. */
  attacker?: ChatModel;
  signal?: AbortSignal;
  /** Called after every attacker call, whether it worked or not (to store it as it happens). */
  onAttackerCall?: (call: AttackerCall) => void;
}

export interface AttackRun {
  variants: AttackVariant[];
  attacker_calls: AttackerCall[];
  /** Whether the list was cut at MAX_ATTACK_VARIANTS. */
  truncated: boolean;
}

export interface AttackPlan {
  /** The module names joined by "+": every variant's attack_module. */
  readonly chain: string;
  readonly modules: readonly string[];
  readonly needs_model: boolean;
  readonly attacker_endpoint: string | null;
  /** The input of the first stage: the topic or the prompt. */
  readonly original_prompt: string;
  /** Each stage's options with defaults filled in (seed and num_variants included). */
  readonly options: readonly Record<string, unknown>[];
  run(context?: AttackRunContext): Promise<AttackRun>;
}

interface Stage {
  module: AttackModule;
  options: Record<string, unknown>;
}

/**
 * Checks an attack request (the body of POST /v1/sessions/{id}/attacks):
 * ValidationError (422) naming the field for a bad value, NotFoundError
 * for an unknown module. The seed and num_variants given at the top apply
 * to every module that takes them; `options[module]` wins over them.
 */
export function planAttack(request: unknown): AttackPlan {
  const body = parseOrThrow(CreateAttackBodySchema, request);
  const names = body.attack_modules.flatMap((item) => item.split('+').map((n) => n.trim()));
  if (names.length > MAX_ATTACK_CHAIN) throw invalidField(['body', 'attack_modules'], `must chain at most ${MAX_ATTACK_CHAIN} modules`);
  names.forEach((name, i) => {
    if (name === '') throw invalidField(['body', 'attack_modules', i], 'must not be empty');
  });
  const modules = names.map(getAttackModule);
  const fromTopic = modules.findIndex((m) => m.name === FROM_TOPIC);
  if (fromTopic > 0)
    throw invalidField(['body', 'attack_modules', fromTopic], `${FROM_TOPIC} writes prompts from a topic, so it must come first`);
  if (body.topic !== undefined && fromTopic !== 0) throw invalidField(['body', 'topic'], `is only used by ${FROM_TOPIC}`);
  const input = fromTopic === 0 ? (body.topic ?? body.prompt) : body.prompt;
  if (input === undefined) throw invalidField(['body', fromTopic === 0 ? 'topic' : 'prompt'], 'is required');
  for (const key of Object.keys(body.options ?? {})) {
    if (!names.includes(key)) throw invalidField(['body', 'options', key], 'is not a module of this attack');
  }
  const needsModel = modules.find((m) => m.needs_model);
  if (needsModel && body.attacker_endpoint === undefined) {
    throw invalidField(['body', 'attacker_endpoint'], `is required: ${needsModel.name} needs an attacker model`);
  }

  const stages: Stage[] = modules.map((module) => {
    const shape = module.options.shape as Record<string, z.ZodType>;
    const own = body.options?.[module.name] ?? {};
    const inherited: Record<string, unknown> = {};
    for (const key of ['num_variants', 'seed'] as const) {
      const value = body[key];
      const field = shape[key];
      if (value === undefined || !field || key in own) continue;
      // A top-level value beyond one module's own bound is reported where the user wrote it.
      const checked = field.safeParse(value);
      if (!checked.success) throw invalidField(['body', key], `${checked.error.issues[0]?.message ?? 'is invalid'} (for ${module.name})`);
      inherited[key] = value;
    }
    return { module, options: parseAttackOptions(module.name, { ...inherited, ...own }) };
  });
  const chain = names.join('+');

  return {
    chain,
    modules: names,
    needs_model: needsModel !== undefined,
    attacker_endpoint: body.attacker_endpoint ?? null,
    original_prompt: input,
    options: stages.map((s) => s.options),
    run: (context = {}) => runStages(chain, stages, input, context),
  };
}

async function runStages(chain: string, stages: Stage[], input: string, context: AttackRunContext): Promise<AttackRun> {
  const { attacker, signal, onAttackerCall } = context;
  if (stages.some((s) => s.module.needs_model) && !attacker) {
    throw invalidField(['body', 'attacker_endpoint'], `is required: ${chain} needs an attacker model`);
  }
  const calls: AttackerCall[] = [];
  let inputs = [input];
  let truncated = false;
  for (const [k, { module, options }] of stages.entries()) {
    const outputs: string[] = [];
    for (const [j, item] of inputs.entries()) {
      if (outputs.length >= MAX_ATTACK_VARIANTS) {
        truncated = true;
        break;
      }
      if (signal?.aborted) throw cancelledError();
      const seed = typeof options.seed === 'number' ? options.seed : 0;
      const rng = new SeededRandom(k === 0 && j === 0 ? seed : deriveSeed(seed, k, j));
      const ask = async (messages: ChatMessage[]): Promise<string> => {
        const started = performance.now();
        const record = (answer: string | null, error: string | null) => {
          const call = {
            attack_module: module.name,
            messages,
            answer,
            error,
            duration: Number(((performance.now() - started) / 1000).toFixed(3)),
          };
          calls.push(call);
          onAttackerCall?.(call);
        };
        try {
          const answer = await (attacker as ChatModel).complete(messages, signal);
          record(answer, null);
          return answer;
        } catch (err) {
          record(null, describeError(err));
          throw toConnectorError(err);
        }
      };
      outputs.push(...distinct(await module.generate(item, options, { rng, ask })));
    }
    const kept = distinct(outputs);
    if (kept.length > MAX_ATTACK_VARIANTS) truncated = true;
    inputs = kept.slice(0, MAX_ATTACK_VARIANTS);
    const longest = inputs.reduce((max, p) => Math.max(max, p.length), 0);
    if (longest > MAX_PROMPT_CHARS) {
      throw new CoreError(
        'too-large',
        `The attack ${chain} made a prompt of ${longest} characters at ${module.name}; prompts are at most ${MAX_PROMPT_CHARS} characters`,
      );
    }
  }
  if (signal?.aborted) throw cancelledError();
  return {
    variants: inputs.map((prompt, index) => ({ prompt, original_prompt: input, attack_module: chain, index })),
    attacker_calls: calls,
    truncated,
  };
}
