// Follows the folders of Moonshot files the settings name (endpointFolders,
// promptTemplateFolders): a file added, changed or deleted there is loaded
// again, so "change it in the file" shows in the Endpoints view at once.
import * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import { readEndpointSources, readPromptTemplateFolders } from './configuration';

/** Editors save in bursts (temp file, rename, touch): one reload for a burst. */
const RELOAD_DELAY_MS = 150;

export class SourceFolderWatcher implements vscode.Disposable {
  private watchers: vscode.Disposable[] = [];
  private readonly timers = new Map<'endpoints' | 'templates', NodeJS.Timeout>();

  constructor(
    private readonly core: Core,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.follow();
  }

  /** Watches the folders the settings name now; call again when they change. */
  follow(): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    const endpointFolders = readEndpointSources().flatMap((s) => (s.kind === 'folder' ? [s.path] : []));
    for (const folder of endpointFolders) this.watch(folder, 'endpoints');
    for (const folder of readPromptTemplateFolders()) this.watch(folder, 'templates');
  }

  private watch(folder: string, what: 'endpoints' | 'templates'): void {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '*.json'));
    const reload = () => this.schedule(what);
    this.watchers.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload));
  }

  private schedule(what: 'endpoints' | 'templates'): void {
    clearTimeout(this.timers.get(what));
    this.timers.set(
      what,
      setTimeout(() => {
        this.timers.delete(what);
        const done =
          what === 'endpoints'
            ? this.core.endpoints.setSources(readEndpointSources())
            : this.core.templates.setFolders(readPromptTemplateFolders());
        void done.then(
          () => this.log.info(`Reloaded the ${what === 'endpoints' ? 'endpoint' : 'prompt template'} folders after a file changed`),
          (err: unknown) => this.log.error(`Reloading the ${what} folders failed: ${(err as Error).message}`),
        );
      }, RELOAD_DELAY_MS),
    );
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const w of this.watchers.splice(0)) w.dispose();
  }
}
