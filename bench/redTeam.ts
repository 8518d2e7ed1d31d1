// Benchmarks of the red-teaming parts: an attack run against slow
// endpoints (does the run keep every allowed call slot busy, and what does
// it add per variant?), and what connected event-stream clients cost a
// prompt.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BENCH_PROMPT } from './attackTransforms';
import { withServer } from './benchServer';

export interface RedTeamRow {
  name: string;
  value: number;
  unit: string;
  target: string;
  ok: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** A bench child process (a script next to this one) whose stdout lines can be awaited; stdin closing ends it. */
async function startChild(script: string, args: string[]) {
  const child = spawn(process.execPath, [join(__dirname, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    nextLine: () => new Promise<string>((resolve) => (lines.length > 0 ? resolve(lines.shift()!) : waiting.push(resolve))),
    send: (line: string) => void child.stdin!.write(`${line}\n`),
    stop: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

/**
 * 100 charswap variants of a 1,000-character prompt to 4 endpoints that each
 * take 200 ms a call (the fake server's delay:200, which then echoes) and
 * allow 2 calls at once: 8 calls at once in all, so the endpoints allow
 * nothing faster than 100 x 4 / 8 x 200 ms = 10 s. The same variants are
 * also sent as plain prompts, all at once: what the attack run adds is the
 * difference. Best of two of each, interleaved.
 */
export async function measureAttackRun(): Promise<RedTeamRow[]> {
  const fake = await startChild('fakeServer.js', []);
  const uri = await fake.nextLine();
  const ids = ['a', 'b', 'c', 'd'].map((x) => `slow-${x}`);
  const perEndpoint = 2;
  const callMs = 200;
  const endpoints = ids.map((id) => ({
    id,
    name: id,
    connector_type: 'openai-connector',
    uri,
    token: 'bench',
    max_calls_per_second: 10_000,
    max_concurrency: perEndpoint,
    model: `delay:${callMs}`,
    params: { max_attempts: 1 },
  }));
  try {
    return await withServer(endpoints, async (core, _server, post) => {
      const { session } = (await post('/v1/sessions', { name: 'attack bench', endpoints: ids })) as { session: { session_id: string } };
      const body = { attack_modules: ['charswap_attack'], prompt: BENCH_PROMPT, num_variants: 100, seed: 1 };
      const attackOnce = async () => {
        const ended = new Promise<{ status: string; done: number; total: number; variants: number }>((resolve) => {
          const sub = core.attacks.onDidChange((e) => {
            if (e.type !== 'ended') return;
            sub.dispose();
            resolve(e.attack);
          });
        });
        const started = performance.now();
        await post(`/v1/sessions/${session.session_id}/attacks`, body);
        const attack = await ended;
        if (attack.status !== 'done' || attack.done !== attack.total)
          throw new Error(`the bench attack ended ${attack.status} with ${attack.done} of ${attack.total}`);
        return { wall: performance.now() - started, variants: attack.variants };
      };
      // Warm up (connections, compiled code) with a run of one variant.
      await core.attacks.start(session.session_id, { ...body, num_variants: 1 });
      await core.drain();
      const plainOnce = async (prompts: string[]) => {
        const started = performance.now();
        await Promise.all(prompts.map((p) => post(`/v1/sessions/${session.session_id}/prompt?history=new`, { prompt: p })));
        return performance.now() - started;
      };
      const attacks: number[] = [];
      const plains: number[] = [];
      let count = 0;
      for (let round = 0; round < 2; round++) {
        const run = await attackOnce();
        attacks.push(run.wall);
        count = run.variants;
        const last = (await core.attacks.list(session.session_id))[0]!;
        const prompts = (await core.attacks.detail(session.session_id, last.attack_id)).variants.map((v) => v.prompt);
        plains.push(await plainOnce(prompts));
      }
      const wall = Math.min(...attacks);
      const plain = Math.min(...plains);
      const ideal = (count * ids.length * callMs) / (ids.length * perEndpoint);
      const added = (wall - plain) / count;
      const above = (wall - ideal) / count;
      return [
        {
          name: `attack run: ${count} variants x ${ids.length} endpoints of ${callMs} ms, ${perEndpoint} calls at once each (8 in all): ` +
            `wall time`,
          value: wall,
          unit: 'ms',
          target: `<= ${Math.round(ideal * 1.1)} (${Math.round(ideal)} +10%)`,
          ok: wall <= ideal * 1.1,
        },
        {
          name: `the same ${count} variants as ${count} plain prompts sent at once: wall time`,
          value: plain,
          unit: 'ms',
          target: '',
          ok: true,
        },
        { name: 'attack run: what it adds per variant over the plain prompts', value: added, unit: 'ms', target: '< 2', ok: added < 2 },
        {
          name: "attack run: all above the endpoints' limit, per variant (prompt path included)",
          value: above,
          unit: 'ms',
          target: '',
          ok: true,
        },
      ];
    });
  } finally {
    await fake.stop();
  }
}

/**
 * The median time of a prompt to the echo endpoint through the API, with no event-stream client and
 * with 10 connected (in another process, reading).
 */
export async function measureEventStreamCost(): Promise<RedTeamRow[]> {
  const clientCount = 10;
  return withServer([], async (core, server, post) => {
    const { session } = (await post('/v1/sessions', { name: 'sse bench', endpoints: ['echo'] })) as { session: { session_id: string } };
    const path = `/v1/sessions/${session.session_id}/prompt?history=new`;
    /** CPU time of this process (the server, its client and the core) per prompt, by condition. */
    const cpu = { without: 0, with: 0 };
    const round = async (n: number, condition?: keyof typeof cpu) => {
      const times: number[] = [];
      const started = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await post(path, { prompt: `prompt number ${i} with a few words in it` });
        times.push(performance.now() - t);
      }
      const used = process.cpuUsage(started);
      if (condition) cpu[condition] += (used.user + used.system) / 1000;
      return times;
    };
    await round(100);
    const without: number[] = [];
    for (let r = 0; r < 3; r++) without.push(...(await round(100, 'without')));
    const clients = await startChild('sseClients.js', [String(server.port), 'bench', String(clientCount)]);
    const withClients: number[] = [];
    try {
      if ((await clients.nextLine()) !== 'ready') throw new Error('the event-stream clients did not start');
      const before = core.events.lastId;
      for (let r = 0; r < 3; r++) withClients.push(...(await round(100, 'with')));
      const sent = core.events.lastId - before;
      // Let the last frames arrive, then ask what each client got.
      await new Promise((resolve) => setTimeout(resolve, 300));
      clients.send('report');
      const counts = JSON.parse(await clients.nextLine()) as number[];
      if (counts.some((c) => c < sent)) throw new Error(`a client missed events: ${counts.join(', ')} of ${sent}`);
    } finally {
      await clients.stop();
    }
    const extra = median(withClients) - median(without);
    const cpuExtra = (cpu.with - cpu.without) / withClients.length;
    return [
      { name: 'prompt to echo through the API, no event-stream client (median)', value: median(without), unit: 'ms', target: '', ok: true },
      {
        name: `prompt to echo through the API, ${clientCount} event-stream clients reading (median)`,
        value: median(withClients),
        unit: 'ms',
        target: '',
        ok: true,
      },
      { name: `what ${clientCount} event-stream clients add to a prompt`, value: extra, unit: 'ms', target: '< 1', ok: extra < 1 },
      {
        name: `what ${clientCount} event-stream clients add to a prompt, in CPU time of the server's process`,
        value: cpuExtra,
        unit: 'ms',
        target: '< 1',
        ok: cpuExtra < 1,
      },
    ];
  });
}
