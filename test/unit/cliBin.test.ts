// package.json's `bin` makes out/cli.js the `moonshot-sessions` command: npm links
// it and marks it executable, and the kernel then needs its `#!` line to run it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

  it('runs when executed directly, as npm installs it', async function () {
    const command = join(dir(), 'moonshot-sessions');
    copyFileSync(CLI, command);
    chmodSync(command, 0o755);
    const { stdout } = await run(command, ['--help']);
    assert.match(stdout, /moonshot-sessions serve --storage DIR/);
  });
});
