// Commands about the embedded API: the status bar's menu and its actions.
import * as vscode from 'vscode';
import type { ApiController } from './apiController';
import type { UserInput } from './userInput';
import { buildOpenApiDocument } from '../server/openapi';
import { buildRoutes } from '../server/routes';
import type { Core } from '../core/core';
import { registerCommand } from './registerCommand';

export function registerApiCommands(core: Core, api: ApiController, input: () => UserInput, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const url = (): string | undefined => {
    const s = api.state;
    if (s.running) return s.url;
    void vscode.window.showWarningMessage(`The Moonshot API is not running: ${s.reason}.`, 'Restart API').then((a) => a && vscode.commands.executeCommand('moonshotSessions.restartApi'));
    return undefined;
  };
  const actions = {
    copyApiUrl: async () => {
      const u = url();
      if (u) await vscode.env.clipboard.writeText(u);
      return u;
    },
    copyApiToken: async () => {
      const token = await api.token();
      await vscode.env.clipboard.writeText(token);
      void vscode.window.setStatusBarMessage('Moonshot API token copied', 3000);
      return true;
    },
    restartApi: async () => {
      const state = await api.restart();
      if (state.running) void vscode.window.setStatusBarMessage(`Moonshot API listening on ${state.url}`, 3000);
      else void vscode.window.showErrorMessage(`The Moonshot API did not start: ${state.reason}`);
      return state;
    },
    openApiDocument: async () => {
      // The document is generated here, so it opens without a token or a running server.
      const content = JSON.stringify(buildOpenApiDocument(buildRoutes(core)), null, 2);
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content });
      return vscode.window.showTextDocument(doc, { preview: true });
    },
    showLog: () => log.show(),
  };
  const menu = async () => {
    const s = api.state;
    const picked = await input().pick(
      [
        { label: '$(link) Copy API URL', description: s.running ? s.url : 'not running', id: 'copyApiUrl' as const },
        { label: '$(key) Copy API Token', description: 'for Authorization: Bearer …', id: 'copyApiToken' as const },
        { label: '$(debug-restart) Restart API', id: 'restartApi' as const },
        { label: '$(book) Open API Document (OpenAPI)', id: 'openApiDocument' as const },
        { label: '$(output) Show Log', id: 'showLog' as const },
      ],
      { title: s.running ? `Moonshot API on ${s.url}` : `Moonshot API: ${s.reason}` },
    );
    return picked ? vscode.commands.executeCommand(`moonshotSessions.${picked.id}`) : undefined;
  };
  return [
    ...Object.entries(actions).map(([id, fn]) => registerCommand(id, fn, log)),
    registerCommand('showApiMenu', menu, log),
  ];
}
