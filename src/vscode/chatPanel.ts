// The chat panel's host side: one webview panel per session, revived after
// a reload by a serializer. It forwards the session's events to the webview
// as they happen (so prompts from the palette, the tree or the API stream
// in too) and turns the webview's messages into core calls.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Core } from '../core/core';
import type { ChatRecord, SessionMetadata } from '../core/schemas';
import type { SessionEvent } from '../core/sessions';
import { HostMessageSchema, PanelStateSchema, WebviewMessageSchema, type HostMessage, type PanelCommand, type Pending, type WebviewMessage } from '../shared/chatProtocol';
import { buildInit, olderPage, sessionInfo } from '../shared/chatPanelData';

export const CHAT_VIEW_TYPE = 'moonshotSessions.chat';

const COMMANDS: Record<PanelCommand, string> = {
  export: 'moonshotSessions.exportSession',
  setTemplate: 'moonshotSessions.setPromptTemplate',
  clearTemplate: 'moonshotSessions.clearPromptTemplate',
  setStrategy: 'moonshotSessions.setContextStrategy',
  clearStrategy: 'moonshotSessions.clearContextStrategy',
};

export class ChatPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Answers streaming now, by prompt id then chat id, so a (re)loaded webview can show them. */
  private readonly pending = new Map<string, { prompt: string; texts: Map<string, string> }>();
  /** Whole chat histories, read on the first "load earlier" of a chat. */
  private readonly fullHistory = new Map<string, ChatRecord[]>();
  private ready = false;
  private readonly readyWaiters: (() => void)[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  /** Every message posted to the webview, for tests that check what the panel was told. */
  readonly posted: HostMessage[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly sessionId: string,
    private readonly core: Core,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'moonshot.svg');
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      core.sessions.onDidChange((e) => void this.follow(e)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Resolves once the webview has loaded and been sent its first `init`. */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Moonshot session</title>
</head>
<body>
<div id="app" data-session-id="${this.sessionId}"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  private post(message: HostMessage): void {
    // Checked on the way out too: a shape the webview would drop is a bug here.
    const checked = HostMessageSchema.safeParse(message);
    if (!checked.success) {
      this.log.error(`chat panel: refusing to post an invalid ${message.type} message: ${checked.error.message}`);
      return;
    }
    this.posted.push(message);
    if (this.posted.length > 1000) this.posted.splice(0, this.posted.length - 1000);
    void this.panel.webview.postMessage(message);
  }

  /** Sends everything the webview needs to draw the panel from scratch. */
  async sendInit(): Promise<void> {
    let session: SessionMetadata;
    try {
      session = await this.core.sessions.get(this.sessionId);
    } catch {
      this.post({ type: 'sessionDeleted' });
      return;
    }
    this.panel.title = `Moonshot: ${session.name}`;
    this.fullHistory.clear();
    const pending: Pending[] = [...this.pending].flatMap(([promptId, p]) => [...p.texts].map(([chatId, text]) => ({ promptId, chatId, prompt: p.prompt, text })));
    this.post(await buildInit(this.core, session, pending));
  }

  private async follow(e: SessionEvent): Promise<void> {
    switch (e.type) {
      case 'promptStarted':
        if (e.sessionId !== this.sessionId) return;
        this.pending.set(e.promptId, { prompt: e.prompt, texts: new Map(e.chatIds.map((id) => [id, ''])) });
        this.post({ type: 'promptStarted', promptId: e.promptId, prompt: e.prompt, chatIds: e.chatIds });
        return;
      case 'delta': {
        if (e.sessionId !== this.sessionId) return;
        const texts = this.pending.get(e.promptId)?.texts;
        texts?.set(e.chatId, (texts.get(e.chatId) ?? '') + e.text);
        this.post({ type: 'delta', promptId: e.promptId, chatId: e.chatId, text: e.text });
        return;
      }
      case 'record':
        if (e.sessionId !== this.sessionId) return;
        this.pending.get(e.promptId)?.texts.delete(e.chatId);
        this.fullHistory.get(e.chatId)?.push(e.record);
        this.post({ type: 'record', promptId: e.promptId, chatId: e.chatId, record: e.record });
        return;
      case 'promptFinished':
        if (e.sessionId !== this.sessionId) return;
        this.pending.delete(e.promptId);
        this.post({ type: 'promptFinished', promptId: e.promptId });
        return;
      case 'updated':
        if (e.session.session_id !== this.sessionId) return;
        this.panel.title = `Moonshot: ${e.session.name}`;
        this.post({ type: 'sessionUpdated', session: sessionInfo(e.session) });
        return;
      case 'deleted':
        if (e.sessionId === this.sessionId) this.post({ type: 'sessionDeleted' });
        return;
      case 'reloaded':
        return this.sendInit();
      case 'recordsChanged':
        // Records another process wrote: this process saw no events for them.
        if (e.sessionId === this.sessionId && this.pending.size === 0) return this.sendInit();
        return;
      default:
        return;
    }
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = WebviewMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`chat panel: dropped a message that fits no known shape: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      await this.handle(parsed.data);
    } catch (err) {
      this.log.error(`chat panel: ${parsed.data.type}: ${(err as Error).stack ?? String(err)}`);
      this.post({ type: 'notice', level: 'error', message: (err as Error).message });
    }
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.sendInit();
        this.ready = true;
        for (const resolve of this.readyWaiters.splice(0)) resolve();
        return;
      case 'sendPrompt':
        await this.core.sessions.prompt(this.sessionId, m.prompt);
        return;
      case 'retry':
        await this.core.sessions.prompt(this.sessionId, m.prompt, { chatIds: [m.chatId] });
        return;
      case 'stop':
        this.core.sessions.cancel(this.sessionId, m.chatId);
        return;
      case 'loadOlder':
        return this.sendOlder(m.chatId, m.beforeRecordId);
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        void vscode.window.setStatusBarMessage('Copied', 2000);
        return;
      case 'insert':
        return this.insert(m.text);
      case 'openLink': {
        const uri = vscode.Uri.parse(m.href, true);
        // Model output chooses these links: only web and mail links, and VS Code asks before opening.
        if (uri.scheme === 'http' || uri.scheme === 'https' || uri.scheme === 'mailto') await vscode.env.openExternal(uri);
        return;
      }
      case 'command':
        await vscode.commands.executeCommand(COMMANDS[m.command], this.sessionId);
        return;
    }
  }

  private async sendOlder(chatId: string, beforeRecordId: number): Promise<void> {
    let all = this.fullHistory.get(chatId);
    if (!all) {
      all = await this.core.sessions.history(this.sessionId, chatId);
      this.fullHistory.set(chatId, all);
    }
    this.post({ type: 'olderRecords', chatId, ...olderPage(all, beforeRecordId) });
  }

  private async insert(text: string): Promise<void> {
    // The webview has focus now, so the editor to insert into is the last text editor shown.
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) {
      const doc = await vscode.workspace.openTextDocument({ content: text, language: 'markdown' });
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside);
      return;
    }
    await editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, text);
    });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}

/** One panel per session: opening a session that has one reveals it. */
export class ChatPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ChatPanel>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly core: Core,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(CHAT_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const parsed = PanelStateSchema.safeParse(state);
          if (!parsed.success) {
            panel.dispose();
            return;
          }
          this.attach(panel, parsed.data.sessionId);
        },
      }),
    );
  }

  get(sessionId: string): ChatPanel | undefined {
    return this.panels.get(sessionId);
  }

  async open(session: SessionMetadata): Promise<ChatPanel> {
    const existing = this.panels.get(session.session_id);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(CHAT_VIEW_TYPE, `Moonshot: ${session.name}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: false,
      enableFindWidget: true,
    });
    return this.attach(panel, session.session_id);
  }

  private attach(panel: vscode.WebviewPanel, sessionId: string): ChatPanel {
    const chat = new ChatPanel(panel, sessionId, this.core, this.extensionUri, this.log);
    this.panels.set(sessionId, chat);
    chat.onDidDispose(() => {
      if (this.panels.get(sessionId) === chat) this.panels.delete(sessionId);
    });
    return chat;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
