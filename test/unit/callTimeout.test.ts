// params.timeout bounds each attempt as a whole, from connect to the last
// streamed byte, and retries are this program's, not the SDK's: a model that
// streams forever ends in a timeout record, the session's next prompt runs,
// and a cancel never leaves a timer behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createConnector } from '../../src/core/connectors';
import { ConnectorError } from '../../src/core/connectors/errors';
import type { ResolvedEndpoint } from '../../src/core/connectors/types';
import { openCore } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';

const CANCELLED_CALL = resolve(__dirname, '../support/cancelledCall.ts');

/** The SDK's and this program's backoff before a second attempt is at most 0.5 s; slack for a busy machine. */
const BACKOFF_AND_SLACK_MS = 3000;

describe('params.timeout bounds a whole call', function () {
  this.timeout(20_000);
  const dir = useTempDir();
  let fake: FakeOpenAI;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  const endpoint = (id: string, model: string, params: Record<string, unknown>): ResolvedEndpoint => ({
    id,
    name: id,
    connector_type: 'openai-connector',
    uri: fake.url,
    token: 'sk-test',
    max_calls_per_second: 100,
    max_concurrency: 10,
    model,
    params,
  });

  async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof ConnectorError, `expected a ConnectorError, got ${String(err)}`);
      return err;
    }
    assert.fail('the call succeeded');
  }

  it('a stream that never ends, a dot every 300 ms, ends in a timeout record and the next prompt of the session runs', async () => {
    const core = await openCore({
      storageDir: dir(),
      endpointSources: [{ kind: 'inline', origin: 'test', endpoints: [endpoint('dots', 'endless:300', { timeout: 1, max_attempts: 2 })] }],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
    });
    const session = await core.sessions.create({ name: 'Endless', endpoints: ['dots', 'echo'] });
    const [dotsChat, echoChat] = session.chat_ids as [string, string];
    const started = performance.now();
    const first = core.sessions.prompt(session.session_id, 'first');
    const second = core.sessions.prompt(session.session_id, 'second');
    const [a, b] = await Promise.all([first, second]);
    const elapsed = performance.now() - started;

    const timedOut = a[dotsChat]![0]!;
    assert.equal(timedOut.predicted_result, '');
    // Text had reached the caller (the panel showed it), so the call is not started again.
    assert.equal(timedOut.error, 'timed out after 1 s (attempt 1 of 2; part of the answer had arrived, so it was not retried)');
    assert.equal(a[echoChat]![0]!.predicted_result, 'first');
    assert.equal(b[echoChat]![0]!.predicted_result, 'second');
    assert.match(b[dotsChat]![0]!.error!, /^timed out after 1 s/);
    assert.deepEqual((await core.sessions.history(session.session_id, dotsChat)).map((r) => r.chat_record_id), [1, 2]);
    assert.equal(fake.attempts('endless:300'), 2, 'one attempt per prompt');
    assert.ok(
      fake.requests.filter((r) => r.model === 'endless:300').every((r) => r.outcome === 'aborted'),
      'every endless stream was given up',
    );
    assert.ok(elapsed < 2 * 1000 + BACKOFF_AND_SLACK_MS, `two prompts of one 1 s attempt each took ${elapsed} ms`);
  });

  it('a stream that never ends and never says anything is retried, and the error names the attempts', async () => {
    fake.setBehaviour('silent', { kind: 'endless', intervalMs: 300, text: '' });
    const started = performance.now();
    const err = await rejection(
      createConnector(endpoint('silent', 'silent', { timeout: 1, max_attempts: 2 })).complete({
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    const elapsed = performance.now() - started;
    assert.equal(err.kind, 'timeout');
    assert.equal(err.message, 'timed out after 1 s (2 attempts)');
    assert.equal(fake.attempts('silent'), 2);
    assert.ok(elapsed < 2 * 1000 + BACKOFF_AND_SLACK_MS, `2 attempts of 1 s took ${elapsed} ms`);
  });

  it('names the attempts when a retried failure gives up (HTTP 500 three times)', async () => {
    fake.setBehaviour('down', { kind: 'status', status: 500, message: 'down for maintenance', retryAfterMs: 5 });
    const err = await rejection(
      createConnector(endpoint('down', 'down', { timeout: 2, max_attempts: 3 })).complete({ messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.equal(err.message, 'HTTP 500: down for maintenance (3 attempts)');
    assert.equal(fake.attempts('down'), 3);
  });

  it('honours retry-after-ms and Retry-After in seconds or as an HTTP date', async () => {
    fake.setBehaviour('ms', { kind: 'status', status: 429, times: 1, retryAfterMs: 150, then: { kind: 'reply', text: 'ok ms' } });
    const started = performance.now();
    const quick = await createConnector(endpoint('ms', 'ms', { timeout: 5, max_attempts: 2 })).complete({
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(quick.text, 'ok ms');
    assert.ok(performance.now() - started >= 140, 'ms: retried before the server said');
    assert.equal(fake.attempts('ms'), 2);

    // An HTTP date has whole seconds: name a whole second, so the header says exactly when.
    const retryAt = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    fake.setBehaviour('date', {
      kind: 'status',
      status: 503,
      times: 1,
      retryAfter: new Date(retryAt).toUTCString(),
      then: { kind: 'reply', text: 'ok date' },
    });
    const dated = await createConnector(endpoint('date', 'date', { timeout: 5, max_attempts: 2 })).complete({
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(dated.text, 'ok date');
    // The clock the header is read against may tick a little differently: allow a few milliseconds.
    assert.ok(Date.now() >= retryAt - 20, `date: retried ${retryAt - Date.now()} ms before the server said`);
    assert.equal(fake.attempts('date'), 2);
  });

  it('does not wait for a Retry-After longer than a minute: fails at once and says why', async () => {
    fake.setBehaviour('later', { kind: 'status', status: 429, message: 'quota', retryAfter: '3600' });
    const err = await rejection(
      createConnector(endpoint('later', 'later', { timeout: 2, max_attempts: 3 })).complete({ messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.equal(err.message, 'HTTP 429: quota (the server asked to wait 3600 s before retrying)');
    assert.equal(fake.attempts('later'), 1);
  });

  it('a cancel during a Retry-After wait leaves nothing behind: the process exits by itself at once', async () => {
    fake.setBehaviour('wait-long', { kind: 'status', status: 429, retryAfter: '30' });
    const child = spawn(process.execPath, ['--import', 'tsx', CANCELLED_CALL, fake.url, 'wait-long'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = once(child, 'exit');
    // Cancel once the 429 has been answered: the call is then waiting out the Retry-After.
    await fake.nextClosed('wait-long');
    child.stdin.write('cancel\n');
    const deadline = setTimeout(() => child.kill(), 10_000);
    const [code, signal] = await exited;
    clearTimeout(deadline);
    assert.equal(signal, null, `the child was still alive 10 s after the cancel (a 30 s wait kept it); it printed: ${out}`);
    assert.equal(code, 0);
    assert.equal(out.trim(), 'cancelled');
    assert.equal(fake.attempts('wait-long'), 1);
  });
});
