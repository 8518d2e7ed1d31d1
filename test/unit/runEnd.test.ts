// A run that reads as ended has ended: a client that sees `done` (and
// starts the next run on the session) is not refused with "already going"
// while the run's last manifest write is still on its way to the disk.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { openRunCore } from '../support/runHarness';
import { useTempDir } from '../support/tempDir';

/** Holds the store's manifest writes of ended runs until `release()`; resolves `held` when one is waiting. */
function holdEndWrites(core: Core, method: 'writeRunManifest' | 'writeAttackManifest', statusOf: (m: unknown) => string) {
  const original = core.store[method].bind(core.store);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let heldOne!: () => void;
  const held = new Promise<void>((resolve) => (heldOne = resolve));
  core.store[method] = async (sessionId: string, id: string, manifest: unknown) => {
    if (statusOf(manifest) !== 'running') {
      heldOne();
      await gate;
    }
    return original(sessionId, id, manifest);
  };
  return { held, release };
}

describe('a run that has ended', function () {
  let fake: FakeOpenAI;
  let core: Core | undefined;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  afterEach(async () => {
    await core?.drain();
    core?.dispose();
    core = undefined;
  });
  const dir = useTempDir();

  it('dataset run: reads as done and lets the next run start while its last manifest write is held', async () => {
    core = await openRunCore(join(dir(), 'store'), fake, [{ id: 'a', model: 'echo-a' }]);
    const session = await core.sessions.create({ name: 'Ends', endpoints: ['a'] });
    const hold = holdEndWrites(core, 'writeRunManifest', (m) => (m as { run: { status: string } }).run.status);
    const first = await core.runs.start({ session_id: session.session_id, rows: [{ id: 'r1', input: 'one' }] });
    await hold.held;
    try {
      assert.equal((await core.runs.get(first.run_id)).status, 'done');
      assert.equal(core.runs.running(session.session_id), undefined, 'nothing is running on the session');
    } finally {
      hold.release();
    }
    const second = await core.runs.start({ session_id: session.session_id, rows: [{ id: 'r2', input: 'two' }] });
    assert.equal(second.status, 'running');
    await core.drain();
    assert.equal((await core.runs.get(second.run_id)).status, 'done');
  });

  it('attack: reads as done and lets the next attack start while its last manifest write is held', async () => {
    core = await openRunCore(join(dir(), 'store'), fake, [{ id: 'a', model: 'echo-a' }]);
    const session = await core.sessions.create({ name: 'Ends', endpoints: ['a'] });
    const hold = holdEndWrites(core, 'writeAttackManifest', (m) => (m as { attack: { status: string } }).attack.status);
    const body = { prompt: 'hello', attack_modules: ['rot13'] };
    const first = await core.attacks.start(session.session_id, body);
    await hold.held;
    try {
      assert.equal((await core.attacks.get(session.session_id, first.attack_id)).status, 'done');
      assert.equal(core.attacks.running(session.session_id), undefined, 'nothing is running on the session');
    } finally {
      hold.release();
    }
    const second = await core.attacks.start(session.session_id, body);
    assert.equal(second.status, 'running');
    await core.drain();
  });
});
