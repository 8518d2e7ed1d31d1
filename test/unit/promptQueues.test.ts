// Per-chat queues (a fast endpoint does not wait for a slow one's earlier
// answer; ids still follow acceptance order), prompt ids that line records
// up by prompt, a delete that races prompts (never a 500, never a file
// written after it), and the add_previous_prompt size limit.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import { MAX_PREPARED_PROMPT_CHARS, type ChatRecord } from '../../src/core/schemas';
import type { SessionEvent } from '../../src/core/sessions';
import { ApiServer } from '../../src/server/apiServer';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';
import { fakeEndpoint, openTestCore } from '../support/testCore';

describe('prompt queues per chat', () => {
  const dir = useTempDir();
  let fake: FakeOpenAI;
  let core: Core;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  const endpoint = (name: string, model: string, params: Record<string, unknown> = {}) => fakeEndpoint(fake.url, name, model, params);
  const open = async (endpoints: object[] = []): Promise<Core> => (core = await openTestCore(dir(), { endpoints }));

  function events(): SessionEvent[] {
    const seen: SessionEvent[] = [];
    core.sessions.onDidChange((e) => seen.push(e));
    return seen;
  }

  function nextEvent(match: (e: SessionEvent) => boolean): Promise<SessionEvent> {
    return new Promise((resolve) => {
      const sub = core.sessions.onDidChange((e) => {
        if (!match(e)) return;
        sub.dispose();
        resolve(e);
      });
    });
  }

  it('lets a fast endpoint answer prompt 2 while a slow one still works on prompt 1', async () => {
    const { sessions } = await open([{ ...endpoint('slow', 'hang'), max_concurrency: 1 }]);
    const s = await sessions.create({ name: 'race', endpoints: ['slow', 'echo'] });
    const [slowChat, fastChat] = s.chat_ids as [string, string];
    const seen = events();
    const fastSecond = nextEvent((e) => e.type === 'record' && e.chatId === fastChat && e.record.prompt === 'two');
    const first = sessions.prompt(s.session_id, 'one');
    const second = sessions.prompt(s.session_id, 'two');

    await fastSecond;
    assert.equal(seen.filter((e) => e.type === 'record' && e.chatId === slowChat).length, 0, 'the slow chat has answered nothing yet');
    const queued = seen.filter((e) => e.type === 'chatQueued').map((e) => e.type === 'chatQueued' && e.chatId);
    assert.ok(queued.includes(slowChat), 'prompt 2 queued in the slow chat');
    const active = sessions.activePrompts(s.session_id);
    assert.deepEqual(
      active.map((a) => [a.prompt, a.chats]),
      [
        ['one', { [slowChat]: { state: 'running', text: '' } }],
        ['two', { [slowChat]: { state: 'queued', text: '' } }],
      ],
    );

    sessions.cancel(s.session_id, slowChat);
    const [a, b] = await Promise.all([first, second]);
    const slowRecords = [a[slowChat]![0]!, b[slowChat]![0]!];
    assert.deepEqual(slowRecords.map((r) => [r.chat_record_id, r.prompt, r.error]), [
      [1, 'one', 'cancelled'],
      [2, 'two', 'cancelled'],
    ]);
    assert.equal(b[fastChat]![0]!.chat_record_id, 2);
    assert.deepEqual(sessions.activePrompts(s.session_id), []);
  });

  it('keeps acceptance order in every chat under 30 concurrent prompts, one prompt id per prompt across chats', async () => {
    const { sessions } = await open([endpoint('jitter', 'delay:5')]);
    const s = await sessions.create({ name: 'order', endpoints: ['jitter', 'echo'] });
    const seen = events();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => sessions.prompt(s.session_id, `p${i}`)));
    const accepted = seen.flatMap((e) => (e.type === 'promptStarted' ? [e.promptId] : []));
    for (const chatId of s.chat_ids) {
      const history = await sessions.history(s.session_id, chatId);
      assert.deepEqual(history.map((r) => r.chat_record_id), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.deepEqual(history.map((r) => r.prompt_id), accepted, `${chatId} follows acceptance order`);
    }
    for (const result of results) {
      const ids = new Set(Object.values(result).map((records) => records[0]!.prompt_id));
      assert.equal(ids.size, 1, 'both chats share the prompt id');
    }
  });

  it('announces chatStarted before a queued chat begins, and a retry keeps the prompt id it retries', async () => {
    const { sessions } = await open();
    const s = await sessions.create({ name: 'retry', endpoints: ['echo'] });
    const seen = events();
    const made = await sessions.prompt(s.session_id, 'hello');
    const original = made[s.chat_ids[0]!]![0]!;
    const retried = await sessions.prompt(s.session_id, 'hello', { chatIds: [s.chat_ids[0]!], promptId: original.prompt_id! });
    const again = retried[s.chat_ids[0]!]![0]!;
    assert.equal(again.prompt_id, original.prompt_id);
    assert.equal(again.chat_record_id, 2);
    const kinds = seen.filter((e) => e.type !== 'delta').map((e) => e.type);
    assert.deepEqual(kinds, [
      'promptStarted',
      'chatStarted',
      'record',
      'promptFinished',
      'promptStarted',
      'chatStarted',
      'record',
      'promptFinished',
    ]);
  });

  it('stops queued prompts too when the user stops a chat', async () => {
    const { sessions } = await open([{ ...endpoint('slow', 'hang'), max_concurrency: 1 }]);
    const s = await sessions.create({ name: 'stop', endpoints: ['slow'] });
    const sentBefore = fake.requests.length;
    const arrived = new Promise((resolve) => fake.events.once('request', resolve));
    const all = Promise.all([1, 2, 3].map((i) => sessions.prompt(s.session_id, `p${i}`)));
    await arrived;
    sessions.cancel(s.session_id);
    const results = await all;
    assert.deepEqual(results.map((r) => r[s.chat_ids[0]!]![0]!.error), ['cancelled', 'cancelled', 'cancelled']);
    assert.equal(fake.requests.length - sentBefore, 1, 'the two queued prompts were never sent');
  });

  describe('calls that overlap in one chat', () => {
    /** A connector whose answers the test releases one by one, by prompt. */
    function gatedConnector() {
      const calls = new Map<string, (text: string) => void>();
      const arrived = new Map<string, () => void>();
      const connector = {
        complete: ({ messages }: { messages: { content: string }[] }) =>
          new Promise<{ text: string; usage: null }>((resolve) => {
            const prompt = messages[messages.length - 1]!.content;
            calls.set(prompt, (text) => resolve({ text, usage: null }));
            arrived.get(prompt)?.();
          }),
      };
      const called = (prompt: string) =>
        calls.has(prompt) ? Promise.resolve() : new Promise<void>((resolve) => arrived.set(prompt, resolve));
      const answer = (prompt: string) => calls.get(prompt)!(`answer to ${prompt}`);
      return { connector, called, answer, calls };
    }

    const openGated = async (gate: ReturnType<typeof gatedConnector>): Promise<Core> =>
      (core = await openTestCore(dir(), { endpoints: [endpoint('gated', 'm')], connectorFor: () => gate.connector }));

    it('runs calls at once when no context strategy needs the earlier answer, and still appends in acceptance order', async () => {
      const gate = gatedConnector();
      const { sessions } = await openGated(gate);
      const s = await sessions.create({ name: 'overlap', endpoints: ['gated'] });
      const seen = events();
      const first = sessions.prompt(s.session_id, 'one');
      const second = sessions.prompt(s.session_id, 'two');
      await Promise.all([gate.called('one'), gate.called('two')]);
      gate.answer('two');
      const secondRecord = nextEvent((e) => e.type === 'record' && e.record.prompt === 'two');
      gate.answer('one');
      await secondRecord;
      const records = seen.flatMap((e) => (e.type === 'record' ? [[e.record.prompt, e.record.chat_record_id]] : []));
      assert.deepEqual(records, [
        ['one', 1],
        ['two', 2],
      ]);
      await Promise.all([first, second]);
    });

    it('waits for the earlier answer before calling when a context strategy uses it', async () => {
      const gate = gatedConnector();
      const { sessions } = await openGated(gate);
      const s = await sessions.create({ name: 'sequential', endpoints: ['gated'], context_strategy: 'add_previous_prompt' });
      const first = sessions.prompt(s.session_id, 'one');
      const second = sessions.prompt(s.session_id, 'two');
      await gate.called('one');
      assert.deepEqual([...gate.calls.keys()], ['one'], 'prompt two waits for the answer to one');
      gate.answer('one');
      await gate.called('twoone\n');
      gate.answer('twoone\n');
      const [, b] = await Promise.all([first, second]);
      assert.equal(b[s.chat_ids[0]!]![0]!.prepared_prompt, 'twoone\n');
    });
  });

  describe('delete while prompts are queued or arriving', () => {
    it('answers 200 or 404 "Session not found" to every prompt, never 500, and writes nothing after the delete', async () => {
      await open([endpoint('slowish', 'delay:40')]);
      const server = new ApiServer({ core, port: 0, token: null });
      await server.start();
      try {
        const created = await call(server.port, 'POST', '/v1/sessions', { name: 'doomed', endpoints: ['slowish', 'echo'] });
        assert.equal(created.status, 200);
        const id = (created.json as { session: { session_id: string } }).session.session_id;
        const before = Array.from({ length: 60 }, () =>
          call(server.port, 'POST', `/v1/sessions/${id}/prompt?history=new`, { prompt: 'x' }),
        );
        // The delete goes out once the first call reached the model, so the others are queued behind it.
        await new Promise((resolve) => fake.events.once('request', resolve));
        const deleted = call(server.port, 'DELETE', `/v1/sessions/${id}`);
        const after = Array.from({ length: 40 }, () => call(server.port, 'POST', `/v1/sessions/${id}/prompt?history=new`, { prompt: 'y' }));
        assert.equal((await deleted).status, 200);
        const answers = await Promise.all([...before, ...after]);
        const statuses = answers.map((r) => r.status);
        assert.ok(statuses.every((st) => st === 200 || st === 404), `statuses: ${[...new Set(statuses)].join(', ')}`);
        for (const r of answers) if (r.status === 404) assert.equal((r.json as { detail: string }).detail, 'Session not found');
        const late = await Promise.all(
          Array.from({ length: 5 }, () => call(server.port, 'POST', `/v1/sessions/${id}/prompt`, { prompt: 'z' })),
        );
        assert.deepEqual(late.map((r) => r.status), [404, 404, 404, 404, 404]);
        await core.sessions.drain();
        assert.equal(existsSync(join(dir(), 'sessions', id)), false, 'no file of the session came back');
      } finally {
        await server.stop();
      }
    });
  });

  describe('add_previous_prompt size limit', () => {
    it('does not send a prepared prompt over the limit; the record says why and keeps none', async () => {
      const { sessions } = await open([endpoint('counted', 'reply:ok')]);
      const s = await sessions.create({ name: 'compound', endpoints: ['counted'], context_strategy: 'add_previous_prompt' });
      const chatId = s.chat_ids[0]!;
      const big = 'a'.repeat(100_000);
      const records: ChatRecord[] = [];
      // Each prepared prompt holds the earlier ones: 100k, 200k, 400k, 800k, then 1.6M.
      for (let i = 0; i < 5; i++) records.push((await sessions.prompt(s.session_id, big))[chatId]![0]!);
      assert.deepEqual(records.slice(0, 4).map((r) => r.error), [null, null, null, null]);
      assert.ok(records[3]!.prepared_prompt.length <= MAX_PREPARED_PROMPT_CHARS);
      const refused = records[4]!;
      assert.match(refused.error ?? '', /^not sent: the prepared prompt would be 1,600,015 characters, over the limit of 1,000,000/);
      assert.equal(refused.prepared_prompt, '');
      assert.equal(refused.predicted_result, '');
      assert.equal(fake.requests.filter((r) => r.model === 'reply:ok').length, 4, 'the fifth was never sent');
    });
  });
});

interface Answer {
  status: number;
  json: unknown;
}

function call(port: number, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: data ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
