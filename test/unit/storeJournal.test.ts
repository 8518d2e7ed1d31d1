import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/store';
import { JOURNAL_FILE, JournalReader, readJournal } from '../../src/core/storeJournal';
import { openCore, type Core } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import type { SessionEvent } from '../../src/core/sessions';
import type { StoredChatRecord, StoredSession } from '../../src/core/schemas';
import { useTempDir } from '../support/tempDir';
import { inotifyWatches } from '../support/inotify';

const session = (n: number): StoredSession => ({
  session_id: `s${n}_20240101-000000`,
  name: `S${n}`,
  description: '',
  created_epoch: 1.5 + n,
  created_datetime: '20240101-000000',
  chat_ids: ['echo_20240101_000000'],
  endpoints: ['echo'],
  prompt_template: null,
  context_strategy: null,
  filename: null,
  num_of_prev_prompts: 5,
  metric: null,
});

const record = (id: number): StoredChatRecord => ({
  chat_record_id: id,
  conn_id: 'echo',
  context_strategy: '',
  prompt_template: '',
  prompt: `p${id}`,
  prepared_prompt: `p${id}`,
  predicted_result: `p${id}`,
  duration: '0 secs',
  prompt_time: '01/01/2024, 00:00:00',
  error: null,
  attack_module: '',
});

const ids = (sessions: StoredSession[]) => sessions.map((s) => s.session_id).sort();

/** Writes a session the way a version without the journal did: its folder and metadata only. */
async function writeAsOlderVersion(root: string, s: StoredSession): Promise<void> {
  await fs.mkdir(join(root, 'sessions', s.session_id), { recursive: true });
  await fs.writeFile(join(root, 'sessions', s.session_id, 'session.json'), JSON.stringify(s));
}

describe('the store journal', () => {
  const dir = useTempDir();
  const journal = () => join(dir(), 'sessions', JOURNAL_FILE);

  it('is the index: a listing takes the metadata from it, not from every session.json', async () => {
    const store = new SessionStore(dir());
    for (let n = 0; n < 3; n++) await store.createSession(session(n));
    await store.writeSession({ ...session(1), description: 'changed' });
    await store.deleteSession(session(2).session_id);
    // Damaged behind the store's back: a listing that read session.json would skip it.
    await fs.writeFile(join(dir(), 'sessions', session(0).session_id, 'session.json'), '{"cut');
    const listed = await new SessionStore(dir()).listSessions();
    assert.deepEqual(ids(listed), [session(0).session_id, session(1).session_id]);
    assert.equal(listed.find((s) => s.session_id === session(1).session_id)?.description, 'changed');
  });

  it('is made from the folders when missing (an older version wrote them), and then lists them', async () => {
    for (let n = 0; n < 3; n++) await writeAsOlderVersion(dir(), session(n));
    assert.deepEqual(ids(await new SessionStore(dir()).listSessions()), [0, 1, 2].map((n) => session(n).session_id));
    assert.deepEqual([...(await readJournal(journal()))!.sessions.keys()].sort(), [0, 1, 2].map((n) => session(n).session_id));
  });

  it('is caught up with folders made or removed behind its back', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session(0));
    await store.createSession(session(1));
    await writeAsOlderVersion(dir(), session(2));
    await fs.rm(join(dir(), 'sessions', session(0).session_id), { recursive: true });
    const expected = [1, 2].map((n) => session(n).session_id);
    assert.deepEqual(ids(await new SessionStore(dir()).listSessions()), expected);
    // Rewritten to match: the next listing needs no session.json.
    assert.deepEqual([...(await readJournal(journal()))!.sessions.keys()].sort(), expected);
  });

  it('skips a line a writer left torn, and keeps the lines after it', async () => {
    const store = new SessionStore(dir());
    await store.createSession(session(0));
    const reader = new JournalReader(journal());
    await reader.start();
    // A writer died in the middle of its line.
    await fs.appendFile(journal(), '{"w":"dead","e":"session","s":"s9_2024');
    assert.deepEqual((await reader.read()).entries, []);
    await store.createSession(session(1));
    const after = await reader.read();
    assert.deepEqual(after.entries.map((e) => e.s), [session(1).session_id]);
    assert.deepEqual(ids(await new SessionStore(dir()).listSessions()), [0, 1].map((n) => session(n).session_id));
    await reader.dispose();
  });

  it('is compacted when it grows, keeping every session and the lines appended meanwhile', async () => {
    const store = new SessionStore(dir(), { journalGrowthLimit: 4096 });
    const other = new SessionStore(dir(), { journalGrowthLimit: 4096 });
    for (let n = 0; n < 5; n++) await store.createSession(session(n));
    const reader = new JournalReader(journal());
    await reader.start();
    let compactions = 0;
    const chat = session(0).chat_ids[0]!;
    for (let id = 1; id <= 150; id++) {
      const ino = (await fs.stat(journal())).ino;
      // Two writers at once: appends race the compactions.
      await Promise.all([
        store.appendNextRecord(session(0).session_id, chat, () => record(id)),
        other.appendNextRecord(session(1).session_id, chat, () => record(id)),
      ]);
      // The records' journal lines go out after the records.
      await Promise.all([store.journal.settled(), other.journal.settled()]);
      if ((await fs.stat(journal())).ino !== ino) compactions++;
    }
    assert.ok(compactions >= 2, `compacted ${compactions} times`);
    const { size } = await fs.stat(journal());
    const read = (await readJournal(journal()))!;
    assert.ok(size < 4096 + 2 * read.base + 1024, `journal of ${size} bytes`);
    assert.deepEqual([...read.sessions.keys()].sort(), [0, 1, 2, 3, 4].map((n) => session(n).session_id));
    // A reader across compactions is told to list again, and still gets the lines of both writers after the last one.
    const change = await reader.read();
    assert.equal(change.replaced, true);
    await Promise.all([
      store.appendNextRecord(session(0).session_id, chat, () => record(151)),
      other.appendNextRecord(session(1).session_id, chat, () => record(151)),
    ]);
    await Promise.all([store.journal.settled(), other.journal.settled()]);
    const last = await reader.read();
    assert.deepEqual(
      new Set(last.entries.filter((e) => e.e === 'records').map((e) => e.s)),
      new Set([session(0).session_id, session(1).session_id]),
    );
    await reader.dispose();
  });

  it('keeps every session of two writers creating at once, across compactions', async () => {
    const a = new SessionStore(dir(), { journalGrowthLimit: 2048 });
    const b = new SessionStore(dir(), { journalGrowthLimit: 2048 });
    await Promise.all(Array.from({ length: 40 }, (_, n) => (n % 2 ? a : b).createSession(session(n))));
    await Promise.all([a.journal.settled(), b.journal.settled()]);
    const listed = (await readJournal(journal()))!.sessions;
    assert.equal(listed.size, 40);
  });
});

describe('following the journal', () => {
  const dir = useTempDir();
  const cores: Core[] = [];
  const open = (watch: boolean, journalGrowthLimit?: number) =>
    openCore({
      storageDir: dir(),
      endpointSources: [],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
      ...(watch ? { watch: { debounceMs: 20, checkEveryMs: 50 } } : {}),
    }).then((core) => {
      cores.push(core);
      if (journalGrowthLimit) Object.assign(core.store.journal, { growthLimit: journalGrowthLimit });
      return core;
    });
  afterEach(() => {
    for (const core of cores.splice(0)) core.dispose();
  });
  const next = (core: Core, type: SessionEvent['type'], sessionId?: string) =>
    new Promise<void>((resolve) => {
      const sub = core.sessions.onDidChange((e) => {
        if (e.type === type && (sessionId === undefined || ('sessionId' in e && e.sessionId === sessionId))) {
          sub.dispose();
          resolve();
        }
      });
    });

  it('holds the same number of watches for 1 session as for 60', async function () {
    if (inotifyWatches() === undefined) this.skip();
    const other = await open(false);
    await other.sessions.create({ name: 'one', endpoints: ['echo'] });
    const before = inotifyWatches()!;
    const first = await open(true);
    await first.sessions.list();
    const withOne = inotifyWatches()! - before;
    first.dispose();
    for (let n = 0; n < 60; n++) await other.store.createSession(session(n));
    const before2 = inotifyWatches()!;
    const second = await open(true);
    await second.sessions.list();
    assert.equal(inotifyWatches()! - before2, withOne);
    assert.ok(withOne <= 1, `${withOne} watches`);
  });

  it("sees another writer's records after the journal was compacted", async () => {
    const mine = await open(true);
    const other = await open(false, 2048);
    const s = await other.sessions.create({ name: 'busy', endpoints: ['echo'] });
    await mine.sessions.list();
    const ino = (await fs.stat(join(dir(), 'sessions', JOURNAL_FILE))).ino;
    for (let i = 0; i < 40; i++) await other.sessions.prompt(s.session_id, `p${i}`);
    await other.store.journal.settled();
    assert.notEqual((await fs.stat(join(dir(), 'sessions', JOURNAL_FILE))).ino, ino, 'compacted');
    const changed = next(mine, 'recordsChanged', s.session_id);
    await other.sessions.prompt(s.session_id, 'after');
    await changed;
    assert.equal((await mine.sessions.history(s.session_id, s.chat_ids[0]!)).length, 41);
  });

  it('without a journal (an older version writing), still lists the sessions whose folders come and go', async () => {
    const mine = await open(true);
    await mine.sessions.list();
    const reloaded = next(mine, 'reloaded');
    await writeAsOlderVersion(dir(), session(7));
    await reloaded;
    assert.deepEqual((await mine.sessions.list()).map((s) => s.session_id), [session(7).session_id]);
    const gone = next(mine, 'reloaded');
    await fs.rm(join(dir(), 'sessions', session(7).session_id), { recursive: true });
    await gone;
    assert.deepEqual(await mine.sessions.list(), []);
  });
});
