// Guided flows of several questions (Add Endpoint, Create Session, Edit
// Endpoint, Send Prompt ...) with a Back button on every step but the first.
// A flow is a chain of steps: each asks through `Ask` and returns the next
// step, or nothing when done. Back runs the previous step again (steps show
// what was answered before as the default, from the flow's own state);
// Escape ends the flow and nothing is done.
import type * as vscode from 'vscode';
import { BACK, type Back, type InputQuestion, type PickQuestion, type UserInput } from './userInput';

/** A step returns the step after it; returning itself asks the same question again (not a new step for Back). */
export type Step = (ask: Ask) => Promise<Step | void>;

class GoBack {}
class Cancelled {}

type Numbered<Q> = Omit<Q, 'back' | 'step' | 'totalSteps'>;

/** The questions of one step: they resolve with the answer, never with "cancelled" or "back". */
export class Ask {
  constructor(
    private readonly ui: UserInput,
    private readonly step: number,
    private readonly totalSteps: number | undefined,
    private readonly canGoBack: boolean,
  ) {}

  private numbered<Q>(q: Q): Q & { back: boolean; step?: number; totalSteps?: number } {
    // A one-question flow shows no "1/1".
    const numbers =
      this.totalSteps !== undefined && this.totalSteps > 1 ? { step: this.step, totalSteps: Math.max(this.totalSteps, this.step) } : {};
    return { ...q, back: this.canGoBack, ...numbers };
  }

  private answer<T>(value: T | Back | undefined): T {
    if (value === BACK) throw new GoBack();
    if (value === undefined) throw new Cancelled();
    return value;
  }

  async pick<T extends vscode.QuickPickItem>(q: Numbered<PickQuestion<T>>): Promise<T> {
    return this.answer(await this.ui.pick(this.numbered(q)));
  }

  async pickMany<T extends vscode.QuickPickItem>(q: Numbered<PickQuestion<T>>): Promise<T[]> {
    return this.answer(await this.ui.pickMany(this.numbered(q)));
  }

  async input(q: Numbered<InputQuestion>): Promise<string> {
    return this.answer(await this.ui.input(this.numbered(q)));
  }
}

export interface FlowOptions {
  /** How many steps the flow has, asked again at each step (a choice may add one). */
  totalSteps?: () => number;
}

/** Runs the steps from `first`; true when the flow reached its end, false when the user left it. */
export async function runFlow(ui: UserInput, first: Step, options: FlowOptions = {}): Promise<boolean> {
  const done: Step[] = [];
  let current: Step | void = first;
  while (current) {
    const step: Step = current;
    try {
      const next: Step | void = await step(new Ask(ui, done.length + 1, options.totalSteps?.(), done.length > 0));
      if (next && next !== step) done.push(step);
      current = next;
    } catch (err) {
      if (err instanceof GoBack) current = done.pop() ?? step;
      else if (err instanceof Cancelled) return false;
      else throw err;
    }
  }
  return true;
}

/** A flow of one question, answered or not. */
export async function askOnce<T>(ui: UserInput, question: (ask: Ask) => Promise<T>): Promise<T | undefined> {
  let result: T | undefined;
  const completed = await runFlow(ui, async (ask) => {
    result = await question(ask);
  });
  return completed ? result : undefined;
}

/**
 * A question asked inside a step after its first one (a value for the item
 * picked from a list): Back there answers undefined, so the step can ask
 * its first question again, instead of leaving the step.
 */
export async function unlessBack<T>(question: Promise<T>): Promise<T | undefined> {
  try {
    return await question;
  } catch (err) {
    if (err instanceof GoBack) return undefined;
    throw err;
  }
}
