// How many inotify watches a process holds, from /proc/<pid>/fdinfo of its
// inotify descriptors (one "inotify wd:" line per watch). Linux only:
// undefined elsewhere.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export function inotifyWatches(pid: number | 'self' = 'self'): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    try {
      count += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n').filter((line) => line.startsWith('inotify wd:')).length;
    } catch {
      // Closed while looking.
    }
  }
  return count;
}
