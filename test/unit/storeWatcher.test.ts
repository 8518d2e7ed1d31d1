import assert from 'node:assert/strict';
import { openCore } from '../../src/core/core';
import { MemorySecretStore } from '../../src/core/secrets';
import { StoreWatcher } from '../../src/core/storeWatcher';
import type { SessionEvent } from '../../src/core/sessions';
import { useTempDir } from '../support/tempDir';

describe('following another process through the store', () => {
  const dir = useTempDir();
  const open = () => openCore({ storageDir: dir(), endpointSources: [], promptTemplateFolders: [], secrets: new MemorySecretStore() });

  it("reports another process's sessions and records, and stays quiet about its own writes", async () => {
    const mine = await open();
    const other = await open();
    const watcher = new StoreWatcher(mine.store.sessionsDir, 30);
    // As the extension wires it.
    watcher.onDidChange((change) => void mine.sessions.applyExternalChange(change));
    watcher.start();
    const events: SessionEvent['type'][] = [];
    mine.sessions.onDidChange((e) => events.push(e.type));
    const next = (type: SessionEvent['type']) =>
      new Promise<void>((resolve) => {
        const sub = mine.sessions.onDidChange((e) => {
          if (e.type === type) {
            sub.dispose();
            resolve();
          }
        });
      });
    try {
      const s = await mine.sessions.create({ name: 'watched', endpoints: ['echo'] });
      await mine.sessions.prompt(s.session_id, 'mine');
      const ownEvents = events.length;

      const changed = next('recordsChanged');
      await other.sessions.prompt(s.session_id, 'theirs');
      // Its own append right after the other's must not hide the other's.
      await mine.sessions.prompt(s.session_id, 'mine again');
      await changed;
      const reloaded = next('reloaded');
      const theirs = await other.sessions.create({ name: 'theirs', endpoints: ['echo'] });
      await reloaded;
      assert.ok((await mine.sessions.list()).some((x) => x.session_id === theirs.session_id));

      // Everything the watcher reported about this process's own writes came before the other's.
      const fromWatcher = events.map((t, i) => ({ t, i })).filter(({ t }) => t === 'reloaded' || t === 'recordsChanged');
      assert.deepEqual(fromWatcher.map(({ t }) => t), ['recordsChanged', 'reloaded'], events.join(','));
      assert.ok(fromWatcher.every(({ i }) => i >= ownEvents), events.join(','));
    } finally {
      watcher.dispose();
    }
  });
});
