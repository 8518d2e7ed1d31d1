// Answers the extension's questions from a script, in order, so commands
// run end to end without a person. An unexpected question fails the test.
// Notifications are not questions: they are recorded (with their buttons)
// and a button is clicked only when the script's `clicks` names it.
import type * as vscode from 'vscode';
import { BACK, type Back, type InputQuestion, type Level, type PickQuestion, type UserInput } from '../../src/vscode/userInput';

type PickAnswer = string | ((item: vscode.QuickPickItem) => boolean) | undefined;
export type Answer =
  | { pick: PickAnswer }
  /** Text typed into a quick pick's filter, then Enter: the item the question makes of it. */
  | { type: string }
  | { pickMany: string[] | undefined }
  /** Text for an input box; a function gets the value the box suggests (to accept or change it). */
  | { input: string | undefined | ((suggested: string) => string) }
  /** Text the input box must refuse (its message is kept in `asked`); the box stays, and the next answer is for it too. */
  | { rejects: string }
  /** The Back button of a step (it must have one). */
  | { back: true }
  | { confirm: boolean }
  | { save: vscode.Uri | undefined };

export interface Asked {
  kind: string;
  title?: string | undefined;
  placeHolder?: string | undefined;
  prompt?: string | undefined;
  value?: string | undefined;
  items?: string[];
  step?: number | undefined;
  totalSteps?: number | undefined;
  back?: boolean | undefined;
  /** What an input box said of text it refused (`rejects` answers). */
  refusals?: string[];
}

export interface Note {
  level: Level;
  message: string;
  actions: readonly string[];
}

const matches = (item: vscode.QuickPickItem, answer: string) =>
  item.label === answer || item.description === answer || item.label.endsWith(` ${answer}`);

export class ScriptedInput implements UserInput {
  private readonly answers: Answer[];
  /** What was asked, for assertions on titles, items and steps. */
  readonly asked: Asked[] = [];
  /** Notifications shown, in order. */
  readonly notes: Note[] = [];
  /** Status bar confirmations, in order. */
  readonly statuses: string[] = [];
  /** Problems of the script itself (a question it did not expect ...): the command swallows the error, the test reports these. */
  readonly errors: string[] = [];
  private readonly clicks: Set<string>;
  private readonly noted: ((note: Note) => void)[] = [];
  private readonly statused: ((status: string) => void)[] = [];

  constructor(answers: Answer[], options: { clicks?: string[] } = {}) {
    this.answers = [...answers];
    this.clicks = new Set(options.clicks ?? []);
  }

  get remaining(): number {
    return this.answers.length;
  }

  /** Resolves with the first notification (shown so far or later) that `test` accepts. */
  nextNote(test: (n: Note) => boolean): Promise<Note> {
    const seen = this.notes.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.noted.push((n) => test(n) && resolve(n)));
  }

  /** Resolves with the first status bar message (shown so far or later) that `test` accepts. */
  nextStatus(test: (s: string) => boolean): Promise<string> {
    const seen = this.statuses.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.statused.push((s) => test(s) && resolve(s)));
  }

  private fail(message: string): never {
    this.errors.push(message);
    throw new Error(message);
  }

  private next(asked: Asked, ...kinds: string[]): Answer {
    this.asked.push(asked);
    const answer = this.answers.shift();
    const kind = answer ? Object.keys(answer)[0]! : 'nothing more';
    if (!answer || !kinds.includes(kind))
      this.fail(`Unexpected question (${asked.kind}: ${asked.title ?? asked.placeHolder ?? ''}); the script expected ${kind}`);
    if ('back' in answer && !asked.back) this.fail(`"${asked.title ?? asked.placeHolder}" has no Back button`);
    return answer;
  }

  private static describe(kind: string, q: PickQuestion<vscode.QuickPickItem> | InputQuestion): Asked {
    return {
      kind,
      title: q.title,
      placeHolder: q.placeHolder,
      step: q.step,
      totalSteps: q.totalSteps,
      back: q.back,
      ...('items' in q ? { items: q.items.map((i) => i.label) } : { prompt: q.prompt, value: q.value }),
    };
  }

  async pick<T extends vscode.QuickPickItem>(q: PickQuestion<T>): Promise<T | Back | undefined> {
    const answer = this.next(ScriptedInput.describe('pick', q), 'pick', 'type', 'back');
    if ('back' in answer) return BACK;
    if ('type' in answer) {
      const own = q.typed?.(answer.type);
      if (!own) this.fail(`Typing "${answer.type}" into "${q.title ?? q.placeHolder}" makes no item of its own`);
      return own;
    }
    const { pick } = answer as { pick: PickAnswer };
    if (pick === undefined) return undefined;
    const found = q.items.find((i) => (typeof pick === 'string' ? matches(i, pick) : pick(i)));
    if (!found) this.fail(`No item "${String(pick)}" among: ${q.items.map((i) => i.label).join(', ')}`);
    return found;
  }

  async pickMany<T extends vscode.QuickPickItem>(q: PickQuestion<T>): Promise<T[] | Back | undefined> {
    const answer = this.next(ScriptedInput.describe('pickMany', q), 'pickMany', 'back');
    if ('back' in answer) return BACK;
    const { pickMany } = answer as { pickMany: string[] | undefined };
    if (pickMany === undefined) return undefined;
    return pickMany.map((a) => {
      const found = q.items.find((i) => matches(i, a));
      if (!found) this.fail(`No item "${a}" among: ${q.items.map((i) => `${i.label} (${i.description})`).join(', ')}`);
      return found;
    });
  }

  async input(q: InputQuestion): Promise<string | Back | undefined> {
    const asked = ScriptedInput.describe('input', q);
    let answer = this.next(asked, 'input', 'back', 'rejects');
    while ('rejects' in answer) {
      const problem = q.validate?.(answer.rejects);
      if (!problem) this.fail(`The input box "${q.title ?? q.placeHolder}" accepts "${answer.rejects}"`);
      (asked.refusals ??= []).push(problem);
      const following = this.answers.shift();
      if (!following || !('input' in following || 'back' in following || 'rejects' in following))
        this.fail(`After refusing "${answer.rejects}", the script has no answer for the same box`);
      answer = following;
    }
    if ('back' in answer) {
      if (!q.back) this.fail(`"${q.title ?? q.placeHolder}" has no Back button`);
      return BACK;
    }
    const given = (answer as { input: string | undefined | ((suggested: string) => string) }).input;
    const input = typeof given === 'function' ? given(q.value ?? '') : given;
    const problem = input === undefined ? undefined : q.validate?.(input);
    if (problem) this.fail(`The input box would refuse "${input}": ${problem}`);
    return input;
  }

  async confirm(message: string): Promise<boolean> {
    return (this.next({ kind: 'confirm', title: message }, 'confirm') as { confirm: boolean }).confirm;
  }

  async saveLocation(): Promise<vscode.Uri | undefined> {
    return (this.next({ kind: 'save' }, 'save') as { save: vscode.Uri | undefined }).save;
  }

  async notify(level: Level, message: string, actions: readonly string[]): Promise<string | undefined> {
    const note = { level, message, actions };
    this.notes.push(note);
    for (const listener of this.noted) listener(note);
    return actions.find((a) => this.clicks.has(a));
  }

  status(message: string): void {
    this.statuses.push(message);
    for (const listener of this.statused) listener(message);
  }
}
