// Bench child processes: a script next to this one (or any node script)
// whose stdout lines can be awaited, and what /proc says about a process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Child {
  child: ChildProcess;
  pid: number;
  nextLine(): Promise<string>;
  send(line: string): void;
  stop(): Promise<void>;
}

/** Starts `node <script> ...args`; a relative script is one of the bench's own, next to this file. Closing stdin ends it. */
export function startChild(script: string, args: string[], options: { execArgv?: string[] } = {}): Child {
  const path = script.startsWith('/') ? script : join(__dirname, script);
  const child = spawn(process.execPath, [...(options.execArgv ?? []), path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  // Lines are queued as they come: one may come before anyone asks for it.
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const take = waiting.shift();
    if (take) take(line);
    else lines.push(line);
  });
  const exited = once(child, 'exit');
  return {
    child,
    pid: child.pid!,
    nextLine: () => new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiting.push(resolve))),
    send: (line: string) => void child.stdin!.write(`${line}\n`),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.stdin!.end();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? '';
  return Number(/(\d+)/.exec(line)?.[1] ?? NaN) / 1024;
}

/** CPU time (user + system) a process has used so far, ms (at the kernel's clock-tick resolution). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The machine's load averages, as `uptime` shows them. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
