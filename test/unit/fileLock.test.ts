import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { withFileLock } from '../../src/core/fileLock';
import { useTempDir } from '../support/tempDir';

describe('withFileLock', () => {
  const dir = useTempDir();

  it('lets one holder in at a time and removes the lock after', async () => {
    const lock = join(dir(), 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setImmediate(r));
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    await assert.rejects(fs.stat(lock), /ENOENT/);
  });

  it('releases the lock when the holder throws, and takes over a stale one', async () => {
    const lock = join(dir(), 'y.lock');
    await assert.rejects(withFileLock(lock, async () => Promise.reject(new Error('boom'))), /boom/);
    await assert.rejects(fs.stat(lock), /ENOENT/);
    // A lock left by a process that died long ago.
    await fs.writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lock, old, old);
    assert.equal(await withFileLock(lock, async () => 'taken over'), 'taken over');
  });
});
