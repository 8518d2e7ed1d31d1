// Commands about the embedded API: the status bar's menu and its actions.
import * as vscode from 'vscode';
import type { ApiController } from './apiController';
import type { UserInput } from './userInput';
import { notify, offerCommand, runCommand, type CommandName, type CommandTable } from './commands';
import { askOnce } from './flow';
import { API_DOCUMENT_URI } from './apiDocument';

type ApiCommand = 'copyApiUrl' | 'copyApiToken' | 'restartApi' | 'openApiDocument' | 'showLog' | 'showApiMenu';

export function apiCommandHandlers(
  api: ApiController,
  input: () => UserInput,
  log: vscode.LogOutputChannel,
): Pick<CommandTable, ApiCommand> {
  const url = (): string | undefined => {
    const s = api.state;
    if (s.running) return s.url;
    notify(input(), 'warning', `The Moonshot API is not running: ${s.reason}.`, offerCommand('Restart API', 'restartApi'));
    return undefined;
  };
  return {
    copyApiUrl: async () => {
      const u = url();
      if (!u) return undefined;
      await vscode.env.clipboard.writeText(u);
      input().status(`Copied the Moonshot API's URL ${u}`);
      return u;
    },
    copyApiToken: async () => {
      const token = await api.token();
      await vscode.env.clipboard.writeText(token);
      input().status('Copied the Moonshot API token (send it as Authorization: Bearer …)');
      return true;
    },
    restartApi: async () => {
      const state = await api.restart();
      if (state.running) notify(input(), 'info', `The Moonshot API restarted and listens on ${state.url}.`);
      else notify(input(), 'error', `The Moonshot API did not start: ${state.reason}`, offerCommand('Show Log', 'showLog'));
      return state;
    },
    openApiDocument: async () => {
      const doc = await vscode.workspace.openTextDocument(API_DOCUMENT_URI);
      return vscode.window.showTextDocument(doc, { preview: true });
    },
    showLog: () => log.show(),
    showApiMenu: async () => {
      const s = api.state;
      const items: (vscode.QuickPickItem & { id: CommandName })[] = [
        { label: '$(link) Copy API URL', description: s.running ? s.url : 'not running', id: 'copyApiUrl' },
        { label: '$(key) Copy API Token', description: 'for Authorization: Bearer …', id: 'copyApiToken' },
        { label: '$(debug-restart) Restart API', id: 'restartApi' },
        { label: '$(book) Open API Document (OpenAPI)', id: 'openApiDocument' },
        { label: '$(output) Show Log', id: 'showLog' },
      ];
      const picked = await askOnce(input(), (ask) =>
        ask.pick({ title: s.running ? `Moonshot API on ${s.url}` : `Moonshot API: ${s.reason}`, items }),
      );
      return picked ? runCommand(picked.id) : undefined;
    },
  };
}
