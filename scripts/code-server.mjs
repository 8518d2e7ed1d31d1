// Runs a real VS Code (code-server from npm) for integration tests and for
// trying the extension by hand, driven by Debian's Chromium via playwright-core.
//
//   node scripts/code-server.mjs install   # ensure the cached install (CI cache step)
//
// Why code-server: @vscode/test-electron downloads VS Code and Electron from the
// internet, which these machines cannot reach; code-server@4.100.3 (= VS Code
// 1.100.3, the last release that runs on Node 20) installs from the npm registry.
// Needs Debian's `ripgrep` (/usr/bin/rg) and, for the browser, `chromium`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const RG = '/usr/bin/rg';
const MARKER = '.moonshot-install-complete';
const NATIVE_MODULES = ['@parcel/watcher', '@vscode/spdlog', '@vscode/deviceid', 'native-watchdog', 'node-pty'];

export function codeServerCacheDir() {
  if (process.env.MOONSHOT_CODE_SERVER_CACHE) return resolve(process.env.MOONSHOT_CODE_SERVER_CACHE);
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'moonshot-sessions', `code-server-${CODE_SERVER_VERSION}`);
}

function entryOf(dir) {
  return join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

function isInstalled(dir) {
  const marker = join(dir, MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === CODE_SERVER_VERSION && existsSync(entryOf(dir));
}

/** Environment for npm children: drop what an enclosing `npm run` injects about the repo. */
function npmEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^npm_(lifecycle|package|config_local_prefix|config_prefix|command)/i.test(k) || k === 'INIT_CWD') delete env[k];
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...extra };
}

function run(cmd, args, cwd, log, extraEnv) {
  log(`[code-server] ${cmd} ${args.join(' ')}   (in ${cwd})`);
  const r = spawnSync(cmd, args, {
    cwd,
    env: npmEnv(extraEnv),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed in ${cwd} (exit ${r.status}):\n${out}`);
  }
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** A lock directory next to the cache dir; a lock whose owner died, or older than 30 min, is taken over. */
async function withLock(lockDir, log, fn) {
  const deadline = Date.now() + 20 * 60_000;
  let said = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let owner = NaN;
      try { owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8')); } catch { /* being written */ }
      let age = 0;
      try { age = Date.now() - statSync(lockDir).mtimeMs; } catch { continue; }
      if ((Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) || age > 30 * 60_000) {
        log(`[code-server] removing stale install lock ${lockDir}`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for another code-server install (lock ${lockDir}, pid ${owner})`);
      if (!said) log(`[code-server] another install is running (pid ${owner}); waiting for it...`);
      said = true;
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Installs code-server@4.100.3 into the cache dir (idempotent; a marker written last
 * means "complete", anything else is wiped and redone). Returns the entry script to run with node.
 */
export async function ensureCodeServer({ log = console.error } = {}) {
  const dir = codeServerCacheDir();
  if (isInstalled(dir)) return entryOf(dir);
  if (!existsSync(RG) && !installDebianPackage('ripgrep', log)) {
    throw new Error(`${RG} not found: code-server's search needs Debian's ripgrep. Install it with: apt-get install ripgrep`);
  }
  mkdirSync(join(dir, '..'), { recursive: true });
  return withLock(`${dir}.lock`, log, async () => {
    if (isInstalled(dir)) return entryOf(dir); // another process finished it while we waited
    const t0 = Date.now();
    log(`[code-server] installing code-server@${CODE_SERVER_VERSION} into ${dir} (one-time, about a minute)`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Own package.json, so npm installs here and not into an enclosing project.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'moonshot-code-server-cache', private: true }, null, 2));
    // --unsafe-perm: needed by older npm as root; npm 11 only warns that it is unknown.
    const common = ['--unsafe-perm', '--no-audit', '--no-fund', '--loglevel=error'];
    // 1. code-server itself, without its postinstall (which builds kerberos and downloads rg).
    run('npm', ['install', '--ignore-scripts', ...common, `code-server@${CODE_SERVER_VERSION}`], dir, log);
    // argon2 (password hashing, loaded at startup even with --auth none): build from source,
    // as its prebuilt-binary download is not reachable.
    run('npm', ['rebuild', ...common, '--build-from-source', 'argon2'], dir, log, { npm_config_build_from_source: 'true' });
    const vscodeDir = join(dir, 'node_modules', 'code-server', 'lib', 'vscode');
    // 2. VS Code server's own runtime deps, again without scripts...
    run('npm', ['install', '--omit=dev', '--ignore-scripts', ...common], vscodeDir, log);
    // 3. ...with Debian's rg where @vscode/ripgrep would have downloaded one...
    const rgBin = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
    mkdirSync(rgBin, { recursive: true });
    rmSync(join(rgBin, 'rg'), { force: true });
    symlinkSync(RG, join(rgBin, 'rg'));
    // 4. ...and only the native modules the server needs (kerberos is for proxy auth only).
    run('npm', ['rebuild', ...common, ...NATIVE_MODULES], vscodeDir, log, { npm_config_yes: 'true' });
    // 5. What code-server's postinstall does besides: node_modules.asar alias, built-in extensions' deps.
    const asar = join(vscodeDir, 'node_modules.asar');
    rmSync(asar, { force: true });
    symlinkSync('node_modules', asar);
    for (const [sub, target, name] of [['remote-cli', 'code-linux.sh', 'code-server'], ['helpers', 'browser-linux.sh', 'browser.sh']]) {
      rmSync(join(vscodeDir, 'bin', sub, name), { force: true });
      symlinkSync(target, join(vscodeDir, 'bin', sub, name)); // the `code-server` CLI in its terminal
    }
    run('npm', ['install', '--omit=dev', ...common], join(vscodeDir, 'extensions'), log);
    // The native modules must really be built (a newer npm could skip install scripts).
    const built = [
      join(dir, 'node_modules', 'argon2', 'lib', 'binding', 'napi-v3', 'argon2.node'),
      ...['node-pty/build/Release/pty.node', '@vscode/spdlog/build/Release/spdlog.node', 'native-watchdog/build/Release/watchdog.node']
        .map((f) => join(vscodeDir, 'node_modules', f)),
    ];
    const missing = built.filter((f) => !existsSync(f));
    if (missing.length)
      throw new Error(`code-server install: native modules were not built (needs g++, make, python3):\n  ${missing.join('\n  ')}`);
    const check = spawnSync(process.execPath, [entryOf(dir), '--config', join(dir, 'code-server-config.yaml'), '--version'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (check.status !== 0 || !check.stdout.includes(CODE_SERVER_VERSION)) {
      throw new Error(`code-server install: \`code-server --version\` failed:\n${check.stdout}\n${check.stderr}`);
    }
    writeFileSync(join(dir, MARKER), `${CODE_SERVER_VERSION}\n`);
    log(`[code-server] installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return entryOf(dir);
  });
}

// ---------------------------------------------------------------------------------------------
// Running it

const running = new Set(); // code-server processes
const strays = new Set(); // their descendants while being stopped

/** Pids of all descendants of `pid` (Linux /proc). The server starts extension hosts detached, in their own groups. */
function descendants(pid) {
  const children = new Map();
  let entries = [];
  try { entries = readdirSync('/proc'); } catch { return []; }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  const out = [];
  const todo = [pid];
  while (todo.length) {
    for (const c of children.get(todo.pop()) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function killTree(child, signal, pids = descendants(child.pid)) {
  for (const pid of pids) {
    try { process.kill(pid, signal); } catch { /* gone */ }
  }
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // detached: its own process group
  } catch {
    try { child.kill(signal); } catch { /* gone */ }
  }
}
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) killTree(child, 'SIGKILL');
    for (const pid of strays) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  });
}

/**
 * Starts code-server and resolves once it listens. Returns {url, port, child, stop()}.
 * Its output is kept (the last 200 lines, for error messages) and, with `onOutput`, passed on.
 */
export async function startCodeServer({
  port = 0,
  host = '127.0.0.1',
  userDataDir,
  extensionsDir,
  workspace,
  env = {},
  entry,
  timeoutMs = 60_000,
  onOutput,
  log = console.error,
} = {}) {
  if (!userDataDir || !extensionsDir) throw new Error('startCodeServer needs userDataDir and extensionsDir');
  entry ??= await ensureCodeServer({ log });
  mkdirSync(userDataDir, { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const args = [
    entry,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    // Its own config file, so it does not create ~/.config/code-server/config.yaml.
    '--config', join(userDataDir, 'code-server-config.yaml'),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  if (workspace) args.push(workspace);
  const childEnv = { ...process.env };
  // Variables of an enclosing VS Code / npm run would confuse the server or the extension host.
  for (const k of Object.keys(childEnv)) {
    if (/^(VSCODE_|ELECTRON_RUN_AS_NODE$|npm_lifecycle|npm_package)/.test(k)) delete childEnv[k];
  }
  // code-server reads these and PORT would even override --bind-addr's port.
  for (const k of ['PORT', 'PASSWORD', 'HASHED_PASSWORD']) delete childEnv[k];
  for (const k of Object.keys(childEnv)) if (k.startsWith('CODE_SERVER_')) delete childEnv[k];
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, args, { env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  installExitHook();
  const exited = new Promise((res) => child.once('exit', (code, signal) => { running.delete(child); res({ code, signal }); }));

  const tail = [];
  let onLine = () => {};
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        tail.push(line);
        if (tail.length > 200) tail.shift();
        onOutput?.(line);
        onLine(line);
      }
    });
  }

  let stopping;
  /** Ends the server and everything it started; safe to call more than once or concurrently. */
  function stop() {
    stopping ??= (async () => {
      const pids = descendants(child.pid); // now, before the server dies and they are orphaned
      pids.forEach((p) => strays.add(p));
      if (child.exitCode === null && child.signalCode === null) {
        killTree(child, 'SIGTERM', pids);
        const t = setTimeout(() => killTree(child, 'SIGKILL', pids), 5000);
        await exited;
        clearTimeout(t);
      }
      // Detached ones (extension hosts) get a moment to end on SIGTERM, then SIGKILL.
      for (let i = 0; i < 60 && pids.some(pidAlive); i++) await sleep(50);
      killTree(child, 'SIGKILL', pids.filter(pidAlive));
      for (let i = 0; i < 40 && pids.some(pidAlive); i++) await sleep(50);
      pids.forEach((p) => strays.delete(p));
      return exited;
    })();
    return stopping;
  }

  let timer;
  try {
    const actualPort = await new Promise((res, rej) => {
      const re = /HTTP server listening on (https?:\/\/[^/\s]+:(\d+))\//;
      onLine = (line) => {
        const m = re.exec(line);
        if (m) res(Number(m[2]));
      };
      for (const line of tail) onLine(line);
      exited.then(({ code, signal }) =>
        rej(new Error(`code-server exited (code ${code}, signal ${signal}) before listening:\n${tail.join('\n')}`)),
      );
      timer = setTimeout(
        () => rej(new Error(`code-server did not report "HTTP server listening" within ${timeoutMs / 1000} s:\n${tail.join('\n')}`)),
        timeoutMs,
      );
    });
    clearTimeout(timer);
    onLine = () => {};
    return { url: `http://${host}:${actualPort}`, port: actualPort, child, stop, output: tail };
  } catch (e) {
    clearTimeout(timer);
    await stop();
    throw e;
  }
}

/** The remote extension host's log lines (all windows and restarts so far) under a user-data dir. */
export function extensionHostLog(userDataDir) {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return '';
  let text = '';
  for (const f of readdirSync(logs, { recursive: true }).map(String)) {
    if (/exthost\d*[\\/]remoteexthost\.log$/.test(f)) text += readFileSync(join(logs, f), 'utf8');
  }
  return text;
}

/** The extension host's report (and the error's line) of `extensionId` failing to activate, if any. */
export function activationFailure(hostLog, extensionId) {
  const id = extensionId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`Activating extension '?${id}'? failed[^\\n]*(?:\\n[^\\n]*)?`, 'i').exec(hostLog)?.[0];
}

// ---------------------------------------------------------------------------------------------
// The browser

/**
 * Installs a Debian package when this runs as root on a machine with apt-get (a
 * fresh development machine or CI), so that `npm start` and `npm test` need no
 * manual set-up. Anywhere else it does nothing and the caller explains.
 */
export function installDebianPackage(pkg, log = console.error) {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return false;
  log(`installing Debian's ${pkg} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'], env };
  spawnSync('apt-get', ['update', '-qq'], quiet);
  return spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], quiet).status === 0;
}

export function findChromium() {
  const path = process.env.CHROME_PATH || '/usr/bin/chromium';
  if (!existsSync(path) && !(path === '/usr/bin/chromium' && installDebianPackage('chromium'))) {
    throw new Error(`Chromium not found at ${path}. Install Debian's: apt-get install chromium (or set CHROME_PATH).`);
  }
  return path;
}

export async function launchBrowser({ headless = true } = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: findChromium(),
    headless,
    // The caller cleans up on signals (playwright's own handler would exit before that).
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// CLI

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cmd = process.argv[2];
  if (cmd === 'install') {
    try {
      const entry = await ensureCodeServer();
      console.log(`code-server ${CODE_SERVER_VERSION} ready: ${entry}`);
    } catch (e) {
      console.error(`code-server install failed: ${e.message}`);
      process.exit(1);
    }
  } else {
    console.error('usage: node scripts/code-server.mjs install');
    process.exit(2);
  }
}
