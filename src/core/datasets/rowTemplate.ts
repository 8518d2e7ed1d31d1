// A template that makes one prompt of a row's several fields: "{{ name }}"
// takes the field `name`. The same small part of Jinja as the session's
// prompt templates (src/core/pipeline.ts): plain variables, "{{-" and "-}}"
// to trim the white space beside them, the template's last newline dropped;
// anything else of Jinja is refused up front rather than sent half-rendered.
import { CoreError } from '../errors';

export interface RowTemplate {
  readonly source: string;
  /** Every variable it uses, once each, in order of first use. */
  readonly variables: readonly string[];
  /** The first variable `fields` lacks; undefined when it has them all. */
  missing(fields: Readonly<Record<string, unknown>>): string | undefined;
  render(fields: Readonly<Record<string, unknown>>): string;
}

const EXPRESSION = /(\s*)\{\{(-?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(-?)\}\}(\s*)/g;

/** A field's value as prompt text: strings as they are, null as nothing, other JSON as JSON. */
export function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Checks the template once; CoreError 'unsupported' for Jinja it does not do. */
export function compileRowTemplate(template: string): RowTemplate {
  const source = template.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  const block = /\{%|\{#/.exec(source);
  if (block)
    throw new CoreError(
      'unsupported',
      `The dataset template uses Jinja syntax that is not supported here ("${block[0]}"); only variables such as {{ input }} are.`,
    );
  const stray = /\{\{[^}]*\}?\}?/.exec(source.replace(EXPRESSION, ''));
  if (stray)
    throw new CoreError(
      'unsupported',
      `The dataset template has "${stray[0]}", which is not a plain variable such as {{ input }}; filters and other expressions are not ` +
        `supported.`,
    );
  const variables = [...new Set([...source.matchAll(EXPRESSION)].map((m) => m[3] as string))];
  if (variables.length === 0)
    throw new CoreError(
      'invalid',
      'The dataset template uses no variable, so every row would make the same prompt; use {{ name }} for a field.',
    );
  return {
    source: template,
    variables,
    missing: (fields) => variables.find((v) => !Object.hasOwn(fields, v)),
    render: (fields) =>
      source.replace(
        EXPRESSION,
        (_m, before: string, trimBefore: string, name: string, trimAfter: string, after: string) =>
          (trimBefore ? '' : before) + fieldText(fields[name]) + (trimAfter ? '' : after),
      ),
  };
}

/** What a row without the variable `name` is told. */
export function missingVariable(name: string, fields: Readonly<Record<string, unknown>>): string {
  const has = Object.keys(fields);
  return `the template uses {{ ${name} }}, which this row does not have (it has ${has.length ? has.join(', ') : 'no fields'})`;
}
