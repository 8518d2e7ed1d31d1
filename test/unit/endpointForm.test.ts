import assert from 'node:assert/strict';
import { parseParams, suggestEndpointName, typedUrl, validateEndpointName, validateLimit } from '../../src/vscode/endpointForm';
import { fixesFor } from '../../src/vscode/endpointFixes';
import { fetchModels } from '../../src/core/connectors/models';
import { probeEndpoint } from '../../src/core/connectors/probe';
import { freePort } from '../support/ports';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

describe('endpoint forms: URLs typed in, names, params, limits', () => {
  it('takes a URL typed into the list of presets; other text only filters', () => {
    assert.equal(typedUrl('http://10.0.0.5:8080/v1'), 'http://10.0.0.5:8080/v1');
    assert.equal(typedUrl('  https://api.example.com/v1 '), 'https://api.example.com/v1');
    assert.equal(typedUrl('localhost:8080/v1'), 'http://localhost:8080/v1');
    assert.equal(typedUrl('olla'), undefined);
    assert.equal(typedUrl('LM Studio'), undefined);
    assert.equal(typedUrl('http://'), undefined);
  });

  it('names a server after its kind, host and model, and never a name that is taken', () => {
    const none = new Set<string>();
    assert.equal(
      suggestEndpointName('openai-connector', 'http://localhost:11434/v1', 'llama3.2', none),
      'ollama llama3.2 (localhost:11434)',
    );
    assert.equal(suggestEndpointName('openai-connector', 'http://localhost:1234/v1', 'qwen', none), 'lm studio qwen (localhost:1234)');
    assert.equal(suggestEndpointName('openai-connector', 'http://10.1.2.3:9000/v1', 'mistral', none), 'mistral (10.1.2.3:9000)');
    assert.equal(suggestEndpointName('openai-connector', '', 'gpt-4o', none), 'OpenAI gpt-4o');
    assert.equal(
      suggestEndpointName('azure-openai-connector', 'https://res.openai.azure.com', 'gpt-4o', none),
      'Azure gpt-4o (res.openai.azure.com)',
    );
    const taken = new Set(['openai gpt-4o', 'openai-gpt-4o-2']);
    assert.equal(suggestEndpointName('openai-connector', '', 'gpt-4o', taken), 'OpenAI gpt-4o 3');
    assert.equal(validateEndpointName('OpenAI GPT-4o', taken), 'An endpoint with this name exists');
    assert.equal(validateEndpointName('!!!', taken), 'The name needs a letter or digit');
    assert.equal(validateEndpointName('Fine', taken), undefined);
  });

  it('params are a JSON object; limits a number above 0', () => {
    assert.deepEqual(parseParams('{"temperature": 0.5}'), { ok: true, params: { temperature: 0.5 } });
    assert.deepEqual(parseParams(''), { ok: true, params: {} });
    assert.match((parseParams('[1]') as { problem: string }).problem, /JSON object/);
    assert.match((parseParams('{temperature: 1}') as { problem: string }).problem, /^Not JSON/);
    assert.equal(validateLimit('0.5'), undefined);
    for (const bad of ['0', '-1', 'abc', '']) assert.ok(validateLimit(bad), bad);
  });
});

describe('Test Endpoint: the fix offered for a failure', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  const endpoint = (uri: string, model: string) => ({
    id: 'e',
    name: 'E',
    connector_type: 'openai-connector',
    uri,
    token: 'k',
    max_calls_per_second: 10,
    max_concurrency: 10,
    model,
    params: { timeout: 5 },
  });
  const failure = async (uri: string, model: string) => {
    const r = await probeEndpoint(endpoint(uri, model));
    assert.equal(r.ok, false);
    return r as Extract<typeof r, { ok: false }>;
  };

  it('refused connection: Edit URL; 401/403: Set Token; a missing model: Pick Model', async () => {
    assert.deepEqual(fixesFor(await failure(`http://127.0.0.1:${await freePort()}/v1`, 'm')), ['editUrl']);
    assert.deepEqual(fixesFor(await failure(fake.url, 'fail:401')), ['setToken']);
    assert.deepEqual(fixesFor(await failure(fake.url, 'fail:403')), ['setToken']);
    fake.setBehaviour('gone', { kind: 'status', status: 404, message: 'model "gone" not found, try pulling it first' });
    assert.deepEqual(fixesFor(await failure(fake.url, 'gone')), ['pickModel']);
    fake.setBehaviour('bad-model', { kind: 'status', status: 400, message: 'The model `bad-model` does not exist' });
    assert.deepEqual(fixesFor(await failure(fake.url, 'bad-model')), ['pickModel']);
    assert.deepEqual(fixesFor(await failure(`${fake.origin}/nowhere`, 'm')), ['pickModel', 'editUrl'], 'a 404 of a wrong path');
    assert.deepEqual(fixesFor(await failure(fake.url, 'fail:500')), []);
  });

  it('the model list says why it could not be fetched', async () => {
    const ok = await fetchModels(fake.url, 'k');
    assert.ok(ok.ok && ok.models.includes('fake-model'));
    const refused = await fetchModels(`http://127.0.0.1:${await freePort()}/v1`, '');
    assert.ok(!refused.ok && /^connection refused/.test(refused.reason), JSON.stringify(refused));
    const notFound = await fetchModels(`${fake.origin}/nowhere`, '');
    assert.ok(!notFound.ok && /\/nowhere\/models answered HTTP 404: no route/.test(notFound.reason), JSON.stringify(notFound));
    const notUrl = await fetchModels('ftp://x', '');
    assert.ok(!notUrl.ok && /not an http/.test(notUrl.reason));
  });
});
