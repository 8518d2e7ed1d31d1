// Attack runs on a session: an attack's variants are made (by the modules,
// and an attacker model for the modules that need one) and every variant
// goes to every chat of the session through SessionService.prompt, all
// submitted at once: the endpoints' limits bound how many calls run, and
// each chat keeps its order. One run at a time per session.
//
// Each run has a manifest, sessions/<session_id>/attacks/<attack_id>.json,
// replaced atomically when it starts, when its variants are made, after
// every attacker call and when it ends. Progress is not written there: the
// records are the progress, so a run whose process died (kill -9, a crash)
// is listed as `interrupted` with `done` counted from the chat files.
import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import * as z from 'zod';
import { planAttack, type AttackPlan, type AttackRun, type AttackerCall } from './attacks';
import { ConnectorError, errorText } from './connectors/errors';
import { Emitter, type Disposable } from './emitter';
import { ConflictError, NotFoundError, invalidField, isCoreError } from './errors';
import { formatCreatedDatetime } from './ids';
import { noLog, type Log } from './log';
import { THIS_PROCESS } from './processOwner';
import { SerialWrites, settleManifest, type ManifestKind } from './runManifests';
import { AttackerCallSchema, AttackSchema, AttackVariantSchema, type Attack, type AttackDetail } from './schemas';
import type { SessionService } from './sessions';
import type { SessionStore } from './store';

export type AttackEvent =
  /** The run started, its variants were made, the attacker answered, or a record was made. */
  | { type: 'progress'; attack: Attack }
  /** The run is over: done, cancelled or failed. */
  | { type: 'ended'; attack: Attack };

const ManifestSchema = z.object({
  attack: AttackSchema,
  owner: z.object({ pid: z.number(), host: z.string(), process: z.string() }),
  chat_ids: z.array(z.string()),
  /** Each module's options with defaults filled in, in chain order. */
  options: z.array(z.record(z.string(), z.unknown())),
  variants: z.array(AttackVariantSchema),
  attacker_calls: z.array(AttackerCallSchema),
});
type Manifest = z.infer<typeof ManifestSchema>;

interface LiveRun {
  /** Changed in place as the run goes; callers get copies. */
  attack: Attack;
  plan: AttackPlan;
  chatIds: string[];
  variants: Manifest['variants'];
  calls: AttackerCall[];
  controller: AbortController;
  /** Settles when the run has ended and its manifest is written. */
  done: Promise<void>;
  /** Manifest writes, one after another. */
  writes: SerialWrites;
}

export interface AttackServiceOptions {
  sessions: SessionService;
  store: SessionStore;
  now?: () => Date;
  log?: Log;
}

const isCancel = (err: unknown) => err instanceof ConnectorError && err.kind === 'cancelled';

/** The run's controller: every call of every variant listens to its signal, far more than Node's warning threshold. */
function newController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** `YYYYMMDD-HHMMSS-<6 hex>`: sorts by start, safe in a path. */
function newAttackId(now: Date): string {
  return `${formatCreatedDatetime(now)}-${randomBytes(3).toString('hex')}`;
}

export class AttackService {
  private readonly sessions: SessionService;
  private readonly store: SessionStore;
  private readonly now: () => Date;
  private readonly log: Log;
  /** Runs of this process that have not ended, by attack id. */
  private readonly live = new Map<string, LiveRun>();
  /** The live run each prompt id belongs to, to count its records. */
  private readonly byPrompt = new Map<string, LiveRun>();
  private readonly changed = new Emitter<AttackEvent>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: Disposable[];

  constructor(options: AttackServiceOptions) {
    this.sessions = options.sessions;
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? noLog;
    this.subscriptions = [
      this.sessions.onDidChange((event) => {
        if (event.type !== 'record') return;
        const run = this.byPrompt.get(event.promptId);
        if (!run) return;
        run.attack.done++;
        this.fire('progress', run);
      }),
      // A deleted session's runs stop, and end, before its files go.
      this.sessions.onWillDelete(async (sessionId) => {
        const runs = [...this.live.values()].filter((r) => r.attack.session_id === sessionId);
        for (const run of runs) run.controller.abort();
        await Promise.allSettled(runs.map((r) => r.done));
      }),
    ];
  }

  /**
   * Starts an attack on the session (the body of POST .../attacks) and
   * answers it as it starts. Everything a client can get wrong fails here,
   * before anything is sent: NotFoundError for the session, a module or the
   * attacker endpoint; ValidationError naming the field; ConflictError when
   * a run is going on the session (in this process or another).
   */
  async start(sessionId: string, body: unknown): Promise<Attack> {
    const session = await this.sessions.get(sessionId);
    const plan = planAttack(body);
    if (plan.attacker_endpoint !== null) this.sessions.checkModelEndpoint(plan.attacker_endpoint, ['body', 'attacker_endpoint']);
    await this.checkNoneElsewhere(sessionId);
    // Modules without a model make their variants at once: a run that cannot make them is refused, not started.
    const made = plan.needs_model ? undefined : await makeVariantsNow(plan);
    // Checked again after the awaits: of two starts at once, one gets the 409.
    this.checkNoneHere(sessionId);

    const now = this.now();
    const run: LiveRun = {
      attack: {
        attack_id: newAttackId(now),
        session_id: sessionId,
        attack_modules: [...plan.modules],
        status: 'running',
        done: 0,
        total: 0,
        started: now.toISOString(),
        ended: null,
        error: null,
        original_prompt: plan.original_prompt,
        attacker_endpoint: plan.attacker_endpoint,
        attacker_calls: 0,
        variants: 0,
        truncated: false,
      },
      plan,
      chatIds: [...session.chat_ids],
      variants: [],
      calls: [],
      controller: newController(),
      done: Promise.resolve(),
      writes: new SerialWrites(),
    };
    if (made) this.setVariants(run, made);
    this.live.set(run.attack.attack_id, run);
    try {
      await this.persist(run);
    } catch (err) {
      this.unregister(run);
      throw err;
    }
    this.fire('progress', run);
    run.done = this.execute(run, made);
    return { ...run.attack };
  }

  /** The session's attacks, newest first. */
  async list(sessionId: string): Promise<Attack[]> {
    await this.sessions.get(sessionId);
    const stored = await this.store.readAttackManifests(sessionId);
    const attacks = new Map<string, Attack>();
    for (const [attackId, data] of stored) {
      const manifest = await this.resolve(sessionId, attackId, data);
      if (manifest) attacks.set(attackId, manifest.attack);
    }
    for (const run of this.live.values()) if (run.attack.session_id === sessionId) attacks.set(run.attack.attack_id, { ...run.attack });
    return [...attacks.values()].sort((a, b) => (a.started < b.started ? 1 : a.started > b.started ? -1 : 0));
  }

  async get(sessionId: string, attackId: string): Promise<Attack> {
    return (await this.detail(sessionId, attackId)).attack;
  }

  /** The attack with its variants (and the prompt id of each one's records) and every call to the attacker model. */
  async detail(sessionId: string, attackId: string): Promise<AttackDetail> {
    await this.sessions.get(sessionId);
    const run = this.live.get(attackId);
    if (run && run.attack.session_id === sessionId)
      return { attack: { ...run.attack }, variants: [...run.variants], attacker_calls: [...run.calls] };
    const manifest = await this.resolve(sessionId, attackId, await this.store.readAttackManifest(sessionId, attackId));
    if (!manifest) throw new NotFoundError('Attack not found');
    return { attack: manifest.attack, variants: manifest.variants, attacker_calls: manifest.attacker_calls };
  }

  /**
   * Cancels a running attack: its queued and running calls stop (a call
   * already running leaves a "cancelled" record; variants not yet sent leave
   * none). Resolves once it has ended. An attack that has ended already is
   * left as it is; ConflictError for one another process is running.
   */
  async cancel(sessionId: string, attackId: string): Promise<Attack> {
    const run = this.live.get(attackId);
    if (run && run.attack.session_id === sessionId) {
      run.controller.abort();
      await run.done;
      return { ...run.attack };
    }
    const attack = await this.get(sessionId, attackId);
    if (attack.status === 'running') {
      throw new ConflictError('This attack is running in another process (another window or `serve`); cancel it there.');
    }
    return attack;
  }

  /** The attack running on the session in this process, if any. */
  running(sessionId: string): Attack | undefined {
    // An attack that has ended is not going, though its last manifest write may still be on its way.
    const run = [...this.live.values()].find((r) => r.attack.session_id === sessionId && r.attack.status === 'running');
    return run ? { ...run.attack } : undefined;
  }

  /** Resolves when every run of this process has ended. */
  async drain(): Promise<void> {
    while (this.live.size > 0) await Promise.allSettled([...this.live.values()].map((r) => r.done));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }

  private checkNoneHere(sessionId: string): void {
    const running = this.running(sessionId);
    if (running)
      throw new ConflictError(`An attack is already running on this session (${running.attack_id}); wait for it or cancel it first.`);
  }

  /** ConflictError when a run is going on the session here, or in another process that is still alive. */
  private async checkNoneElsewhere(sessionId: string): Promise<void> {
    this.checkNoneHere(sessionId);
    for (const attack of await this.list(sessionId)) {
      if (attack.status === 'running' && !this.live.has(attack.attack_id)) {
        throw new ConflictError(`An attack is already running on this session in another process (${attack.attack_id}).`);
      }
    }
  }

  /**
   * A stored manifest as it stands: one left `running` by a process that no
   * longer runs becomes `interrupted` (written back), with `done` counted
   * from the records. Undefined when it is missing or not a manifest.
   */
  private async resolve(sessionId: string, attackId: string, data: unknown): Promise<Manifest | undefined> {
    const live = this.live.get(attackId);
    if (live && live.attack.session_id === sessionId) return this.manifestOf(live);
    return settleManifest(this.manifests, sessionId, attackId, data, this.log);
  }

  private readonly manifests: ManifestKind<Manifest> = {
    what: 'attack',
    schema: ManifestSchema,
    facts: (m) => ({ id: m.attack.attack_id, sessionId: m.attack.session_id, status: m.attack.status }),
    interrupted: async (manifest) => {
      const done = await this.countRecords(manifest.attack.session_id, manifest);
      return {
        ...manifest,
        attack: {
          ...manifest.attack,
          status: 'interrupted',
          done,
          ended: this.now().toISOString(),
          error: `The process that ran it (pid ${manifest.owner.pid}) ended before the attack did; ${done} of ${manifest.attack.total} ` +
            `records were made.`,
        },
      };
    },
    write: (sessionId, attackId, m) => this.store.writeAttackManifest(sessionId, attackId, m),
  };

  private async countRecords(sessionId: string, manifest: Manifest): Promise<number> {
    const ids = new Set(manifest.variants.map((v) => v.prompt_id));
    if (ids.size === 0) return 0;
    let count = 0;
    for (const chatId of manifest.chat_ids) {
      for (const record of await this.store.readChat(sessionId, chatId))
        if (record.prompt_id !== undefined && ids.has(record.prompt_id)) count++;
    }
    return count;
  }

  private setVariants(run: LiveRun, made: AttackRun): void {
    run.variants = made.variants.map((v) => ({ index: v.index, prompt: v.prompt, prompt_id: randomUUID() }));
    run.attack.variants = run.variants.length;
    run.attack.total = run.variants.length * run.chatIds.length;
    run.attack.truncated = made.truncated;
    run.calls = [...made.attacker_calls];
    run.attack.attacker_calls = run.calls.length;
  }

  private async execute(run: LiveRun, made: AttackRun | undefined): Promise<void> {
    const { attack, plan, controller } = run;
    const { signal } = controller;
    try {
      if (!made) {
        const attacker = await this.sessions.modelFor(plan.attacker_endpoint as string);
        const generated = await plan.run({
          attacker,
          signal,
          onAttackerCall: (call) => {
            run.calls.push(call);
            attack.attacker_calls = run.calls.length;
            this.persistQuietly(run);
            this.fire('progress', run);
          },
        });
        this.setVariants(run, generated);
        await this.persist(run);
        this.fire('progress', run);
      }
      for (const variant of run.variants) this.byPrompt.set(variant.prompt_id, run);
      const fields = { module: plan.chain, originalPrompt: plan.original_prompt };
      const outcomes = await Promise.allSettled(
        run.variants.map((v) => this.sessions.prompt(attack.session_id, v.prompt, { promptId: v.prompt_id, signal, attack: fields })),
      );
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected' && !isCancel(o.reason));
      if (signal.aborted) attack.status = 'cancelled';
      else if (failure) this.fail(run, failure.reason);
      else attack.status = 'done';
    } catch (err) {
      if (signal.aborted) attack.status = 'cancelled';
      else this.fail(run, err);
    }
    attack.ended = this.now().toISOString();
    try {
      await this.persist(run);
    } catch (err) {
      // The session was deleted: its manifests went with it.
      if (!isCoreError(err, 'not-found'))
        this.log('error', `Could not write the end of attack ${attack.attack_id} of session ${attack.session_id}: ${errorText(err)}`);
    }
    this.unregister(run);
    this.fire('ended', run);
  }

  private fail(run: LiveRun, err: unknown): void {
    run.attack.status = 'failed';
    run.attack.error = errorText(err);
  }

  private unregister(run: LiveRun): void {
    this.live.delete(run.attack.attack_id);
    for (const variant of run.variants) if (this.byPrompt.get(variant.prompt_id) === run) this.byPrompt.delete(variant.prompt_id);
  }

  private manifestOf(run: LiveRun): Manifest {
    return {
      attack: { ...run.attack },
      owner: THIS_PROCESS,
      chat_ids: run.chatIds,
      options: [...run.plan.options],
      variants: run.variants,
      attacker_calls: run.calls,
    };
  }

  /** Writes the run's manifest as it is when the write begins; writes of one run never overtake each other. */
  private persist(run: LiveRun): Promise<void> {
    return run.writes.run(() => this.store.writeAttackManifest(run.attack.session_id, run.attack.attack_id, this.manifestOf(run)));
  }

  /** A write nobody waits for (after an attacker call): a failure is logged, and the next write tries again. */
  private persistQuietly(run: LiveRun): void {
    this.persist(run).catch((err: unknown) => {
      if (!isCoreError(err, 'not-found'))
        this.log('warn', `Could not write attack ${run.attack.attack_id} of session ${run.attack.session_id}: ${errorText(err)}`);
    });
  }

  private fire(type: AttackEvent['type'], run: LiveRun): void {
    this.changed.fire({ type, attack: { ...run.attack } });
  }
}

/** The variants of a plan that needs no model; a variant too long to send is the request's fault (422). */
async function makeVariantsNow(plan: AttackPlan): Promise<AttackRun> {
  try {
    return await plan.run();
  } catch (err) {
    if (isCoreError(err, 'too-large')) throw invalidField(['body', 'prompt'], err.message);
    throw err;
  }
}
