// Every question the extension asks the user, and every message it shows
// with buttons, goes through this interface, so integration tests can
// answer them without clicking (see the extension's exported testing API).
// VS Code's own answers come from vscodeUserInput.ts.
import type * as vscode from 'vscode';

/**
 * The user pressed the Back button of a step (see flow.ts). A registered
 * symbol: the integration tests are bundled apart from the extension, and
 * their answers must be the same BACK.
 */
export const BACK: unique symbol = Symbol.for('moonshotSessions.back');
export type Back = typeof BACK;

interface Question {
  title?: string;
  /** Shown as "step/totalSteps" in the title bar. */
  step?: number;
  totalSteps?: number;
  /** Shows the Back button; pressing it answers BACK. */
  back?: boolean;
  placeHolder?: string;
}

export interface PickQuestion<T extends vscode.QuickPickItem> extends Question {
  items: readonly T[];
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
  /** Text typed into the filter becomes an item of its own when this returns one (a URL typed into a list of presets). */
  typed?: (value: string) => T | undefined;
}

export interface InputQuestion extends Question {
  prompt?: string;
  value?: string;
  password?: boolean;
  /** A sentence saying what is wrong, or undefined when the value is fine. */
  validate?: (value: string) => string | undefined;
}

export type Level = 'info' | 'warning' | 'error';

export interface UserInput {
  pick<T extends vscode.QuickPickItem>(q: PickQuestion<T>): Promise<T | Back | undefined>;
  pickMany<T extends vscode.QuickPickItem>(q: PickQuestion<T>): Promise<T[] | Back | undefined>;
  input(q: InputQuestion): Promise<string | Back | undefined>;
  /** A modal question; true only when the user chose `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  saveLocation(options: vscode.SaveDialogOptions): Promise<vscode.Uri | undefined>;
  /** A notification; resolves with the button the user clicked, if any (it may never resolve before the toast goes). */
  notify(level: Level, message: string, actions: readonly string[]): Promise<string | undefined>;
  /** A passing confirmation in the status bar. */
  status(message: string): void;
}
