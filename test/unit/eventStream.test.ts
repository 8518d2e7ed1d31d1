// GET /v1/events over real sockets: the stream's headers and guards, the
// events of a prompt in the API's words, one session's events, replay after
// a reconnect with Last-Event-ID (and what a client is told when events are
// gone), a client that never reads (dropped, and the prompts go on), the
// heartbeat, and a server stop that does not wait for open streams.
import assert from 'node:assert/strict';
import { request } from '../support/apiClient';
import { startApi, TOKEN, type Harness } from '../support/apiHarness';
import type { TestApiOptions } from '../support/testApi';
import { openEvents, type SseClient, type SseEvent } from '../support/sseClient';

interface Session {
  session_id: string;
  chat_ids: string[];
}

describe('GET /v1/events (Server-Sent Events)', function () {
  let h: Harness | undefined;
  const clients: SseClient[] = [];

  const start = async (options: TestApiOptions = {}) => {
    h = await startApi({
      endpoints: [{ id: 'echo2', name: 'Echo two', connector_type: 'echo', max_calls_per_second: 1000, max_concurrency: 100 }],
      ...options,
    });
    return h;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    if (h) {
      await h.close();
      assert.deepEqual(h.problems, []);
    }
    h = undefined;
  });

  const connect = async (api: Harness, path = '/v1/events', headers: Record<string, string> = {}) => {
    const client = await openEvents(api.port, path, { token: TOKEN, headers });
    clients.push(client);
    return client;
  };
  const createSession = async (api: Harness, endpoints = ['echo', 'echo2'], name = 'Streamed') =>
    (await api.json<{ session: Session }>('POST', '/v1/sessions', { name, endpoints })).session;
  const prompt = (api: Harness, sessionId: string, text: string) =>
    api.json('POST', `/v1/sessions/${sessionId}/prompt?history=new`, { prompt: text });
  const types = (events: SseEvent[]) => events.map((e) => e.type);

  it("streams a session's creation and a prompt's prompt_started, delta and record events, with ids, snake_case data and no-store " +
    'headers', async () => {
    const api = await start();
    const stream = await connect(api);
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(stream.headers['cache-control'], 'no-store');
    assert.equal(stream.headers['x-accel-buffering'], 'no');
    assert.equal(stream.headers['content-encoding'], undefined, 'never compressed, though the client asked for it');
    assert.equal(stream.headers['content-length'], undefined);
    await stream.comment((c) => c.startsWith('connected'));

    const s = await createSession(api);
    await prompt(api, s.session_id, 'Hello stream');
    const created = await stream.next((e) => e.type === 'session_created');
    assert.deepEqual(Object.keys(created.data), ['session_id', 'session']);
    assert.equal((created.data.session as Session).session_id, s.session_id);
    const started = await stream.next((e) => e.type === 'prompt_started');
    assert.deepEqual(started.data, {
      session_id: s.session_id,
      prompt_id: started.data.prompt_id,
      prompt: 'Hello stream',
      chat_ids: s.chat_ids,
    });
    for (const chatId of s.chat_ids) {
      const record = await stream.next((e) => e.type === 'record' && e.data.chat_id === chatId);
      assert.deepEqual(Object.keys(record.data), ['session_id', 'prompt_id', 'chat_id', 'record']);
      assert.equal(record.data.prompt_id, started.data.prompt_id);
      const r = record.data.record as { predicted_result: string; prompt_id: string; metric: unknown };
      assert.equal(r.predicted_result, 'Hello stream');
      assert.equal(r.prompt_id, started.data.prompt_id);
      assert.equal(r.metric, null);
      const deltas = stream.events.filter((e) => e.type === 'delta' && e.data.chat_id === chatId);
      assert.ok(deltas.length > 0);
      for (const d of deltas) assert.deepEqual(Object.keys(d.data), ['session_id', 'prompt_id', 'chat_id', 'text']);
      assert.equal(deltas.map((d) => d.data.text).join(''), 'Hello stream');
      assert.ok(
        deltas.every((d) => d.id < record.id),
        'the deltas come before the record',
      );
    }
    const ids = stream.events.map((e) => e.id);
    assert.deepEqual(
      ids,
      ids.map((_, i) => ids[0]! + i),
      'ids count up by one',
    );
    assert.ok(
      types(stream.events).every((t) => ['session_created', 'prompt_started', 'delta', 'record'].includes(t)),
      types(stream.events).join(),
    );

    await api.json('PUT', `/v1/sessions/${s.session_id}/prompt_templates/nope`, undefined, 404);
    await api.json('DELETE', `/v1/sessions/${s.session_id}`);
    const deleted = await stream.next((e) => e.type === 'session_deleted');
    assert.deepEqual(deleted.data, { session_id: s.session_id });
  });

  it('has the guards of every route: token, Host, Origin; 422 for a bad session_id; 405 for another method', async () => {
    const api = await start();
    const noToken = await request(api.port, 'GET', '/v1/events');
    assert.equal(noToken.status, 401);
    assert.equal(typeof (noToken.json as { detail: string }).detail, 'string');
    assert.equal((await request(api.port, 'GET', '/v1/events', { token: 'wrong' })).status, 401);
    assert.equal((await request(api.port, 'GET', '/v1/events', { token: TOKEN, headers: { host: 'evil.example:80' } })).status, 403);
    assert.equal((await request(api.port, 'GET', '/v1/events', { token: TOKEN, headers: { origin: 'https://evil.example' } })).status, 403);
    const bad = await request(api.port, 'GET', '/v1/events?session_id=Not%20An%20Id', { token: TOKEN });
    assert.equal(bad.status, 422);
    assert.deepEqual((bad.json as { error: { loc: string[] }[] }).error[0]?.loc, ['query', 'session_id']);
    assert.equal((await request(api.port, 'POST', '/v1/events', { token: TOKEN })).status, 405);
    assert.equal(api.core.events.subscriberCount, 0, 'no refused request subscribed');
  });

  it('sends an allow-listed origin its CORS headers', async () => {
    const api = await start({ server: { allowedOrigins: ['http://localhost:3000'] } });
    const stream = await connect(api, '/v1/events', { origin: 'http://localhost:3000' });
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['access-control-allow-origin'], 'http://localhost:3000');
  });

  it('?session_id= sends only that session\'s events', async () => {
    const api = await start();
    const a = await createSession(api, ['echo'], 'A');
    const b = await createSession(api, ['echo'], 'B');
    const onlyB = await connect(api, `/v1/events?session_id=${b.session_id}`);
    const all = await connect(api);
    await prompt(api, a.session_id, 'for A');
    await prompt(api, b.session_id, 'for B');
    await all.next((e) => e.type === 'record' && e.data.session_id === b.session_id);
    await onlyB.next((e) => e.type === 'record');
    assert.ok(onlyB.events.every((e) => e.data.session_id === b.session_id));
    assert.ok(all.events.some((e) => e.data.session_id === a.session_id));
    assert.deepEqual(
      onlyB.events.map((e) => e.id),
      all.events.filter((e) => e.data.session_id === b.session_id).map((e) => e.id),
    );
  });

  it('a client that drops and reconnects with Last-Event-ID misses nothing still in the buffer', async () => {
    const api = await start();
    const s = await createSession(api);
    const steady = await connect(api);
    const flaky = await connect(api);
    await prompt(api, s.session_id, 'first');
    const seen = await flaky.next((e) => e.type === 'record' && e.data.chat_id === s.chat_ids[1]);
    flaky.close();
    await flaky.ended;
    // What happens while it is away.
    await prompt(api, s.session_id, 'second');
    await prompt(api, s.session_id, 'third');
    const back = await connect(api, '/v1/events', { 'last-event-id': String(seen.id) });
    await prompt(api, s.session_id, 'fourth');
    const last = await steady.next(
      (e) => e.type === 'record' && (e.data.record as { prompt: string }).prompt === 'fourth' && e.data.chat_id === s.chat_ids[1],
    );
    await back.next((e) => e.id === last.id);
    assert.equal(back.comments.some((c) => c.startsWith('events lost')), false);
    const missed = steady.events.filter((e) => e.id > seen.id);
    assert.deepEqual(back.events.map((e) => [e.id, e.type]), missed.map((e) => [e.id, e.type]));
    assert.deepEqual(back.events.map((e) => e.data), missed.map((e) => e.data));
  });

  it('tells a client whose Last-Event-ID is older than the buffer (or not an id it gave) that events were lost, then sends what ' +
    'it has', async () => {
    const api = await start({ eventLog: { capacity: 4 } });
    const s = await createSession(api, ['echo']);
    for (const text of ['a', 'b', 'c']) await prompt(api, s.session_id, text);
    const lastId = api.core.events.lastId;
    assert.ok(lastId > 4);
    const old = await connect(api, '/v1/events', { 'last-event-id': '1' });
    await old.comment((c) => c.startsWith('events lost'));
    await old.next((e) => e.id === lastId);
    assert.deepEqual(
      old.events.map((e) => e.id),
      [lastId - 3, lastId - 2, lastId - 1, lastId],
    );
    for (const header of ['not-a-number', String(lastId + 100)]) {
      const odd = await connect(api, '/v1/events', { 'last-event-id': header });
      await odd.comment((c) => c.startsWith('events lost'));
    }
    const current = await connect(api, '/v1/events', { 'last-event-id': String(lastId) });
    await current.comment((c) => c.startsWith('connected'));
    await prompt(api, s.session_id, 'd');
    await current.next((e) => e.type === 'record');
    assert.equal(
      current.comments.some((c) => c.startsWith('events lost')),
      false,
    );
    assert.equal(current.events[0]?.id, lastId + 1);
  });

  it('drops a client that never reads once its queue is full, and the prompts go on', async () => {
    const api = await start({ server: { eventStream: { maxQueue: 16 } } });
    const s = await createSession(api, ['echo']);
    const stuck = await connect(api);
    await stuck.comment((c) => c.startsWith('connected'));
    stuck.pause();
    assert.equal(api.core.events.subscriberCount, 1);
    const big = 'x'.repeat(40_000);
    let sent = 0;
    // Each prompt streams about 160 KB of events; the socket's buffers fill, then the client's queue.
    while (api.core.events.subscriberCount > 0 && sent < 300) {
      const made = await api.json<Record<string, { predicted_result: string }[]>>(
        'POST',
        `/v1/sessions/${s.session_id}/prompt?history=new`,
        { prompt: `${big} ${sent}` },
      );
      assert.equal(made[s.chat_ids[0]!]![0]!.predicted_result, `${big} ${sent}`);
      sent++;
    }
    assert.equal(api.core.events.subscriberCount, 0, `the client was still subscribed after ${sent} prompts`);
    // The prompts after the drop are as they were.
    for (let i = 0; i < 3; i++) await prompt(api, s.session_id, `after ${i}`);
    // Reading again, it finds its connection closed by the server.
    stuck.resume();
    await stuck.ended;
    const fresh = await connect(api, '/v1/events', { 'last-event-id': String(api.core.events.lastId) });
    await prompt(api, s.session_id, 'still served');
    await fresh.next((e) => e.type === 'record');
  });

  it('a reading client of a busy stream gets every event, batched, and is never dropped for the batching', async () => {
    const endpoints = Array.from({ length: 6 }, (_, i) => ({
      id: `e${i}`,
      name: `E${i}`,
      connector_type: 'echo',
      max_calls_per_second: 1000,
      max_concurrency: 100,
    }));
    // A long gathering window and a small queue: only sending a batch early, when half the queue is full, keeps the client.
    const api = await start({ endpoints, server: { eventStream: { maxQueue: 8, batchMs: 1000 } } });
    const s = await createSession(api, endpoints.map((e) => e.id));
    const stream = await connect(api);
    await stream.comment((c) => c.startsWith('connected'));
    const first = api.core.events.lastId + 1;
    // Each prompt makes 1 + 6 x (4 deltas + 1 record) = 31 events in a few milliseconds.
    for (let i = 0; i < 5; i++) await prompt(api, s.session_id, `busy prompt number ${i}`);
    const last = api.core.events.lastId;
    await stream.next((e) => e.id === last);
    assert.deepEqual(
      stream.events.filter((e) => e.id >= first).map((e) => e.id),
      Array.from({ length: last - first + 1 }, (_, i) => first + i),
    );
    assert.equal(api.core.events.subscriberCount, 1);
  });

  it('sends a heartbeat comment on a quiet stream', async () => {
    const api = await start({ server: { eventStream: { heartbeatMs: 25 } } });
    const stream = await connect(api);
    await stream.comment((c) => c === 'heartbeat');
  });

  it('outlives the request-body deadline: a stream is not a request that is slow to arrive', async () => {
    const api = await start({ server: { bodyTimeoutMs: 60, eventStream: { heartbeatMs: 30 } } });
    const s = await createSession(api, ['echo']);
    const stream = await connect(api);
    // Heartbeats as the clock: five of them are well past the 60 ms deadline.
    await stream.comment(() => stream.comments.filter((c) => c === 'heartbeat').length >= 5);
    await prompt(api, s.session_id, 'still here');
    await stream.next((e) => e.type === 'record');
  });

  it('ApiServer.stop() ends open streams at once instead of waiting out its grace period', async () => {
    const api = await start();
    const streams = [await connect(api), await connect(api)];
    await Promise.all(streams.map((s) => s.comment((c) => c.startsWith('connected'))));
    // A grace period longer than this test's timeout: were the streams waited for, the test would time out.
    await api.server.stop(60_000);
    await Promise.all(streams.map((s) => s.ended));
    assert.equal(api.core.events.subscriberCount, 0);
  });
});
