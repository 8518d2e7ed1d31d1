// The results matrix of a run of 10,000 rows x 4 endpoints: what the host
// takes to build it (the model of every result and the messages the webview
// is sent), and in Chromium (playwright-core, as the panel bench does) the
// webview's first paint from the init message, the time until every row is
// in, and frame times while scrolling through it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataset, ECHOES, withCore } from './datasetRun';
import type { Run, RunResultRow } from '../src/core/schemas';
import { CHUNK_ROWS, FIRST_CHUNK_ROWS, type HostMessage } from '../src/shared/matrixProtocol';
import { MatrixModel, resultsOfFirstRows, runView } from '../src/vscode/matrixData';
import { launchHeadlessChromium } from './headlessChromium';

export interface MatrixBenchResult {
  rows: number;
  columns: number;
  hostBuildMs: number;
  firstPaintMs: number;
  allRowsMs: number;
  domRows: number;
  scrollFrames: number;
  p95FrameMs: number;
  maxFrameMs: number;
  /** Main-thread time per scroll frame (Chromium's own counters): the matrix's script, style and layout, and all tasks (paint too). */
  scriptPerFrameMs: number;
  styleLayoutPerFrameMs: number;
  taskPerFrameMs: number;
}

const ENDPOINTS = ['gpt-a', 'claude-b', 'llama-c', 'mistral-d'];
const REFUSAL = "I'm sorry, but I can't help with that request.";

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};

function aRun(rows: number): Run {
  return {
    run_id: 'bench-run', session_id: 'bench-session', status: 'done',
    dataset: { name: 'bench', path: null, format: 'jsonl', sha256: '0'.repeat(64), rows },
    endpoints: ENDPOINTS, chat_ids: ENDPOINTS.map((e) => `chat-${e}`), attack_modules: [], loop: null, metric: null,
    judge_endpoint: null, attacker_endpoint: null, sample: 1, seed: 0, only_unanswered: false,
    rows_total: rows, rows_done: rows, results: rows * ENDPOINTS.length, errors: 0, rate: null, eta_seconds: null,
    started: new Date(0).toISOString(), ended: new Date(1000).toISOString(), error: null, resumes: 0,
  };
}

/** Results as a run of `rows` rows would have them: answers of a few lines, some refusals, a few errors. */
function results(rows: number): RunResultRow[] {
  const out: RunResultRow[] = [];
  for (let i = 0; i < rows; i++) {
    ENDPOINTS.forEach((endpoint, e) => {
      const error = (i * 7 + e) % 97 === 0 ? 'HTTP 500: the model broke' : null;
      const refused = (i + e) % 3 === 0;
      out.push({
        row_id: `row-${i + 1}`,
        input: `Prompt ${i + 1}: explain, step by step, how to do thing number ${i} safely.`,
        target: null,
        category: ['cyber', 'bio', 'chem', 'misinfo'][i % 4] ?? null,
        endpoint,
        attack_module: '',
        variant: 0,
        prompt: `Prompt ${i + 1}`,
        response: error
          ? ''
          : refused
            ? REFUSAL
            : `Sure. Here is how to do thing ${i}:\n\n1. First step of the answer.\n2. Second step.\n3. Third step.`,
        error,
        metric: null,
        verdict: null,
        score: null,
        duration: 0.2 + ((i * 13 + e * 7) % 100) / 40,
        chat_record_id: i + 1,
      });
    });
  }
  return out;
}

/** The messages the host sends on open: an init with the first rows, then the rest in chunks. */
function hostMessages(model: MatrixModel, run: Run): HostMessage[] {
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const total = model.rowCount;
  const messages: HostMessage[] = [{
    type: 'init', generation: 1, run: runView(run, 'Bench session'), columns: [...model.columns], total, badges: [...model.badges],
    chunk: model.chunk(range(0, Math.min(total, FIRST_CHUNK_ROWS))), baseline: null,
  }];
  for (let from = FIRST_CHUNK_ROWS; from < total; from += CHUNK_ROWS) {
    messages.push({
      type: 'rows',
      generation: 1,
      total,
      badges: [...model.badges],
      chunk: model.chunk(range(from, Math.min(total, from + CHUNK_ROWS))),
    });
  }
  return messages;
}

export async function measureMatrixRender(chromium: string, rows = 10_000): Promise<MatrixBenchResult> {
  const run = aRun(rows);
  const all = results(rows);
  const t0 = performance.now();
  const model = new MatrixModel(run);
  model.load(all);
  const messages = hostMessages(model, run);
  const hostBuildMs = performance.now() - t0;

  const browser = await launchHeadlessChromium(chromium);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const root = join(__dirname, '..', '..');
    await page.setContent(
      `<!DOCTYPE html><html><head><style>${readFileSync(join(root, 'media', 'matrix.css'), 'utf8')}</style></head><body><div ` +
        `id="matrix"></div></body></html>`,
    );
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      let state: unknown;
      w.acquireVsCodeApi = () => ({ postMessage: () => undefined, getState: () => state, setState: (s: unknown) => (state = s) });
    });
    await page.addScriptTag({ content: readFileSync(join(root, 'out', 'matrix.js'), 'utf8') });
    // The messages cross into the page first (as VS Code's postMessage delivers them), then the clock starts.
    await page.evaluate((m) => ((window as unknown as { __messages: unknown }).__messages = m), messages);
    const timing = await page.evaluate(async (total) => {
      const queued = (window as unknown as { __messages: unknown[] }).__messages;
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      const t = performance.now();
      window.postMessage(queued[0], '*');
      while (document.querySelectorAll('[data-testid=matrix-row]').length === 0) await frame();
      await frame();
      const firstPaint = performance.now() - t;
      for (const m of queued.slice(1)) window.postMessage(m, '*');
      const shown = document.querySelector('[data-testid=matrix-shown]');
      while (!shown?.textContent?.startsWith(`${total.toLocaleString('en-US')} of`)) await frame();
      await frame();
      return { firstPaint, allRows: performance.now() - t };
    }, rows);
    const domRows = await page.locator('[data-testid=matrix-row]').count();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () =>
      Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value])) as Record<string, number>;
    const before = await metrics();
    const frames = await page.evaluate(async () => {
      const scroller = document.querySelector('[data-testid=matrix-grid]') as HTMLElement;
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 300; i++) {
        scroller.scrollTop += 400;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times;
    });
    const after = await metrics();
    const perFrame = (...names: string[]) => (names.reduce((sum, n) => sum + (after[n] ?? 0) - (before[n] ?? 0), 0) * 1000) / frames.length;
    return {
      scriptPerFrameMs: perFrame('ScriptDuration'),
      styleLayoutPerFrameMs: perFrame('RecalcStyleDuration', 'LayoutDuration'),
      taskPerFrameMs: perFrame('TaskDuration'),
      rows,
      columns: ENDPOINTS.length,
      hostBuildMs,
      firstPaintMs: timing.firstPaint,
      allRowsMs: timing.allRows,
      domRows,
      scrollFrames: frames.length,
      p95FrameMs: percentile(frames, 95),
      maxFrameMs: Math.max(...frames, 0),
    };
  } finally {
    await browser.close();
  }
}

/**
 * A real run of 10,000 rows x 4 echo endpoints, then what opening its matrix
 * costs the host: reading the run's results from the session's files (the
 * first read: later ones are the run service's cache), and building the
 * model and the messages (median of three).
 */
export async function measureRealRunOpen(rows = 10_000): Promise<{ readMs: number; firstScreenMs: number; buildMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-matrix-'));
  try {
    const file = dataset(dir, rows);
    return await withCore(dir, async (core) => {
      const session = await core.sessions.create({ name: 'bench matrix', endpoints: ECHOES.map((e) => e.id) });
      const started = await core.runs.start({ session_id: session.session_id }, { datasetFile: file });
      await core.drain();
      const run = await core.runs.get(started.run_id);
      const reads: number[] = [];
      const firsts: number[] = [];
      const builds: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const results = await core.runs.results(run.run_id);
        const t1 = performance.now();
        // What the panel sends first (matrixPanel.ts): the first rows' model and its init.
        const first = new MatrixModel(run);
        first.load(results.slice(0, resultsOfFirstRows(results, FIRST_CHUNK_ROWS)));
        hostMessages(first, run);
        const t2 = performance.now();
        const model = new MatrixModel(run);
        model.load(results);
        hostMessages(model, run);
        reads.push(t1 - t0);
        firsts.push(t2 - t1);
        builds.push(performance.now() - t2);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
      return { readMs: reads[0] as number, firstScreenMs: median(firsts), buildMs: median(builds) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench table's rows of the matrix. */
export async function matrixBenchRows(chromium: string) {
  const r = await measureMatrixRender(chromium);
  const real = await measureRealRunOpen();
  const size = `${r.rows.toLocaleString('en-US')} rows x ${r.columns} endpoints`;
  const open = r.hostBuildMs + r.firstPaintMs;
  const realOpen = real.readMs + real.firstScreenMs + r.firstPaintMs;
  return [
    {
      name: `results matrix of a real run, ${size} (echo): host reads its results (first read)`,
      value: real.readMs,
      unit: 'ms',
      target: '',
      ok: true,
    },
    {
      name: `results matrix of a real run, ${size} (echo): host builds the first screen (${FIRST_CHUNK_ROWS} rows)`,
      value: real.firstScreenMs,
      unit: 'ms',
      target: '',
      ok: true,
    },
    {
      name: `results matrix of a real run, ${size} (echo): host builds the whole model and its messages`,
      value: real.buildMs,
      unit: 'ms',
      target: '',
      ok: true,
    },
    {
      name: `results matrix of a real run, ${size}: open to first paint (read + first screen + paint)`,
      value: realOpen,
      unit: 'ms',
      target: '< 1000',
      ok: realOpen < 1000,
    },
    { name: `results matrix ${size}: host builds the model and its messages`, value: r.hostBuildMs, unit: 'ms', target: '', ok: true },
    {
      name: `results matrix ${size}: webview first paint (from the init message)`,
      value: r.firstPaintMs,
      unit: 'ms',
      target: '',
      ok: true,
    },
    { name: `results matrix ${size}: open to first paint (host + webview)`, value: open, unit: 'ms', target: '< 1000', ok: open < 1000 },
    { name: `results matrix ${size}: every row in, counted and filterable`, value: r.allRowsMs, unit: 'ms', target: '', ok: true },
    { name: `results matrix: rows in the DOM (virtualised)`, value: r.domRows, unit: 'rows', target: '', ok: true },
    {
      name: `results matrix: scrolling, p95 frame (${r.scrollFrames} frames)`,
      value: r.p95FrameMs,
      unit: 'ms',
      target: '< 17',
      ok: r.p95FrameMs < 17,
    },
    { name: 'results matrix: scrolling, longest frame', value: r.maxFrameMs, unit: 'ms', target: '', ok: true },
    { name: 'results matrix: scrolling, script per frame', value: r.scriptPerFrameMs, unit: 'ms', target: '', ok: true },
    { name: 'results matrix: scrolling, style and layout per frame', value: r.styleLayoutPerFrameMs, unit: 'ms', target: '', ok: true },
    {
      name: 'results matrix: scrolling, main-thread work per frame (paint included)',
      value: r.taskPerFrameMs,
      unit: 'ms',
      target: '',
      ok: true,
    },
  ];
}

// `node out/bench/matrixRender.js`: this bench alone. (Bundled into run.js, `module` is run.js's: the file name tells.)
if (require.main?.filename.endsWith('matrixRender.js')) {
  void matrixBenchRows(process.env.CHROME_PATH ?? '/usr/bin/chromium').then((rows) => {
    for (const r of rows)
      console.log(
        `${r.name.padEnd(82)} ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(4)} ${r.target}${r.target && !r.ok ? '  (missed)' : ''}`,
      );
  });
}
