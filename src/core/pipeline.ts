// What is sent to a model: the context strategy, then the prompt template,
// then the endpoint's own system/pre/post prompts.
import type { ChatMessage } from './connectors/types';
import { MAX_PREPARED_PROMPT_CHARS, type StoredChatRecord } from './schemas';
import { CoreError } from './errors';


/**
 * Renders a Moonshot prompt template the way Jinja2's defaults do for the
 * constructs those templates use: `{{ prompt }}` with optional `-` whitespace
 * control, other variables render empty, newlines are normalised to `\n` and
 * one trailing newline is dropped (keep_trailing_newline=False). Block tags
 * and comments are refused rather than rendered wrongly.
 */
export function renderPromptTemplate(template: string, prompt: string): string {
  // Jinja drops the template's final newline before it renders anything.
  const source = template.replace(/\r\n?/g, '\n').replace(/\n$/, '');
  const unsupported = /\{%|\{#/.exec(source);
  if (unsupported) {
    throw new CoreError(
      'unsupported',
      `Prompt template uses Jinja syntax that is not supported here ("${unsupported[0]}"); only {{ prompt }} is.`,
    );
  }
  const expression = /(\s*)\{\{(-?)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(-?)\}\}(\s*)/g;
  if (source.replace(expression, '').includes('{{')) {
    throw new CoreError(
      'unsupported',
      'Prompt template has an expression other than a plain variable such as {{ prompt }}; filters and other expressions are not ' +
        'supported.',
    );
  }
  return source.replace(
    expression,
    (_m, before: string, trimBefore: string, name: string, trimAfter: string, after: string) =>
      (trimBefore ? '' : before) + (name === 'prompt' ? prompt : '') + (trimAfter ? '' : after),
  );
}

export interface ContextInput {
  prompt: string;
  /** This chat's records, oldest first. */
  history: readonly StoredChatRecord[];
  numOfPrevPrompts: number;
}

export interface ContextOutput {
  /** The text that goes into the prompt template. */
  text: string;
  /** Earlier turns sent as real messages before the new one. */
  turns: ChatMessage[];
}

export interface ContextStrategy {
  name: string;
  description: string;
  apply(input: ContextInput): ContextOutput;
}

const addPreviousPrompt: ContextStrategy = {
  name: 'add_previous_prompt',
  description:
    "Moonshot's strategy: appends the chat's last N prepared prompts, newest first, each followed by a newline, to the new prompt.",
  apply({ prompt, history, numOfPrevPrompts }) {
    const previous = history.slice(-numOfPrevPrompts).reverse();
    // It compounds, so the size is checked before the string is built: a long session must not exhaust memory.
    const length = previous.reduce((n, r) => n + r.prepared_prompt.length + 1, prompt.length);
    if (length > MAX_PREPARED_PROMPT_CHARS) throw tooLarge(length);
    // Byte for byte what Moonshot does, including no separator before the first one.
    return { text: previous.reduce((text, r) => `${text}${r.prepared_prompt}\n`, prompt), turns: [] };
  },
};

const conversation: ContextStrategy = {
  name: 'conversation',
  description:
    "Sends the chat's last N exchanges as real user/assistant messages before the new prompt (failed calls are left out).",
  apply({ prompt, history, numOfPrevPrompts }) {
    const answered = history.filter((r) => r.error === null).slice(-numOfPrevPrompts);
    const turns = answered.flatMap((r): ChatMessage[] => [
      { role: 'user', content: r.prepared_prompt },
      { role: 'assistant', content: r.predicted_result },
    ]);
    return { text: prompt, turns };
  },
};

function tooLarge(length: number): CoreError {
  const n = (x: number) => x.toLocaleString('en-US');
  return new CoreError(
    'too-large',
    `not sent: the prepared prompt would be ${n(length)} characters, over the limit of ${n(MAX_PREPARED_PROMPT_CHARS)} ` +
      '(add_previous_prompt adds the earlier prepared prompts, which hold theirs); clear the context strategy or start a new session',
  );
}

export const CONTEXT_STRATEGIES: ReadonlyMap<string, ContextStrategy> = new Map(
  [addPreviousPrompt, conversation].map((s) => [s.name, s]),
);

export interface EndpointPromptParams {
  system_prompt?: unknown;
  pre_prompt?: unknown;
  post_prompt?: unknown;
}

const textParam = (v: unknown) => (typeof v === 'string' ? v : '');

/** The messages for one endpoint: system prompt, earlier turns, the new user message. */
export function buildMessages(params: EndpointPromptParams, turns: ChatMessage[], preparedPrompt: string): ChatMessage[] {
  const system = textParam(params.system_prompt);
  return [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...turns,
    { role: 'user', content: `${textParam(params.pre_prompt)}${preparedPrompt}${textParam(params.post_prompt)}` },
  ];
}

export interface PrepareInput {
  prompt: string;
  /** The chat's latest records, oldest first (at least `numOfPrevPrompts` when a strategy is set). */
  history: readonly StoredChatRecord[];
  strategy?: ContextStrategy | undefined;
  numOfPrevPrompts: number;
  /** The prompt template's text, when the session has one. */
  template?: string | undefined;
  endpointParams: EndpointPromptParams;
}

export interface PreparedPrompt {
  /** The prompt after the context strategy and the template: what the record stores. */
  preparedPrompt: string;
  /** What goes to the model. */
  messages: ChatMessage[];
}

/**
 * Everything between a typed prompt and the model call, with no I/O: the
 * context strategy, then the template, then the endpoint's own prompts.
 * Throws a `too-large` CoreError for a prepared prompt over the limit and an
 * `unsupported` one for a template it cannot render.
 */
export function preparePrompt(input: PrepareInput): PreparedPrompt {
  const context = input.strategy
    ? input.strategy.apply({ prompt: input.prompt, history: input.history, numOfPrevPrompts: input.numOfPrevPrompts })
    : { text: input.prompt, turns: [] };
  const preparedPrompt = input.template === undefined ? context.text : renderPromptTemplate(input.template, context.text);
  if (preparedPrompt.length > MAX_PREPARED_PROMPT_CHARS) throw tooLarge(preparedPrompt.length);
  return { preparedPrompt, messages: buildMessages(input.endpointParams, context.turns, preparedPrompt) };
}
