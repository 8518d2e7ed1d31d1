// Answers the extension's questions from a script, in order, so commands
// run end to end without a person. An unexpected question fails the test.
import type * as vscode from 'vscode';
import type { UserInput } from '../../src/vscode/userInput';

type PickAnswer = string | ((item: vscode.QuickPickItem) => boolean) | undefined;
export type Answer =
  | { pick: PickAnswer }
  | { pickMany: string[] | undefined }
  | { input: string | undefined }
  | { confirm: boolean }
  | { save: vscode.Uri | undefined };

const matches = (item: vscode.QuickPickItem, answer: string) => item.label === answer || item.description === answer || item.label.endsWith(` ${answer}`);

export class ScriptedInput implements UserInput {
  private readonly answers: Answer[];
  /** What was asked, for assertions on titles and items. */
  readonly asked: { kind: string; title?: string | undefined; items?: string[] }[] = [];

  constructor(answers: Answer[]) {
    this.answers = [...answers];
  }

  get remaining(): number {
    return this.answers.length;
  }

  private next<K extends string>(kind: K): Answer {
    const answer = this.answers.shift();
    if (!answer || !(kind in answer)) throw new Error(`Unexpected question (${kind}); the script expected ${answer ? Object.keys(answer)[0] : 'nothing more'}`);
    return answer;
  }

  async pick<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Promise<T | undefined> {
    this.asked.push({ kind: 'pick', title: options.title ?? options.placeHolder, items: items.map((i) => i.label) });
    const { pick } = this.next('pick') as { pick: PickAnswer };
    if (pick === undefined) return undefined;
    const found = items.find((i) => (typeof pick === 'string' ? matches(i, pick) : pick(i)));
    if (!found) throw new Error(`No item "${String(pick)}" among: ${items.map((i) => i.label).join(', ')}`);
    return found;
  }

  async pickMany<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Promise<T[] | undefined> {
    this.asked.push({ kind: 'pickMany', title: options.title ?? options.placeHolder, items: items.map((i) => i.label) });
    const { pickMany } = this.next('pickMany') as { pickMany: string[] | undefined };
    if (pickMany === undefined) return undefined;
    return pickMany.map((answer) => {
      const found = items.find((i) => matches(i, answer));
      if (!found) throw new Error(`No item "${answer}" among: ${items.map((i) => `${i.label} (${i.description})`).join(', ')}`);
      return found;
    });
  }

  async input(options: vscode.InputBoxOptions): Promise<string | undefined> {
    this.asked.push({ kind: 'input', title: options.title });
    const { input } = this.next('input') as { input: string | undefined };
    if (input !== undefined && options.validateInput) {
      const problem = await options.validateInput(input);
      if (problem) throw new Error(`The input box would refuse "${input}": ${typeof problem === 'string' ? problem : problem.message}`);
    }
    return input;
  }

  async confirm(message: string): Promise<boolean> {
    this.asked.push({ kind: 'confirm', title: message });
    return (this.next('confirm') as { confirm: boolean }).confirm;
  }

  async saveLocation(): Promise<vscode.Uri | undefined> {
    this.asked.push({ kind: 'save' });
    return (this.next('save') as { save: vscode.Uri | undefined }).save;
  }
}
