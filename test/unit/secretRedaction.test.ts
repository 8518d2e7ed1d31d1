// A model server's error that repeats the endpoint's token: the connector
// replaces the token with **** before anyone sees the sentence, so the
// record stored, the API's answer and the log never hold it.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { createConnector } from '../../src/core/connectors';
import { ConnectorError } from '../../src/core/connectors/errors';
import type { ResolvedEndpoint } from '../../src/core/connectors/types';
import { openCore } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { ApiServer } from '../../src/server/apiServer';
import { request } from '../support/apiClient';
import { startFakeOpenAI, type FakeOpenAI, type LeakFormat } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';

/** Characters that percent-encoding and HTML change, so every spelling of it is tried. */
const SECRET = 'sk-Very/Secret+Key=42';
const FORMATS: LeakFormat[] = ['json', 'detail', 'html', 'plain', 'url', 'embedded'];

describe('a model error never shows the endpoint token', () => {
  const dir = useTempDir();
  let fake: FakeOpenAI;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  const openai = (model: string, token = SECRET): ResolvedEndpoint => ({
    id: 'leaky',
    name: 'Leaky',
    connector_type: 'openai-connector',
    uri: fake.url,
    token,
    max_calls_per_second: 100,
    max_concurrency: 10,
    model,
    params: { timeout: 5, max_attempts: 1 },
  });
  const azure = (deployment: string): ResolvedEndpoint => ({
    ...openai(deployment),
    connector_type: 'azure-openai-connector',
    uri: `${fake.origin}/`,
  });

  async function errorOf(endpoint: ResolvedEndpoint): Promise<string> {
    try {
      await createConnector(endpoint).complete({ messages: [{ role: 'user', content: 'x' }] });
    } catch (err) {
      assert.ok(err instanceof ConnectorError, String(err));
      assert.equal(err.cause, undefined, 'the cause (the SDK error, token included) is not kept');
      return err.message;
    }
    assert.fail('the call succeeded');
  }

  function assertRedacted(message: string, label: string): void {
    assert.ok(!message.includes(SECRET), `${label}: ${message}`);
    assert.ok(!message.includes(encodeURIComponent(SECRET)), `${label} (percent-encoded): ${message}`);
    assert.ok(!message.includes('Very'), `${label} (a piece of it): ${message}`);
    assert.match(message, /\*\*\*\*/, label);
  }

  for (const format of FORMATS) {
    it(`openai and azure connectors: a ${format} error body`, async () => {
      const model = `leak-key:401:${format}`;
      const openaiError = await errorOf(openai(model));
      assert.match(openaiError, /^HTTP 401: /);
      assertRedacted(openaiError, `openai ${format}`);
      assertRedacted(await errorOf(azure(model)), `azure ${format}`);
    });
  }

  it('the exact sentences: the rest of the message stays readable', async () => {
    assert.equal(await errorOf(openai('leak-key:401:json')), 'HTTP 401: Incorrect API key provided: ****.');
    assert.equal(await errorOf(openai('leak-key:403:html')), 'HTTP 403: 403 Forbidden for ****');
    assert.equal(await errorOf(openai('leak-key:401:url')), 'HTTP 401: see https://auth.invalid/keys?key=****&why=revoked');
    assert.equal(await errorOf(openai('leak-key:401:embedded')), 'HTTP 401: unknown credential x****y in request');
  });

  it('a token where a long message is cut short leaves no piece of it', async () => {
    const body = `${'x'.repeat(480)} ${SECRET} and more`;
    fake.setBehaviour('long-leak', { kind: 'status', status: 400, body });
    const message = await errorOf(openai('long-leak'));
    assertRedacted(message, 'cut at 500 characters');
  });

  it('an error without the token keeps its words', async () => {
    fake.setBehaviour('honest', { kind: 'status', status: 400, message: 'model not found' });
    await assert.rejects(createConnector(openai('honest')).complete({ messages: [{ role: 'user', content: 'x' }] }), {
      message: 'HTTP 400: model not found',
    });
  });

  it('through the API: the answer, the stored chat file and the log never hold it', async () => {
    const logs: string[] = [];
    const core = await openCore({
      storageDir: dir(),
      endpointSources: [{ kind: 'inline', origin: 'test', endpoints: [{ ...openai('leak-key:401:json'), token: '' }] }],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
    });
    // Tokens are set through the API, as a user would: they live in the secret store.
    const server = new ApiServer({ core, port: 0, token: 'api-token', log: (level, message) => logs.push(`${level}: ${message}`) });
    await server.start();
    try {
      const call = (method: string, path: string, body?: unknown) => request(server.port, method, path, { token: 'api-token', body });
      assert.equal((await call('PUT', '/v1/llm_endpoints/leaky', { token: SECRET })).status, 200);
      const created = await call('POST', '/v1/sessions', { name: 'Leak', endpoints: ['leaky'] });
      const session = (created.json as { session: { session_id: string; chat_ids: string[] } }).session;
      const answer = await call('POST', `/v1/sessions/${session.session_id}/prompt`, { prompt: 'hello' });
      assert.equal(answer.status, 200);
      const record = (answer.json as Record<string, { error: string }[]>)[session.chat_ids[0]!]![0]!;
      assert.equal(record.error, 'HTTP 401: Incorrect API key provided: ****.');
      assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`, 'the real token was sent');
      const history = await call('GET', `/v1/sessions/${session.session_id}?include_history=true`);
      assert.ok(!history.text.includes(SECRET), history.text);
      const chatFile = await fs.readFile(join(dir(), 'sessions', session.session_id, `${session.chat_ids[0]}.jsonl`), 'utf8');
      assert.ok(chatFile.includes('****') && !chatFile.includes(SECRET), chatFile);
      assert.ok(!logs.join('\n').includes(SECRET), logs.join('\n'));
    } finally {
      await server.stop();
    }
  });
});
