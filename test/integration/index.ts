// Entry point that VS Code's extension host loads as `extensionTestsPath`
// (see scripts/test-integration.mjs). Runs every compiled *.test.js file next to
// this one (out/test/integration/**) with mocha; rejecting makes the test run exit 1.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

/**
 * Under scripts/test-integration.mjs (MOONSHOT_IT_TAG set), VS Code hands the extension
 * host's console to the page as printf-style pieces mixed with the workbench's own log;
 * so each line is formatted here and tagged, and the runner prints exactly the tagged ones.
 */
function tagConsole(tag: string): () => void {
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...a: unknown[]) => void };
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, report: base.consoleLog };
  const wrap = (orig: (...a: unknown[]) => void) => (...a: unknown[]) => orig(tag + format(...a));
  console.log = wrap(saved.log);
  console.info = wrap(saved.info);
  console.warn = wrap(saved.warn);
  console.error = wrap(saved.error);
  base.consoleLog = wrap(saved.log);
  return () => {
    Object.assign(console, { log: saved.log, info: saved.info, warn: saved.warn, error: saved.error });
    base.consoleLog = saved.report;
  };
}

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const files = testFiles(__dirname);
  if (files.length === 0) throw new Error(`no *.test.js files under ${__dirname}`);
  for (const f of files) mocha.addFile(f);
  const grep = process.env.MOONSHOT_IT_GREP;
  if (grep) mocha.grep(grep);
  const untag = process.env.MOONSHOT_IT_TAG ? tagConsole(process.env.MOONSHOT_IT_TAG) : () => {};
  try {
    const failures = await new Promise<number>((resolve, reject) => {
      try {
        mocha.run((n) => resolve(n));
      } catch (err) {
        reject(err);
      }
    });
    if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
  } finally {
    untag();
  }
}
