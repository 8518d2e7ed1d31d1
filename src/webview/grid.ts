// The rows of the session, one per prompt, under sticky column headers, in
// one scroller shared by all columns: each row's cells line up and share
// its height. The grid applies prompt progress to the row it belongs to
// (a Retry goes into the row of the prompt it retries), pages older rows in
// above, follows the newest content, and handles every click in the rows.
import type { ChatRecord, MetricResult, SessionSummary } from '../core/schemas';
import type { ActivePromptView, Column, PromptRow, RowPage } from '../shared/chatProtocol';
import { actionTarget, type ActionHandlers } from './actions';
import { ColumnHeader } from './columnHeader';
import { button, h } from './dom';
import { StickToBottom } from './follow';
import { icon } from './icons';
import { RowBuilder } from './rowBuilder';
import { OlderRows } from './paging';
import { RowView, type AttackOrigin } from './row';
import { rowActions, type ClickContext } from './rowActions';

/** The newest rows of the first batch are built at once; the others as they come near the view (RowBuilder). */
const EAGER_ROWS = 6;

export interface GridHost {
  /** Asks the host for the page of rows before the oldest shown. */
  requestOlder(): Promise<RowPage>;
  /** Something started or stopped answering. */
  onActivityChanged(): void;
  /** Rows were hidden by "Clear view" or came back. */
  onHiddenChanged(): void;
  notify(message: string): void;
}

export class GridView {
  readonly element: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly rowsEl: HTMLElement;
  private readonly top: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly headers = new Map<string, ColumnHeader>();
  private readonly follow: StickToBottom;
  private readonly older: OlderRows;
  private readonly builder: RowBuilder;
  private readonly handlers: ActionHandlers<ClickContext>;

  /** Oldest first, as on screen. */
  private rows: RowView[] = [];
  private readonly byKey = new Map<string, RowView>();
  private readonly byElement = new WeakMap<Element, RowView>();
  /** Rows with an answer still to come: what the headers' activity is made of. */
  private readonly liveRows = new Set<RowView>();
  private hasMore: boolean;
  private clearedThrough: Record<string, number>;
  private hiddenRows = 0;

  constructor(
    private readonly columns: readonly Column[],
    init: { rows: readonly PromptRow[]; hasMore: boolean; active: readonly ActivePromptView[]; clearedThrough: Record<string, number> },
    private readonly host: GridHost,
  ) {
    this.hasMore = init.hasMore;
    this.clearedThrough = { ...init.clearedThrough };
    const header = h('div', { className: 'grid-header', attrs: { role: 'row' } });
    for (const column of columns) {
      const view = new ColumnHeader(column);
      this.headers.set(column.chatId, view);
      header.append(view.element);
    }
    this.top = h('div', { className: 'grid-top' });
    this.rowsEl = h('div', { className: 'rows', attrs: { role: 'log', 'aria-live': 'polite', 'aria-label': 'Prompts and answers' } });
    this.empty = h('div', { className: 'grid-empty', text: 'No messages yet' });
    const grid = h('div', { className: 'grid' }, [header]);
    // tabindex -1: focus can land here (e.g. when a Stop button disappears) without adding a tab stop.
    this.scroller = h('div', { className: 'grid-scroll', attrs: { tabindex: -1 } }, [grid]);
    const jump = button({
      label: 'Jump to the latest message',
      icon: icon('arrowDown'),
      action: 'jump-latest',
      className: 'icon-button jump-latest',
      testId: 'jump-to-latest',
    });
    this.element = h('div', { className: 'grid-body', testId: 'grid' }, [this.scroller, jump]);
    // An attribute the stylesheet maps to --cols: style attributes are kept out of the panel.
    this.element.dataset.cols = String(columns.length);

    this.follow = new StickToBottom(this.scroller, grid, jump);
    this.older = new OlderRows(this.scroller, {
      canLoad: () => this.hasMore && this.rows.length > 0 && this.hiddenRows === 0,
      request: () => this.host.requestOlder(),
      apply: (page) => this.prependPage(page),
      firstVisible: () => this.firstVisibleRow(),
      failed: (message) => this.host.notify(`Could not load earlier messages: ${message}`),
    });
    grid.append(this.older.sentinel, this.top, this.rowsEl, this.empty);
    this.builder = new RowBuilder(this.scroller);
    this.handlers = rowActions({ loadOlder: () => void this.older.load(), jumpToLatest: () => this.follow.jump() });
    this.element.addEventListener('click', (e) => this.onClick(e));

    const { fragment, order } = this.place(init.rows, EAGER_ROWS);
    this.rows = order;
    this.rowsEl.append(fragment);
    for (const a of init.active) this.rowFor(a.promptId, a.prompt).resumeCall(a.chats);
    this.afterChange();
  }

  /** Call once the element is in the document: scrolling needs layout. */
  mounted(): void {
    this.follow.start();
    this.older.start();
  }

  dispose(): void {
    this.follow.dispose();
    this.older.dispose();
    this.builder.dispose();
    for (const row of this.rows) row.dispose();
  }

  // ---- what the panel asks of the grid

  get streaming(): boolean {
    return this.liveRows.size > 0;
  }

  get hiddenCount(): number {
    return this.hiddenRows;
  }

  get prompts(): string[] {
    return this.rows.map((r) => r.prompt);
  }

  /** "Clear view": hides every row shown now, per chat up to its newest record. */
  clearAll(): Record<string, number> {
    for (const column of this.columns) {
      let newest: number | undefined;
      for (const row of this.rows) newest = Math.max(newest ?? 0, row.newestRecordId(column.chatId) ?? 0);
      if (newest) this.clearedThrough[column.chatId] = Math.max(this.clearedThrough[column.chatId] ?? 0, newest);
    }
    this.afterChange();
    this.follow.jump();
    return { ...this.clearedThrough };
  }

  showCleared(): void {
    this.clearedThrough = {};
    this.afterChange();
    this.follow.jump();
  }

  // ---- prompt progress

  promptStarted(promptId: string, prompt: string, chatIds: readonly string[], attack?: AttackOrigin): void {
    const row = this.rowFor(promptId, prompt);
    if (attack) row.setAttack(attack);
    row.startCall(chatIds);
    this.liveRows.add(row);
    this.afterChange();
    this.follow.noteNewContent();
  }

  chatState(promptId: string, chatId: string, state: 'queued' | 'running'): void {
    this.byKey.get(promptId)?.cell(chatId)?.setLiveState(state);
    this.updateActivity();
  }

  delta(promptId: string, chatId: string, text: string): void {
    const row = this.rowFor(promptId, '');
    const cell = row.cell(chatId);
    if (!cell) return;
    if (!cell.hasLive) this.liveRows.add(row);
    cell.appendDelta(text);
  }

  record(promptId: string, chatId: string, record: ChatRecord): void {
    const row = this.rowFor(record.prompt_id ?? promptId, record.prompt);
    if (row.addRecord(chatId, record)) this.follow.noteNewContent();
    if (!row.hasLive) this.liveRows.delete(row);
    this.afterChange();
  }

  promptFinished(promptId: string): void {
    const row = this.byKey.get(promptId);
    if (!row) return;
    row.finishCall();
    if (!row.hasLive) this.liveRows.delete(row);
    // A prompt that left no record anywhere (an attack's variant cancelled before it went out) is not in the history: its row goes.
    if (row.isEmpty) this.remove(row);
    this.afterChange();
  }

  private remove(row: RowView): void {
    row.dispose();
    row.element.remove();
    this.rows = this.rows.filter((r) => r !== row);
    this.byKey.delete(row.key);
    this.liveRows.delete(row);
  }

  /** A judge's score for a record: into the row of its prompt (any row, for records older than prompt ids). */
  score(promptId: string | null, chatId: string, chatRecordId: number, metric: MetricResult): void {
    const row = promptId === null ? undefined : this.byKey.get(promptId);
    if (row?.setMetric(chatId, chatRecordId, metric)) return;
    for (const r of this.rows) if (r !== row && r.setMetric(chatId, chatRecordId, metric)) return;
  }

  /** Each chat's figures, under its column title. */
  setSummary(summary: SessionSummary): void {
    for (const [chatId, header] of this.headers) header.setSummary(summary[chatId]);
  }

  // ---- rows

  /** The row of a prompt; one the grid has not seen is a new prompt, at the bottom. */
  private rowFor(key: string, prompt: string): RowView {
    let row = this.byKey.get(key);
    if (!row) {
      row = new RowView({ key, promptId: key, prompt }, this.columns);
      this.add(row);
      this.rows.push(row);
      this.rowsEl.append(row.element);
    }
    return row;
  }

  private add(row: RowView): void {
    this.byKey.set(row.key, row);
    this.byElement.set(row.element, row);
  }

  /** Builds the views of rows the host sent, or merges them into the views already there. */
  private place(rows: readonly PromptRow[], eager: number): { fragment: DocumentFragment; order: RowView[] } {
    const fragment = document.createDocumentFragment();
    const order: RowView[] = [];
    const eagerFrom = rows.length - eager;
    rows.forEach((data, i) => {
      let row = this.byKey.get(data.key);
      if (row) row.merge(data);
      else {
        const lazy = i < eagerFrom;
        row = new RowView(data, this.columns, lazy);
        this.add(row);
        if (lazy) this.builder.add(row);
      }
      if (order.includes(row)) return;
      order.push(row);
      fragment.append(row.element);
    });
    return { fragment, order };
  }

  /** An older page goes above; rows it brings again (with earlier attempts found) move up with it. */
  private prependPage(page: RowPage): void {
    this.hasMore = page.hasMore;
    // None at once: the page goes in above the view, and its rows are built as they come near it.
    const { fragment, order } = this.place(page.rows, 0);
    const moved = new Set(order);
    this.rows = [...order, ...this.rows.filter((r) => !moved.has(r))];
    this.rowsEl.prepend(fragment);
    this.afterChange();
    this.follow.recheck();
  }

  private afterChange(): void {
    this.refreshCleared();
    this.renderTop();
    this.renderEmpty();
    this.updateActivity();
  }

  /** Hides the rows "Clear view" covers; new activity in one brings it back. */
  private refreshCleared(): void {
    const any = Object.keys(this.clearedThrough).length > 0;
    let hidden = 0;
    for (const row of this.rows) {
      const clear = any && row.clearedBy(this.clearedThrough);
      if (row.element.hidden !== clear) row.element.hidden = clear;
      if (clear) hidden++;
    }
    if (hidden === this.hiddenRows) return;
    this.hiddenRows = hidden;
    this.host.onHiddenChanged();
  }

  private renderTop(): void {
    const children: HTMLElement[] = [];
    const loadOlder = this.older.element();
    if (loadOlder) children.push(loadOlder);
    const hidden = this.hiddenRows;
    if (hidden > 0)
      children.push(
        h('div', {
          className: 'cleared-note',
          text: hidden === 1 ? '1 earlier prompt cleared from view' : `${hidden} earlier prompts cleared from view`,
        }),
      );
    this.top.replaceChildren(...children);
  }

  private renderEmpty(): void {
    this.empty.hidden = this.rows.length > 0;
  }

  private updateActivity(): void {
    for (const column of this.columns) {
      let running = false;
      let queued = 0;
      for (const row of this.liveRows) {
        const cell = row.cell(column.chatId);
        if (!cell) continue;
        running ||= cell.isRunning;
        queued += cell.queuedCount;
      }
      this.headers.get(column.chatId)?.setActivity(running, queued);
    }
    this.host.onActivityChanged();
  }

  private firstVisibleRow(): Element | null {
    const top = this.scroller.getBoundingClientRect().top;
    for (let el = this.rowsEl.firstElementChild; el; el = el.nextElementSibling) {
      if (el instanceof HTMLElement && !el.hidden && el.getBoundingClientRect().bottom > top) return el;
    }
    return null;
  }

  // ---- clicks

  private onClick(e: MouseEvent): void {
    const hit = actionTarget(e, this.element);
    if (!hit) return;
    const rowEl = hit.element.closest('.row');
    const row = rowEl ? this.byElement.get(rowEl) : undefined;
    const chatId = hit.element.closest<HTMLElement>('[data-chat-id]')?.dataset.chatId;
    const cell = chatId ? row?.cell(chatId) : undefined;
    const exchange = hit.element.closest<HTMLElement>('[data-record-id]') ?? undefined;
    const record = exchange && cell ? cell.findRecord(Number(exchange.dataset.recordId)) : undefined;
    this.handlers[hit.action](hit.element, { chatId, exchange, record, originalPrompt: row?.attack?.originalPrompt });
  }
}
