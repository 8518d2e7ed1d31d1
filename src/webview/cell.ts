// One chat's part of a prompt row: its latest answer, earlier attempts
// (before a Retry) folded above it as "attempt 1 (cancelled)", and an answer
// still to come (queued or streaming). A chat the prompt was not sent to
// says so, so every row keeps one cell per column.
import type { ChatRecord, MetricResult } from '../core/schemas';
import { h } from './dom';
import { attemptOutcome, renderExchange, setVerdict } from './exchange';
import { LiveAnswer, type LiveState } from './streaming';

export class CellView {
  readonly element: HTMLElement;
  private readonly folded: HTMLElement;
  private readonly main: HTMLElement;
  private records: ChatRecord[];
  /** Answers still to come, oldest first: the first is the one the chat works on (or waits with). */
  private readonly live: LiveAnswer[] = [];
  /** The rendered latest answer, kept while it stays the latest. */
  private current: { id: number; element: HTMLElement } | undefined;
  private readonly foldedViews = new Map<number, HTMLDetailsElement>();

  constructor(
    readonly chatId: string,
    private readonly endpointName: string,
    records: readonly ChatRecord[],
  ) {
    this.records = sortById(records);
    this.folded = h('div', { className: 'attempts' });
    this.main = h('div', { className: 'cell-main' });
    this.element = h('div', { className: 'cell', testId: 'cell', attrs: { 'data-chat-id': chatId, role: 'group', 'aria-label': endpointName } }, [
      h('div', { className: 'cell-label', text: endpointName, attrs: { 'aria-hidden': 'true' } }),
      this.folded,
      this.main,
    ]);
    this.layout();
  }

  get hasLive(): boolean {
    return this.live.length > 0;
  }

  /** Whether the chat is answering this prompt now (not only waiting for its turn). */
  get isRunning(): boolean {
    return this.live[0] !== undefined && !this.live[0].isQueued;
  }

  get queuedCount(): number {
    return this.live.filter((l) => l.isQueued).length;
  }

  get newestRecordId(): number | undefined {
    return this.records[this.records.length - 1]?.chat_record_id;
  }

  /** Whether every answer here is at or below `through` (a "Clear view" hides such rows). */
  clearedBy(through: number | undefined): boolean {
    if (this.live.length > 0) return false;
    const newest = this.newestRecordId;
    return newest === undefined || (through !== undefined && newest <= through);
  }

  findRecord(id: number): ChatRecord | undefined {
    return this.records.find((r) => r.chat_record_id === id);
  }

  /** A judge scored one of this chat's answers here: its badge changes in place; false when the record is not here. */
  setMetric(chatRecordId: number, metric: MetricResult): boolean {
    const at = this.records.findIndex((r) => r.chat_record_id === chatRecordId);
    if (at === -1) return false;
    this.records[at] = { ...this.records[at]!, metric };
    const shown = this.element.querySelector(`[data-testid="exchange"][data-record-id="${chatRecordId}"]`);
    if (shown) setVerdict(shown, metric);
    return true;
  }

  /** The first record; it says which template and strategy the row was sent with. */
  get firstRecord(): ChatRecord | undefined {
    return this.records[0];
  }

  /** Records the host sent again with more attempts (older pages); known ones are kept. */
  merge(records: readonly ChatRecord[]): void {
    const known = new Set(this.records.map((r) => r.chat_record_id));
    const added = records.filter((r) => !known.has(r.chat_record_id));
    if (added.length === 0) return;
    this.records = sortById([...this.records, ...added]);
    this.layout();
  }

  /** An answer arrived; false when it was already here. */
  addRecord(record: ChatRecord): boolean {
    if (this.findRecord(record.chat_record_id)) {
      this.live.shift()?.remove();
      this.layout();
      return false;
    }
    this.records = sortById([...this.records, record]);
    const live = this.live.shift();
    const response = live?.takeResponse();
    const isNewest = this.newestRecordId === record.chat_record_id;
    if (live && isNewest && this.live.length === 0) {
      // Into the place (and the element) the answer streamed into: nothing on screen moves.
      const element = renderExchange(this.chatId, record, { response });
      live.element.replaceWith(element);
      this.current = { id: record.chat_record_id, element };
    } else live?.remove();
    this.layout();
    return true;
  }

  startLive(promptId: string, state: LiveState, text = ''): void {
    this.live.push(new LiveAnswer(promptId, this.chatId, this.endpointName, state, text));
    this.layout();
  }

  /**
   * The chat queued the prompt (said of the answer just announced, the
   * newest) or started it (the oldest one waiting: each chat's queue is FIFO).
   */
  setLiveState(state: LiveState): void {
    if (state === 'queued') this.live[this.live.length - 1]?.setState('queued');
    else this.live.find((l) => l.isQueued)?.setState('running');
  }

  appendDelta(text: string): void {
    if (this.live.length === 0) this.startLive('', 'running');
    this.live[0]!.append(text);
  }

  /** The prompt ended without an answer here (e.g. the session went away). */
  dropLive(): void {
    this.live.shift()?.remove();
    this.layout();
  }

  /**
   * Puts the parts in place: every record but the latest folded (all of them
   * while another attempt is coming), then the latest, then what is to come.
   */
  private layout(): void {
    const latest = this.live.length === 0 ? this.records[this.records.length - 1] : undefined;
    const foldedRecords = latest ? this.records.slice(0, -1) : this.records;
    const folded = foldedRecords.map((r, i) => this.foldedView(r, i + 1));
    for (const id of this.foldedViews.keys()) if (!foldedRecords.some((r) => r.chat_record_id === id)) this.foldedViews.delete(id);
    if (!sameChildren(this.folded, folded)) this.folded.replaceChildren(...folded);

    const main: HTMLElement[] = [];
    if (latest) {
      if (this.current?.id !== latest.chat_record_id)
        this.current = { id: latest.chat_record_id, element: renderExchange(this.chatId, latest) };
      main.push(this.current.element);
    } else this.current = undefined;
    for (const l of this.live) main.push(l.element);
    if (main.length === 0) main.push(h('div', { className: 'not-sent', testId: 'not-sent', text: 'Not sent to this endpoint' }));
    if (!sameChildren(this.main, main)) this.main.replaceChildren(...main);
  }

  private foldedView(record: ChatRecord, n: number): HTMLDetailsElement {
    let view = this.foldedViews.get(record.chat_record_id);
    const outcome = attemptOutcome(record);
    const label = `attempt ${n}${outcome ? ` (${outcome})` : ''}`;
    if (!view) {
      const details = h('details', { className: 'attempt', testId: 'attempt', attrs: { 'data-record-id': record.chat_record_id } });
      details.append(h('summary', { className: 'attempt-summary' }));
      // Built on first open: most earlier attempts are never looked at again.
      details.addEventListener('toggle', () => {
        // The record as it is now: a score may have come since the attempt was folded.
        if (details.open && details.childElementCount === 1) {
          details.append(renderExchange(this.chatId, this.findRecord(record.chat_record_id) ?? record));
        }
      });
      this.foldedViews.set(record.chat_record_id, (view = details));
    }
    const summary = view.firstElementChild!;
    if (summary.textContent !== label) {
      summary.textContent = label;
      summary.setAttribute('title', record.error ?? label);
    }
    return view;
  }

  dispose(): void {
    for (const l of this.live.splice(0)) l.remove();
  }
}

function sameChildren(parent: Element, children: readonly Element[]): boolean {
  if (parent.childElementCount !== children.length) return false;
  let i = 0;
  for (let el = parent.firstElementChild; el; el = el.nextElementSibling) if (el !== children[i++]) return false;
  return true;
}

function sortById(records: readonly ChatRecord[]): ChatRecord[] {
  return [...records].sort((a, b) => a.chat_record_id - b.chat_record_id);
}
