// Dataset runs: a dataset's rows (or a seeded share of them) sent to every
// endpoint of a session through SessionService.prompt (the endpoints'
// limits, retries, per-chat order and streaming), optionally through attack
// modules or an attacker loop, with a judge scoring every answer. One run at
// a time per session.
//
// Memory stays bounded: the dataset is read as the run's window frees up,
// and no more than `window` prompts (or loops) are in flight at once.
//
// Each run has a manifest, sessions/<session_id>/runs/<run_id>.json,
// replaced atomically at its start, every two seconds while it runs and at
// its end; the rows it sent and what its attacker said are in files beside
// it (runFiles.ts). The records are the progress: every record names its
// run and row, so a resume (after a cancel, a crash, a reload) reads the
// chat files and sends only what has no answer yet.
import { randomBytes, randomUUID, hash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import * as z from 'zod';
import type { ChatModel } from '../chatModel';
import { ConnectorError, describeError, errorText } from '../connectors/errors';
import { listDatasets, sampleFilter, type DatasetListing, type DatasetRow } from '../datasets';
import { compareToBaseline, resultFigures, type BaselineComparison, type ResultFigures } from '../datasets/results';
import { Emitter, type Disposable } from '../emitter';
import type { EndpointRegistry } from '../endpoints';
import { ConflictError, CoreError, NotFoundError, isCoreError } from '../errors';
import { formatCreatedDatetime } from '../ids';
import { attackSucceeded } from '../judges';
import { noLog, type Log } from '../log';
import { THIS_PROCESS } from '../processOwner';
import { SerialWrites, settleManifest, type ManifestKind } from '../runManifests';
import { deriveSeed, SeededRandom } from '../random';
import { DatasetRowInputSchema, RunSchema, type DatasetRowInput, type Run, type RunResultRow, type SessionMetadata } from '../schemas';
import type { SessionService } from '../sessions';
import type { SessionStore } from '../store';
import type { LoopOutcome } from './loops';
import { CANCELLED, callFailed, emptyIndex, indexEarlier, indexRun, unitKey, type AnswerIndex } from './runAnswers';
import { RunFiles, type RowLine } from './runFiles';
import { planRun, type RunPlan, type RunPlanOptions, type RunRequest } from './runPlan';
import { RunProgress } from './runProgress';
import { readRunResults } from './runResults';
import { openSource, type OpenedSource } from './runSource';
import { RunWindow } from './runWindow';

export type RunEvent =
  /** The run started, made records, finished rows (at most every 200 ms). */
  | { type: 'progress'; run: Run }
  /** The run is over: done, cancelled or failed. */
  | { type: 'ended'; run: Run };

const OwnerSchema = z.object({ pid: z.number(), host: z.string(), process: z.string() });
const ManifestSchema = z.object({
  run: RunSchema,
  owner: OwnerSchema,
  /** The request as checked, without inline rows: what a resume plans again from. */
  request: z.record(z.string(), z.unknown()),
  inline_rows: z.array(DatasetRowInputSchema).nullable(),
});
type Manifest = z.infer<typeof ManifestSchema>;

type Earlier = Pick<AnswerIndex, 'units' | 'loops'>;

interface LiveRun {
  /** Changed in place as the run goes; callers get copies. */
  run: Run;
  plan: RunPlan;
  source: OpenedSource;
  inlineRows: readonly DatasetRowInput[] | null;
  files: RunFiles;
  controller: AbortController;
  /** No new row is sent (a cancel that lets the calls in flight finish, or a failure). */
  stopping: boolean;
  failure: unknown;
  progress: RunProgress;
  done: Promise<void>;
  writes: SerialWrites;
  lastWrite: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface RunServiceOptions {
  sessions: SessionService;
  store: SessionStore;
  endpoints: EndpointRegistry;
  datasetFolders?: readonly string[];
  now?: () => Date;
  log?: Log;
}

export interface CancelOptions {
  /** Send no new row but let the calls in flight finish and write their records (a first Ctrl+C); default: stop them too. */
  finishInFlight?: boolean;
}

export interface RunResultsPage {
  results: RunResultRow[];
  offset: number;
  limit: number;
  total: number;
}

const PROGRESS_MS = 200;
const MANIFEST_MS = 2000;
/** Ended runs whose results are kept in memory, for paging through them. */
const CACHED_RESULTS = 2;

const isCancel = (err: unknown) => err instanceof ConnectorError && err.kind === 'cancelled';

function newController(): AbortController {
  const controller = new AbortController();
  // Every call in the window listens to the run's signal.
  setMaxListeners(0, controller.signal);
  return controller;
}

/** `YYYYMMDD-HHMMSS-<6 hex>`: sorts by start, safe in a path, unique across sessions. */
const newRunId = (now: Date) => `${formatCreatedDatetime(now)}-${randomBytes(3).toString('hex')}`;

const rowLine = (row: DatasetRow): RowLine => ({
  row_id: row.id,
  input: row.input,
  ...(row.target !== undefined ? { target: row.target } : {}),
  ...(row.category !== undefined ? { category: row.category } : {}),
});

/** A number of the row id, to seed its loop. */
const rowSeed = (rowId: string) => hash('sha256', rowId, 'buffer').readUInt32BE(0);

export class RunService {
  private readonly sessions: SessionService;
  private readonly store: SessionStore;
  private readonly endpoints: EndpointRegistry;
  private folders: readonly string[];
  private readonly now: () => Date;
  private readonly log: Log;
  private readonly live = new Map<string, LiveRun>();
  /** The live run each prompt belongs to, to count its records. */
  private readonly byPrompt = new Map<string, LiveRun>();
  private readonly cachedResults = new Map<string, RunResultRow[]>();
  private readonly changed = new Emitter<RunEvent>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: Disposable[];

  constructor(options: RunServiceOptions) {
    this.sessions = options.sessions;
    this.store = options.store;
    this.endpoints = options.endpoints;
    this.folders = options.datasetFolders ?? [];
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? noLog;
    this.subscriptions = [
      this.sessions.onDidChange((event) => {
        if (event.type !== 'record') return;
        const live = this.byPrompt.get(event.promptId);
        if (!live) return;
        live.run.results++;
        if (callFailed(event.record)) live.run.errors++;
        this.scheduleProgress(live);
      }),
      this.sessions.onWillDelete(async (sessionId) => {
        const runs = [...this.live.values()].filter((r) => r.run.session_id === sessionId);
        for (const live of runs) this.stop(live, false);
        await Promise.allSettled(runs.map((r) => r.done));
      }),
    ];
  }

  /** The folders GET /v1/datasets lists and a run's `dataset` names a file of. */
  get datasetFolders(): readonly string[] {
    return this.folders;
  }

  setDatasetFolders(folders: readonly string[]): void {
    this.folders = [...folders];
  }

  /** The datasets of the folders (files that cannot be used are listed with their problem). */
  datasets(): Promise<DatasetListing> {
    return listDatasets(this.folders);
  }

  /**
   * Starts a run (the body of POST /v1/runs) and answers it as it starts.
   * Everything a client can get wrong fails here, before anything is sent
   * or stored: ValidationError naming the field (and a DatasetError for a
   * bad row, naming its line), NotFoundError for the session, dataset,
   * module, metric, loop or an endpoint, ConflictError when a run is going
   * on the session (here or in another process).
   */
  async start(body: unknown, options: RunPlanOptions = {}): Promise<Run> {
    const plan = await planRun(body, this.planContext(), options);
    const sessionId = plan.session.session_id;
    await this.checkNoneElsewhere(sessionId);
    const source = await openSource(plan.source);
    const runId = newRunId(this.now());
    const earlier = await this.earlierAnswers(plan, runId);
    const { dataset, kept } = await source.identity(this.keeper(plan, earlier));
    // Checked again after the awaits: of two starts at once, one gets the 409.
    this.checkNoneHere(sessionId);
    const { request } = plan;
    const run: Run = {
      run_id: runId,
      session_id: sessionId,
      status: 'running',
      dataset,
      endpoints: [...plan.session.endpoints],
      chat_ids: [...plan.session.chat_ids],
      attack_modules: plan.attack ? [...plan.attack.modules] : [],
      loop: plan.loop ? { name: plan.loop.loop.name, max_turns: plan.loop.maxTurns } : null,
      metric: plan.judge?.name ?? null,
      judge_endpoint: plan.judge?.judge_endpoint ?? null,
      attacker_endpoint: plan.loop || plan.attack?.needsModel ? plan.attackerEndpoint : null,
      sample: plan.sample,
      seed: plan.seed,
      only_unanswered: plan.onlyUnanswered,
      rows_total: kept,
      rows_done: 0,
      results: 0,
      errors: 0,
      rate: null,
      eta_seconds: null,
      started: this.now().toISOString(),
      ended: null,
      error: null,
      resumes: 0,
    };
    const inlineRows = plan.source.kind === 'inline' ? plan.source.rows : null;
    return this.launch(this.newLive(run, { ...plan, request }, source, inlineRows), earlier);
  }

  /**
   * Resumes a run that is not running (cancelled, interrupted, failed, or
   * even done): only what has no answer yet is sent, and answers without
   * their judge's score are scored. ConflictError when it is running, or
   * when its dataset file changed since it started (its SHA-256 differs).
   */
  async resume(runId: string): Promise<Run> {
    const live = this.live.get(runId);
    if (live) throw new ConflictError(`Run ${runId} is running already.`);
    const manifest = await this.find(runId);
    if (manifest.run.status === 'running')
      throw new ConflictError(`Run ${runId} is running in another process (another window or \`serve\`).`);
    const { path } = manifest.run.dataset;
    const { dataset: _name, ...request } = manifest.request as RunRequest;
    const body = { ...request, ...(manifest.inline_rows ? { rows: manifest.inline_rows } : { dataset: undefined }) };
    const plan = await planRun(body, this.planContext(), path === null ? {} : { datasetFile: path });
    if (plan.session.session_id !== manifest.run.session_id)
      throw new CoreError('invalid', "The run's request names another session than the run");
    await this.checkNoneElsewhere(plan.session.session_id);
    const source = await openSource(plan.source);
    const earlier = await this.earlierAnswers(plan, runId);
    const { dataset } = await source.identity();
    if (dataset.sha256 !== manifest.run.dataset.sha256) {
      throw new ConflictError(
        `The dataset ${path ?? dataset.name} changed since run ${runId} started (SHA-256 ${manifest.run.dataset.sha256.slice(0, 12)}… ` +
          `then, ${dataset.sha256.slice(0, 12)}… now): ` +
          'resuming would mix answers of two datasets. Restore the file, or start a new run.',
      );
    }
    this.checkNoneHere(plan.session.session_id);
    const run: Run = {
      ...manifest.run,
      status: 'running',
      ended: null,
      error: null,
      rate: null,
      eta_seconds: null,
      resumes: manifest.run.resumes + 1,
    };
    return this.launch(this.newLive(run, { ...plan, request: manifest.request as RunRequest }, source, manifest.inline_rows), earlier);
  }

  /** Runs, newest first: of one session, or of every session. */
  async list(filter: { sessionId?: string } = {}): Promise<Run[]> {
    const sessions = filter.sessionId === undefined ? await this.sessions.list() : [await this.sessions.get(filter.sessionId)];
    const runs = new Map<string, Run>();
    for (const session of sessions) {
      for (const [runId, data] of await this.store.readRunManifests(session.session_id)) {
        const manifest = await this.resolve(session.session_id, runId, data);
        if (manifest) runs.set(runId, manifest.run);
      }
    }
    for (const live of this.live.values()) {
      if (filter.sessionId === undefined || live.run.session_id === filter.sessionId) runs.set(live.run.run_id, this.copy(live));
    }
    return [...runs.values()].sort((a, b) => (a.started < b.started ? 1 : a.started > b.started ? -1 : 0));
  }

  /** NotFoundError when no session has a run of that id. */
  async get(runId: string): Promise<Run> {
    const live = this.live.get(runId);
    return live ? this.copy(live) : (await this.find(runId)).run;
  }

  /**
   * Cancels a running run: no new row is sent, and (unless finishInFlight)
   * its queued and running calls stop: a call already running leaves a
   * "cancelled" record, which a resume sends again; calls not begun leave
   * none. Resolves once it has ended. A run that has ended is left as it is;
   * ConflictError for one that another process is running.
   */
  async cancel(runId: string, options: CancelOptions = {}): Promise<Run> {
    const live = this.live.get(runId);
    if (live) {
      this.stop(live, options.finishInFlight ?? false);
      await live.done;
      return this.copy(live);
    }
    const run = await this.get(runId);
    if (run.status === 'running')
      throw new ConflictError('This run is running in another process (another window or `serve`); cancel it there.');
    return run;
  }

  /** The run going on the session in this process, if any. */
  running(sessionId: string): Run | undefined {
    // A run that has ended is not going, though its last manifest write may still be on its way.
    const live = [...this.live.values()].find((r) => r.run.session_id === sessionId && r.run.status === 'running');
    return live ? this.copy(live) : undefined;
  }

  /** Every result of the run (see runResults.ts), read from the session's files; kept in memory for ended runs. */
  async results(runId: string): Promise<RunResultRow[]> {
    const cached = this.cachedResults.get(runId);
    if (cached) return cached;
    const run = await this.get(runId);
    const session = await this.sessions.get(run.session_id);
    const results = await readRunResults(this.store, session, runId, { metric: run.metric, loop: run.loop !== null });
    if (run.status !== 'running') {
      this.cachedResults.set(runId, results);
      for (const key of this.cachedResults.keys()) if (this.cachedResults.size > CACHED_RESULTS) this.cachedResults.delete(key);
    }
    return results;
  }

  async resultsPage(runId: string, offset = 0, limit = 100): Promise<RunResultsPage> {
    const all = await this.results(runId);
    return { results: all.slice(offset, offset + limit), offset, limit, total: all.length };
  }

  /** resultFigures of the run's results: per endpoint, category and attack. */
  async summary(runId: string): Promise<ResultFigures> {
    return resultFigures(await this.results(runId));
  }

  /** The run against another (the baseline): which results changed outcome. */
  async compare(runId: string, baselineRunId: string): Promise<BaselineComparison> {
    const [current, baseline] = await Promise.all([this.results(runId), this.results(baselineRunId)]);
    return compareToBaseline(current, baseline);
  }

  /** Resolves when every run of this process has ended. */
  async drain(): Promise<void> {
    while (this.live.size > 0) await Promise.allSettled([...this.live.values()].map((r) => r.done));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }

  private planContext() {
    return { sessions: this.sessions, endpoints: this.endpoints, datasetFolders: this.folders };
  }

  private newLive(run: Run, plan: RunPlan, source: OpenedSource, inlineRows: readonly DatasetRowInput[] | null): LiveRun {
    return {
      run,
      plan,
      source,
      inlineRows,
      files: new RunFiles(this.store, run.session_id, run.run_id, this.log),
      controller: newController(),
      stopping: false,
      failure: undefined,
      progress: new RunProgress(),
      done: Promise.resolve(),
      writes: new SerialWrites(),
      lastWrite: performance.now(),
      timer: undefined,
    };
  }

  private async launch(live: LiveRun, earlier: Earlier): Promise<Run> {
    this.cachedResults.delete(live.run.run_id);
    this.live.set(live.run.run_id, live);
    try {
      await this.persist(live);
    } catch (err) {
      this.live.delete(live.run.run_id);
      throw err;
    }
    this.fire('progress', live);
    live.done = this.execute(live, earlier);
    return this.copy(live);
  }

  private checkNoneHere(sessionId: string): void {
    const running = this.running(sessionId);
    if (running) throw new ConflictError(`A run is already going on this session (${running.run_id}); wait for it or cancel it first.`);
  }

  private async checkNoneElsewhere(sessionId: string): Promise<void> {
    this.checkNoneHere(sessionId);
    for (const run of await this.list({ sessionId })) {
      if (run.status === 'running' && !this.live.has(run.run_id))
        throw new ConflictError(`A run is already going on this session in another process (${run.run_id}).`);
    }
  }

  /** What other runs answered, for only_unanswered. */
  private async earlierAnswers(plan: RunPlan, runId: string): Promise<Earlier> {
    if (!plan.onlyUnanswered) return { units: new Map(), loops: new Map() };
    let loopRuns: string[] | null = null;
    if (plan.loop) {
      const name = plan.loop.loop.name;
      loopRuns = (await this.list({ sessionId: plan.session.session_id }))
        .filter((r) => r.run_id !== runId && r.loop?.name === name)
        .map((r) => r.run_id);
    }
    return indexEarlier(this.store, plan.session, runId, plan.attackModule, loopRuns);
  }

  /** Whether a row is the run's: in the sample, and not answered by every endpoint in an earlier run (only_unanswered). */
  private keeper(plan: RunPlan, earlier: Earlier): (row: DatasetRow) => boolean {
    const sampled = sampleFilter({ share: plan.sample, seed: plan.seed });
    const all = allChats(plan.session);
    return (row) => {
      if (!sampled(row)) return false;
      // With attack modules, the first variant stands for the row: its variants are not made to count them.
      const mask = plan.loop ? earlier.loops.get(row.id) : earlier.units.get(unitKey(row.id, 0));
      return mask !== all;
    };
  }

  /**
   * A stored manifest as it stands: one left `running` by a process that no
   * longer runs becomes `interrupted` (written back), its counts read from
   * the records. Undefined when it is missing or not a manifest.
   */
  private async resolve(sessionId: string, runId: string, data: unknown): Promise<Manifest | undefined> {
    const live = this.live.get(runId);
    if (live && live.run.session_id === sessionId) return this.manifestOf(live);
    return settleManifest(this.manifests, sessionId, runId, data, this.log);
  }

  private readonly manifests: ManifestKind<Manifest> = {
    what: 'run',
    schema: ManifestSchema,
    facts: (m) => ({ id: m.run.run_id, sessionId: m.run.session_id, status: m.run.status }),
    interrupted: async (manifest) => {
      let counted: AnswerIndex = emptyIndex();
      try {
        counted = await indexRun(this.store, await this.sessions.get(manifest.run.session_id), manifest.run.run_id, null);
      } catch (err) {
        if (!isCoreError(err)) throw err;
      }
      return {
        ...manifest,
        run: {
          ...manifest.run,
          status: 'interrupted',
          results: counted.results,
          errors: counted.errors,
          rate: null,
          eta_seconds: null,
          ended: this.now().toISOString(),
          error:
            `The process that ran it (pid ${manifest.owner.pid}) ended before the run did; ` +
            `${counted.results} records were made. Resume it to send the rest.`,
        },
      };
    },
    write: (sessionId, runId, m) => this.store.writeRunManifest(sessionId, runId, m),
  };

  /** The run's manifest, wherever it is; NotFoundError when no session has it. */
  private async find(runId: string): Promise<Manifest> {
    const live = this.live.get(runId);
    if (live) return this.manifestOf(live);
    for (const session of await this.sessions.list()) {
      const manifest = await this.resolve(session.session_id, runId, await this.store.readRunManifest(session.session_id, runId));
      if (manifest) return manifest;
    }
    throw new NotFoundError('Run not found');
  }

  private stop(live: LiveRun, finishInFlight: boolean): void {
    live.stopping = true;
    if (!finishInFlight) live.controller.abort();
  }

  /** Ends the run for a reason of its own (storage refused, the attacker failed): no new row is sent. */
  private failOnce(live: LiveRun, err: unknown): void {
    if (live.failure !== undefined) return;
    live.failure = err;
    live.stopping = true;
  }

  private async execute(live: LiveRun, earlier: Earlier): Promise<void> {
    const { run, plan, controller } = live;
    const { signal } = controller;
    const window = new RunWindow(plan.window);
    try {
      const index = await indexRun(this.store, plan.session, run.run_id, plan.judge?.name ?? null);
      run.results = index.results;
      run.errors = index.errors;
      run.rows_done = 0;
      const needsAttacker = plan.attackerEndpoint !== null && (plan.loop || plan.attack?.needsModel);
      const attacker = needsAttacker ? await this.sessions.modelFor(plan.attackerEndpoint as string) : undefined;
      if (plan.judge) {
        for (const [chatId, records] of index.unscored) await this.sessions.scoreWith(run.session_id, chatId, records, plan.judge);
      }
      const keep = this.keeper(plan, earlier);
      for await (const row of live.source.rows()) {
        if (live.stopping || signal.aborted) break;
        if (!keep(row)) continue;
        if (!index.rowLines.has(row.id)) live.files.add('rows', rowLine(row));
        const units = plan.loop ? this.loopUnits(live, row, index, earlier) : await this.promptUnits(live, row, index, earlier, attacker);
        let pending = units.length;
        // A row is done when every unit answered: one a cancel cut off, or never began, leaves it to the resume.
        let answered = true;
        if (pending === 0) this.rowDone(live, false);
        for (const unit of units) {
          await window.acquire();
          if (live.stopping || signal.aborted) {
            window.release();
            break;
          }
          void unit(attacker)
            .then((complete) => {
              if (!complete) answered = false;
            })
            .finally(() => {
              window.release();
              if (--pending === 0 && answered) this.rowDone(live, true);
            });
        }
      }
    } catch (err) {
      if (!isCancel(err) && !signal.aborted) this.failOnce(live, err);
    }
    await window.idle();
    try {
      await live.files.close();
    } catch (err) {
      if (!isCoreError(err, 'not-found')) this.failOnce(live, err);
    }
    if (live.failure !== undefined) {
      run.status = 'failed';
      run.error = errorText(live.failure);
    } else run.status = live.stopping || signal.aborted ? 'cancelled' : 'done';
    run.ended = this.now().toISOString();
    run.rate = live.progress.rate();
    run.eta_seconds = null;
    if (live.timer) clearTimeout(live.timer);
    try {
      await this.persist(live);
    } catch (err) {
      if (!isCoreError(err, 'not-found'))
        this.log('error', `Could not write the end of run ${run.run_id} of session ${run.session_id}: ${errorText(err)}`);
    }
    this.live.delete(run.run_id);
    this.fire('ended', live);
  }

  private rowDone(live: LiveRun, sentNow: boolean): void {
    live.run.rows_done++;
    if (sentNow) live.progress.tick();
    this.scheduleProgress(live);
  }

  /** The prompts a row still needs: the row (or each attack variant) to the chats that have not answered it. */
  private async promptUnits(
    live: LiveRun,
    row: DatasetRow,
    index: AnswerIndex,
    earlier: Earlier,
    attacker: ChatModel | undefined,
  ): Promise<((attacker?: ChatModel) => Promise<boolean>)[]> {
    const { plan } = live;
    const variants = plan.attack ? await this.variantsOf(live, row, index, attacker) : [row.input];
    const units: (() => Promise<boolean>)[] = [];
    for (const [variant, text] of variants.entries()) {
      const key = unitKey(row.id, variant);
      const answered = (index.units.get(key) ?? 0) | (earlier.units.get(key) ?? 0);
      const chats = plan.session.chat_ids.filter((_, i) => (answered & (1 << i)) === 0);
      if (chats.length > 0) units.push(() => this.sendUnit(live, row, plan.attack ? variant : undefined, text, chats));
    }
    return units;
  }

  /** A row's attack variants: made now (model-free modules make the same ones again), or those an attacker model wrote before. */
  private async variantsOf(live: LiveRun, row: DatasetRow, index: AnswerIndex, attacker: ChatModel | undefined): Promise<string[]> {
    const attack = live.plan.attack!;
    const kept = index.variants.get(row.id);
    if (kept) return kept;
    const made = await attack.planFor(row.input).run({
      ...(attacker ? { attacker } : {}),
      signal: live.controller.signal,
      onAttackerCall: (call) => live.files.add('turns', { type: 'attacker_call', row_id: row.id, chat_id: null, turn: 0, ...call }),
    });
    const variants = made.variants.map((v) => v.prompt);
    // What a model wrote is not made again on resume: its variants are kept before any is sent.
    if (attack.needsModel) await live.files.addNow('turns', { type: 'variants', row_id: row.id, variants, truncated: made.truncated });
    return variants;
  }

  private async sendUnit(
    live: LiveRun,
    row: DatasetRow,
    variant: number | undefined,
    text: string,
    chats: readonly string[],
  ): Promise<boolean> {
    const { run, plan, controller } = live;
    const promptId = randomUUID();
    this.byPrompt.set(promptId, live);
    try {
      const made = await this.sessions.prompt(run.session_id, text, {
        chatIds: chats,
        promptId,
        signal: controller.signal,
        run: { runId: run.run_id, rowId: row.id, ...(variant !== undefined ? { variant } : {}) },
        ...(plan.attack ? { attack: { module: plan.attack.chain, originalPrompt: row.input } } : {}),
      });
      if (plan.judge) {
        for (const chatId of chats) {
          const record = made[chatId]?.[0];
          if (record && record.error === null) await this.sessions.scoreWith(run.session_id, chatId, [record], plan.judge);
        }
      }
      // Whether every chat has its record, and none is a call the cancel cut off.
      return chats.every((chatId) => {
        const record = made[chatId]?.[0];
        return record !== undefined && record.error !== CANCELLED;
      });
    } catch (err) {
      if (!isCancel(err) && !controller.signal.aborted) this.failOnce(live, err);
      return false;
    } finally {
      this.byPrompt.delete(promptId);
    }
  }

  /** The loops a row still needs: one per chat whose loop has not ended. */
  private loopUnits(live: LiveRun, row: DatasetRow, index: AnswerIndex, earlier: Earlier): ((attacker?: ChatModel) => Promise<boolean>)[] {
    const ended = (index.loops.get(row.id) ?? 0) | (earlier.loops.get(row.id) ?? 0);
    // A loop that a cancel stopped has not ended: its row is not done.
    const run = async (chatId: string, i: number, attacker: ChatModel) => {
      await this.runLoop(live, row, chatId, i, attacker);
      return !live.stopping && !live.controller.signal.aborted;
    };
    return live.plan.session.chat_ids.flatMap((chatId, i) =>
      (ended & (1 << i)) === 0 ? [(attacker?: ChatModel) => run(chatId, i, attacker as ChatModel)] : [],
    );
  }

  /** One row's loop in one chat: its turns are records, the attacker's calls and how it ended go to the run's files. */
  private async runLoop(live: LiveRun, row: DatasetRow, chatId: string, chatIndex: number, attacker: ChatModel): Promise<void> {
    const { run, plan, controller, files } = live;
    const { loop, maxTurns } = plan.loop!;
    const signal = controller.signal;
    let sentTurns = 0;
    const loggedAttacker: ChatModel = {
      complete: async (messages, callSignal) => {
        const started = performance.now();
        const log = (answer: string | null, error: string | null) =>
          files.add('turns', {
            type: 'attacker_call',
            row_id: row.id,
            chat_id: chatId,
            turn: sentTurns + 1,
            attack_module: loop.name,
            messages,
            answer,
            error,
            duration: Number(((performance.now() - started) / 1000).toFixed(3)),
          });
        try {
          const answer = await attacker.complete(messages, callSignal);
          log(answer, null);
          return answer;
        } catch (err) {
          log(null, describeError(err));
          throw err;
        }
      },
    };
    let outcome: LoopOutcome;
    try {
      outcome = await loop.run({
        goal: row.input,
        target: row.target,
        maxTurns,
        attacker: loggedAttacker,
        rng: new SeededRandom(deriveSeed(plan.seed, chatIndex, rowSeed(row.id))),
        signal,
        send: async (text, turn, options = {}) => {
          sentTurns = turn;
          const promptId = randomUUID();
          this.byPrompt.set(promptId, live);
          try {
            const made = await this.sessions.prompt(run.session_id, text, {
              chatIds: [chatId],
              promptId,
              signal,
              run: { runId: run.run_id, rowId: row.id, turn },
              attack: { module: loop.name, originalPrompt: row.input },
              ...(options.conversation ? { conversation: options.conversation } : {}),
            });
            const record = made[chatId]![0]!;
            const judged = plan.judge && record.error === null;
            const scores = judged ? await this.sessions.scoreWith(run.session_id, chatId, [record], plan.judge!) : undefined;
            const metric = scores?.get(record.chat_record_id) ?? null;
            return { record, metric, success: attackSucceeded(metric) };
          } finally {
            this.byPrompt.delete(promptId);
          }
        },
      });
    } catch (err) {
      // A cancelled loop did not end: a resume runs it again.
      if (isCancel(err) || signal.aborted) return;
      if (!(err instanceof ConnectorError)) this.failOnce(live, err);
      outcome = { stopReason: 'error', turns: sentTurns, result: undefined, error: errorText(err) };
    }
    try {
      await files.addNow('turns', {
        type: 'loop_end',
        row_id: row.id,
        chat_id: chatId,
        stop_reason: outcome.stopReason,
        turns: outcome.turns,
        chat_record_id: outcome.result?.record.chat_record_id ?? null,
        error: outcome.error,
      });
    } catch (err) {
      if (!isCoreError(err, 'not-found')) this.failOnce(live, err);
    }
  }

  private copy(live: LiveRun): Run {
    return { ...live.run, dataset: { ...live.run.dataset } };
  }

  private manifestOf(live: LiveRun): Manifest {
    return {
      run: this.copy(live),
      owner: THIS_PROCESS,
      request: live.plan.request as Record<string, unknown>,
      inline_rows: live.inlineRows ? [...live.inlineRows] : null,
    };
  }

  /** Writes the manifest as it is when the write begins; writes of one run never overtake each other. */
  private persist(live: LiveRun): Promise<void> {
    live.lastWrite = performance.now();
    return live.writes.run(() => this.store.writeRunManifest(live.run.session_id, live.run.run_id, this.manifestOf(live)));
  }

  /** Progress at most every 200 ms, the manifest at most every 2 s: a fast run makes thousands of records a second. */
  private scheduleProgress(live: LiveRun): void {
    if (live.timer || live.run.status !== 'running') return;
    live.timer = setTimeout(() => {
      live.timer = undefined;
      if (live.run.status !== 'running' || !this.live.has(live.run.run_id)) return;
      live.run.rate = live.progress.rate();
      live.run.eta_seconds = live.progress.eta(live.run.rows_total - live.run.rows_done);
      if (performance.now() - live.lastWrite >= MANIFEST_MS) {
        this.persist(live).catch((err: unknown) => {
          if (!isCoreError(err, 'not-found')) this.log('warn', `Could not write run ${live.run.run_id}: ${errorText(err)}`);
        });
      }
      this.fire('progress', live);
    }, PROGRESS_MS);
  }

  private fire(type: RunEvent['type'], live: LiveRun): void {
    this.changed.fire({ type, run: this.copy(live) });
  }
}

function allChats(session: SessionMetadata): number {
  return session.chat_ids.reduce((mask, _, i) => mask | (1 << i), 0);
}
