// The matrix's rows on screen: a scroll container whose body is as tall as
// every shown row, with only the rows in view (and a few around) in the
// DOM, each placed at its position. Rows already drawn are kept while they
// stay in the window, so a scroll step adds and removes a few rows only.
// Cell texts are the answer's first lines as plain text (textContent):
// LLM output never becomes markup.
import { h } from '../webview/dom';
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
  /** The rows' part of the viewport, kept by a ResizeObserver: reading it in a scroll frame would force a layout. */
  private viewport = 0;

  constructor(private readonly events: GridEvents) {
    this.header = h('div', { className: 'matrix-header-row', attrs: { role: 'row' } });
    this.body = h('div', { className: 'matrix-body', testId: 'matrix-body', attrs: { role: 'rowgroup' } });
    this.empty = h('div', { className: 'matrix-empty', testId: 'matrix-empty', attrs: { hidden: true } });
    this.element = h('div', { className: 'matrix-scroll', testId: 'matrix-grid', attrs: { role: 'grid', tabindex: -1 } }, [this.header, this.body, this.empty]);
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
        h('div', { className: 'matrix-column-title', text: columnTitle(c), testId: 'matrix-column', attrs: { role: 'columnheader', title: c.key } }),
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
      if (!el) continue;
      const position = Number(el.dataset.position);
      const fresh = this.rowElement(place, position);
      if (fresh) el.replaceWith(fresh);
      else el.remove();
      if (fresh) this.drawn.set(place, fresh);
      else this.drawn.delete(place);
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

  /** The rows in the DOM now (the bench and the tests count them). */
  get drawnCount(): number {
    return this.drawn.size;
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
    if (!rowView || cell.dataset.column === undefined) return;
    this.select(place, cell.dataset.column);
    this.events.open(rowView.id, cell.dataset.column, place);
  }

  private clear(): void {
    this.body.replaceChildren();
    this.drawn = new Map();
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

  /** Brings the DOM to the rows of the window at the current offset. */
  draw(): void {
    // Until the observer has measured it (the first draw), a screenful.
    const viewport = this.viewport || Math.max(ROW_HEIGHT, this.element.clientHeight - this.header.offsetHeight);
    const range = visibleRange(this.element.scrollTop, viewport, ROW_HEIGHT, this.order.length);
    if (range.start === this.range.start && range.end === this.range.end && this.drawn.size > 0) return;
    this.range = range;
    const wanted = new Set<number>();
    for (let position = range.start; position < range.end; position++) wanted.add(this.order[position] as number);
    for (const [place, el] of this.drawn) {
      if (!wanted.has(place)) {
        el.remove();
        this.drawn.delete(place);
      }
    }
    const fragment = document.createDocumentFragment();
    for (let position = range.start; position < range.end; position++) {
      const place = this.order[position] as number;
      if (this.drawn.has(place)) continue;
      const el = this.rowElement(place, position);
      if (!el) continue;
      this.drawn.set(place, el);
      fragment.append(el);
    }
    this.body.append(fragment);
  }

  private rowElement(place: number, position: number): HTMLElement | undefined {
    const row = this.data?.rows[place];
    if (!row) return undefined;
    const el = h('div', { className: 'matrix-row', testId: 'matrix-row', attrs: { role: 'row', 'data-place': place, 'data-position': position, 'data-row-id': row.id } }, [
      this.rowHead(row),
      ...this.columns.map((c, i) => this.cell(row, c, i)),
    ]);
    el.style.transform = `translateY(${position * ROW_HEIGHT}px)`;
    if (position % 2 === 1) el.classList.add('is-odd');
    return el;
  }

  private rowHead(row: RowView): HTMLElement {
    return h('div', { className: 'matrix-row-head', attrs: { role: 'rowheader', title: row.input } }, [
      h('div', { className: 'cell-line' }, [
        h('span', { className: 'row-id', text: row.id }),
        row.category ? h('span', { className: 'row-category', text: row.category }) : null,
      ]),
      h('div', { className: 'cell-text', text: row.input }),
    ]);
  }

  private cell(row: RowView, column: MatrixColumn, i: number): HTMLElement {
    const outcome = row.outcomes[i] ?? OUTCOME_CHARS.none;
    const change = CHANGE_TEXT[row.changes[i] ?? CHANGE_CHARS.none];
    const badge = this.data?.badges[row.badges[i] ?? -1];
    const ms = row.ms[i] ?? -1;
    const note = row.notes[i] ?? '';
    const selected = this.selected?.place === row.place && this.selected.column === column.key;
    const name = OUTCOME_NAMES[outcome] ?? 'none';
    const classes = ['matrix-cell', `is-${name}`, change?.className, selected ? 'is-selected' : undefined].filter(Boolean).join(' ');
    if (outcome === OUTCOME_CHARS.none) {
      return h('div', { className: classes, testId: 'matrix-cell', attrs: { role: 'gridcell', 'data-column': column.key, 'data-outcome': 'none' } }, [
        h('div', { className: 'cell-text is-muted', text: 'no answer yet' }),
      ]);
    }
    return h(
      'div',
      {
        className: classes,
        testId: 'matrix-cell',
        attrs: { role: 'gridcell', tabindex: 0, 'data-column': column.key, 'data-outcome': name, title: 'Show the whole exchange' },
      },
      [
        h('div', { className: 'cell-line' }, [
          badge ? h('span', { className: `badge tone-${badge.tone}`, testId: 'matrix-badge', text: badge.text }) : null,
          change ? h('span', { className: `change ${change.className}`, testId: 'matrix-change', text: change.text, attrs: { title: change.title } }) : null,
          note ? h('span', { className: 'cell-note', text: note }) : null,
          h('span', { className: 'latency', text: latencyText(ms) }),
        ]),
        h('div', { className: 'cell-text', text: row.texts[i] ?? '' }),
      ],
    );
  }
}
