// A lock shared by processes on one machine: two VS Code windows on the
// same folder (or a window and `serve`) append to the same chat files. It is
// held only for the few file operations that assign and write one record.
// Creating the lock file with O_EXCL is atomic; a lock older than
// STALE_AFTER_MS was left by a process that died holding it (no holder
// keeps it that long).
import { promises as fs } from 'node:fs';

const STALE_AFTER_MS = 10_000;
const GIVE_UP_AFTER_MS = 30_000;

async function isStale(path: string): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(path)).mtimeMs > STALE_AFTER_MS;
  } catch {
    return false;
  }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let wait = 1;
  for (;;) {
    try {
      await (await fs.open(path, 'wx')).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(path)) {
        await fs.unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > GIVE_UP_AFTER_MS) throw new Error(`Timed out waiting for the lock ${path}`);
      // Another process holds it for a few file operations: poll briefly.
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 20);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.unlink(path).catch(() => undefined);
  }
}
