// "Open Session as Markdown": a read-only Markdown document of the session's
// history that follows new records as they arrive.
import * as vscode from 'vscode';
import type { SessionService } from '../core/sessions';
import { sessionToMarkdown } from '../core/exportFormats';
import { isCoreError } from '../core/errors';

export const HISTORY_SCHEME = 'moonshot-session';

export const historyUri = (sessionId: string) => vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${sessionId}.md` });

export class HistoryDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly sessions: SessionService) {
    this.subscription = sessions.onDidChange((e) => {
      let id: string | undefined;
      if ('sessionId' in e) id = e.sessionId;
      else if ('session' in e) id = e.session.session_id;
      if (id && (e.type === 'record' || e.type === 'updated' || e.type === 'recordsChanged' || e.type === 'deleted'))
        this.changed.fire(historyUri(id));
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const sessionId = uri.path.replace(/^\//, '').replace(/\.md$/, '');
    try {
      return sessionToMarkdown(await this.sessions.get(sessionId, { includeHistory: true }));
    } catch (err) {
      if (!isCoreError(err, 'not-found')) throw err;
      return `# Session not found\n\n\`${sessionId}\` does not exist (any more).\n`;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
