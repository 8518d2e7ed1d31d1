// The results matrix's host side: one webview panel per run, revived after
// a reload by a serializer. It builds the matrix from the run's results
// (matrixData.ts), sends it in chunks, keeps it up to date while the run
// goes (the session's record and score events, the run's progress), and
// answers the webview's requests: a cell's whole exchange, a search. Its
// buttons run the extension's commands (Resume Run, Compare, Export).
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { Core } from '../core/openCore';
import { CHART_CSS, type BaselineComparison } from '../core/datasets/results';
import { isCoreError } from '../core/errors';
import type { Run, RunResultRow } from '../core/schemas';
import type { SessionEvent } from '../core/sessions';
import type { RunEvent } from '../core/runs';
import { readResults } from '../resultFiles';
import {
  CHUNK_ROWS,
  FIRST_CHUNK_ROWS,
  HostMessageSchema,
  MatrixStateSchema,
  WebviewMessageSchema,
  type BaselineSource,
  type BaselineView,
  type HostMessage,
  type WebviewMessage,
} from '../shared/matrixProtocol';
import { MatrixModel, resultsOfFirstRows, runView } from './matrixData';
import { matrixCharts } from './matrixCharts';
import { readExchange } from './matrixExchange';
import { runCommand } from './commands';
import { webviewPage } from './webviewPage';

export const MATRIX_VIEW_TYPE = 'moonshotSessions.runResults';

/** Live cells go to the webview at most this often. */
const FLUSH_MS = 250;
/** Charts (and the baseline's counts) of a running run are made again at most this often. */
const FIGURES_MS = 2000;

export interface PostedMatrixMessage {
  runId: string;
  message: HostMessage;
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

/** "run of advbench, 15 Mar 04:31": how a run is named in labels. */
export function runLabel(run: Run): string {
  const started = new Date(run.started);
  const when = Number.isNaN(started.getTime())
    ? run.started
    : started.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return `${run.dataset.name}, ${when}`;
}

export class MatrixPanel implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private ready = false;
  private readonly readyWaiters: (() => void)[] = [];
  private generation = 0;
  private model: MatrixModel | undefined;
  private run: Run | undefined;
  private sessionName = '';
  /** Events that came while an init was being built: applied after it. */
  private held: SessionEvent[] | undefined;
  private initializing: Promise<void> = Promise.resolve();
  private readonly dirtyRows = new Set<number>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private needsInit = false;
  private chartsVisible = false;
  private lastFigures = 0;
  private baselineSource: BaselineSource | null;
  private gone = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly runId: string,
    private readonly core: Core,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    baseline: BaselineSource | null,
    private readonly onDidPost?: (posted: PostedMatrixMessage) => void,
  ) {
    this.baselineSource = baseline;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'moonshot.svg');
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
    panel.webview.html = this.html();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      core.sessions.onDidChange((e) => this.followSession(e)),
      core.runs.onDidChange((e) => this.followRun(e)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Resolves once the webview has loaded and been sent its first init. */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The comparison with the baseline now shown, if any (the Markdown report includes it). */
  get comparison(): BaselineComparison | undefined {
    return this.model?.baseline?.comparison;
  }

  get baseline(): BaselineSource | null {
    return this.baselineSource;
  }

  private html(): string {
    return webviewPage(this.panel.webview, this.extensionUri, {
      title: 'Moonshot run results',
      script: 'matrix.js',
      style: 'matrix.css',
      inlineStyle: CHART_CSS,
      root: { id: 'matrix', data: { 'run-id': this.runId } },
    });
  }

  private post(message: HostMessage): Thenable<boolean> {
    const checked = HostMessageSchema.safeParse(message);
    if (!checked.success) {
      this.log.error(`results matrix: refusing to post an invalid ${message.type} message: ${checked.error.message}`);
      return Promise.resolve(false);
    }
    this.onDidPost?.({ runId: this.runId, message });
    return this.panel.webview.postMessage(message);
  }

  private notice(level: 'info' | 'error', message: string): void {
    void this.post({ type: 'notice', level, message });
  }

  /** Builds the matrix from the run's results and sends it from scratch (one init at a time, in order). */
  sendInit(): Promise<void> {
    const next = this.initializing.then(() => this.init());
    this.initializing = next.catch((err: unknown) => this.log.error(`results matrix: ${(err as Error).stack ?? String(err)}`));
    return next;
  }

  private async init(): Promise<void> {
    this.needsInit = false;
    let run: Run;
    try {
      run = await this.core.runs.get(this.runId);
      this.sessionName = (await this.core.sessions.get(run.session_id)).name;
    } catch (err) {
      if (!isCoreError(err, 'not-found')) throw err;
      this.markGone('Its run or its session was deleted.');
      return;
    }
    this.run = run;
    this.panel.title = `Results: ${run.dataset.name}`;
    this.held = [];
    let held: SessionEvent[];
    let model: MatrixModel;
    let generation: number | undefined;
    try {
      const results = await this.core.runs.results(this.runId);
      model = new MatrixModel(run, (id) => this.endpointName(id));
      // The first screen before the rest: 10,000 rows take a moment to build. Only when the first rows
      // make every column (no attack variants) and nothing is compared (a baseline compares them all).
      const cut = run.attack_modules.length === 0 && !this.baselineSource ? resultsOfFirstRows(results, FIRST_CHUNK_ROWS) : results.length;
      if (cut < results.length) {
        model.load(results.slice(0, cut));
        this.model = model;
        generation = ++this.generation;
        await this.postInit(generation, run, model, null);
        model.load(results.slice(cut));
      } else model.load(results);
    } finally {
      held = this.held;
      this.held = undefined;
    }
    this.model = model;
    // Records made while the results were read (a record read twice lands in the same cell).
    for (const e of held) this.apply(e);
    this.dirtyRows.clear();
    let baseline: BaselineView | null = null;
    if (this.baselineSource) {
      try {
        baseline = await this.loadBaseline(this.baselineSource);
      } catch (err) {
        if (!isCoreError(err)) throw err;
        this.notice('error', `The baseline could not be read: ${err.message}`);
        this.baselineSource = null;
      }
    }
    const total = model.rowCount;
    const early = generation !== undefined;
    if (generation === undefined) {
      generation = ++this.generation;
      await this.postInit(generation, run, model, baseline);
    } else {
      // The header's errors, of every row now.
      void this.post({ type: 'run', run: this.view(run) });
    }
    // After a first screen sent early, its rows again too: a record may have come for them meanwhile.
    for (let from = early ? 0 : FIRST_CHUNK_ROWS; from < total; from += CHUNK_ROWS) {
      if (generation !== this.generation || !this.model) return;
      await this.post({
        type: 'rows',
        generation,
        total: model.rowCount,
        badges: [...model.badges],
        chunk: model.chunk(range(from, Math.min(total, from + CHUNK_ROWS))),
      });
    }
    if (this.chartsVisible) this.sendCharts();
  }

  /** A load's first message: the run, the columns and the first rows of the model (the rest come in `rows`). */
  private postInit(generation: number, run: Run, model: MatrixModel, baseline: BaselineView | null): Thenable<boolean> {
    return this.post({
      type: 'init',
      generation,
      run: this.view(run),
      columns: [...model.columns],
      total: model.rowCount,
      badges: [...model.badges],
      chunk: model.chunk(range(0, Math.min(model.rowCount, FIRST_CHUNK_ROWS))),
      baseline,
    });
  }

  /** The run as the header shows it, with the errors the matrix has: a cancelled call that was answered since is not one. */
  private view(run: Run) {
    const view = runView(run, this.sessionName);
    return this.model ? { ...view, errors: this.model.errorCount() } : view;
  }

  private endpointName(id: string): string {
    return this.core.endpoints.get(id)?.config.name ?? id;
  }

  private markGone(why: string): void {
    this.gone = true;
    this.model = undefined;
    if (!this.panel.title.endsWith('(deleted)')) this.panel.title = `${this.panel.title} (deleted)`;
    this.notice('error', why);
  }

  private followSession(e: SessionEvent): void {
    if (this.gone) return;
    if (e.type === 'deleted' && e.sessionId === this.run?.session_id) {
      this.markGone('The session of this run was deleted.');
      return;
    }
    if (e.type !== 'record' && e.type !== 'score') return;
    if (this.run && e.sessionId !== this.run.session_id) return;
    if (this.held) {
      this.held.push(e);
      return;
    }
    if (this.apply(e)) this.scheduleFlush();
  }

  /** A record or score event into the model; whether it changed a row. */
  private apply(e: SessionEvent): boolean {
    const model = this.model;
    if (!model) return false;
    if (e.type === 'record') {
      const applied = model.applyRecord(e.chatId, e.record);
      if (!applied) return false;
      if (applied.newColumn) this.needsInit = true;
      this.dirtyRows.add(applied.row);
      return true;
    }
    if (e.type === 'score') {
      const row = model.applyScore(e.chatId, e.chatRecordId, e.metric);
      if (row === undefined) return false;
      this.dirtyRows.add(row);
      return true;
    }
    return false;
  }

  private followRun(e: RunEvent): void {
    if (e.run.run_id !== this.runId || this.gone) return;
    this.run = e.run;
    this.model?.setRun(e.run);
    void this.post({ type: 'run', run: this.view(e.run) });
    // The end: the results as the run's files give them (categories, targets, a loop's last turns).
    if (e.type === 'ended') void this.sendInit();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  private flush(): void {
    const model = this.model;
    if (!model || !this.ready) return;
    if (this.needsInit) {
      void this.sendInit();
      return;
    }
    const rows = [...this.dirtyRows].sort((a, b) => a - b);
    this.dirtyRows.clear();
    if (rows.length > 0)
      void this.post({
        type: 'rows',
        generation: this.generation,
        total: model.rowCount,
        badges: [...model.badges],
        chunk: model.chunk(rows),
      });
    if (performance.now() - this.lastFigures >= FIGURES_MS) {
      this.lastFigures = performance.now();
      const baseline = model.baseline;
      if (baseline) this.postBaseline(model.setBaseline({ label: baseline.label, results: [...baseline.before.values()] }));
      if (this.chartsVisible) this.sendCharts();
    }
  }

  private sendCharts(): void {
    if (!this.model) return;
    const { charts, figures } = matrixCharts(this.model.answers(), (id) => this.endpointName(id));
    void this.post({ type: 'charts', charts, figures });
  }

  /** Reads the baseline's results into the model; a CoreError when they cannot be read. */
  private async loadBaseline(source: BaselineSource): Promise<BaselineView | null> {
    const model = this.model;
    if (!model) return null;
    let label: string;
    let results: RunResultRow[];
    if (source.kind === 'run') {
      const run = await this.core.runs.get(source.runId);
      label = `run of ${runLabel(run)}`;
      results = await this.core.runs.results(source.runId);
    } else {
      label = basename(source.path);
      results = await readResults(source.path, source.path);
    }
    return this.viewOf(source, model.setBaseline({ label, results }));
  }

  private viewOf(source: BaselineSource, state: ReturnType<MatrixModel['setBaseline']>): BaselineView | null {
    if (!state) return null;
    const { fixed, broken, other, unchanged, added, removed } = state.comparison;
    return { source, label: state.label, fixed, broken, other, unchanged, added, removed };
  }

  private postBaseline(state: ReturnType<MatrixModel['setBaseline']>): void {
    const model = this.model;
    if (!model) return;
    const { index, changes } = model.changedRows();
    const baseline = this.baselineSource ? this.viewOf(this.baselineSource, state) : null;
    void this.post({ type: 'baseline', generation: this.generation, baseline, index, changes });
  }

  /** Compares the matrix with a baseline (a run, or a results file the CLI wrote); null takes it away. */
  async setBaseline(source: BaselineSource | null): Promise<BaselineComparison | undefined> {
    await this.initializing;
    if (!this.model) return undefined;
    if (!source) {
      this.baselineSource = null;
      this.postBaseline(this.model.setBaseline(null));
      return undefined;
    }
    await this.loadBaseline(source);
    this.baselineSource = source;
    this.postBaseline(this.model.baseline);
    return this.model.baseline?.comparison;
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = WebviewMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn(`results matrix: dropped a message that fits no known shape: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const m = parsed.data;
    try {
      await this.handle(m);
    } catch (err) {
      this.log.error(`results matrix: ${m.type}: ${(err as Error).stack ?? String(err)}`);
      const message = isCoreError(err) ? err.message : (err as Error).message;
      // A request gets its answer either way, so the webview never waits for nothing.
      if (m.type === 'exchange' || m.type === 'search')
        void this.post({ type: 'reply', requestId: m.requestId, outcome: { kind: 'error', error: message } });
      else this.notice('error', message);
    }
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        await this.sendInit();
        this.ready = true;
        for (const resolve of this.readyWaiters.splice(0)) resolve();
        return;
      case 'exchange': {
        await this.initializing;
        if (!this.model || !this.run) throw new Error('The run is not loaded.');
        const exchange = await readExchange(this.core.store, this.run, this.model, m.rowId, m.column);
        void this.post({ type: 'reply', requestId: m.requestId, outcome: { kind: 'exchange', exchange } });
        return;
      }
      case 'search': {
        await this.initializing;
        const rows = m.generation === this.generation && this.model ? this.model.search(m.query) : [];
        void this.post({ type: 'reply', requestId: m.requestId, outcome: { kind: 'search', generation: m.generation, rows } });
        return;
      }
      case 'cancel':
        await runCommand('cancelRun', this.runId);
        return;
      case 'resume':
        await runCommand('resumeRun', this.runId);
        return;
      case 'compare':
        await runCommand('compareRun', this.runId);
        return;
      case 'clearBaseline':
        await this.setBaseline(null);
        return;
      case 'export':
        await runCommand('exportRunResults', this.runId, m.format);
        return;
      case 'charts':
        this.chartsVisible = m.visible;
        if (m.visible) this.sendCharts();
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        void vscode.window.setStatusBarMessage('Copied', 2000);
        return;
      case 'openSession':
        if (this.run) await runCommand('openSession', this.run.session_id);
        return;
    }
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}

/** One matrix per run: opening a run that has one reveals it. */
export class MatrixPanels implements vscode.Disposable {
  private readonly panels = new Map<string, MatrixPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly posted = new vscode.EventEmitter<PostedMatrixMessage>();
  /** Every message any matrix posts to its webview (tests watch the panels through it). */
  readonly onDidPost = this.posted.event;

  constructor(
    private readonly core: Core,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.posted,
      vscode.window.registerWebviewPanelSerializer(MATRIX_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const parsed = MatrixStateSchema.safeParse(state);
          // The matrix of a run deleted meanwhile (or of none) is not brought back.
          if (!parsed.success || !(await this.exists(parsed.data.runId))) {
            panel.dispose();
            return;
          }
          this.attach(panel, parsed.data.runId, parsed.data.baseline);
        },
      }),
    );
  }

  private async exists(runId: string): Promise<boolean> {
    try {
      await this.core.runs.get(runId);
      return true;
    } catch (err) {
      if (isCoreError(err, 'not-found')) return false;
      throw err;
    }
  }

  get(runId: string): MatrixPanel | undefined {
    return this.panels.get(runId);
  }

  /** Opens (or reveals) the run's matrix. */
  async open(runId: string, options: { preserveFocus?: boolean } = {}): Promise<MatrixPanel> {
    const run = await this.core.runs.get(runId);
    const open = this.panels.get(runId);
    if (open) {
      open.panel.reveal(undefined, options.preserveFocus);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      MATRIX_VIEW_TYPE,
      `Results: ${run.dataset.name}`,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: options.preserveFocus ?? false },
      { enableScripts: true, retainContextWhenHidden: false, enableFindWidget: false },
    );
    return this.attach(panel, runId, null);
  }

  private attach(panel: vscode.WebviewPanel, runId: string, baseline: BaselineSource | null): MatrixPanel {
    const matrix = new MatrixPanel(panel, runId, this.core, this.extensionUri, this.log, baseline, (p) => this.posted.fire(p));
    this.panels.set(runId, matrix);
    matrix.onDidDispose(() => {
      if (this.panels.get(runId) === matrix) this.panels.delete(runId);
    });
    return matrix;
  }

  dispose(): void {
    for (const p of this.panels.values()) p.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
