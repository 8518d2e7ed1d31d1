// The panel as a whole: applies host messages to the views, keeps the panel
// state (layout, cleared view) that VS Code restores, and routes link clicks
// to the host so the webview itself never navigates.
import type { HostMessage, PanelState, SessionInfo } from '../shared/chatProtocol';
import { ColumnView } from './column';
import { h } from './dom';
import { Header } from './header';
import type { Layout } from './header';
import { isSafeLinkHref } from './markdown';
import { Notices } from './notices';
import { PromptBox } from './promptBox';
import { loadPanelState, post, savePanelState } from './vscodeApi';

type InitMessage = Extract<HostMessage, { type: 'init' }>;

export class App {
  private readonly header: Header;
  private readonly columnsEl: HTMLElement;
  private readonly promptBox: PromptBox;
  private readonly notices = new Notices();
  private columns = new Map<string, ColumnView>();
  private session: SessionInfo | null = null;
  private layout: Layout;
  private clearedThrough: Record<string, number>;
  private deleted = false;
  private initialized = false;

  constructor(private readonly root: HTMLElement) {
    const saved = loadPanelState();
    this.layout = saved?.layout ?? 'columns';
    // Until init arrives, the host's data-session-id (or the saved state) says which session this is.
    const sessionId = root.dataset.sessionId ?? saved?.sessionId;
    this.clearedThrough = saved && saved.sessionId === sessionId ? saved.clearedThrough : {};

    this.header = new Header({
      toggleLayout: () => this.setLayout(this.layout === 'columns' ? 'stacked' : 'columns'),
      clearView: () => this.clearView(),
      showCleared: () => this.showCleared(),
    });
    this.columnsEl = h('main', { className: 'columns', attrs: { 'aria-label': 'Endpoints' } }, [
      h('div', { className: 'columns-placeholder', text: 'Loading…' }),
    ]);
    this.promptBox = new PromptBox((prompt) => this.sendPrompt(prompt));
    root.replaceChildren(this.header.element, this.columnsEl, this.promptBox.element, this.notices.element);
    this.applyLayout();
    if (sessionId) this.session = { sessionId, name: '', description: '', promptTemplate: null, contextStrategy: null };

    document.addEventListener('click', (e) => this.onLinkClick(e), true);
    document.addEventListener('auxclick', (e) => this.onLinkClick(e), true);
    document.addEventListener('keydown', (e) => this.onStrayKey(e));
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'init':
        this.init(message);
        return;
      case 'olderRecords':
        this.columns.get(message.chatId)?.addOlderRecords(message.records, message.hasMore);
        this.header.setHiddenCount(this.hiddenCount());
        return;
      case 'promptStarted':
        for (const chatId of message.chatIds) this.columns.get(chatId)?.startPending(message.promptId, message.prompt);
        this.promptBox.remember(message.prompt);
        return;
      case 'delta':
        this.columns.get(message.chatId)?.appendDelta(message.promptId, message.text);
        return;
      case 'record':
        this.columns.get(message.chatId)?.addRecord(message.record, message.promptId);
        return;
      case 'promptFinished':
        for (const column of this.columns.values()) column.endPending(message.promptId);
        return;
      case 'sessionUpdated':
        this.session = message.session;
        this.header.setSession(message.session);
        this.saveState();
        return;
      case 'sessionDeleted':
        this.markDeleted();
        return;
      case 'notice':
        this.notices.show(message.level, message.message);
        return;
    }
  }

  private init(message: InitMessage): void {
    if (this.session?.sessionId !== message.session.sessionId) this.clearedThrough = {};
    this.session = message.session;
    this.header.setSession(message.session);

    for (const column of this.columns.values()) column.dispose();
    this.columns = new Map();
    const fragment = document.createDocumentFragment();
    for (const column of message.columns) {
      const view = new ColumnView(
        {
          column,
          records: message.records[column.chatId] ?? [],
          hasMore: message.hasMore[column.chatId] ?? false,
          clearedThrough: this.clearedThrough[column.chatId],
        },
        { onStreamingChanged: () => this.onStreamingChanged() },
      );
      this.columns.set(column.chatId, view);
      fragment.append(view.element);
    }
    for (const pending of message.pending) this.columns.get(pending.chatId)?.startPending(pending.promptId, pending.prompt, pending.text);
    if (message.columns.length === 0) {
      fragment.append(h('div', { className: 'columns-placeholder', text: 'This session has no endpoints.' }));
    }
    this.columnsEl.dataset.count = String(message.columns.length);
    this.columnsEl.replaceChildren(fragment);
    for (const view of this.columns.values()) view.mounted();

    this.header.setHiddenCount(this.hiddenCount());
    this.onStreamingChanged();
    this.promptBox.setHistory(message.promptHistory);
    this.promptBox.setEndpointCount(message.columns.length);
    this.saveState();
    if (!this.initialized) {
      this.initialized = true;
      this.promptBox.focus();
    }
  }

  private sendPrompt(prompt: string): boolean {
    if (this.deleted || this.columns.size === 0) return false;
    post({ type: 'sendPrompt', prompt });
    return true;
  }

  private setLayout(layout: Layout): void {
    this.layout = layout;
    this.applyLayout();
    this.saveState();
  }

  private applyLayout(): void {
    // On #app for the stylesheet; on <html> and <body> too, since "the root" means either to a test.
    for (const el of [this.root, document.documentElement, document.body]) {
      el.classList.toggle('layout-columns', this.layout === 'columns');
      el.classList.toggle('layout-stacked', this.layout === 'stacked');
    }
    this.header.setLayout(this.layout);
  }

  private clearView(): void {
    for (const [chatId, column] of this.columns) {
      const newest = column.newestRecordId;
      if (newest === undefined) continue;
      this.clearedThrough[chatId] = Math.max(this.clearedThrough[chatId] ?? 0, newest);
      column.setClearedThrough(this.clearedThrough[chatId]);
    }
    this.header.setHiddenCount(this.hiddenCount());
    this.saveState();
  }

  private showCleared(): void {
    this.clearedThrough = {};
    for (const column of this.columns.values()) column.setClearedThrough(undefined);
    this.header.setHiddenCount(0);
    this.saveState();
    this.promptBox.focus();
  }

  private hiddenCount(): number {
    let n = 0;
    for (const column of this.columns.values()) n += column.hiddenCount;
    return n;
  }

  private onStreamingChanged(): void {
    let streaming = false;
    for (const column of this.columns.values()) streaming ||= column.streaming;
    this.header.setStreaming(streaming);
  }

  private markDeleted(): void {
    this.deleted = true;
    for (const column of this.columns.values()) column.dispose();
    this.header.setDeleted();
    this.promptBox.setEnabled(false);
    this.root.classList.add('is-deleted');
    this.columnsEl.before(
      h('div', { className: 'deleted-banner', testId: 'session-deleted', attrs: { role: 'alert' } }, [
        'This session was deleted. Its answers stay visible until you close the panel.',
      ]),
    );
  }

  private saveState(): void {
    if (!this.session) return;
    const state: PanelState = { sessionId: this.session.sessionId, layout: this.layout, clearedThrough: this.clearedThrough };
    savePanelState(state);
  }

  /** Typing while focus is on a column or button goes to the prompt box instead of nowhere. */
  private onStrayKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || e.key.length !== 1 || e.key === ' ') return;
    const target = e.target;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement || (target instanceof HTMLElement && target.isContentEditable)) return;
    if (this.deleted) return;
    this.promptBox.focus();
  }

  /**
   * Every link click stays in the webview's hands: the default (navigating
   * the webview) is always prevented, and only http(s)/mailto links go to the
   * host to open outside.
   */
  private onLinkClick(e: MouseEvent): void {
    const anchor = e.target instanceof Element ? e.target.closest('a') : null;
    if (!anchor) return;
    e.preventDefault();
    if (e.type === 'auxclick' && e.button !== 1) return;
    const href = anchor.getAttribute('href');
    if (href && isSafeLinkHref(href)) post({ type: 'openLink', href });
  }
}
