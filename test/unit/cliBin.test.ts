// package.json's `bin` makes out/cli.js the `moonshot-sessions` command: npm links
// it and marks it executable, and the kernel then needs its `#!` line to run it
// (and Node, following the link, finds out/core.js beside it).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CLI, requireBuiltCli } from '../support/cliProcess';
import { useTempDir } from '../support/tempDir';

const run = promisify(execFile);

describe('the moonshot-sessions command (package.json bin)', function () {
  const dir = useTempDir();
  before(requireBuiltCli);

  it('names the built CLI', function () {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.equal(resolve(__dirname, '../..', pkg.bin['moonshot-sessions']!), CLI);
  });

  it('runs when executed directly, as npm installs it: a link to the package\'s out/cli.js, marked executable', async function () {
    // A copy of the package's out/ (cli.js requires core.js beside it), so the build's own file modes stay as they are.
    const out = join(dir(), 'package', 'out');
    mkdirSync(out, { recursive: true });
    for (const file of ['cli.js', 'core.js']) copyFileSync(join(dirname(CLI), file), join(out, file));
    chmodSync(join(out, 'cli.js'), 0o755);
    const command = join(dir(), 'moonshot-sessions');
    symlinkSync(join(out, 'cli.js'), command);
    const { stdout } = await run(command, ['--help']);
    assert.match(stdout, /moonshot-sessions serve --storage DIR/);
  });
});
