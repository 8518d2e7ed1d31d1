// Which process owns something in the storage folder (a lock, a running
// attack), and whether that process still runs. Pids are reused, so an
// owner also carries an id of the process that took it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export interface ProcessOwner {
  pid: number;
  host: string;
  /** Tells this process from an earlier one that had the same pid (a container restarted). */
  process: string;
}

export const THIS_PROCESS: ProcessOwner = { pid: process.pid, host: hostname(), process: randomUUID() };

/** Whether `owner` is still running; only answerable for owners on this host (callers check the host first). */
export function isRunning(owner: ProcessOwner): boolean {
  if (owner.pid === THIS_PROCESS.pid) return owner.process === THIS_PROCESS.process;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
