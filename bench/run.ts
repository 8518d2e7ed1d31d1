// Benchmarks of the core and API: prints a table and writes
// bench-results/bench.json. Targets are printed beside the figures, never
// asserted: timings belong here, not in tests.
import { appendFileSync, existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore } from '../src/core/openCore';
import { MemorySecretStore } from '../src/core/secrets';
import type { StoredChatRecord } from '../src/core/schemas';
import { buildInit, type RowPager } from '../src/vscode/chatPanelData';
import type { InitMessage } from '../src/shared/chatProtocol';
import { measurePanelRender } from './panelRender';
import { matrixBenchRows } from './matrixRender';
import { measureBundleSizes } from './bundleSizes';
import { measureAttackTransforms } from './attackTransforms';
import { measureAttackRun, measureEventStreamCost } from './redTeam';
import { withServer } from './benchServer';
import { measureDatasetReads } from './datasetRead';
import { measureDatasetRuns } from './datasetRun';
import { startFakeOpenAI } from '../test/support/fakeOpenAI';
import { aStoredRecord } from '../test/support/builders';
import {
  measureActivation,
  measureCallOverhead,
  measureFanOut,
  measureHistory,
  measureListing,
  measureMemory,
  measureStartup,
} from './limits';
import { loadAverage } from './processes';

interface Row {
  name: string;
  value: number;
  unit: string;
  /** The same measured on the limit (a bare server of the same bytes, the direct SDK call), when there is one. */
  limit?: number;
  /** Product / limit (for rates: limit / product), so that 1.00 is the limit. */
  ratio?: number;
  target: string;
  ok: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function historyIndependence(): Promise<Row[]> {
  return withServer([], async (core, _server, post) => {
    type Created = { session: { session_id: string; chat_ids: string[] } };
    const measure = async (sessionId: string) => {
      const times: number[] = [];
      for (let i = 0; i < 200; i++)
        times.push(await timed(() => post(`/v1/sessions/${sessionId}/prompt?history=new`, { prompt: `p${i}` })));
      return median(times);
    };
    const warm = (await post('/v1/sessions', { name: 'warm-up', endpoints: ['echo'] })) as Created;
    await measure(warm.session.session_id);
    const { session } = (await post('/v1/sessions', { name: 'long', endpoints: ['echo'] })) as Created;
    const small = await measure(session.session_id);
    const chat = session.chat_ids[0]!;
    const [last] = await core.store.readTail(session.session_id, chat, 1);
    const filler = (n: number): StoredChatRecord =>
      aStoredRecord({ chat_record_id: n, prompt: 'x'.repeat(400), predicted_result: 'y'.repeat(800), duration: '0.001 secs' });
    const lines: string[] = [];
    for (let id = (last?.chat_record_id ?? 0) + 1; id <= 4000; id++) lines.push(`${JSON.stringify(filler(id))}\n`);
    // Written as another process would: the store notices the file grew and reads the last id from its end.
    appendFileSync(join(core.store.sessionsDir, session.session_id, `${chat}.jsonl`), lines.join(''));
    const large = await measure(session.session_id);
    return [
      { name: 'one prompt, session growing from 0 to 200 records (median)', value: small, unit: 'ms', target: '', ok: true },
      {
        name: 'one prompt, session growing from 4,000 to 4,200 records (median)',
        value: large,
        unit: 'ms',
        target: '≈ the line above',
        ok: large < small * 1.5 + 0.5,
      },
    ];
  });
}

/** Opening the chat panel of a session with 4 chats of 10,000 records each (the host's part). */
async function panelOpen(): Promise<{ rows: Row[]; init: InitMessage; pager: RowPager; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-'));
  try {
    const core = await openCore({
      storageDir: dir,
      endpointSources: [
        {
          kind: 'inline',
          origin: 'bench',
          endpoints: ['b', 'c', 'd'].map((id) => ({ id, name: `Model ${id.toUpperCase()}`, connector_type: 'echo', model: `model-${id}` })),
        },
      ],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
    });
    const session = await core.sessions.create({ name: 'ten thousand', endpoints: ['echo', 'b', 'c', 'd'] });
    const answer = '## Answer\n\nSome **markdown** with a list:\n\n- one\n- two\n\n```python\nprint("hello")\n```\n'.repeat(2);
    for (const chatId of session.chat_ids) {
      const lines: string[] = [];
      for (let id = 1; id <= 10_000; id++) {
        const usage = { prompt_tokens: 10, completion_tokens: 50, total_tokens: 60 };
        lines.push(
          JSON.stringify(
            aStoredRecord({
              chat_record_id: id,
              prompt_id: `prompt-${id}`,
              prompt: `prompt ${id}`,
              predicted_result: answer,
              duration: '0.5 secs',
              usage,
            }),
          ),
        );
      }
      writeFileSync(join(dir, 'sessions', session.session_id, `${chatId}.jsonl`), `${lines.join('\n')}\n`);
    }
    const opens: number[] = [];
    let built = await buildInit(core, session, 1);
    for (let i = 0; i < 20; i++) opens.push(await timed(async () => (built = await buildInit(core, session, 1))));
    // The rows before the first page, then a whole scroll back to the first prompt, as the pager serves them.
    const measured = await buildInit(core, session, 1);
    const older = await timed(() => measured.pager.nextPage());
    let pages = 1;
    const all = await timed(async () => {
      while ((await measured.pager.nextPage()).hasMore) pages++;
    });
    // The panel's summary strip reads every record of the session, at most once a second while answers and scores come.
    const summaries: number[] = [];
    for (let i = 0; i < 5; i++) summaries.push(await timed(() => core.sessions.summary(session.session_id)));
    return {
      init: built.init,
      pager: built.pager,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
      rows: [
        { name: 'panel open, 4 chats x 10,000 records: host builds init (median)', value: median(opens), unit: 'ms', target: '', ok: true },
        { name: 'panel: first "load earlier" (50 rows of 4 chats)', value: older, unit: 'ms', target: '', ok: true },
        {
          name: `panel: every further page back to the first prompt (${pages} pages, total)`,
          value: all,
          unit: 'ms',
          target: '',
          ok: true,
        },
        {
          name: 'panel summary strip, 4 chats x 10,000 records: session summary (median)',
          value: median(summaries),
          unit: 'ms',
          target: '< 1000 (refreshed every max(1 s, 5 x this))',
          ok: median(summaries) < 1000,
        },
      ],
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The product beside its limits (separate processes: serve, a bare server, the load). */
async function limitRows(only?: string[]): Promise<Row[]> {
  const rows: Row[] = [];
  const all = {
    fanout: measureFanOut,
    call: measureCallOverhead,
    listing: measureListing,
    history: measureHistory,
    startup: measureStartup,
    activation: measureActivation,
    memory: measureMemory,
  };
  for (const [name, measure] of Object.entries(all)) if (!only || only.includes(name)) rows.push(...(await measure()));
  return rows;
}

/** The chat panel of 4 chats x 10,000 records: the host's pages, then the webview in Chromium. */
async function panelRows(): Promise<Row[]> {
  const panel = await panelOpen();
  const rows: Row[] = [...panel.rows];
  const chromium = process.env.CHROME_PATH ?? '/usr/bin/chromium';
  try {
    if (existsSync(chromium) && existsSync(join(__dirname, '..', 'webview.js'))) {
      const r = await measurePanelRender(panel.init, panel.pager, chromium);
      rows.push(
        {
          name: `panel: webview draws the newest page (${r.rows} rows of ${panel.init.columns.length})`,
          value: r.renderMs,
          unit: 'ms',
          target: '< 1000 (whole open)',
          ok: r.renderMs < 1000,
        },
        {
          name: `panel: scrolling back, p95 frame (${r.scrollFrames} frames, ${r.loadedPages} pages loaded)`,
          value: r.p95FrameMs,
          unit: 'ms',
          target: '≈16.7 (60 fps)',
          ok: r.p95FrameMs < 34,
        },
        { name: 'panel: scrolling back, longest frame', value: r.maxFrameMs, unit: 'ms', target: '', ok: true },
      );
    } else {
      console.log('(panel render not measured: needs Chromium and a built out/webview.js)');
    }
    if (existsSync(chromium) && existsSync(join(__dirname, '..', 'matrix.js'))) rows.push(...(await matrixBenchRows(chromium)));
    else console.log('(results matrix not measured: needs Chromium and a built out/matrix.js)');
  } finally {
    panel.cleanup();
  }
  return rows;
}

async function main() {
  const load = { before: loadAverage(), after: '' };
  console.log(`load average before: ${load.before} (${cpus().length} cores)`);
  const rows: Row[] = [];
  // BENCH_ONLY=limits: only the rows beside their limits; or some of them by name (BENCH_ONLY=history,listing);
  // BENCH_ONLY=bundles: only the sizes of the package and its bundles; BENCH_ONLY=panel: only the chat panel.
  const only = process.env.BENCH_ONLY;
  if (only === 'bundles') return report(measureBundleSizes(), load);
  if (only === 'panel') return report(await panelRows(), load);
  if (only) {
    rows.push(...(await limitRows(only === 'limits' ? undefined : only.split(','))));
    return report(rows, load);
  }
  rows.push(...(await limitRows()));
  const fake = await startFakeOpenAI();
  try {
    for (const t of measureAttackTransforms()) {
      rows.push({
        name: `attack ${t.name} of a 1,000-character prompt, per variant (${t.variants})`,
        value: t.perVariantMs,
        unit: 'ms',
        target: '< 1',
        ok: t.perVariantMs < 1,
      });
    }
    rows.push(...(await measureAttackRun()));
    rows.push(...(await measureEventStreamCost()));
    rows.push(...(await historyIndependence()));
    rows.push(...(await panelRows()));
  } finally {
    await fake.close();
  }
  for (const d of measureDatasetReads()) {
    const what = `dataset ${d.format}, ${d.megabytes.toFixed(0)} MB of ${d.rows.toLocaleString('en-US')} rows`;
    rows.push(
      { name: `${what}: rows read`, value: d.rowsPerSecond, unit: 'rows/s', target: '', ok: true },
      { name: `${what}: checked (rows and SHA-256)`, value: d.checkRowsPerSecond, unit: 'rows/s', target: '', ok: true },
      { name: `${what}: memory growth while reading`, value: d.rssGrowthMiB, unit: 'MiB', target: '< 50', ok: d.rssGrowthMiB < 50 },
    );
  }
  rows.push(...(await measureDatasetRuns()));
  rows.push({ name: 'resident memory after the runs', value: process.memoryUsage().rss / 2 ** 20, unit: 'MiB', target: '', ok: true });
  rows.push(...measureBundleSizes());

  report(rows, load);
}

function report(rows: Row[], load: { before: string; after: string }): void {
  load.after = loadAverage();
  const width = Math.max(...rows.map((r) => r.name.length));
  const num = (n: number | undefined) => (n === undefined ? '' : n.toFixed(2)).padStart(9);
  console.log(`${'benchmark'.padEnd(width)}  ${'value'.padStart(9)}  ${'limit'.padStart(9)}  ${'ratio'.padStart(9)}  unit  target`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${num(r.value)}  ${num(r.limit)}  ${num(r.ratio)}  ${r.unit.padEnd(4)}  ` +
        `${r.target}${r.target && !r.ok ? '  (missed)' : ''}`,
    );
  }
  console.log(`load average before: ${load.before}, after: ${load.after}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    join('bench-results', 'bench.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, load, rows }, null, 2),
  );
  console.log('\nwritten to bench-results/bench.json');
}

void main();
