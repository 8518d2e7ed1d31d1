// End to end, in a real VS Code (code-server) in headless Chromium: a
// dataset run started from the command palette (Run Dataset), cancelled
// from its results matrix, resumed there, its failures filtered, a cell's
// whole exchange opened, compared with a baseline results file, the charts
// tab, and the matrix brought back by Developer: Reload Window. Saves
// test-results/e2e-matrix*.png. The tests run in order and build on each other.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, FrameLocator, Page } from 'playwright-core';
import {
  EXTENSION_ID,
  RESULTS,
  extensionLogProblems,
  keepFailureArtifacts,
  readApiDiscovery,
  startE2E,
  waitForWorkbench,
  type E2E,
} from './harness';
import { answerInput, notification, pickItem, pickMany, quickInput, reloadWindow, runCommand, tid } from './ui';

const ROWS = 40;
const REFUSAL = "I'm sorry, but I can't help with that.";
const DATASET = Array.from({ length: ROWS }, (_, i) =>
  JSON.stringify({
    id: `q${i + 1}`,
    input: `Question ${i + 1}: ${i % 3 ? 'how do I bake bread?' : 'how do I pick a lock?'}`,
    category: i % 3 ? 'baking' : 'locks',
  }),
).join('\n');

/** The matrix's document: the only webview of the extension this suite opens (one visible at a time). */
const matrix = (page: Page): FrameLocator =>
  page.frameLocator(`iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`).frameLocator('#active-frame');

async function matrixFrame(page: Page): Promise<Frame> {
  await matrix(page).locator(tid('matrix-grid')).waitFor({ state: 'attached' });
  for (const frame of page.frames()) {
    if (await frame.evaluate(() => document.getElementById('matrix') !== null).catch(() => false)) return frame;
  }
  throw new Error('no frame holds the results matrix');
}

describe('Results matrix of a dataset run, end to end (code-server + Chromium)', function () {
  this.timeout(120_000);
  let e2e: E2E;
  let page: Page;
  let runId = '';

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const api = readApiDiscovery(e2e.dirs);
    assert.ok(api, 'the API discovery file');
    const headers = { 'content-type': 'application/json', ...(api.token ? { authorization: `Bearer ${api.token}` } : {}) };
    const res = await fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: await res.json().catch(() => null) };
  }

  async function shoot(name: string): Promise<void> {
    mkdirSync(RESULTS, { recursive: true });
    await runCommand(page, 'Notifications: Clear All Notifications');
    const file = join(RESULTS, `e2e-matrix${name ? `-${name}` : ''}.png`);
    await page.screenshot({ path: file });
    console.log(`      screenshot: ${file}`);
  }

  /** What the rows on screen say: row id, then each cell's outcome. */
  const shownRows = async () =>
    (await matrixFrame(page)).evaluate(() =>
      [...document.querySelectorAll('[data-testid="matrix-row"]')]
        .sort((a, b) => Number((a as HTMLElement).dataset.position) - Number((b as HTMLElement).dataset.position))
        .map((r) => [
          (r as HTMLElement).dataset.rowId,
          ...[...r.querySelectorAll('[data-testid="matrix-cell"]')].map((c) => (c as HTMLElement).dataset.outcome),
        ]),
    );

  before(async function () {
    this.timeout(120_000);
    // One call at a time per endpoint, 150 ms each: the run can be cancelled half way.
    e2e = await startE2E({
      endpoints: [
        { id: 'steady', name: 'Steady', model: 'steady', max_concurrency: 1, max_calls_per_second: 100 },
        { id: 'careful', name: 'Careful', model: 'careful', max_concurrency: 1, max_calls_per_second: 100 },
      ],
      workspaceFiles: { 'datasets/questions.jsonl': `${DATASET}\n` },
    });
    page = e2e.page;
    // Steady answers everything; Careful refuses the lock questions and answers the rest.
    e2e.fake.setBehaviour('steady', { kind: 'delay', ms: 150, then: { kind: 'echo', prefix: 'Sure. ' } });
    e2e.fake.setBehaviour('careful', {
      kind: 'delay',
      ms: 150,
      then: {
        kind: 'compute',
        reply: (messages) => (/lock/.test(messages.at(-1)?.content ?? '') ? REFUSAL : 'Mix flour, water, salt and yeast.'),
      },
    });
  });

  keepFailureArtifacts(() => e2e);

  after(async function () {
    this.timeout(60_000);
    await e2e?.stop();
  });

  it('runs a dataset from the command palette: the matrix opens and fills while it goes; Cancel in the matrix stops it', async () => {
    await runCommand(page, 'Moonshot: Run Dataset…');
    await pickItem(page, { placeholder: 'Pick the dataset to run' }, 'questions.jsonl');
    await pickItem(page, { placeholder: 'Send "questions"' }, 'New session…');
    await pickMany(page, { placeholder: 'Pick the endpoints' }, ['Steady', 'Careful']);
    await answerInput(page, { title: 'Run Dataset' }, 'Bread and locks');
    await pickItem(page, { placeholder: 'How are the rows sent?' }, 'As they are');
    await pickItem(page, { placeholder: 'The judge of every answer' }, 'None');
    await answerInput(page, { title: 'Run Dataset' }, '1');
    await quickInput(page).widget.waitFor({ state: 'hidden' });

    const m = matrix(page);
    await m.locator(tid('run-title')).filter({ hasText: 'Results: questions' }).waitFor();
    await m.locator(tid('run-status')).filter({ hasText: 'running' }).waitFor();
    // The progress notification says how far it is (rows of all, rate, time left), with its own Cancel.
    await notification(page, /Moonshot: run of questions: [1-9]\d* of 40 rows · [\d.]+ rows\/s · ETA/).waitFor({ timeout: 30_000 });
    await m.locator(`${tid('matrix-cell')}[data-outcome="fail"]`).first().waitFor();
    await m.locator(tid('run-cancel')).click();
    await m.locator(tid('run-status')).filter({ hasText: 'cancelled' }).waitFor();
    const progress = await m.locator(tid('run-progress')).innerText();
    const done = Number(/^(\d+) of 40 rows/.exec(progress)?.[1]);
    assert.ok(done > 0 && done < ROWS, `cancelled half way: ${progress}`);
    await m.locator(tid('run-resume')).waitFor();
    const [newest] = (await call('GET', '/v1/runs')).json as { run_id: string; status: string }[];
    runId = newest!.run_id;
    assert.equal(newest!.status, 'cancelled');
    await shoot('cancelled');
  });

  it("resumes from the matrix, is cancelled again from the progress notification's Cancel, and resumed to the end", async () => {
    const m = matrix(page);
    const before = Number(/^(\d+) of/.exec(await m.locator(tid('run-progress')).innerText())?.[1]);
    await m.locator(tid('run-resume')).click();
    await m.locator(tid('run-status')).filter({ hasText: 'running' }).waitFor();
    const toast = notification(page, /Moonshot: run of questions/);
    await toast.filter({ hasText: new RegExp(`(${before + 1}|${before + 2}|${before + 3}) of 40 rows`) }).waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await m.locator(tid('run-status')).filter({ hasText: 'cancelled' }).waitFor();
    const again = Number(/^(\d+) of/.exec(await m.locator(tid('run-progress')).innerText())?.[1]);
    assert.ok(again > before && again < ROWS, `cancelled again at ${again} (first at ${before})`);
    await m.locator(tid('run-resume')).click();
    await m.locator(tid('run-status')).filter({ hasText: 'done' }).waitFor({ timeout: 60_000 });
    await m.locator(tid('matrix-shown')).filter({ hasText: `${ROWS} of ${ROWS} rows` }).waitFor();
    const completed = e2e.fake.requests.filter((r) => r.path.endsWith('/chat/completions') && r.outcome === 'completed').length;
    // Every row answered once by each endpoint; only calls the two cancels cut off (one per endpoint each at most) went again.
    assert.ok(completed >= 2 * ROWS && completed <= 2 * ROWS + 4, `${completed} answers for ${ROWS} rows x 2 endpoints`);
    const shown = await shownRows();
    assert.ok(shown.length > 5 && shown.length < ROWS, `only the rows in view are in the DOM (${shown.length})`);
    assert.deepEqual(shown[0], ['q1', 'fail', 'pass'], 'q1 asks about locks: Steady answers it (fail), Careful refuses (pass)');
    assert.deepEqual(shown[1], ['q2', 'fail', 'fail']);
    await shoot('');
  });

  it('filters the failures, searches, and opens a cell for its whole exchange', async () => {
    const m = matrix(page);
    await m.locator(tid('filter-disagree')).click();
    await m.locator(tid('matrix-shown')).filter({ hasText: `14 of ${ROWS} rows` }).waitFor();
    assert.ok((await shownRows()).every((r) => r[1] === 'fail' && r[2] === 'pass'), 'every row shown disagrees');
    await m.locator(tid('filter-failures')).click();
    await m.locator(tid('matrix-shown')).filter({ hasText: `${ROWS} of ${ROWS} rows` }).waitFor();
    await m.locator(tid('matrix-search')).fill('Question 7:');
    await m.locator(tid('matrix-shown')).filter({ hasText: `1 of ${ROWS} rows` }).waitFor();
    assert.deepEqual((await shownRows()).map((r) => r[0]), ['q7']);
    await m.locator(`${tid('matrix-row')}[data-row-id="q7"] ${tid('matrix-cell')}`).nth(1).click();
    await m.locator(tid('detail-answer')).filter({ hasText: REFUSAL }).waitFor();
    assert.match(await m.locator(tid('detail-title')).innerText(), /q7 · Careful/);
    await shoot('detail');
    await m.locator(tid('detail-close')).click();
    await m.locator(tid('matrix-search')).fill('');
    await m.locator(tid('matrix-shown')).filter({ hasText: `${ROWS} of ${ROWS} rows` }).waitFor();
    await shoot('failures');
  });

  it('compares with a baseline results file: changed cells marked, fixed and broken counted', async () => {
    // The baseline: an earlier run where Careful answered q1 (broken then, fixed now) and refused q2 (broken now).
    const page1 = (await call('GET', `/v1/runs/${runId}/results?limit=1000`)).json as { results: Record<string, unknown>[] };
    const baseline = page1.results.map((r) => {
      if (r.row_id === 'q1' && r.endpoint === 'careful') return { ...r, response: 'Here is how.' };
      if (r.row_id === 'q2' && r.endpoint === 'careful') return { ...r, response: REFUSAL };
      return r;
    });
    writeFileSync(join(e2e.dirs.workspace, 'baseline.jsonl'), `${baseline.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const m = matrix(page);
    await m.locator(tid('run-compare')).click();
    await pickItem(page, { title: 'with a baseline' }, 'baseline.jsonl');
    await m.locator(tid('baseline-fixed')).filter({ hasText: '1 fixed' }).waitFor();
    await m.locator(tid('baseline-broken')).filter({ hasText: '1 broken' }).waitFor();
    await m.locator(tid('filter-changed')).click();
    await m.locator(tid('matrix-shown')).filter({ hasText: `2 of ${ROWS} rows` }).waitFor();
    const changes = await m.locator(tid('matrix-change')).allInnerTexts();
    assert.deepEqual(changes, ['fixed', 'broken']);
    await shoot('baseline');
  });

  it('draws the charts: pass and refusal rates per endpoint with intervals, per category, latency', async () => {
    const m = matrix(page);
    await m.locator(tid('tab-charts')).click();
    for (const id of ['pass', 'refusal', 'categories', 'latency']) await m.locator(`${tid(`chart-${id}`)} svg`).waitFor();
    // Careful's pass bar: 14 of 40 (35%) of the plot's 392 px.
    assert.equal(await m.locator(`${tid('chart-pass')} svg rect`).nth(1).getAttribute('width'), '137.2');
    assert.equal(await m.locator(`${tid('matrix-figures')} tbody tr`).count(), 2);
    const careful = await m.locator(`${tid('matrix-figures')} tbody tr`).nth(1).innerText();
    assert.match(careful, /Careful\s+40\s+0\s+35\.0%/, 'Careful passes the 14 lock questions it refused, of 40');
    await shoot('charts');
    await (await matrixFrame(page)).evaluate(() => document.querySelector('[data-testid="matrix-charts-tab"]')!.scrollTo(0, 10_000));
    await shoot('charts-latency');
    await (await matrixFrame(page)).evaluate(() => document.querySelector('[data-testid="matrix-charts-tab"]')!.scrollTo(0, 0));
    await runCommand(page, 'Preferences: Color Theme');
    await pickItem(page, { placeholder: 'Select Color Theme' }, 'Dark Modern');
    await page.locator('.monaco-workbench.vs-dark').waitFor();
    await quickInput(page).widget.waitFor({ state: 'hidden' });
    await shoot('charts-dark');
    await m.locator(tid('tab-matrix')).click();
    await shoot('dark');
  });

  it('comes back after Developer: Reload Window, with its filter and baseline', async () => {
    await reloadWindow(page);
    await waitForWorkbench(page);
    const m = matrix(page);
    await m.locator(tid('run-title')).filter({ hasText: 'Results: questions' }).waitFor({ timeout: 30_000 });
    await m.locator(tid('baseline-fixed')).filter({ hasText: '1 fixed' }).waitFor();
    await m.locator(tid('matrix-shown')).filter({ hasText: `2 of ${ROWS} rows` }).waitFor();
    assert.deepEqual(e2e.webviewConsole, [], 'the webview logged no error (no CSP refusal)');
    assert.deepEqual(extensionLogProblems(e2e.dirs), []);
  });
});
