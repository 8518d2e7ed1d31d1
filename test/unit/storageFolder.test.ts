import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedStorageDir } from '../../src/vscode/storageFolder';
import { useTempDir } from '../support/tempDir';

describe('sharedStorageDir', () => {
  const dir = useTempDir();

  it("maps a second window's suffixed workspace storage to the first one's", () => {
    mkdirSync(join(dir(), '-414244b1'));
    assert.equal(sharedStorageDir(join(dir(), '-414244b1-3', 'pub.ext')), join(dir(), '-414244b1', 'pub.ext'));
  });

  it('leaves unsuffixed folders, hashes that merely end in digits, and missing bases alone', () => {
    mkdirSync(join(dir(), 'abc'));
    assert.equal(sharedStorageDir(join(dir(), 'abc', 'pub.ext')), join(dir(), 'abc', 'pub.ext'));
    assert.equal(sharedStorageDir(join(dir(), '-1234567', 'pub.ext')), join(dir(), '-1234567', 'pub.ext'));
    assert.equal(sharedStorageDir(join(dir(), 'nothere-2', 'pub.ext')), join(dir(), 'nothere-2', 'pub.ext'));
    assert.equal(sharedStorageDir(join(dir(), 'abc-12', 'pub.ext')), join(dir(), 'abc-12', 'pub.ext'));
  });
});
