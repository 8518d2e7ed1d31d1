import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import { NotFoundError, ValidationError, isCoreError } from '../../src/core/errors';
import type { SessionEvent } from '../../src/core/sessions';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';
import { fakeEndpoint, openTestCore } from '../support/testCore';

describe('SessionService', () => {
  const dir = useTempDir();
  let fake: FakeOpenAI;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  const endpoint = (name: string, model: string, params: Record<string, unknown> = {}) => fakeEndpoint(fake.url, name, model, params);
  const open = (endpoints: object[] = [], templatesDir?: string): Promise<Core> =>
    openTestCore(dir(), { endpoints, templateFolders: templatesDir ? [templatesDir] : [] });

  it("creates a session with the shape and ids of Moonshot's web API", async () => {
    const { sessions } = await open([endpoint('openaigpt4test1', 'm')]);
    const s = await sessions.create({ name: 'TestSession1', description: 'Test 1', endpoints: ['echo', 'openaigpt4test1'] });
    assert.deepEqual(Object.keys(s), [
      'session_id',
      'name',
      'description',
      'created_epoch',
      'created_datetime',
      'chat_ids',
      'endpoints',
      'prompt_template',
      'context_strategy',
      'filename',
      'chat_history',
    ]);
    assert.match(s.session_id, /^testsession1_\d{8}-\d{6}$/);
    const time = s.created_datetime.replace('-', '_');
    assert.deepEqual(s.chat_ids, [`echo_${time}`, `openaigpt4test1_${time}`]);
    assert.equal(s.chat_history, null);
    assert.equal(s.filename, null);
    assert.deepEqual(await sessions.list(), [s]);
  });

  it('refuses unknown or unsupported endpoints, templates and strategies, naming them, and stores nothing', async () => {
    const { sessions } = await open([{ name: 'Bedrock', connector_type: 'amazon-bedrock-connector' }]);
    await assert.rejects(
      sessions.create({ name: 'x', endpoints: ['echo', 'nope'] }),
      (e: unknown) => e instanceof ValidationError && e.issues[0]!.loc.join('.') === 'body.endpoints.1' && /nope/.test(e.message),
    );
    await assert.rejects(
      sessions.create({ name: 'x', endpoints: ['bedrock'] }),
      (e: unknown) => e instanceof ValidationError && /amazon-bedrock-connector/.test(e.message),
    );
    await assert.rejects(
      sessions.create({ name: 'x', endpoints: ['echo'], prompt_template: 'missing' }),
      /Prompt template "missing" not found/,
    );
    await assert.rejects(
      sessions.create({ name: 'x', endpoints: ['echo'], context_strategy: 'missing' }),
      /Context strategy "missing" not found/,
    );
    await assert.rejects(sessions.create({ name: 'x', endpoints: ['echo', 'echo'] }), /must not repeat/);
    await assert.rejects(sessions.create({ name: '日本', endpoints: ['echo'] }), /at least one letter or digit/);
    assert.deepEqual(await sessions.list(), []);
    await assert.rejects(fs.readdir(join(dir(), 'sessions')), /ENOENT/);
  });

  it('treats "" and null template/strategy as none, as Moonshot\'s web UI sends them', async () => {
    const { sessions } = await open();
    const s = await sessions.create({ name: 'x', endpoints: ['echo'], prompt_template: '', context_strategy: null });
    assert.equal(s.prompt_template, null);
    assert.equal(s.context_strategy, null);
  });

  it('sends a prompt to every endpoint at once; a failing endpoint still makes a record and loses no other', async () => {
    const { sessions } = await open([endpoint('slow-a', 'delay:150'), endpoint('slow-b', 'delay:150'), endpoint('broken', 'fail:500')]);
    const s = await sessions.create({ name: 'fan', endpoints: ['slow-a', 'slow-b', 'broken', 'echo'] });
    const arrivedBeforeFirstAnswer = new Promise<number>((resolve) =>
      fake.events.once('closed', () => resolve(fake.requests.filter((r) => r.model.startsWith('delay:')).length)),
    );
    const before = fake.requests.filter((r) => r.model.startsWith('delay:')).length;
    const made = await sessions.prompt(s.session_id, 'hello');
    assert.equal((await arrivedBeforeFirstAnswer) - before, 2, 'both slow endpoints were called before either answered');
    const [a, b, broken, echo] = s.chat_ids.map((id) => made[id]![0]!);
    assert.equal(a!.predicted_result, 'echo: hello');
    assert.equal(b!.predicted_result, 'echo: hello');
    assert.equal(echo!.predicted_result, 'hello');
    assert.equal(broken!.predicted_result, '');
    assert.match(broken!.error!, /HTTP 500/);
    assert.equal(a!.error, null);
    assert.match(a!.duration, /^\d+(\.\d+)? secs$/);
    assert.match(a!.prompt_time, /^\d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d$/);
    assert.equal(a!.conn_id, 'slow-a');
    const full = await sessions.get(s.session_id, { includeHistory: true });
    for (const id of s.chat_ids) assert.equal(full.chat_history![id]!.length, 1);
  });

  it('keeps record ids 1..n per chat, in the order prompts were accepted, under concurrent prompts', async () => {
    const { sessions } = await open([endpoint('jittery', 'delay:5')]);
    const s = await sessions.create({ name: 'order', endpoints: ['echo', 'jittery'] });
    const prompts = Array.from({ length: 25 }, (_, i) => `p${i + 1}`);
    await Promise.all(prompts.map((p) => sessions.prompt(s.session_id, p)));
    for (const chatId of s.chat_ids) {
      const history = await sessions.history(s.session_id, chatId);
      assert.deepEqual(history.map((r) => r.chat_record_id), prompts.map((_, i) => i + 1));
      assert.deepEqual(history.map((r) => r.prompt), prompts);
    }
    // A new service over the same folder goes on from the last id.
    const again = await open([endpoint('jittery', 'delay:5')]);
    const made = await again.sessions.prompt(s.session_id, 'after restart');
    assert.equal(made[s.chat_ids[0]!]![0]!.chat_record_id, 26);
  });

  it('applies the template, add_previous_prompt and the endpoint pre/post prompts', async () => {
    const templates = join(dir(), 'templates');
    await fs.mkdir(templates);
    await fs.writeFile(join(templates, 'qa.json'), JSON.stringify({ name: 'qa', description: 'd', template: 'Q: {{ prompt }}\nA:' }));
    const { sessions } = await open(
      [{ id: 'wrapped', name: 'Wrapped', connector_type: 'echo', params: { pre_prompt: '<<', post_prompt: '>>' } }],
      templates,
    );
    const s = await sessions.create({
      name: 'tpl',
      endpoints: ['wrapped'],
      prompt_template: 'qa',
      context_strategy: 'add_previous_prompt',
    });
    const chat = s.chat_ids[0]!;
    const first = (await sessions.prompt(s.session_id, 'one'))[chat]![0]!;
    assert.equal(first.prepared_prompt, 'Q: one\nA:');
    assert.equal(first.predicted_result, '<<Q: one\nA:>>');
    assert.equal(first.prompt_template, 'qa');
    assert.equal(first.context_strategy, 'add_previous_prompt');
    const second = (await sessions.prompt(s.session_id, 'two'))[chat]![0]!;
    // The strategy runs first ("two" + "Q: one\nA:" + "\n"), then the template wraps it.
    assert.equal(second.prepared_prompt, 'Q: twoQ: one\nA:\n\nA:');
  });

  it('conversation sends the real multi-turn history to the model', async () => {
    const { sessions } = await open([endpoint('chat', 'conversation-model')]);
    const s = await sessions.create({ name: 'conv', endpoints: ['chat'], context_strategy: 'conversation' });
    await sessions.prompt(s.session_id, 'first');
    await sessions.prompt(s.session_id, 'second');
    const last = fake.requests.filter((r) => r.model === 'conversation-model').at(-1)!;
    assert.deepEqual((last.body as { messages: unknown }).messages, [
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'echo: first' },
      { role: 'user', content: 'second' },
    ]);
  });

  it('sets and clears template and strategy; clearing another name changes nothing', async () => {
    const templates = join(dir(), 'templates');
    await fs.mkdir(templates);
    await fs.writeFile(join(templates, 't.json'), JSON.stringify({ name: 't', description: '', template: '[{{ prompt }}]' }));
    const { sessions } = await open([], templates);
    const s = await sessions.create({ name: 'st', endpoints: ['echo'] });
    assert.equal(await sessions.numOfPrevPrompts(s.session_id), 5, 'the default');
    await sessions.setPromptTemplate(s.session_id, 't');
    await sessions.setContextStrategy(s.session_id, 'conversation', 3);
    assert.equal(await sessions.numOfPrevPrompts(s.session_id), 3);
    assert.equal('num_of_prev_prompts' in (await sessions.get(s.session_id)), false, "the API's metadata keeps its shape");
    await sessions.clearPromptTemplate(s.session_id, 'other');
    assert.equal((await sessions.get(s.session_id)).prompt_template, 't');
    await sessions.clearPromptTemplate(s.session_id, 't');
    await sessions.clearContextStrategy(s.session_id, 'conversation');
    const after = await sessions.get(s.session_id);
    assert.equal(after.prompt_template, null);
    assert.equal(after.context_strategy, null);
    await assert.rejects(sessions.setPromptTemplate(s.session_id, 'nope'), NotFoundError);
    await assert.rejects(sessions.setContextStrategy(s.session_id, 'nope'), NotFoundError);
    await assert.rejects(sessions.numOfPrevPrompts('nope_20240101-000000'), NotFoundError);
  });

  it('streams deltas and announces records as events', async () => {
    const { sessions } = await open([endpoint('streamer', 'slow:5')]);
    const s = await sessions.create({ name: 'ev', endpoints: ['streamer'] });
    const events: SessionEvent[] = [];
    sessions.onDidChange((e) => events.push(e));
    await sessions.prompt(s.session_id, 'hi');
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'promptStarted');
    assert.ok(types.filter((t) => t === 'delta').length >= 2, types.join(','));
    assert.deepEqual(types.slice(-2), ['record', 'promptFinished']);
    const streamed = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
    const record = events.find((e) => e.type === 'record');
    assert.equal(record?.type === 'record' && record.record.predicted_result, streamed);
  });

  it('cancels one chat in flight: its record says cancelled, the others finish', async () => {
    const { sessions } = await open([endpoint('stuck', 'hang')]);
    const s = await sessions.create({ name: 'stop', endpoints: ['stuck', 'echo'] });
    const started = new Promise<void>((resolve) => fake.events.once('request', () => resolve()));
    const pending = sessions.prompt(s.session_id, 'wait');
    await started;
    sessions.cancel(s.session_id, s.chat_ids[0]);
    const made = await pending;
    assert.match(made[s.chat_ids[0]!]![0]!.error!, /cancelled/);
    assert.equal(made[s.chat_ids[1]!]![0]!.error, null);
  });

  it('keeps the text received before Stop, with error "cancelled"', async () => {
    const { sessions } = await open([endpoint('trickle', 'slow:40')]);
    const s = await sessions.create({ name: 'partial', endpoints: ['trickle'] });
    let deltas = 0;
    const sub = sessions.onDidChange((e) => {
      if (e.type === 'delta' && ++deltas === 2) sessions.cancel(s.session_id);
    });
    const made = await sessions.prompt(s.session_id, 'go slowly');
    sub.dispose();
    const record = made[s.chat_ids[0]!]![0]!;
    assert.equal(record.error, 'cancelled');
    assert.ok(record.predicted_result.length > 0, 'what arrived before Stop is kept');
    const full = (await sessions.prompt(s.session_id, 'go slowly'))[s.chat_ids[0]!]![0]!;
    assert.ok(full.predicted_result.startsWith(record.predicted_result) && full.predicted_result.length > record.predicted_result.length);
  });

  it('re-sends to one chat only (a retry)', async () => {
    const { sessions } = await open([{ id: 'echo2', name: 'Echo 2', connector_type: 'echo' }]);
    const s = await sessions.create({ name: 'retry', endpoints: ['echo', 'echo2'] });
    await sessions.prompt(s.session_id, 'first');
    const made = await sessions.prompt(s.session_id, 'again', { chatIds: [s.chat_ids[1]!] });
    assert.deepEqual(Object.keys(made), [s.chat_ids[1]]);
    assert.equal(made[s.chat_ids[1]!]![0]!.chat_record_id, 2);
    assert.equal((await sessions.history(s.session_id, s.chat_ids[0]!)).length, 1);
    await assert.rejects(sessions.prompt(s.session_id, 'x', { chatIds: ['nope_1'] }), NotFoundError);
  });

  it('refuses empty, blank and oversized prompts, and unknown sessions', async () => {
    const { sessions } = await open();
    const s = await sessions.create({ name: 'bad', endpoints: ['echo'] });
    for (const bad of ['', '   \n', 'x'.repeat(100_001), 42, undefined]) {
      await assert.rejects(sessions.prompt(s.session_id, bad), ValidationError, JSON.stringify(bad)?.slice(0, 20));
    }
    await assert.rejects(sessions.prompt('nope', 'x'), NotFoundError);
    assert.deepEqual(await sessions.history(s.session_id, s.chat_ids[0]!), []);
  });

  it('deletes a session with every file; a prompt in flight is stopped and answers Session not found', async () => {
    const { sessions } = await open([endpoint('slowish', 'delay:100')]);
    const s = await sessions.create({ name: 'gone', endpoints: ['slowish'] });
    const pending = sessions.prompt(s.session_id, 'x');
    const refused = assert.rejects(pending, (e: unknown) => isCoreError(e, 'not-found') && e.message === 'Session not found');
    await sessions.delete(s.session_id);
    await refused;
    // Only the journal is left, which says the session was deleted.
    assert.deepEqual(await fs.readdir(join(dir(), 'sessions')), ['.journal']);
    await assert.rejects(sessions.get(s.session_id), NotFoundError);
  });
});
