// Proves the harness: real VS Code, the phase variable, an open workspace, and a
// user-data dir that survives the restart between phase 1 and phase 2.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const phase = process.env.MOONSHOT_IT_PHASE;

describe('smoke: the integration harness', () => {
  it('runs inside VS Code 1.100', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it('sees the phase variable', () => {
    assert.ok(phase === '1' || phase === '2', `MOONSHOT_IT_PHASE=${phase}`);
  });

  it('has the sample workspace open', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 1);
    const files = await vscode.workspace.findFiles('sample.txt');
    assert.equal(files.length, 1);
    const doc = await vscode.workspace.openTextDocument(files[0]!);
    assert.match(doc.getText(), /moonshot/i);
  });

  it('keeps user settings across the restart between phases', async () => {
    const config = vscode.workspace.getConfiguration('editor');
    if (phase === '1') {
      await config.update('tabSize', 7, vscode.ConfigurationTarget.Global);
      assert.equal(vscode.workspace.getConfiguration('editor').inspect('tabSize')?.globalValue, 7);
    } else {
      assert.equal(config.inspect('tabSize')?.globalValue, 7, 'phase 1 wrote editor.tabSize=7 to the user settings');
    }
  });
});
