// Smoke test of the packaged extension, as a new user gets it: installs the .vsix
// into a fresh code-server (VS Code 1.100.3) with `--install-extension`, opens the
// workbench in headless Chromium (the extension host starts when a browser
// connects), and checks that the INSTALLED copy activates, that its local API
// answers, and that the offline echo endpoint replies to a prompt; before that,
// that the installed CLI runs a YAML dataset through the OpenAI SDK (both loaded
// from out/chunks/ on first use) against a local stub server. Nothing of
// this repository's working tree is loaded: no development path, only the .vsix.
//
//   npm run test:vsix                      # packages first (npm run package), then this
//   node scripts/test-vsix.mjs [FILE.vsix]  # default: <name>-<version>.vsix in the repo
//
// Env: MOONSHOT_VSIX_TIMEOUT_MS (default 120000), MOONSHOT_VSIX_VERBOSE=1 (code-server
// output), MOONSHOT_VSIX_KEEP=1 (keep the temp dirs), MOONSHOT_CODE_SERVER_CACHE, CHROME_PATH.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { activationFailure, ensureCodeServer, extensionHostLog, launchBrowser, startCodeServer } from './code-server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;
const VSIX = resolve(process.argv[2] ?? join(REPO, `${pkg.name}-${pkg.version}.vsix`));
const TIMEOUT_MS = Number(process.env.MOONSHOT_VSIX_TIMEOUT_MS || 120_000);
const VERBOSE = process.env.MOONSHOT_VSIX_VERBOSE === '1';
const KEEP = process.env.MOONSHOT_VSIX_KEEP === '1';
// What the extension loads at run time (package.json's main, its bin, the panel's files).
const REQUIRED = [
  'package.json',
  ...['extension.js', 'core.js', 'cli.js', 'webview.js', 'webview-highlight.js', 'matrix.js'].map((f) => `out/${f}`),
  'out/chunks/openai.js',
  'out/chunks/yaml.js',
  'media/chat.css',
  'media/matrix.css',
  'media/moonshot.svg',
  pkg.icon,
];
const NOT_SHIPPED = /(^|\/)(src|test|node_modules|scripts|bench|docs)\/|\.map$|\.ts$|\.vsix$/;

const say = (line) => process.stdout.write(`vsix: ${line}\n`);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

let tmp;
let server;
let browser;
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
    if (tmp && !KEEP) rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
  })();
  return cleaning;
}
let failing = false;
async function fail(message) {
  if (failing) return;
  failing = true;
  say(`FAILED: ${message}`);
  if (server) say(`code-server's last lines:\n${server.output.slice(-15).join('\n')}`);
  const hostLog = tmp && extensionHostLog(join(tmp, 'user-data'));
  if (hostLog) say(`extension host log (last lines):\n${hostLog.split('\n').slice(-25).map((l) => l.slice(0, 300)).join('\n')}`);
  await cleanup();
  process.exit(1);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => fail(`interrupted by ${sig}`));

function check(ok, message) {
  if (!ok) throw new Error(message);
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Polls `probe` until it returns a value; there is no event to await for another process's files. */
async function waitFor(what, probe, deadline) {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function api(base, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await globalThis.fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json };
}

/**
 * The installed CLI runs a YAML dataset against a local OpenAI-compatible stub: the
 * YAML parser and the OpenAI SDK load from the installed out/chunks/ (nothing else does
 * in this test), and the shared out/core.js serves the CLI as it serves the extension.
 */
async function runInstalledCli(installed) {
  const asked = [];
  const stub = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const prompt = JSON.parse(body || '{}').messages?.at(-1)?.content ?? '';
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: `stub: ${prompt}` } }], usage }));
    });
  });
  await new Promise((done) => stub.listen(0, '127.0.0.1', done));
  try {
    const dir = join(tmp, 'cli-run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'tests.yaml'), '- vars: {prompt: first question}\n- vars: {prompt: second question}\n');
    const uri = `http://127.0.0.1:${stub.address().port}/v1`;
    const endpoint = { name: 'stub', connector_type: 'openai-connector', uri, model: 'stub-model' };
    writeFileSync(join(dir, 'endpoints.json'), JSON.stringify([endpoint]));
    const args = ['run', '--dataset', join(dir, 'tests.yaml'), '--endpoints', join(dir, 'endpoints.json')];
    args.push('--out', join(dir, 'results.jsonl'), '--storage', join(dir, 'store'));
    const child = spawn(process.execPath, [join(installed, 'out', 'cli.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const [code] = await once(child, 'exit');
    check(code === 0, `the installed out/cli.js run (a YAML dataset, an openai-connector endpoint) exited ${code}:\n${output}`);
    const results = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    check(
      results.length === 2 && results.every((r) => r.error === null && r.response === `stub: ${r.input}`),
      `the installed CLI's results are not the stub's answers: ${JSON.stringify(results)}`,
    );
    say(`installed out/cli.js run: a YAML dataset of 2 rows answered through the OpenAI SDK (${asked.join(', ')})`);
  } finally {
    stub.close();
  }
}

async function main() {
  check(existsSync(VSIX), `${VSIX} not found: run \`npm run package\` first (\`npm run test:vsix\` does)`);
  say(`${VSIX} (${(statSync(VSIX).size / 1024).toFixed(1)} KiB)`);
  const entry = await ensureCodeServer({ log: say }); // a first install (about a minute) is not part of the timeout
  const deadline = Date.now() + TIMEOUT_MS;
  const overall = setTimeout(() => fail(`timed out after ${TIMEOUT_MS / 1000} s (MOONSHOT_VSIX_TIMEOUT_MS)`), TIMEOUT_MS + 15_000);

  tmp = mkdtempSync(join(tmpdir(), 'moonshot-vsix-'));
  const dirs = { userDataDir: join(tmp, 'user-data'), extensionsDir: join(tmp, 'extensions'), workspace: join(tmp, 'workspace') };
  mkdirSync(dirs.workspace, { recursive: true });
  writeFileSync(join(dirs.workspace, 'README.md'), '# A workspace for the .vsix smoke test\n');
  const settings = join(dirs.userDataDir, 'User', 'settings.json');
  mkdirSync(dirname(settings), { recursive: true });
  // Port 0: other VS Code windows or servers on this machine may hold 5000.
  writeFileSync(
    settings,
    JSON.stringify({ 'moonshotSessions.api.port': 0, 'workbench.startupEditor': 'none', 'remote.autoForwardPorts': false }, null, 2),
  );

  // 1. Install, as `code-server --install-extension` (the `code --install-extension` of the web).
  const install = spawnSync(
    process.execPath,
    [
      entry,
      '--config',
      join(tmp, 'code-server.yaml'),
      '--user-data-dir',
      dirs.userDataDir,
      '--extensions-dir',
      dirs.extensionsDir,
      '--install-extension',
      VSIX,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  check(
    install.status === 0 && /successfully installed/.test(install.stdout),
    `--install-extension failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`,
  );
  const installed = join(dirs.extensionsDir, `${EXTENSION_ID}-${pkg.version}`.toLowerCase());
  check(existsSync(installed), `not installed where expected: ${installed}`);
  const files = filesUnder(installed);
  say(`installed ${EXTENSION_ID} ${pkg.version} (${elapsed()}), ${files.length} files:`);
  for (const f of files) say(`  ${f.padEnd(24)} ${(statSync(join(installed, f)).size / 1024).toFixed(1).padStart(7)} KiB`);
  const missing = REQUIRED.filter((f) => !files.includes(f));
  check(missing.length === 0, `the package lacks what the extension needs: ${missing.join(', ')}`);
  const extra = files.filter((f) => NOT_SHIPPED.test(f));
  check(extra.length === 0, `the package holds files it should not: ${extra.join(', ')}`);
  check(
    !readFileSync(join(installed, 'out', 'extension.js'), 'utf8').includes('sourceMappingURL'),
    'out/extension.js is not a production build (it refers to a source map)',
  );

  // 2. The headless CLI from the installed copy runs on its own.
  const cli = spawnSync(process.execPath, [join(installed, 'out', 'cli.js'), '--help'], { encoding: 'utf8', timeout: 30_000 });
  check(
    cli.status === 0 && /moonshot-sessions serve/.test(cli.stdout),
    `the installed out/cli.js --help failed (exit ${cli.status}): ${cli.stderr}`,
  );
  say('installed out/cli.js --help: ok');
  await runInstalledCli(installed);

  // 3. Start VS Code with that extensions dir and open the workbench: the extension host starts.
  server = await startCodeServer({ ...dirs, entry, onOutput: VERBOSE ? (l) => say(`  [code-server] ${l}`) : undefined, log: say });
  browser = await launchBrowser();
  const page = await browser.newPage();
  page.on('console', (msg) => {
    if (VERBOSE || (msg.type() === 'error' && /Activating extension/.test(msg.text()))) say(`  [browser ${msg.type()}] ${msg.text()}`);
  });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(dirs.workspace)}`, { waitUntil: 'domcontentloaded' });
  say(`workbench open at ${server.url} (${elapsed()})`);

  // 4. It activates: its API announces itself in api.json in the extension's workspace storage.
  const storage = join(dirs.userDataDir, 'User', 'workspaceStorage');
  const discovery = await waitFor('api.json in the extension\'s workspace storage', () => {
    const failed = activationFailure(extensionHostLog(dirs.userDataDir), EXTENSION_ID);
    if (failed) throw new Error(failed);
    if (!existsSync(storage)) return undefined;
    for (const hash of readdirSync(storage)) {
      const file = join(storage, hash, EXTENSION_ID, 'api.json');
      if (existsSync(file)) {
        try { return { file, ...JSON.parse(readFileSync(file, 'utf8')) }; } catch { /* being written */ }
      }
    }
    return undefined;
  }, deadline);
  check(
    extensionHostLog(dirs.userDataDir).includes(`_doActivateExtension ${EXTENSION_ID}`),
    'api.json appeared but the extension host did not log the activation',
  );
  check((statSync(discovery.file).mode & 0o777) === 0o600, 'api.json is not mode 0600');
  say(`activated; api.json: ${discovery.url}, pid ${discovery.pid}, token ${discovery.token ? 'set' : 'none'} (${elapsed()})`);

  // 5. The API answers, with its token.
  const base = discovery.url;
  const health = await api(base, '/');
  check(
    health.status === 200 && health.body?.status === 'web api is up and running',
    `GET / answered ${health.status} ${JSON.stringify(health.body)}`,
  );
  say(`GET / -> ${health.status} ${JSON.stringify(health.body)}`);
  const anonymous = await api(base, '/v1/sessions');
  check(anonymous.status === 401, `GET /v1/sessions without the token answered ${anonymous.status}, not 401`);
  say(`GET /v1/sessions without the token -> ${anonymous.status}`);
  const listed = await api(base, '/v1/sessions', { token: discovery.token });
  check(listed.status === 200 && Array.isArray(listed.body), `GET /v1/sessions answered ${listed.status} ${JSON.stringify(listed.body)}`);
  say(`GET /v1/sessions -> ${listed.status}, ${listed.body.length} session(s)`);

  // 6. A session on the offline echo endpoint answers a prompt.
  const created = await api(base, '/v1/sessions', {
    token: discovery.token,
    body: { name: 'vsix smoke', description: 'made by scripts/test-vsix.mjs', endpoints: ['echo'] },
  });
  check(
    created.status === 200 && created.body?.session?.session_id,
    `POST /v1/sessions answered ${created.status} ${JSON.stringify(created.body)}`,
  );
  const { session_id: sessionId, chat_ids: [chatId] } = created.body.session;
  say(`POST /v1/sessions -> ${created.status}, session ${sessionId}`);
  const prompt = 'Hello from the installed extension';
  const answered = await api(base, `/v1/sessions/${encodeURIComponent(sessionId)}/prompt`, { token: discovery.token, body: { prompt } });
  const record = answered.body?.[chatId]?.at(-1);
  check(answered.status === 200 && record, `POST .../prompt answered ${answered.status} ${JSON.stringify(answered.body)}`);
  check(
    record.error === null && record.predicted_result.includes(prompt),
    `the echo endpoint's record is not the prompt echoed: ${JSON.stringify(record)}`,
  );
  say(
    `POST /v1/sessions/${sessionId}/prompt -> ${answered.status}, predicted_result ${JSON.stringify(record.predicted_result)} ` +
      `(${record.duration})`,
  );

  clearTimeout(overall);
  await cleanup();
  say(`passed in ${elapsed()}`);
  process.exit(0);
}

main().catch((e) => fail(e?.stack || String(e)));
