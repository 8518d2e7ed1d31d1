// Benchmarks of dataset runs: 10,000 rows to 4 echo endpoints (records per
// second, and what a run adds per call over the same prompts sent bare at
// the same concurrency), the memory of a 100,000-row run (the dataset is
// streamed through a bounded window), and a resume after kill -9 at a random
// moment (answers lost, answers sent twice). The echo endpoints have their
// limits raised to 100,000 calls/s and 64 at once: the built-in echo allows
// 1,000/s, which would be the figure measured instead of the run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openCore, type Core } from '../src/core/openCore';
import { MemorySecretStore } from '../src/core/secrets';

export interface DatasetRunRow {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
}

export const ECHOES = ['echo-a', 'echo-b', 'echo-c', 'echo-d'].map((id) => ({
  id,
  name: id,
  connector_type: 'echo',
  max_calls_per_second: 100_000,
  max_concurrency: 64,
}));

export function dataset(dir: string, rows: number): string {
  const file = join(dir, `rows-${rows}.jsonl`);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++)
    lines.push(
      JSON.stringify({
        id: `r${i}`,
        input: `Row ${i}: a prompt of a typical length, asking the model something it may or may not answer.`,
      }),
    );
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export async function withCore<T>(dir: string, fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await openCore({
    storageDir: join(dir, `store-${Math.random().toString(36).slice(2)}`),
    endpointSources: [{ kind: 'inline', origin: 'bench', endpoints: ECHOES }],
    promptTemplateFolders: [],
    secrets: new MemorySecretStore(),
  });
  try {
    return await fn(core);
  } finally {
    await core.drain();
    core.dispose();
  }
}

/** Seconds a run of `file` to the four echoes takes. */
async function timedRun(core: Core, file: string): Promise<number> {
  const session = await core.sessions.create({ name: 'bench run', endpoints: ECHOES.map((e) => e.id) });
  const started = performance.now();
  const run = await core.runs.start({ session_id: session.session_id }, { datasetFile: file });
  await core.drain();
  const done = await core.runs.get(run.run_id);
  if (done.status !== 'done') throw new Error(`bench run ${done.status}: ${done.error}`);
  return (performance.now() - started) / 1000;
}

/** Seconds the same prompts take sent bare with SessionService.prompt, as many at once as the run's window allows. */
async function timedBare(core: Core, rows: number, window: number): Promise<number> {
  const session = await core.sessions.create({ name: 'bench bare', endpoints: ECHOES.map((e) => e.id) });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < rows) {
        const i = next++;
        await core.sessions.prompt(
          session.session_id,
          `Row ${i}: a prompt of a typical length, asking the model something it may or may not answer.`,
        );
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

async function throughput(dir: string): Promise<DatasetRunRow[]> {
  const rows = 10_000;
  const file = dataset(dir, rows);
  const window = 512;
  // Best of two of each, interleaved, each on a fresh storage folder.
  const run: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 2; i++) {
    run.push(await withCore(dir, (core) => timedRun(core, file)));
    bare.push(await withCore(dir, (core) => timedBare(core, rows, window)));
  }
  const calls = rows * ECHOES.length;
  const runSeconds = Math.min(...run);
  const bareSeconds = Math.min(...bare);
  const perCall = ((runSeconds - bareSeconds) / calls) * 1000;
  return [
    {
      name: 'dataset run, 10,000 rows x 4 echo endpoints: records per second',
      value: calls / runSeconds,
      unit: 'rec/s',
      target: '',
      ok: true,
    },
    {
      name: 'the same prompts sent bare (SessionService.prompt, 512 at once): records per second',
      value: calls / bareSeconds,
      unit: 'rec/s',
      target: '',
      ok: true,
    },
    { name: 'what a run adds per call over a bare prompt', value: perCall, unit: 'ms', target: '< 2', ok: perCall < 2 },
  ];
}

interface MemoryFigures {
  baseline: number;
  peak: number;
  early: number;
  heapGrowth: number;
  seconds: number;
}

async function memoryChild(dir: string, file: string, name: string): Promise<MemoryFigures> {
  const args = ['--expose-gc', join(__dirname, 'datasetRunChild.js'), 'memory', join(dir, name), file];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  await once(child, 'exit');
  return JSON.parse(line) as MemoryFigures;
}

/**
 * A 100,000-row run to one echo endpoint in a child process, its resident memory sampled as it goes, and its JS heap
 * after a collection at the start and at the end: what the run keeps, beside what is garbage not yet collected.
 */
async function memory(dir: string): Promise<DatasetRunRow[]> {
  const rows = 100_000;
  const file = dataset(dir, rows);
  const mib = (bytes: number) => bytes / 2 ** 20;
  const plain = await memoryChild(dir, file, 'store-memory');
  const growth = mib(plain.peak - plain.baseline);
  const later = mib(plain.peak - plain.early);
  return [
    {
      name: 'dataset run, 100,000 rows x 1 echo endpoint: resident memory growth, start to peak',
      value: growth,
      unit: 'MiB',
      target: '< 50',
      ok: growth < 50,
    },
    {
      name: 'dataset run, 100,000 rows: growth after the first 10,000 rows (flat?)',
      value: later,
      unit: 'MiB',
      target: '≈ 0',
      ok: later < 20,
    },
    {
      name: 'dataset run, 100,000 rows: JS heap growth, start to end (after a GC)',
      value: mib(plain.heapGrowth),
      unit: 'MiB',
      target: '≈ 0 (flat)',
      ok: mib(plain.heapGrowth) < 10,
    },
    {
      name: 'dataset run, 100,000 rows x 1 echo endpoint: records per second',
      value: rows / plain.seconds,
      unit: 'rec/s',
      target: '',
      ok: true,
    },
  ];
}

/** Kills a child's run at a random moment (kill -9), resumes it here, and counts answers lost and answers sent twice. */
async function killAndResume(dir: string): Promise<DatasetRunRow[]> {
  const rows = 3000;
  const file = dataset(dir, rows);
  const storage = join(dir, 'store-kill');
  const child = spawn(process.execPath, [join(__dirname, 'datasetRunChild.js'), 'kill', storage, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { run_id: runId, session_id: sessionId } = JSON.parse(line) as { run_id: string; session_id: string };
  // At a random moment once answers are being written: after 1 to 60% of them.
  const killAt = Math.floor(rows * ECHOES.length * (0.01 + Math.random() * 0.59));
  const sessionDir = join(storage, 'sessions', sessionId);
  const written = async () => {
    let n = 0;
    for (const name of await fs.readdir(sessionDir))
      if (name.endsWith('.jsonl') && !name.includes('.scores.'))
        n += (await fs.readFile(join(sessionDir, name), 'utf8')).split('\n').length - 1;
    return n;
  };
  while ((await written()) < killAt) await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await exited;
  const core = await openCore({
    storageDir: storage,
    endpointSources: [{ kind: 'inline', origin: 'bench', endpoints: ECHOES }],
    promptTemplateFolders: [],
    secrets: new MemorySecretStore(),
  });
  try {
    const session = await core.sessions.get(sessionId);
    const count = async () => {
      const byChat: Map<string, number>[] = [];
      for (const chatId of session.chat_ids) {
        const counts = new Map<string, number>();
        for await (const record of core.store.streamChat(sessionId, chatId)) {
          if (record.run_id === runId && record.error === null) counts.set(record.row_id!, (counts.get(record.row_id!) ?? 0) + 1);
        }
        byChat.push(counts);
      }
      return byChat;
    };
    const before = await count();
    const acknowledged = before.reduce((n, m) => n + m.size, 0);
    await core.runs.resume(runId);
    await core.drain();
    const after = await count();
    let lost = 0;
    let twice = 0;
    for (const [i, counts] of after.entries()) {
      for (const rowId of before[i]!.keys()) if (!counts.has(rowId)) lost++;
      for (const n of counts.values()) if (n > 1) twice += n - 1;
      lost += rows - counts.size;
    }
    return [
      {
        name: `kill -9 of a run at a random moment: answers acknowledged before the kill (of ${rows * ECHOES.length})`,
        value: acknowledged,
        unit: 'rec',
        target: '',
        ok: true,
      },
      { name: 'resumed: answers lost', value: lost, unit: 'rec', target: '0', ok: lost === 0 },
      { name: 'resumed: answers sent twice', value: twice, unit: 'rec', target: '0', ok: twice === 0 },
    ];
  } finally {
    core.dispose();
  }
}

export async function measureDatasetRuns(): Promise<DatasetRunRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-runs-'));
  try {
    return [...(await throughput(dir)), ...(await memory(dir)), ...(await killAndResume(dir))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
