// Runs the integration suite (out/test/integration) in desktop VS Code with
// @vscode/test-electron, for people who have VS Code or internet access:
//   npm run test:desktop                      (downloads VS Code 1.100.3 once)
//   VSCODE_EXECUTABLE=/path/to/code npm run test:desktop   (uses that install)
// Like the code-server runner, it runs phase 1 and phase 2 with the same
// user data, so phase 2 checks what survives a restart.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'moonshot-desktop-'));
const workspace = join(tmp, 'workspace');
mkdirSync(workspace);
writeFileSync(join(workspace, 'sample.txt'), 'Hello from the Moonshot Sessions integration tests.\n');

let code = 0;
try {
  for (const phase of ['1', '2']) {
    await runTests({
      version: '1.100.3',
      ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'test', 'integration', 'index.js'),
      extensionTestsEnv: { MOONSHOT_IT_PHASE: phase },
      launchArgs: [
        workspace,
        '--user-data-dir',
        join(tmp, 'user-data'),
        '--extensions-dir',
        join(tmp, 'extensions'),
        '--disable-workspace-trust',
      ],
    });
  }
} catch (err) {
  console.error(`desktop integration tests failed: ${err?.message ?? err}`);
  code = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
