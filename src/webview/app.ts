// The panel as a whole: applies host messages to the views, keeps the panel
// state (layout, cleared view) that VS Code restores, and routes link clicks
// to the host so the webview itself never navigates.
import type { SessionSummary } from '../core/schemas';
import type { HostMessage, InitMessage, PanelState, SessionInfo } from '../shared/chatProtocol';
import { AttackBar } from './attackBar';
import { h } from './dom';
import { GridView } from './grid';
import { Header, type Layout } from './header';
import { isSafeLinkHref } from './markdown';
import { Notices } from './notices';
import { PromptBox } from './promptBox';
import { HostRequests } from './requests';
import { loadPanelState, post, savePanelState } from './vscodeApi';

export class App {
  private readonly header: Header;
  private readonly main: HTMLElement;
  private readonly promptBox: PromptBox;
  private readonly attackBar = new AttackBar();
  private readonly notices = new Notices();
  /** The latest figures of each chat: a new grid (a new init) shows them until fresh ones come. */
  private summary: SessionSummary | undefined;
  private readonly requests = new HostRequests();
  private grid: GridView | undefined;
  private columnCount = 0;
  private sessionId: string | undefined;
  private generation = 0;
  private layout: Layout;
  private clearedThrough: Record<string, number>;
  private deleted = false;
  private initialized = false;

  constructor(private readonly root: HTMLElement) {
    const saved = loadPanelState();
    this.layout = saved?.layout ?? 'columns';
    // Until init arrives, the host's data-session-id (or the saved state) says which session this is.
    this.sessionId = root.dataset.sessionId ?? saved?.sessionId;
    this.clearedThrough = saved && saved.sessionId === this.sessionId ? saved.clearedThrough : {};

    this.header = new Header({
      toggleLayout: () => this.setLayout(this.layout === 'columns' ? 'stacked' : 'columns'),
      clearView: () => this.clearView(),
      showCleared: () => this.showCleared(),
    });
    this.main = h('main', { className: 'panel-main', attrs: { 'aria-label': 'Endpoints' } }, [
      h('div', { className: 'placeholder', text: 'Loading…' }),
    ]);
    this.promptBox = new PromptBox((prompt) => this.sendPrompt(prompt));
    root.replaceChildren(this.header.element, this.attackBar.element, this.main, this.promptBox.element, this.notices.element);
    this.applyLayout();

    document.addEventListener('click', (e) => this.onLinkClick(e), true);
    document.addEventListener('auxclick', (e) => this.onLinkClick(e), true);
    document.addEventListener('keydown', (e) => this.onStrayKey(e));
  }

  handle(message: HostMessage): void {
    switch (message.type) {
      case 'init':
        this.init(message);
        return;
      case 'reply':
        this.requests.settle(message);
        return;
      case 'promptStarted':
        this.grid?.promptStarted(message.promptId, message.prompt, message.chatIds, message.attack);
        // An attack's variants are not what the user typed: Up/Down recalls typed prompts.
        if (!message.attack) this.promptBox.remember(message.prompt);
        return;
      case 'chatQueued':
        this.grid?.chatState(message.promptId, message.chatId, 'queued');
        return;
      case 'chatStarted':
        this.grid?.chatState(message.promptId, message.chatId, 'running');
        return;
      case 'delta':
        this.grid?.delta(message.promptId, message.chatId, message.text);
        return;
      case 'record':
        this.grid?.record(message.promptId, message.chatId, message.record);
        return;
      case 'promptFinished':
        this.grid?.promptFinished(message.promptId);
        return;
      case 'score':
        this.grid?.score(message.promptId, message.chatId, message.chatRecordId, message.metric);
        return;
      case 'summary':
        this.summary = message.summary;
        this.grid?.setSummary(message.summary);
        return;
      case 'attack':
        this.attackBar.show(message.attack);
        return;
      case 'setPrompt':
        if (!this.deleted) this.promptBox.setText(message.prompt);
        return;
      case 'sessionUpdated':
        this.setSession(message.session);
        return;
      case 'sessionDeleted':
        this.markDeleted();
        return;
      case 'focusPrompt':
        if (!this.deleted) this.promptBox.focus();
        return;
      case 'notice':
        this.notices.show(message.level, message.message);
        return;
    }
  }

  private init(message: InitMessage): void {
    if (this.sessionId !== message.session.sessionId) this.clearedThrough = {};
    this.generation = message.generation;
    // Pages asked for the view being replaced would not fit the new one.
    this.requests.rejectAll();
    this.setSession(message.session);

    this.grid?.dispose();
    this.columnCount = message.columns.length;
    if (message.columns.length === 0) {
      this.grid = undefined;
      this.main.replaceChildren(h('div', { className: 'placeholder', text: 'This session has no endpoints.' }));
    } else {
      this.grid = new GridView(
        message.columns,
        { rows: message.rows, hasMore: message.hasMore, active: message.active, clearedThrough: this.clearedThrough },
        {
          requestOlder: () => this.requests.loadOlder(this.generation),
          onActivityChanged: () => this.header.setStreaming(this.grid?.streaming ?? false),
          onHiddenChanged: () => this.header.setHiddenCount(this.grid?.hiddenCount ?? 0),
          notify: (text) => this.notices.show('error', text),
        },
      );
      this.main.replaceChildren(this.grid.element);
      this.grid.mounted();
      if (this.summary && this.sessionId === message.session.sessionId) this.grid.setSummary(this.summary);
    }
    if (message.attack) this.attackBar.show(message.attack);
    this.header.setHiddenCount(this.grid?.hiddenCount ?? 0);
    this.header.setStreaming(this.grid?.streaming ?? false);
    this.promptBox.setHistory(message.promptHistory);
    this.promptBox.setEndpointCount(message.columns.length);
    this.saveState();
    if (!this.initialized) {
      this.initialized = true;
      this.promptBox.focus();
    }
  }

  private setSession(session: SessionInfo): void {
    this.sessionId = session.sessionId;
    this.header.setSession(session);
    this.saveState();
  }

  private sendPrompt(prompt: string): boolean {
    if (this.deleted || this.columnCount === 0) return false;
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
    if (!this.grid) return;
    this.clearedThrough = this.grid.clearAll();
    this.saveState();
  }

  private showCleared(): void {
    this.clearedThrough = {};
    this.grid?.showCleared();
    this.saveState();
    this.promptBox.focus();
  }

  /** The answers stay to be read; nothing can be sent or changed any more. */
  private markDeleted(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.requests.rejectAll();
    this.header.setDeleted();
    this.attackBar.setDeleted();
    this.promptBox.setEnabled(false, 'This session was deleted: prompts can no longer be sent');
    this.root.classList.add('is-deleted');
    const loading = this.grid === undefined && this.columnCount === 0 && this.main.querySelector('.placeholder');
    if (loading) loading.textContent = 'There is nothing to show.';
    this.main.before(
      h('div', { className: 'deleted-banner', testId: 'session-deleted', attrs: { role: 'alert' } }, [
        this.grid ? 'This session was deleted. Its answers stay visible until you close the panel.' : 'This session was deleted.',
      ]),
    );
  }

  private saveState(): void {
    if (!this.sessionId) return;
    const state: PanelState = { sessionId: this.sessionId, layout: this.layout, clearedThrough: this.clearedThrough };
    savePanelState(state);
  }

  /** Typing while focus is on a column or button goes to the prompt box instead of nowhere. */
  private onStrayKey(e: KeyboardEvent): void {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || e.key.length !== 1 || e.key === ' ') return;
    const target = e.target;
    if (
      target instanceof HTMLTextAreaElement ||
      target instanceof HTMLInputElement ||
      (target instanceof HTMLElement && target.isContentEditable)
    )
      return;
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
