import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { FileSecretStore } from '../../src/core/secrets';
import { isCoreError } from '../../src/core/errors';
import { useTempDir } from '../support/tempDir';

describe('FileSecretStore', () => {
  const dir = useTempDir();

  it('after a write the storage refused, keeps the value it had and stores the next write', async () => {
    const folder = join(dir(), 'sub');
    await fs.mkdir(folder);
    const path = join(folder, 'secrets.json');
    const store = new FileSecretStore(path);
    await store.set('a', 'one');

    await fs.rm(folder, { recursive: true });
    await assert.rejects(store.set('a', 'two'), (err) => isCoreError(err, 'storage'));
    await assert.rejects(store.delete('a'), (err) => isCoreError(err, 'storage'));
    assert.equal(await store.get('a'), 'one', 'a value is what is stored, not what was tried');

    await fs.mkdir(folder);
    await store.set('b', 'three');
    assert.deepEqual(JSON.parse(await fs.readFile(path, 'utf8')), { a: 'one', b: 'three' });
    assert.equal((await fs.stat(path)).mode & 0o777, 0o600);
  });

  it('keeps every one of many writes at once', async () => {
    const path = join(dir(), 'secrets.json');
    const store = new FileSecretStore(path);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    const fresh = new FileSecretStore(path);
    for (let i = 0; i < 10; i++) assert.equal(await fresh.get(`k${i}`), `v${i}`);
  });
});
