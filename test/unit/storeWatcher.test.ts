import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import type { SessionEvent } from '../../src/core/sessions';
import type { LogLevel } from '../../src/core/log';
import { useTempDir } from '../support/tempDir';
import { openTestCore } from '../support/testCore';

/** Polls `check` until it holds: another process's writes give this one no event to await. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('following another process through the store', () => {
  const dir = useTempDir();
  const cores: Core[] = [];
  const logged: { level: LogLevel; message: string }[] = [];
  const open = (watch: boolean) =>
    openTestCore(dir(), {
      log: (level, message) => logged.push({ level, message }),
      ...(watch ? { watch: { debounceMs: 30, checkEveryMs: 50 } } : {}),
    }).then((core) => (cores.push(core), core));
  afterEach(() => {
    for (const core of cores.splice(0)) core.dispose();
    logged.splice(0);
  });

  const next = (core: Core, type: SessionEvent['type']) =>
    new Promise<void>((resolve) => {
      const sub = core.sessions.onDidChange((e) => {
        if (e.type === type) {
          sub.dispose();
          resolve();
        }
      });
    });

  it("reports another process's sessions and records, and stays quiet about its own writes", async () => {
    const mine = await open(true);
    const other = await open(false);
    const events: SessionEvent['type'][] = [];
    mine.sessions.onDidChange((e) => events.push(e.type));
    const s = await mine.sessions.create({ name: 'watched', endpoints: ['echo'] });
    await mine.sessions.prompt(s.session_id, 'mine');
    const ownEvents = events.length;

    const changed = next(mine, 'recordsChanged');
    await other.sessions.prompt(s.session_id, 'theirs');
    // Its own append right after the other's must not hide the other's.
    await mine.sessions.prompt(s.session_id, 'mine again');
    await changed;
    const reloaded = next(mine, 'reloaded');
    const theirs = await other.sessions.create({ name: 'theirs', endpoints: ['echo'] });
    await reloaded;
    assert.ok((await mine.sessions.list()).some((x) => x.session_id === theirs.session_id));

    // Everything the watcher reported about this process's own writes came before the other's.
    const fromWatcher = events.map((t, i) => ({ t, i })).filter(({ t }) => t === 'reloaded' || t === 'recordsChanged');
    assert.deepEqual(fromWatcher.map(({ t }) => t), ['recordsChanged', 'reloaded'], events.join(','));
    assert.ok(fromWatcher.every(({ i }) => i >= ownEvents), events.join(','));
  });

  it('lists every session again when its folder is deleted and restored, and follows it from then on', async () => {
    const mine = await open(true);
    const other = await open(false);
    for (let i = 0; i < 10; i++) await other.sessions.create({ name: `s${i}`, endpoints: ['echo'] });
    const count = async () => (await mine.sessions.list()).length;
    await eventually('all 10 listed', async () => (await count()) === 10);

    const sessions = join(dir(), 'sessions');
    await fs.rename(sessions, join(dir(), 'sessions-away'));
    await eventually('the list empties while the folder is gone', async () => (await count()) === 0);
    await fs.rename(join(dir(), 'sessions-away'), sessions);
    await eventually('all 10 listed again once the folder is back', async () => (await count()) === 10);

    // Watched again, not only read once: a session another process creates now shows up too.
    const late = await other.sessions.create({ name: 'late', endpoints: ['echo'] });
    await eventually('a session created after the restore is listed', async () =>
      (await mine.sessions.list()).some((s) => s.session_id === late.session_id),
    );
    assert.ok(logged.some((l) => l.level === 'warn' && l.message.includes(sessions) && /gone/.test(l.message)), JSON.stringify(logged));
    assert.ok(logged.some((l) => l.level === 'info' && l.message.includes(sessions) && /is back/.test(l.message)), JSON.stringify(logged));
  });

  it('says nothing of the folder being back when it starts on a new storage folder', async () => {
    const mine = await open(true);
    await mine.sessions.list();
    // Followed from the start (the first look lists nothing again): another process's session is news, the folder is not.
    const reloaded = next(mine, 'reloaded');
    await (await open(false)).sessions.create({ name: 'other', endpoints: ['echo'] });
    await reloaded;
    assert.ok((await fs.stat(join(dir(), 'sessions'))).isDirectory());
    assert.deepEqual(logged, []);
  });

  it('logs a failure while following the folder instead of throwing it, and recovers', async () => {
    const mine = await open(true);
    // Listed once: from then on a change is followed by listing again (before, the first listing reads the folder as it is).
    await mine.sessions.list();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const sessions = join(dir(), 'sessions');
      await fs.rm(sessions, { recursive: true });
      // A file where the folder should be: listing it fails, and that failure has no caller to go to.
      await fs.writeFile(sessions, 'not a folder');
      await eventually('the failure is logged', async () =>
        logged.some((l) => l.level === 'error' && l.message.includes('Storage is not writable') && l.message.includes(sessions)),
      );
      assert.deepEqual(unhandled, []);

      await fs.rm(sessions);
      await fs.mkdir(sessions);
      const other = await open(false);
      const s = await other.sessions.create({ name: 'after', endpoints: ['echo'] });
      await eventually('followed again once the folder is a folder', async () =>
        (await mine.sessions.list()).some((x) => x.session_id === s.session_id),
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
