import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/store';
import type { ChatRecord, StoredSession } from '../../src/core/schemas';
import { ConflictError, NotFoundError } from '../../src/core/errors';
import { useTempDir } from '../support/tempDir';

const session = (id = 's_20240101-000000'): StoredSession => ({
  session_id: id,
  name: 'S',
  description: '',
  created_epoch: 1.5,
  created_datetime: '20240101-000000',
  chat_ids: ['echo_20240101_000000'],
  endpoints: ['echo'],
  prompt_template: null,
  context_strategy: null,
  filename: null,
  num_of_prev_prompts: 5,
});

const record = (id: number, text = `r${id}`): ChatRecord => ({
  chat_record_id: id,
  conn_id: 'echo',
  context_strategy: '',
  prompt_template: '',
  prompt: text,
  prepared_prompt: text,
  predicted_result: text,
  duration: '0 secs',
  prompt_time: '01/01/2024, 00:00:00',
  error: null,
});

describe('SessionStore', () => {
  const dir = useTempDir();
  const chat = 'echo_20240101_000000';

  it('creates, reads, lists and never overwrites a session', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    assert.deepEqual(await store.readSession('s_20240101-000000'), session());
    assert.equal((await store.listSessions()).length, 1);
    await assert.rejects(store.createSession(session()), ConflictError);
  });

  it('appends records without rewriting the file, and reads them back in order', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    const path = join(dir(), 'sessions', 's_20240101-000000', `${chat}.jsonl`);
    await store.appendRecord('s_20240101-000000', chat, record(1));
    const { ino } = await fs.stat(path);
    await store.appendRecord('s_20240101-000000', chat, record(2));
    assert.equal((await fs.stat(path)).ino, ino, 'same file, appended in place');
    assert.deepEqual((await store.readChat('s_20240101-000000', chat)).map((r) => r.chat_record_id), [1, 2]);
    assert.deepEqual(await store.readTail('s_20240101-000000', chat, 1), [record(2)]);
  });

  it('ignores a torn last line on read and cuts it before the next append', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    await store.appendRecord('s_20240101-000000', chat, record(1));
    const path = join(dir(), 'sessions', 's_20240101-000000', `${chat}.jsonl`);
    await fs.appendFile(path, '{"chat_record_id":2,"conn_id":"ec');
    assert.deepEqual((await store.readChat('s_20240101-000000', chat)).map((r) => r.chat_record_id), [1]);
    assert.deepEqual((await store.readTail('s_20240101-000000', chat, 1)).map((r) => r.chat_record_id), [1]);
    const fresh = new SessionStore(dir());
    await fresh.appendRecord('s_20240101-000000', chat, record(2));
    const lines = (await fs.readFile(path, 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as ChatRecord).chat_record_id), [1, 2]);
  });

  it('reads the tail of a long history with records larger than one read', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session());
    for (let i = 1; i <= 30; i++) await store.appendRecord('s_20240101-000000', chat, record(i, 'x'.repeat(i % 3 === 0 ? 40_000 : 10)));
    const tail = await store.readTail('s_20240101-000000', chat, 5);
    assert.deepEqual(tail.map((r) => r.chat_record_id), [26, 27, 28, 29, 30]);
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
    await store.appendRecord('s_20240101-000000', chat, record(1));
    await store.deleteSession('s_20240101-000000');
    assert.deepEqual(await fs.readdir(join(dir(), 'sessions')), []);
    await assert.rejects(store.deleteSession('s_20240101-000000'), NotFoundError);

    await fs.mkdir(join(dir(), 'sessions', '.deleted-x-1234'));
    assert.deepEqual(await store.listSessions(), []);
    assert.deepEqual(await fs.readdir(join(dir(), 'sessions')), []);
  });

  it('refuses ids that could reach outside its folder', async () => {
    const store = new SessionStore(dir());
    assert.equal(await store.readSession('../etc'), undefined);
    await assert.rejects(store.deleteSession('..'), NotFoundError);
    await assert.rejects(store.appendRecord('s_20240101-000000', '../x', record(1)), NotFoundError);
  });
});
