// The chat panel's host side: one webview panel per session, revived after
// a reload by a serializer. It forwards the session's events to the webview
// as they happen (so prompts from the palette, the tree or the API stream
// in too), answers the webview's requests (older rows) and turns its other
// messages into core calls.
import * as vscode from 'vscode';
import type { AttackEvent } from '../core/attackRuns';
import type { Core } from '../core/openCore';
import { isCoreError } from '../core/errors';
import type { Attack, SessionMetadata } from '../core/schemas';
import type { SessionEvent } from '../core/sessions';
import {
  HostMessageSchema,
  PanelStateSchema,
  WebviewMessageSchema,
  type HostMessage,
  type PanelCommand,
  type WebviewMessage,
} from '../shared/chatProtocol';
import { buildInit, panelSessionInfo, type RowPager } from './chatPanelData';
import { languageIdFor } from './codeLanguage';
import { runCommand, type CommandName } from './commands';
import { webviewPage } from './webviewPage';

export const CHAT_VIEW_TYPE = 'moonshotSessions.chat';

/** The extension's command that each of the panel's header buttons runs. */
const COMMANDS: Record<PanelCommand, CommandName> = {
  export: 'exportSession',
  setTemplate: 'setPromptTemplate',
  clearTemplate: 'clearPromptTemplate',
  setStrategy: 'setContextStrategy',
  clearStrategy: 'clearContextStrategy',
  startAttack: 'startAttack',
  setJudge: 'setJudge',
  clearJudge: 'clearJudge',
  scoreRecords: 'scoreRecords',
};

/**
 * The summary strip is computed from every record of the session: at most
 * this often while records and scores come, and never more than a fifth of
 * the time (a large session takes a while: 0.4 s at 4 x 10,000 records).
 */
const SUMMARY_INTERVAL_MS = 1000;
const SUMMARY_SHARE = 5;

/** A message posted to a panel's webview, as the optional observer of ChatPanels sees it. */
export interface PostedMessage {
  sessionId: string;
  message: HostMessage;
}

export interface ChatPanelOptions {
  /** Called with every message posted to the webview (tests watch the panel through it). */
  onDidPost?: (posted: PostedMessage) => void;
}

export class ChatPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private readonly readyWaiters: (() => void)[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  /** Pages rows for the webview's current load; replaced by each init. */
  private pager: RowPager | undefined;
  private generation = 0;
  /** Session events that came while an init was being built: posted after it, so none is lost. */
  private held: SessionEvent[] | undefined;
  /** The latest attack progress that came while an init was being built (the init's own snapshot may be older). */
  private heldAttack: Attack | undefined;
  private deleted = false;
  private focusPromptWhenReady = false;
  private promptWhenReady: string | undefined;
  private initializing: Promise<void> = Promise.resolve();
  private summaryTimer: NodeJS.Timeout | undefined;
  /** When the summary was last computed (ms) and how long that took; a refresh asked for sooner waits for the interval's end. */
  private summaryAt = 0;
  private summaryTook = 0;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly sessionId: string,
    private readonly core: Core,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly options: ChatPanelOptions = {},
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
      core.attacks.onDidChange((e) => this.followAttack(e)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Resolves once the webview has loaded and been sent its first `init`. */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Puts the keyboard focus in the prompt box (once the webview is there). */
  focusPromptBox(): void {
    this.panel.reveal(undefined, false);
    if (this.ready) this.post({ type: 'focusPrompt' });
    else this.focusPromptWhenReady = true;
  }

  /** Puts `prompt` in the prompt box, focused, to edit and send (a bookmark's prompt). */
  setPrompt(prompt: string): void {
    this.panel.reveal(undefined, false);
    if (this.ready) this.post({ type: 'setPrompt', prompt });
    else this.promptWhenReady = prompt;
  }

  /** Stops every call in flight for this session. */
  stopAll(): void {
    this.core.sessions.cancel(this.sessionId);
  }

  private html(): string {
    const webview = this.panel.webview;
    const highlighter = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview-highlight.js'));
    return webviewPage(webview, this.extensionUri, {
      title: 'Moonshot session',
      script: 'webview.js',
      scriptData: { highlighter: highlighter.toString() },
      style: 'chat.css',
      root: { id: 'app', data: { 'session-id': this.sessionId } },
    });
  }

  private post(message: HostMessage): void {
    // Checked on the way out too: a shape the webview would drop is a bug here.
    const checked = HostMessageSchema.safeParse(message);
    if (!checked.success) {
      this.log.error(`chat panel: refusing to post an invalid ${message.type} message: ${checked.error.message}`);
      return;
    }
    this.options.onDidPost?.({ sessionId: this.sessionId, message });
    void this.panel.webview.postMessage(message);
  }

  /** Sends everything the webview needs to draw the panel from scratch (one init at a time, in order). */
  sendInit(): Promise<void> {
    const run = this.initializing.then(() => this.init());
    this.initializing = run.catch(() => undefined);
    return run;
  }

  private async init(): Promise<void> {
    let session: SessionMetadata;
    try {
      session = await this.core.sessions.get(this.sessionId);
    } catch (err) {
      if (!isCoreError(err, 'not-found')) throw err;
      this.markDeleted();
      return;
    }
    this.panel.title = `Moonshot: ${session.name}`;
    this.held = [];
    this.heldAttack = undefined;
    try {
      const { init, pager } = await buildInit(this.core, session, ++this.generation);
      this.pager = pager;
      this.post(init);
    } catch (err) {
      // Deleted while the init was being built.
      if (!isCoreError(err, 'not-found')) throw err;
      this.markDeleted();
    } finally {
      const held = this.held;
      const attack = this.heldAttack;
      this.held = undefined;
      this.heldAttack = undefined;
      for (const e of held ?? []) this.forward(e);
      if (attack) this.post({ type: 'attack', attack });
    }
    this.refreshSummary(true);
  }

  private followAttack(e: AttackEvent): void {
    if (e.attack.session_id !== this.sessionId || this.deleted) return;
    if (this.held) this.heldAttack = e.attack;
    else this.post({ type: 'attack', attack: e.attack });
  }

  /**
   * Sends each chat's summary: at once when `now` (a new load), else at most
   * once per SUMMARY_INTERVAL_MS, the last change of a burst included.
   */
  private refreshSummary(now = false): void {
    if (this.deleted || (this.summaryTimer && !now)) return;
    clearTimeout(this.summaryTimer);
    const interval = Math.max(SUMMARY_INTERVAL_MS, this.summaryTook * SUMMARY_SHARE);
    const wait = now ? 0 : Math.max(0, this.summaryAt + interval - Date.now());
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = undefined;
      const started = Date.now();
      this.summaryAt = started;
      this.core.sessions.summary(this.sessionId).then(
        (summary) => {
          this.summaryTook = Date.now() - started;
          if (!this.deleted) this.post({ type: 'summary', summary });
        },
        (err: unknown) => {
          if (!isCoreError(err, 'not-found')) this.log.warn(`chat panel: the summary of ${this.sessionId}: ${(err as Error).message}`);
        },
      );
    }, wait);
  }

  private markDeleted(): void {
    this.deleted = true;
    this.pager = undefined;
    if (!this.panel.title.endsWith('(deleted)')) this.panel.title = `${this.panel.title} (deleted)`;
    this.post({ type: 'sessionDeleted' });
  }

  private async follow(e: SessionEvent): Promise<void> {
    switch (e.type) {
      case 'updated':
        if (e.session.session_id !== this.sessionId) return;
        this.panel.title = `Moonshot: ${e.session.name}`;
        this.post({ type: 'sessionUpdated', session: await panelSessionInfo(this.core, e.session) });
        return;
      case 'deleted':
        if (e.sessionId === this.sessionId) this.markDeleted();
        return;
      case 'reloaded':
        if (!this.deleted) await this.sendInit();
        return;
      case 'recordsChanged':
        // Records another process wrote: this process saw no events for them.
        if (e.sessionId === this.sessionId && this.core.sessions.activePrompts(this.sessionId).length === 0) await this.sendInit();
        return;
      case 'created':
        return;
      default:
        if (e.sessionId !== this.sessionId) return;
        if (this.held) this.held.push(e);
        else this.forward(e);
    }
  }

  /** A prompt's progress, as the webview shows it. */
  private forward(e: SessionEvent): void {
    switch (e.type) {
      case 'promptStarted':
        this.pager?.noteLive(e.promptId);
        this.post({
          type: 'promptStarted',
          promptId: e.promptId,
          prompt: e.prompt,
          chatIds: e.chatIds,
          ...(e.attack ? { attack: e.attack } : {}),
        });
        return;
      case 'chatQueued':
      case 'chatStarted':
        this.post({ type: e.type, promptId: e.promptId, chatId: e.chatId });
        return;
      case 'delta':
        this.post({ type: 'delta', promptId: e.promptId, chatId: e.chatId, text: e.text });
        return;
      case 'record':
        this.pager?.noteRecord(e.chatId, e.record);
        this.post({ type: 'record', promptId: e.promptId, chatId: e.chatId, record: e.record });
        this.refreshSummary();
        return;
      case 'score':
        this.pager?.noteScore(e.chatId, e.chatRecordId, e.metric);
        this.post({ type: 'score', chatId: e.chatId, chatRecordId: e.chatRecordId, promptId: e.promptId ?? null, metric: e.metric });
        this.refreshSummary();
        return;
      case 'promptFinished':
        this.post({ type: 'promptFinished', promptId: e.promptId });
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
    const m = parsed.data;
    try {
      await this.handle(m);
    } catch (err) {
      this.log.error(`chat panel: ${m.type}: ${(err as Error).stack ?? String(err)}`);
      const message = (err as Error).message;
      // A request gets its answer either way, so the webview never waits for nothing.
      if (m.type === 'loadOlder') this.post({ type: 'reply', requestId: m.requestId, outcome: { ok: false, error: message } });
      else this.post({ type: 'notice', level: 'error', message });
    }
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.sendInit();
        this.ready = true;
        for (const resolve of this.readyWaiters.splice(0)) resolve();
        if (this.promptWhenReady !== undefined) {
          this.post({ type: 'setPrompt', prompt: this.promptWhenReady });
          this.promptWhenReady = undefined;
        } else if (this.focusPromptWhenReady) this.post({ type: 'focusPrompt' });
        this.focusPromptWhenReady = false;
        return;
      case 'sendPrompt':
        await this.core.sessions.prompt(this.sessionId, m.prompt);
        return;
      case 'retry':
        await this.core.sessions.prompt(this.sessionId, m.prompt, { chatIds: [m.chatId], ...(m.promptId ? { promptId: m.promptId } : {}) });
        return;
      case 'stop':
        this.core.sessions.cancel(this.sessionId, m.chatId);
        return;
      case 'loadOlder': {
        const pager = this.pager;
        // Asked before the latest init (or after a delete): there is nothing older to give that view.
        if (!pager || m.generation !== this.generation) {
          this.post({ type: 'reply', requestId: m.requestId, outcome: { ok: true, page: { rows: [], hasMore: false } } });
          return;
        }
        const page = await pager.nextPage();
        this.post({ type: 'reply', requestId: m.requestId, outcome: { ok: true, page } });
        return;
      }
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        void vscode.window.setStatusBarMessage('Copied', 2000);
        return;
      case 'insert':
        return this.insert(m.text, m.language);
      case 'openLink': {
        const uri = vscode.Uri.parse(m.href, true);
        // Model output chooses these links: only web and mail links, and VS Code asks before opening.
        if (uri.scheme === 'http' || uri.scheme === 'https' || uri.scheme === 'mailto') await vscode.env.openExternal(uri);
        return;
      }
      case 'command':
        await runCommand(COMMANDS[m.command], this.sessionId);
        return;
      case 'cancelAttack':
        await this.core.attacks.cancel(this.sessionId, m.attackId);
        return;
      case 'bookmark':
        await runCommand('bookmarkAnswer', this.sessionId, m.chatId, m.chatRecordId);
        return;
    }
  }

  /** A whole answer goes in as Markdown; a code block in its fence's language. */
  private async insert(text: string, fence: string | undefined): Promise<void> {
    const language = fence === undefined ? 'markdown' : languageIdFor(fence, await vscode.languages.getLanguages());
    // The webview has focus now, so the editor to insert into is the last text editor shown.
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) {
      const doc = await vscode.workspace.openTextDocument({ content: text, language });
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.Beside);
      return;
    }
    await editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, text);
    });
    // An untitled scratch editor takes the language of what was put in it.
    const doc = editor.document;
    if (doc.isUntitled && doc.languageId === 'plaintext' && language !== 'plaintext')
      await vscode.languages.setTextDocumentLanguage(doc, language);
  }

  dispose(): void {
    clearTimeout(this.summaryTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}

/** One panel per session: opening a session that has one reveals it. */
export class ChatPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ChatPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly posted = new vscode.EventEmitter<PostedMessage>();
  /** Every message any panel posts to its webview. */
  readonly onDidPost = this.posted.event;
  /** The panel last focused, for the commands that act on "the" panel. */
  private lastActive: ChatPanel | undefined;

  constructor(
    private readonly core: Core,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.posted,
      vscode.window.registerWebviewPanelSerializer(CHAT_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const parsed = PanelStateSchema.safeParse(state);
          // A panel of a session deleted meanwhile (or of no session) is not brought back.
          if (!parsed.success || !(await this.exists(parsed.data.sessionId))) {
            panel.dispose();
            return;
          }
          this.attach(panel, parsed.data.sessionId);
        },
      }),
    );
  }

  private async exists(sessionId: string): Promise<boolean> {
    try {
      await this.core.sessions.get(sessionId);
      return true;
    } catch (err) {
      if (isCoreError(err, 'not-found')) return false;
      throw err;
    }
  }

  get(sessionId: string): ChatPanel | undefined {
    return this.panels.get(sessionId);
  }

  /** The focused chat panel, or the one focused last while it is still open. */
  get active(): ChatPanel | undefined {
    for (const p of this.panels.values()) if (p.panel.active) return p;
    return this.lastActive && this.panels.get(this.lastActive.sessionId) === this.lastActive ? this.lastActive : undefined;
  }

  /**
   * Opens (or reveals) the session's panel; with `focusPrompt` the prompt box
   * takes the keyboard focus. Takes the session's id or its metadata.
   */
  async open(session: string | SessionMetadata, options: { focusPrompt?: boolean } = {}): Promise<ChatPanel> {
    const meta = typeof session === 'string' ? await this.core.sessions.get(session) : session;
    let chat = this.panels.get(meta.session_id);
    if (chat) chat.panel.reveal();
    else {
      const panel = vscode.window.createWebviewPanel(CHAT_VIEW_TYPE, `Moonshot: ${meta.name}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        retainContextWhenHidden: false,
        enableFindWidget: true,
      });
      chat = this.attach(panel, meta.session_id);
    }
    if (options.focusPrompt) chat.focusPromptBox();
    return chat;
  }

  /** Focuses the prompt box of the active panel; false when no panel is open. */
  focusPromptBox(): boolean {
    const chat = this.active;
    chat?.focusPromptBox();
    return chat !== undefined;
  }

  /** Stops every call in flight of the active panel's session; false when no panel is open. */
  stopAll(): boolean {
    const chat = this.active;
    chat?.stopAll();
    return chat !== undefined;
  }

  private attach(panel: vscode.WebviewPanel, sessionId: string): ChatPanel {
    const chat = new ChatPanel(panel, sessionId, this.core, this.extensionUri, this.log, { onDidPost: (p) => this.posted.fire(p) });
    this.panels.set(sessionId, chat);
    if (panel.active) this.lastActive = chat;
    const viewState = panel.onDidChangeViewState(() => {
      if (panel.active) this.lastActive = chat;
    });
    chat.onDidDispose(() => {
      viewState.dispose();
      if (this.panels.get(sessionId) === chat) this.panels.delete(sessionId);
      if (this.lastActive === chat) this.lastActive = undefined;
    });
    return chat;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
