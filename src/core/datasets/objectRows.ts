// The formats whose rows are JSON objects (a Moonshot example, a promptfoo
// test, a JSONL line) and how each becomes a row.
import { defaultVariable, optional, type RowContext } from './rowParts';
import { DatasetError } from './datasetError';
import { canonicalJson } from './rowIds';
import { fieldText, missingVariable } from './rowTemplate';
import type { DatasetFormat, DatasetRow } from './types';

export type ObjectFormat = Extract<
  DatasetFormat,
  'moonshot-json' | 'promptfoo-json' | 'promptfoo-jsonl' | 'promptfoo-yaml' | 'jsonl' | 'json'
>;

/** Makes a row of one element; `where` names it in errors ("examples[3]", "test 2"), beside the line. */
export type ObjectRowMaker = (value: unknown, line: number, where: string) => DatasetRow;

type Fields = Record<string, unknown>;

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether an element is a promptfoo test rather than a plain row: it has `vars`. */
export const isPromptfooTest = (value: unknown): boolean => isObject(value) && 'vars' in value;

export function objectRowMaker(format: ObjectFormat, { file, template, ids }: RowContext): ObjectRowMaker {
  const fail = (line: number, where: string, problem: string): never => {
    throw new DatasetError(file, line, where ? `${where}: ${problem}` : problem);
  };
  const idOf = (value: Fields, line: number, where: string): string => {
    const own = value.id;
    if (own === undefined) return ids.fromContent(canonicalJson(value));
    if (!(typeof own === 'string' && own !== '') && !Number.isInteger(own))
      fail(line, where, `"id" must be a text or a whole number, not ${typeName(own)}`);
    const id = String(own);
    if (!ids.own(id)) fail(line, where, `the id "${id}" is also the id of an earlier row`);
    return id;
  };
  const render = (fields: Fields, line: number, where: string): string => {
    const missing = template?.missing(fields);
    if (missing !== undefined) fail(line, where, missingVariable(missing, fields));
    return template!.render(fields);
  };
  const text = (value: unknown, key: string, line: number, where: string): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    return fail(line, where, `"${key}" must be a text, not ${typeName(value)}`);
  };
  const object = (value: unknown, line: number, where: string, needs: string): Fields =>
    isObject(value) ? value : fail(line, where, `must be an object with ${needs}, not ${typeName(value)}`);

  if (format === 'moonshot-json') {
    return (value, line, where) => {
      const example = object(value, line, where, '"input"');
      if (!template && typeof example.input !== 'string')
        fail(line, where, example.input === undefined ? 'no "input"' : `"input" must be a text, not ${typeName(example.input)}`);
      const { input, target, id: _id, category, ...rest } = example;
      return {
        id: idOf(example, line, where),
        input: template ? render(example, line, where) : (input as string),
        ...optional('target', target === undefined || target === null ? undefined : fieldText(target)),
        ...optional('category', text(category, 'category', line, where)),
        metadata: rest,
        line,
      };
    };
  }

  if (format === 'jsonl' || format === 'json') {
    const inputKeys = ['input', 'prompt', 'query'];
    const targetKeys = ['target', 'expected', 'ground_truth'];
    return (value, line, where) => {
      const row = object(value, line, where, '"input", "prompt" or "query"');
      const inputKey = inputKeys.find((k) => k in row);
      const targetKey = targetKeys.find((k) => k in row);
      let input: string;
      if (template) input = render(row, line, where);
      else if (inputKey === undefined) return fail(line, where, 'no "input", "prompt" or "query"');
      else if (typeof row[inputKey] !== 'string') return fail(line, where, `"${inputKey}" must be a text, not ${typeName(row[inputKey])}`);
      else input = row[inputKey] as string;
      const metadata: Fields = {};
      for (const [k, v] of Object.entries(row)) if (k !== 'id' && k !== inputKey && k !== targetKey && k !== 'category') metadata[k] = v;
      return {
        id: idOf(row, line, where),
        input,
        ...optional('target', targetKey === undefined ? undefined : text(row[targetKey], targetKey, line, where)),
        ...optional('category', text(row.category, 'category', line, where)),
        metadata,
        line,
      };
    };
  }

  // A promptfoo test: vars, assert, description, metadata (and options, kept).
  return (value, line, where) => {
    const test = object(value, line, where, '"vars"');
    const vars =
      test.vars === undefined ? fail(line, where, 'no "vars"') : object(test.vars, line, where ? `${where}.vars` : 'vars', 'the variables');
    for (const [k, v] of Object.entries(vars)) {
      if (Array.isArray(v))
        fail(
          line,
          where,
          `vars.${k} is a list: promptfoo makes one test per value of a list, which this reader does not; give one value per test`,
        );
    }
    let input: string;
    if (template) input = render(vars, line, where);
    else {
      const name = defaultVariable(Object.keys(vars));
      if (name === undefined)
        return fail(
          line,
          where,
          `the test has several variables (${Object.keys(vars).join(', ') || 'none'}) and none is called prompt, input or query: give a ` +
            `template such as "{{ ${Object.keys(vars)[0] ?? 'question'} }}"`,
        );
      input = fieldText(vars[name]);
    }
    const asserts =
      test.assert === undefined
        ? []
        : Array.isArray(test.assert)
          ? test.assert
          : fail(line, where, `"assert" must be a list, not ${typeName(test.assert)}`);
    const firstValue = asserts.map((a) => (isObject(a) && typeof a.value === 'string' ? a.value : undefined)).find((v) => v !== undefined);
    const meta = test.metadata === undefined ? {} : object(test.metadata, line, where ? `${where}.metadata` : 'metadata', 'named values');
    const description = text(test.description, 'description', line, where);
    const category =
      typeof meta.category === 'string' ? meta.category : typeof meta.harmCategory === 'string' ? meta.harmCategory : undefined;
    const metadata: Fields = { ...meta };
    if (description !== undefined) metadata.description = description;
    if (asserts.length > 0) metadata.assert = asserts;
    for (const [k, v] of Object.entries(test)) if (!['vars', 'assert', 'metadata', 'description'].includes(k)) metadata[k] = v;
    return { id: idOf(test, line, where), input, ...optional('target', firstValue), ...optional('category', category), metadata, line };
  };
}
