import assert from 'node:assert/strict';
import { openCore, type Core } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { ApiServer } from '../../src/server/apiServer';
import { request } from '../support/apiClient';
import { eventually } from '../support/apiHarness';
import { useTempDir } from '../support/tempDir';

// GET /v1/sessions answers bytes serialised once per change; these prove every kind of change reaches them.
describe('the cached session listing', () => {
  const dir = useTempDir();
  const cores: Core[] = [];
  let server: ApiServer | undefined;
  const open = (watch: boolean) =>
    openCore({
      storageDir: dir(),
      endpointSources: [],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
      ...(watch ? { watch: { debounceMs: 20, checkEveryMs: 50 } } : {}),
    }).then(
      (core) => (cores.push(core), core),
    );
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    for (const core of cores.splice(0)) core.dispose();
  });

  const serve = async (core: Core) => {
    server = new ApiServer({ core, port: 0, token: null });
    await server.start();
    const port = server.port;
    return {
      list: async () => {
        const res = await request(port, 'GET', '/v1/sessions');
        assert.equal(res.status, 200);
        assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.text));
        return res.json as { session_id: string; prompt_template: string | null; context_strategy: string | null }[];
      },
      names: async () => (await request(port, 'GET', '/v1/sessions/name')).json as string[],
    };
  };

  it("follows this process's creates, updates and deletes", async () => {
    const core = await open(false);
    const api = await serve(core);
    assert.deepEqual(await api.list(), []);
    const a = await core.sessions.create({ name: 'a', endpoints: ['echo'] });
    assert.deepEqual((await api.list()).map((s) => s.session_id), [a.session_id]);
    assert.deepEqual(await api.names(), [a.session_id]);
    await core.sessions.setContextStrategy(a.session_id, 'add_previous_prompt');
    assert.equal((await api.list())[0]!.context_strategy, 'add_previous_prompt');
    const b = await core.sessions.create({ name: 'b', endpoints: ['echo'] });
    assert.deepEqual(new Set(await api.names()), new Set([a.session_id, b.session_id]));
    await core.sessions.delete(a.session_id);
    assert.deepEqual((await api.list()).map((s) => s.session_id), [b.session_id]);
    assert.deepEqual(await api.names(), [b.session_id]);
    // A prompt changes no metadata: the listing stays what it was.
    await core.sessions.prompt(b.session_id, 'hi');
    assert.deepEqual((await api.list()).map((s) => [s.session_id, s.context_strategy]), [[b.session_id, null]]);
  });

  it("follows another process's creates, updates and deletes", async () => {
    const mine = await open(true);
    const other = await open(false);
    const api = await serve(mine);
    assert.deepEqual(await api.list(), []);
    const s = await other.sessions.create({ name: 'theirs', endpoints: ['echo'] });
    await eventually(async () => ((await api.names()).includes(s.session_id) ? true : undefined), 'the other process\'s session listed');
    await other.sessions.setContextStrategy(s.session_id, 'add_previous_prompt');
    await eventually(
      async () => ((await api.list())[0]?.context_strategy === 'add_previous_prompt' ? true : undefined),
      'its update listed',
    );
    await other.sessions.delete(s.session_id);
    await eventually(async () => ((await api.list()).length === 0 ? true : undefined), 'its delete listed');
    assert.deepEqual(await api.names(), []);
  });
});
