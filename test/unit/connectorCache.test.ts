import assert from 'node:assert/strict';
import { openCore, type Core } from '../../src/core/openCore';
import { MemorySecretStore, endpointTokenKey } from '../../src/core/secrets';
import { ConnectorCache, createConnector } from '../../src/core/connectors';
import type { Connector, ResolvedEndpoint } from '../../src/core/connectors/types';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';

const resolved = (token: string, extra: Partial<ResolvedEndpoint> = {}): ResolvedEndpoint => ({
  id: 'ep',
  name: 'ep',
  connector_type: 'echo',
  uri: '',
  token,
  max_calls_per_second: 1,
  max_concurrency: 1,
  model: 'm',
  params: {},
  ...extra,
});

describe('ConnectorCache', () => {
  it('reuses an endpoint\'s connector while its config is the same, and makes a new one when anything changes', () => {
    const made: ResolvedEndpoint[] = [];
    const cache = new ConnectorCache((e) => (made.push(e), createConnector(e)));
    const first = cache.get(resolved('a'));
    assert.equal(cache.get(resolved('a')), first);
    assert.equal(made.length, 1);
    const newToken = cache.get(resolved('b'));
    assert.notEqual(newToken, first);
    assert.notEqual(cache.get(resolved('b', { params: { temperature: 0 } })), newToken);
    assert.notEqual(cache.get(resolved('b', { id: 'other' })), newToken);
    assert.deepEqual(made.map((e) => [e.id, e.token]), [['ep', 'a'], ['ep', 'b'], ['ep', 'b'], ['other', 'b']]);
  });
});

describe('SessionService reuses model clients', () => {
  const dir = useTempDir();
  let fake: FakeOpenAI;
  let core: Core | undefined;
  before(async () => (fake = await startFakeOpenAI()));
  after(() => fake.close());
  afterEach(() => core?.dispose());

  it('builds one client per endpoint for many prompts, and a token set later takes effect at the next call', async () => {
    const secrets = new MemorySecretStore();
    let built = 0;
    core = await openCore({
      storageDir: dir(),
      endpointSources: [
        {
          kind: 'inline',
          origin: 'test',
          endpoints: [
            {
              id: 'remote',
              name: 'remote',
              connector_type: 'openai-connector',
              uri: fake.url,
              max_calls_per_second: 100,
              max_concurrency: 10,
              model: 'reply:hi',
              params: { max_attempts: 1 },
            },
          ],
        },
      ],
      promptTemplateFolders: [],
      secrets,
      connectorFor: (endpoint: ResolvedEndpoint): Connector => {
        built++;
        return createConnector(endpoint);
      },
    });
    await secrets.set(endpointTokenKey('remote'), 'first-token');
    const s = await core.sessions.create({ name: 'reuse', endpoints: ['remote'] });
    for (let i = 0; i < 3; i++) await core.sessions.prompt(s.session_id, `p${i}`);
    assert.equal(built, 1);
    await secrets.set(endpointTokenKey('remote'), 'second-token');
    await core.sessions.prompt(s.session_id, 'after');
    assert.equal(built, 2);
    const auth = fake.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.headers.authorization);
    assert.deepEqual(auth.slice(-4), ['Bearer first-token', 'Bearer first-token', 'Bearer first-token', 'Bearer second-token']);
  });
});
