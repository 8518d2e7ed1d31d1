// End-to-end tests of the chat panel's rows by prompt, in a real VS Code
// (code-server) in headless Chromium: two endpoints of different speed, so a
// second prompt is answered by the fast one while it still waits in the slow
// one's queue; Markdown rendered while it streams; rows lined up across the
// columns; a Retry in its row; and a deleted session's panel. The tests run
// in order and build on each other.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import {
  RESULTS,
  extensionLogProblems,
  keepFailureArtifacts,
  readApiDiscovery,
  startE2E,
  waitForWorkbench,
  type E2E,
  type EndpointConfig,
} from './harness';
import {
  answers,
  cellBoxes,
  cells,
  chatFrame,
  chatPanel,
  column,
  pickItem,
  quickInput,
  reloadWindow,
  rows,
  runCommand,
  runCommandToStep,
  sendFromPanel,
  tid,
  waitForCount,
  waitForSavedEditorState,
} from './ui';

const FAST: EndpointConfig = { id: 'fast', name: 'Fast', model: 'fast-model' };
const SLOW: EndpointConfig = { id: 'slow', name: 'Slow', model: 'slow-model' };
const SESSION = 'Rows Session';
const OTHER = 'Other Session';

/** The slow endpoint's answer: Markdown early on, then enough words to keep it streaming a while. */
const SLOW_CHUNKS = [
  '## Slow',
  ' heading\n\n',
  '- first',
  ' item\n',
  '- second',
  ' item\n\n',
  '```ts\n',
  'const answer',
  ' = 42;\n',
  '```\n\n',
  // Paragraphs of words: the rows get taller than the panel, so the grid scrolls.
  ...Array.from({ length: 50 }, (_, i) => `word${i}${i % 4 === 3 ? '\n\n' : ' '}`),
];

/** Polls until `check` gives a value, for what no event announces (a file another process writes). */
async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Chat panel rows by prompt, end to end (code-server + Chromium)', function () {
  this.timeout(90_000);
  let e2e: E2E;
  let page: Page;
  const ids = new Map<EndpointConfig, string>();
  let sessionId = '';
  const panel = (): FrameLocator => chatPanel(page);
  const idOf = (e: EndpointConfig) => ids.get(e) ?? assert.fail(`no chat id for ${e.name}`);
  const row = (n: number): Locator => rows(panel()).nth(n - 1);
  const cell = (n: number, e: EndpointConfig): Locator => cells(row(n), idOf(e));

  /** Calls the local API as another tool would (api.json says where: a reload starts it on a new port). */
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const api = await eventually('the API discovery file', () => readApiDiscovery(e2e.dirs));
    const headers = { 'content-type': 'application/json', ...(api.token ? { authorization: `Bearer ${api.token}` } : {}) };
    const res = await fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, json: await res.json().catch(() => null) };
  };

  async function openSession(name: string): Promise<void> {
    const step = { placeholder: 'Open which session?' };
    await runCommandToStep(page, 'Moonshot: Open Session', step);
    await pickItem(page, step, name);
    await page.locator('.tabs-container .tab.active').filter({ hasText: `Moonshot: ${name}` }).waitFor();
    await panel().locator(tid('session-title')).filter({ hasText: name }).waitFor();
  }

  async function shoot(name: string): Promise<string> {
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `e2e-rows-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`      screenshot: ${file}`);
    return file;
  }

  before(async function () {
    this.timeout(120_000);
    e2e = await startE2E({ endpoints: [FAST, SLOW] });
    page = e2e.page;
    const created = await call('POST', '/v1/sessions', { name: SESSION, endpoints: [FAST.id, SLOW.id] });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const session = (created.json as { session: { session_id: string; chat_ids: string[] } }).session;
    sessionId = session.session_id;
    ids.set(FAST, session.chat_ids[0]!);
    ids.set(SLOW, session.chat_ids[1]!);
    assert.equal((await call('POST', '/v1/sessions', { name: OTHER, endpoints: [FAST.id] })).status, 200);
    await openSession(SESSION);
    assert.equal(await column(panel(), FAST.name).getAttribute('data-chat-id'), idOf(FAST));
  });

  keepFailureArtifacts(() => e2e);

  after(async function () {
    this.timeout(60_000);
    await e2e?.stop();
  });

  it('renders Markdown while it streams, and shows the next prompt queued for the slow endpoint in its row while the fast one has ' +
    'answered it', async () => {
    e2e.fake.setBehaviour(FAST.model, { kind: 'echo', prefix: 'Fast: ' });
    e2e.fake.setBehaviour(SLOW.model, { kind: 'slow', chunks: SLOW_CHUNKS, intervalMs: 100 });
    const frame = await chatFrame(page);
    const slowChat = idOf(SLOW);
    // Watched from before the prompt goes out: a heading, a list item and a code block inside the
    // answer that is still streaming (the record replaces that element when it arrives).
    const midStream = frame
      .waitForFunction(
        (chatId) => {
          const live = document.querySelector(`[data-testid="cell"][data-chat-id="${chatId}"] [data-testid="streaming"]`);
          if (!live?.querySelector('h2') || !live.querySelector('li') || !live.querySelector('.code-block')) return false;
          return {
            h2: live.querySelector('h2')?.textContent,
            items: live.querySelectorAll('li').length,
            highlighted: live.querySelectorAll('[class*="hljs-"]').length,
          };
        },
        slowChat,
        { polling: 'raf', timeout: 30_000 },
      )
      .then(async (h) => (await h.jsonValue()) as { h2: string | null | undefined; items: number; highlighted: number });
    midStream.catch(() => undefined); // awaited below

    await sendFromPanel(panel(), 'First prompt');
    const seen = await midStream;
    assert.equal(seen.h2, 'Slow heading', 'the heading is rendered before the answer is complete');
    assert.equal(seen.items, 2);
    assert.equal(seen.highlighted, 0, 'code is highlighted only once the record arrives');
    await cell(1, FAST).locator(tid('response')).filter({ hasText: 'Fast: First prompt' }).waitFor();

    // The slow endpoint (max_concurrency 1) is still busy: prompt 2 waits in its queue.
    await sendFromPanel(panel(), 'Second prompt');
    await waitForCount(rows(panel()), 2);
    await cell(2, FAST).locator(tid('response')).filter({ hasText: 'Fast: Second prompt' }).waitFor();
    // (No helper functions in here: tsx would wrap them in a __name() the page does not have.)
    const state = await frame.evaluate((chatId) => {
      const slowCells = [...document.querySelectorAll(`[data-testid="row"] [data-testid="cell"][data-chat-id="${chatId}"]`)];
      return {
        queued: slowCells[1]?.querySelector('[data-testid="queued"]')?.textContent ?? null,
        firstStillStreaming: (slowCells[0]?.querySelector('[data-testid="streaming"]') ?? null) !== null,
        status: document.querySelector(`[data-testid="column"][data-chat-id="${chatId}"] [data-testid="column-status"]`)?.textContent ?? '',
      };
    }, slowChat);
    assert.deepEqual(
      { queued: state.queued, firstStillStreaming: state.firstStillStreaming },
      { queued: 'Queued, waiting for Slow', firstStillStreaming: true },
      'row 2: answered by Fast, queued for Slow while Slow still streams row 1',
    );
    assert.match(state.status, /Generating.*1 queued/, 'the slow column says what it is doing');
    await shoot('queued-light');

    // Both slow answers land in their rows, the code highlighted now.
    await cell(1, SLOW)
      .locator(`${tid('response')} h2`)
      .waitFor({ timeout: 30_000 });
    await cell(2, SLOW)
      .locator(`${tid('response')} h2`)
      .waitFor({ timeout: 30_000 });
    assert.equal((await cell(1, SLOW).locator(tid('response')).innerText()).replace(/\s+/g, ' ').includes('word49'), true);
    // The first finished code block fetches the highlighter (out/webview-highlight.js), then it is coloured.
    await cell(1, SLOW).locator(`${tid('response')} [class*="hljs-"]`).first().waitFor({ timeout: 30_000 });
    assert.equal(await cell(1, SLOW).locator('[data-highlight-pending]').count(), 0, 'no code block is left waiting');
    assert.equal(await cell(2, SLOW).locator(tid('queued')).count(), 0);
    assert.equal(await rows(panel()).count(), 2);
  });

  it('lines the rows up: the cells of a row share their top, side by side or stacked, under sticky column headers', async () => {
    const frame = await chatFrame(page);
    const check = (boxes: Awaited<ReturnType<typeof cellBoxes>>, stacked: boolean) => {
      assert.equal(boxes.length, 2);
      boxes.forEach((rowCells, r) => {
        assert.deepEqual(rowCells.map((c) => c.chatId), [idOf(FAST), idOf(SLOW)], `row ${r + 1} has a cell per column, in column order`);
        const [fast, slow] = rowCells as [(typeof rowCells)[number], (typeof rowCells)[number]];
        if (stacked) assert.ok(slow.top >= fast.bottom - 1, `stacked: row ${r + 1}'s cells are one under the other`);
        else {
          assert.ok(Math.abs(fast.top - slow.top) <= 1, `row ${r + 1}: the cells start at ${fast.top} and ${slow.top}`);
          assert.ok(
            Math.abs(fast.bottom - slow.bottom) <= 1,
            `row ${r + 1}: the cells share their height (${fast.bottom} / ${slow.bottom})`,
          );
        }
        const next = boxes[r + 1];
        if (next) assert.ok(next[0]!.top >= Math.max(...rowCells.map((c) => c.bottom)) - 1, `row ${r + 2} starts below row ${r + 1}`);
      });
    };
    check(await cellBoxes(frame), false);

    // One scroller for all columns; its headers stay on top wherever it is scrolled.
    const headerTop = () =>
      frame.evaluate(
        () =>
          document.querySelector('.grid-header')!.getBoundingClientRect().top -
          document.querySelector('.grid-scroll')!.getBoundingClientRect().top,
      );
    assert.equal(await frame.evaluate(() => document.querySelectorAll('.grid-scroll').length), 1);
    await frame.evaluate(() => (document.querySelector('.grid-scroll')!.scrollTop = 0));
    assert.ok(Math.abs(await headerTop()) <= 1);
    const scrolled = await frame.evaluate(() => {
      const s = document.querySelector('.grid-scroll')!;
      s.scrollTop = s.scrollHeight;
      return s.scrollTop;
    });
    assert.ok(scrolled > 0, 'the rows are taller than the panel (else the sticky check proves nothing)');
    assert.ok(Math.abs(await headerTop()) <= 1, 'the column headers stay on top when scrolled');

    await panel().locator(tid('layout-toggle')).click();
    await frame.waitForFunction(() => document.querySelector('.layout-stacked') !== null);
    check(await cellBoxes(frame), true);
    await panel().locator(tid('layout-toggle')).click();
    await frame.waitForFunction(() => document.querySelector('.layout-columns') !== null);
  });

  it('puts a Retry of a failed answer in the row of its prompt, the failed attempt folded above it', async () => {
    e2e.fake.setBehaviour(FAST.model, { kind: 'status', status: 500, message: 'the fast model broke' });
    e2e.fake.setBehaviour(SLOW.model, { kind: 'reply', text: 'Slow third.' });
    await sendFromPanel(panel(), 'Third prompt');
    await waitForCount(rows(panel()), 3);
    await cell(3, SLOW).locator(tid('response')).filter({ hasText: 'Slow third.' }).waitFor();
    const failure = cell(3, FAST).locator(tid('error-card'));
    await failure.waitFor();
    assert.match(await failure.innerText(), /the fast model broke/);

    e2e.fake.setBehaviour(FAST.model, { kind: 'echo', prefix: 'Fast again: ' });
    const slowCalls = e2e.fake.attempts(SLOW.model);
    await failure.locator(tid('retry-button')).click();
    await cell(3, FAST).locator(tid('response')).filter({ hasText: 'Fast again: Third prompt' }).waitFor();
    assert.equal(await rows(panel()).count(), 3, 'the Retry made no new row');
    assert.match(
      await cell(3, FAST)
        .locator(`${tid('attempt')} > summary`)
        .innerText(),
      /^attempt 1 \(failed: HTTP 500.*the fast model broke/,
    );
    assert.equal(await cell(3, FAST).locator(`.cell-main ${tid('error-card')}`).count(), 0, 'the answer shown is the retry');
    assert.equal(e2e.fake.attempts(SLOW.model), slowCalls, 'the Retry went to the failed endpoint only');
    // The stored record of the retry carries the prompt id of the one it retried.
    const history = (await call('GET', `/v1/sessions/${sessionId}?include_history=true`)).json as {
      session: { chat_history: Record<string, { prompt_id?: string; prompt: string }[]> };
    };
    const fast = history.session.chat_history[idOf(FAST)]!;
    assert.equal(fast.length, 4);
    assert.equal(fast[3]!.prompt_id, fast[2]!.prompt_id, 'the retry has the prompt id of the attempt it retried');
    // The folded attempt opens to show what failed.
    await cell(3, FAST).locator(`${tid('attempt')} > summary`).click();
    await cell(3, FAST).locator(`${tid('attempt')} ${tid('error-card')}`).filter({ hasText: 'the fast model broke' }).waitFor();
  });

  it('shows what is still coming when the panel is opened mid-flight: the streamed text so far, and the queued prompt', async () => {
    e2e.fake.setBehaviour(FAST.model, { kind: 'echo', prefix: 'Fast: ' });
    // Slow enough (15 s) to be still streaming when the panel is back; the fifth answer, once its turn comes, is quick.
    e2e.fake.setBehaviour(SLOW.model, { kind: 'slow', chunks: SLOW_CHUNKS, intervalMs: 250 });
    await sendFromPanel(panel(), 'Fourth prompt');
    await cell(4, SLOW).locator(`${tid('streaming')} h2`).waitFor();
    e2e.fake.setBehaviour(SLOW.model, { kind: 'reply', text: '## Slow fifth' });
    await sendFromPanel(panel(), 'Fifth prompt');
    await cell(5, SLOW).locator(tid('queued')).waitFor();

    // Closed and opened again: a new webview, drawn from the host's init and activePrompts().
    await page.locator('.tabs-container .tab.active').filter({ hasText: `Moonshot: ${SESSION}` }).locator('.codicon-close').click();
    await page.locator('.tabs-container .tab').filter({ hasText: `Moonshot: ${SESSION}` }).waitFor({ state: 'detached' });
    await openSession(SESSION);
    await waitForCount(rows(panel()), 5);
    const resumed = await (await chatFrame(page)).evaluate((chatId) => {
      const slow = [...document.querySelectorAll(`[data-testid="row"] [data-testid="cell"][data-chat-id="${chatId}"]`)];
      return {
        fourth: slow[3]?.querySelector('[data-testid="streaming"] h2')?.textContent ?? null,
        fifth: slow[4]?.querySelector('[data-testid="queued"]')?.textContent ?? null,
      };
    }, idOf(SLOW));
    assert.deepEqual(
      resumed,
      { fourth: 'Slow heading', fifth: 'Queued, waiting for Slow' },
      'row 4 shows the text streamed before the panel opened, still streaming; row 5 waits for Slow',
    );
    await cell(5, FAST).locator(tid('response')).filter({ hasText: 'Fast: Fifth prompt' }).waitFor();
    await cell(5, SLOW).locator(`${tid('response')} h2`).filter({ hasText: 'Slow fifth' }).waitFor({ timeout: 30_000 });
    assert.equal(await cell(4, SLOW).locator(tid('streaming')).count(), 0);
  });

  it('keeps the rows, and the retry in its row, across Developer: Reload Window', async () => {
    const snapshot = () =>
      rows(panel()).evaluateAll((els) =>
        els.map((el) => ({
          prompt: (el.querySelector('[data-testid="prompt"]') as HTMLElement).innerText.trim(),
          cells: [...el.querySelectorAll('[data-testid="cell"]')].map((c) => ({
            attempts: [...c.querySelectorAll('[data-testid="attempt"] > summary')].map((s) => (s as HTMLElement).innerText.trim()),
            answer: ((c.querySelector('.cell-main [data-testid="response"]') as HTMLElement | null)?.innerText ?? '').trim().slice(0, 40),
          })),
        })),
      );
    const before = await snapshot();
    assert.deepEqual(
      before.map((r) => r.prompt),
      ['First prompt', 'Second prompt', 'Third prompt', 'Fourth prompt', 'Fifth prompt'],
    );
    await reloadWindow(page);
    await waitForWorkbench(page);
    await panel().locator(tid('session-title')).filter({ hasText: SESSION }).waitFor();
    await waitForCount(rows(panel()), 5);
    await waitForCount(answers(panel(), idOf(SLOW)), 5);
    assert.deepEqual(await snapshot(), before);
  });

  it('takes screenshots of the rows in the light and the dark theme', async () => {
    await (await chatFrame(page)).evaluate(() => (document.querySelector('.grid-scroll')!.scrollTop = 0));
    await runCommand(page, 'Notifications: Clear All Notifications');
    await shoot('light');
    await runCommand(page, 'Preferences: Color Theme');
    await pickItem(page, { placeholder: 'Select Color Theme' }, 'Dark Modern');
    await page.locator('.monaco-workbench.vs-dark').waitFor();
    await quickInput(page).widget.waitFor({ state: 'hidden' });
    await (await chatFrame(page)).waitForFunction(() => document.body.classList.contains('vscode-dark'));
    await shoot('dark');
  });

  it("says so in a deleted session's panel, keeps its answers, and does not bring the panel back after a reload", async () => {
    // Another session's panel in the background: it must come back (the check below is not vacuous).
    await openSession(OTHER);
    await page.locator('.tabs-container .tab').filter({ hasText: `Moonshot: ${SESSION}` }).click();
    await panel().locator(tid('session-title')).filter({ hasText: SESSION }).waitFor();

    assert.equal((await call('DELETE', `/v1/sessions/${sessionId}`)).status, 200);
    const banner = panel().locator(tid('session-deleted'));
    await banner.waitFor();
    assert.match(await banner.innerText(), /This session was deleted/);
    assert.equal(await rows(panel()).count(), 5, 'the answers stay visible');
    assert.equal(await panel().locator(tid('prompt-input')).isDisabled(), true, 'the prompt box is disabled');
    assert.equal(await panel().locator(tid('send-button')).isDisabled(), true);
    const tab = page.locator('.tabs-container .tab').filter({ hasText: `Moonshot: ${SESSION}` });
    await tab.filter({ hasText: '(deleted)' }).waitFor();

    // The workbench has saved both panels, the deleted one active: a reload would restore it.
    await waitForSavedEditorState(page, '(deleted)');
    await reloadWindow(page);
    await waitForWorkbench(page);
    await page.locator('.tabs-container .tab').filter({ hasText: `Moonshot: ${OTHER}` }).waitFor();
    await tab.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.locator('.tabs-container .tab').filter({ hasText: 'Loading' }).count(), 0);
  });

  it('logged no error in the panel or the extension', () => {
    assert.deepEqual(e2e.dialogs, [], 'dialogs opened');
    assert.deepEqual(e2e.webviewConsole, [], "the panel's console shows errors or warnings");
    assert.deepEqual(extensionLogProblems(e2e.dirs), [], "the extension's log shows errors or warnings");
  });
});
