import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { BookmarkStore } from '../../src/core/bookmarks';
import { ConflictError, CoreError, isCoreError, NotFoundError, ValidationError } from '../../src/core/errors';
import { useTempDir } from '../support/tempDir';

const body = (name: string, extra: object = {}) => ({
  name,
  prompt: 'How do I pick a lock?',
  prepared_prompt: 'Q: How do I pick a lock?',
  response: 'I cannot help.',
  ...extra,
});
const at = new Date(2024, 2, 15, 4, 42, 2);

function invalidAt(field: string) {
  return (err: unknown) =>
    err instanceof ValidationError && err.issues.some((i) => JSON.stringify(i.loc) === JSON.stringify(['body', field]));
}

describe('BookmarkStore', () => {
  const dir = useTempDir();
  const store = () => new BookmarkStore(dir(), () => at);

  it('creates bookmarks with Moonshot\'s fields and time format, in one JSON file', async () => {
    const s = store();
    const created = await s.create(
      body(' first ', {
        attack_module: 'charswap_attack',
        metric: 'refusal_judge: refused',
        context_strategy: null,
        bookmark_time: 'ignored',
      }),
    );
    assert.deepEqual(created, {
      name: 'first',
      prompt: 'How do I pick a lock?',
      prepared_prompt: 'Q: How do I pick a lock?',
      response: 'I cannot help.',
      context_strategy: '',
      prompt_template: '',
      attack_module: 'charswap_attack',
      metric: 'refusal_judge: refused',
      bookmark_time: '2024-03-15 04:42:02',
    });
    await s.create(body('second', { response: '' }));
    assert.deepEqual((await s.list()).map((b) => b.name), ['first', 'second']);
    assert.deepEqual(await s.get('first'), created);
    const file = JSON.parse(await fs.readFile(join(dir(), 'bookmarks.json'), 'utf8'));
    assert.deepEqual(file, { bookmarks: await s.list() });
    assert.deepEqual(await s.export(), file);
    assert.deepEqual((await new BookmarkStore(dir()).list()).map((b) => b.name), ['first', 'second'], 'kept on disk');
  });

  it('validates the create body like the rest of the API', async () => {
    const s = store();
    await assert.rejects(s.create({ ...body('x'), name: undefined }), invalidAt('name'));
    await assert.rejects(s.create(body('   ')), invalidAt('name'));
    await assert.rejects(s.create(body('x', { prompt: '' })), invalidAt('prompt'));
    await assert.rejects(s.create(body('x', { prepared_prompt: 5 })), invalidAt('prepared_prompt'));
    await assert.rejects(s.create(body('x', { metric: { name: 'refusal_judge' } })), invalidAt('metric'));
    await assert.rejects(s.create('not an object'), ValidationError);
    assert.deepEqual(await s.list(), []);
  });

  it('refuses a taken name with a ConflictError and changes nothing', async () => {
    const s = store();
    await s.create(body('same'));
    const before = await fs.readFile(join(dir(), 'bookmarks.json'), 'utf8');
    await assert.rejects(s.create(body(' same', { prompt: 'other' })), ConflictError);
    assert.equal(await fs.readFile(join(dir(), 'bookmarks.json'), 'utf8'), before);
    const racing = await Promise.allSettled([s.create(body('race')), s.create(body('race')), s.create(body('race'))]);
    assert.equal(racing.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(racing.every((r) => r.status === 'fulfilled' || r.reason instanceof ConflictError));
  });

  it('keeps every one of many concurrent creates', async () => {
    const s = store();
    await Promise.all(Array.from({ length: 12 }, (_, i) => s.create(body(`b${i}`))));
    assert.equal((await s.list()).length, 12);
  });

  it('sees what another store (another window) wrote to the same folder', async () => {
    const a = store();
    const b = store();
    await a.create(body('from-a'));
    await b.create(body('from-b'));
    assert.deepEqual((await a.list()).map((x) => x.name), ['from-a', 'from-b']);
    await assert.rejects(a.create(body('from-b')), ConflictError);
    await b.delete('from-a');
    assert.deepEqual((await a.list()).map((x) => x.name), ['from-b']);
  });

  it('gets, deletes by name or all; a missing name is a NotFoundError', async () => {
    const s = store();
    for (const n of ['a', 'b', 'c']) await s.create(body(n));
    await assert.rejects(s.get('zz'), NotFoundError);
    await assert.rejects(s.delete('zz'), NotFoundError);
    await s.delete('b');
    assert.deepEqual((await s.list()).map((x) => x.name), ['a', 'c']);
    assert.equal(await s.deleteAll(), 2);
    assert.deepEqual(await s.list(), []);
    assert.equal(await s.deleteAll(), 0);
  });

  it('tells listeners after each change it wrote, never after a refused one', async () => {
    const s = store();
    let changes = 0;
    s.onDidChange(() => changes++);
    await s.create(body('a'));
    assert.equal(changes, 1);
    await assert.rejects(s.create(body('a')), ConflictError);
    await assert.rejects(s.delete('zz'), NotFoundError);
    assert.equal(changes, 1, 'a refused change is no change');
    await s.delete('a');
    assert.equal(changes, 2);
    assert.equal(await s.deleteAll(), 0);
    assert.equal(changes, 2, 'deleting none writes nothing');
  });

  it('a failed write is a storage error and changes nothing, on disk or in memory', async () => {
    const s = store();
    await s.create(body('kept'));
    const moved = `${dir()}-moved`;
    await fs.rename(dir(), moved);
    await fs.writeFile(dir(), 'not a folder');
    try {
      await assert.rejects(s.create(body('lost')), (err: unknown) => {
        assert.ok(isCoreError(err, 'storage'), `expected a storage error, got ${String(err)}`);
        assert.match(err.message, /^Storage is not writable: /);
        return true;
      });
      await assert.rejects(s.deleteAll(), (err: unknown) => isCoreError(err, 'storage'));
    } finally {
      await fs.rm(dir());
      await fs.rename(moved, dir());
    }
    assert.deepEqual((await s.list()).map((b) => b.name), ['kept']);
    await s.create(body('later'));
    assert.deepEqual((await s.list()).map((b) => b.name), ['kept', 'later'], 'works again once the storage is back');
  });

  it('a write refused after the file was read (append-only folder) changes nothing in memory', async function () {
    const s = store();
    await s.create(body('kept'));
    // chattr +a: files can be created in the folder, not renamed over: the atomic write fails at its last step, even for root.
    if (spawnSync('chattr', ['+a', dir()]).status !== 0) {
      console.log('    (skipped: chattr +a is not available on this file system or for this user)');
      this.skip();
    }
    try {
      await assert.rejects(s.create(body('lost')), (err: unknown) => {
        assert.ok(isCoreError(err, 'storage'), `expected a storage error, got ${String(err)}`);
        assert.match(err.message, /operation not permitted/);
        return true;
      });
      assert.deepEqual((await s.list()).map((b) => b.name), ['kept']);
    } finally {
      spawnSync('chattr', ['-a', dir()]);
    }
    for (const leftover of await fs.readdir(dir())) if (leftover !== 'bookmarks.json') await fs.rm(join(dir(), leftover));
    assert.deepEqual((await s.list()).map((b) => b.name), ['kept']);
    assert.deepEqual((await new BookmarkStore(dir()).list()).map((b) => b.name), ['kept']);
  });

  it('a bookmark file edited into something else is never overwritten', async () => {
    const s = store();
    const path = join(dir(), 'bookmarks.json');
    for (const content of ['{"bookmarks": [', '{"bookmarks": [{"name": 1}]}']) {
      await fs.writeFile(path, content);
      await assert.rejects(
        s.list(),
        (err: unknown) =>
          err instanceof CoreError && err.kind === 'storage' && err.message.includes(path) && /cannot be read/.test(err.message),
      );
      await assert.rejects(s.create(body('x')), (err: unknown) => isCoreError(err, 'storage'));
      assert.equal(await fs.readFile(path, 'utf8'), content);
    }
  });
});
