// An attack whose process is killed (kill -9 of a headless `serve` in the
// middle of a run): the records it acknowledged are all there, and the next
// process lists the run as interrupted, with `done` counted from them.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { openCore } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { eventually } from '../support/apiHarness';
import { requireBuiltCli, startCli, type RunningCli } from '../support/cliProcess';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';

describe('an attack run whose process is killed', function () {
  let fake: FakeOpenAI;
  let cli: RunningCli | undefined;

  before(async () => {
    requireBuiltCli();
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  afterEach(async () => {
    if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  });
  // After the hook above, so what it stops is stopped before its folder is removed.
  const dir = useTempDir();

  it('keeps the records it acknowledged, and is listed as interrupted by the next process', async () => {
    const storage = join(dir(), 'store');
    const endpoints = join(dir(), 'endpoints.json');
    // One call at a time, 300 ms each: the run is still going when it is killed.
    await fs.writeFile(
      endpoints,
      JSON.stringify([
        {
          name: 'slow',
          connector_type: 'openai-connector',
          uri: fake.url,
          token: 't',
          max_calls_per_second: 100,
          max_concurrency: 1,
          model: 'delay:300',
          params: { max_attempts: 1 },
        },
      ]),
    );
    cli = await startCli(['--storage', storage, '--port', '0', '--endpoints', endpoints, '--no-auth']);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${cli!.url}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const { body: created } = await call('POST', '/v1/sessions', { name: 'Killed', endpoints: ['slow'] });
    const sessionId: string = created.session.session_id;
    const started = await call('POST', `/v1/sessions/${sessionId}/attacks`, {
      attack_modules: ['charswap_attack'],
      prompt: 'How were the pyramids of Giza built so precisely',
      num_variants: 8,
    });
    assert.equal(started.status, 202);
    const attackId: string = started.body.attack.attack_id;
    const total: number = started.body.attack.total;
    assert.ok(total >= 4, `${total} variants`);
    await eventually(
      async () => ((await call('GET', `/v1/sessions/${sessionId}/attacks/${attackId}`)).body.attack.done >= 2 ? true : undefined),
      'two records',
    );

    cli.child.kill('SIGKILL');
    await cli.exited;

    const core = await openCore({
      storageDir: storage,
      endpointSources: [{ kind: 'file', path: endpoints }],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
    });
    try {
      const [attack] = await core.attacks.list(sessionId);
      assert.equal(attack?.attack_id, attackId);
      assert.equal(attack?.status, 'interrupted');
      assert.equal(attack?.total, total);
      const records = await core.sessions.history(sessionId, created.session.chat_ids[0]);
      assert.equal(attack?.done, records.length);
      assert.ok(records.length >= 2 && records.length < total, `${records.length} of ${total} records`);
      assert.deepEqual(records.map((r) => r.chat_record_id), records.map((_, i) => i + 1));
      assert.ok(records.every((r) => r.error === null && r.attack_module === 'charswap_attack'));
      // A new run may start on the session now.
      const next = await core.attacks.start(sessionId, { attack_modules: ['base64'], prompt: 'again' });
      assert.equal(next.status, 'running');
      await core.drain();
      assert.equal((await core.attacks.get(sessionId, next.attack_id)).status, 'done');
    } finally {
      core.dispose();
    }
  });
});
