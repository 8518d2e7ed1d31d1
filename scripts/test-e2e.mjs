// Runs the end-to-end tests of the chat panel (test/e2e/*.e2e.ts): mocha in
// Node drives a real VS Code (code-server 4.100.3) in headless Chromium with
// this repo as the development extension, against a fake OpenAI server.
// Build first (`npm run build`); `npm test` does.
//
//   node scripts/test-e2e.mjs [extra mocha args, e.g. --grep serializer]
//
// Env: MOONSHOT_E2E_TIMEOUT_MS (whole run, default 300000), MOONSHOT_E2E_VERBOSE=1
// (browser console and code-server output), MOONSHOT_E2E_KEEP=1 (keep the temp
// dirs), MOONSHOT_CODE_SERVER_CACHE, CHROME_PATH. Screenshots go to test-results/.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer, findChromium } from './code-server.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(REPO, 'test-results');
const TIMEOUT_MS = Number(process.env.MOONSHOT_E2E_TIMEOUT_MS || 300_000);
const say = (line) => process.stdout.write(`${line}\n`);

for (const file of ['out/extension.js', 'out/webview.js', 'out/webview-highlight.js']) {
  if (!existsSync(join(REPO, file))) {
    say(`e2e: ${file} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
// Artifacts of an earlier run would mislead.
if (existsSync(RESULTS)) {
  for (const f of readdirSync(RESULTS)) if (f.startsWith('e2e-')) rmSync(join(RESULTS, f), { recursive: true, force: true });
}
try {
  findChromium();
  await ensureCodeServer({ log: say }); // a first install (about a minute) is not part of the tests' timeouts
} catch (e) {
  say(`e2e: ${e.message}`);
  process.exit(1);
}

const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
const started = Date.now();
const child = spawn(process.execPath, [mocha, '--config', join(REPO, 'test', 'e2e', '.mocharc.json'), ...process.argv.slice(2)], {
  cwd: REPO,
  stdio: 'inherit',
});
// mocha's launcher passes SIGINT on to the process running the suite (as SIGINT then
// SIGTERM), which then stops code-server and the browser; other signals would end the
// launcher alone and orphan that process.
const interrupt = () => child.kill('SIGINT');
const timer = setTimeout(() => {
  say(`e2e: timed out after ${TIMEOUT_MS / 1000} s (MOONSHOT_E2E_TIMEOUT_MS)`);
  interrupt();
  setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
}, TIMEOUT_MS);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, interrupt);
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  say(`e2e: finished in ${((Date.now() - started) / 1000).toFixed(1)} s${code === 0 ? '' : ` (exit ${code ?? signal})`}`);
  process.exit(code ?? 1);
});
