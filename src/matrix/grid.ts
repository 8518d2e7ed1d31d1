// The matrix's rows on screen: a scroll container whose body is as tall as
// every shown row, with only the rows in view (and a few around) in the
// DOM, each placed at its position. Rows already drawn are kept while they
// stay in the window, so a scroll step adds and removes a few rows only.
// Cell texts are the answer's first lines as plain text (textContent):
// LLM output never becomes markup.
import { h, setAttrs } from '../webview/dom';
import { CHANGE_CHARS, OUTCOME_CHARS, type MatrixColumn } from '../shared/matrixProtocol';
import { latencyText, type MatrixData, type RowView } from './model';
import { listHeight, scrollToReveal, visibleRange, type WindowRange } from './virtualWindow';

/** Pixels per row: a badge line and two lines of text. Fixed, so the window is arithmetic. */
export const ROW_HEIGHT = 64;

const OUTCOME_NAMES: Record<string, string> = {
  [OUTCOME_CHARS.pass]: 'pass',
  [OUTCOME_CHARS.fail]: 'fail',
  [OUTCOME_CHARS.error]: 'error',
  [OUTCOME_CHARS.none]: 'none',
};
const CHANGE_TEXT: Record<string, { text: string; title: string; className: string } | undefined> = {
  [CHANGE_CHARS.fixed]: { text: 'fixed', title: 'Failed in the baseline, passes now', className: 'is-fixed' },
  [CHANGE_CHARS.broken]: { text: 'broken', title: 'Passed in the baseline, fails now', className: 'is-broken' },
  [CHANGE_CHARS.other]: { text: 'changed', title: 'Its outcome differs from the baseline (an error came or went)', className: 'is-other' },
};

export interface GridEvents {
  /** A cell was clicked (or Enter pressed on it). */
  open(rowId: string, column: string, place: number): void;
  /** The scroll offset changed (saved in the state). */
  scrolled(scrollTop: number): void;
}

function columnTitle(column: MatrixColumn): string {
  const parts = [column.attack, column.variant > 0 ? `variant ${column.variant + 1}` : ''].filter(Boolean);
  return parts.length ? `${column.endpointName} · ${parts.join(' · ')}` : column.endpointName;
}

export class Grid {
  readonly element: HTMLElement;
  private readonly header: HTMLElement;
  private readonly body: HTMLElement;
  private readonly empty: HTMLElement;
  private columns: readonly MatrixColumn[] = [];
  private data: MatrixData | undefined;
  /** Row places in display order. */
  private order: number[] = [];
  private drawn = new Map<number, HTMLElement>();
  private range: WindowRange = { start: 0, end: 0 };
  private frame = 0;
  private selected: { place: number; column: string } | undefined;
  /** Rows out of the window, hidden, to be filled again for rows that come into it. */
  private spare: HTMLElement[] = [];
  /** The rows' part of the viewport, kept by a ResizeObserver: reading it in a scroll frame would force a layout. */
  private viewport = 0;

  constructor(private readonly events: GridEvents) {
    this.header = h('div', { className: 'matrix-header-row', attrs: { role: 'row' } });
    this.body = h('div', { className: 'matrix-body', testId: 'matrix-body', attrs: { role: 'rowgroup' } });
    this.empty = h('div', { className: 'matrix-empty', testId: 'matrix-empty', attrs: { hidden: true } });
    this.element = h('div', { className: 'matrix-scroll', testId: 'matrix-grid', attrs: { role: 'grid', tabindex: -1 } }, [
      this.header,
      this.body,
      this.empty,
    ]);
    this.element.style.setProperty('--row-height', `${ROW_HEIGHT}px`);
    this.element.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => {
      this.viewport = Math.max(ROW_HEIGHT, this.element.clientHeight - this.header.offsetHeight);
      this.schedule();
    }).observe(this.element);
    this.body.addEventListener('click', (e) => this.clicked(e.target));
    this.body.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.clicked(e.target);
      }
    });
  }

  /** New columns (an init): the header and every row are drawn again. */
  setColumns(columns: readonly MatrixColumn[], data: MatrixData): void {
    this.columns = columns;
    this.data = data;
    this.element.style.setProperty('--columns', String(columns.length));
    this.header.replaceChildren(
      h('div', { className: 'matrix-corner', text: 'Dataset row', attrs: { role: 'columnheader' } }),
      ...columns.map((c) =>
        h('div', {
          className: 'matrix-column-title',
          text: columnTitle(c),
          testId: 'matrix-column',
          attrs: { role: 'columnheader', title: c.key },
        }),
      ),
    );
    this.clear();
  }

  /** The rows to show, in order; `emptyText` says why there are none. */
  setOrder(order: number[], emptyText: string): void {
    this.order = order;
    this.body.style.height = `${listHeight(order.length, ROW_HEIGHT)}px`;
    this.empty.textContent = emptyText;
    this.empty.hidden = order.length > 0;
    this.clear();
    this.draw();
  }

  /** Rows whose cells changed: drawn again if they are on screen. */
  refresh(places: Iterable<number>): void {
    for (const place of places) {
      const el = this.drawn.get(place);
      const row = this.data?.rows[place];
      if (el && row) this.fill(el, row, Number(el.dataset.position));
    }
  }

  get scrollTop(): number {
    return this.element.scrollTop;
  }

  set scrollTop(value: number) {
    this.element.scrollTop = value;
    this.draw();
  }

  /** Scrolls a row (a place) into view and marks the cell open. */
  reveal(place: number, column: string): void {
    this.select(place, column);
    const position = this.order.indexOf(place);
    if (position < 0) return;
    const viewport = this.viewport || this.element.clientHeight - this.header.offsetHeight;
    const top = scrollToReveal(position, this.element.scrollTop, viewport, ROW_HEIGHT);
    if (top !== this.element.scrollTop) this.scrollTop = top;
  }

  select(place: number | undefined, column?: string): void {
    for (const el of this.body.querySelectorAll('.is-selected')) el.classList.remove('is-selected');
    this.selected = place === undefined || column === undefined ? undefined : { place, column };
    if (this.selected) this.cellElement(this.selected.place, this.selected.column)?.classList.add('is-selected');
  }

  private cellElement(place: number, column: string): HTMLElement | undefined {
    const index = this.columns.findIndex((c) => c.key === column);
    return (this.drawn.get(place)?.children[index + 1] as HTMLElement | undefined) ?? undefined;
  }

  private clicked(target: EventTarget | null): void {
    const cell = target instanceof Element ? target.closest<HTMLElement>('[data-column]') : null;
    const row = cell?.closest<HTMLElement>('[data-place]');
    if (!cell || !row) return;
    const place = Number(row.dataset.place);
    const rowView = this.data?.rows[place];
    // A cell without an answer has no exchange to show.
    if (!rowView || cell.dataset.column === undefined || cell.dataset.outcome === 'none') return;
    this.select(place, cell.dataset.column);
    this.events.open(rowView.id, cell.dataset.column, place);
  }

  private clear(): void {
    this.body.replaceChildren();
    this.drawn = new Map();
    this.spare = [];
    this.range = { start: 0, end: 0 };
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
      this.events.scrolled(this.element.scrollTop);
    });
  }

  /**
   * Brings the DOM to the rows of the window at the current offset. Rows
   * that left the window are filled again for those that entered it, so a
   * scroll step moves and rewrites a few rows and creates none.
   */
  draw(): void {
    // Until the observer has measured it (the first draw), a screenful.
    const viewport = this.viewport || Math.max(ROW_HEIGHT, this.element.clientHeight - this.header.offsetHeight);
    const range = visibleRange(this.element.scrollTop, viewport, ROW_HEIGHT, this.order.length);
    if (range.start === this.range.start && range.end === this.range.end && this.drawn.size > 0) return;
    this.range = range;
    const wanted = new Set<number>();
    for (let position = range.start; position < range.end; position++) wanted.add(this.order[position] as number);
    for (const [place, el] of this.drawn) {
      if (wanted.has(place)) continue;
      this.drawn.delete(place);
      this.spare.push(el);
    }
    const fragment = document.createDocumentFragment();
    for (let position = range.start; position < range.end; position++) {
      const place = this.order[position] as number;
      const row = this.data?.rows[place];
      if (this.drawn.has(place) || !row) continue;
      let el = this.spare.pop();
      if (!el) {
        el = this.skeleton();
        fragment.append(el);
      }
      el.hidden = false;
      el.dataset.testid = 'matrix-row';
      this.fill(el, row, position);
      this.drawn.set(place, el);
    }
    this.body.append(fragment);
    // Kept for the next step, out of layout (and out of the tests' and the bench's count).
    for (const el of this.spare) {
      el.hidden = true;
      delete el.dataset.testid;
    }
  }

  /** A row's elements for the current columns, to be filled. */
  private skeleton(): HTMLElement {
    const line = (...classes: string[]) => h('div', { className: 'cell-line' }, classes.map((c) => h('span', { className: c })));
    return h('div', { className: 'matrix-row', attrs: { role: 'row' } }, [
      h('div', { className: 'matrix-row-head', attrs: { role: 'rowheader' } }, [
        line('row-id', 'row-category'),
        h('div', { className: 'cell-text' }),
      ]),
      ...this.columns.map(() =>
        h('div', { className: 'matrix-cell', attrs: { role: 'gridcell', 'data-testid': 'matrix-cell' } }, [
          line('badge', 'change', 'cell-note', 'latency'),
          h('div', { className: 'cell-text' }),
        ]),
      ),
    ]);
  }

  /** Writes a row into a skeleton: every text through textContent. */
  private fill(el: HTMLElement, row: RowView, position: number): void {
    el.dataset.place = String(row.place);
    el.dataset.position = String(position);
    el.dataset.rowId = row.id;
    el.style.transform = `translateY(${position * ROW_HEIGHT}px)`;
    el.classList.toggle('is-odd', position % 2 === 1);
    const [head, ...cells] = Array.from(el.children) as HTMLElement[];
    if (head) {
      head.title = row.input;
      const [line, text] = Array.from(head.children) as HTMLElement[];
      const [id, category] = Array.from(line?.children ?? []) as HTMLElement[];
      setText(id, row.id);
      setText(category, row.category, row.category === '');
      setText(text, row.input);
    }
    this.columns.forEach((column, i) => {
      const cell = cells[i];
      if (cell) this.fillCell(cell, row, column, i);
    });
  }

  private fillCell(cell: HTMLElement, row: RowView, column: MatrixColumn, i: number): void {
    const outcome = OUTCOME_NAMES[row.outcomes[i] ?? OUTCOME_CHARS.none] ?? 'none';
    const change = CHANGE_TEXT[row.changes[i] ?? CHANGE_CHARS.none];
    const badge = this.data?.badges[row.badges[i] ?? -1];
    const selected = this.selected?.place === row.place && this.selected.column === column.key;
    const answered = outcome !== 'none';
    cell.className = ['matrix-cell', `is-${outcome}`, change?.className, selected ? 'is-selected' : undefined].filter(Boolean).join(' ');
    cell.dataset.column = column.key;
    cell.dataset.outcome = outcome;
    setAttrs(cell, { tabindex: answered ? 0 : null, title: answered ? 'Show the whole exchange' : null });
    const [line, text] = Array.from(cell.children) as HTMLElement[];
    const [badgeEl, changeEl, noteEl, latencyEl] = Array.from(line?.children ?? []) as HTMLElement[];
    if (badgeEl) {
      setText(badgeEl, badge?.text ?? '', !answered || !badge, 'matrix-badge');
      badgeEl.className = `badge tone-${badge?.tone ?? 'neutral'}`;
    }
    if (changeEl) {
      setText(changeEl, change?.text ?? '', !answered || !change, 'matrix-change');
      changeEl.className = `change ${change?.className ?? ''}`;
      changeEl.title = change?.title ?? '';
    }
    setText(noteEl, row.notes[i] ?? '', !answered || !row.notes[i]);
    setText(latencyEl, answered ? latencyText(row.ms[i] ?? -1) : '', !answered);
    if (text) {
      setText(text, row.texts[i] || (answered ? '' : 'no answer yet'));
      text.classList.toggle('is-muted', !answered);
    }
  }
}

/**
 * Sets an element's text and whether it shows; a test id only while it
 * shows, so that a hidden badge is not counted as one.
 */
function setText(el: HTMLElement | undefined, text: string, hidden = false, testId?: string): void {
  if (!el) return;
  if (el.textContent !== text) el.textContent = text;
  el.hidden = hidden;
  if (testId) setAttrs(el, { 'data-testid': hidden ? null : testId });
}
