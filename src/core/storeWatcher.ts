// Notices changes another process (a second window, `serve`) makes to the
// storage folder, so this process's view of sessions stays current.
//
// One watch, on sessions/ itself, whatever the number of sessions: other
// writers append what they change to the journal in it (storeJournal.ts),
// which this tails; a session folder that appears or goes without a word
// in the journal (an older version writing, a person copying one in) is
// read again by its name. Writes inside a session's folder (records, lock
// files) wake nothing: the journal says which chats changed.
//
// A watch follows one folder, not a path: when sessions/ is deleted, moved
// away or replaced, its watch goes quiet (or fails) for good. So the folder
// is also looked at now and then (and at once when the watch reports
// something about the folder itself); when it is back, or another folder
// took its place, it is watched again and everything in it counts as
// changed.
import { watch, promises as fs, type FSWatcher } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PRIVATE_FOLDER } from './store';
import { SESSION_ID_PATTERN } from './ids';
import { JOURNAL_FILE, JournalReader } from './storeJournal';
import type { StoredSession } from './schemas';
import { Emitter } from './emitter';
import { noLog, type Log } from './log';

export interface StoreChange {
  /** Anything may have changed (the folder was replaced, the journal rewritten): list every session again. */
  all: boolean;
  /** Sessions other writers created or changed (their metadata), or deleted (null), by id. */
  sessions: Map<string, StoredSession | null>;
  /** Session folders that appeared or went with no word in the journal: read them again. */
  folders: Set<string>;
  /** Sessions whose records (or scores) changed. */
  sessionIds: Set<string>;
}

export interface StoreWatcherOptions {
  /** Changes are reported at most this long after the first of them (several make one event). */
  debounceMs?: number;
  /** How often to look whether the folder was deleted, replaced or is back. */
  checkEveryMs?: number;
  /** This process's journal writer: its own lines are no news. */
  ownWriter?: string;
  log?: Log;
}

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? String(err);

const noChange = (): StoreChange => ({ all: false, sessions: new Map(), folders: new Set(), sessionIds: new Set() });

export class StoreWatcher {
  private readonly debounceMs: number;
  private readonly checkEveryMs: number;
  private readonly log: Log;
  private readonly ownWriter: string | undefined;
  private readonly journal: JournalReader;
  private started: Promise<void> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  /** The inode of the folder being watched: another one at the same path needs a new watch. */
  private watchedIno: number | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private checking = false;
  private checkedOnce = false;
  private disposed = false;
  /** The folder was watched and then lost (or could not be made): only then is it "back". */
  private gone = false;
  /** The last failure to watch, said once rather than at every retry. */
  private watchProblem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = noChange();
  private journalChanged = false;
  /** Folders seen come or go: looked at once more a while later (an older writer makes the folder before its metadata). */
  private lookAgain = new Set<string>();
  private readonly changed = new Emitter<StoreChange>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly sessionsDir: string,
    options: StoreWatcherOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 50;
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.ownWriter = options.ownWriter;
    this.log = options.log ?? noLog;
    this.journal = new JournalReader(join(sessionsDir, JOURNAL_FILE));
  }

  start(): void {
    try {
      mkdirSync(this.sessionsDir, { recursive: true, mode: PRIVATE_FOLDER });
    } catch (err) {
      this.log('warn', `Cannot make the storage folder ${this.sessionsDir} (${errorCode(err)}); following it once it exists`);
      this.gone = true;
    }
    // From the journal's end: what came before is what a listing reads.
    this.started = this.journal.start().catch(() => undefined);
    void this.check();
    this.checkTimer = setInterval(() => void this.tick(), this.checkEveryMs);
    // Following the folder is no reason to keep a process alive.
    this.checkTimer.unref();
  }

  private async tick(): Promise<void> {
    for (const name of this.lookAgain) this.pending.folders.add(name);
    this.lookAgain = new Set();
    // A change the watch did not report (none is expected) is found within a tick.
    this.journalChanged = true;
    this.schedule();
    await this.check();
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
      const first = !this.checkedOnce;
      this.checkedOnce = true;
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
      // A watch from the start misses nothing (a listing reads the folder as it is); after a gap, anything may have changed.
      if (!(first && this.watcher) && (wasWatching || this.watcher)) {
        this.pending.all = true;
        this.schedule();
      }
    } finally {
      this.checking = false;
    }
  }

  private watch(ino: number): void {
    try {
      this.watcher = watch(this.sessionsDir, (_event, filename) => this.note(filename ? String(filename) : ''));
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

  private note(name: string): void {
    // The watch names the folder itself by its own name when it is moved or deleted.
    if (name === basename(this.sessionsDir)) void this.check();
    if (name === JOURNAL_FILE) {
      this.journalChanged = true;
    } else if (name === '') {
      // The folder itself was renamed or deleted (its watch is dead from now on), or events were lost.
      void this.check();
      this.pending.all = true;
    } else if (name.startsWith('.')) {
      // Lock, temporary and trash files: the journal says what they were for.
      return;
    } else if (SESSION_ID_PATTERN.test(name)) {
      this.pending.folders.add(name);
      this.lookAgain.add(name);
    } else {
      // Not a session's name: a listing says what it is (once).
      this.pending.all = true;
    }
    this.schedule();
  }

  /** Reports what is pending at most debounceMs after the first of it, however busy the folder is. */
  private schedule(): void {
    if (this.disposed || this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.debounceMs);
  }

  private async flush(): Promise<void> {
    const change = this.pending;
    this.pending = noChange();
    const readJournal = this.journalChanged;
    this.journalChanged = false;
    try {
      if (readJournal) {
        await this.started;
        const read = await this.journal.read();
        if (read.replaced) change.all = true;
        for (const entry of read.entries) {
          if (entry.w === this.ownWriter) continue;
          if (entry.e === 'records') change.sessionIds.add(entry.s);
          else change.sessions.set(entry.s, entry.e === 'session' ? entry.session : null);
          // Its journal line tells all there is to know about this folder.
          change.folders.delete(entry.s);
        }
      }
    } catch (err) {
      this.log('warn', `Could not read the storage folder's journal (${errorCode(err)}); listing it again`);
      change.all = true;
    } finally {
      this.timer = undefined;
    }
    if (this.disposed) return;
    if (change.all || change.sessions.size > 0 || change.folders.size > 0 || change.sessionIds.size > 0) this.changed.fire(change);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    clearInterval(this.checkTimer);
    this.unwatch();
    void this.journal.dispose();
    this.changed.dispose();
  }
}
