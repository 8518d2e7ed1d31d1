// `npm start`: this extension in a real VS Code (code-server 4.100.3) that a person opens
// in a browser at http://127.0.0.1:8080/. Build first (`npm run build`); after a rebuild,
// run "Developer: Reload Window" in the browser to load the new code.
//
//   node scripts/start.mjs            serve until Ctrl+C (PORT=... to change the port)
//   node scripts/start.mjs --check    start, open it in headless Chromium, exit 0 once the
//                                     extension has activated (1 if it did not), then stop
//   --extension=DIR                   serve another extension folder (default: this repo)
//
// The extension is "installed" as a symlink in code-server's extensions dir plus an entry
// in its extensions.json (code-server has no --extensionDevelopmentPath; a folder that is
// not in extensions.json is ignored and marked obsolete). State (settings, extension
// storage) lives in ~/.cache/moonshot-sessions/start (MOONSHOT_START_STATE to move it);
// the folder opened is .moonshot-sample/ in the repo.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { activationFailure, ensureCodeServer, extensionHostLog, launchBrowser, startCodeServer } from './code-server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1'; // --auth none: never listen beyond loopback
const CHECK = process.argv.includes('--check');
const extArg = process.argv.find((a) => a.startsWith('--extension='));
const EXT = resolve(extArg ? extArg.slice('--extension='.length) : REPO);
const PORT = Number(process.env.PORT || (CHECK ? 0 : 8080));
const SAMPLE = join(REPO, '.moonshot-sample');

function die(msg) {
  console.error(`start: ${msg}`);
  process.exit(1);
}

function manifest() {
  const file = join(EXT, 'package.json');
  if (!existsSync(file)) die(`${file} not found`);
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  const id = `${pkg.publisher}.${pkg.name}`;
  const main = pkg.main ? join(EXT, pkg.main) : undefined;
  if (main && !existsSync(main) && !existsSync(`${main}.js`)) {
    console.error(`start: warning: ${main} does not exist yet; run \`npm run build\` (then "Developer: Reload Window").`);
  }
  return { id, version: pkg.version, folder: `${id}-${pkg.version}`.toLowerCase() };
}

/** Links EXT into the extensions dir and lists it in extensions.json (replacing older entries of it). */
function installLink(extensionsDir, { id, version, folder }) {
  mkdirSync(extensionsDir, { recursive: true });
  const listFile = join(extensionsDir, 'extensions.json');
  let list = [];
  try { list = JSON.parse(readFileSync(listFile, 'utf8')); } catch { /* absent or unreadable: start afresh */ }
  if (!Array.isArray(list)) list = [];
  for (const e of list) {
    // Old links of this extension (another version): remove the link only, never its target.
    if (e?.identifier?.id?.toLowerCase() === id.toLowerCase() && e.relativeLocation && e.relativeLocation !== folder) {
      const p = join(extensionsDir, e.relativeLocation);
      try { if (lstatSync(p).isSymbolicLink()) rmSync(p); } catch { /* gone */ }
    }
  }
  list = list.filter((e) => e?.identifier?.id?.toLowerCase() !== id.toLowerCase());
  const link = join(extensionsDir, folder);
  try { rmSync(link); } catch { /* absent */ }
  symlinkSync(EXT, link, 'dir');
  list.push({
    identifier: { id },
    version,
    location: { $mid: 1, path: link, scheme: 'file' },
    relativeLocation: folder,
    metadata: { installedTimestamp: Date.now(), source: 'resource' },
  });
  writeFileSync(listFile, JSON.stringify(list));
  // A folder marked obsolete (e.g. by an "Uninstall") would be skipped.
  const obsoleteFile = join(extensionsDir, '.obsolete');
  if (existsSync(obsoleteFile)) {
    try {
      const obsolete = JSON.parse(readFileSync(obsoleteFile, 'utf8'));
      delete obsolete[folder];
      if (Object.keys(obsolete).length) writeFileSync(obsoleteFile, JSON.stringify(obsolete));
      else rmSync(obsoleteFile);
    } catch {
      rmSync(obsoleteFile, { force: true });
    }
  }
}

function ensureSample() {
  mkdirSync(SAMPLE, { recursive: true });
  const readme = join(SAMPLE, 'README.md');
  if (!existsSync(readme)) {
    writeFileSync(readme, `# Moonshot Sessions: sample workspace

This folder was made by \`npm start\` (scripts/start.mjs) and is ignored by git.
You are in a real VS Code (code-server) in your browser, with the Moonshot
Sessions extension from this repository installed.

- Open the Moonshot Sessions view from the activity bar on the left, or press
  F1 and type "Moonshot" to see the extension's commands.
- After changing the code: \`npm run build\` (or \`npm run watch\`), then F1 →
  "Developer: Reload Window".
- The extension's log: F1 → "Output: Show Output Channels..." → Moonshot Sessions.
- Stop the server with Ctrl+C in the terminal that runs \`npm start\`.
- Start afresh: delete this folder and ~/.cache/moonshot-sessions/start.
`);
  }
  return SAMPLE;
}

function portFree(port) {
  if (port === 0) return Promise.resolve(true);
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, HOST, () => srv.close(() => res(true)));
  });
}

async function main() {
  const ext = manifest();
  if (!(await portFree(PORT))) die(`port ${PORT} on ${HOST} is taken (another \`npm start\`?). Use another one: PORT=8081 npm start`);
  await ensureCodeServer();
  const state = CHECK
    ? mkdtempSync(join(tmpdir(), 'moonshot-start-check-'))
    : resolve(
      process.env.MOONSHOT_START_STATE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'moonshot-sessions', 'start'),
    );
  const userDataDir = join(state, 'user-data');
  const extensionsDir = join(state, 'extensions');
  const settings = join(userDataDir, 'User', 'settings.json');
  if (!existsSync(settings)) {
    mkdirSync(dirname(settings), { recursive: true });
    writeFileSync(settings, JSON.stringify({
      'workbench.startupEditor': 'readme', // opens the sample folder's README.md
      'git.openRepositoryInParentFolders': 'never', // the sample folder sits inside this repo
      'remote.autoForwardPorts': false, // the extension's own API port is not an app to open
    }, null, 2));
  }
  installLink(extensionsDir, ext);
  const workspace = ensureSample();

  const server = await startCodeServer({ port: PORT, host: HOST, userDataDir, extensionsDir, workspace });
  let stopping = false;
  const shutdown = async (code) => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    if (!CHECK) console.log('start: stopped');
    if (CHECK) rmSync(state, { recursive: true, force: true });
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => shutdown(0));
  server.child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`start: code-server stopped (code ${code}, signal ${signal}):\n${server.output.slice(-20).join('\n')}`);
      process.exit(1);
    }
  });

  if (!CHECK) {
    console.log(`\nMoonshot Sessions is running in VS Code at:\n\n    ${server.url}/\n\n(folder: ${workspace})\nPress Ctrl+C to stop.`);
    return;
  }

  // --check: what a person gets, in headless Chromium; the extension must activate.
  const browser = await launchBrowser();
  let ok = false;
  let reason = `${ext.id} did not activate within 60 s`;
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`, { waitUntil: 'domcontentloaded' });
    const started = Date.now();
    const activating = `ExtensionService#_doActivateExtension ${ext.id}`;
    while (Date.now() - started < 60_000) {
      const log = extensionHostLog(userDataDir);
      const failed = activationFailure(log, ext.id);
      if (failed) {
        reason = failed;
        break;
      }
      if (log.includes(activating)) {
        await sleep(1000); // activate() runs after that line; give a failure time to show
        const failedLate = activationFailure(extensionHostLog(userDataDir), ext.id);
        ok = !failedLate;
        if (failedLate) reason = failedLate;
        break;
      }
      await sleep(250);
    }
  } finally {
    await browser.close().catch(() => {});
  }
  console.log(ok ? `start --check: ${ext.id} activated (${server.url}/)` : `start --check: FAILED: ${reason}`);
  await shutdown(ok ? 0 : 1);
}

main().catch((e) => die(e?.stack || String(e)));
