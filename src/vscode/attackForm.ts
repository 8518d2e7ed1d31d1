// The fields of Start Attack's options step, made from the chain's modules
// (their option schemas): the seed and the number of variants once for the
// whole chain, then each module's own options (caesar's shift, an
// encoding's wrap ...). Each typed value is checked with the schema of every
// module it goes to, so the attack starts only with values it accepts.
// No VS Code here: the flow (attackCommands.ts) asks, this says what to ask.
import type { z } from 'zod';
import { attackModuleInfo, getAttackModule } from '../core/attacks';
import type { CreateAttackBody } from '../core/schemas';

/** Options given at the top of the request apply to every module of the chain that has them. */
const SHARED = ['seed', 'num_variants'] as const;
type Shared = (typeof SHARED)[number];

export type FieldKind = 'integer' | 'number' | 'boolean' | 'text' | 'choices';

export interface AttackField {
  /** The module the option belongs to; null for seed and num_variants, which go to every module that has them. */
  module: string | null;
  key: string;
  label: string;
  kind: FieldKind;
  /** The values a `choices` field picks from. */
  choices?: readonly string[];
  /** The default: one module's own, or, for a shared field, each module's (they may differ). */
  defaultText: string;
  description: string;
}

interface JsonSchema {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  items?: { enum?: string[] };
}

const LABELS: Record<string, string> = { seed: 'Seed', num_variants: 'Variants per module' };

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.type === 'integer') return 'integer';
  if (schema.type === 'number') return 'number';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'array' && schema.items?.enum) return 'choices';
  return 'text';
}

/** An option's value as the options list shows it. */
export function valueText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

const optionSchemas = (module: string) => attackModuleInfo(getAttackModule(module)).options as Record<string, JsonSchema>;

/** The fields for a chain: shared ones first (when any module takes them), then each module's own, in chain order. */
export function attackFields(chain: readonly string[]): AttackField[] {
  const fields: AttackField[] = [];
  for (const key of SHARED) {
    const owners = chain.filter((m) => key in optionSchemas(m));
    if (owners.length === 0) continue;
    const defaults = owners.map((m) => `${valueText(optionSchemas(m)[key]!.default)}${owners.length > 1 ? ` (${m})` : ''}`);
    const description =
      key === 'seed'
        ? 'The seed of every random choice: the same prompt and seed give the same variants'
        : `How many variants each module makes (${owners.join(', ')})`;
    fields.push({ module: null, key, label: LABELS[key]!, kind: 'integer', defaultText: [...new Set(defaults)].join(', '), description });
  }
  for (const module of new Set(chain)) {
    for (const [key, schema] of Object.entries(optionSchemas(module))) {
      if ((SHARED as readonly string[]).includes(key)) continue;
      fields.push({
        module,
        key,
        label: `${module}: ${key}`,
        kind: kindOf(schema),
        ...(schema.items?.enum ? { choices: schema.items.enum } : {}),
        defaultText: valueText(schema.default),
        description: schema.description ?? '',
      });
    }
  }
  return fields;
}

/** What the number fields accept, said as a person would. */
function boundsText(schema: JsonSchema, integer: boolean): string {
  const parts = [integer ? 'A whole number' : 'A number'];
  // "from 1 to 25", "more than 0 up to 1".
  const from = schema.exclusiveMinimum === undefined && schema.minimum !== undefined;
  if (schema.exclusiveMinimum !== undefined) parts.push(`more than ${schema.exclusiveMinimum}`);
  else if (schema.minimum !== undefined) parts.push(`from ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`${from ? 'to' : 'up to'} ${schema.maximum}`);
  return parts.join(' ');
}

/** The zod schemas a field's value must pass: the one module's, or each module of the chain that takes a shared option. */
function schemasOf(field: AttackField, chain: readonly string[]): { module: string; schema: z.ZodType; json: JsonSchema }[] {
  const modules = field.module === null ? chain.filter((m) => field.key in optionSchemas(m)) : [field.module];
  return [...new Set(modules)].map((module) => ({
    module,
    schema: (getAttackModule(module).options.shape as Record<string, z.ZodType>)[field.key]!,
    json: optionSchemas(module)[field.key]!,
  }));
}

/**
 * Reads a typed value (numbers and text; booleans and choices are picked):
 * the value, or a sentence saying what is wrong with it, naming the module
 * whose bound it breaks when the field is shared.
 */
export function parseFieldValue(field: AttackField, chain: readonly string[], text: string): { value: unknown } | { problem: string } {
  const targets = schemasOf(field, chain);
  let value: unknown = text;
  if (field.kind === 'integer' || field.kind === 'number') {
    const trimmed = text.trim();
    value = trimmed === '' ? NaN : Number(trimmed);
    if (!Number.isFinite(value) || (field.kind === 'integer' && !Number.isInteger(value)))
      return { problem: boundsText(targets[0]!.json, field.kind === 'integer') };
  }
  for (const { module, schema, json } of targets) {
    if (schema.safeParse(value).success) continue;
    const bounds =
      field.kind === 'integer' || field.kind === 'number'
        ? boundsText(json, field.kind === 'integer')
        : (json.description ?? 'Not a value this option takes');
    return { problem: targets.length > 1 ? `${bounds} (for ${module})` : bounds };
  }
  return { value };
}

/** What the user set, by field: shared values by key, module options by module then key. */
export interface AttackChoices {
  shared: Partial<Record<Shared, number>>;
  options: Record<string, Record<string, unknown>>;
}

export const noChoices = (): AttackChoices => ({ shared: {}, options: {} });

export function fieldValue(choices: AttackChoices, field: AttackField): unknown {
  return field.module === null ? choices.shared[field.key as Shared] : choices.options[field.module]?.[field.key];
}

export function setFieldValue(choices: AttackChoices, field: AttackField, value: unknown): void {
  if (field.module === null) choices.shared[field.key as Shared] = value as number;
  else (choices.options[field.module] ??= {})[field.key] = value;
}

/** The request for AttackService.start: options only for modules still in the chain, and only those set. */
export function attackBody(input: {
  chain: readonly string[];
  prompt?: string;
  topic?: string;
  attacker?: string;
  choices: AttackChoices;
}): CreateAttackBody {
  const { chain, choices } = input;
  const options = Object.fromEntries(
    Object.entries(choices.options).filter(([module, values]) => chain.includes(module) && Object.keys(values).length > 0),
  );
  const taken = SHARED.filter((key) => choices.shared[key] !== undefined && chain.some((m) => key in optionSchemas(m)));
  const shared = Object.fromEntries(taken.map((key) => [key, choices.shared[key]]));
  return {
    attack_modules: [...chain],
    ...(input.topic !== undefined ? { topic: input.topic } : {}),
    ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
    ...shared,
    ...(input.attacker !== undefined ? { attacker_endpoint: input.attacker } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}
