// Notices changes another process (a second window, `serve`) makes to the
// storage folder, so this process's view of sessions stays current.
//
// A watch follows one folder, not a path: when sessions/ is deleted, moved
// away or replaced, its watch goes quiet (or fails) for good. So the folder
// is also looked at now and then (and at once when the watch reports
// something about the folder itself); when it is back, or another folder
// took its place, it is watched again and everything in it counts as
// changed.
import { watch, promises as fs, type FSWatcher } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { PRIVATE_FOLDER } from './store';
import { Emitter } from './emitter';
import { noLog, type Log } from './log';

export interface StoreChange {
  /** Sessions were created, deleted or changed: the list must be read again. */
  metadata: boolean;
  /** Sessions whose records changed. */
  sessionIds: Set<string>;
}

export interface StoreWatcherOptions {
  /** Changes closer together than this make one event. */
  debounceMs?: number;
  /** How often to look whether the folder was deleted, replaced or is back. */
  checkEveryMs?: number;
  log?: Log;
}

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? String(err);

export class StoreWatcher {
  private readonly debounceMs: number;
  private readonly checkEveryMs: number;
  private readonly log: Log;
  private watcher: FSWatcher | undefined;
  /** The inode of the folder being watched: another one at the same path needs a new watch. */
  private watchedIno: number | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private disposed = false;
  /** The folder was watched and then lost (or could not be made): only then is it "back". */
  private gone = false;
  /** The last failure to watch, said once rather than at every retry. */
  private watchProblem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: StoreChange = { metadata: false, sessionIds: new Set() };
  private readonly changed = new Emitter<StoreChange>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly sessionsDir: string,
    options: StoreWatcherOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 150;
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.log = options.log ?? noLog;
  }

  start(): void {
    try {
      mkdirSync(this.sessionsDir, { recursive: true, mode: PRIVATE_FOLDER });
    } catch (err) {
      this.log('warn', `Cannot make the storage folder ${this.sessionsDir} (${errorCode(err)}); following it once it exists`);
      this.gone = true;
    }
    void this.check();
    this.checkTimer = setInterval(() => void this.check(), this.checkEveryMs);
    // Following the folder is no reason to keep a process alive.
    this.checkTimer.unref();
  }

  /** Watches the folder again if it is not the one being watched (deleted, replaced, back). */
  private async check(): Promise<void> {
    if (this.checking || this.disposed) return;
    this.checking = true;
    try {
      const ino = await fs.stat(this.sessionsDir).then(
        (s) => (s.isDirectory() ? s.ino : undefined),
        () => undefined,
      );
      if (this.disposed || (ino !== undefined && ino === this.watchedIno)) return;
      const wasWatching = this.watcher !== undefined;
      this.unwatch();
      if (ino !== undefined) this.watch(ino);
      if (wasWatching && !this.watcher) {
        this.log('warn', `The storage folder ${this.sessionsDir} is gone; its sessions are listed again when it is back`);
        this.gone = true;
      }
      if (this.gone && this.watcher) {
        this.log('info', `The storage folder ${this.sessionsDir} is back`);
        this.gone = false;
      }
      if (wasWatching || this.watcher) await this.everythingChanged();
    } finally {
      this.checking = false;
    }
  }

  private watch(ino: number): void {
    try {
      this.watcher = watch(this.sessionsDir, { recursive: true }, (_event, filename) => this.note(filename ? String(filename) : ''));
    } catch (err) {
      const problem = `Cannot follow the storage folder ${this.sessionsDir} (${errorCode(err)}); trying again`;
      if (problem !== this.watchProblem) this.log('warn', problem);
      this.watchProblem = problem;
      return;
    }
    this.watchProblem = undefined;
    this.watchedIno = ino;
    this.watcher.unref();
    this.watcher.on('error', (err) => {
      this.log('warn', `Following the storage folder ${this.sessionsDir} failed (${errorCode(err)}); trying again`);
      this.unwatch();
      void this.check();
    });
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedIno = undefined;
  }

  /** After a gap in watching, anything may have changed: the list and every session's records. */
  private async everythingChanged(): Promise<void> {
    const names = await fs.readdir(this.sessionsDir).catch(() => [] as string[]);
    this.pending.metadata = true;
    for (const name of names) if (!name.startsWith('.')) this.pending.sessionIds.add(name);
    this.schedule();
  }

  private note(filename: string): void {
    const [sessionId, file] = filename.split(/[\\/]/);
    if (!sessionId) {
      // The folder itself was renamed or deleted: its watch is dead from now on.
      void this.check();
      this.pending.metadata = true;
    } else if (sessionId.startsWith('.')) {
      this.pending.metadata = true;
    } else if (file === undefined || file.startsWith('session.json')) {
      this.pending.metadata = true;
    } else if (file.endsWith('.jsonl')) {
      this.pending.sessionIds.add(sessionId);
    } else {
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const change = this.pending;
      this.pending = { metadata: false, sessionIds: new Set() };
      this.changed.fire(change);
    }, this.debounceMs);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    clearInterval(this.checkTimer);
    this.unwatch();
    this.changed.dispose();
  }
}
