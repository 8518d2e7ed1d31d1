// End-to-end tests of the Endpoints view and a guided flow with Back, in a
// real VS Code (code-server) shown in headless Chromium: what a person
// clicks and types, and what the view shows afterwards. Screenshots of the
// view and of the Edit Endpoint flow go to test-results/.
//
// Run with `node scripts/test-e2e.mjs` after `npm run build`.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { RESULTS, activityBarItem, extensionLogProblems, keepFailureArtifacts, startE2E, type E2E, type EndpointConfig } from './harness';
import {
  answerInput,
  chatFrame,
  chatPanel,
  endpointRow,
  tid,
  notification,
  pickItem,
  pickMany,
  pressBack,
  quickInput,
  runCommand,
  typeInto,
  waitForStep,
} from './ui';

const A: EndpointConfig = { id: 'model-a', name: 'Model A', model: 'alpha' };
const UNSUPPORTED = { name: 'On Bedrock', connector_type: 'bedrock-connector', uri: '', model: 'claude-3', token: '', params: {} };

describe('Endpoints view and guided flows, end to end (code-server + Chromium)', function () {
  this.timeout(60_000);
  let e2e: E2E;
  let page: Page;

  /** The whole window, or its left part: the sidebar with room for a hover beside it. */
  const shot = async (name: string, target: 'page' | 'sidebar' = 'page') => {
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `e2e-${name}.png`);
    await page.screenshot({ path: file, ...(target === 'sidebar' ? { clip: { x: 0, y: 0, width: 820, height: 900 } } : {}) });
    console.log(`      screenshot: ${file}`);
  };
  const description = (row: ReturnType<typeof endpointRow>) => row.locator('.label-description').innerText();

  before(async function () {
    this.timeout(120_000);
    e2e = await startE2E({
      endpoints: [A],
      settings: { 'moonshotSessions.endpointFolders': ['connectors-endpoints'] },
      workspaceFiles: { 'connectors-endpoints/on-bedrock.json': JSON.stringify(UNSUPPORTED, null, 2) },
    });
    page = e2e.page;
  });

  keepFailureArtifacts(() => e2e);

  after(async function () {
    this.timeout(60_000);
    await e2e?.stop();
  });

  const steps = () => page.locator('.getting-started-step');

  it('opens the Get Started walkthrough: five steps, none done yet', async () => {
    // Opened first, as on a first run: VS Code follows a walkthrough's completion events from then on.
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await pickItem(page, { placeholder: 'walkthrough' }, 'Get Started with Moonshot');
    await steps().nth(4).waitFor();
    assert.deepEqual(
      await steps().evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-step-id')?.split('#').pop()}=${e.getAttribute('aria-checked')}`),
      ),
      ['endpoint=false', 'session=false', 'prompt=false', 'compare=false', 'api=false'],
    );
    await page.locator('.getting-started-step[data-step-id$="#endpoint"] .step-title').click();
    await page.locator('.getting-started-media svg, .getting-started-media img, .getting-started-media iframe').first().waitFor();
    await shot('walkthrough');
  });

  it('shows every endpoint with its model and origin, and a warning on the one this build cannot call', async () => {
    await activityBarItem(page).click();
    const echo = endpointRow(page, 'Echo (offline)');
    await echo.waitFor();
    assert.equal(await description(echo), 'echo · built-in');
    assert.equal(await description(endpointRow(page, A.name)), 'alpha · settings');
    const bedrock = endpointRow(page, UNSUPPORTED.name);
    assert.equal(await description(bedrock), 'claude-3 · folder');
    assert.equal(await bedrock.locator('.codicon-warning').count(), 1, 'a warning icon');
    // A hover shows after a pause of the pointer; move off and on again if it did not.
    const tooltip = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'not supported' }).first();
    for (let attempt = 0; attempt < 3 && !(await tooltip.isVisible()); attempt++) {
      await page.mouse.move(700, 450);
      await bedrock.locator('.label-name').hover();
      await tooltip.waitFor({ timeout: 4000 }).catch(() => undefined);
    }
    await tooltip.waitFor();
    await shot('endpoints-view', 'sidebar');
    await page.mouse.move(700, 450);
  });

  it('edits an endpoint from the view: Edit, Model, a model the server lists; the view shows the new model', async () => {
    e2e.fake.setBehaviour('beta-7', { kind: 'echo' });
    const row = endpointRow(page, A.name);
    await row.hover();
    await row.getByRole('button', { name: 'Edit Endpoint' }).click();
    await pickItem(page, { title: `Edit "${A.name}" (1/2)`, placeholder: 'What to change' }, 'Model');
    await waitForStep(page, { title: `Edit "${A.name}" (2/2)`, placeholder: 'Model: pick one' });
    await quickInput(page).rows.filter({ hasText: 'beta-7' }).waitFor();
    await shot('edit-endpoint-model');
    await pickItem(page, { placeholder: 'Model: pick one' }, 'beta-7');
    await row.filter({ hasText: 'beta-7 · settings' }).waitFor();
    assert.equal(await description(row), 'beta-7 · settings');
    await shot('endpoints-view-edited', 'sidebar');
  });

  it('goes Back in Add Endpoint, takes a URL typed into the preset list, and names the endpoint after the server', async () => {
    e2e.fake.setBehaviour('typed-model', { kind: 'echo' });
    await runCommand(page, 'Moonshot: Add Endpoint');
    await pickItem(page, { title: 'Add Endpoint (1/5)', placeholder: 'Connector type' }, 'OpenAI-compatible');
    await waitForStep(page, { title: 'Add Endpoint (2/5)', placeholder: 'Base URL' });
    await shot('add-endpoint-back');
    await pressBack(page);
    await waitForStep(page, { title: 'Add Endpoint (1/5)' });
    await pickItem(page, { title: 'Add Endpoint (1/5)' }, 'OpenAI-compatible');
    await pickItem(page, { title: 'Add Endpoint (2/5)' }, e2e.fake.url);
    await waitForStep(page, { title: 'Add Endpoint (3/5)', placeholder: 'API key' });
    await pressBack(page);
    await waitForStep(page, { title: 'Add Endpoint (2/5)' });
    const q = quickInput(page);
    await typeInto(page, q.box, e2e.fake.url);
    const typed = q.rows.filter({ hasText: 'use this base URL' });
    await typed.filter({ hasText: e2e.fake.url }).waitFor();
    await shot('add-endpoint-typed-url');
    assert.equal(await q.focusedRow.filter({ hasText: 'use this base URL' }).count(), 1, 'the typed URL is the item Enter takes');
    await q.box.press('Enter');
    await answerInput(page, { title: 'Add Endpoint (3/5)', placeholder: 'API key' }, '');
    await pickItem(page, { title: 'Add Endpoint (4/5)', placeholder: 'Model' }, 'typed-model');
    await waitForStep(page, { title: 'Add Endpoint (5/5)', placeholder: 'Name' });
    const host = new URL(e2e.fake.url).host;
    const suggested = `typed-model (${host})`;
    await page.waitForFunction(([el, want]) => (el as HTMLInputElement).value === want, [
      await quickInput(page).box.elementHandle(),
      suggested,
    ] as const);
    await quickInput(page).box.press('Enter');
    const row = endpointRow(page, suggested);
    await row.waitFor();
    assert.equal(await description(row), 'typed-model · settings');
  });

  it('opens the session picker with Ctrl+Alt+M; with no session it offers Create Session, and that flow goes Back too', async () => {
    await quickInput(page).widget.waitFor({ state: 'hidden' });
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 450 } });
    await page.keyboard.press('Control+Alt+KeyM');
    const toast = notification(page, 'There are no sessions yet.');
    await toast.getByRole('button', { name: 'Create Session' }).click();
    await answerInput(page, { title: 'Create Session (1/5)', placeholder: 'Session name' }, 'Keyboard');
    await waitForStep(page, { title: 'Create Session (2/5)' });
    await pressBack(page);
    await waitForStep(page, { title: 'Create Session (1/5)' });
    assert.equal(await quickInput(page).box.inputValue(), 'Keyboard', 'Back keeps the name');
    await answerInput(page, { title: 'Create Session (1/5)' }, 'Keyboard Session');
    await answerInput(page, { title: 'Create Session (2/5)' }, '');
    // Enter with nothing picked asks again, saying why.
    await waitForStep(page, { title: 'Create Session (3/5)' });
    await quickInput(page).box.press('Enter');
    await waitForStep(page, { title: 'Create Session (3/5)', placeholder: 'Pick at least one endpoint' });
    await pickMany(page, { title: 'Create Session (3/5)' }, ['Echo (offline)']);
    await pickItem(page, { title: 'Create Session (4/5)' }, 'None');
    await pickItem(page, { title: 'Create Session (5/5)' }, 'None');
    await page.locator('.tabs-container .tab').filter({ hasText: 'Moonshot: Keyboard Session' }).waitFor();
    // The panel has loaded (it takes the focus then); the keys are pressed in it.
    await chatFrame(page);
    await chatPanel(page).locator(tid('prompt-input')).click();
    await page.keyboard.press('Control+Alt+KeyM');
    await pickItem(page, { placeholder: 'Open which session?' }, 'Keyboard Session');
  });

  it('the Get Started walkthrough ticked off what was done: endpoints seen, a session created, no prompt yet, nothing compared', async () => {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await pickItem(page, { placeholder: 'walkthrough' }, 'Get Started with Moonshot');
    await steps().filter({ hasText: 'Create a session' }).waitFor();
    const done = async (id: string) =>
      (await page.locator(`.getting-started-step[data-step-id$="#${id}"]`).getAttribute('aria-checked')) === 'true';
    await page.locator('.getting-started-step[data-step-id$="#session"][aria-checked="true"]').waitFor();
    assert.equal(await done('endpoint'), true);
    assert.equal(await done('prompt'), false, 'no prompt was sent');
    // The session picker was opened (Ctrl+Alt+M), but nothing was compared yet.
    assert.equal(await done('compare'), false, 'no answers were compared');
    await page.locator('.getting-started-step[data-step-id$="#compare"] .step-title').click();
    await page.locator('.getting-started-step[data-step-id$="#compare"][aria-expanded="true"]').waitFor();
    await shot('walkthrough-progress');
  });

  it('logged no error in the extension during the run', async () => {
    assert.deepEqual(e2e.dialogs, [], 'dialogs opened');
    assert.deepEqual(
      extensionLogProblems(e2e.dirs).filter((l) => !/not supported/.test(l)),
      [],
      "the extension's log shows errors or warnings",
    );
  });
});
