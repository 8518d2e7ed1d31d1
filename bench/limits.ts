// The product beside its limits: `serve` (a process of its own, as users
// run it) against a bare node:http server answering the same bytes, and a
// prompt through the API against the same model calls made directly with
// the SDK. Load comes from another process (loadClient.ts). The machine is
// shared, so product and limit are measured in turns, several times, and
// the medians are reported.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { SessionStore } from '../src/core/store';
import type { StoredChatRecord, StoredSession } from '../src/core/schemas';
import { createConnector } from '../src/core/connectors';
import type { Connector, ResolvedEndpoint } from '../src/core/connectors/types';
import { inotifyWatches } from '../test/support/inotify';
import { cpuMs, rssMiB, startChild, type Child } from './processes';

export interface LimitRow {
  name: string;
  /** The product's figure. */
  value: number;
  unit: string;
  /** The same measured on the limit (bare server, direct SDK call), when there is one. */
  limit?: number;
  /** value / limit, or limit / value for rates (so that 1 is the limit and more is worse). */
  ratio?: number;
  target: string;
  ok: boolean;
}

/** The CLI measured: this build's, or another one's (BENCH_CLI=path/to/cli.js) to compare builds. */
const CLI = process.env.BENCH_CLI ?? join(__dirname, '..', 'cli.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

const CREATED = '20240101-000000';
const CHAT_TIME = '20240101_000000';

function sessionOf(i: number, endpoints = ['echo']): StoredSession {
  return {
    session_id: `bench-${i}_${CREATED}`,
    name: `Bench ${i}`,
    description: 'a session made by the benchmark',
    created_epoch: 1704067200.5 + i,
    created_datetime: CREATED,
    chat_ids: endpoints.map((e) => `${e}_${CHAT_TIME}`),
    endpoints,
    prompt_template: null,
    context_strategy: null,
    filename: null,
    num_of_prev_prompts: 5,
    metric: null,
  };
}

/** A record of about 1 KB, in the store's own line format. */
function recordLine(id: number): string {
  const record: StoredChatRecord = {
    chat_record_id: id,
    conn_id: 'echo',
    context_strategy: '',
    prompt_template: '',
    prompt: `prompt ${id}: ${'a question of some length '.repeat(8)}`,
    prepared_prompt: `prompt ${id}: ${'a question of some length '.repeat(8)}`,
    predicted_result: `answer ${id}: ${'an answer that goes on for a while '.repeat(16)}`,
    duration: '0.412 secs',
    prompt_time: '01/01/2024, 00:00:00',
    error: null,
    prompt_id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    attack_module: '',
  };
  return JSON.stringify(record);
}

/** A storage folder with `count` sessions of `records` records each, written as files, then listed once (which writes the journal). */
async function storageWith(count: number, records = 0, recordsOf?: (i: number) => number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-limits-'));
  for (let i = 0; i < count; i++) {
    const session = sessionOf(i);
    const folder = join(dir, 'sessions', session.session_id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'session.json'), JSON.stringify(session, null, 2));
    const n = recordsOf ? recordsOf(i) : records;
    if (n > 0) {
      const lines: string[] = [];
      for (let id = 1; id <= n; id++) lines.push(recordLine(id));
      writeFileSync(join(folder, `${session.chat_ids[0]}.jsonl`), `${lines.join('\n')}\n`);
    }
  }
  mkdirSync(join(dir, 'sessions'), { recursive: true });
  await new SessionStore(dir).listSessions();
  return dir;
}

interface Serve {
  url: string;
  pid: number;
  /** From the spawn to the first answer of GET /v1/sessions. */
  startupMs: number;
  /** CPU time the process had used by then. */
  startupCpuMs: number;
  stop(): Promise<void>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; bytes: Buffer }> {
  const target = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function json<T>(url: string, method = 'GET', body?: unknown): Promise<T> {
  const res = await call(url, method, body);
  if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${res.bytes.toString('utf8').slice(0, 300)}`);
  return JSON.parse(res.bytes.toString('utf8')) as T;
}

async function startServe(storage: string, extra: string[] = []): Promise<Serve> {
  const started = performance.now();
  const child = startChild(CLI, ['serve', '--storage', storage, '--port', '0', '--no-auth', ...extra]);
  let url = '';
  for (;;) {
    const line = await child.nextLine();
    const found = /listening on (http:\/\/\S+)/.exec(line);
    if (found) {
      url = found[1]!;
      break;
    }
  }
  await json(`${url}/v1/sessions`);
  const startupMs = performance.now() - started;
  return { url, pid: child.pid, startupMs, startupCpuMs: cpuMs(child.pid), stop: () => child.stop() };
}

interface Bare {
  url: string;
  pid: number;
  child: Child;
  startupMs: number;
  startupCpuMs: number;
  /** Answers with another file's bytes from now on. */
  serve(file: string): Promise<void>;
}

async function startBare(file: string): Promise<Bare> {
  const started = performance.now();
  const child = startChild('bareServer.js', [file]);
  const url = await child.nextLine();
  await call(url);
  return {
    url,
    pid: child.pid,
    child,
    startupMs: performance.now() - started,
    startupCpuMs: cpuMs(child.pid),
    serve: async (path: string) => {
      child.send(path);
      await child.nextLine();
    },
  };
}

interface Load {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  bytes: number;
  errors: number;
  /** CPU time of the server per request, ms. */
  cpuPerRequest: number;
}

/** Load from another process on `url`, with the server's CPU time per request. */
interface LoadOptions {
  connections?: number;
  durationMs?: number;
  method?: string;
  body?: unknown;
}

async function load(url: string, serverPid: number, options: LoadOptions = {}): Promise<Load> {
  const spec = {
    url,
    connections: options.connections ?? 2,
    durationMs: options.durationMs ?? 2000,
    method: options.method,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  };
  const before = cpuMs(serverPid);
  const child = startChild('loadClient.js', [JSON.stringify(spec)]);
  const result = JSON.parse(await child.nextLine()) as Omit<Load, 'cpuPerRequest'>;
  await child.stop();
  const used = cpuMs(serverPid) - before;
  return { ...result, cpuPerRequest: used / Math.max(1, result.requests + 5) };
}

function bytesFile(bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'moonshot-bench-bytes-')), 'body.json');
  writeFileSync(path, bytes);
  return path;
}

/** Start-up to the first answer, inotify watches and memory of `serve` at 0 / 1,000 / 10,000 sessions; the limit: a bare server's start. */
export async function measureStartup(): Promise<LimitRow[]> {
  const rows: LimitRow[] = [];
  const tiny = bytesFile(Buffer.from('[]'));
  for (const count of [0, 1000, 10_000]) {
    const storage = await storageWith(count);
    const product: number[] = [];
    const bare: number[] = [];
    const productCpu: number[] = [];
    const bareCpu: number[] = [];
    let watches: number | undefined;
    let rss = NaN;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const serve = await startServe(storage);
        product.push(serve.startupMs);
        productCpu.push(serve.startupCpuMs);
        watches = inotifyWatches(serve.pid);
        rss = rssMiB(serve.pid);
        await serve.stop();
        const limit = await startBare(tiny);
        bare.push(limit.startupMs);
        bareCpu.push(limit.startupCpuMs);
        await limit.child.stop();
      }
    } finally {
      rmSync(storage, { recursive: true, force: true });
    }
    const what = `${count.toLocaleString('en-US')} sessions`;
    const value = median(product);
    const limit = median(bare);
    rows.push({
      name: `serve start-up to the first GET /v1/sessions answer, ${what} (limit: a bare node:http start)`,
      value,
      unit: 'ms',
      limit,
      ratio: value / limit,
      target: count === 10_000 ? '< 300' : '',
      ok: count !== 10_000 || value < 300,
    });
    rows.push({
      name: `serve start-up to the first answer, ${what}: CPU time used`,
      value: median(productCpu),
      unit: 'ms',
      limit: median(bareCpu),
      ratio: median(productCpu) / median(bareCpu),
      target: '',
      ok: true,
    });
    rows.push({
      name: `serve: inotify watches, ${what}`,
      value: watches ?? NaN,
      unit: '',
      target: 'constant',
      ok: watches !== undefined && watches <= 2,
    });
    rows.push({ name: `serve: resident memory after the first listing, ${what}`, value: rss, unit: 'MiB', target: '', ok: true });
  }
  return rows;
}

/** GET /v1/sessions at 1 / 1,000 / 10,000 sessions against a bare server answering the same bytes. */
export async function measureListing(): Promise<LimitRow[]> {
  const rows: LimitRow[] = [];
  for (const count of [1, 1000, 10_000]) {
    const storage = await storageWith(count);
    const serve = await startServe(storage);
    const body = (await call(`${serve.url}/v1/sessions`)).bytes;
    const bare = await startBare(bytesFile(body));
    const product: Load[] = [];
    const limit: Load[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        product.push(await load(`${serve.url}/v1/sessions`, serve.pid));
        limit.push(await load(bare.url, bare.pid));
      }
    } finally {
      await serve.stop();
      await bare.child.stop();
      rmSync(storage, { recursive: true, force: true });
    }
    const what = `${count.toLocaleString('en-US')} sessions (${(body.length / 1024).toFixed(0)} KiB)`;
    const rps = median(product.map((l) => l.rps));
    const limitRps = median(limit.map((l) => l.rps));
    rows.push({
      name: `GET /v1/sessions, ${what}: requests/s (2 connections)`,
      value: rps,
      unit: '/s',
      limit: limitRps,
      ratio: limitRps / rps,
      target: count === 1000 ? '>= 50% of the limit' : '',
      ok: count !== 1000 || rps >= limitRps / 2,
    });
    rows.push({
      name: `GET /v1/sessions, ${what}: server CPU per request`,
      value: median(product.map((l) => l.cpuPerRequest)),
      unit: 'ms',
      limit: median(limit.map((l) => l.cpuPerRequest)),
      target: '',
      ok: true,
    });
    const p50 = median(product.map((l) => l.p50));
    const limitP50 = median(limit.map((l) => l.p50));
    rows.push({
      name: `GET /v1/sessions, ${what}: latency (median)`,
      value: p50,
      unit: 'ms',
      limit: limitP50,
      ratio: p50 / limitP50,
      target: count === 10_000 ? '< 20' : '',
      ok: count !== 10_000 || p50 < 20,
    });
  }
  return rows;
}

/**
 * GET ?include_history=true of one chat of 1 / 1,000 / 10,000 records
 * against a bare server answering the same bytes; memory for 100,000.
 */
export async function measureHistory(): Promise<LimitRow[]> {
  const sizes = [1, 1000, 10_000];
  const storage = await storageWith(sizes.length + 1, 0, (i) => [...sizes, 100_000][i] ?? 0);
  const serve = await startServe(storage);
  const rows: LimitRow[] = [];
  let bare: Bare | undefined;
  try {
    for (const [i, count] of sizes.entries()) {
      const url = `${serve.url}/v1/sessions/${sessionOf(i).session_id}?include_history=true`;
      const body = (await call(url)).bytes;
      const file = bytesFile(body);
      if (bare) await bare.serve(file);
      else bare = await startBare(file);
      const product: Load[] = [];
      const limit: Load[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        product.push(await load(url, serve.pid, { connections: 1, durationMs: 1500 }));
        limit.push(await load(bare.url, bare.pid, { connections: 1, durationMs: 1500 }));
      }
      const p50 = median(product.map((l) => l.p50));
      const limitP50 = median(limit.map((l) => l.p50));
      const what = `${count.toLocaleString('en-US')} records (${(body.length / 2 ** 20).toFixed(1)} MiB)`;
      rows.push({
        name: `GET /v1/sessions/{id}?include_history=true, ${what}: latency (median)`,
        value: p50,
        unit: 'ms',
        limit: limitP50,
        ratio: p50 / limitP50,
        target: count >= 1000 ? '<= 1.5x the limit' : '',
        ok: count < 1000 || p50 <= limitP50 * 1.5,
      });
    }
    // The longest: what answering it costs in memory, while it is sent.
    const before = rssMiB(serve.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(serve.pid))), 5);
    const started = performance.now();
    const big = await call(`${serve.url}/v1/sessions/${sessionOf(sizes.length).session_id}?include_history=true`);
    const took = performance.now() - started;
    clearInterval(sampler);
    rows.push({
      name: `include_history of 100,000 records (${(big.bytes.length / 2 ** 20).toFixed(0)} MiB): time`,
      value: took,
      unit: 'ms',
      target: '',
      ok: true,
    });
    rows.push({
      name: "include_history of 100,000 records: growth of the server's memory while answering",
      value: peak - before,
      unit: 'MiB',
      target: '< 50',
      ok: peak - before < 50,
    });
  } finally {
    await serve.stop();
    await bare?.child.stop();
    rmSync(storage, { recursive: true, force: true });
  }
  return rows;
}

const fakeEndpoint = (uri: string, id: string, model: string) => ({
  id,
  name: id,
  connector_type: 'openai-connector',
  uri,
  token: 'bench',
  max_calls_per_second: 10_000,
  max_concurrency: 1000,
  model,
  params: { max_attempts: 1 },
});

const resolved = (e: ReturnType<typeof fakeEndpoint>): ResolvedEndpoint => ({ ...e, params: { ...e.params } });

/** A session on `serve` over `endpoints`, and a call that prompts it (only the new records back). */
async function promptingSession(serve: Serve, ids: string[]) {
  const { session } = await json<{ session: { session_id: string } }>(`${serve.url}/v1/sessions`, 'POST', {
    name: 'limits',
    endpoints: ids,
  });
  return (prompt: string) => json(`${serve.url}/v1/sessions/${session.session_id}/prompt?history=new`, 'POST', { prompt });
}

/** Direct SDK calls, one client per endpoint (as a careful script would), all at once. */
function directCalls(endpoints: ReturnType<typeof fakeEndpoint>[]): (prompt: string) => Promise<unknown> {
  const connectors: Connector[] = endpoints.map((e) => createConnector(resolved(e)));
  return (prompt) => Promise.all(connectors.map((c) => c.complete({ messages: [{ role: 'user', content: prompt }] })));
}

async function withFake<T>(fn: (uri: string) => Promise<T>): Promise<T> {
  const fake = startChild('fakeServer.js', []);
  try {
    return await fn(await fake.nextLine());
  } finally {
    await fake.stop();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** One prompt to K endpoints of 200 ms through `serve`, against the same K calls made directly with the SDK. */
export async function measureFanOut(): Promise<LimitRow[]> {
  return withFake(async (uri) => {
    const rows: LimitRow[] = [];
    for (const k of [1, 4, 16]) {
      const endpoints = Array.from({ length: k }, (_, i) => fakeEndpoint(uri, `slow${i}`, 'delay:200'));
      const storage = mkdtempSync(join(tmpdir(), 'moonshot-bench-fan-'));
      const file = join(storage, 'endpoints.json');
      writeFileSync(file, JSON.stringify(endpoints));
      const serve = await startServe(storage, ['--endpoints', file]);
      try {
        const viaApi = await promptingSession(serve, endpoints.map((e) => e.id));
        const direct = directCalls(endpoints);
        const api: number[] = [];
        const sdk: number[] = [];
        for (let i = 0; i < 3; i++) {
          await viaApi(`warm ${i}`);
          await direct(`warm ${i}`);
        }
        for (let i = 0; i < 5 * ROUNDS; i++) {
          api.push(await timed(() => viaApi(`p${i}`)));
          sdk.push(await timed(() => direct(`p${i}`)));
        }
        const value = median(api);
        const limit = median(sdk);
        rows.push({
          name: `one prompt to ${k} endpoint${k > 1 ? 's' : ''} of 200 ms (limit: the ${k} calls made directly with the SDK)`,
          value,
          unit: 'ms',
          limit,
          ratio: value / limit,
          target: k === 16 ? '<= 1.02x the limit' : '',
          ok: k !== 16 || value <= limit * 1.02,
        });
      } finally {
        await serve.stop();
        rmSync(storage, { recursive: true, force: true });
      }
    }
    return rows;
  });
}

/** What the API adds to one model call, at the median and at p99, one request at a time; and prompts/s to the offline echo. */
export async function measureCallOverhead(): Promise<LimitRow[]> {
  return withFake(async (uri) => {
    const endpoint = fakeEndpoint(uri, 'fast', 'reply:ok');
    const storage = mkdtempSync(join(tmpdir(), 'moonshot-bench-call-'));
    const file = join(storage, 'endpoints.json');
    writeFileSync(file, JSON.stringify([endpoint]));
    const serve = await startServe(storage, ['--endpoints', file]);
    try {
      const viaApi = await promptingSession(serve, ['fast']);
      const direct = directCalls([endpoint]);
      for (let i = 0; i < 50; i++) {
        await viaApi('warm');
        await direct('warm');
      }
      const api: number[] = [];
      const sdk: number[] = [];
      // Interleaved, so both see the same machine.
      for (let i = 0; i < 300 * ROUNDS; i++) {
        api.push(await timed(() => viaApi(`p${i}`)));
        sdk.push(await timed(() => direct(`p${i}`)));
      }
      const echo = await promptingSession(serve, ['echo']);
      await echo('warm');
      const { session } = await json<{ session: { session_id: string } }>(`${serve.url}/v1/sessions`, 'POST', {
        name: 'echo load',
        endpoints: ['echo'],
      });
      const echoLoad = await load(`${serve.url}/v1/sessions/${session.session_id}/prompt?history=new`, serve.pid, {
        connections: 8,
        durationMs: 2000,
        method: 'POST',
        body: { prompt: 'hello' },
      });
      return [
        {
          name: 'a model call through the API, one at a time (limit: the direct SDK call): median',
          value: median(api),
          unit: 'ms',
          limit: median(sdk),
          ratio: median(api) / median(sdk),
          target: '',
          ok: true,
        },
        {
          name: 'what the API adds to a model call: median',
          value: median(api) - median(sdk),
          unit: 'ms',
          target: '< 2',
          ok: median(api) - median(sdk) < 2,
        },
        {
          name: 'what the API adds to a model call: p99',
          value: quantile(api, 0.99) - quantile(sdk, 0.99),
          unit: 'ms',
          target: '< 3',
          ok: quantile(api, 0.99) - quantile(sdk, 0.99) < 3,
        },
        {
          name: 'prompts to the offline echo endpoint, 8 connections',
          value: echoLoad.rps,
          unit: '/s',
          target: '> 1000 (no rate cap)',
          ok: echoLoad.rps > 1000,
        },
      ];
    } finally {
      await serve.stop();
      rmSync(storage, { recursive: true, force: true });
    }
  });
}

/**
 * The lowest resident memory of a process over `ms`: what it settles at
 * once V8 has collected (its memory reducer runs after some seconds idle).
 */
async function settledRss(pid: number, ms: number): Promise<number> {
  let low = rssMiB(pid);
  for (const until = performance.now() + ms; performance.now() < until; ) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    low = Math.min(low, rssMiB(pid));
  }
  return low;
}

/** `serve` idle with 1,000 sessions x 100 records, and after each of two storms of 500 prompts. */
export async function measureMemory(): Promise<LimitRow[]> {
  const storage = await storageWith(1000, 100);
  const serve = await startServe(storage);
  const storm = async () => {
    const sessions = Array.from({ length: 50 }, (_, i) => sessionOf(i).session_id);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 500) {
          const i = next++;
          await json(`${serve.url}/v1/sessions/${sessions[i % sessions.length]}/prompt?history=new`, 'POST', { prompt: `storm ${i}` });
        }
      }),
    );
  };
  try {
    const idle = await settledRss(serve.pid, 25_000);
    await storm();
    const peak = rssMiB(serve.pid);
    const afterFirst = await settledRss(serve.pid, 25_000);
    await storm();
    const afterSecond = await settledRss(serve.pid, 25_000);
    return [
      {
        name: 'serve idle, 1,000 sessions x 100 records: resident memory (settled)',
        value: idle,
        unit: 'MiB',
        target: '< 70',
        ok: idle < 70,
      },
      { name: 'serve right after a storm of 500 prompts (8 at once)', value: peak, unit: 'MiB', target: '', ok: true },
      { name: 'serve after the storm, settled', value: afterFirst, unit: 'MiB', target: '≈ idle', ok: afterFirst < idle * 1.1 },
      {
        name: 'serve after a second storm, settled (growth would be a leak)',
        value: afterSecond,
        unit: 'MiB',
        target: '≈ the line above',
        ok: afterSecond < afterFirst * 1.05,
      },
    ];
  } finally {
    await serve.stop();
    rmSync(storage, { recursive: true, force: true });
  }
}

/**
 * What activation and the Sessions view's first screen do with 10,000
 * sessions: open the core (following the folder) and list once. In a fresh
 * process.
 */
export async function measureActivation(): Promise<LimitRow[]> {
  const storage = await storageWith(10_000);
  const runs: { open: number; list: number; openCpu: number; listCpu: number }[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const child = startChild('openCoreChild.js', [storage]);
      runs.push(JSON.parse(await child.nextLine()) as (typeof runs)[number]);
      await child.stop();
    }
  } finally {
    rmSync(storage, { recursive: true, force: true });
  }
  const of = (key: keyof (typeof runs)[number]) => median(runs.map((r) => r[key]));
  const both = median(runs.map((r) => r.openCpu + r.listCpu));
  return [
    {
      name: 'activation with 10,000 sessions: the core opened, following the folder (wall)',
      value: of('open'),
      unit: 'ms',
      target: '',
      ok: true,
    },
    {
      name: "activation with 10,000 sessions: the Sessions view's first listing (wall)",
      value: of('list'),
      unit: 'ms',
      target: '',
      ok: true,
    },
    {
      name: 'activation with 10,000 sessions: both, CPU time on the extension host',
      value: both,
      unit: 'ms',
      target: '< 50',
      ok: both < 50,
    },
  ];
}
