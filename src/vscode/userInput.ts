// Every question the extension asks the user goes through this interface,
// so integration tests can answer them without clicking (see the
// extension's exported testing API).
import * as vscode from 'vscode';

export interface UserInput {
  pick<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Promise<T | undefined>;
  pickMany<T extends vscode.QuickPickItem>(items: readonly T[], options: vscode.QuickPickOptions): Promise<T[] | undefined>;
  input(options: vscode.InputBoxOptions): Promise<string | undefined>;
  /** A modal question; true only when the user chose `action`. */
  confirm(message: string, detail: string, action: string): Promise<boolean>;
  saveLocation(options: vscode.SaveDialogOptions): Promise<vscode.Uri | undefined>;
}

export const vscodeUserInput: UserInput = {
  pick: async (items, options) => vscode.window.showQuickPick(items, { ...options, canPickMany: false }),
  pickMany: async (items, options) => vscode.window.showQuickPick(items, { ...options, canPickMany: true }),
  input: async (options) => vscode.window.showInputBox(options),
  confirm: async (message, detail, action) => (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
  saveLocation: async (options) => vscode.window.showSaveDialog(options),
};
