// The end-to-end harness: a fake OpenAI server, a real VS Code (code-server,
// started by scripts/code-server.mjs) with this repo as the development
// extension, and headless Chromium showing its workbench. Tests drive the
// page as a person would: clicks, typing, the command palette.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

export const REPO = resolve(__dirname, '../..');
export const RESULTS = join(REPO, 'test-results');
export const EXTENSION_ID = 'moonshot-sessions.moonshot-sessions';
export const LIGHT_THEME = 'Default Light Modern';

const VERBOSE = process.env.MOONSHOT_E2E_VERBOSE === '1';
const KEEP = process.env.MOONSHOT_E2E_KEEP === '1';
const say = (line: string) => process.stdout.write(`${line}\n`);

/** What the suite uses of scripts/code-server.mjs (plain JS, so typed here). */
interface RunningCodeServer {
  url: string;
  port: number;
  output: string[];
  stop(): Promise<unknown>;
}
interface CodeServerModule {
  startCodeServer(options: {
    port?: number;
    userDataDir: string;
    extensionsDir: string;
    workspace?: string;
    env?: Record<string, string>;
    onOutput?: (line: string) => void;
    log?: (line: string) => void;
  }): Promise<RunningCodeServer>;
  launchBrowser(options?: { headless?: boolean }): Promise<Browser>;
}

async function codeServerModule(): Promise<CodeServerModule> {
  // A computed specifier: TypeScript would want a declaration file for a literal one.
  const specifier = pathToFileURL(join(REPO, 'scripts', 'code-server.mjs')).href;
  return (await import(specifier)) as CodeServerModule;
}

export interface EndpointConfig {
  id: string;
  name: string;
  model: string;
  max_concurrency?: number;
  max_calls_per_second?: number;
}

export interface Dirs {
  root: string;
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
}

export interface E2E {
  fake: FakeOpenAI;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  dirs: Dirs;
  /** The workbench URL with this repo as the development extension. */
  workbenchUrl: string;
  /** alert/confirm/prompt dialogs the page opened (there should be none). */
  dialogs: string[];
  /** Every URL the browser requested, from any frame or service worker. */
  requests: string[];
  /** Uncaught errors of any page. */
  pageErrors: string[];
  /** Errors and warnings logged by the panel's webview (its script, CSP refusals ...). */
  webviewConsole: string[];
  /** Keeps VS Code's logs in test-results/ (after a failure). */
  saveLogs(): string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  endpoints: EndpointConfig[];
  theme?: string;
  /** More user settings (e.g. moonshotSessions.endpointFolders). */
  settings?: Record<string, unknown>;
  /** Files to put in the workspace before VS Code starts, by path relative to it. */
  workspaceFiles?: Record<string, string>;
}

/** Starts everything and opens the workbench; resolves once the activity bar shows the Moonshot view. */
export async function startE2E(options: StartOptions): Promise<E2E> {
  const cs = await codeServerModule();
  const root = mkdtempSync(join(tmpdir(), 'moonshot-e2e-'));
  const dirs: Dirs = {
    root,
    userDataDir: join(root, 'user-data'),
    extensionsDir: join(root, 'extensions'),
    workspace: join(root, 'workspace'),
  };
  mkdirSync(join(dirs.userDataDir, 'User'), { recursive: true });
  mkdirSync(dirs.workspace, { recursive: true });
  writeFileSync(join(dirs.workspace, 'README.md'), '# End-to-end test workspace\n\nMade by test/e2e/harness.ts.\n');
  for (const [path, text] of Object.entries(options.workspaceFiles ?? {})) {
    mkdirSync(dirname(join(dirs.workspace, path)), { recursive: true });
    writeFileSync(join(dirs.workspace, path), text);
  }

  let fake: FakeOpenAI | undefined;
  let server: RunningCodeServer | undefined;
  let browser: Browser | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      await browser?.close().catch(() => {});
      await server?.stop().catch(() => {});
      await fake?.close().catch(() => {});
      if (!KEEP) rmSync(root, { recursive: true, force: true, maxRetries: 5 });
      else say(`e2e: kept ${root}`);
    })());
  // Interrupted (Ctrl+C, the runner's timeout): clean up, then go.
  const onSignal = (signal: NodeJS.Signals) => {
    say(`e2e: ${signal}: stopping code-server and the browser`);
    void stopAll().finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, onSignal);

  try {
    fake = await startFakeOpenAI();
    const settingsFile = join(dirs.userDataDir, 'User', 'settings.json');
    const settings: Record<string, unknown> = {
      // Code-server reads this file at start but does not follow later edits of it:
      // tests change the theme with the command palette, as a person would.
      'workbench.colorTheme': options.theme ?? LIGHT_THEME,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'remote.autoForwardPorts': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.ignoreRecommendations': true,
      'security.workspace.trust.enabled': false,
      // Any free port: a developer's own VS Code may hold the default 5000.
      'moonshotSessions.api.port': 0,
      'moonshotSessions.endpoints': options.endpoints.map((e) => ({
        id: e.id,
        name: e.name,
        connector_type: 'openai-connector',
        uri: fake!.url,
        model: e.model,
        ...(e.max_concurrency === undefined ? {} : { max_concurrency: e.max_concurrency }),
        ...(e.max_calls_per_second === undefined ? {} : { max_calls_per_second: e.max_calls_per_second }),
        // One try: a failure must show as a failure, not a retry.
        params: { max_attempts: 1, timeout: 30 },
      })),
      ...options.settings,
    };
    writeFileSync(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);

    server = await cs.startCodeServer({
      ...dirs,
      onOutput: VERBOSE ? (l) => say(`  [code-server] ${l}`) : undefined,
      log: (l) => say(l),
    });
    browser = await cs.launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // So that tests can read what Copy put on the clipboard.
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const dialogs: string[] = [];
    const requests: string[] = [];
    const pageErrors: string[] = [];
    const webviewConsole: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    context.on('page', (p) => p.on('pageerror', (err) => pageErrors.push(err.message)));
    // Shorter than a test's timeout, so a missing element fails with its own message.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    page.on('dialog', (d) => {
      // Leaving the page (reload) may ask; that is the workbench, not the panel.
      if (d.type() === 'beforeunload') return void d.accept();
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (VERBOSE) say(`  [browser ${m.type()}] ${m.text()}`);
      const where = `${m.location().url} ${m.page()?.url() ?? ''}`;
      // (Chromium's warning about VS Code's own iframe sandbox is not the panel's.)
      if (
        (m.type() === 'error' || m.type() === 'warning') &&
        /\/webview\/browser\/pre\/|\/out\/(webview|matrix)\.js/.test(where) &&
        !/can escape its sandboxing/.test(m.text())
      ) {
        webviewConsole.push(`${m.type()}: ${m.text()} (${m.location().url})`);
      }
    });

    const remote = `vscode-remote://127.0.0.1:${server.port}`;
    const payload = [
      ['extensionDevelopmentPath', remote + REPO],
      ['skipWelcome', 'true'],
    ];
    const query = `folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const workbenchUrl = `${server.url}/?${query}`;
    await page.goto(workbenchUrl, { waitUntil: 'domcontentloaded' });
    await waitForWorkbench(page);

    const e2e: E2E = {
      fake,
      browser,
      context,
      page,
      dirs,
      workbenchUrl,
      dialogs,
      requests,
      pageErrors,
      webviewConsole,
      saveLogs() {
        const logs = join(dirs.userDataDir, 'logs');
        if (!existsSync(logs)) return undefined;
        const target = join(RESULTS, 'e2e-logs');
        rmSync(target, { recursive: true, force: true });
        cpSync(logs, target, { recursive: true });
        return target;
      },
      stop: stopAll,
    };
    return e2e;
  } catch (err) {
    if (server) say(`e2e: code-server output:\n${server.output.slice(-40).join('\n')}`);
    await stopAll();
    throw err;
  }
}

/** The workbench has loaded and the extension's view container is in the activity bar. */
export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: 30_000 });
  await activityBarItem(page).waitFor({ timeout: 30_000 });
}

export function activityBarItem(page: Page) {
  return page.locator('.activitybar').getByRole('tab', { name: 'Moonshot' });
}

/** Warning and error lines of the extension's own log ("Moonshot Sessions" output), from every extension host so far. */
export function extensionLogProblems(dirs: Dirs): string[] {
  const logs = join(dirs.userDataDir, 'logs');
  if (!existsSync(logs)) return [];
  return readdirSync(logs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(join(EXTENSION_ID, 'Moonshot Sessions.log')))
    .flatMap((f) => readFileSync(join(logs, f), 'utf8').split('\n'))
    .filter((line) => /\[(warning|error)\]/.test(line));
}

/** The local API's discovery file (api.json) that the extension writes into its workspace storage. */
export function readApiDiscovery(dirs: Dirs): { url: string; token: string | null } | undefined {
  const storage = join(dirs.userDataDir, 'User', 'workspaceStorage');
  if (!existsSync(storage)) return undefined;
  for (const hash of readdirSync(storage)) {
    const file = join(storage, hash, EXTENSION_ID, 'api.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { url: string; token: string | null };
  }
  return undefined;
}

export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/**
 * Registers the hooks every suite wants: a screenshot of the page after a
 * failed test, and VS Code's logs kept after the run when any test failed.
 * Call inside `describe`; `get` returns the running E2E (undefined before it started).
 */
export function keepFailureArtifacts(get: () => E2E | undefined): void {
  let anyFailed = false;
  afterEach(async function () {
    const page = get()?.page;
    const test = this.currentTest;
    if (test?.state !== 'failed' || !page) return;
    anyFailed = true;
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `e2e-failure-${slug(test.title)}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: 10_000 }).catch(() => undefined);
    console.log(`      screenshot: ${file}`);
  });
  after(function () {
    if (!anyFailed) return;
    const logs = get()?.saveLogs();
    if (logs) console.log(`      VS Code logs: ${logs}`);
  });
}
