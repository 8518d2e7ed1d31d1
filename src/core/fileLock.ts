// A lock file shared by processes on one machine: two VS Code windows on
// the same folder (or a window and `serve`) append to the same chat files.
// Held only for the few file operations that assign and write one record.
import { promises as fs } from 'node:fs';

const STALE_AFTER_MS = 10_000;
const GIVE_UP_AFTER_MS = 30_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock whose holder died, or that outlived any real holder, may be taken over. */
async function isStale(path: string): Promise<boolean> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    const pid = Number(text);
    return (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) || Date.now() - stat.mtimeMs > STALE_AFTER_MS;
  } catch {
    return false;
  }
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let wait = 1;
  for (;;) {
    try {
      const handle = await fs.open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await isStale(path)) {
        await fs.rm(path, { force: true });
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
    await fs.rm(path, { force: true });
  }
}
