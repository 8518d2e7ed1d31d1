// Files under one root folder, laid out so that a crash at any instant
// leaves either the old or the new state:
//   sessions/<session_id>/session.json   metadata, replaced atomically
//   sessions/<session_id>/<chat_id>.jsonl one record per line, append-only
// Appending never rewrites history, so a prompt costs the same at record
// 4,000 as at record 1. A torn last line (a crash mid-append) is ignored on
// read and cut off before the next append.
import { promises as fs, constants as fsConstants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ChatRecordSchema, StoredSessionSchema, type ChatRecord, type StoredSession } from './schemas';
import { SESSION_ID_PATTERN } from './ids';
import { ConflictError, NotFoundError } from './errors';
import { withFileLock } from './fileLock';

const SESSION_FILE = 'session.json';
const TRASH_PREFIX = '.deleted-';

/** Writes a file so that readers see the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    // The rename's error is the one to report: a failing clean-up must not replace it.
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** Parses JSON lines, skipping a torn or corrupt line instead of failing the whole chat. */
function parseRecords(text: string): ChatRecord[] {
  const records: ChatRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed = ChatRecordSchema.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
    } catch {
      // A line cut short by a crash: the record was never acknowledged.
    }
  }
  return records;
}

export class SessionStore {
  readonly sessionsDir: string;
  /** Size of each chat file after this process's last append, and that record's id. */
  private readonly lastAppend = new Map<string, { size: number; id: number }>();
  /** Each chat file's size when this process last wrote or looked, to notice other writers. */
  private readonly seenSize = new Map<string, number>();
  /** Chat files another process appended to, noticed while this one appended. */
  private readonly foreignWrites = new Set<string>();
  /** Chats whose file tail has been checked since this process opened them. */
  private readonly repairedChats = new Set<string>();

  constructor(readonly root: string) {
    this.sessionsDir = join(root, 'sessions');
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

  async listSessions(): Promise<StoredSession[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.sessionsDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    const sessions = await Promise.all(
      names.map(async (name) => {
        if (name.startsWith(TRASH_PREFIX)) {
          // A delete that crashed after its rename: finish it.
          await fs.rm(join(this.sessionsDir, name), { recursive: true, force: true });
          return undefined;
        }
        return SESSION_ID_PATTERN.test(name) ? this.readSession(name) : undefined;
      }),
    );
    return sessions.filter((s): s is StoredSession => s !== undefined);
  }

  /** The session's metadata, or undefined when it does not exist (or was never completely created). */
  async readSession(sessionId: string): Promise<StoredSession | undefined> {
    try {
      const text = await fs.readFile(join(this.sessionDir(sessionId), SESSION_FILE), 'utf8');
      const parsed = StoredSessionSchema.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : undefined;
    } catch (err) {
      if (isErrno(err, 'ENOENT') || err instanceof SyntaxError || err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** Creates the session's folder and metadata; never overwrites an existing session, even one being created right now. */
  async createSession(session: StoredSession): Promise<void> {
    const dir = this.sessionDir(session.session_id);
    await fs.mkdir(dir, { recursive: true });
    const path = join(dir, SESSION_FILE);
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFileAtomic(tmp, JSON.stringify(session, null, 2));
    try {
      // link() fails if the name exists, so of two creators of one id exactly one wins.
      await fs.link(tmp, path);
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new ConflictError(`Session "${session.session_id}" already exists`);
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async writeSession(session: StoredSession): Promise<void> {
    await writeFileAtomic(join(this.sessionDir(session.session_id), SESSION_FILE), JSON.stringify(session, null, 2));
  }

  /** Removes every file of the session; a crash part-way is finished by the next listing. */
  async deleteSession(sessionId: string): Promise<void> {
    const dir = this.sessionDir(sessionId);
    const trash = join(this.sessionsDir, `${TRASH_PREFIX}${sessionId}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(dir, trash);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError('Session not found');
      throw err;
    }
    await fs.rm(trash, { recursive: true, force: true });
    for (const key of this.repairedChats) if (key.startsWith(`${sessionId}/`)) this.repairedChats.delete(key);
    for (const map of [this.lastAppend, this.seenSize]) for (const key of map.keys()) if (key.startsWith(`${dir}/`)) map.delete(key);
  }

  async readChat(sessionId: string, chatId: string): Promise<ChatRecord[]> {
    try {
      return parseRecords(await fs.readFile(this.chatPath(sessionId, chatId), 'utf8'));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
  }

  /**
   * The chat's last `count` complete records, oldest first, read from the
   * end of the file so that neither the next record id nor a context
   * strategy costs a read of the whole history.
   */
  async readTail(sessionId: string, chatId: string, count: number): Promise<ChatRecord[]> {
    if (count <= 0) return [];
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.chatPath(sessionId, chatId), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    try {
      const { size } = await handle.stat();
      let chunk = 16 * 1024 * Math.max(1, count);
      for (;;) {
        const start = Math.max(0, size - chunk);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        // The first line of a partial read may be cut; only trust what follows it.
        const records = parseRecords(buffer.toString('utf8', start === 0 ? 0 : buffer.indexOf(0x0a) + 1));
        if (records.length >= count || start === 0) return records.slice(-count);
        chunk *= 4;
      }
    } finally {
      await handle.close();
    }
  }

  /**
   * Appends the chat's next record: under a lock shared with other
   * processes on this storage folder, reads the last record id from the
   * file's end and writes the record `make` builds for the next id. So two
   * windows (or a window and `serve`) never give two records one id.
   */
  async appendNextRecord(sessionId: string, chatId: string, make: (id: number) => ChatRecord): Promise<ChatRecord> {
    const path = this.chatPath(sessionId, chatId);
    return withFileLock(`${path}.lock`, async () => {
      await this.repairOnce(sessionId, chatId, path);
      const handle = await fs.open(path, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o644);
      try {
        // The file's size tells whether anyone wrote since this process did; if not, the last id is known.
        const { size } = await handle.stat();
        const known = this.lastAppend.get(path);
        const seen = this.seenSize.get(path);
        if (seen !== undefined && seen !== size) this.foreignWrites.add(path);
        const lastId = known && known.size === size ? known.id : ((await this.readTail(sessionId, chatId, 1))[0]?.chat_record_id ?? 0);
        const record = make(lastId + 1);
        const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
        await handle.write(line);
        this.lastAppend.set(path, { size: size + line.length, id: record.chat_record_id });
        this.seenSize.set(path, size + line.length);
        return record;
      } finally {
        await handle.close();
      }
    });
  }

  /**
   * Whether another process wrote to the chat since this process last
   * appended to it or asked; a chat never seen before counts as changed.
   */
  async takeForeignChanges(sessionId: string, chatId: string): Promise<boolean> {
    const path = this.chatPath(sessionId, chatId);
    const size = await fs.stat(path).then((s) => s.size, () => 0);
    const changed = this.foreignWrites.delete(path) || this.seenSize.get(path) !== size;
    this.seenSize.set(path, size);
    return changed;
  }

  /** Appends one record as one line; the record is on disk (in the OS) when this resolves. */
  async appendRecord(sessionId: string, chatId: string, record: ChatRecord): Promise<void> {
    const path = this.chatPath(sessionId, chatId);
    await this.repairOnce(sessionId, chatId, path);
    await this.writeLine(path, record);
  }

  private async repairOnce(sessionId: string, chatId: string, path: string): Promise<void> {
    const key = `${sessionId}/${chatId}`;
    if (!this.repairedChats.has(key)) {
      await this.cutTornTail(path);
      this.repairedChats.add(key);
    }
  }

  private async writeLine(path: string, record: ChatRecord): Promise<void> {
    // One write() of a whole line with O_APPEND: concurrent appenders never interleave within a line.
    const handle = await fs.open(path, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o644);
    try {
      await handle.write(`${JSON.stringify(record)}\n`);
    } finally {
      await handle.close();
    }
  }

  /** Cuts a last line left without its newline by a crash, so the next record starts on a line of its own. */
  private async cutTornTail(path: string): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r+');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) return;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] === 0x0a) return;
      let chunk = 16 * 1024;
      for (;;) {
        const start = Math.max(0, size - chunk);
        const buffer = Buffer.alloc(size - start);
        await handle.read(buffer, 0, buffer.length, start);
        const newline = buffer.lastIndexOf(0x0a);
        if (newline >= 0 || start === 0) {
          await handle.truncate(newline >= 0 ? start + newline + 1 : 0);
          return;
        }
        chunk *= 4;
      }
    } finally {
      await handle.close();
    }
  }
}
