// A lock shared by processes on one machine: two VS Code windows on the
// same folder (or a window and `serve`) append to the same chat files. It is
// held only for the few file operations that assign and write one record.
//
// Creating the lock file with O_EXCL is atomic. The file names its owner
// (pid, host, and an id of the process, since pids are reused): a lock whose
// owner is no longer running on this host is stale at once, so the first
// prompt after a crash does not wait. A lock older than STALE_AFTER_MS is
// stale too (an owner on another host, or one that died before writing its
// name): no holder keeps it that long.
//
// Several processes may find one stale lock at the same moment. Only one
// at a time may remove it, under a second lock (`<lock>.break`), and only
// after looking again: the others then find the new owner's lock, which is
// not stale, instead of removing it.
//
// Taking and leaving a free lock are a handful of system calls on a local
// file, made synchronously: each asynchronous one is a trip through the
// thread pool, and a record's append made a dozen of them in a row, which
// on a busy machine cost more than the calls themselves (see
// docs/performance.md). Only waiting for a held lock is asynchronous.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, promises as fs, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { CoreError } from './errors';
import { isRunning, THIS_PROCESS as ME, type ProcessOwner as LockOwner } from './processOwner';

const STALE_AFTER_MS = 10_000;
const GIVE_UP_AFTER_MS = 30_000;

export interface FileLockOptions {
  /** How long to wait for another holder before failing with a `timeout` error. */
  giveUpAfterMs?: number;
}

/**
 * Creates the lock naming this process; its inode, or undefined when someone
 * holds it. The name is written to a file of this process first and linked
 * into place (a link fails if the name exists, as O_EXCL does), so a lock is
 * never seen without its owner: a holder killed while taking it leaves a
 * lock that is stale at once, or none, never an empty one that only its age
 * could free.
 */
function tryCreate(path: string): number | undefined {
  const draft = `${path}.${ME.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(draft, OWNER, { flag: 'wx' });
    linkSync(draft, path);
    return statSync(draft).ino;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return undefined;
    // A file system without hard links (some network shares): create and write, as before.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createAndWrite(path);
    throw err;
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // Never written, or gone already.
    }
  }
}

/** Creates the lock with O_EXCL, then writes the owner into it: a holder killed in between leaves a lock only its age frees. */
function createAndWrite(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  try {
    writeSync(fd, OWNER);
    return fstatSync(fd).ino;
  } catch (err) {
    try {
      unlinkSync(path);
    } catch {
      // Gone already.
    }
    throw err;
  } finally {
    closeSync(fd);
  }
}

const OWNER = JSON.stringify(ME);

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string'
      ? { pid: owner.pid, host: owner.host, process: String(owner.process ?? '') }
      : undefined;
  } catch {
    // Empty (its owner is between creating and writing it) or not ours: only its age tells.
    return undefined;
  }
}

/** The inode of the lock at `path` if it is stale, else undefined (also when it is gone). */
async function staleInode(path: string): Promise<number | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    // Owner and age from one open file, so both describe the same lock.
    const stat = await handle.stat();
    const owner = parseOwner(await handle.readFile('utf8'));
    if (owner && owner.host === ME.host && !isRunning(owner)) return stat.ino;
    return Date.now() - stat.mtimeMs > STALE_AFTER_MS ? stat.ino : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

/** Removes the file at `path` only if it is still the one with inode `ino`. */
function unlinkIfSame(path: string, ino: number): void {
  try {
    if (statSync(path).ino === ino) unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** Removes the lock if it is (still) stale; false when another process is doing that right now. */
async function breakStale(path: string): Promise<boolean> {
  const guard = `${path}.break`;
  const guardIno = tryCreate(guard);
  if (guardIno === undefined) {
    // Held for a few file operations only; a guard left by a process that died doing them is removed.
    const staleGuard = await staleInode(guard);
    if (staleGuard !== undefined) unlinkIfSame(guard, staleGuard);
    return false;
  }
  try {
    const stale = await staleInode(path);
    if (stale !== undefined) unlinkIfSame(path, stale);
    return true;
  } finally {
    unlinkIfSame(guard, guardIno);
  }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const giveUpAfterMs = options.giveUpAfterMs ?? GIVE_UP_AFTER_MS;
  const started = Date.now();
  let wait = 1;
  let ino: number | undefined;
  for (;;) {
    ino = tryCreate(path);
    if (ino !== undefined) break;
    if (Date.now() - started > giveUpAfterMs) {
      throw new CoreError(
        'timeout',
        `Timed out after ${Math.round(giveUpAfterMs / 1000)} s waiting for the lock ${path}: another process holds it`,
      );
    }
    if ((await staleInode(path)) !== undefined && (await breakStale(path))) continue;
    // Another process holds it for a few file operations: poll briefly.
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 20);
  }
  try {
    return await fn();
  } finally {
    // Only our own: had this holder been taken for stale, the lock may be another's by now.
    unlinkIfSame(path, ino);
  }
}
