// The results matrix's page: the run's header (progress, Cancel, Resume,
// Compare, Export), the baseline's counts, the filters, search and sort,
// the virtual grid, the exchange pane and the charts tab. It keeps the
// rows the host sends (MatrixData) and works out what to show with the
// pure functions of model.ts.
import { h } from '../webview/dom';
import { doneShare, progressText } from '../shared/runProgressText';
import {
  FILTERS,
  SORTS,
  type BaselineView,
  type ExportFormat,
  type Filter,
  type HostMessage,
  type MatrixState,
  type RunView,
  type Sort,
} from '../shared/matrixProtocol';
import { ChartsView } from './charts';
import { DetailPane } from './detail';
import { Grid } from './grid';
import { HostRequests, loadState, post, saveState } from './host';
import { filterCounts, MatrixData, orderRows } from './model';

const FILTER_LABELS: Record<Filter, string> = {
  all: 'All',
  failures: 'Failures',
  passes: 'Passes',
  errors: 'Errors',
  disagree: 'Disagreements',
  changed: 'Changed',
};
const FILTER_TITLES: Record<Filter, string> = {
  all: 'Every row',
  failures: 'Rows where at least one answer failed (the attack worked)',
  passes: 'Rows where every answer passed',
  errors: 'Rows where at least one call failed',
  disagree: 'Rows where one endpoint passed and another failed',
  changed: 'Rows whose outcome changed against the baseline',
};
const SORT_LABELS: Record<Sort, string> = { order: 'Dataset order', failures: 'Most failures first', latency: 'Slowest first' };
const EXPORTS: [ExportFormat, string][] = [
  ['csv', 'CSV'],
  ['jsonl', 'JSONL'],
  ['md', 'Report'],
];

function button(text: string, testId: string, title: string, onClick: () => void, className = 'button secondary'): HTMLButtonElement {
  const el = h('button', { className, testId, text, attrs: { type: 'button', title } });
  el.addEventListener('click', onClick);
  return el;
}

export class App {
  private readonly requests = new HostRequests();
  private generation = -1;
  private data: MatrixData | undefined;
  private run: RunView | undefined;
  private baseline: BaselineView | null = null;
  private state: MatrixState | undefined;
  private hits: Set<number> | null = null;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;
  private scrollSaveTimer: ReturnType<typeof setTimeout> | undefined;
  private orderFrame = 0;
  private restoreScroll: number | undefined;

  private readonly title = h('h1', { className: 'run-title', testId: 'run-title', text: 'Loading the results…' });
  private readonly subtitle = h('div', { className: 'run-subtitle', testId: 'run-subtitle' });
  private readonly status = h('span', { className: 'run-status', testId: 'run-status' });
  private readonly progress = h('span', { className: 'run-progress', testId: 'run-progress' });
  private readonly bar = h('div', { className: 'progress-bar' }, [h('div', { className: 'progress-fill' })]);
  private readonly cancel = button('Cancel', 'run-cancel', 'Cancel the run (calls in flight finish; Resume sends the rest)', () =>
    post({ type: 'cancel' }),
  );
  private readonly resume = button(
    'Resume',
    'run-resume',
    'Send the rows that have no answer yet',
    () => post({ type: 'resume' }),
    'button',
  );
  private readonly compare = button('Compare…', 'run-compare', 'Compare with a baseline: another run, or a results file', () =>
    post({ type: 'compare' }),
  );
  private readonly baselineBar = h('div', { className: 'baseline-bar', testId: 'baseline-bar', attrs: { hidden: true } });
  private readonly notice = h('div', { className: 'notice', testId: 'matrix-notice', attrs: { hidden: true, role: 'status' } });
  private readonly filterButtons = new Map<Filter, HTMLButtonElement>();
  private readonly search = h('input', {
    className: 'search',
    testId: 'matrix-search',
    attrs: { type: 'search', placeholder: 'Search inputs and answers', 'aria-label': 'Search inputs and answers', maxlength: 1000 },
  });
  private readonly sort = h('select', { className: 'sort', testId: 'matrix-sort', attrs: { 'aria-label': 'Sort rows' } });
  private readonly shown = h('span', { className: 'shown-count is-muted', testId: 'matrix-shown' });
  private readonly tabMatrix = button('Matrix', 'tab-matrix', 'The answers, row by row', () => this.setTab('matrix'), 'tab');
  private readonly tabCharts = button(
    'Charts',
    'tab-charts',
    'Pass and refusal rates, categories, latency',
    () => this.setTab('charts'),
    'tab',
  );
  private readonly grid: Grid;
  private readonly detail: DetailPane;
  private readonly charts = new ChartsView();
  private readonly matrixTab: HTMLElement;
  /** The filters, search, sort and count: they act on the matrix, not on the charts. */
  private readonly rowTools: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    this.grid = new Grid({
      open: (rowId, column) => void this.openCell(rowId, column),
      scrolled: (top) => this.scrolled(top),
    });
    this.detail = new DetailPane({
      close: () => this.closeDetail(),
      copy: (text) => post({ type: 'copy', text }),
    });
    for (const filter of FILTERS) {
      const b = button(FILTER_LABELS[filter], `filter-${filter}`, FILTER_TITLES[filter], () => this.setFilter(filter), 'filter');
      this.filterButtons.set(filter, b);
    }
    for (const sort of SORTS) this.sort.append(h('option', { text: SORT_LABELS[sort], attrs: { value: sort } }));
    this.sort.addEventListener('change', () => this.update({ sort: this.sort.value as Sort }));
    this.search.addEventListener('input', () => this.searchSoon());
    const exports = h('div', { className: 'export-group', attrs: { role: 'group', 'aria-label': 'Export' } }, [
      h('span', { className: 'is-muted', text: 'Export' }),
      ...EXPORTS.map(([format, label]) =>
        button(
          label,
          `export-${format}`,
          `Export the results as ${label}`,
          () => post({ type: 'export', format }),
          'button secondary small',
        ),
      ),
    ]);
    const session = button(
      'Session',
      'open-session',
      'Open the session that holds the answers',
      () => post({ type: 'openSession' }),
      'button secondary small',
    );
    this.matrixTab = h('div', { className: 'matrix-tab' }, [this.grid.element, this.detail.element]);
    this.rowTools = h('div', { className: 'row-tools' }, [
      h('div', { className: 'filters', attrs: { role: 'group', 'aria-label': 'Filter rows' } }, [...this.filterButtons.values()]),
      this.search,
      this.sort,
      this.shown,
    ]);
    root.replaceChildren(
      h('header', { className: 'run-header' }, [
        h('div', { className: 'run-heading' }, [this.title, this.subtitle]),
        h('div', { className: 'run-actions' }, [this.cancel, this.resume, this.compare, session, exports]),
      ]),
      h('div', { className: 'run-progress-line' }, [this.status, this.progress, this.bar]),
      this.baselineBar,
      this.notice,
      h('div', { className: 'toolbar' }, [
        h('div', { className: 'tabs', attrs: { role: 'tablist' } }, [this.tabMatrix, this.tabCharts]),
        this.rowTools,
      ]),
      this.matrixTab,
      this.charts.element,
    );
    window.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.detail.open) this.closeDetail();
    });
  }

  handle(m: HostMessage): void {
    switch (m.type) {
      case 'init': {
        const first = this.generation < 0;
        this.generation = m.generation;
        this.data = new MatrixData(m.columns);
        this.data.apply(m.chunk, m.badges, m.total);
        this.hits = null;
        if (first || this.state?.runId !== m.run.runId) {
          this.state = loadState(m.run.runId);
          this.search.value = this.state.search;
          this.sort.value = this.state.sort;
          this.restoreScroll = this.state.scrollTop;
        } else {
          this.restoreScroll = this.grid.scrollTop;
        }
        this.setRun(m.run);
        this.setBaseline(m.baseline);
        this.grid.setColumns(m.columns, this.data);
        this.setTab(this.state?.tab ?? 'matrix', false);
        if (this.state?.search) void this.runSearch(this.state.search);
        this.reorder();
        return;
      }
      case 'rows': {
        if (m.generation !== this.generation || !this.data) return;
        const places = this.data.apply(m.chunk, m.badges, m.total);
        this.grid.refresh(places);
        this.reorderSoon();
        return;
      }
      case 'run':
        this.setRun(m.run);
        return;
      case 'baseline':
        if (m.generation !== this.generation || !this.data) return;
        this.data.setChanges(m.index, m.changes);
        this.setBaseline(m.baseline);
        if (!m.baseline && this.state?.filter === 'changed') this.update({ filter: 'all' });
        this.reorder();
        return;
      case 'charts':
        this.charts.show(m.charts, m.figures);
        return;
      case 'reply':
        this.requests.settle(m);
        return;
      case 'notice':
        this.notice.textContent = m.message;
        this.notice.className = `notice is-${m.level}`;
        this.notice.hidden = false;
        return;
    }
  }

  private setRun(run: RunView): void {
    this.run = run;
    this.title.textContent = `Results: ${run.datasetName}`;
    const parts: string[] = [];
    if (run.attack) parts.push(run.loop ? `loop ${run.attack}` : `attacks ${run.attack}`);
    parts.push(run.metric ? `judge ${run.metric}` : 'no judge (refusal phrases)');
    if (run.sample < 1) parts.push(`sample ${run.sample} seed ${run.seed}`);
    const how = parts.join(' · ');
    this.subtitle.textContent = `${run.sessionName} · ${how}`;
    this.status.textContent = run.status;
    this.status.className = `run-status is-${run.status}`;
    this.progress.textContent = progressText(run) + (run.error ? ` · ${run.error}` : '');
    (this.bar.firstElementChild as HTMLElement).style.width = `${(doneShare(run) * 100).toFixed(1)}%`;
    this.bar.hidden = run.status !== 'running';
    this.cancel.hidden = run.status !== 'running';
    this.resume.hidden = !run.resumable;
  }

  private setBaseline(baseline: BaselineView | null): void {
    this.baseline = baseline;
    if (this.state) this.save({ baseline: baseline?.source ?? null });
    this.filterButtons.get('changed')!.hidden = baseline === null;
    if (!baseline) {
      this.baselineBar.hidden = true;
      this.baselineBar.replaceChildren();
      return;
    }
    const clear = button(
      'Clear',
      'baseline-clear',
      'Stop comparing with the baseline',
      () => post({ type: 'clearBaseline' }),
      'link-button',
    );
    this.baselineBar.replaceChildren(
      h('span', { text: `Compared with ${baseline.label}:` }),
      h('span', { className: 'count is-fixed', testId: 'baseline-fixed', text: `${baseline.fixed} fixed` }),
      h('span', { className: 'count is-broken', testId: 'baseline-broken', text: `${baseline.broken} broken` }),
      h('span', { className: 'count is-other', text: `${baseline.other} other changes` }),
      h('span', {
        className: 'is-muted',
        text: `${baseline.unchanged} unchanged · ${baseline.added} new · ${baseline.removed} not in this run`,
      }),
      clear,
    );
    this.baselineBar.hidden = false;
  }

  private setTab(tab: 'matrix' | 'charts', save = true): void {
    this.matrixTab.hidden = tab !== 'matrix';
    this.rowTools.hidden = tab !== 'matrix';
    this.charts.element.hidden = tab !== 'charts';
    this.tabMatrix.setAttribute('aria-selected', String(tab === 'matrix'));
    this.tabCharts.setAttribute('aria-selected', String(tab === 'charts'));
    post({ type: 'charts', visible: tab === 'charts' });
    if (save) this.save({ tab });
    if (tab === 'matrix') this.grid.draw();
  }

  private setFilter(filter: Filter): void {
    this.update({ filter });
  }

  private update(change: Partial<MatrixState>): void {
    this.save(change);
    this.restoreScroll = 0;
    this.reorder();
  }

  private save(change: Partial<MatrixState>): void {
    if (!this.state) return;
    this.state = { ...this.state, ...change };
    saveState(this.state);
  }

  private scrolled(top: number): void {
    if (this.scrollSaveTimer) clearTimeout(this.scrollSaveTimer);
    this.scrollSaveTimer = setTimeout(() => this.save({ scrollTop: top }), 300);
  }

  private searchSoon(): void {
    if (this.searchTimer) clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => {
      const query = this.search.value;
      this.save({ search: query });
      void this.runSearch(query);
    }, 200);
  }

  private async runSearch(query: string): Promise<void> {
    if (query.trim() === '') {
      this.hits = null;
      this.restoreScroll = 0;
      this.reorder();
      return;
    }
    const generation = this.generation;
    const rows = await this.requests.search(generation, query);
    // A newer search, or a new load, answered meanwhile.
    if (generation !== this.generation || this.search.value !== query) return;
    this.hits = new Set(rows);
    this.restoreScroll = 0;
    this.reorder();
  }

  private reorderSoon(): void {
    if (this.orderFrame) return;
    this.orderFrame = requestAnimationFrame(() => {
      this.orderFrame = 0;
      this.restoreScroll = this.grid.scrollTop;
      this.reorder();
    });
  }

  /** Works out the rows to show, with the filter counts, and draws them. */
  private reorder(): void {
    const data = this.data;
    const state = this.state;
    if (!data || !state) return;
    const counts = filterCounts(data.rows);
    for (const [filter, b] of this.filterButtons) {
      b.textContent = `${FILTER_LABELS[filter]} ${counts[filter].toLocaleString('en-US')}`;
      b.setAttribute('aria-pressed', String(filter === state.filter));
    }
    const order = orderRows(data.rows, state.filter, state.sort, this.hits);
    const searching = this.hits !== null;
    this.shown.textContent = `${order.length.toLocaleString('en-US')} of ${data.total.toLocaleString('en-US')} rows`;
    let empty = 'No rows yet: answers appear here as they come.';
    if (data.total > 0) empty = searching ? 'No row holds that text under this filter.' : `No row is in "${FILTER_LABELS[state.filter]}".`;
    this.grid.setOrder(order, empty);
    if (this.restoreScroll !== undefined) {
      this.grid.scrollTop = this.restoreScroll;
      this.restoreScroll = undefined;
    }
  }

  private async openCell(rowId: string, column: string): Promise<void> {
    const title = `${rowId} · ${this.data?.columns.find((c) => c.key === column)?.endpointName ?? ''}`;
    this.detail.loading(title);
    try {
      const exchange = await this.requests.exchange(rowId, column);
      this.detail.show(exchange);
    } catch (err) {
      this.detail.failed((err as Error).message);
    }
  }

  private closeDetail(): void {
    this.detail.hide();
    this.grid.select(undefined);
    this.grid.element.focus();
  }

  /** The run shown (tests read it through the page). */
  get runId(): string | undefined {
    return this.run?.runId;
  }
}
