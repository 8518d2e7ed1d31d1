// Page helpers for the workbench (quick inputs, the command palette, the
// Sessions view) and for the chat panel's webview, which lives two iframes
// deep: the workbench's `iframe.webview` (its `src` names the extension),
// then that document's `#active-frame`, which holds the panel's HTML.
import type { Frame, FrameLocator, Locator, Page } from 'playwright-core';
import { EXTENSION_ID } from './harness';

// ---------------------------------------------------------------------------------------------
// Workbench

export function quickInput(page: Page) {
  const widget = page.locator('.quick-input-widget');
  return {
    widget,
    title: widget.locator('.quick-input-title'),
    box: widget.locator('.quick-input-box input'),
    rows: widget.locator('.quick-input-list .monaco-list-row'),
    focusedRow: widget.locator('.quick-input-list .monaco-list-row.focused'),
    selectedCount: widget.locator('.quick-input-count'),
  };
}

export interface Step {
  /** Text of the quick input's title, or of its placeholder when it has no title. */
  title?: string;
  placeholder?: string;
}

/** Waits until the quick input shows the step (a new step reuses the same widget). */
export async function waitForStep(page: Page, step: Step, timeout?: number): Promise<void> {
  const q = quickInput(page);
  const options = timeout === undefined ? {} : { timeout };
  await q.widget.waitFor(options);
  if (step.title) await q.title.filter({ hasText: step.title }).waitFor(options);
  if (step.placeholder)
    await page.locator(`.quick-input-widget .quick-input-box input[placeholder*=${JSON.stringify(step.placeholder)}]`).waitFor(options);
}

/**
 * Types into a quick input's box as a person does, key by key. On a loaded machine the
 * workbench can drop keys typed while it re-renders the widget; then what is missing is
 * filled in, so the test goes on with the text it meant.
 */
export async function typeInto(page: Page, box: Locator, text: string): Promise<void> {
  // What the box already holds stays: the command palette's ">" for one.
  const before = await box.inputValue();
  const want = before + text;
  if (text) await box.pressSequentially(text);
  const handle = await box.elementHandle();
  const typed = await page
    .waitForFunction(([el, value]) => (el as HTMLInputElement).value === value, [handle, want] as const, { timeout: 2000 })
    .then(() => true, () => false);
  if (typed) return;
  await box.fill(want);
  await page.waitForFunction(([el, value]) => (el as HTMLInputElement).value === value, [handle, want] as const);
}

/** An input box: types the answer and presses Enter. */
export async function answerInput(page: Page, step: Step, text: string): Promise<void> {
  await waitForStep(page, step);
  const { box } = quickInput(page);
  await box.fill(''); // some come with a suggested value
  await typeInto(page, box, text);
  await box.press('Enter');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Types `label` into the quick input's filter and chooses the item labelled exactly so:
 * Enter when the filter put it first, else a click on it (another item may match better).
 */
async function chooseFiltered(page: Page, label: string): Promise<void> {
  const q = quickInput(page);
  await typeInto(page, q.box, label);
  // (Used in `has`, so relative to a row.)
  const exact = page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) });
  const row = q.rows.filter({ has: exact });
  await row.first().waitFor();
  // The list refilters after each key; wait for the typed text to be the filter before deciding.
  await page.waitForFunction(([el, want]) => (el as HTMLInputElement).value.endsWith(want as string), [
    await q.box.elementHandle(),
    label,
  ] as const);
  if (await q.focusedRow.filter({ has: exact }).count()) await q.box.press('Enter');
  else await row.first().click();
}

/** A single-choice quick pick: types to filter and picks the item with that label. */
export async function pickItem(page: Page, step: Step, label: string): Promise<void> {
  await waitForStep(page, step);
  await chooseFiltered(page, label);
}

/**
 * A multi-select quick pick: for each label, types it into the filter, moves into the
 * list (Down) and toggles the item (Space), as a keyboard user does; then Enter.
 */
export async function pickMany(page: Page, step: Step, labels: string[]): Promise<void> {
  await waitForStep(page, step);
  const q = quickInput(page);
  for (const [i, label] of labels.entries()) {
    await q.box.fill('');
    await typeInto(page, q.box, label);
    const row = q.rows.filter({ hasText: label });
    await row.first().waitFor();
    await q.box.press('ArrowDown');
    await q.focusedRow.filter({ hasText: label }).waitFor();
    await page.keyboard.press('Space');
    await q.selectedCount.filter({ hasText: `${i + 1} Selected` }).waitFor();
  }
  await q.box.fill('');
  await q.box.press('Enter');
}

/** Runs a command from the command palette (F1), by its full label, e.g. "Moonshot: Send Prompt". */
export async function runCommand(page: Page, label: string): Promise<void> {
  const q = quickInput(page);
  // A quick input still closing would take the keys meant for the new one.
  await q.widget.waitFor({ state: 'hidden' });
  // F1 works with the focus anywhere, in a webview too (webviews pass keybindings on).
  await page.keyboard.press('F1');
  await q.widget.waitFor();
  await page.waitForFunction((el) => (el as HTMLInputElement).value === '>', await q.box.elementHandle());
  await chooseFiltered(page, label);
}

/**
 * Runs a command that opens a quick input and waits for its first step. On a loaded
 * machine the step can fail to show, or close at once (a webview taking the focus as
 * it settles closes a quick pick): then the command is run again, at most `attempts`
 * times, and the retry is logged so a real fault still shows in the output.
 */
export async function runCommandToStep(page: Page, label: string, step: Step, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, label);
    const shown = await waitForStep(page, step, attempt < attempts ? 5000 : undefined).then(() => true, (err: unknown) => {
      if (attempt >= attempts) throw err;
      return false;
    });
    if (shown) return;
    console.log(`      (${label}: its first step did not show; running it again, attempt ${attempt + 1} of ${attempts})`);
    await page.keyboard.press('Escape');
  }
}

/**
 * Waits until the workbench has written its editors' state, with `needle` in it, to the
 * browser's storage (IndexedDB). VS Code in a browser writes that state lazily, a second
 * or two after a change, and a browser reload does not wait for it: a reload sooner
 * reopens the editors as they were before. ("Developer: Reload Window" does wait.)
 */
export async function waitForSavedEditorState(page: Page, needle: string): Promise<void> {
  await page.waitForFunction(
    async (want) => {
      for (const info of await indexedDB.databases()) {
        if (!info.name?.startsWith('vscode-web-state-db-') || info.name.endsWith('-global')) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const req = indexedDB.open(info.name as string);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        try {
          const value = await new Promise<unknown>((resolve, reject) => {
            const req = db.transaction('ItemTable').objectStore('ItemTable').get('memento/workbench.parts.editor');
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          });
          if (typeof value === 'string' && value.includes(want)) return true;
        } finally {
          db.close();
        }
      }
      return false;
    },
    needle,
    { polling: 250 },
  );
}

/** Developer: Reload Window, which saves the workbench's state first; resolves once the new page has loaded. */
export async function reloadWindow(page: Page): Promise<void> {
  const loaded = page.waitForEvent('load');
  await runCommand(page, 'Developer: Reload Window');
  await loaded;
}

/** The Sessions view's tree row of a session. */
export function sessionRow(page: Page, name: string): Locator {
  return page.locator('.part.sidebar .monaco-list-row[role="treeitem"]').filter({ hasText: name });
}

/** A notification toast, e.g. the summary after "Moonshot: Send Prompt". */
export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast').filter({ hasText: text });
}

// ---------------------------------------------------------------------------------------------
// The chat panel

export const tid = (id: string) => `[data-testid="${id}"]`;

/** This extension's webview iframes in the workbench (only visible, loaded ones). */
const OUTER = `iframe.webview.ready[src*="extensionId=${EXTENSION_ID}"]`;

/** The chat panel's document, for locators (they re-resolve, so they survive the webview reloading). */
export function chatPanel(page: Page): FrameLocator {
  return page.frameLocator(OUTER).frameLocator('#active-frame');
}

/**
 * The chat panel's Frame, for evaluating script in it (window checks, waitForFunction).
 * A reload makes a new one: ask again after it.
 */
export async function chatFrame(page: Page): Promise<Frame> {
  await chatPanel(page).locator(tid('prompt-input')).waitFor();
  const outer = await page.locator(OUTER).elementHandle();
  const outerFrame = await outer?.contentFrame();
  const inner = await (await outerFrame?.locator('#active-frame').elementHandle())?.contentFrame();
  if (!inner) throw new Error('the chat panel webview has no #active-frame document');
  return inner;
}

/** The column header of an endpoint, found by its title (it carries the chat id, the status and Stop). */
export function column(panel: FrameLocator, endpointName: string): Locator {
  return panel.locator(tid('column')).filter({ has: panel.locator(tid('column-title'), { hasText: endpointName }) });
}

/** The rows of the panel, one per prompt, oldest first. */
export function rows(panel: FrameLocator): Locator {
  return panel.locator(tid('row'));
}

/** A chat's cell in each row (or in one row), in row order. */
export function cells(scope: FrameLocator | Locator, chatId: string): Locator {
  return scope.locator(`${tid('cell')}[data-chat-id="${chatId}"]`);
}

/** A chat's latest answer in each row that has one (earlier attempts, folded, are not counted). */
export function answers(scope: FrameLocator | Locator, chatId: string): Locator {
  return scope.locator(`${tid('cell')}[data-chat-id="${chatId}"] > .cell-main > ${tid('exchange')}`);
}

/** Waits until the locator matches exactly `n` elements. */
export async function waitForCount(list: Locator, n: number): Promise<void> {
  if (n > 0) await list.nth(n - 1).waitFor();
  await list.nth(n).waitFor({ state: 'detached' });
}

/**
 * Waits until the newest row is in view (the grid follows new answers
 * unless the user scrolled up); fails saying where it is.
 */
export async function waitForNewestInView(frame: Frame, timeout = 3000): Promise<void> {
  const check = () => {
    const scroller = document.querySelector('.grid-scroll');
    const all = document.querySelectorAll('[data-testid="row"]:not([hidden])');
    const last = all[all.length - 1];
    if (!scroller || !last) return 'no rows';
    const box = scroller.getBoundingClientRect();
    const r = last.getBoundingClientRect();
    return r.bottom <= box.bottom + 2 && r.bottom > box.top
      ? ''
      : `the newest row ends at ${Math.round(r.bottom)}, the view spans ${Math.round(box.top)}-${Math.round(box.bottom)}`;
  };
  try {
    await frame.waitForFunction(`(${check.toString()})() === ''`, undefined, { timeout });
  } catch {
    throw new Error(`the newest row is scrolled out of view: ${await frame.evaluate(check)}`);
  }
}

/** Every row's cells' tops and bottoms, per row, for checking that they line up. */
export async function cellBoxes(frame: Frame): Promise<{ top: number; bottom: number; chatId: string }[][]> {
  return frame.evaluate(() =>
    [...document.querySelectorAll('[data-testid="row"]:not([hidden])')].map((row) =>
      [...row.querySelectorAll('[data-testid="cell"]')].map((cell) => {
        const r = cell.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, chatId: cell.getAttribute('data-chat-id') ?? '' };
      }),
    ),
  );
}

/** The text of the prompt box (a textarea). */
export async function promptValue(panel: FrameLocator): Promise<string> {
  return panel.locator(tid('prompt-input')).inputValue();
}

/** Types a prompt in the panel's prompt box (Shift+Enter between lines) and sends it with Enter. */
export async function sendFromPanel(panel: FrameLocator, prompt: string): Promise<void> {
  const input = panel.locator(tid('prompt-input'));
  await input.click();
  const lines = prompt.split('\n');
  for (const [i, line] of lines.entries()) {
    if (i > 0) await input.press('Shift+Enter');
    await input.pressSequentially(line);
  }
  const typed = await input.inputValue();
  if (typed !== prompt)
    throw new Error(`the prompt box holds ${JSON.stringify(typed)} instead of ${JSON.stringify(prompt)} before sending`);
  await input.press('Enter');
}

// ---------------------------------------------------------------------------------------------
// The Endpoints view and guided flows

/** A row of the Endpoints view, by the endpoint's name. */
export function endpointRow(page: Page, name: string): Locator {
  return page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator('.pane-header', { hasText: 'Endpoints' }) })
    .locator('.monaco-list-row[role="treeitem"]')
    .filter({ hasText: name });
}

/** Clicks the Back button of the quick input (a step of a guided flow). */
export async function pressBack(page: Page): Promise<void> {
  await quickInput(page).widget.getByRole('button', { name: 'Back' }).click();
}
