// Files under one root folder, laid out so that a crash at any instant
// leaves either the old or the new state:
//   sessions/<session_id>/session.json   metadata, replaced atomically
//   sessions/<session_id>/<chat_id>.jsonl one record per line, append-only
//   sessions/<session_id>/<chat_id>.scores.jsonl  the records' scores, append-only
//   sessions/<session_id>/attacks/<attack_id>.json  an attack run's manifest, replaced atomically
//   sessions/<session_id>/runs/<run_id>.json  a dataset run's manifest, replaced atomically
//   sessions/<session_id>/runs/<run_id>.<kind>.jsonl  what a dataset run keeps besides records, append-only
//   sessions/.journal                      every writer's changes, one line each (storeJournal.ts):
//                                          what other processes follow, and the index of sessions
// Appending never rewrites history, so a prompt costs the same at record
// 4,000 as at record 1. A torn last line (a writer that died mid-append) is
// ignored on read and cut off before the next append.
// The folder is shared with other processes and with people: whatever else
// is found in it is skipped with one warning, never a failure of the whole
// listing; a write the file system refuses is a `storage` error.
import {
  closeSync,
  createReadStream,
  fstatSync,
  ftruncateSync,
  openSync,
  promises as fs,
  constants as fsConstants,
  statSync,
  writeSync,
} from 'node:fs';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  RecordScoreSchema,
  StoredChatRecordSchema,
  StoredSessionSchema,
  type RecordScore,
  type StoredChatRecord,
  type StoredSession,
} from './schemas';
import { SESSION_ID_PATTERN } from './ids';
import { ConflictError, CoreError, NotFoundError, asStorageError, writingTo } from './errors';
import { withFileLock } from './fileLock';
import { formatIssues } from './validation';
import { noLog, type Log } from './log';
import { JournalWriter, readJournal, type JournalSessions } from './storeJournal';
import { chatRecordsJson, PiecePool, type CheckedFile } from './chatJson';

const SESSION_FILE = 'session.json';
const ATTACKS_DIR = 'attacks';
const RUNS_DIR = 'runs';
type ManifestFolder = typeof ATTACKS_DIR | typeof RUNS_DIR;
const MANIFEST_OF: Record<ManifestFolder, string> = { attacks: 'attack', runs: 'run' };
/** What a run keeps in its own files besides its records (see runs/runFiles.ts). */
export type RunFileKind = 'rows' | 'turns';
/** Prompts and answers of a red-teaming session are nobody else's business: owner only. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_FOLDER = 0o700;
const TRASH_PREFIX = '.deleted-';

/** Writes a file so that readers see the old or the new content, never a mix; a refusal is a `storage` error. */
export async function writeFileAtomic(path: string, data: string, mode = PRIVATE_FILE): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writingTo(path, async () => {
    try {
      const handle = await fs.open(tmp, 'w', mode);
      try {
        await handle.writeFile(data, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, path);
    } catch (err) {
      // A full disk fails mid-write: leave nothing behind.
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Makes the folder (and its parents) if missing; a refusal is a `storage`
 * error. A file in its place is left for the write into it to report
 * (ENOTDIR: "a path in it is not a folder"), not taken for the folder.
 */
export async function makeFolder(path: string): Promise<void> {
  try {
    await fs.mkdir(path, { recursive: true, mode: PRIVATE_FOLDER });
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw asStorageError(err, path);
  }
}

/**
 * Makes the storage folder and checks that this process may write to it, so
 * that a host which cannot keep sessions says so when it starts (a `storage`
 * error) rather than at the first prompt.
 */
export async function checkStorageFolder(path: string): Promise<void> {
  await makeFolder(path);
  try {
    await fs.access(path, fsConstants.W_OK);
    if (!(await isFolder(path))) throw Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR', path });
  } catch (err) {
    throw asStorageError(err, path);
  }
}

function errnoCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const isErrno = (err: unknown, code: string) => errnoCode(err) === code;

const isFolder = (path: string) => fs.stat(path).then((st) => st.isDirectory(), () => false);

/** Parses JSON lines, skipping a torn or corrupt line instead of failing the whole file. */
function parseLines<T>(text: string, schema: { safeParse(data: unknown): { success: true; data: T } | { success: false } }): T[] {
  const items: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) items.push(parsed.data);
    } catch {
      // A line cut short by a crash: it was never acknowledged.
    }
  }
  return items;
}

const parseRecords = (text: string): StoredChatRecord[] => parseLines(text, StoredChatRecordSchema);

/**
 * Reads the file's bytes before `end` in chunks that grow from the end
 * towards the start, handing each (with its offset) to `take` until it
 * returns a value; undefined if it never does.
 */
async function readBackward<T>(
  handle: fs.FileHandle,
  end: number,
  firstChunk: number,
  take: (bytes: Buffer, start: number) => T | undefined,
): Promise<T | undefined> {
  for (let chunk = firstChunk; ; chunk *= 4) {
    const start = Math.max(0, end - chunk);
    const bytes = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
    const result = take(bytes.subarray(0, bytesRead), start);
    if (result !== undefined || start === 0) return result;
  }
}

/** The last `count` complete records of the first `size` bytes, oldest first. */
async function tailRecords(handle: fs.FileHandle, size: number, count: number): Promise<StoredChatRecord[]> {
  const records = await readBackward(handle, size, 16 * 1024 * Math.max(1, count), (bytes, start) => {
    // The first line of a partial read may be cut; only trust what follows it.
    const found = parseRecords(bytes.toString('utf8', start === 0 ? 0 : bytes.indexOf(0x0a) + 1));
    return found.length >= count || start === 0 ? found.slice(-count) : undefined;
  });
  return records ?? [];
}

/** Cuts a last line left without its newline, so the next record starts on a line of its own; the size after. */
async function cutTornTail(handle: fs.FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return size;
  const end =
    (await readBackward(handle, size, 16 * 1024, (bytes, start) => {
      const newline = bytes.lastIndexOf(0x0a);
      return newline >= 0 ? start + newline + 1 : undefined;
    })) ?? 0;
  await handle.truncate(end);
  return end;
}

/** appendWhole with synchronous calls. */
function appendWholeSync(fd: number, line: Buffer, size: number): void {
  try {
    for (let done = 0; done < line.length; ) done += writeSync(fd, line, done);
  } catch (err) {
    try {
      ftruncateSync(fd, size);
    } catch {
      // The append failed already; that is what is reported.
    }
    throw err;
  }
}

/** Appends the whole line, or (when the disk is full part-way) nothing: the file is cut back to `size`. */
async function appendWhole(handle: fs.FileHandle, line: Buffer, size: number): Promise<void> {
  try {
    for (let done = 0; done < line.length; ) done += (await handle.write(line, done)).bytesWritten;
  } catch (err) {
    await handle.truncate(size).catch(() => undefined);
    throw err;
  }
}

export interface SessionStoreOptions {
  /** Where warnings about odd entries in the folder go. */
  log?: Log;
  /** How much the journal may grow past its last snapshot before it is compacted. */
  journalGrowthLimit?: number;
}

export class SessionStore {
  readonly sessionsDir: string;
  private readonly log: Log;
  /** Size and inode of each chat file after this process's last append, and that record's id. */
  private readonly lastAppend = new Map<string, { size: number; ino: number; id: number }>();
  /** Tells other processes (and this one's next start) what changed. */
  readonly journal: JournalWriter;
  /** The end of each score file's queue of appends in this process, by path. */
  private readonly scoreWrites = new Map<string, Promise<void>>();
  /** Odd paths already warned about: once each, not at every listing. */
  private readonly warned = new Set<string>();
  /** How far each chat file's lines were checked, so that a read of the whole history needs not parse them again. */
  private readonly checkedChats = new Map<string, CheckedFile>();
  /** The buffers chatJson's pieces are made in; give each back with releasePiece once it is written. */
  private readonly pieces = new PiecePool();

  constructor(
    readonly root: string,
    options: SessionStoreOptions = {},
  ) {
    this.sessionsDir = join(root, 'sessions');
    this.log = options.log ?? noLog;
    const growth = options.journalGrowthLimit ? { growthLimit: options.journalGrowthLimit } : {};
    this.journal = new JournalWriter(this.sessionsDir, { log: this.log, ...growth });
  }

  private warnOnce(path: string, message: string): void {
    if (this.warned.has(path)) return;
    this.warned.add(path);
    this.log('warn', message);
  }

  private sessionDir(sessionId: string): string {
    // Ids reach here only after validation; this is the last line of defence.
    if (!SESSION_ID_PATTERN.test(sessionId)) throw new NotFoundError('Session not found');
    return join(this.sessionsDir, sessionId);
  }

  private chatPath(sessionId: string, chatId: string): string {
    if (!SESSION_ID_PATTERN.test(chatId)) throw new NotFoundError('Chat not found');
    return join(this.sessionDir(sessionId), `${chatId}.jsonl`);
  }

  /**
   * Every session whose metadata can be read; anything else in the folder
   * is skipped (with one warning). The journal lists the sessions this
   * program wrote, so only folders it does not list (an older version's, a
   * person's, one being created right now) have their session.json read;
   * a journal found behind the folder is rewritten to match it.
   */
  async listSessions(): Promise<StoredSession[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.sessionsDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw asStorageError(err, this.sessionsDir);
    }
    const journal = await readJournal(this.journal.path).catch((err: unknown) => {
      this.warnOnce(
        this.journal.path,
        `Cannot read ${this.journal.path} (${errnoCode(err) ?? String(err)}): every session's metadata is read instead`,
      );
      return undefined;
    });
    const listed: JournalSessions = journal?.sessions ?? new Map();
    let behind = journal === undefined;
    const present = new Set<string>();
    const found: StoredSession[] = [];
    const toRead: string[] = [];
    // Most names are in the journal: taken in one pass, without a promise each.
    for (const name of names) {
      if (name.startsWith(TRASH_PREFIX)) {
        // A delete that crashed after its rename: finish it.
        toRead.push(name);
        continue;
      }
      // Hidden files (.DS_Store, the journal and the like) are not sessions.
      if (name.startsWith('.')) continue;
      if (!SESSION_ID_PATTERN.test(name)) {
        const path = join(this.sessionsDir, name);
        this.warnOnce(path, `Skipped ${path} in the storage folder: not a session (a session's folder is named by its id)`);
        continue;
      }
      present.add(name);
      const known = listed.get(name);
      if (known) found.push(known);
      else toRead.push(name);
    }
    const read = await Promise.all(
      toRead.map(async (name) => {
        if (name.startsWith(TRASH_PREFIX)) {
          await this.removeTrash(join(this.sessionsDir, name));
          return undefined;
        }
        const session = await this.readSession(name);
        if (session) behind = true;
        return session;
      }),
    );
    for (const session of read) if (session) found.push(session);
    for (const id of listed.keys()) if (!present.has(id)) behind = true;
    const sessions = found;
    if (behind) {
      // Best effort: the next listing reads the folders again if this fails.
      await this.journal
        .replaceWith(new Map(sessions.map((s) => [s.session_id, s])), journal && { ino: journal.ino, offset: journal.offset })
        .catch((err: unknown) =>
          this.log('warn', `Could not rewrite ${this.journal.path} (${errnoCode(err) ?? String(err)}); the next listing tries again`),
        );
    }
    return sessions;
  }

  /**
   * The session's metadata, or undefined when it does not exist, was never
   * completely created, or is not a session at all (warned about once).
   */
  async readSession(sessionId: string): Promise<StoredSession | undefined> {
    if (!SESSION_ID_PATTERN.test(sessionId)) return undefined;
    const dir = join(this.sessionsDir, sessionId);
    const path = join(dir, SESSION_FILE);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      // ENOENT: being created right now (folder first, metadata last), or a create that crashed.
      if (isErrno(err, 'ENOENT')) return undefined;
      if (isErrno(err, 'ENOTDIR')) this.warnOnce(dir, `Skipped ${dir} in the storage folder: a file where a session's folder should be`);
      else if (isErrno(err, 'EISDIR')) this.warnOnce(dir, `Skipped ${path}: a folder where the session's metadata file should be`);
      else if (errnoCode(err)) this.warnOnce(dir, `Skipped ${path}: cannot read it (${errnoCode(err)})`);
      else throw err;
      return undefined;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      this.warnOnce(dir, `Skipped ${path}: not valid JSON (cut short or damaged)`);
      return undefined;
    }
    const parsed = StoredSessionSchema.safeParse(data);
    if (!parsed.success) {
      this.warnOnce(dir, `Skipped ${path}: not a session's metadata (${formatIssues(parsed.error)})`);
      return undefined;
    }
    // Readable again: should it break later, say so again.
    this.warned.delete(dir);
    return parsed.data;
  }

  private async removeTrash(path: string): Promise<void> {
    try {
      await fs.rm(path, { recursive: true, force: true });
    } catch (err) {
      this.warnOnce(path, `Could not finish deleting ${path} (${errnoCode(err) ?? String(err)}); the next listing tries again`);
      return;
    }
    this.warned.delete(path);
  }

  /** Creates the session's folder and metadata; never overwrites an existing session, even one being created right now. */
  async createSession(session: StoredSession): Promise<void> {
    const dir = this.sessionDir(session.session_id);
    const path = join(dir, SESSION_FILE);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writingTo(dir, async () => {
      // Also makes sessions/ again when someone deleted it.
      await makeFolder(dir);
      await writeFileAtomic(tmp, JSON.stringify(session, null, 2));
      try {
        // link() fails if the name exists, so of two creators of one id exactly one wins.
        await fs.link(tmp, path);
      } catch (err) {
        if (isErrno(err, 'EEXIST')) throw new ConflictError(`Session "${session.session_id}" already exists`);
        throw err;
      } finally {
        await fs.rm(tmp, { force: true }).catch(() => undefined);
      }
    });
    await this.journal.session(session);
  }

  async writeSession(session: StoredSession): Promise<void> {
    await writeFileAtomic(join(this.sessionDir(session.session_id), SESSION_FILE), JSON.stringify(session, null, 2));
    await this.journal.session(session);
  }

  /** Removes every file of the session; a crash part-way is finished by the next listing. */
  async deleteSession(sessionId: string): Promise<void> {
    const dir = this.sessionDir(sessionId);
    const trash = join(this.sessionsDir, `${TRASH_PREFIX}${sessionId}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(dir, trash);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError('Session not found');
      throw asStorageError(err, dir);
    }
    // The session is gone once renamed; files that resist removal are left for the next listing.
    await this.journal.deleted(sessionId);
    await this.removeTrash(trash);
    for (const map of [this.lastAppend, this.checkedChats]) for (const key of map.keys()) if (key.startsWith(`${dir}/`)) map.delete(key);
  }

  /** A chat or score file that exists but cannot be read is left out (warned about once), not a failure of the whole session. */
  private unreadableChat<T>(path: string, err: unknown): T[] {
    if (isErrno(err, 'ENOENT')) return [];
    if (!errnoCode(err)) throw err;
    this.warnOnce(path, `Cannot read ${path} (${errnoCode(err)}): its records are left out`);
    return [];
  }

  async readChat(sessionId: string, chatId: string): Promise<StoredChatRecord[]> {
    const path = this.chatPath(sessionId, chatId);
    try {
      const records = parseRecords(await fs.readFile(path, 'utf8'));
      this.warned.delete(path);
      return records;
    } catch (err) {
      return this.unreadableChat(path, err);
    }
  }

  /**
   * The chat's records as the API sends them (each with its latest score
   * as `metric`), comma-separated JSON in pieces, from the stored lines: a
   * torn or invalid line is skipped, as readChat skips it.
   */
  async *chatJson(sessionId: string, chatId: string, around: { before?: Buffer; after?: Buffer } = {}): AsyncGenerator<Buffer> {
    const path = this.chatPath(sessionId, chatId);
    const metrics = new Map<number, string>();
    for (const { chat_record_id, metric } of await this.readScoresIfAny(sessionId, chatId)) {
      metrics.set(chat_record_id, JSON.stringify(metric));
    }
    // Unreadable from the start: left out, as readChat leaves it out. Part-way, the answer cannot be taken back: it fails.
    const unreadable = (err: unknown) => void this.unreadableChat(path, err);
    yield* chatRecordsJson(path, this.checkedChats, metrics, this.pieces, { ...around, unreadable });
    this.warned.delete(path);
  }

  /** readScores, with the usual case (no score file) found by one synchronous call rather than a failed read. */
  private async readScoresIfAny(sessionId: string, chatId: string): Promise<RecordScore[]> {
    try {
      statSync(this.scoresPath(sessionId, chatId));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
    }
    return this.readScores(sessionId, chatId);
  }


  /** A piece chatJson gave, written and no longer needed: its buffer makes later pieces. */
  releasePiece(piece: Buffer): void {
    this.pieces.release(piece);
  }

  /**
   * The chat's last `count` complete records, oldest first, read from the
   * end of the file so that neither the next record id nor a context
   * strategy costs a read of the whole history.
   */
  async readTail(sessionId: string, chatId: string, count: number): Promise<StoredChatRecord[]> {
    if (count <= 0) return [];
    const path = this.chatPath(sessionId, chatId);
    try {
      const handle = await fs.open(path, 'r');
      try {
        return await tailRecords(handle, (await handle.stat()).size, count);
      } finally {
        await handle.close();
      }
    } catch (err) {
      return this.unreadableChat(path, err);
    }
  }

  /**
   * Appends the chat's next record: under a lock shared with other
   * processes on this storage folder, reads the last record id from the
   * file's end and writes the record `make` builds for the next id. So two
   * windows (or a window and `serve`) never give two records one id.
   */
  async appendNextRecord(sessionId: string, chatId: string, make: (id: number) => StoredChatRecord): Promise<StoredChatRecord> {
    const path = this.chatPath(sessionId, chatId);
    const record = await this.inSessionFolder(sessionId, path, () =>
      withFileLock(`${path}.lock`, async () => {
        // The usual case, this process wrote last, is a few system calls made at once (see fileLock.ts on why synchronous).
        const fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, PRIVATE_FILE);
        let closed = false;
        try {
          const { size: found, ino } = fstatSync(fd);
          // Unchanged since this process's last append: the last id is known and the file ends with a whole line.
          const known = this.lastAppend.get(path);
          if (known !== undefined && known.size === found && known.ino === ino) {
            const record = make(known.id + 1);
            const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
            appendWholeSync(fd, line, found);
            this.lastAppend.set(path, { size: found + line.length, ino, id: record.chat_record_id });
            return record;
          }
          closeSync(fd);
          closed = true;
          // Another writer came last, and may have died mid-line: cut what it left torn, and read the last id.
          const handle = await fs.open(path, fsConstants.O_RDWR | fsConstants.O_APPEND, PRIVATE_FILE);
          try {
            const size = await cutTornTail(handle, (await handle.stat()).size);
            const lastId = (await tailRecords(handle, size, 1))[0]?.chat_record_id ?? 0;
            const record = make(lastId + 1);
            const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
            await appendWhole(handle, line, size);
            this.lastAppend.set(path, { size: size + line.length, ino, id: record.chat_record_id });
            return record;
          } finally {
            await handle.close();
          }
        } finally {
          if (!closed) closeSync(fd);
        }
      }),
    );
    // Not awaited: the record is written; the journal line only tells others, and goes out with the next batch.
    void this.journal.records(sessionId, chatId);
    return record;
  }


  private scoresPath(sessionId: string, chatId: string): string {
    if (!SESSION_ID_PATTERN.test(chatId)) throw new NotFoundError('Chat not found');
    return join(this.sessionDir(sessionId), `${chatId}.scores.jsonl`);
  }

  /** The chat's scores in the order they were made; a torn or damaged line is skipped. */
  async readScores(sessionId: string, chatId: string): Promise<RecordScore[]> {
    const path = this.scoresPath(sessionId, chatId);
    try {
      const scores = parseLines(await fs.readFile(path, 'utf8'), RecordScoreSchema);
      this.warned.delete(path);
      return scores;
    } catch (err) {
      return this.unreadableChat(path, err);
    }
  }

  /**
   * Appends scores to the chat's score file: the history is never
   * rewritten, a later score of a record wins over an earlier one. Under a
   * lock shared with other processes, and one at a time in this process; a
   * torn last line another writer left is cut first.
   */
  appendScores(sessionId: string, chatId: string, scores: readonly RecordScore[]): Promise<void> {
    const path = this.scoresPath(sessionId, chatId);
    const line = Buffer.from(scores.map((score) => `${JSON.stringify(score)}\n`).join(''), 'utf8');
    const write = () =>
      this.inSessionFolder(sessionId, path, () =>
        withFileLock(`${path}.lock`, async () => {
          const handle = await fs.open(path, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, PRIVATE_FILE);
          try {
            const size = await cutTornTail(handle, (await handle.stat()).size);
            await appendWhole(handle, line, size);
          } finally {
            await handle.close();
          }
        }),
      );
    const run = (this.scoreWrites.get(path) ?? Promise.resolve()).then(write).then(() => this.journal.records(sessionId, chatId));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.scoreWrites.set(path, settled);
    void settled.then(() => {
      if (this.scoreWrites.get(path) === settled) this.scoreWrites.delete(path);
    });
    return run;
  }

  private manifestDir(sessionId: string, folder: ManifestFolder): string {
    return join(this.sessionDir(sessionId), folder);
  }

  /** Replaces an attack run's manifest atomically; NotFoundError when the session is gone (it is never made again). */
  writeAttackManifest(sessionId: string, attackId: string, manifest: unknown): Promise<void> {
    return this.writeManifest(sessionId, ATTACKS_DIR, attackId, manifest);
  }

  /** Every attack manifest of the session as parsed JSON, by attack id; unreadable ones are skipped (warned about once). */
  readAttackManifests(sessionId: string): Promise<Map<string, unknown>> {
    return this.readManifests(sessionId, ATTACKS_DIR);
  }

  /** One attack manifest as parsed JSON; undefined when there is none or it cannot be read (warned about once). */
  readAttackManifest(sessionId: string, attackId: string): Promise<unknown> {
    return this.readManifest(sessionId, ATTACKS_DIR, attackId);
  }

  /** Replaces a dataset run's manifest atomically; NotFoundError when the session is gone. */
  writeRunManifest(sessionId: string, runId: string, manifest: unknown): Promise<void> {
    return this.writeManifest(sessionId, RUNS_DIR, runId, manifest);
  }

  /** Every dataset run manifest of the session as parsed JSON, by run id; unreadable ones are skipped (warned about once). */
  readRunManifests(sessionId: string): Promise<Map<string, unknown>> {
    return this.readManifests(sessionId, RUNS_DIR);
  }

  readRunManifest(sessionId: string, runId: string): Promise<unknown> {
    return this.readManifest(sessionId, RUNS_DIR, runId);
  }

  private runFilePath(sessionId: string, runId: string, kind: RunFileKind): string {
    if (!SESSION_ID_PATTERN.test(runId)) throw new NotFoundError('Run not found');
    return join(this.manifestDir(sessionId, RUNS_DIR), `${runId}.${kind}.jsonl`);
  }

  /**
   * Appends lines (JSON values) to one of a run's files. Only the process
   * that owns the run writes them, so there is no lock; a torn last line
   * (that process died mid-write) is cut first. The run's manifest must
   * have been written (it makes the folder).
   */
  async appendRunLines(sessionId: string, runId: string, kind: RunFileKind, values: readonly unknown[]): Promise<void> {
    if (values.length === 0) return;
    const path = this.runFilePath(sessionId, runId, kind);
    const bytes = Buffer.from(values.map((v) => `${JSON.stringify(v)}\n`).join(''), 'utf8');
    await this.inSessionFolder(sessionId, path, async () => {
      const handle = await fs.open(path, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, PRIVATE_FILE);
      try {
        await appendWhole(handle, bytes, await cutTornTail(handle, (await handle.stat()).size));
      } finally {
        await handle.close();
      }
    });
  }

  /** The lines of one of a run's files as parsed JSON, read a chunk at a time; a torn or damaged line is skipped. */
  async *readRunLines(sessionId: string, runId: string, kind: RunFileKind): AsyncGenerator<unknown> {
    for await (const line of this.lines(this.runFilePath(sessionId, runId, kind))) {
      try {
        yield JSON.parse(line) as unknown;
      } catch {
        // Cut short by a crash: never acknowledged.
      }
    }
  }

  /**
   * The chat's records, oldest first, read a chunk at a time (a long chat is
   * never in memory whole). With `containing`, only lines that hold that
   * text are parsed: a run's records are found by `"run_id":"<id>"`.
   */
  async *streamChat(sessionId: string, chatId: string, containing?: string): AsyncGenerator<StoredChatRecord> {
    for await (const line of this.lines(this.chatPath(sessionId, chatId))) {
      if (containing !== undefined && !line.includes(containing)) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      const parsed = StoredChatRecordSchema.safeParse(value);
      if (parsed.success) yield parsed.data;
    }
  }

  /** The file's non-empty lines; none when it is missing, a storage error when it cannot be read. */
  private async *lines(path: string): AsyncGenerator<string> {
    const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of reader) if (line.trim() !== '') yield line;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw asStorageError(err, path);
    } finally {
      reader.close();
      stream.destroy();
    }
  }

  private async writeManifest(sessionId: string, folder: ManifestFolder, id: string, manifest: unknown): Promise<void> {
    if (!SESSION_ID_PATTERN.test(id)) throw new NotFoundError(`${MANIFEST_OF[folder] === 'run' ? 'Run' : 'Attack'} not found`);
    const dir = this.manifestDir(sessionId, folder);
    const path = join(dir, `${id}.json`);
    await this.inSessionFolder(sessionId, path, async () => {
      try {
        // Not recursive: a session deleted meanwhile must not come back as an empty folder.
        await fs.mkdir(dir, { mode: PRIVATE_FOLDER });
      } catch (err) {
        if (!isErrno(err, 'EEXIST')) throw err;
      }
      await writeFileAtomic(path, JSON.stringify(manifest, null, 2));
    });
  }

  private async readManifests(sessionId: string, folder: ManifestFolder): Promise<Map<string, unknown>> {
    const dir = this.manifestDir(sessionId, folder);
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return new Map();
      throw asStorageError(err, dir);
    }
    const ids = names
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter((id) => SESSION_ID_PATTERN.test(id));
    const found = await Promise.all(ids.map(async (id) => [id, await this.readManifest(sessionId, folder, id)] as const));
    return new Map(found.filter(([, data]) => data !== undefined));
  }

  private async readManifest(sessionId: string, folder: ManifestFolder, id: string): Promise<unknown> {
    if (!SESSION_ID_PATTERN.test(id)) return undefined;
    const path = join(this.manifestDir(sessionId, folder), `${id}.json`);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      if (!errnoCode(err)) throw err;
      this.warnOnce(path, `Cannot read ${path} (${errnoCode(err)}): that ${MANIFEST_OF[folder]} is left out`);
      return undefined;
    }
    try {
      const data: unknown = JSON.parse(text);
      this.warned.delete(path);
      return data;
    } catch {
      this.warnOnce(path, `Skipped ${path}: not valid JSON (cut short or damaged)`);
      return undefined;
    }
  }

  /**
   * Runs a write into a session's folder. A refusal is a `storage` error,
   * except that a session folder gone while the storage folder is there
   * means another process deleted the session: not found, not a fault.
   */
  private async inSessionFolder<T>(sessionId: string, path: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      // An atomic write reports a refusal as a storage error already; its cause says what the file system said.
      const code = errnoCode(err) ?? (err instanceof CoreError ? errnoCode(err.cause) : undefined);
      if (code === 'ENOENT' && (await isFolder(this.sessionsDir)) && !(await isFolder(this.sessionDir(sessionId)))) {
        throw new NotFoundError('Session not found');
      }
      throw asStorageError(err, path);
    }
  }

}
