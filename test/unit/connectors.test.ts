import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnector, SUPPORTED_CONNECTOR_TYPES, unsupportedReason } from '../../src/core/connectors';
import { AZURE_DEFAULT_API_VERSION } from '../../src/core/connectors/azure';
import { ConnectorError, describeError, type FailureKind } from '../../src/core/connectors/errors';
import { NON_MODEL_PARAMS, type ChatMessage, type ResolvedEndpoint } from '../../src/core/connectors/types';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

const user = (content: string): ChatMessage[] => [{ role: 'user', content }];

/** Rejects with the ConnectorError, checking its kind and sentence. */
async function failure(promise: Promise<unknown>, kind: FailureKind, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ConnectorError, `expected a ConnectorError, got ${String(err)}`);
    assert.equal(err.kind, kind);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('connectors', () => {
  let fake: FakeOpenAI;

  before(async () => {
    fake = await startFakeOpenAI();
  });

  after(async () => {
    await fake.close();
  });

  function openai(model: string, params: Record<string, unknown> = {}, extra: Partial<ResolvedEndpoint> = {}): ResolvedEndpoint {
    return {
      id: `ep-${model}`,
      name: `Fake ${model}`,
      connector_type: 'openai-connector',
      uri: fake.url,
      token: 'sk-test',
      max_calls_per_second: 100,
      max_concurrency: 100,
      model,
      params: { timeout: 2, max_attempts: 1, ...params },
      ...extra,
    };
  }

  const lastBody = (model: string) => fake.requests.filter((r) => r.model === model).at(-1)?.body as Record<string, unknown>;

  describe('openai-connector', () => {
    it('streams the answer, deltas in order, with usage', async () => {
      const deltas: string[] = [];
      const result = await createConnector(openai('plain')).complete({
        messages: user('hello there world'),
        onDelta: (d) => deltas.push(d),
      });
      assert.equal(result.text, 'echo: hello there world');
      assert.deepEqual(deltas, ['echo: ', 'hello ', 'there ', 'world']);
      assert.deepEqual(result.usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
      const body = lastBody('plain');
      assert.equal(body.stream, true);
      assert.deepEqual(body.stream_options, { include_usage: true });
      const request = fake.requests.at(-1);
      assert.equal(request?.path, '/v1/chat/completions');
      assert.equal(request?.headers.authorization, 'Bearer sk-test');
    });

    it('sends model params and keeps the program params to itself', async () => {
      const params = {
        temperature: 0.2,
        max_tokens: 50,
        top_p: 0.9,
        seed: 7,
        timeout: 2,
        max_attempts: 1,
        system_prompt: 'be brief',
        pre_prompt: 'PRE',
        post_prompt: 'POST',
        allow_retries: true,
        num_of_retries: 3,
        api_version: '2024-01-01',
        model: 'not-this-one',
      };
      await createConnector(openai('params', params)).complete({ messages: user('hi') });
      const body = lastBody('params');
      assert.equal(body.temperature, 0.2);
      assert.equal(body.max_tokens, 50);
      assert.equal(body.top_p, 0.9);
      assert.equal(body.seed, 7);
      assert.equal(body.model, 'params');
      for (const key of NON_MODEL_PARAMS) {
        if (key !== 'model' && key !== 'stream') assert.ok(!(key in body), `${key} was sent`);
      }
    });

    it('uses params.model when the endpoint has no model', async () => {
      const result = await createConnector(openai('', { model: 'reply:from params' })).complete({ messages: user('x') });
      assert.equal(result.text, 'from params');
    });

    it('sends system, user and assistant messages exactly as given', async () => {
      const messages: ChatMessage[] = [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second\nline' },
      ];
      const result = await createConnector(openai('messages')).complete({ messages });
      assert.equal(result.text, 'echo: second\nline');
      assert.deepEqual(lastBody('messages').messages, messages);
    });

    it('accepts a uri that already ends in /chat/completions, and no token', async () => {
      const endpoint = openai('full-url', {}, { uri: `${fake.url}/chat/completions/`, token: '' });
      const result = await createConnector(endpoint).complete({ messages: user('x') });
      assert.equal(result.text, 'echo: x');
      assert.match(String(fake.requests.at(-1)?.headers.authorization), /^Bearer \S+/);
    });

    it('reads a plain JSON answer from a server that ignores stream: true', async () => {
      fake.setBehaviour('no-stream', { kind: 'reply', text: 'all at once', ignoreStream: true });
      const deltas: string[] = [];
      const result = await createConnector(openai('no-stream')).complete({ messages: user('x'), onDelta: (d) => deltas.push(d) });
      assert.deepEqual(result, { text: 'all at once', usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } });
      assert.deepEqual(deltas, ['all at once']);
    });

    it('retries a 429, waiting as Retry-After says, then succeeds', async () => {
      fake.setBehaviour('rate-limited', { kind: 'status', status: 429, times: 2, retryAfter: '0.1' });
      const started = performance.now();
      const result = await createConnector(openai('rate-limited', { max_attempts: 3 })).complete({ messages: user('again') });
      const elapsed = performance.now() - started;
      assert.equal(result.text, 'echo: again');
      assert.equal(fake.attempts('rate-limited'), 3);
      assert.ok(elapsed >= 195, `two Retry-After waits of 100 ms took ${elapsed} ms`);
    });

    it('gives up on a 500 after max_attempts with the status and the server message', async () => {
      fake.setBehaviour('broken', { kind: 'status', status: 500, message: 'upstream exploded', retryAfterMs: 5 });
      await failure(
        createConnector(openai('broken', { max_attempts: 3 })).complete({ messages: user('x') }),
        'http',
        'HTTP 500: upstream exploded (3 attempts)',
      );
      assert.equal(fake.attempts('broken'), 3);
    });

    it('does not retry a 400, and reads error bodies in other shapes', async () => {
      fake.setBehaviour('vllm-400', { kind: 'status', status: 400, body: '{"object":"error","message":"bad model","code":400}' });
      await failure(
        createConnector(openai('vllm-400', { max_attempts: 3 })).complete({ messages: user('x') }),
        'http',
        'HTTP 400: bad model',
      );
      assert.equal(fake.attempts('vllm-400'), 1);

      fake.setBehaviour('text-503', { kind: 'status', status: 503, body: 'upstream exploded' });
      await failure(createConnector(openai('text-503')).complete({ messages: user('x') }), 'http', 'HTTP 503: upstream exploded');

      fake.setBehaviour('html-502', {
        kind: 'status',
        status: 502,
        body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>',
      });
      await failure(createConnector(openai('html-502')).complete({ messages: user('x') }), 'http', 'HTTP 502: 502 Bad Gateway');

      fake.setBehaviour('string-error', { kind: 'status', status: 404, body: '{"error":"model \\"x\\" not found"}' });
      await failure(createConnector(openai('string-error')).complete({ messages: user('x') }), 'http', 'HTTP 404: model "x" not found');
    });

    it('times out when the server never answers', async () => {
      await failure(
        createConnector(openai('hang', { timeout: 0.3 })).complete({ messages: user('x') }),
        'timeout',
        'timed out after 0.3 s',
      );
    });

    it('times out when a stream stalls after the headers', async () => {
      fake.setBehaviour('stall', { kind: 'slow', chunks: ['first ', 'never'], intervalMs: 60_000 });
      const deltas: string[] = [];
      const call = createConnector(openai('stall', { timeout: 0.3 })).complete({ messages: user('x'), onDelta: (d) => deltas.push(d) });
      await failure(call, 'timeout', 'timed out after 0.3 s');
      assert.deepEqual(deltas, ['first ']);
    });

    it('reports a connection reset, before or during the answer', async () => {
      await failure(createConnector(openai('reset')).complete({ messages: user('x') }), 'network', 'connection reset');
      await failure(createConnector(openai('reset-mid-stream')).complete({ messages: user('x') }), 'network', 'connection reset');
    });

    it('reports a refused connection with the address', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const endpoint = openai('refused', {}, { uri: `http://127.0.0.1:${port}/v1` });
      await failure(createConnector(endpoint).complete({ messages: user('x') }), 'network', `connection refused (127.0.0.1:${port})`);
    });

    it('reports an answer that is not JSON', async () => {
      await failure(
        createConnector(openai('invalid-json')).complete({ messages: user('x') }),
        'invalid-response',
        /^invalid response from server: \S/,
      );
    });

    it('stops a stream at once when cancelled', async () => {
      fake.setBehaviour('long-stream', { kind: 'slow', chunks: Array.from({ length: 100 }, (_, i) => `w${i} `), intervalMs: 50 });
      const abort = new AbortController();
      const deltas: string[] = [];
      const serverSide = fake.nextClosed('long-stream');
      const started = performance.now();
      const call = createConnector(openai('long-stream')).complete({
        messages: user('x'),
        signal: abort.signal,
        onDelta: (d) => {
          deltas.push(d);
          if (deltas.length === 2) abort.abort();
        },
      });
      await failure(call, 'cancelled', 'cancelled');
      assert.ok(performance.now() - started < 1000, 'a 5 s stream was not cut short');
      assert.deepEqual(deltas, ['w0 ', 'w1 ']);
      assert.equal((await serverSide).outcome, 'aborted');
    });

    it('cancels during a Retry-After wait without waiting it out', async () => {
      fake.setBehaviour('slow-retry', { kind: 'status', status: 429, retryAfter: '1' });
      const abort = new AbortController();
      fake.events.once('request', () => setImmediate(() => abort.abort()));
      const started = performance.now();
      const call = createConnector(openai('slow-retry', { max_attempts: 3 })).complete({ messages: user('x'), signal: abort.signal });
      await failure(call, 'cancelled', 'cancelled');
      assert.ok(performance.now() - started < 500, 'waited out the Retry-After');
      assert.equal(fake.attempts('slow-retry'), 1);
    });

    it('sends nothing when the signal has already fired', async () => {
      await failure(
        createConnector(openai('pre-aborted')).complete({ messages: user('x'), signal: AbortSignal.abort() }),
        'cancelled',
        'cancelled',
      );
      assert.equal(fake.attempts('pre-aborted'), 0);
    });
  });

  describe('azure-openai-connector', () => {
    function azure(params: Record<string, unknown> = {}, extra: Partial<ResolvedEndpoint> = {}): ResolvedEndpoint {
      return {
        id: 'azure',
        name: 'Fake Azure',
        connector_type: 'azure-openai-connector',
        uri: `${fake.origin}/`,
        token: 'az-key',
        max_calls_per_second: 100,
        max_concurrency: 100,
        model: 'my-gpt4o',
        params: { timeout: 2, max_attempts: 1, ...params },
        ...extra,
      };
    }

    it('calls the deployment path with the api-version and api-key, streaming', async () => {
      const deltas: string[] = [];
      const result = await createConnector(azure({ api_version: '2024-06-01', temperature: 0.5 })).complete({
        messages: user('hi azure'),
        onDelta: (d) => deltas.push(d),
      });
      assert.equal(result.text, 'echo: hi azure');
      assert.ok(deltas.length > 1);
      const request = fake.requests.at(-1);
      assert.equal(request?.path, '/openai/deployments/my-gpt4o/chat/completions');
      assert.equal(request?.query['api-version'], '2024-06-01');
      assert.equal(request?.headers['api-key'], 'az-key');
      assert.equal((request?.body as Record<string, unknown>).temperature, 0.5);
      assert.ok(!('api_version' in (request?.body as object)));
    });

    it('uses a GA api-version by default and accepts a uri with /openai in it', async () => {
      await createConnector(azure({}, { uri: `${fake.origin}/openai/` })).complete({ messages: user('x') });
      const request = fake.requests.at(-1);
      assert.equal(request?.path, '/openai/deployments/my-gpt4o/chat/completions');
      assert.equal(request?.query['api-version'], AZURE_DEFAULT_API_VERSION);
    });

    it('shares retries and error sentences with openai-connector', async () => {
      fake.setBehaviour('azure-flaky', {
        kind: 'status',
        status: 500,
        times: 1,
        retryAfterMs: 5,
        then: { kind: 'reply', text: 'recovered' },
      });
      const result = await createConnector(azure({ max_attempts: 2 }, { model: 'azure-flaky' })).complete({ messages: user('x') });
      assert.equal(result.text, 'recovered');
      assert.equal(fake.attempts('azure-flaky'), 2);
    });

    it('fails each call with the reason when uri or key is missing', async () => {
      await failure(createConnector(azure({}, { uri: '' })).complete({ messages: user('x') }), 'config', /has no uri/);
      await failure(createConnector(azure({}, { token: '' })).complete({ messages: user('x') }), 'config', /has no API key/);
    });
  });

  describe('echo', () => {
    const echo: ResolvedEndpoint = {
      id: 'echo',
      name: 'Echo',
      connector_type: 'echo',
      uri: '',
      token: '',
      max_calls_per_second: 1000,
      max_concurrency: 1000,
      model: '',
      params: {},
    };

    it('answers with exactly the last user message, streamed in pieces', async () => {
      const deltas: string[] = [];
      const prompt = 'PRE the prepared prompt 😀 with\nnewlines POST';
      const result = await createConnector(echo).complete({
        messages: [{ role: 'system', content: 'sys' }, ...user('earlier'), { role: 'assistant', content: 'a' }, ...user(prompt)],
        onDelta: (d) => deltas.push(d),
      });
      assert.deepEqual(result, { text: prompt, usage: null });
      assert.ok(deltas.length > 1);
      assert.equal(deltas.join(''), prompt);
    });

    it('answers "" with no user message, and honours cancellation', async () => {
      assert.deepEqual(await createConnector(echo).complete({ messages: [] }), { text: '', usage: null });
      await failure(createConnector(echo).complete({ messages: user('x'), signal: AbortSignal.abort() }), 'cancelled', 'cancelled');
    });
  });

  describe('connector types', () => {
    it('lists the supported types and explains an unsupported one', () => {
      assert.deepEqual([...SUPPORTED_CONNECTOR_TYPES], ['openai-connector', 'azure-openai-connector', 'echo']);
      for (const type of SUPPORTED_CONNECTOR_TYPES) assert.equal(unsupportedReason(type), undefined);
      const reason = unsupportedReason('together-connector');
      assert.match(String(reason), /"together-connector" is not supported/);
      for (const type of SUPPORTED_CONNECTOR_TYPES) assert.ok(reason?.includes(type));
      assert.throws(() => createConnector({ ...baseEndpoint(), connector_type: 'together-connector' }), { message: reason });
    });
  });

  describe('describeError', () => {
    it('gives one sentence for anything thrown', () => {
      assert.equal(describeError(new ConnectorError('http', 'HTTP 500: x', 500)), 'HTTP 500: x');
      assert.equal(describeError(new Error('something\n  odd')), 'something odd');
      assert.equal(describeError('a string'), 'a string');
      assert.equal(describeError(new DOMException('stop', 'AbortError')), 'cancelled');
      assert.equal(
        describeError(Object.assign(new Error('x'), { code: 'ENOTFOUND', hostname: 'nowhere.invalid' })),
        'host not found (nowhere.invalid)',
      );
    });
  });
});

function baseEndpoint(): ResolvedEndpoint {
  return {
    id: 'x',
    name: 'x',
    connector_type: 'echo',
    uri: '',
    token: '',
    max_calls_per_second: 1,
    max_concurrency: 1,
    model: '',
    params: {},
  };
}
