// The store's change journal: sessions/.journal, one JSON line per change,
// that every writer appends to and every reader tails. It replaces a
// recursive watch of the storage folder (a watch per session folder, woken
// by every lock file and append) with one watch on sessions/ whatever the
// number of sessions, and it is also the index of sessions: a line for a
// created or changed session carries its metadata, so a listing reads one
// file instead of every session.json.
//
//   {"w":"<writer>","e":"session","s":"<id>","session":{...}}   created or changed
//   {"w":"<writer>","e":"deleted","s":"<id>"}
//   {"w":"<writer>","e":"records","s":"<id>","c":"<chat id>"}    records or scores appended
//   {"e":"compacted","base":<bytes>}                            first line after a compaction
//
// Appends take no lock: each is one write() with O_APPEND, which is never
// interleaved with another. Every batch starts with a newline, so a line a
// writer left torn (it died mid-write) is ended by the next batch and
// skipped, never glued to the next line. When the journal grows past its
// limit, one writer (under a lock) compacts it: a snapshot of the sessions
// it lists, written aside and renamed over it. Lines appended to the old
// file meanwhile are not lost: the compactor copies what came after its
// read, and a writer whose file was renamed away under it appends again to
// the new one (a line read twice changes nothing).
import { closeSync, fstatSync, openSync, promises as fs, constants as fsConstants, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StoredSessionSchema, type StoredSession } from './schemas';
import { SESSION_ID_PATTERN } from './ids';
import { withFileLock } from './fileLock';
import { noLog, type Log } from './log';

export const JOURNAL_FILE = '.journal';
const PRIVATE_FILE = 0o600;
/** Compacted when it is this much (plus twice its last snapshot) or more. */
const DEFAULT_GROWTH_LIMIT = 1024 * 1024;

export type JournalEntry =
  | { w: string; e: 'session'; s: string; session: StoredSession }
  | { w: string; e: 'deleted'; s: string }
  | { w: string; e: 'records'; s: string; c: string };

/** What the journal lists: every session it knows of, by id. */
export type JournalSessions = Map<string, StoredSession>;

const isErrno = (err: unknown, code: string) => (err as NodeJS.ErrnoException | undefined)?.code === code;

/**
 * Metadata the store wrote itself has the shape already: a few checks tell
 * it from a line someone edited, which gets the whole schema.
 */
function asSession(value: unknown): StoredSession | undefined {
  const s = value as Partial<StoredSession> | null;
  if (
    s !== null &&
    typeof s === 'object' &&
    typeof s.session_id === 'string' &&
    SESSION_ID_PATTERN.test(s.session_id) &&
    typeof s.name === 'string' &&
    typeof s.description === 'string' &&
    typeof s.created_epoch === 'number' &&
    typeof s.created_datetime === 'string' &&
    Array.isArray(s.chat_ids) &&
    Array.isArray(s.endpoints) &&
    typeof s.num_of_prev_prompts === 'number' &&
    s.filename === null &&
    'metric' in s &&
    'prompt_template' in s &&
    'context_strategy' in s
  ) {
    return s as StoredSession;
  }
  const parsed = StoredSessionSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** One line as an entry; undefined for a torn, damaged or unknown one (skipped). */
export function parseEntry(line: string): JournalEntry | { e: 'compacted'; base: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.e === 'compacted') return { e: 'compacted', base: typeof v.base === 'number' ? v.base : 0 };
  if (typeof v.w !== 'string' || typeof v.s !== 'string' || !SESSION_ID_PATTERN.test(v.s)) return undefined;
  if (v.e === 'deleted') return { w: v.w, e: 'deleted', s: v.s };
  if (v.e === 'records') return typeof v.c === 'string' ? { w: v.w, e: 'records', s: v.s, c: v.c } : undefined;
  if (v.e === 'session') {
    const session = asSession(v.session);
    return session && session.session_id === v.s ? { w: v.w, e: 'session', s: v.s, session } : undefined;
  }
  return undefined;
}

/** Complete lines of `bytes` (up to its last newline) and how many bytes they took. */
function completeLines(bytes: Buffer): { lines: string[]; used: number } {
  const end = bytes.lastIndexOf(0x0a);
  if (end < 0) return { lines: [], used: 0 };
  return { lines: bytes.toString('utf8', 0, end).split('\n'), used: end + 1 };
}

export interface JournalRead {
  /** The sessions it lists. */
  sessions: JournalSessions;
  /** Entries after the snapshot, oldest first (a reader that starts from 0 wants them). */
  entries: JournalEntry[];
  ino: number;
  /** Where the next reader starts: after its last complete line. */
  offset: number;
  /** The snapshot's size, from its header (0 before the first compaction). */
  base: number;
  /** The entries whose lines start at `offset` or after. */
  entriesFrom(offset: number): JournalEntry[];
}

/** Applies entries to a listing: later entries win. */
export function applyEntries(sessions: JournalSessions, entries: readonly JournalEntry[]): void {
  for (const entry of entries) {
    if (entry.e === 'session') sessions.set(entry.s, entry.session);
    else if (entry.e === 'deleted') sessions.delete(entry.s);
  }
}

/** Reads a whole journal from an open handle, up to its last complete line. */
async function readAll(handle: fs.FileHandle): Promise<JournalRead> {
  const { ino, size } = await handle.stat();
  const bytes = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await handle.read(bytes, got, size - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  const sessions: JournalSessions = new Map();
  const entries: JournalEntry[] = [];
  const starts: number[] = [];
  let base = 0;
  let start = 0;
  for (let end = bytes.indexOf(0x0a, 0); end >= 0 && end < got; start = end + 1, end = bytes.indexOf(0x0a, start)) {
    if (end === start) continue;
    const entry = parseEntry(bytes.toString('utf8', start, end));
    if (!entry) continue;
    if (entry.e === 'compacted') {
      base = entry.base;
      continue;
    }
    entries.push(entry);
    starts.push(start);
    if (entry.e === 'session') sessions.set(entry.s, entry.session);
    else if (entry.e === 'deleted') sessions.delete(entry.s);
  }
  return { sessions, entries, ino, offset: start, base, entriesFrom: (offset) => entries.filter((_, i) => (starts[i] ?? 0) >= offset) };
}

/** The journal at `path`, or undefined when there is none (an older writer's folder, or a new one). */
export async function readJournal(path: string): Promise<JournalRead | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
  try {
    return await readAll(handle);
  } finally {
    await handle.close();
  }
}

export interface JournalWriterOptions {
  log?: Log;
  /** How much a journal may grow past its last snapshot before it is compacted (default 1 MiB). */
  growthLimit?: number;
}

/** Appends this writer's entries, batching those made together into one write. */
export class JournalWriter {
  /** Names this writer's lines, so that its own reader skips them. */
  readonly id = randomBytes(6).toString('base64url');
  readonly path: string;
  private readonly log: Log;
  private readonly growthLimit: number;
  private queued: string[] = [];
  private flushing: Promise<void> | undefined;
  /** The snapshot size of the journal last written to, by inode. */
  private base = { ino: -1, bytes: 0 };
  private compacting: Promise<void> | undefined;

  constructor(
    readonly sessionsDir: string,
    options: JournalWriterOptions = {},
  ) {
    this.path = join(sessionsDir, JOURNAL_FILE);
    this.log = options.log ?? noLog;
    this.growthLimit = options.growthLimit ?? DEFAULT_GROWTH_LIMIT;
  }

  session(session: StoredSession): Promise<void> {
    return this.append({ w: this.id, e: 'session', s: session.session_id, session });
  }

  deleted(sessionId: string): Promise<void> {
    return this.append({ w: this.id, e: 'deleted', s: sessionId });
  }

  records(sessionId: string, chatId: string): Promise<void> {
    return this.append({ w: this.id, e: 'records', s: sessionId, c: chatId });
  }

  /**
   * Resolves when the entry is written. Never rejects: what it tells
   * others is already in the session's own files, so a journal that cannot
   * be written is said in the log, not made the caller's failure.
   */
  private append(entry: JournalEntry): Promise<void> {
    this.queued.push(JSON.stringify(entry));
    // Entries made in the same turn (a prompt's records in every chat) go out in one write.
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const lines = this.queued;
    this.queued = [];
    this.flushing = undefined;
    try {
      await this.write(Buffer.from(`\n${lines.join('\n')}\n`, 'utf8'));
    } catch (err) {
      this.log(
        'warn',
        `Could not write to ${this.path} (${(err as NodeJS.ErrnoException)?.code ?? String(err)}): other windows may not see this change ` +
          `at once`,
      );
    }
  }

  /**
   * Appends the bytes; again to the new journal when this one was renamed
   * away meanwhile. Synchronous calls, as fileLock.ts's: a handful on a
   * local file cost less than as many trips through the thread pool.
   */
  private async write(bytes: Buffer, mayCompact = true): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const fd = openSync(this.path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, PRIVATE_FILE);
      let size: number;
      let ino: number;
      try {
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
        ({ size, ino } = fstatSync(fd));
      } finally {
        closeSync(fd);
      }
      let now: number | undefined;
      try {
        now = statSync(this.path).ino;
      } catch {
        now = undefined;
      }
      if (now === ino) {
        if (mayCompact) await this.compactIfLarge(ino, size);
        return;
      }
      // Compacted (or removed) under this write: the line may be in a file nobody reads any more.
    }
  }

  private async compactIfLarge(ino: number, size: number): Promise<void> {
    if (this.base.ino !== ino) this.base = { ino, bytes: await this.snapshotSize() };
    if (size < this.growthLimit + 2 * this.base.bytes) return;
    this.compacting ??= this.compact().finally(() => (this.compacting = undefined));
    await this.compacting;
  }

  /** The snapshot size its header gives (0 when it has none). */
  private async snapshotSize(): Promise<number> {
    const handle = await fs.open(this.path, 'r').catch(() => undefined);
    if (!handle) return 0;
    try {
      const head = Buffer.alloc(128);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const first = head.toString('utf8', 0, bytesRead).split('\n')[0] ?? '';
      const entry = parseEntry(first);
      return entry?.e === 'compacted' ? entry.base : 0;
    } finally {
      await handle.close();
    }
  }

  /** Rewrites the journal as a snapshot of what it lists, under a lock shared with other writers. */
  compact(): Promise<void> {
    return this.rewrite((read) => (read && read.offset >= this.growthLimit + 2 * read.base ? read.sessions.values() : undefined));
  }

  /**
   * Rewrites the journal as a snapshot of `sessions` (a listing that found
   * the journal behind the folder: an older writer's or a person's
   * changes), with whatever was appended after `since` (where the listing
   * read the journal up to) applied on top. Skipped when the journal is
   * another file by now: its compactor wrote a newer snapshot.
   */
  replaceWith(sessions: JournalSessions, since?: { ino: number; offset: number }): Promise<void> {
    return this.rewrite((read) => {
      if (!read) return since ? undefined : sessions.values();
      if (!since || read.ino !== since.ino) return undefined;
      const merged = new Map(sessions);
      applyEntries(merged, read.entriesFrom(since.offset));
      return merged.values();
    });
  }

  /** Under the lock: reads the journal, and writes the snapshot `choose` gives (none: leaves it). */
  private async rewrite(choose: (read: JournalRead | undefined) => Iterable<StoredSession> | undefined): Promise<void> {
    await withFileLock(`${this.path}.lock`, async () => {
      let old: fs.FileHandle | undefined;
      try {
        old = await fs.open(this.path, 'r');
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
      try {
        const read = old ? await readAll(old) : undefined;
        const snapshot = choose(read);
        if (!snapshot) return;
        await this.writeSnapshot(snapshot);
        if (!old || !read) return;
        // Lines that came after the read, into the file now renamed away: copied, so that readers see them.
        const { size } = await old.stat();
        if (size > read.offset) {
          const rest = Buffer.alloc(size - read.offset);
          const { bytesRead } = await old.read(rest, 0, rest.length, read.offset);
          if (bytesRead > 0) await this.write(Buffer.concat([Buffer.from('\n'), rest.subarray(0, bytesRead), Buffer.from('\n')]), false);
        }
      } finally {
        await old?.close();
      }
    });
  }

  /** Replaces the journal with one that lists `sessions` and nothing else. */
  async writeSnapshot(sessions: Iterable<StoredSession>): Promise<void> {
    const body = [...sessions].map((session) => JSON.stringify({ w: this.id, e: 'session', s: session.session_id, session })).join('\n');
    const text = `${JSON.stringify({ e: 'compacted', base: Buffer.byteLength(body) })}\n${body}\n`;
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(tmp, text, { mode: PRIVATE_FILE });
      await fs.rename(tmp, this.path);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Resolves when every entry appended so far is written. */
  async settled(): Promise<void> {
    while (this.flushing || this.compacting) await (this.flushing ?? this.compacting);
  }
}

/**
 * Follows a journal from where it was first looked at: each read() gives
 * the entries appended since the last one. When the journal was compacted
 * (another file at the path), the rest of the old one is read first, then
 * the new one from its start, whose snapshot says what it lists now.
 */
export class JournalReader {
  private ino: number | undefined;
  private offset = 0;
  private handle: fs.FileHandle | undefined;
  private reading: Promise<JournalChange> | undefined;
  private disposed = false;

  constructor(readonly path: string) {}

  /** Starts following at the journal's current end (or its start, once it exists). */
  async start(): Promise<void> {
    const st = await fs.stat(this.path).catch(() => undefined);
    if (st) {
      this.ino = st.ino;
      this.offset = st.size;
      this.handle = this.disposed ? undefined : await fs.open(this.path, 'r').catch(() => undefined);
      // A writer appending meanwhile ends its last line later: start after the last complete one.
      if (this.handle) this.offset = await lastLineEnd(this.handle, st.size);
      else this.ino = undefined;
    }
  }

  /** What was appended since the last read; one read at a time. */
  read(): Promise<JournalChange> {
    this.reading ??= this.readNow().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readNow(): Promise<JournalChange> {
    const entries: JournalEntry[] = [];
    if (this.handle) entries.push(...(await this.readOn(this.handle)));
    const st = await fs.stat(this.path).catch(() => undefined);
    // The same file (or still none).
    if (st?.ino === this.ino) return { entries, replaced: false };
    // Compacted, made for the first time, or removed: what came between is not known line by line.
    await this.close();
    const handle = st && !this.disposed ? await fs.open(this.path, 'r').catch(() => undefined) : undefined;
    if (!handle) return { entries, replaced: true };
    if (this.disposed) {
      await handle.close();
      return { entries, replaced: true };
    }
    const read = await readAll(handle);
    this.handle = handle;
    this.ino = read.ino;
    this.offset = read.offset;
    return { entries: [...entries, ...read.entries], replaced: true };
  }

  private async readOn(handle: fs.FileHandle): Promise<JournalEntry[]> {
    const { size } = await handle.stat();
    if (size <= this.offset) return [];
    const bytes = Buffer.allocUnsafe(size - this.offset);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, this.offset);
    const { lines, used } = completeLines(bytes.subarray(0, bytesRead));
    this.offset += used;
    const entries: JournalEntry[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const entry = parseEntry(line);
      if (entry && entry.e !== 'compacted') entries.push(entry);
    }
    return entries;
  }

  /** Stops following: the file is closed, and no read opens it again. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.reading?.catch(() => undefined);
    await this.close();
  }

  private async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.ino = undefined;
    this.offset = 0;
    await handle?.close().catch(() => undefined);
  }
}

export interface JournalChange {
  /** Entries appended since the last read, oldest first. */
  entries: JournalEntry[];
  /**
   * Another file is at the path (compacted, made for the first time) or
   * none is any more: the entries do not tell everything that changed, the
   * listing must be read again.
   */
  replaced: boolean;
}

/** The end of the last complete line before `size` (`size` itself when none is near: that line is skipped). */
async function lastLineEnd(handle: fs.FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
  const start = size - chunk.length;
  const { bytesRead } = await handle.read(chunk, 0, chunk.length, start);
  const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
  return newline < 0 ? size : start + newline + 1;
}
