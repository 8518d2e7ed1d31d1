// Runs the integration tests (out/test/integration/**/*.test.js) inside a real VS Code:
// code-server (VS Code 1.100.3 from npm) opened in headless Chromium, with this repo
// as the development extension. Build first (`npm run build`).
//
//   node scripts/test-integration.mjs [--phases=1,2]
//
// Each phase is one full run of the suite in a fresh code-server process, sharing one
// user-data dir and workspace, so phase 2 can check what phase 1 left behind (state
// that must survive a restart). The suite sees the phase as MOONSHOT_IT_PHASE.
// Env: MOONSHOT_IT_PHASES (default "1,2"), MOONSHOT_IT_TIMEOUT_MS (default 300000),
// MOONSHOT_IT_GREP (mocha grep), MOONSHOT_IT_VERBOSE=1 (browser console + server output),
// MOONSHOT_IT_KEEP=1 (keep the temp dirs), MOONSHOT_CODE_SERVER_CACHE, CHROME_PATH.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer, launchBrowser, startCodeServer } from './code-server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TESTS_ENTRY = join(REPO, 'out', 'test', 'integration', 'index.js');
const RESULTS = join(REPO, 'test-results');
const arg = process.argv.find((a) => a.startsWith('--phases='));
const PHASES = (arg ? arg.slice('--phases='.length) : process.env.MOONSHOT_IT_PHASES || '1,2')
  .split(',').map((s) => s.trim()).filter(Boolean);
const TIMEOUT_MS = Number(process.env.MOONSHOT_IT_TIMEOUT_MS || 300_000);
const VERBOSE = process.env.MOONSHOT_IT_VERBOSE === '1';
const KEEP = process.env.MOONSHOT_IT_KEEP === '1';

const say = (line) => process.stdout.write(`${line}\n`);

const counts = { passing: 0, failing: 0 };
const countLine = () => `integration: ${counts.passing} passed, ${counts.failing} failed`;

let failed = false;
let server;
let starting; // a code-server start in flight
let browser;
let tmp;
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    const late = await starting?.catch(() => undefined);
    await late?.stop().catch(() => {});
    await server?.stop().catch(() => {});
    if (tmp && !KEEP) {
      try {
        rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
      } catch (e) {
        say(`integration: could not remove ${tmp}: ${e.message}`);
      }
    }
  })();
  return cleaning;
}
async function fail(message, code = 1) {
  if (failed) return;
  failed = true;
  say(countLine());
  say(`integration: FAILED: ${message}`);
  await cleanup();
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => fail(`interrupted by ${sig}`, 130));
}
// Each phase stops waiting at the deadline (and takes its screenshot); this is the backstop
// for anything else that hangs (starting the browser or code-server, closing them).
let overall;
function startOverallTimer() {
  overall = setTimeout(() => fail(`timed out after ${TIMEOUT_MS / 1000} s (MOONSHOT_IT_TIMEOUT_MS)`), TIMEOUT_MS + 30_000);
}

// test/integration/index.ts prefixes each line the extension host prints during the run
// with this tag (given to it as MOONSHOT_IT_TAG); those lines are the suite's output.
const TAG = '[moonshot-it] ';
// Known harmless noise: no internet (open-vsx.org, vsda), web-only lifecycle warning.
const NOISE = /open-vsx\.org|ENOTFOUND|vsda|Long running operations during shutdown/;

// Every phase uses the port and the browser profile of the first: VS Code keys a web
// workspace's storage by its URI (host:port included), and keeps secrets in the
// browser's storage, as a person's browser would across restarts.
let fixedPort = 0;
let context;

async function runPhase(phase, dirs, deadline) {
  say(`integration: phase ${phase}: starting code-server`);
  starting = startCodeServer({
    ...dirs,
    port: fixedPort,
    env: { MOONSHOT_IT_PHASE: String(phase), MOONSHOT_IT_TAG: TAG },
    onOutput: VERBOSE ? (l) => say(`  [code-server] ${l}`) : undefined,
  });
  server = await starting;
  starting = undefined;
  fixedPort = server.port;
  if (failed) return new Promise(() => {}); // interrupted meanwhile: fail() is cleaning up and exiting
  const base = server.url;
  const remote = `vscode-remote://127.0.0.1:${server.port}`;
  const payload = [
    ['extensionDevelopmentPath', remote + REPO],
    ['extensionTestsPath', remote + TESTS_ENTRY],
    ['skipWelcome', 'true'],
  ];
  const url = `${base}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  context ??= await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  let resolveExit;
  const exited = new Promise((r) => (resolveExit = r));
  let logs = [];
  // Both must exist before the workbench loads: it looks for them once.
  await page.exposeFunction('codeAutomationExit', (code, files) => {
    logs = Array.isArray(files) ? files : [];
    resolveExit(Number(code));
  });
  await page.exposeFunction('codeAutomationLog', (type, message) => {
    const text = Array.isArray(message) ? message.join(' ') : String(message);
    if (text.startsWith(TAG)) {
      const line = text.slice(TAG.length);
      const m = /^\s*(\d+) (passing|failing)\b/.exec(line); // mocha's epilogue
      if (m) counts[m[2]] += Number(m[1]);
      say(line);
    } else if (VERBOSE) {
      say(`  [workbench ${type}] ${text}`);
    }
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (VERBOSE) say(`  [browser ${msg.type()}] ${text}`);
    // The extension under test failing to activate shows only here: always worth seeing.
    else if (msg.type() === 'error' && /Activating extension/.test(text) && !NOISE.test(text)) say(`  [extension host] ${text}`);
  });
  page.on('pageerror', (err) => say(`  [page error] ${err.message}`));

  // The suite asks for a second window on the same folder by creating this file; it gets
  // one with the extension (but not the tests), as a person opening a second tab would.
  const SECOND_WINDOW = '.open-second-window';
  let secondPage;
  const secondWindowWatcher = watch(dirs.workspace, async (_event, name) => {
    if (name !== SECOND_WINDOW || secondPage || !existsSync(join(dirs.workspace, SECOND_WINDOW))) return;
    secondPage = await context.newPage();
    const second = [payload[0], ['skipWelcome', 'true']];
    await secondPage.goto(`${base}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(second))}`, {
      waitUntil: 'domcontentloaded',
    });
  });

  let code;
  let reason = '';
  let timer;
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: Math.max(1000, deadline - Date.now()) });
    code = await Promise.race([
      exited,
      new Promise((_, rej) => {
        timer = setTimeout(
          () => rej(new Error(`timed out after ${TIMEOUT_MS / 1000} s overall (MOONSHOT_IT_TIMEOUT_MS)`)),
          Math.max(0, deadline - Date.now()),
        );
      }),
    ]);
  } catch (e) {
    code = 1;
    reason = e.message;
  } finally {
    clearTimeout(timer);
  }
  if (failed) return new Promise(() => {});
  if (code !== 0) {
    try {
      mkdirSync(RESULTS, { recursive: true });
      const shot = join(RESULTS, `integration-phase-${phase}.png`);
      await page.screenshot({ path: shot, timeout: 10_000 });
      say(`integration: screenshot: ${shot}`);
      for (const { relativePath, contents } of logs) {
        const file = join(RESULTS, `integration-phase-${phase}-logs`, relativePath);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, contents);
      }
      // The server side's logs (remote extension host, server) are in the user-data dir.
      if (existsSync(join(dirs.userDataDir, 'logs'))) {
        cpSync(join(dirs.userDataDir, 'logs'), join(RESULTS, `integration-phase-${phase}-logs`, 'server'), { recursive: true });
      }
      say(`integration: VS Code logs: ${join(RESULTS, `integration-phase-${phase}-logs`)}`);
    } catch (e) {
      say(`integration: (no screenshot: ${e.message})`);
    }
  }
  secondWindowWatcher.close();
  await secondPage?.close().catch(() => {});
  await page.close().catch(() => {});
  await server.stop();
  server = undefined;
  return { code, reason };
}

async function main() {
  if (!existsSync(TESTS_ENTRY)) return fail(`${TESTS_ENTRY} is missing: run \`npm run build\` first`);
  if (!existsSync(join(REPO, 'package.json'))) return fail('no package.json in the repo root');
  // Artifacts of an earlier failed run would mislead.
  if (existsSync(RESULTS)) {
    for (const f of readdirSync(RESULTS))
      if (f.startsWith('integration-phase-')) rmSync(join(RESULTS, f), { recursive: true, force: true });
  }
  await ensureCodeServer({ log: (l) => say(l) }); // a first install (~35 s) is not part of the timeout
  const started = Date.now();
  const deadline = started + TIMEOUT_MS;
  startOverallTimer();

  tmp = mkdtempSync(join(tmpdir(), 'moonshot-it-'));
  const dirs = {
    userDataDir: join(tmp, 'user-data'),
    extensionsDir: join(tmp, 'extensions'),
    workspace: join(tmp, 'workspace'),
  };
  mkdirSync(dirs.workspace, { recursive: true });
  writeFileSync(join(dirs.workspace, 'sample.txt'), 'Hello from the Moonshot Sessions integration tests.\n');
  writeFileSync(join(dirs.workspace, 'README.md'), '# Integration test workspace\n\nMade by scripts/test-integration.mjs.\n');

  browser = await launchBrowser();
  for (const phase of PHASES) {
    if (failed) return;
    const t0 = Date.now();
    const { code, reason } = await runPhase(phase, dirs, deadline);
    if (failed) return;
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (code !== 0) return fail(`phase ${phase}: ${reason || `the suite exited with code ${code}`} (${secs} s)`, code || 1);
    say(`integration: phase ${phase} passed (${secs} s)`);
  }
  clearTimeout(overall);
  await cleanup();
  say(`integration: ${PHASES.length} phase(s) passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(countLine());
  process.exit(0);
}

main().catch((e) => fail(e?.stack || String(e)));
