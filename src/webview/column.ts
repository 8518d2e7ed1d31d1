// One chat's column: its title, its own scroller that sticks to the bottom
// unless the user scrolled up, older pages fetched near the top with the
// scroll position kept, and the answers streaming into it.
import type { ChatRecord } from '../core/schemas';
import type { Column } from '../shared/chatProtocol';
import { button, h } from './dom';
import { ensureRendered, renderExchange, togglePrepared, togglePrompt } from './exchange';
import { icon } from './icons';
import { toPlainText } from './markdown';
import { PendingView } from './streaming';
import { post } from './vscodeApi';

/** Within this distance of the bottom the column counts as "at the bottom" and follows new content. */
const STICK_THRESHOLD_PX = 48;
/** A scroll this soon after wheel, touch, key or pointer input on the column is the user's. */
const USER_INPUT_WINDOW_MS = 400;
/** Fetch older records before the user actually reaches the top. */
const PRELOAD_MARGIN_PX = 400;
/** The newest answers of a batch are rendered at once; older ones (off screen) when idle. */
const EAGER_RENDER_COUNT = 10;
/** A request the host never answers must not block "Load earlier" for good. */
const LOAD_OLDER_TIMEOUT_MS = 10_000;

export interface ColumnInit {
  column: Column;
  records: readonly ChatRecord[];
  hasMore: boolean;
  clearedThrough: number | undefined;
}

export interface ColumnHost {
  onStreamingChanged(): void;
}

export class ColumnView {
  readonly chatId: string;
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly top: HTMLElement;
  private readonly log: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly status: HTMLElement;
  private readonly jumpButton: HTMLButtonElement;
  private readonly sentinel: HTMLElement;
  private readonly header: HTMLElement;
  private stopButton: HTMLButtonElement | null = null;
  private loadOlderButton: HTMLButtonElement | null = null;

  private records: ChatRecord[];
  private hasMore: boolean;
  private clearedThrough: number | undefined;
  private readonly exchanges = new Map<number, HTMLElement>();
  private readonly pending = new Map<string, PendingView>();
  /** Prompts whose answer here is complete: a late delta must not open a new bubble. */
  private readonly settled = new Set<string>();
  private loadingBefore: number | null = null;
  private loadingTimer: ReturnType<typeof setTimeout> | undefined;
  private stuck = true;
  /** Where our own last scroll put the column: its scroll event is not the user scrolling away. */
  private ownScrollTop: number | null = null;
  /** Sizes at the last scroll or resize; a scroll that comes with new sizes was caused by layout. */
  private lastScrollHeight = 0;
  private lastClientHeight = 0;
  private lastUserInput = -Infinity;

  private readonly resizeObserver: ResizeObserver;
  private readonly intersectionObserver: IntersectionObserver;

  constructor(
    init: ColumnInit,
    private readonly host: ColumnHost,
  ) {
    const { column } = init;
    this.chatId = column.chatId;
    this.records = sortById(init.records);
    this.hasMore = init.hasMore;
    this.clearedThrough = init.clearedThrough;

    const name = column.model ? `${column.endpointName} (${column.model})` : column.endpointName;
    const title = h('div', { className: 'column-title', testId: 'column-title', attrs: { title: name } }, [
      column.missing
        ? h('span', {
            className: 'missing-mark',
            testId: 'column-missing',
            attrs: { title: 'This endpoint is no longer configured: its history is shown, new prompts will fail', role: 'img', 'aria-label': 'Endpoint missing' },
          }, [icon('warning')])
        : null,
      h('span', { className: 'title-text' }, [
        h('span', { className: 'endpoint-name', text: column.endpointName }),
        column.model ? h('span', { className: 'model-name', text: column.model }) : null,
      ]),
    ]);
    this.status = h('span', { className: 'column-status', attrs: { 'aria-hidden': 'true' } });
    const header = h('div', { className: 'column-header' }, [title, this.status]);

    this.sentinel = h('div', { className: 'sentinel', attrs: { 'aria-hidden': 'true' } });
    this.top = h('div', { className: 'column-top' });
    this.log = h('div', { className: 'log', attrs: { role: 'log', 'aria-live': 'polite', 'aria-label': `Messages from ${name}` } });
    this.empty = h('div', { className: 'column-empty', text: 'No messages yet' });
    // tabindex -1: focus can land here (e.g. when the Stop button disappears) without adding a tab stop.
    this.scroller = h('div', { className: 'column-scroll', attrs: { tabindex: -1 } }, [this.sentinel, this.top, this.log, this.empty]);
    this.jumpButton = button({ label: 'Jump to the latest message', icon: icon('arrowDown'), action: 'jump-latest', className: 'icon-button jump-latest', testId: 'jump-to-latest' });
    this.jumpButton.hidden = true;

    this.element = h(
      'section',
      { className: 'column', testId: 'column', attrs: { 'data-chat-id': column.chatId, role: 'region', 'aria-label': name } },
      [header, h('div', { className: 'column-body' }, [this.scroller, this.jumpButton])],
    );
    if (column.missing) this.element.classList.add('is-missing');
    this.header = header;

    this.element.addEventListener('click', (e) => this.onClick(e));
    this.scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    const userInput = () => (this.lastUserInput = performance.now());
    for (const type of ['wheel', 'touchmove', 'keydown', 'pointerdown'] as const) this.scroller.addEventListener(type, userInput, { passive: true });
    // Content grows in many ways (deltas, records, images, off-screen exchanges
    // getting their real size); following the log's size catches all of them.
    this.resizeObserver = new ResizeObserver(() => {
      if (this.stuck) this.scrollToBottom();
      this.rememberSizes();
    });
    this.intersectionObserver = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.loadOlder();
      },
      { root: this.scroller, rootMargin: `${PRELOAD_MARGIN_PX}px 0px 0px 0px` },
    );

    this.renderAll();
  }

  /** Call once the element is in the document: scrolling needs layout. */
  mounted(): void {
    this.scrollToBottom();
    this.resizeObserver.observe(this.log);
    this.resizeObserver.observe(this.scroller);
    this.intersectionObserver.observe(this.sentinel);
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.intersectionObserver.disconnect();
    clearTimeout(this.loadingTimer);
    for (const view of this.pending.values()) view.remove();
    this.pending.clear();
  }

  get streaming(): boolean {
    return this.pending.size > 0;
  }

  get newestRecordId(): number | undefined {
    return this.records[this.records.length - 1]?.chat_record_id;
  }

  /** Loaded records that "Clear view" hides. */
  get hiddenCount(): number {
    const through = this.clearedThrough;
    if (through === undefined) return 0;
    let n = 0;
    for (const r of this.records) if (r.chat_record_id <= through) n++;
    return n;
  }

  setClearedThrough(through: number | undefined): void {
    if (through === this.clearedThrough) return;
    this.clearedThrough = through;
    this.renderAll();
    this.stuck = true;
    this.scrollToBottom();
  }

  addRecord(record: ChatRecord, promptId?: string): void {
    if (promptId !== undefined) this.settle(promptId);
    const view = promptId === undefined ? undefined : this.pending.get(promptId);
    const id = record.chat_record_id;
    if (this.exchanges.has(id) || this.records.some((r) => r.chat_record_id === id)) {
      view?.remove();
      if (view) this.pending.delete(view.promptId);
      this.afterStreamingChange();
      return;
    }
    const index = insertionIndex(this.records, id);
    this.records.splice(index, 0, record);
    if (this.isVisible(record)) {
      const el = renderExchange(this.chatId, record);
      this.exchanges.set(id, el);
      const next = this.records.slice(index + 1).find((r) => this.exchanges.has(r.chat_record_id));
      if (view && !next) view.element.replaceWith(el);
      else this.log.insertBefore(el, next ? (this.exchanges.get(next.chat_record_id) ?? null) : this.firstPendingElement());
    }
    if (view) {
      view.remove();
      this.pending.delete(view.promptId);
    }
    this.afterContentChange();
    this.afterStreamingChange();
  }

  addOlderRecords(records: readonly ChatRecord[], hasMore: boolean): void {
    this.loadingBefore = null;
    clearTimeout(this.loadingTimer);
    this.hasMore = hasMore;
    const oldest = this.records[0]?.chat_record_id ?? Infinity;
    const known = new Set(this.records.map((r) => r.chat_record_id));
    const older = sortById(records.filter((r) => r.chat_record_id < oldest && !known.has(r.chat_record_id)));
    this.records = [...older, ...this.records];

    // Keep what the user is looking at where it is: measure an anchor before
    // and after the insertion and scroll by the difference. Done by hand
    // because browsers' scroll anchoring does not apply at scrollTop 0.
    const anchor = this.firstVisibleExchange();
    const before = anchor?.getBoundingClientRect().top ?? 0;
    const fragment = document.createDocumentFragment();
    const eagerFrom = older.length - EAGER_RENDER_COUNT;
    for (const [i, record] of older.entries()) {
      if (!this.isVisible(record)) continue;
      const el = renderExchange(this.chatId, record, i < eagerFrom);
      this.exchanges.set(record.chat_record_id, el);
      fragment.append(el);
    }
    this.log.prepend(fragment);
    this.renderTop();
    this.renderEmpty();
    if (anchor) {
      const shift = anchor.getBoundingClientRect().top - before;
      if (shift !== 0) this.scroller.scrollTop += shift;
    }
    this.stuck = this.isAtBottom();
    // The sentinel may still be in view (short pages): observing anew reports it again.
    this.intersectionObserver.unobserve(this.sentinel);
    this.intersectionObserver.observe(this.sentinel);
  }

  startPending(promptId: string, prompt: string, text = ''): void {
    if (this.pending.has(promptId) || this.settled.has(promptId)) return;
    const view = new PendingView(promptId, this.chatId, prompt, text);
    this.pending.set(promptId, view);
    this.log.append(view.element);
    this.renderEmpty();
    this.afterStreamingChange();
  }

  appendDelta(promptId: string, text: string): void {
    if (this.settled.has(promptId)) return;
    // A delta without promptStarted (e.g. a dropped message) still deserves a bubble.
    if (!this.pending.has(promptId)) this.startPending(promptId, '');
    this.pending.get(promptId)?.append(text);
  }

  /** The prompt ended without a record for this chat (or the record came first). */
  endPending(promptId: string): void {
    this.settle(promptId);
    const view = this.pending.get(promptId);
    if (!view) return;
    view.remove();
    this.pending.delete(promptId);
    this.renderEmpty();
    this.afterStreamingChange();
  }

  private settle(promptId: string): void {
    this.settled.add(promptId);
    // Only the latest few matter: late deltas trail their record by moments.
    if (this.settled.size > 100) this.settled.delete(this.settled.values().next().value as string);
  }

  findRecord(id: number): ChatRecord | undefined {
    return this.records.find((r) => r.chat_record_id === id);
  }

  private isVisible(record: ChatRecord): boolean {
    return this.clearedThrough === undefined || record.chat_record_id > this.clearedThrough;
  }

  /** Builds the whole list off-document in one fragment: one layout for the lot. */
  private renderAll(): void {
    this.exchanges.clear();
    const fragment = document.createDocumentFragment();
    const eagerFrom = this.records.length - EAGER_RENDER_COUNT;
    for (const [i, record] of this.records.entries()) {
      if (!this.isVisible(record)) continue;
      const el = renderExchange(this.chatId, record, i < eagerFrom);
      this.exchanges.set(record.chat_record_id, el);
      fragment.append(el);
    }
    for (const view of this.pending.values()) fragment.append(view.element);
    this.log.replaceChildren(fragment);
    this.renderTop();
    this.renderEmpty();
    this.renderStreamingUi();
  }

  /**
   * Older records can be fetched unless "Clear view" hides some of those
   * loaded: then every older one is hidden too.
   */
  private get canLoadOlder(): boolean {
    return this.hasMore && this.records.length > 0 && this.hiddenCount === 0;
  }

  private renderTop(): void {
    const children: HTMLElement[] = [];
    if (this.canLoadOlder) {
      const loading = this.loadingBefore !== null;
      this.loadOlderButton ??= button({ label: 'Load earlier messages', text: 'Load earlier messages', action: 'load-older', testId: 'load-older', className: 'link-button load-older' });
      this.loadOlderButton.classList.toggle('is-loading', loading);
      this.loadOlderButton.setAttribute('aria-busy', String(loading));
      const text = this.loadOlderButton.querySelector('.button-text');
      if (text) text.textContent = loading ? 'Loading earlier messages…' : 'Load earlier messages';
      children.push(this.loadOlderButton);
    }
    const hidden = this.hiddenCount;
    if (hidden > 0) {
      children.push(h('div', { className: 'cleared-note', text: hidden === 1 ? '1 earlier message cleared from view' : `${hidden} earlier messages cleared from view` }));
    }
    this.top.replaceChildren(...children);
  }

  private renderEmpty(): void {
    this.empty.hidden = this.exchanges.size > 0 || this.pending.size > 0 || this.hiddenCount > 0;
  }

  private renderStreamingUi(): void {
    const streaming = this.streaming;
    this.element.classList.toggle('is-streaming', streaming);
    this.status.replaceChildren(...(streaming ? [h('span', { className: 'spinner' }), h('span', { text: 'Generating' })] : []));
    if (streaming && !this.stopButton) {
      this.stopButton = button({ label: 'Stop this endpoint', text: 'Stop', icon: icon('stop'), action: 'stop', testId: 'stop-button', className: 'button secondary small stop-button' });
      this.header.append(this.stopButton);
    } else if (!streaming && this.stopButton) {
      const hadFocus = this.stopButton === document.activeElement;
      this.stopButton.remove();
      this.stopButton = null;
      if (hadFocus) this.scroller.focus();
    }
  }

  private afterStreamingChange(): void {
    this.renderEmpty();
    this.renderStreamingUi();
    this.host.onStreamingChanged();
  }

  private afterContentChange(): void {
    this.renderTop();
    this.renderEmpty();
    if (!this.stuck) this.jumpButton.classList.add('has-new');
  }

  private loadOlder(): void {
    if (!this.canLoadOlder || this.loadingBefore !== null) return;
    const before = this.records[0]?.chat_record_id;
    if (before === undefined) return;
    this.loadingBefore = before;
    this.loadingTimer = setTimeout(() => {
      this.loadingBefore = null;
      this.renderTop();
    }, LOAD_OLDER_TIMEOUT_MS);
    this.renderTop();
    post({ type: 'loadOlder', chatId: this.chatId, beforeRecordId: before });
  }

  private firstPendingElement(): HTMLElement | null {
    return this.pending.values().next().value?.element ?? null;
  }

  private firstVisibleExchange(): HTMLElement | null {
    const top = this.scroller.getBoundingClientRect().top;
    for (let el = this.log.firstElementChild; el; el = el.nextElementSibling) {
      if (el instanceof HTMLElement && el.getBoundingClientRect().bottom > top) return el;
    }
    return null;
  }

  private isAtBottom(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= STICK_THRESHOLD_PX;
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.ownScrollTop = this.scroller.scrollTop;
  }

  private rememberSizes(): void {
    this.lastScrollHeight = this.scroller.scrollHeight;
    this.lastClientHeight = this.scroller.clientHeight;
  }

  /**
   * Decides whether the column still follows new content. Sizes settle after
   * our own scrolls (off-screen exchanges get their real height) and the
   * browser's scroll anchoring moves the view when the layout changes (e.g.
   * switching to stacked); neither means the user left the bottom. A scroll
   * that comes with user input, or without any change of size, does.
   */
  private onScroll(): void {
    const s = this.scroller;
    const own = this.ownScrollTop !== null && Math.abs(s.scrollTop - this.ownScrollTop) <= 2;
    this.ownScrollTop = null;
    const resized = s.scrollHeight !== this.lastScrollHeight || s.clientHeight !== this.lastClientHeight;
    const byUser = performance.now() - this.lastUserInput < USER_INPUT_WINDOW_MS;
    this.rememberSizes();
    if (this.isAtBottom()) this.stuck = true;
    else if (!own && (byUser || !resized)) this.stuck = false;
    const far = s.scrollHeight - s.scrollTop - s.clientHeight > s.clientHeight / 2;
    this.jumpButton.hidden = this.stuck || !far;
    if (this.stuck) this.jumpButton.classList.remove('has-new');
  }

  private onClick(e: MouseEvent): void {
    const target = e.target instanceof Element ? e.target.closest<HTMLElement>('[data-action]') : null;
    if (!target || !this.element.contains(target)) return;
    const action = target.dataset.action;
    switch (action) {
      case 'load-older':
        this.loadOlder();
        return;
      case 'stop':
        post({ type: 'stop', chatId: this.chatId });
        return;
      case 'jump-latest':
        this.stuck = true;
        this.scrollToBottom();
        return;
      case 'copy-code':
      case 'insert-code': {
        const code = target.closest('.code-block')?.querySelector('code')?.textContent ?? '';
        post({ type: action === 'copy-code' ? 'copy' : 'insert', text: code });
        if (action === 'copy-code') flashDone(target);
        return;
      }
      case 'toggle-prompt':
        togglePrompt(target);
        return;
    }
    const exchange = target.closest<HTMLElement>('[data-record-id]');
    const record = exchange ? this.findRecord(Number(exchange.dataset.recordId)) : undefined;
    if (!exchange || !record) return;
    switch (action) {
      case 'copy': {
        const response = exchange.querySelector('.response');
        if (response) ensureRendered(response);
        post({ type: 'copy', text: response ? toPlainText(response) : record.predicted_result });
        flashDone(target);
        return;
      }
      case 'copy-markdown':
        post({ type: 'copy', text: record.predicted_result });
        flashDone(target);
        return;
      case 'insert':
        post({ type: 'insert', text: record.predicted_result });
        return;
      case 'retry':
        if (record.prompt !== '') post({ type: 'retry', chatId: this.chatId, prompt: record.prompt });
        return;
      case 'toggle-prepared':
        togglePrepared(exchange, target, record);
        return;
    }
  }
}

/** A short confirmation on the button itself; the host does the actual copying. */
function flashDone(target: HTMLElement): void {
  if (target.classList.contains('code-button')) {
    if (target.classList.contains('is-done')) return;
    target.classList.add('is-done');
    target.textContent = 'Copied';
    setTimeout(() => {
      target.classList.remove('is-done');
      target.textContent = 'Copy';
    }, 1500);
    return;
  }
  const original = target.querySelector('svg');
  if (!original || target.classList.contains('is-done')) return;
  const label = target.getAttribute('aria-label') ?? '';
  const check = icon('check');
  original.replaceWith(check);
  target.classList.add('is-done');
  target.setAttribute('aria-label', 'Copied');
  setTimeout(() => {
    check.replaceWith(original);
    target.classList.remove('is-done');
    target.setAttribute('aria-label', label);
  }, 1500);
}

function sortById(records: readonly ChatRecord[]): ChatRecord[] {
  return [...records].sort((a, b) => a.chat_record_id - b.chat_record_id);
}

/** Where a record goes to keep the list ordered by id (almost always the end). */
function insertionIndex(records: readonly ChatRecord[], id: number): number {
  let i = records.length;
  while (i > 0 && (records[i - 1]?.chat_record_id ?? 0) > id) i--;
  return i;
}
