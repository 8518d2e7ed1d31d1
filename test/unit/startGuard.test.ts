import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import { isCoreError } from '../../src/core/errors';
import { checkStorageFolder } from '../../src/core/store';
import { RETRY, SHOW_LOG, openWithRetry, type StartGuardUi } from '../../src/vscode/startGuard';
import { useTempDir } from '../support/tempDir';
import { openTestCore } from '../support/testCore';

describe('opening the core at activation (Show Log / Retry)', () => {
  const dir = useTempDir();

  /** A UI that answers the notifications in turn, running `before` each answer. */
  function scriptedUi(answers: { answer: string | undefined; before?: () => Promise<void> }[]) {
    const asked: { message: string; actions: readonly string[] }[] = [];
    const logged: string[] = [];
    let logShown = 0;
    const ui: StartGuardUi = {
      notify: async (message, actions) => {
        asked.push({ message, actions });
        const next = answers.shift();
        assert.ok(next, `asked once too often: ${message}`);
        await next.before?.();
        return next.answer;
      },
      showLog: () => void logShown++,
      log: (level, message) => logged.push(`${level}: ${message}`),
    };
    return { ui, asked, logged, logShown: () => logShown };
  }

  const openIn = (storageDir: string) => async (): Promise<Core> => {
    await checkStorageFolder(storageDir);
    return openTestCore(storageDir);
  };

  it('says why a storage folder under a file cannot be used, shows the log, and opens on Retry once the folder can be made', async () => {
    const blocker = join(dir(), 'workspaceStorage');
    await fs.writeFile(blocker, 'a file where a folder should be');
    const storageDir = join(blocker, 'moonshot');
    const { ui, asked, logged, logShown } = scriptedUi([
      { answer: SHOW_LOG },
      { answer: RETRY, before: () => fs.rm(blocker) },
    ]);
    const core = await openWithRetry('Opening the sessions', openIn(storageDir), ui);
    try {
      assert.equal(asked.length, 2);
      assert.deepEqual(asked[0]!.actions, [SHOW_LOG, RETRY]);
      assert.match(asked[0]!.message, /^Moonshot Sessions could not start: Storage is not writable: a path in it is not a folder \(/);
      assert.equal(logShown(), 1);
      assert.equal(logged.length, 1);
      assert.match(logged[0]!, /^error: Opening the sessions failed: Storage is not writable: a path in it is not a folder .*ENOTDIR/);
      // Retry opened it for real: the core writes there.
      const s = await core.sessions.create({ name: 'after retry', endpoints: ['echo'] });
      await fs.stat(join(storageDir, 'sessions', s.session_id, 'session.json'));
    } finally {
      core.dispose();
    }
  });

  it('throws the failure when the message is dismissed, and tries again for every Retry', async () => {
    const blocker = join(dir(), 'file');
    await fs.writeFile(blocker, '');
    const { ui, asked, logged } = scriptedUi([{ answer: RETRY }, { answer: undefined }]);
    await assert.rejects(openWithRetry('Opening the sessions', openIn(join(blocker, 'storage')), ui), (err) => isCoreError(err, 'storage'));
    assert.equal(asked.length, 2);
    assert.equal(logged.length, 2, 'each try logs its cause');
  });

  it('logs the stack of a failure that is a bug', async () => {
    const { ui, logged } = scriptedUi([{ answer: undefined }]);
    await assert.rejects(
      openWithRetry('Opening the sessions', async () => {
        throw new TypeError('broken');
      }, ui),
      TypeError,
    );
    assert.match(logged[0]!, /^error: Opening the sessions failed: TypeError: broken\n\s+at /);
  });

  it('checks a storage folder that exists and one it makes', async () => {
    await checkStorageFolder(dir());
    await checkStorageFolder(join(dir(), 'new', 'nested'));
    assert.ok((await fs.stat(join(dir(), 'new', 'nested'))).isDirectory());
  });
});
