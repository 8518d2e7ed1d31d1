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

/**
 * Whether the process that owned something which this process does not
 * hold (a run it does not know as live) has ended: this process's own is
 * gone (it ended without writing so), another host's cannot be looked at
 * and is taken for running.
 */
export function ownerIsGone(owner: ProcessOwner): boolean {
  if (owner.pid === THIS_PROCESS.pid && owner.process === THIS_PROCESS.process) return true;
  if (owner.host !== THIS_PROCESS.host) return false;
  return !isRunning(owner);
}
