import assert from 'node:assert/strict';
import { promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EndpointRegistry } from '../../src/core/endpoints';
import { MemorySecretStore, endpointTokenKey } from '../../src/core/secrets';
import { ConflictError, ValidationError } from '../../src/core/errors';
import { ENDPOINTS_DIR, requireMoonshotData } from '../support/moonshotData';
import { useTempDir } from '../support/tempDir';
import { startTestApi } from '../support/testApi';
import { PromptTemplateRegistry } from '../../src/core/templates';

describe('EndpointRegistry', () => {
  const dir = useTempDir();

  describe("Moonshot's connectors-endpoints files", function () {
    before(function () {
      requireMoonshotData(this);
    });

    it('loads every file unchanged, ids from file stems, unsupported types listed with a reason', async () => {
      const files = readdirSync(ENDPOINTS_DIR).filter((f) => f.endsWith('.json'));
      const registry = new EndpointRegistry([{ kind: 'folder', path: ENDPOINTS_DIR }], new MemorySecretStore(), join(dir(), 'api'));
      await registry.load();
      assert.deepEqual(registry.problems, []);
      const views = await registry.list();
      assert.equal(views.length, files.length + 1, 'every file, plus echo');
      assert.ok(views.some((v) => v.id === 'echo' && v.supported));

      const gpt4o = views.find((v) => v.id === 'openai-gpt4o')!;
      assert.deepEqual(
        { ...gpt4o, created_date: undefined },
        {
          id: 'openai-gpt4o',
          name: 'My OpenAI GPT4o',
          connector_type: 'openai-connector',
          uri: '',
          token: '',
          max_calls_per_second: 10,
          max_concurrency: 10,
          model: 'gpt-4o',
          params: { timeout: 300, max_attempts: 3, temperature: 0 },
          created_date: undefined,
          supported: true,
        },
      );
      assert.match(gpt4o.created_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.ok(views.find((v) => v.id === 'anthropic-claude4.5'), 'stems with dots are ids');

      const ollama = views.find((v) => v.id === 'ollama-llama3')!;
      assert.equal(ollama.token, '****', 'a token in the file is redacted');
      const bedrock = views.find((v) => v.connector_type === 'amazon-bedrock-connector')!;
      assert.equal(bedrock.supported, false);
      assert.match(bedrock.unsupported_reason!, /amazon-bedrock-connector/);
      assert.equal(
        views.filter((v) => v.supported).length,
        1 + views.filter((v) => ['openai-connector', 'azure-openai-connector'].includes(v.connector_type)).length,
      );
    });
  });

  describe('files nested deeper than 64 levels', () => {
    const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

    it('lists an endpoint file with 20,000-deep params as a problem, and the API still lists the endpoints', async () => {
      const api = await startTestApi();
      try {
        await fs.mkdir(join(api.dir, 'endpoints'), { recursive: true });
        await fs.writeFile(join(api.dir, 'endpoints', 'deep.json'), `{"name":"Deep","connector_type":"echo","params":${deep(20_000)}}`);
        await fs.writeFile(join(api.dir, 'endpoints', 'shallow.json'), `{"name":"Shallow","connector_type":"echo","params":${deep(60)}}`);
        await api.core.endpoints.load();
        assert.deepEqual(
          api.core.endpoints.problems.map((p) => [p.origin, p.message]),
          [[join(api.dir, 'endpoints', 'deep.json'), 'nests arrays and objects deeper than 64 levels']],
        );
        const res = await api.call('GET', '/v1/llm_endpoints');
        assert.equal(res.status, 200);
        assert.deepEqual((res.json as any[]).map((e) => e.id), ['echo', 'shallow']);
      } finally {
        await api.stop();
      }
    });

    it('lists such an array file and prompt template as problems too', async () => {
      await fs.writeFile(join(dir(), 'list.json'), `[{"name":"Deep","connector_type":"echo","params":${deep(100)}}]`);
      await fs.mkdir(join(dir(), 'templates'));
      await fs.writeFile(join(dir(), 'templates', 'deep.json'), `{"name":"deep","template":"{{ prompt }}","x":${deep(20_000)}}`);
      const endpoints = new EndpointRegistry([{ kind: 'file', path: join(dir(), 'list.json') }], new MemorySecretStore());
      const templates = new PromptTemplateRegistry([join(dir(), 'templates')]);
      await Promise.all([endpoints.load(), templates.load()]);
      assert.deepEqual(endpoints.problems, [
        { origin: join(dir(), 'list.json'), message: 'nests arrays and objects deeper than 64 levels' },
      ]);
      assert.deepEqual(templates.problems, [
        { origin: join(dir(), 'templates', 'deep.json'), message: 'nests arrays and objects deeper than 64 levels' },
      ]);
      assert.deepEqual(templates.list(), []);
    });
  });

  it('reads array files and settings objects, and reports bad ones without failing', async () => {
    await fs.writeFile(
      join(dir(), 'list.json'),
      JSON.stringify([{ name: 'Local A', connector_type: 'openai-connector', uri: 'http://127.0.0.1:1/v1', model: 'm' }, { nope: 1 }]),
    );
    await fs.writeFile(join(dir(), 'broken.json'), '{');
    const registry = new EndpointRegistry(
      [
        { kind: 'file', path: join(dir(), 'list.json') },
        { kind: 'file', path: join(dir(), 'broken.json') },
        {
          kind: 'inline',
          origin: 'settings',
          endpoints: [
            { id: 'mine', name: 'Mine', connector_type: 'echo' },
            { name: 'Local A', connector_type: 'echo' },
          ],
        },
      ],
      new MemorySecretStore(),
    );
    await registry.load();
    assert.deepEqual(registry.ids().sort(), ['echo', 'local-a', 'mine']);
    assert.equal(registry.problems.length, 3, JSON.stringify(registry.problems));
    assert.ok(registry.problems.some((p) => /already used/.test(p.message)));
  });

  it('keeps the model of an API endpoint sent with an empty model and the model in params', async () => {
    const registry = new EndpointRegistry([], new MemorySecretStore(), join(dir(), 'api'));
    await registry.load();
    const view = await registry.create({
      name: 'Empty model',
      connector_type: 'echo',
      model: '',
      params: { model: 'in-params', temperature: 0 },
    });
    assert.deepEqual([view.model, view.params], ['in-params', { temperature: 0 }]);
  });

  it('creates endpoints through the API with Moonshot web UI inputs; tokens only in the secret store', async () => {
    const secrets = new MemorySecretStore();
    const registry = new EndpointRegistry([], secrets, join(dir(), 'api'));
    await registry.load();
    const view = await registry.create({
      name: 'My Ollama',
      connector_type: 'openai-connector',
      uri: 'http://127.0.0.1:11434/v1',
      token: 'sk-secret',
      max_calls_per_second: '2' as never,
      max_concurrency: '1' as never,
      params: { model: 'llama3', temperature: 0.2 },
    });
    assert.equal(view.id, 'my-ollama');
    assert.equal(view.token, '****');
    assert.equal(view.model, 'llama3');
    assert.equal(view.max_calls_per_second, 2);
    assert.deepEqual(view.params, { temperature: 0.2 });
    assert.equal(await secrets.get(endpointTokenKey('my-ollama')), 'sk-secret');
    const onDisk = await fs.readFile(join(dir(), 'api', 'my-ollama.json'), 'utf8');
    assert.ok(!onDisk.includes('sk-secret'), 'the token is not written to the file');
    assert.equal((await registry.resolve('my-ollama')).token, 'sk-secret');

    await assert.rejects(registry.create({ name: 'my ollama', connector_type: 'echo' }), ConflictError);
    await assert.rejects(
      registry.create({ name: 'Bedrock', connector_type: 'amazon-bedrock-connector' }),
      (e: unknown) => e instanceof ValidationError && /amazon-bedrock-connector/.test(e.message),
    );
    await assert.rejects(registry.create({ name: 'Zero', connector_type: 'echo', max_concurrency: 0 }), ValidationError);
    await assert.rejects(
      registry.create({ name: 'E', connector_type: 'echo', params: '' as never, max_calls_per_second: 'x' as never }),
      ValidationError,
    );

    const reloaded = new EndpointRegistry([], secrets, join(dir(), 'api'));
    await reloaded.load();
    assert.equal((await reloaded.view('my-ollama')).uri, 'http://127.0.0.1:11434/v1');

    await registry.update('my-ollama', { uri: 'http://127.0.0.1:1/v1', token: '' });
    assert.equal((await registry.view('my-ollama')).token, '');
    await registry.delete('my-ollama');
    assert.deepEqual(await fs.readdir(join(dir(), 'api')), []);
  });

  it('lets the API set a token on a file endpoint but not change or delete it', async () => {
    await fs.mkdir(join(dir(), 'files'));
    await fs.writeFile(
      join(dir(), 'files', 'ep.json'),
      JSON.stringify({
        name: 'EP',
        connector_type: 'openai-connector',
        uri: '',
        token: '',
        max_calls_per_second: 1,
        max_concurrency: 1,
        model: 'm',
        params: {},
      }),
    );
    const registry = new EndpointRegistry([{ kind: 'folder', path: join(dir(), 'files') }], new MemorySecretStore(), join(dir(), 'api'));
    await registry.load();
    await registry.update('ep', { token: 'abc' });
    assert.equal((await registry.resolve('ep')).token, 'abc');
    await assert.rejects(registry.update('ep', { uri: 'http://x' }), ConflictError);
    await assert.rejects(registry.delete('ep'), ConflictError);
    await assert.rejects(registry.delete('echo'), ConflictError);
  });
});
