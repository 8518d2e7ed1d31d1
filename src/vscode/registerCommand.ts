// Registers a command that never throws into VS Code: a failure is shown
// to the user as a sentence they can act on, and logged with its stack.
import * as vscode from 'vscode';
import { CoreError } from '../core/errors';

export function registerCommand<A extends unknown[]>(id: string, fn: (...args: A) => unknown, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(`moonshotSessions.${id}`, async (...args: unknown[]) => {
    try {
      return await fn(...(args as A));
    } catch (err) {
      log.error(`${id}: ${(err as Error).stack ?? String(err)}`);
      void vscode.window.showErrorMessage(err instanceof CoreError ? err.message : `Moonshot: ${(err as Error).message}`);
      return undefined;
    }
  });
}
