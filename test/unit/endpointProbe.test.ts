import assert from 'node:assert/strict';
import { listModels } from '../../src/core/connectors/models';
import { probeEndpoint } from '../../src/core/connectors/probe';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

describe('probing an endpoint and listing its models (Add Endpoint, Test Endpoint)', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  const endpoint = (model: string) => ({
    id: 'e',
    name: 'E',
    connector_type: 'openai-connector',
    uri: fake.url,
    token: 'k',
    max_calls_per_second: 10,
    max_concurrency: 10,
    model,
    params: { max_attempts: 5, timeout: 5 },
  });

  it("lists a server's models, and says nothing for a server that does not answer", async () => {
    fake.setBehaviour('listed', { kind: 'echo' });
    const models = await listModels(fake.url, 'k');
    assert.ok(models?.includes('listed') && models.includes('fake-model'));
    assert.equal(fake.requests.at(-1)!.headers.authorization, 'Bearer k');
    assert.equal(await listModels('http://127.0.0.1:1/v1', ''), undefined);
    assert.equal(await listModels('not a url', ''), undefined);
  });

  it('probes with one call and no retries: latency or the reason', async () => {
    const ok = await probeEndpoint(endpoint('reply:OK'));
    assert.deepEqual(ok.ok && ok.text, 'OK');
    const before = fake.attempts('fail:500');
    const bad = await probeEndpoint(endpoint('fail:500'));
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : '', /HTTP 500/);
    assert.equal(fake.attempts('fail:500') - before, 1, 'one attempt, whatever max_attempts says');
  });
});
