// Commands on dataset runs: Run Dataset (its questions are in
// runDatasetFlow.ts; this makes the session and starts the run), Resume Run,
// Cancel Run, Open Run Results (the matrix), Export Run Results, Compare
// Run with a baseline; a run's progress in a cancellable notification; and,
// at activation, an offer to resume runs a reload or a cancel cut short.
import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Core } from '../core/openCore';
import { RESULT_COLUMNS, resultsToCsv, resultsToJsonl, resultsToMarkdown, type BaselineComparison } from '../core/datasets/results';
import type { Run, SessionMetadata } from '../core/schemas';
import type { BaselineSource, ExportFormat } from '../shared/matrixProtocol';
import { progressText } from '../shared/runProgressText';
import { notify, offerCommand, offerOpen, type CommandTable } from './commands';
import { askOnce, type Ask } from './flow';
import { askRunDataset, MAX_WORKSPACE_FILES, plural, WORKSPACE_EXCLUDE, type Item, type RunDatasetArg } from './runDatasetFlow';
import { isResumable, runView } from './matrixData';
import { runLabel, type MatrixPanel, type MatrixPanels } from './matrixPanel';
import type { TreeNode } from './sessionsTree';
import type { UserInput } from './userInput';

/** Run ids offered for resuming at an activation, with when they ended: each is offered once. */
const OFFERED_KEY = 'moonshotSessions.offeredResumes';
/** At most this many offers at one activation (the newest runs). */
const MAX_OFFERS = 3;

const EXTENSIONS: Record<ExportFormat, { ext: string; filter: Record<string, string[]> }> = {
  csv: { ext: 'csv', filter: { CSV: ['csv'] } },
  jsonl: { ext: 'jsonl', filter: { 'JSON Lines': ['jsonl'] } },
  md: { ext: 'md', filter: { Markdown: ['md'] } },
};

/** Whether a file starts as a results file the CLI (or Export) wrote: a results CSV header, or a JSON line of a result. */
async function isResultsFile(path: string): Promise<boolean> {
  let head: string;
  try {
    const handle = await fs.open(path, 'r');
    try {
      const buffer = Buffer.alloc(16 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  const first = head.split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (extname(path).toLowerCase() === '.csv') return first === RESULT_COLUMNS.join(',');
  try {
    const value = JSON.parse(first) as Record<string, unknown>;
    return typeof value === 'object' && value !== null && 'row_id' in value && 'endpoint' in value && 'response' in value;
  } catch {
    return false;
  }
}

export class RunCommands {
  /** Runs whose progress notification is showing, with the promise of their end. */
  private readonly tracked = new Map<string, Promise<Run>>();

  constructor(
    private readonly core: Core,
    private readonly matrices: MatrixPanels,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
    private readonly memento: vscode.Memento,
  ) {}

  handlers(): Pick<CommandTable, 'runDataset' | 'resumeRun' | 'cancelRun' | 'openRunResults' | 'exportRunResults' | 'compareRun'> {
    return {
      runDataset: (arg?: RunDatasetArg) => this.runDataset(arg),
      resumeRun: (runId?: string) => this.resumeRun(runId),
      cancelRun: (runId?: string) => this.cancelRun(runId),
      openRunResults: (arg?: string | TreeNode) => this.openRunResults(arg),
      exportRunResults: (runId?: string, format?: ExportFormat) => this.exportRunResults(runId, format),
      compareRun: (runId?: string, baseline?: BaselineSource) => this.compareRun(runId, baseline),
    };
  }

  /** Resolves with the run as it ended, for a run whose progress this window shows. */
  ended(runId: string): Promise<Run> | undefined {
    return this.tracked.get(runId);
  }

  async runDataset(arg?: RunDatasetArg): Promise<Run | undefined> {
    const answers = await askRunDataset(this.core, this.input(), arg);
    if (!answers) return undefined;
    const { file, name, body } = answers;
    let session: SessionMetadata;
    let created: SessionMetadata | undefined;
    if ('create' in answers.session) {
      const { create } = answers.session;
      created = await this.core.sessions.create({ name: create.name, description: `Dataset run of ${name}`, endpoints: create.endpoints });
      session = created;
    } else session = answers.session;
    let run: Run;
    try {
      // The dataset is read whole once before anything is sent: a large one takes a moment.
      run = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Moonshot: checking ${basename(file)}…` },
        () => this.core.runs.start({ ...body, session_id: session.session_id }, { datasetFile: file }),
      );
    } catch (err) {
      // A session made for a run that could not start would be an empty leftover.
      if (created)
        await this.core.sessions
          .delete(created.session_id)
          .catch((e: unknown) => this.log.warn(`Could not delete ${created?.session_id}: ${String(e)}`));
      throw err;
    }
    this.log.info(`Started run ${run.run_id} of ${file} on session ${session.session_id} (${run.rows_total} rows)`);
    void this.track(run);
    await this.matrices.open(run.run_id);
    return run;
  }

  /**
   * Shows the run's progress in a cancellable notification until it ends,
   * then what it did (with Resume when rows are left). Resolves with the run as it ended.
   */
  track(run: Run): Promise<Run> {
    const known = this.tracked.get(run.run_id);
    if (known) return known;
    const ended = new Promise<Run>((resolve) => {
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Moonshot: run of ${run.dataset.name}`, cancellable: true },
        (progress, token) =>
          new Promise<void>((finish) => {
            let shown = 0;
            const report = (r: Run) => {
              const share = r.rows_total === 0 ? 100 : (r.rows_done / r.rows_total) * 100;
              progress.report({ message: progressText(runView(r, '')), increment: Math.max(0, share - shown) });
              shown = Math.max(shown, share);
            };
            const end = (r: Run) => {
              sub.dispose();
              finish();
              resolve(r);
            };
            const sub = this.core.runs.onDidChange((e) => {
              if (e.run.run_id !== run.run_id) return;
              if (e.type === 'progress') report(e.run);
              else end(e.run);
            });
            token.onCancellationRequested(() => {
              this.core.runs.cancel(run.run_id).catch((err: unknown) => this.log.error(`Cancel run ${run.run_id}: ${String(err)}`));
            });
            report(run);
            // It may have ended before this listened (a run of a few rows).
            void this.core.runs.get(run.run_id).then((now) => {
              if (now.status !== 'running') end(now);
            }, () => undefined);
          }),
      );
    });
    this.tracked.set(run.run_id, ended);
    void ended.then((r) => {
      this.tracked.delete(run.run_id);
      this.sayEnded(r);
    });
    return ended;
  }

  private sayEnded(run: Run): void {
    const what = `The run of "${run.dataset.name}"`;
    const open = offerCommand('Open Results', 'openRunResults', run.run_id);
    const resume = offerCommand('Resume', 'resumeRun', run.run_id);
    if (run.status === 'done') {
      const errors = run.errors ? `, ${plural(run.errors, 'error')}` : '';
      notify(
        this.input(),
        run.errors ? 'warning' : 'info',
        `${what} is done: ${plural(run.rows_done, 'row')}, ${plural(run.results, 'result')}${errors}.`,
        open,
      );
    } else if (run.status === 'cancelled') {
      notify(
        this.input(),
        'info',
        `${what} was cancelled: ${run.rows_done.toLocaleString('en-US')} of ${plural(run.rows_total, 'row')} done.`,
        resume,
        open,
      );
    } else {
      notify(this.input(), 'error', `${what} ${run.status === 'failed' ? 'failed' : 'stopped'}: ${run.error ?? run.status}`, resume, open);
    }
  }

  /** A run the command was given, or one the user picks among those `keep` accepts (newest first). */
  private async pickRun(runId: string | undefined, placeHolder: string, keep: (r: Run) => boolean, none: string): Promise<Run | undefined> {
    if (runId !== undefined) return this.core.runs.get(runId);
    const runs = (await this.core.runs.list()).filter(keep);
    if (runs.length === 0) {
      notify(this.input(), 'info', none, offerCommand('Run Dataset', 'runDataset'));
      return undefined;
    }
    return this.askRun(runs, placeHolder);
  }

  private async askRun(runs: readonly Run[], placeHolder: string): Promise<Run | undefined> {
    const names = new Map((await this.core.sessions.list()).map((s) => [s.session_id, s.name]));
    return askOnce(this.input(), async (ask) =>
      (
        await ask.pick({
          placeHolder,
          matchOnDescription: true,
          items: runs.map((r): Item<Run> => ({
            label: runLabel(r),
            description: `${r.status} · ${names.get(r.session_id) ?? r.session_id}`,
            detail: progressText(runView(r, '')),
            value: r,
          })),
        })
      ).value,
    );
  }

  async resumeRun(runId?: string): Promise<Run | undefined> {
    const picked = await this.pickRun(runId, 'Resume which run?', isResumable, 'No run has rows left to send.');
    if (!picked) return undefined;
    const run = await this.core.runs.resume(picked.run_id);
    this.log.info(`Resumed run ${run.run_id}`);
    void this.track(run);
    await this.matrices.open(run.run_id, { preserveFocus: true });
    return run;
  }

  async cancelRun(runId?: string): Promise<Run | undefined> {
    const picked = await this.pickRun(runId, 'Cancel which run?', (r) => r.status === 'running', 'No run is going on.');
    if (!picked) return undefined;
    const run = await this.core.runs.cancel(picked.run_id);
    this.input().status(`Cancelled the run of "${run.dataset.name}": ${run.rows_done} of ${plural(run.rows_total, 'row')} done`);
    return run;
  }

  async openRunResults(arg?: string | TreeNode): Promise<MatrixPanel | undefined> {
    if (typeof arg === 'string') return this.matrices.open(arg);
    const sessionId = arg && (arg.kind === 'session' ? arg.session.session_id : arg.sessionId);
    const runs = await this.core.runs.list(sessionId === undefined ? {} : { sessionId });
    if (runs.length === 0) {
      notify(
        this.input(),
        'info',
        sessionId === undefined ? 'There are no dataset runs yet.' : 'This session has no dataset runs yet.',
        offerCommand('Run Dataset', 'runDataset', ...(arg ? [arg] : [])),
      );
      return undefined;
    }
    const run = await this.askRun(runs, 'Open the results of which run?');
    return run ? this.matrices.open(run.run_id) : undefined;
  }

  async exportRunResults(runId?: string, format?: ExportFormat): Promise<vscode.Uri | undefined> {
    const run = await this.pickRun(runId, 'Export the results of which run?', () => true, 'There are no dataset runs yet.');
    if (!run) return undefined;
    const chosen =
      format ??
      (await askOnce(this.input(), async (ask) => {
        const items: Item<ExportFormat>[] = [
          { label: 'CSV', description: 'one line per result, for a spreadsheet', value: 'csv' },
          { label: 'JSON Lines', description: 'one result per line; a baseline for the CI gate (--baseline)', value: 'jsonl' },
          { label: 'Markdown report', description: 'figures per endpoint and category, charts, changes against the baseline', value: 'md' },
        ];
        return (await ask.pick({ title: `Export the results of ${runLabel(run)}`, items })).value;
      }));
    if (!chosen) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const { ext, filter } = EXTENSIONS[chosen];
    const target = await this.input().saveLocation({
      ...(folder
        ? { defaultUri: vscode.Uri.joinPath(folder, `${run.dataset.name}-${run.run_id}.${chosen === 'md' ? 'report.md' : ext}`) }
        : {}),
      filters: filter,
      saveLabel: 'Export',
    });
    if (!target) return undefined;
    const results = await this.core.runs.results(run.run_id);
    let text: string;
    if (chosen === 'csv') text = resultsToCsv(results);
    else if (chosen === 'jsonl') text = resultsToJsonl(results);
    else {
      const baseline = this.matrices.get(run.run_id)?.comparison;
      text = resultsToMarkdown(results, {
        title: `Run of ${run.dataset.name}`,
        dataset: { name: run.dataset.name, format: run.dataset.format, rows: run.dataset.rows, sha256: run.dataset.sha256 },
        date: run.started,
        ...(baseline ? { baseline } : {}),
      });
    }
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    this.log.info(`Exported the results of run ${run.run_id} to ${target.toString()}`);
    notify(
      this.input(),
      'info',
      `Exported ${plural(results.length, 'result')} to ${vscode.workspace.asRelativePath(target)}.`,
      offerOpen('Open', target),
    );
    return target;
  }

  /** Results files the workspace holds (what the CLI's --out or Export wrote). */
  private async resultsFiles(): Promise<vscode.Uri[]> {
    const uris = await vscode.workspace.findFiles('**/*.{jsonl,csv}', WORKSPACE_EXCLUDE, MAX_WORKSPACE_FILES);
    const checked = await Promise.all(uris.map(async (u) => ((await isResultsFile(u.fsPath)) ? u : undefined)));
    return checked.filter((u): u is vscode.Uri => u !== undefined);
  }

  async compareRun(runId?: string, baseline?: BaselineSource): Promise<BaselineComparison | undefined> {
    const run = await this.pickRun(runId, 'Compare the results of which run?', () => true, 'There are no dataset runs yet.');
    if (!run) return undefined;
    let source = baseline;
    if (!source) {
      const others = (await this.core.runs.list({ sessionId: run.session_id })).filter((r) => r.run_id !== run.run_id);
      const files = await this.resultsFiles();
      source = await askOnce(this.input(), async (ask: Ask) => {
        const items: Item<BaselineSource | 'browse'>[] = [
          ...others.map((r): Item<BaselineSource> => ({
            label: runLabel(r),
            description: `run · ${r.status}`,
            detail: progressText(runView(r, '')),
            value: { kind: 'run', runId: r.run_id },
          })),
          ...files.map((u): Item<BaselineSource> => ({
            label: basename(u.fsPath),
            description: vscode.workspace.asRelativePath(u),
            value: { kind: 'file', path: u.fsPath },
          })),
          { label: '$(folder-opened) Browse…', description: 'a results file (JSONL or CSV) the CLI or Export wrote', value: 'browse' },
        ];
        const picked = await ask.pick({
          title: `Compare ${runLabel(run)} with a baseline`,
          placeHolder: others.length ? 'Another run of this session, or a results file' : 'A results file (this session has no other run)',
          matchOnDescription: true,
          items,
        });
        if (picked.value !== 'browse') return picked.value;
        const [uri] =
          (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Compare', filters: { Results: ['jsonl', 'csv'] } })) ??
          [];
        return uri ? ({ kind: 'file', path: uri.fsPath } as const) : undefined;
      });
    }
    if (!source) return undefined;
    const panel = await this.matrices.open(run.run_id);
    await panel.whenReady();
    const comparison = await panel.setBaseline(source);
    if (comparison)
      this.input().status(
        `Compared with the baseline: ${comparison.fixed} fixed, ${comparison.broken} broken, ${comparison.other} other changes`,
      );
    return comparison;
  }

  /**
   * Offers to resume, once each, the newest runs that a reload interrupted
   * or a cancel left with rows to send. Resolves with the runs offered.
   */
  async offerResumes(): Promise<Run[]> {
    const runs = (await this.core.runs.list()).filter(
      (r) => r.status === 'interrupted' || (r.status === 'cancelled' && r.rows_done < r.rows_total),
    );
    const key = (r: Run) => `${r.run_id}@${r.ended ?? ''}`;
    const offered = new Set(this.memento.get<string[]>(OFFERED_KEY, []));
    const fresh = runs.filter((r) => !offered.has(key(r))).slice(0, MAX_OFFERS);
    if (fresh.length === 0) return [];
    await this.memento.update(OFFERED_KEY, [...offered, ...fresh.map(key)].slice(-200));
    const names = new Map((await this.core.sessions.list()).map((s) => [s.session_id, s.name]));
    for (const run of fresh) {
      const how = run.status === 'interrupted' ? 'when the window closed' : 'when it was cancelled';
      notify(
        this.input(),
        'info',
        `Resume the run of "${run.dataset.name}" on "${names.get(run.session_id) ?? run.session_id}"? ` +
          `${run.rows_done.toLocaleString('en-US')} of ${plural(run.rows_total, 'row')} were done ${how}.`,
        offerCommand('Resume', 'resumeRun', run.run_id),
        offerCommand('Open Results', 'openRunResults', run.run_id),
      );
    }
    return fresh;
  }

  /**
   * Cancels the runs of this window before it closes, so that their
   * manifests say so at once (a window closing would leave them
   * "interrupted" anyway); the next activation offers to resume them.
   */
  async stopAll(): Promise<void> {
    const running = (await this.core.sessions.list()).flatMap((s) => this.core.runs.running(s.session_id) ?? []);
    await Promise.allSettled(running.map((r) => this.core.runs.cancel(r.run_id)));
  }
}
