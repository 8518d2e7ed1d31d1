// Size of the packaged extension: what a user downloads. Packaged afresh into a
// temp folder (a .vsix left in the repo may be older than the code).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function packagedVsixKiB(): number {
  const repo = resolve(__dirname, '..', '..'); // this runs as out/bench/*.js
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-vsix-'));
  try {
    const file = join(dir, 'extension.vsix');
    execFileSync(process.execPath, [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--out', file], {
      cwd: repo,
      stdio: 'ignore',
    });
    return statSync(file).size / 1024;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
