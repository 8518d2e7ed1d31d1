import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/store';
import type { SessionMetadata, StoredChatRecord, StoredSession } from '../../src/core/schemas';
import { sessionToJson } from '../../src/core/exportFormats';
import { ConflictError, NotFoundError, isCoreError } from '../../src/core/errors';
import type { LogLevel } from '../../src/core/log';
import { useTempDir } from '../support/tempDir';
import { aStoredRecord, aStoredSession } from '../support/builders';

const session = (id = 's_20240101-000000'): StoredSession => aStoredSession({ session_id: id });
const record = (id: number, text = `r${id}`): StoredChatRecord =>
  aStoredRecord({ chat_record_id: id, prompt: text, predicted_result: text });

describe('SessionStore', () => {
  const dir = useTempDir();
  const chat = 'echo_20240101_000000';
  const chatFile = () => join(dir(), 'sessions', 's_20240101-000000', `${chat}.jsonl`);
  const append = (store: SessionStore, text?: string, chatId = chat) =>
    store.appendNextRecord('s_20240101-000000', chatId, (id) => record(id, text));
  const ids = async (store: SessionStore, chatId = chat) =>
    (await store.readChat('s_20240101-000000', chatId)).map((r) => r.chat_record_id);

  /** A store whose log lines are kept, to count its warnings. */
  function loggingStore() {
    const lines: { level: LogLevel; message: string }[] = [];
    const store = new SessionStore(dir(), { log: (level, message) => lines.push({ level, message }) });
    return { store, warnings: () => lines.filter((l) => l.level === 'warn').map((l) => l.message) };
  }

  it('creates, reads, lists and never overwrites a session', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    assert.deepEqual(await store.readSession('s_20240101-000000'), session());
    assert.equal((await store.listSessions()).length, 1);
    await assert.rejects(store.createSession(session()), ConflictError);
  });

  it('keeps fields a newer version wrote in a record: they survive a read, a tail read and a JSON export', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await append(store);
    const newer = { ...record(2), judged_by: { judge: 'refusal', verdict: 'refused' }, attempt: 3 };
    await fs.appendFile(chatFile(), `${JSON.stringify(newer)}\n`);
    const [all, tail] = [await store.readChat('s_20240101-000000', chat), await store.readTail('s_20240101-000000', chat, 1)];
    assert.deepEqual(all[1], newer);
    assert.deepEqual(tail, [newer]);
    const exported = JSON.parse(sessionToJson({ ...session(), chat_history: { [chat]: all } } as unknown as SessionMetadata));
    assert.deepEqual(exported.session.chat_history[chat][1], newer);
    // A known field is still checked: a record whose id is not a number is skipped as before.
    await fs.appendFile(chatFile(), `${JSON.stringify({ ...record(3), chat_record_id: 'three' })}\n`);
    assert.deepEqual((await store.readChat('s_20240101-000000', chat)).map((r) => r.chat_record_id), [1, 2]);
  });

  it('keeps prompts and answers private: files 0600, folders 0700, whatever the umask', async () => {
    const before = process.umask(0o022);
    try {
      const store = new SessionStore(dir());
      await store.createSession(session());
      await append(store);
      const mode = async (path: string) => (await fs.stat(path)).mode & 0o777;
      const folder = join(dir(), 'sessions', 's_20240101-000000');
      assert.equal(await mode(join(dir(), 'sessions')), 0o700);
      assert.equal(await mode(folder), 0o700);
      assert.equal(await mode(join(folder, 'session.json')), 0o600);
      assert.equal(await mode(chatFile()), 0o600);
    } finally {
      process.umask(before);
    }
  });

  it('appends records without rewriting the file, and reads them back in order', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await append(store);
    const { ino } = await fs.stat(chatFile());
    await append(store);
    assert.equal((await fs.stat(chatFile())).ino, ino, 'same file, appended in place');
    assert.deepEqual(await ids(store), [1, 2]);
    assert.deepEqual(await store.readTail('s_20240101-000000', chat, 1), [record(2)]);
  });

  it('ignores a torn last line on read and cuts it before the next append', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await append(store);
    await fs.appendFile(chatFile(), '{"chat_record_id":2,"conn_id":"ec');
    assert.deepEqual(await ids(store), [1]);
    assert.deepEqual((await store.readTail('s_20240101-000000', chat, 1)).map((r) => r.chat_record_id), [1]);
    const fresh = new SessionStore(dir());
    await append(fresh);
    const lines = (await fs.readFile(chatFile(), 'utf8')).split('\n').filter(Boolean);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as StoredChatRecord).chat_record_id), [1, 2]);
  });

  it('cuts a torn last line another process leaves at any time, not only before its own first append', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await append(store);
    await append(store);
    // Another process crashes mid-append, after this one has appended (twice, with a whole line each time).
    await fs.appendFile(chatFile(), `${JSON.stringify(record(3, 'x'.repeat(40_000))).slice(0, 30_000)}`);
    await append(store);
    await fs.appendFile(chatFile(), '{"chat_re');
    await append(store);
    assert.deepEqual(await ids(store), [1, 2, 3, 4], 'every acknowledged record stays readable, ids 1..n');
    assert.ok((await fs.readFile(chatFile(), 'utf8')).endsWith('}\n'));
  });

  it('reads the tail of a long history with records larger than one read', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    for (let i = 1; i <= 30; i++) await append(store, 'x'.repeat(i % 3 === 0 ? 40_000 : 10));
    const tail = await store.readTail('s_20240101-000000', chat, 5);
    assert.deepEqual(tail.map((r) => r.chat_record_id), [26, 27, 28, 29, 30]);
  });

  it('lists the sessions around odd entries of the folder, warning once per path', async () => {
    const { store, warnings } = loggingStore();
    await store.createSession(session());
    const sessions = join(dir(), 'sessions');
    await fs.writeFile(join(sessions, 'notes'), 'a plain file');
    await fs.writeFile(join(sessions, 'Notes.txt'), 'another');
    await fs.mkdir(join(sessions, 'folder-meta', 'session.json'), { recursive: true });
    await fs.mkdir(join(sessions, 'truncated'));
    await fs.writeFile(join(sessions, 'truncated', 'session.json'), JSON.stringify(session('truncated')).slice(0, 40));
    await fs.mkdir(join(sessions, 'garbage'));
    await fs.writeFile(join(sessions, 'garbage', 'session.json'), '\u0000\u0001 not json');
    await fs.mkdir(join(sessions, 'wrong-shape'));
    await fs.writeFile(join(sessions, 'wrong-shape', 'session.json'), JSON.stringify({ session_id: 'wrong-shape' }));
    for (let i = 0; i < 3; i++) assert.deepEqual((await store.listSessions()).map((s) => s.session_id), ['s_20240101-000000']);
    const odd = ['notes', 'Notes.txt', 'folder-meta', 'truncated', 'garbage', 'wrong-shape'];
    assert.equal(warnings().length, odd.length, warnings().join('\n'));
    for (const name of odd)
      assert.equal(
        warnings().filter((w) => w.includes(join(sessions, name))).length,
        1,
        `one warning naming ${name}: ${warnings().join('\n')}`,
      );
    assert.equal(await store.readSession('notes'), undefined);
    assert.equal(await store.readSession('folder-meta'), undefined);
    assert.equal(warnings().length, odd.length, 'no second warning for a path already reported');
  });

  it('reads around a chat file it cannot read, warning once, and never appends to it', async () => {
    const { store, warnings } = loggingStore();
    await store.createSession({ ...session(), chat_ids: [chat, 'other_20240101_000000'], endpoints: ['echo', 'other'] });
    await append(store, 'kept', 'other_20240101_000000');
    await append(store);
    // chmod 000 denies reads except to root, who reads anyway: then a folder stands where the file should be.
    await fs.chmod(chatFile(), 0o000);
    const denied = await fs.readFile(chatFile()).then(() => false, () => true);
    if (!denied) {
      await fs.chmod(chatFile(), 0o644);
      await fs.rm(chatFile());
      await fs.mkdir(chatFile());
    }
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await store.readChat('s_20240101-000000', chat), []);
      assert.deepEqual(await store.readTail('s_20240101-000000', chat, 1), []);
    }
    assert.deepEqual(await ids(store, 'other_20240101_000000'), [1]);
    assert.equal(warnings().length, 1, warnings().join('\n'));
    assert.ok(warnings()[0]!.includes(chatFile()), warnings()[0]);
    await assert.rejects(append(new SessionStore(dir())), 'an append must not guess the next id of a chat it cannot read');
  });

  it('reports a full disk as a storage error, and appends again once there is room', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await append(store);
    const saved = `${chatFile()}.saved`;
    await fs.rename(chatFile(), saved);
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    await fs.symlink('/dev/full', chatFile());
    await assert.rejects(
      append(store),
      (err) =>
        isCoreError(err, 'storage') && /^Storage is not writable: no space left on the device \(.*\.jsonl\)$/.test((err as Error).message),
    );
    await fs.rm(chatFile());
    await fs.rename(saved, chatFile());
    assert.equal((await append(store)).chat_record_id, 2);
    assert.deepEqual(await ids(store), [1, 2]);
    assert.deepEqual(
      await fs.readdir(join(dir(), 'sessions', 's_20240101-000000')),
      ['session.json', `${chat}.jsonl`].sort(),
      'no lock or temporary file left',
    );
  });

  it('creates a session when the sessions folder was deleted, and reports a folder that cannot be made', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await fs.rm(join(dir(), 'sessions'), { recursive: true });
    assert.deepEqual(await store.listSessions(), []);
    await store.createSession(session('s_20240101-000001'));
    assert.deepEqual((await store.listSessions()).map((s) => s.session_id), ['s_20240101-000001']);

    await fs.rm(join(dir(), 'sessions'), { recursive: true });
    await fs.writeFile(join(dir(), 'sessions'), 'a file where the folder should be');
    await assert.rejects(
      store.createSession(session('s_20240101-000002')),
      (err) => isCoreError(err, 'storage') && /^Storage is not writable: a path in it is not a folder/.test((err as Error).message),
    );
    await assert.rejects(store.listSessions(), (err) => isCoreError(err, 'storage'));
    await assert.rejects(store.writeSession(session('s_20240101-000001')), (err) => isCoreError(err, 'storage'));
  });

  it('treats a session folder without metadata (a crash during create) as free', async () => {
    const store = new SessionStore(dir());
    await fs.mkdir(join(dir(), 'sessions', 's_20240101-000000'), { recursive: true });
    assert.deepEqual(await store.listSessions(), []);
    await store.createSession(session());
    assert.equal((await store.listSessions()).length, 1);
  });

  it('leaves no temporary file after an atomic metadata write', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await store.writeSession({ ...session(), description: 'changed' });
    assert.deepEqual(await fs.readdir(join(dir(), 'sessions', 's_20240101-000000')), ['session.json']);
    assert.equal((await store.readSession('s_20240101-000000'))?.description, 'changed');
  });

  it('deletes every file of a session, and finishes a delete a crash interrupted', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await append(store);
    await store.deleteSession('s_20240101-000000');
    // Only the journal is left, which says the session was deleted.
    assert.deepEqual(await fs.readdir(join(dir(), 'sessions')), ['.journal']);
    await assert.rejects(store.deleteSession('s_20240101-000000'), NotFoundError);

    await fs.mkdir(join(dir(), 'sessions', '.deleted-x-1234'));
    assert.deepEqual(await store.listSessions(), []);
    assert.deepEqual(await fs.readdir(join(dir(), 'sessions')), ['.journal']);
  });

  it('refuses ids that could reach outside its folder', async () => {
    const store = new SessionStore(dir());
    assert.equal(await store.readSession('../etc'), undefined);
    await assert.rejects(store.deleteSession('..'), NotFoundError);
    await assert.rejects(append(store, 'x', '../x'), NotFoundError);
  });
});
