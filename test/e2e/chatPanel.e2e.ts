// End-to-end tests of the chat panel in a real VS Code (code-server 4.100.3 =
// VS Code 1.100.3) shown in headless Chromium: what a person does (clicks,
// typing, the command palette) and what they see. One workbench and one
// session for the whole suite; the tests run in order and build on each other
// (a later one uses the session and the history the earlier ones made).
//
// Run with `node scripts/test-e2e.mjs` after `npm run build`.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';
import {
  RESULTS,
  activityBarItem,
  extensionLogProblems,
  keepFailureArtifacts,
  readApiDiscovery,
  startE2E,
  waitForWorkbench,
  type E2E,
  type EndpointConfig,
} from './harness';
import {
  answerInput,
  answers,
  cells,
  chatFrame,
  chatPanel,
  column,
  notification,
  pickItem,
  pickMany,
  promptValue,
  quickInput,
  reloadWindow,
  rows,
  runCommand,
  sendFromPanel,
  sessionRow,
  tid,
  waitForCount,
  waitForNewestInView,
  waitForSavedEditorState,
} from './ui';

const A: EndpointConfig = { id: 'model-a', name: 'Model A', model: 'alpha' };
const B: EndpointConfig = { id: 'model-b', name: 'Model B', model: 'beta' };
const C: EndpointConfig = { id: 'model-c', name: 'Model C', model: 'gamma' };
const ENDPOINTS = [A, B, C];
const SESSION = 'E2E Session';
const FIRST_TEST = 'creates a session from the Moonshot view and opens it with one column per endpoint';

/** Ten chunks that make one sentence, so a partial answer is a prefix of the final one. */
const sentence = (who: string) => ['The ', `${who} `, 'model ', 'streams ', 'this ', 'answer ', 'in ', 'ten ', 'small ', 'pieces.'];

const XSS_CORPUS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '[click](javascript:window.__xss=1)',
  '<svg onload="window.__xss=1"></svg>',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+)',
  '<a href="javascript:alert(1)">a</a>',
  '[x](JaVaScRiPt:alert(1))',
  '<iframe src="javascript:alert(1)">',
  '![remote](http://127.0.0.1:1/track.png)',
];
/** Markdown that must still render, so the checks above are not passing on an empty answer. */
const XSS_CONTROL = 'Markdown still works: **bold words** and [a web link](https://example.com/docs).';
const XSS_PROMPT = '<img src=x onerror="window.__xss=2">\n<script>window.__xss=2</script> is my prompt';

const MARKDOWN_ANSWER = [
  '### Closures',
  '',
  'A closure keeps the variables of the scope it was **created** in:',
  '',
  '```ts',
  'function counter(): () => number {',
  '  let n = 0;',
  '  return () => ++n; // n lives on',
  '}',
  '```',
  '',
  '- each call of `counter()` gets its own `n`',
  '- the returned function reads and writes it',
].join('\n');
const TABLE_ANSWER = [
  '| Language | Closures |',
  '| --- | --- |',
  '| TypeScript | yes |',
  '| C | no |',
  '',
  'Use `let` for a counter.',
].join('\n');

describe('Chat panel, end to end (code-server + Chromium)', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let page: Page;
  let panelOpened = false;
  const panel = (): FrameLocator => chatPanel(page);
  const col = (e: EndpointConfig): Locator => column(panel(), e.name);
  const chatIdOf = async (e: EndpointConfig): Promise<string> => {
    const id = await col(e).getAttribute('data-chat-id');
    assert.ok(id, `the column of ${e.name} has no data-chat-id`);
    return id;
  };
  /** The streaming answer of a column while it streams. */
  const streamingText = (chatId: string): Locator =>
    panel().locator(`${tid('streaming')}[data-chat-id="${chatId}"] ${tid('streaming-text')}`);
  const chatIds = new Map<EndpointConfig, string>();
  const idOf = (e: EndpointConfig): string => chatIds.get(e) ?? assert.fail(`no chat id for ${e.name} yet`);
  /** The answers of a column: one per row the prompt went to. */
  const answersOf = (e: EndpointConfig): Locator => answers(panel(), idOf(e));
  const counts = async (): Promise<number[]> => Promise.all(ENDPOINTS.map((e) => answersOf(e).count()));
  const waitForAnswers = (e: EndpointConfig, n: number) => waitForCount(answersOf(e), n);
  const lastExchange = (e: EndpointConfig): Locator => answersOf(e).last();
  const lastRow = (): Locator => rows(panel()).last();

  before(async function () {
    this.timeout(120_000);
    e2e = await startE2E({ endpoints: ENDPOINTS });
    page = e2e.page;
  });

  beforeEach(function () {
    // Every later test works in the panel the first one opens.
    if (this.currentTest?.title !== FIRST_TEST && !panelOpened) throw new Error('the session panel never opened (see the first test)');
  });

  keepFailureArtifacts(() => e2e);

  after(async function () {
    this.timeout(60_000);
    await e2e?.stop();
  });

  it(FIRST_TEST, async () => {
    // The status bar says where the local API listens, as a person sees it.
    await page.locator('.statusbar .statusbar-item').filter({ hasText: /Moonshot API 127\.0\.0\.1:\d+/ }).waitFor();
    await activityBarItem(page).click();
    await page.locator('.welcome-view-content').getByRole('button', { name: 'Create Session' }).click();
    await answerInput(page, { title: 'Create Session (1/5)' }, SESSION);
    await answerInput(page, { title: 'Create Session (2/5)' }, 'Three fake models side by side');
    await pickMany(page, { title: 'Create Session (3/5)' }, ENDPOINTS.map((e) => e.name));
    await pickItem(page, { title: 'Create Session (4/5)' }, 'None');
    await pickItem(page, { title: 'Create Session (5/5)' }, 'None');

    const row = sessionRow(page, SESSION).filter({ hasText: '3 endpoints' });
    await row.waitFor();
    await row.hover();
    await row.getByRole('button', { name: 'Open Session' }).click();

    await page.locator('.tabs-container .tab').filter({ hasText: `Moonshot: ${SESSION}` }).waitFor();
    const p = panel();
    await p.locator(tid('session-title')).filter({ hasText: SESSION }).waitFor();
    await p.locator(tid('column')).nth(ENDPOINTS.length - 1).waitFor();
    const titles = await p.locator(tid('column-title')).allInnerTexts();
    assert.equal(titles.length, ENDPOINTS.length, `columns: ${JSON.stringify(titles)}`);
    ENDPOINTS.forEach((e, i) => {
      assert.ok(titles[i]?.includes(e.name), `column ${i + 1} is titled ${JSON.stringify(titles[i])}, not with ${e.name}`);
      assert.ok(titles[i]?.includes(e.model), `column ${i + 1} (${JSON.stringify(titles[i])}) does not show the model ${e.model}`);
    });
    assert.equal(await p.locator(tid('exchange')).count(), 0, 'a new session shows no exchanges');
    for (const e of ENDPOINTS) chatIds.set(e, await chatIdOf(e));
    panelOpened = true;
  });

  it('streams the answers of every endpoint into their columns as they arrive', async () => {
    for (const e of ENDPOINTS) e2e.fake.setBehaviour(e.model, { kind: 'slow', chunks: sentence(e.model), intervalMs: 70 });
    const frame = await chatFrame(page);
    const ids = ENDPOINTS.map(idOf);
    // Watches each column's streaming text from before the prompt is sent; resolves with
    // the first non-empty text seen, which must be a part of the final answer.
    const partials = Promise.all(
      ids.map(async (chatId) => {
        const handle = await frame.waitForFunction(
          (id) => {
            const el = document.querySelector(`[data-testid="streaming"][data-chat-id="${id}"] [data-testid="streaming-text"]`);
            const text = el?.textContent?.trim() ?? '';
            return text.length > 0 ? text : false;
          },
          chatId,
          { polling: 5 },
        );
        return (await handle.jsonValue()) as string;
      }),
    );
    partials.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled

    const prompt = 'Hello from the panel';
    await sendFromPanel(panel(), prompt);
    const seen = await partials;
    for (const e of ENDPOINTS) await waitForAnswers(e, 1);
    await waitForNewestInView(frame);
    assert.equal(await promptValue(panel()), '', 'the prompt box is emptied after sending');
    await panel().locator(tid('streaming')).first().waitFor({ state: 'detached' });

    assert.equal(await rows(panel()).count(), 1, 'one prompt, one row');
    assert.equal((await lastRow().locator(tid('prompt')).innerText()).trim(), prompt);
    for (const [i, e] of ENDPOINTS.entries()) {
      const final = sentence(e.model).join('').trim();
      const ex = lastExchange(e);
      assert.equal((await ex.locator(tid('response')).innerText()).trim(), final);
      const partial = seen[i] ?? '';
      assert.ok(
        partial.length < final.length,
        `${e.name}: the first streamed text seen (${JSON.stringify(partial)}) is already the whole answer`,
      );
      assert.ok(final.startsWith(partial), `${e.name}: streamed ${JSON.stringify(partial)} is not the start of ${JSON.stringify(final)}`);
      const meta = await ex.locator(tid('meta')).innerText();
      assert.match(meta, /\d+(\.\d+)?\s*(s|sec|secs|seconds|ms)\b/, `${e.name}: meta ${JSON.stringify(meta)} shows no duration`);
      assert.equal(await ex.locator(tid('error-card')).count(), 0);
    }
  });

  it('stops one column while it streams, and retries a failed one in its row, in that column only', async () => {
    e2e.fake.setBehaviour(A.model, { kind: 'reply', text: 'Alpha answered in full.' });
    e2e.fake.setBehaviour(B.model, { kind: 'status', status: 500, message: 'the fake server broke' });
    e2e.fake.setBehaviour(C.model, { kind: 'slow', chunks: Array.from({ length: 60 }, (_, i) => `part${i} `), intervalMs: 100 });
    const chatC = idOf(C);
    const gammaClosed = e2e.fake.nextClosed(C.model);
    const prompt = 'Stop and retry';
    await sendFromPanel(panel(), prompt);

    await streamingText(chatC).filter({ hasText: 'part' }).waitFor();
    await col(C).locator(tid('stop-button')).click();
    const closed = await gammaClosed;
    assert.equal(closed.outcome, 'aborted', 'Stop ends the HTTP request to the endpoint');

    for (const e of ENDPOINTS) await waitForAnswers(e, 2);
    assert.match(await lastExchange(C).locator(tid('error-card')).innerText(), /cancel/i);
    assert.equal((await lastExchange(A).locator(tid('response')).innerText()).trim(), 'Alpha answered in full.');
    assert.equal(await lastExchange(A).locator(tid('error-card')).count(), 0);
    const failure = lastExchange(B).locator(tid('error-card'));
    assert.match(await failure.innerText(), /500/);
    assert.match(await failure.innerText(), /the fake server broke/);

    // The endpoint works again: Retry in the failed exchange sends the prompt to that chat only.
    e2e.fake.setBehaviour(B.model, { kind: 'reply', text: 'Beta recovered on retry.' });
    const alphaCalls = e2e.fake.attempts(A.model);
    const gammaCalls = e2e.fake.attempts(C.model);
    await failure.locator(tid('retry-button')).click();
    // The answer comes into the row of the prompt it retries; the failure folds above it.
    const cell = cells(lastRow(), idOf(B));
    await cell.locator(tid('response')).filter({ hasText: 'Beta recovered on retry.' }).waitFor();
    assert.equal(await rows(panel()).count(), 2, 'a Retry makes no new row');
    assert.equal((await lastRow().locator(tid('prompt')).innerText()).trim(), prompt);
    assert.equal(await lastExchange(B).locator(tid('error-card')).count(), 0);
    const folded = cell.locator(tid('attempt'));
    assert.match(await folded.innerText(), /^attempt 1 \(failed: HTTP 500/, 'the failed attempt stays, folded');
    assert.deepEqual(await counts(), [2, 2, 2], 'still one answer per column and row');
    await waitForNewestInView(await chatFrame(page));
    assert.equal(e2e.fake.attempts(A.model), alphaCalls, 'Retry did not call the other endpoints');
    assert.equal(e2e.fake.attempts(C.model), gammaCalls, 'Retry did not call the other endpoints');
  });

  it('shows prompts sent from outside the panel (command palette, local API) as they stream in', async () => {
    for (const e of ENDPOINTS) e2e.fake.setBehaviour(e.model, { kind: 'slow', chunks: sentence(e.model), intervalMs: 100 });
    const chatA = idOf(A);
    const before = await counts();

    // 1. Moonshot: Send Prompt, answering its quick pick and input box.
    const fromPalette = 'Sent from the command palette';
    await runCommand(page, 'Moonshot: Send Prompt');
    await pickItem(page, { placeholder: 'Send a prompt to which session?' }, SESSION);
    await answerInput(page, { title: `Send Prompt to "${SESSION}"` }, fromPalette);
    await streamingText(chatA).filter({ hasText: /\S/ }).waitFor();
    for (const [i, e] of ENDPOINTS.entries()) await waitForAnswers(e, (before[i] ?? 0) + 1);
    assert.equal((await lastRow().locator(tid('prompt')).innerText()).trim(), fromPalette);
    for (const e of ENDPOINTS) {
      assert.equal((await lastExchange(e).locator(tid('response')).innerText()).trim(), sentence(e.model).join('').trim());
    }
    await notification(page, '3 of 3 endpoints answered').waitFor();

    // 2. The local API, as another tool would call it (api.json tells where and how).
    const api = readApiDiscovery(e2e.dirs);
    assert.ok(api, 'the extension wrote api.json into its workspace storage');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(api.token ? { authorization: `Bearer ${api.token}` } : {}),
    };
    const list = (await (await fetch(`${api.url}/v1/sessions`, { headers })).json()) as { session_id: string; name: string }[];
    const session = list.find((s) => s.name === SESSION);
    assert.ok(session, `GET /v1/sessions lists ${SESSION}: ${JSON.stringify(list)}`);
    const fromApi = 'Sent through the local API';
    const posted = fetch(`${api.url}/v1/sessions/${encodeURIComponent(session.session_id)}/prompt`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: fromApi }),
    });
    posted.catch(() => undefined); // awaited below
    await streamingText(chatA).filter({ hasText: /\S/ }).waitFor();
    for (const [i, e] of ENDPOINTS.entries()) await waitForAnswers(e, (before[i] ?? 0) + 2);
    assert.equal((await posted).status, 200);
    assert.equal((await lastRow().locator(tid('prompt')).innerText()).trim(), fromApi);
    await waitForNewestInView(await chatFrame(page));
  });

  /** Everything that must not be in the panel after it rendered the corpus. */
  async function assertNothingActive(frame: Frame, chatId: string): Promise<void> {
    const report = await frame.evaluate((id) => {
      const rowsEl = [...document.querySelectorAll('[data-testid="row"]')];
      const row = rowsEl[rowsEl.length - 1];
      const response = row?.querySelector(`[data-testid="cell"][data-chat-id="${id}"] [data-testid="response"]`);
      const prompt = row?.querySelector('[data-testid="prompt"]');
      const all = [...document.querySelectorAll('*')];
      // (No helper functions in here: tsx would wrap them in a __name() the page does not have.)
      return {
        responseText: response?.textContent ?? '',
        promptText: prompt?.textContent ?? '',
        // The exchange's own buttons have SVG icons: look in what the prompt and the model wrote.
        active: [response, prompt]
          .flatMap((el) => [
            ...(el?.querySelectorAll('script, iframe, frame, object, embed, svg, math, form, base, meta, link, style') ?? []),
          ])
          .map((el) => el.outerHTML.slice(0, 200)),
        handlers: all.filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).map((el) => el.outerHTML.slice(0, 200)),
        scriptLinks: all
          .filter(
            (el) =>
              /^\s*(javascript|vbscript|data):/i.test(el.getAttribute('href') ?? '') ||
              /^\s*(javascript|vbscript):/i.test(el.getAttribute('src') ?? ''),
          )
          .map((el) => el.outerHTML.slice(0, 200)),
        remoteImages: [...document.querySelectorAll('img')]
          .map((img) => img.getAttribute('src') ?? '')
          .filter((src) => /^\s*(https?:)?\/\//i.test(src)),
        bold: response?.querySelector('strong')?.textContent ?? null,
        links: [...(response?.querySelectorAll('a') ?? [])].map((a) => a.getAttribute('href') ?? ''),
      };
    }, chatId);
    assert.deepEqual(report.active, [], 'no script, iframe, svg ... elements in the prompt or the answer');
    assert.deepEqual(report.handlers, [], 'no element with an on* attribute in the panel');
    assert.deepEqual(report.scriptLinks, [], 'no javascript: (or data:) link in the panel');
    assert.deepEqual(report.remoteImages, [], 'no image loaded from the network');
    for (const raw of [
      '<img src=x onerror="window.__xss=1">',
      '<script>window.__xss=1</script>',
      '<svg onload="window.__xss=1"></svg>',
      '<iframe src="javascript:alert(1)">',
    ]) {
      assert.ok(
        report.responseText.includes(raw),
        `the raw HTML ${raw} shows as text in the answer; it holds: ${report.responseText.slice(0, 600)}`,
      );
    }
    assert.ok(report.promptText.includes('<script>window.__xss=2</script>'), `the prompt's HTML shows as text: ${report.promptText}`);
    assert.ok(report.promptText.includes('<img src=x onerror="window.__xss=2">'), `the prompt's HTML shows as text: ${report.promptText}`);
    assert.equal(report.bold, 'bold words', 'Markdown in the answer still renders');
    assert.deepEqual(report.links, ['https://example.com/docs'], 'only the web link is a link');
    for (const f of page.frames()) {
      if (f.isDetached()) continue;
      const xss = await f.evaluate(() => (window as unknown as { __xss?: unknown }).__xss).catch(() => undefined);
      assert.equal(xss, undefined, `window.__xss was set in frame ${f.url()}`);
    }
    assert.deepEqual(e2e.dialogs, [], 'no alert/confirm/prompt dialog opened');
    assert.deepEqual(e2e.requests.filter((u) => u.includes('track.png')), [], 'the remote image was never requested');
  }

  it('shows model output and prompts with HTML, scripts and javascript: links as inert text', async () => {
    e2e.fake.setBehaviour(A.model, { kind: 'reply', text: [...XSS_CORPUS, XSS_CONTROL].join('\n\n') });
    e2e.fake.setBehaviour(B.model, { kind: 'reply', text: 'Nothing to see here.' });
    e2e.fake.setBehaviour(C.model, { kind: 'reply', text: XSS_CORPUS.join(' ') });
    const before = await counts();
    await sendFromPanel(panel(), XSS_PROMPT);
    for (const [i, e] of ENDPOINTS.entries()) await waitForAnswers(e, (before[i] ?? 0) + 1);
    const prompt = lastRow().locator(tid('prompt'));
    assert.equal((await prompt.innerText()).trim(), XSS_PROMPT, 'the multi-line prompt (Shift+Enter) shows as typed');
    await waitForNewestInView(await chatFrame(page));
    await assertNothingActive(await chatFrame(page), idOf(A));
  });

  it('comes back with the same history after the page reloads (serializer)', async () => {
    // Per row: the prompt, then per column the folded attempts and the answer (or error).
    const snapshot = async () =>
      rows(panel()).evaluateAll((els) =>
        els.map((row) => ({
          prompt: (row.querySelector('[data-testid="prompt"]') as HTMLElement | null)?.innerText.trim(),
          cells: [...row.querySelectorAll('[data-testid="cell"]')].map((cell) => ({
            attempts: [...cell.querySelectorAll('[data-testid="attempt"] > summary')].map((el) => (el as HTMLElement).innerText.trim()),
            response: (cell.querySelector('.cell-main [data-testid="response"]') as HTMLElement | null)?.innerText.trim(),
            error: (cell.querySelector('.cell-main [data-testid="error-card"]') as HTMLElement | null)?.innerText.trim() ?? null,
          })),
        })),
      );
    const before = await snapshot();
    assert.equal(before.length, 5, 'five prompts so far, one row each');

    // A browser reload, as with F5. The workbench must have saved its editors (with this
    // panel) first, as it does a second or two after a change: it does not on the way out.
    await waitForSavedEditorState(page, 'moonshotSessions.chat');
    await page.reload({ waitUntil: 'domcontentloaded' });
    await waitForWorkbench(page);
    await page.locator('.tabs-container .tab').filter({ hasText: `Moonshot: ${SESSION}` }).waitFor();
    await panel().locator(tid('session-title')).filter({ hasText: SESSION }).waitFor();
    await waitForCount(rows(panel()), before.length);
    for (const e of ENDPOINTS) await waitForAnswers(e, before.length);
    assert.deepEqual(await snapshot(), before);
    // The revived panel renders the history (not the stream): it must be just as inert.
    await assertNothingActive(await chatFrame(page), idOf(A));
  });

  it('switches layout, clears and restores the view, and recalls the last prompt with Up', async () => {
    const p = panel();
    const frame = await chatFrame(page);
    const layoutClass = () =>
      frame.evaluate(() =>
        document.querySelector('.layout-stacked') ? 'stacked' : document.querySelector('.layout-columns') ? 'columns' : 'none',
      );
    // The cells of the last row: side by side in columns, one above the other when stacked.
    const boxes = async () => Promise.all(ENDPOINTS.map(async (e) => (await cells(lastRow(), idOf(e)).boundingBox())!));
    assert.equal(await layoutClass(), 'columns');
    let [first, second] = await boxes();
    assert.ok(first && second && Math.abs(first.y - second.y) < 2 && second.x > first.x, 'the answers to one prompt stand side by side');

    await p.locator(tid('layout-toggle')).click();
    await frame.waitForFunction(() => document.querySelector('.layout-stacked') !== null);
    assert.equal(await layoutClass(), 'stacked');
    [first, second] = await boxes();
    assert.ok(first && second && second.y >= first.y + first.height - 1, 'stacked, the answers to one prompt are one above the other');

    await p.locator(tid('layout-toggle')).click();
    await frame.waitForFunction(() => document.querySelector('.layout-columns') !== null);
    assert.equal(await layoutClass(), 'columns');

    const total = await p.locator(tid('exchange')).count();
    assert.ok(total > 0);
    await p.locator(tid('clear-view-button')).click();
    await frame.waitForFunction(() => [...document.querySelectorAll('[data-testid="exchange"]')].every((el) => !el.checkVisibility()));
    await p.locator(tid('show-cleared-button')).click();
    await frame.waitForFunction(
      (n) => {
        const all = [...document.querySelectorAll('[data-testid="exchange"]')];
        return all.length === n && all.every((el) => el.checkVisibility());
      },
      total,
    );

    const input = p.locator(tid('prompt-input'));
    await input.click();
    assert.equal(await input.inputValue(), '');
    await input.press('ArrowUp');
    await frame.waitForFunction(
      (want) => (document.querySelector('[data-testid="prompt-input"]') as HTMLTextAreaElement | null)?.value === want,
      XSS_PROMPT,
    );
    await input.fill('');
  });

  it('keeps the stacked layout and the cleared view across Developer: Reload Window', async () => {
    const p = panel();
    let frame = await chatFrame(page);
    const total = await p.locator(tid('exchange')).count();
    await p.locator(tid('layout-toggle')).click();
    await frame.waitForFunction(() => document.querySelector('.layout-stacked') !== null);
    await p.locator(tid('clear-view-button')).click();
    await frame.waitForFunction(() => [...document.querySelectorAll('[data-testid="exchange"]')].every((el) => !el.checkVisibility()));

    // Developer: Reload Window saves the workbench's state (the panel's with it) before reloading.
    await reloadWindow(page);
    await waitForWorkbench(page);
    frame = await chatFrame(page);
    // Drawn from the host's init: the title and the three columns are there.
    await frame.waitForFunction(
      ([name, n]) =>
        document.querySelector('[data-testid="session-title"]')?.textContent?.includes(name as string) &&
        document.querySelectorAll('[data-testid="column"]').length === n,
      [SESSION, ENDPOINTS.length] as const,
    );
    const state = await frame.evaluate(() => ({
      stacked: document.querySelector('.layout-stacked') !== null,
      visibleExchanges: [...document.querySelectorAll('[data-testid="exchange"]')].filter((el) => el.checkVisibility()).length,
    }));
    assert.deepEqual(state, { stacked: true, visibleExchanges: 0 }, 'the revived panel is still stacked and still cleared');

    // Back to columns with everything shown, for the next test.
    await p.locator(tid('layout-toggle')).click();
    await frame.waitForFunction(() => document.querySelector('.layout-columns') !== null);
    await p.locator(tid('show-cleared-button')).click();
    await frame.waitForFunction(
      (n) => {
        const all = [...document.querySelectorAll('[data-testid="exchange"]')];
        return all.length === n && all.every((el) => el.checkVisibility());
      },
      total,
    );
  });

  it('sets a context strategy from the panel header, shows it on new exchanges, and clears it', async () => {
    const p = panel();
    for (const e of ENDPOINTS) e2e.fake.setBehaviour(e.model, { kind: 'reply', text: `${e.name} read the earlier prompts too.` });
    await p.locator(tid('strategy-button')).click();
    await pickItem(page, { title: `Context strategy for "${SESSION}"` }, 'add_previous_prompt');
    await answerInput(page, { title: 'How many earlier prompts?' }, '2');
    await p.locator(tid('strategy-button')).filter({ hasText: 'add_previous_prompt' }).waitFor();
    assert.equal(
      (await p.locator(tid('strategy-detail')).innerText()).trim(),
      'last 2',
      'the chip shows how many earlier prompts the strategy uses',
    );
    await sessionRow(page, SESSION).filter({ hasText: 'strategy add_previous_prompt' }).waitFor();

    const before = await counts();
    const prompt = 'And now with context?';
    await sendFromPanel(p, prompt);
    for (const [i, e] of ENDPOINTS.entries()) await waitForAnswers(e, (before[i] ?? 0) + 1);
    await lastRow().locator(tid('badge-strategy')).filter({ hasText: 'add_previous_prompt' }).waitFor();
    // What the endpoint received: the new prompt, then the last two prompts of that chat.
    const sent = e2e.fake.requests.filter((r) => r.model === A.model).at(-1)?.body as
      { messages: { role: string; content: string }[] } | undefined;
    const received = sent?.messages.at(-1)?.content ?? '';
    assert.ok(
      received.startsWith(prompt) && received.includes(XSS_PROMPT) && received.includes('Sent through the local API'),
      `alpha received ${JSON.stringify(received)}`,
    );
    const ex = lastExchange(A);
    const prepared = ex.locator(tid('prepared-prompt'));
    assert.equal(await prepared.isVisible(), false, 'the prepared prompt is folded away at first');
    await ex.locator(tid('prepared-toggle')).click();
    await prepared.waitFor();
    assert.equal((await prepared.innerText()).trim(), received.trim(), 'Prepared prompt shows what the endpoint received');

    await p.locator(tid('clear-strategy-button')).click();
    await p.locator(tid('strategy-button')).filter({ hasText: 'none' }).waitFor();
    await sessionRow(page, SESSION).filter({ hasNotText: 'strategy' }).waitFor();
  });

  it('takes screenshots of the panel in the light and the dark theme', async () => {
    const p = panel();
    await p.locator(tid('clear-view-button')).click();
    e2e.fake.setBehaviour(A.model, { kind: 'reply', text: 'Closures capture variables from the scope where a function was created.' });
    e2e.fake.setBehaviour(B.model, { kind: 'reply', text: 'A closure is a function bundled with its lexical environment.' });
    e2e.fake.setBehaviour(C.model, { kind: 'status', status: 500, message: 'model overloaded' });
    let before = await counts();
    await sendFromPanel(p, 'What is a closure? One sentence.');
    for (const [i, e] of ENDPOINTS.entries()) await waitForAnswers(e, (before[i] ?? 0) + 1);
    e2e.fake.setBehaviour(A.model, { kind: 'reply', text: MARKDOWN_ANSWER });
    e2e.fake.setBehaviour(B.model, { kind: 'reply', text: TABLE_ANSWER });
    e2e.fake.setBehaviour(C.model, { kind: 'reply', text: 'Functions remember where they were born.' });
    before = await counts();
    await sendFromPanel(p, 'Show me a closure in TypeScript');
    for (const [i, e] of ENDPOINTS.entries()) await waitForAnswers(e, (before[i] ?? 0) + 1);
    await lastExchange(A).locator(`${tid('response')} pre code`).waitFor();
    await lastExchange(B).locator(`${tid('response')} table`).waitFor();

    // Toasts from earlier tests (they stay while the headless window has no focus) would cover the panel.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached' });
    mkdirSync(RESULTS, { recursive: true });
    const light = join(RESULTS, 'e2e-panel-light.png');
    await page.screenshot({ path: light, fullPage: true });

    await runCommand(page, 'Preferences: Color Theme');
    await pickItem(page, { placeholder: 'Select Color Theme' }, 'Dark Modern');
    await page.locator('.monaco-workbench.vs-dark').waitFor();
    await quickInput(page).widget.waitFor({ state: 'hidden' });
    const frame = await chatFrame(page);
    await frame.waitForFunction(() => document.body.classList.contains('vscode-dark'));
    const dark = join(RESULTS, 'e2e-panel-dark.png');
    await page.screenshot({ path: dark, fullPage: true });
    console.log(`      screenshots: ${light}\n                   ${dark}`);

  });

  it("inserts a code block into a new editor in the block's language, then a whole answer into that editor", async () => {
    const ex = lastExchange(A); // the Markdown answer of the previous test
    await ex.locator(tid('copy-markdown-button')).click();
    await page.locator('.statusbar').getByText('Copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), MARKDOWN_ANSWER);

    // No text editor is open: the code block (```ts) opens one, as TypeScript.
    await ex.locator(tid('code-insert-button')).click();
    // The new editor opens beside the panel and is the active tab of its group (the workbench may
    // also list the same untitled document in the panel's group).
    await page.locator('.tabs-container .tab.active').filter({ hasText: 'Untitled-1' }).first().waitFor();
    const editor = page.locator('.editor-instance .monaco-editor .view-lines');
    await editor.filter({ hasText: 'counter' }).waitFor();
    assert.match(await editor.innerText(), /function\s+counter\(\)/);
    await page.locator('.statusbar .statusbar-item').filter({ hasText: /^TypeScript$/ }).waitFor();

    await ex.locator(tid('insert-button')).click();
    await editor.filter({ hasText: 'Closures' }).waitFor();
  });

  it('logged no error in the panel or the extension and ran no injected script during the whole run', async () => {
    assert.deepEqual(e2e.dialogs, [], 'dialogs opened');
    for (const f of page.frames()) {
      if (f.isDetached()) continue;
      const xss = await f.evaluate(() => (window as unknown as { __xss?: unknown }).__xss).catch(() => undefined);
      assert.equal(xss, undefined, `window.__xss was set in frame ${f.url()}`);
    }
    assert.deepEqual(e2e.webviewConsole, [], "the panel's console shows errors or warnings");
    assert.deepEqual(extensionLogProblems(e2e.dirs), [], "the extension's log shows errors or warnings");
    if (e2e.pageErrors.length) console.log(`      uncaught errors in the workbench (not failing the run):\n${e2e.pageErrors.join('\n')}`);
  });
});
