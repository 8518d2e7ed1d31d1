// Every command of the extension in one table: its id (as package.json
// contributes it), and one place that registers the handlers and runs
// commands from code. A command never throws into VS Code: a failure is
// shown to the user as a sentence they can act on, and logged with its stack.
import * as vscode from 'vscode';
import { CoreError } from '../core/errors';
import type { Level, UserInput } from './userInput';

export const COMMAND_IDS = {
  createSession: 'moonshotSessions.createSession',
  sendPrompt: 'moonshotSessions.sendPrompt',
  openSession: 'moonshotSessions.openSession',
  openSessionMarkdown: 'moonshotSessions.openSessionMarkdown',
  deleteSession: 'moonshotSessions.deleteSession',
  exportSession: 'moonshotSessions.exportSession',
  setPromptTemplate: 'moonshotSessions.setPromptTemplate',
  clearPromptTemplate: 'moonshotSessions.clearPromptTemplate',
  setContextStrategy: 'moonshotSessions.setContextStrategy',
  clearContextStrategy: 'moonshotSessions.clearContextStrategy',
  copySessionId: 'moonshotSessions.copySessionId',
  refreshSessions: 'moonshotSessions.refreshSessions',
  focusPromptBox: 'moonshotSessions.focusPromptBox',
  stopAll: 'moonshotSessions.stopAll',
  addEndpoint: 'moonshotSessions.addEndpoint',
  editEndpoint: 'moonshotSessions.editEndpoint',
  setEndpointToken: 'moonshotSessions.setEndpointToken',
  removeEndpoint: 'moonshotSessions.removeEndpoint',
  testEndpoint: 'moonshotSessions.testEndpoint',
  refreshEndpoints: 'moonshotSessions.refreshEndpoints',
  copyApiUrl: 'moonshotSessions.copyApiUrl',
  copyApiToken: 'moonshotSessions.copyApiToken',
  restartApi: 'moonshotSessions.restartApi',
  openApiDocument: 'moonshotSessions.openApiDocument',
  showApiMenu: 'moonshotSessions.showApiMenu',
  showLog: 'moonshotSessions.showLog',
  startAttack: 'moonshotSessions.startAttack',
  cancelAttack: 'moonshotSessions.cancelAttack',
  setJudge: 'moonshotSessions.setJudge',
  clearJudge: 'moonshotSessions.clearJudge',
  scoreRecords: 'moonshotSessions.scoreRecords',
  bookmarkAnswer: 'moonshotSessions.bookmarkAnswer',
  useBookmark: 'moonshotSessions.useBookmark',
  copyBookmarkPrompt: 'moonshotSessions.copyBookmarkPrompt',
  deleteBookmark: 'moonshotSessions.deleteBookmark',
  exportBookmarks: 'moonshotSessions.exportBookmarks',
  deleteAllBookmarks: 'moonshotSessions.deleteAllBookmarks',
  refreshBookmarks: 'moonshotSessions.refreshBookmarks',
  runDataset: 'moonshotSessions.runDataset',
  resumeRun: 'moonshotSessions.resumeRun',
  cancelRun: 'moonshotSessions.cancelRun',
  openRunResults: 'moonshotSessions.openRunResults',
  exportRunResults: 'moonshotSessions.exportRunResults',
  compareRun: 'moonshotSessions.compareRun',
} as const;

export type CommandName = keyof typeof COMMAND_IDS;
export type CommandId = (typeof COMMAND_IDS)[CommandName];

// `never[]` accepts a handler of any parameter list: commands arrive with whatever VS Code passes.
type Handler = (...args: never[]) => unknown;
/** A handler for every command: a command without one fails to compile. */
export type CommandTable = Record<CommandName, Handler>;

export function registerCommands(table: CommandTable, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return (Object.keys(table) as CommandName[]).map((name) =>
    vscode.commands.registerCommand(COMMAND_IDS[name], async (...args: unknown[]) => {
      try {
        return await (table[name] as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        log.error(`${name}: ${(err as Error).stack ?? String(err)}`);
        void vscode.window.showErrorMessage(err instanceof CoreError ? err.message : `Moonshot: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
}

export function runCommand<T = unknown>(name: CommandName, ...args: unknown[]): Thenable<T | undefined> {
  return vscode.commands.executeCommand<T>(COMMAND_IDS[name], ...args);
}

/** A button of a notification and what it does. */
export interface Offer {
  title: string;
  run(): unknown;
}

/** A button that runs one of the extension's commands. */
export const offerCommand = (title: string, name: CommandName, ...args: unknown[]): Offer => ({
  title,
  run: () => runCommand(name, ...args),
});

/** A button that opens a file in an editor. */
export const offerOpen = (title: string, uri: vscode.Uri): Offer => ({
  title,
  run: () => vscode.commands.executeCommand('vscode.open', uri),
});

/** Shows a message with buttons and, when the user clicks one, runs it. Does not wait for the click. */
export function notify(ui: UserInput, level: Level, message: string, ...offers: Offer[]): void {
  void ui.notify(level, message, offers.map((o) => o.title)).then((clicked) => offers.find((o) => o.title === clicked)?.run());
}
