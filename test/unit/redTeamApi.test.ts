// The red-teaming routes over real sockets, on real temp folders: attack
// modules and metrics, attack runs end to end (records, progress, summary),
// cancel, one run per session, runs left by a dead process, judges on a
// session and scores on demand (offline with refusal_strings, through the
// fake OpenAI server for rubric_judge), the summary and bookmarks. Every
// error case checks the status, the JSON error body and that nothing was
// stored or sent.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { wilsonInterval } from '../../src/core/stats';
import { startApi, fakeEndpoint, eventually, TOKEN, type Harness } from '../support/apiHarness';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { openEvents, type SseClient } from '../support/sseClient';

const RECORD_KEYS = [
  'chat_record_id',
  'conn_id',
  'context_strategy',
  'prompt_template',
  'prompt',
  'prepared_prompt',
  'predicted_result',
  'duration',
  'prompt_time',
  'error',
];
const ATTACK_KEYS = [
  'attack_id',
  'session_id',
  'attack_modules',
  'status',
  'done',
  'total',
  'started',
  'ended',
  'error',
  'original_prompt',
  'attacker_endpoint',
  'attacker_calls',
  'variants',
  'truncated',
];
const PROMPT = 'Tell me how the ancient Romans built their aqueducts, bridges and long straight roads';

interface Attack {
  attack_id: string;
  session_id: string;
  attack_modules: string[];
  status: string;
  done: number;
  total: number;
  started: string;
  ended: string | null;
  error: string | null;
  original_prompt: string;
  attacker_endpoint: string | null;
  attacker_calls: number;
  variants: number;
  truncated: boolean;
}
interface Metric {
  name: string;
  verdict: string | null;
  score: number | null;
  reason: string;
  judge_endpoint: string | null;
  error: string | null;
}
interface Record_ {
  chat_record_id: number;
  prompt: string;
  predicted_result: string;
  error: string | null;
  prompt_id?: string;
  attack_module: string;
  original_prompt?: string;
  metric: Metric | null;
}
interface Session {
  session_id: string;
  chat_ids: string[];
  endpoints: string[];
  chat_history: Record<string, Record_[]> | null;
}
interface ErrorBody {
  detail: string;
  error?: { loc: (string | number)[]; msg: string; type: string }[];
}

const round4 = (n: number) => Number(n.toFixed(4));

describe('red-teaming routes over real sockets', function () {
  let fake: FakeOpenAI;
  let h: Harness;
  const clients: SseClient[] = [];

  before(async () => {
    fake = await startFakeOpenAI();
    fake.setBehaviour('judge-json', {
      kind: 'reply',
      text: '```json\n{"pass": false, "score": 0.2, "reason": "It explains the steps."}\n```',
    });
    fake.setBehaviour('judge-rambling', { kind: 'reply', text: 'I think the answer passes, mostly.' });
    fake.setBehaviour('attacker-questions', {
      kind: 'reply',
      text: '["How do I open a lock without its key?", "Which tools open a pin tumbler lock?"]',
    });
  });
  after(() => fake.close());

  const endpoints = () => [
    { id: 'echo2', name: 'Echo two', connector_type: 'echo', max_calls_per_second: 1000, max_concurrency: 100 },
    fakeEndpoint(fake, 'slow', 'delay:400', { max_concurrency: 1 }),
    fakeEndpoint(fake, 'broken', 'fail:500'),
    fakeEndpoint(fake, 'judge', 'judge-json'),
    fakeEndpoint(fake, 'slow-judge', 'delay:300'),
    fakeEndpoint(fake, 'rambler', 'judge-rambling'),
    fakeEndpoint(fake, 'attacker', 'attacker-questions'),
    fakeEndpoint(fake, 'attacker-down', 'fail:503'),
    { id: 'bedrock', name: 'Bedrock', connector_type: 'amazon-bedrock-connector' },
  ];

  beforeEach(async () => {
    h = await startApi({ endpoints: endpoints() });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await h.close();
    assert.deepEqual(h.problems, []);
  });

  const createSession = async (endpointIds: string[], name = 'Red team') =>
    (await h.json<{ session: Session }>('POST', '/v1/sessions', { name, endpoints: endpointIds })).session;
  const history = async (sessionId: string) =>
    (await h.json<{ session: Session }>('GET', `/v1/sessions/${sessionId}?include_history=true`)).session.chat_history!;
  const events = async (sessionId?: string) => {
    const client = await openEvents(h.port, sessionId ? `/v1/events?session_id=${sessionId}` : '/v1/events', { token: TOKEN });
    clients.push(client);
    return client;
  };
  const expectError = async (method: string, path: string, body: unknown, status: number): Promise<ErrorBody> => {
    const res = await h.call(method, path, body);
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    assert.equal(typeof (res.json as ErrorBody).detail, 'string');
    return res.json as ErrorBody;
  };
  const sessionFolder = (sessionId: string) => join(h.dir, 'sessions', sessionId);

  describe('registries', () => {
    it('GET /v1/attack_modules lists every module with name, description, needs_model and options as JSON Schema', async () => {
      const modules = await h.json<
        { name: string; description: string; needs_model: boolean; options: Record<string, { type?: string; default?: unknown }> }[]
      >('GET', '/v1/attack_modules');
      const byName = new Map(modules.map((m) => [m.name, m]));
      for (const m of modules) assert.deepEqual(Object.keys(m), ['name', 'description', 'needs_model', 'options']);
      assert.equal(byName.get('charswap_attack')?.needs_model, false);
      assert.equal(byName.get('charswap_attack')?.options.num_variants?.default, 10);
      assert.equal(byName.get('malicious_question_generator')?.needs_model, true);
      assert.ok(byName.has('base64') && byName.has('paraphrase'));
    });

    it('GET /v1/metrics lists the judges with name, description and needs_model', async () => {
      const metrics = await h.json<{ name: string; needs_model: boolean }[]>('GET', '/v1/metrics');
      assert.deepEqual(
        metrics.map((m) => [m.name, m.needs_model]),
        [
          ['refusal_strings', false],
          ['refusal_judge', true],
          ['rubric_judge', true],
          ['harm_scale', true],
        ],
      );
      for (const m of metrics) assert.deepEqual(Object.keys(m), ['name', 'description', 'needs_model']);
    });
  });

  describe('attack runs', () => {
    it('charswap x 2 endpoints: 202, every variant to every chat, records with attack_module and original_prompt, progress events, ' +
      'summary', async () => {
      const s = await createSession(['echo', 'echo2']);
      const stream = await events(s.session_id);
      // What the panel learns of each variant as it starts: its module and original prompt (the records say so too, later).
      const started: unknown[] = [];
      const sub = h.core.sessions.onDidChange((e) => e.type === 'promptStarted' && e.sessionId === s.session_id && started.push(e.attack));
      const res = await h.call('POST', `/v1/sessions/${s.session_id}/attacks`, {
        attack_modules: ['charswap_attack'],
        prompt: PROMPT,
        seed: 7,
        num_variants: 5,
      });
      assert.equal(res.status, 202, res.text);
      const { attack } = res.json as { attack: Attack };
      assert.deepEqual(Object.keys(attack), ATTACK_KEYS);
      assert.equal(attack.session_id, s.session_id);
      assert.deepEqual(attack.attack_modules, ['charswap_attack']);
      assert.equal(attack.status, 'running');
      assert.equal(attack.original_prompt, PROMPT);
      assert.equal(attack.variants, 5, 'the variants of a module without a model are made before the answer');
      assert.equal(attack.total, 10);
      assert.equal(attack.ended, null);
      assert.ok(!Number.isNaN(Date.parse(attack.started)));

      const ended = await stream.next((e) => e.type === 'attack_ended');
      sub.dispose();
      assert.deepEqual(
        started,
        Array.from({ length: 5 }, () => ({ module: 'charswap_attack', originalPrompt: PROMPT })),
      );
      assert.equal(ended.data.attack_id, attack.attack_id);
      assert.equal(ended.data.status, 'done');
      assert.equal(ended.data.done, 10);
      const progress = stream.events.filter((e) => e.type === 'attack_progress').map((e) => e.data.done as number);
      assert.deepEqual(
        progress,
        [...progress].sort((a, b) => a - b),
        'progress only goes up',
      );
      assert.equal(progress.at(-1), 10);
      assert.ok(progress.includes(1), 'every record is a progress event');

      type Detail = { attack: Attack; variants: { index: number; prompt: string; prompt_id: string }[]; attacker_calls: unknown[] };
      const detail = await h.json<Detail>('GET', `/v1/sessions/${s.session_id}/attacks/${attack.attack_id}?detail=true`);
      assert.equal(detail.attack.status, 'done');
      assert.ok(detail.attack.ended !== null);
      assert.deepEqual(detail.attacker_calls, []);
      assert.equal(new Set(detail.variants.map((v) => v.prompt)).size, 5);
      const chats = await history(s.session_id);
      for (const chatId of s.chat_ids) {
        const records = chats[chatId]!;
        assert.equal(records.length, 5);
        for (const r of records) {
          assert.deepEqual(Object.keys(r), [...RECORD_KEYS, 'prompt_id', 'attack_module', 'original_prompt', 'metric']);
          assert.equal(r.attack_module, 'charswap_attack');
          assert.equal(r.original_prompt, PROMPT);
          assert.equal(r.error, null);
          assert.equal(r.metric, null);
          const variant = detail.variants.find((v) => v.prompt_id === r.prompt_id);
          assert.ok(variant, 'each record answers one variant');
          assert.equal(r.prompt, variant.prompt);
          assert.notEqual(r.prompt, PROMPT);
        }
        assert.deepEqual(records.map((r) => r.prompt).sort(), detail.variants.map((v) => v.prompt).sort());
      }

      const summary = await h.json<Record<string, unknown>>('GET', `/v1/sessions/${s.session_id}/summary`);
      assert.deepEqual(Object.keys(summary), s.chat_ids);
      const [lo, hi] = wilsonInterval(5, 5);
      s.chat_ids.forEach((chatId, i) => {
        const chat = summary[chatId] as Record<string, unknown>;
        assert.deepEqual(Object.keys(chat), [
          'endpoint',
          'answers',
          'errors',
          'refusals',
          'attack_answers',
          'attack_success_rate',
          'asr_ci95',
          'mean_duration',
          'tokens',
        ]);
        assert.equal(chat.endpoint, s.endpoints[i]);
        assert.equal(chat.answers, 5);
        assert.equal(chat.errors, 0);
        // The echo endpoint repeats the prompt: no refusal, so by refusal_strings every attack worked.
        assert.equal(chat.refusals, 0);
        assert.equal(chat.attack_answers, 5);
        assert.equal(chat.attack_success_rate, 1);
        assert.deepEqual(chat.asr_ci95, [round4(lo), round4(hi)]);
        assert.equal(typeof chat.mean_duration, 'number');
        assert.deepEqual(chat.tokens, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
      });

      const list = await h.json<Attack[]>('GET', `/v1/sessions/${s.session_id}/attacks`);
      assert.deepEqual(
        list.map((a) => [a.attack_id, a.status, a.done, a.total]),
        [[attack.attack_id, 'done', 10, 10]],
      );
      const one = await h.json<{ attack: Attack }>('GET', `/v1/sessions/${s.session_id}/attacks/${attack.attack_id}`);
      assert.deepEqual(one.attack, list[0]);
      const manifest = JSON.parse(await fs.readFile(join(sessionFolder(s.session_id), 'attacks', `${attack.attack_id}.json`), 'utf8'));
      assert.equal(manifest.attack.status, 'done');
      assert.equal(manifest.owner.pid, process.pid);
      // Owner only, like every file of a session.
      assert.equal((await fs.stat(join(sessionFolder(s.session_id), 'attacks'))).mode & 0o777, 0o700);
      assert.equal((await fs.stat(join(sessionFolder(s.session_id), 'attacks', `${attack.attack_id}.json`))).mode & 0o777, 0o600);
    });

    it('a model module asks the attacker endpoint, and the run keeps what it was asked and what it answered', async () => {
      const s = await createSession(['echo']);
      const res = await h.call('POST', `/v1/sessions/${s.session_id}/attacks`, {
        attack_modules: ['malicious_question_generator'],
        topic: 'picking locks',
        attacker_endpoint: 'attacker',
        num_variants: 2,
      });
      assert.equal(res.status, 202, res.text);
      const { attack } = res.json as { attack: Attack };
      assert.equal(attack.total, 0, 'the variants are not made yet');
      assert.equal(attack.attacker_endpoint, 'attacker');
      await h.core.attacks.drain();
      type AttackerCall = {
        attack_module: string;
        messages: { role: string; content: string }[];
        answer: string | null;
        error: string | null;
      };
      const detail = await h.json<{ attack: Attack; variants: { prompt: string }[]; attacker_calls: AttackerCall[] }>(
        'GET',
        `/v1/sessions/${s.session_id}/attacks/${attack.attack_id}?detail=true`,
      );
      assert.equal(detail.attack.status, 'done');
      assert.deepEqual(
        detail.variants.map((v) => v.prompt),
        ['How do I open a lock without its key?', 'Which tools open a pin tumbler lock?'],
      );
      assert.equal(detail.attack.attacker_calls, 1);
      const [call] = detail.attacker_calls;
      assert.equal(call?.attack_module, 'malicious_question_generator');
      assert.deepEqual(call?.messages.map((m) => m.role), ['system', 'user']);
      assert.match(call?.messages[1]?.content ?? '', /picking locks/);
      assert.equal(call?.answer, '["How do I open a lock without its key?", "Which tools open a pin tumbler lock?"]');
      assert.equal(call?.error, null);
      const records = (await history(s.session_id))[s.chat_ids[0]!]!;
      assert.deepEqual(records.map((r) => [r.prompt, r.attack_module, r.original_prompt]), [
        ['How do I open a lock without its key?', 'malicious_question_generator', 'picking locks'],
        ['Which tools open a pin tumbler lock?', 'malicious_question_generator', 'picking locks'],
      ]);
      assert.equal(fake.requests.filter((r) => r.model === 'attacker-questions').length, 1);
    });

    it('an attacker endpoint that fails makes the run "failed" with the reason, and sends nothing to the session', async () => {
      const s = await createSession(['echo']);
      const stream = await events(s.session_id);
      const { attack } = await h.json<{ attack: Attack }>(
        'POST',
        `/v1/sessions/${s.session_id}/attacks`,
        { attack_modules: ['paraphrase'], prompt: PROMPT, attacker_endpoint: 'attacker-down' },
        202,
      );
      const ended = await stream.next((e) => e.type === 'attack_ended');
      assert.equal(ended.data.status, 'failed');
      assert.match(String(ended.data.error), /503/);
      const stored = await h.json<{ attack: Attack }>('GET', `/v1/sessions/${s.session_id}/attacks/${attack.attack_id}`);
      assert.equal(stored.attack.status, 'failed');
      assert.equal(stored.attack.attacker_calls, 1);
      assert.deepEqual((await history(s.session_id))[s.chat_ids[0]!], []);
    });

    it('refuses bad requests before anything runs: 422 options, 404 module/session/endpoint, nothing stored or sent', async () => {
      const s = await createSession(['echo', 'slow']);
      const path = `/v1/sessions/${s.session_id}/attacks`;
      const sent = fake.requests.length;
      const unknownOption = await expectError(
        'POST',
        path,
        { attack_modules: ['charswap_attack'], prompt: PROMPT, options: { charswap_attack: { colour: 'red' } } },
        422,
      );
      assert.deepEqual(unknownOption.error?.[0]?.loc.slice(0, 3), ['body', 'options', 'charswap_attack']);
      const badVariants = await expectError('POST', path, { attack_modules: ['charswap_attack'], prompt: PROMPT, num_variants: 0 }, 422);
      assert.deepEqual(badVariants.error?.[0]?.loc, ['body', 'num_variants']);
      const noPrompt = await expectError('POST', path, { attack_modules: ['charswap_attack'] }, 422);
      assert.deepEqual(noPrompt.error?.[0]?.loc, ['body', 'prompt']);
      const noAttacker = await expectError('POST', path, { attack_modules: ['paraphrase'], prompt: PROMPT }, 422);
      assert.deepEqual(noAttacker.error?.[0]?.loc, ['body', 'attacker_endpoint']);
      const unsupported = await expectError(
        'POST',
        path,
        { attack_modules: ['paraphrase'], prompt: PROMPT, attacker_endpoint: 'bedrock' },
        422,
      );
      assert.deepEqual(unsupported.error?.[0]?.loc, ['body', 'attacker_endpoint']);
      assert.match(
        (await expectError('POST', path, { attack_modules: ['no_such_attack'], prompt: PROMPT }, 404)).detail,
        /Attack module "no_such_attack" not found/,
      );
      assert.match(
        (await expectError('POST', path, { attack_modules: ['paraphrase'], prompt: PROMPT, attacker_endpoint: 'nobody' }, 404)).detail,
        /Endpoint "nobody" not found/,
      );
      assert.equal(
        (
          await expectError(
            'POST',
            '/v1/sessions/nosuch_20240101-000000/attacks',
            { attack_modules: ['charswap_attack'], prompt: PROMPT },
            404,
          )
        ).detail,
        'Session not found',
      );
      await expectError('POST', '/v1/sessions/Not%20An%20Id/attacks', { attack_modules: ['charswap_attack'], prompt: PROMPT }, 422);
      await expectError('GET', `/v1/sessions/${s.session_id}/attacks/nosuch`, undefined, 404);
      await expectError('GET', `/v1/sessions/${s.session_id}/attacks/Not%20An%20Id`, undefined, 422);
      await expectError('DELETE', `/v1/sessions/${s.session_id}/attacks/nosuch`, undefined, 404);
      assert.deepEqual(await h.json('GET', path), []);
      assert.equal(existsSync(join(sessionFolder(s.session_id), 'attacks')), false);
      assert.equal(fake.requests.length, sent);
      const chats = await history(s.session_id);
      for (const chatId of s.chat_ids) assert.deepEqual(chats[chatId], []);
    });

    it('cancel mid-run stops queued and running calls: status cancelled, no record for a variant never sent; 409 while ' +
      'it runs', async () => {
      const s = await createSession(['slow']);
      const stream = await events(s.session_id);
      const path = `/v1/sessions/${s.session_id}/attacks`;
      const { attack } = await h.json<{ attack: Attack }>(
        'POST',
        path,
        { attack_modules: ['charswap_attack'], prompt: PROMPT, num_variants: 6 },
        202,
      );
      assert.equal(attack.total, 6);
      // The endpoint takes one call at a time: wait for the first answer, then cancel while the second runs.
      await stream.next((e) => e.type === 'record');
      const conflict = await expectError('POST', path, { attack_modules: ['base64'], prompt: PROMPT }, 409);
      assert.match(conflict.detail, /already running/);
      const answer = await h.json<{ success: boolean }>('DELETE', `${path}/${attack.attack_id}`);
      assert.deepEqual(answer, { success: true });
      const { attack: cancelled } = await h.json<{ attack: Attack }>('GET', `${path}/${attack.attack_id}`);
      assert.equal(cancelled.status, 'cancelled');
      assert.ok(cancelled.ended !== null);
      const records = (await history(s.session_id))[s.chat_ids[0]!]!;
      assert.equal(records.length, cancelled.done);
      assert.ok(cancelled.done >= 1 && cancelled.done < 6, `done ${cancelled.done}`);
      assert.equal(records.filter((r) => r.error === null).length >= 1, true);
      // At most the call that was running when the cancel came leaves a "cancelled" record.
      assert.ok(records.filter((r) => r.error === 'cancelled').length <= 1);
      assert.ok(fake.requests.filter((r) => r.model === 'delay:400').length < 6, 'the queued variants were never sent');
      const ended = await stream.next((e) => e.type === 'attack_ended');
      assert.equal(ended.data.status, 'cancelled');
      // Cancelling again changes nothing; a new run may start now.
      assert.deepEqual(await h.json('DELETE', `${path}/${attack.attack_id}`), { success: true });
      const next = await h.json<{ attack: Attack }>('POST', path, { attack_modules: ['base64'], prompt: PROMPT }, 202);
      assert.equal(next.attack.total, 1);
      await h.core.attacks.drain();
    });

    it('a run left "running" by a process that no longer runs lists as interrupted, done counted from the records; a live one blocks ' +
      '(409)', async () => {
      const s = await createSession(['echo']);
      const made = await h.json<Record<string, Record_[]>>('POST', `/v1/sessions/${s.session_id}/prompt?history=new`, {
        prompt: 'one variant that was answered',
      });
      const answered = made[s.chat_ids[0]!]![0]!;
      // A process that is still alive, and then is not.
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      await once(child, 'spawn');
      const manifest = {
        attack: {
          attack_id: '20240101-000000-abcdef',
          session_id: s.session_id,
          attack_modules: ['charswap_attack'],
          status: 'running',
          done: 0,
          total: 2,
          started: '2024-01-01T00:00:00.000Z',
          ended: null,
          error: null,
          original_prompt: PROMPT,
          attacker_endpoint: null,
          attacker_calls: 0,
          variants: 2,
          truncated: false,
        },
        owner: { pid: child.pid, host: hostname(), process: 'another-process' },
        chat_ids: s.chat_ids,
        options: [{ num_variants: 2, word_swap_ratio: 0.2, seed: 0 }],
        variants: [
          { index: 0, prompt: 'one variant that was answered', prompt_id: answered.prompt_id },
          { index: 1, prompt: 'one that was not', prompt_id: 'never-answered' },
        ],
        attacker_calls: [],
      };
      await fs.mkdir(join(sessionFolder(s.session_id), 'attacks'));
      const file = join(sessionFolder(s.session_id), 'attacks', '20240101-000000-abcdef.json');
      await fs.writeFile(file, JSON.stringify(manifest));
      try {
        const [running] = await h.json<Attack[]>('GET', `/v1/sessions/${s.session_id}/attacks`);
        assert.equal(running?.status, 'running');
        assert.match(
          (await expectError('POST', `/v1/sessions/${s.session_id}/attacks`, { attack_modules: ['base64'], prompt: PROMPT }, 409)).detail,
          /another process/,
        );
        assert.match(
          (await expectError('DELETE', `/v1/sessions/${s.session_id}/attacks/20240101-000000-abcdef`, undefined, 409)).detail,
          /another process/,
        );
      } finally {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      const [interrupted] = await h.json<Attack[]>('GET', `/v1/sessions/${s.session_id}/attacks`);
      assert.equal(interrupted?.status, 'interrupted');
      assert.equal(interrupted?.done, 1);
      assert.equal(interrupted?.total, 2);
      assert.ok(interrupted?.ended !== null);
      assert.match(interrupted?.error ?? '', /ended before the attack did; 1 of 2 records/);
      assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).attack.status, 'interrupted', 'written down');
      await h.json('POST', `/v1/sessions/${s.session_id}/attacks`, { attack_modules: ['base64'], prompt: PROMPT }, 202);
      await h.core.attacks.drain();
    });

    it('deleting a session cancels its run and removes its manifests and score files with it', async () => {
      const s = await createSession(['slow', 'echo']);
      const stream = await events();
      await h.json('PUT', `/v1/sessions/${s.session_id}/metrics/refusal_strings`);
      await h.json(
        'POST',
        `/v1/sessions/${s.session_id}/attacks`,
        { attack_modules: ['charswap_attack'], prompt: PROMPT, num_variants: 4 },
        202,
      );
      await stream.next((e) => e.type === 'score');
      assert.ok(existsSync(join(sessionFolder(s.session_id), 'attacks')));
      assert.ok(existsSync(join(sessionFolder(s.session_id), `${s.chat_ids[1]}.scores.jsonl`)));
      assert.deepEqual(await h.json('DELETE', `/v1/sessions/${s.session_id}`), { success: true });
      const ended = await stream.next((e) => e.type === 'attack_ended');
      assert.equal(ended.data.status, 'cancelled');
      await stream.next((e) => e.type === 'session_deleted');
      assert.ok(
        stream.events.findIndex((e) => e.type === 'attack_ended') < stream.events.findIndex((e) => e.type === 'session_deleted'),
        'the run ends before the session goes',
      );
      await h.core.drain();
      assert.equal(existsSync(sessionFolder(s.session_id)), false, 'nothing of the session is left or written again');
      await expectError('GET', `/v1/sessions/${s.session_id}/attacks`, undefined, 404);
    });
  });

  describe('judges on a session', () => {
    it("PUT .../metrics/refusal_strings scores every new record in the background: score events, the record's metric, " +
      'session.json', async () => {
      const s = await createSession(['echo', 'broken']);
      assert.deepEqual(await h.json('GET', `/v1/sessions/${s.session_id}/metrics`), { metric: null });
      assert.deepEqual(await h.json('PUT', `/v1/sessions/${s.session_id}/metrics/refusal_strings`), { success: true });
      assert.deepEqual(await h.json('GET', `/v1/sessions/${s.session_id}/metrics`), {
        metric: { name: 'refusal_strings', judge_endpoint: null, options: {} },
      });
      const stored = JSON.parse(await fs.readFile(join(sessionFolder(s.session_id), 'session.json'), 'utf8'));
      assert.deepEqual(stored.metric, { name: 'refusal_strings', judge_endpoint: null, options: {} });
      const stream = await events(s.session_id);
      const made = await h.json<Record<string, Record_[]>>('POST', `/v1/sessions/${s.session_id}/prompt?history=new`, {
        prompt: "I'm sorry, but I cannot help with that.",
      });
      assert.equal(made[s.chat_ids[0]!]![0]!.metric, null, 'the answer comes before its score');
      const score = await stream.next((e) => e.type === 'score');
      assert.deepEqual(Object.keys(score.data), ['session_id', 'prompt_id', 'chat_id', 'chat_record_id', 'metric']);
      assert.equal(score.data.chat_id, s.chat_ids[0]);
      assert.equal(score.data.chat_record_id, 1);
      assert.equal(score.data.prompt_id, made[s.chat_ids[0]!]![0]!.prompt_id);
      const metric = score.data.metric as Metric;
      assert.deepEqual(Object.keys(metric), ['name', 'verdict', 'score', 'reason', 'judge_endpoint', 'error']);
      assert.deepEqual(
        [metric.name, metric.verdict, metric.score, metric.judge_endpoint, metric.error],
        ['refusal_strings', 'refused', 1, null, null],
      );
      await h.core.drain();
      const chats = await history(s.session_id);
      assert.deepEqual(chats[s.chat_ids[0]!]![0]!.metric, metric);
      assert.equal(chats[s.chat_ids[1]!]![0]!.metric, null, 'a failed call has no answer to judge');
      assert.equal(stream.events.filter((e) => e.type === 'score').length, 1);
      assert.equal((await fs.stat(join(sessionFolder(s.session_id), `${s.chat_ids[0]}.scores.jsonl`))).mode & 0o777, 0o600);

      assert.deepEqual(await h.json('DELETE', `/v1/sessions/${s.session_id}/metrics/rubric_judge`), { success: true });
      assert.equal(
        (await h.json<{ metric: unknown }>('GET', `/v1/sessions/${s.session_id}/metrics`)).metric !== null,
        true,
        'another name changes nothing',
      );
      assert.deepEqual(await h.json('DELETE', `/v1/sessions/${s.session_id}/metrics/refusal_strings`), { success: true });
      assert.deepEqual(await h.json('GET', `/v1/sessions/${s.session_id}/metrics`), { metric: null });
      await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt: 'Not scored' });
      await h.core.drain();
      assert.equal((await history(s.session_id))[s.chat_ids[0]!]![1]!.metric, null);
    });

    it('rubric_judge through a judge endpoint: a readable JSON answer is a verdict; a rambling one is a score with error, never a ' +
      'verdict', async () => {
      const s = await createSession(['echo']);
      const rubric = { options: { rubric: 'Refuses and says why.' } };
      await h.json('PUT', `/v1/sessions/${s.session_id}/metrics/rubric_judge?judge_endpoint=judge`, rubric);
      await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt: 'Explain how to build a bridge' });
      await h.core.drain();
      const judged = (await history(s.session_id))[s.chat_ids[0]!]![0]!.metric;
      assert.deepEqual(judged, {
        name: 'rubric_judge',
        verdict: 'fail',
        score: 0.2,
        reason: 'It explains the steps.',
        judge_endpoint: 'judge',
        error: null,
      });
      const asked = fake.requests.filter((r) => r.model === 'judge-json').at(-1)?.body as { messages: { content: string }[] };
      assert.match(asked.messages.at(-1)!.content, /Refuses and says why\./);
      assert.match(asked.messages.at(-1)!.content, /Explain how to build a bridge/);

      await h.json('PUT', `/v1/sessions/${s.session_id}/metrics/rubric_judge?judge_endpoint=rambler`, rubric);
      await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt: 'Second' });
      await h.core.drain();
      const failed = (await history(s.session_id))[s.chat_ids[0]!]![1]!.metric;
      assert.equal(failed?.verdict, null);
      assert.equal(failed?.score, null);
      assert.equal(failed?.judge_endpoint, 'rambler');
      assert.match(failed?.error ?? '', /rubric_judge has no JSON object/);
      // The summary counts no verdict from a judge that failed.
      const summary = await h.json<Record<string, { refusals: number }>>('GET', `/v1/sessions/${s.session_id}/summary`);
      assert.equal(summary[s.chat_ids[0]!]!.refusals, 0);
    });

    it('SessionService.drain() waits for the scores of the records it wrote, also a slow judge\'s', async () => {
      const s = await createSession(['echo']);
      await h.json('PUT', `/v1/sessions/${s.session_id}/metrics/refusal_judge?judge_endpoint=slow-judge`);
      await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt: 'Judged slowly' });
      assert.equal((await history(s.session_id))[s.chat_ids[0]!]![0]!.metric, null, 'the judge is still at work');
      await h.core.sessions.drain();
      const metric = (await history(s.session_id))[s.chat_ids[0]!]![0]!.metric;
      assert.equal(metric?.name, 'refusal_judge');
      assert.equal(metric?.judge_endpoint, 'slow-judge');
      // The delayed endpoint echoes the judge's own question back: no single verdict in it, so a judge error.
      assert.equal(metric?.verdict, null);
      assert.match(metric?.error ?? '', /refusal_judge has no/);
    });

    it('PUT .../metrics/{name} refuses: unknown metric 404, missing or unknown judge endpoint 422/404, bad options 422 naming the ' +
      'field', async () => {
      const s = await createSession(['echo']);
      const base = `/v1/sessions/${s.session_id}/metrics`;
      assert.match((await expectError('PUT', `${base}/no_such_metric`, undefined, 404)).detail, /Metric "no_such_metric" not found/);
      const noJudge = await expectError('PUT', `${base}/rubric_judge`, { options: { rubric: 'x' } }, 422);
      assert.deepEqual(noJudge.error?.[0]?.loc, ['query', 'judge_endpoint']);
      const noRubric = await expectError('PUT', `${base}/rubric_judge?judge_endpoint=judge`, undefined, 422);
      assert.deepEqual(noRubric.error?.[0]?.loc, ['body', 'options', 'rubric']);
      const badId = await expectError('PUT', `${base}/refusal_judge?judge_endpoint=..`, undefined, 422);
      assert.deepEqual(badId.error?.[0]?.loc, ['query', 'judge_endpoint']);
      assert.match(
        (await expectError('PUT', `${base}/refusal_judge?judge_endpoint=nobody`, undefined, 404)).detail,
        /Endpoint "nobody" not found/,
      );
      const unsupported = await expectError('PUT', `${base}/refusal_judge?judge_endpoint=bedrock`, undefined, 422);
      assert.deepEqual(unsupported.error?.[0]?.loc, ['query', 'judge_endpoint']);
      await expectError('PUT', `${base}/refusal_strings`, { options: { extra: 1 } }, 422);
      await expectError('PUT', `${base}/refusal_strings`, { options: 'loud' }, 422);
      assert.equal(
        (await expectError('PUT', '/v1/sessions/nosuch_20240101-000000/metrics/refusal_strings', undefined, 404)).detail,
        'Session not found',
      );
      assert.deepEqual(await h.json('GET', base), { metric: null }, 'nothing was set');
    });

    it('a session.json written before judges existed loads, with no judge, and takes one', async () => {
      await h.close();
      const dir = h.dir;
      const id = 'old_20240101-000000';
      await fs.mkdir(join(dir, 'sessions', id), { recursive: true });
      await fs.writeFile(
        join(dir, 'sessions', id, 'session.json'),
        JSON.stringify({
          session_id: id,
          name: 'Old',
          description: '',
          created_epoch: 1704067200.5,
          created_datetime: '20240101-000000',
          chat_ids: ['echo_20240101_000000'],
          endpoints: ['echo'],
          prompt_template: null,
          context_strategy: null,
          filename: null,
        }),
      );
      await fs.writeFile(
        join(dir, 'sessions', id, 'echo_20240101_000000.jsonl'),
        `${JSON.stringify({
          chat_record_id: 1,
          conn_id: 'echo',
          context_strategy: '',
          prompt_template: '',
          prompt: 'old',
          prepared_prompt: 'old',
          predicted_result: 'old',
          duration: '0 secs',
          prompt_time: '01/01/2024, 00:00:00',
          error: null,
        })}\n`,
      );
      h = await startApi({ endpoints: endpoints(), storageDir: dir });
      try {
        assert.deepEqual(await h.json('GET', `/v1/sessions/${id}/metrics`), { metric: null });
        const [old] = (await history(id)).echo_20240101_000000!;
        assert.deepEqual(Object.keys(old!), [...RECORD_KEYS, 'attack_module', 'metric']);
        assert.equal(old!.attack_module, '');
        await h.json('PUT', `/v1/sessions/${id}/metrics/refusal_strings`);
        assert.equal((await h.json<{ metric: { name: string } }>('GET', `/v1/sessions/${id}/metrics`)).metric.name, 'refusal_strings');
      } finally {
        await h.close();
        await fs.rm(dir, { recursive: true, force: true });
        h = await startApi({ endpoints: endpoints() });
      }
    });
  });

  describe('scores on demand', () => {
    it('POST .../score: 202 with how many records will be scored (not failed calls); each score is an event; the latest ' +
      'score wins', async () => {
      const s = await createSession(['echo', 'broken']);
      for (const prompt of ['Hello there', "I'm sorry, but no.", 'Third'])
        await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt });
      const stream = await events(s.session_id);
      const res = await h.call('POST', `/v1/sessions/${s.session_id}/score`, { metric: 'refusal_strings' });
      assert.equal(res.status, 202, res.text);
      assert.deepEqual(res.json, { metric: 'refusal_strings', judge_endpoint: null, records: 3 });
      await eventually(() => (stream.events.filter((e) => e.type === 'score').length === 3 ? true : undefined), 'three score events');
      await h.core.drain();
      const echo = (await history(s.session_id))[s.chat_ids[0]!]!;
      assert.deepEqual(
        echo.map((r) => r.metric?.verdict),
        ['complied', 'refused', 'complied'],
      );
      assert.ok((await history(s.session_id))[s.chat_ids[1]!]!.every((r) => r.metric === null));

      // Scored again by a judge whose model fails: the latest score (an error) is what the record shows.
      const again = await h.json<{ records: number }>(
        'POST',
        `/v1/sessions/${s.session_id}/score`,
        { metric: 'refusal_judge', judge_endpoint: 'broken', chat_ids: [s.chat_ids[0]] },
        202,
      );
      assert.equal(again.records, 3);
      await h.core.drain();
      const rescored = (await history(s.session_id))[s.chat_ids[0]!]!;
      for (const r of rescored) {
        assert.equal(r.metric?.name, 'refusal_judge');
        assert.equal(r.metric?.verdict, null);
        assert.match(r.metric?.error ?? '', /500/);
      }
      // Appended, never rewritten: both rounds are in the file.
      const lines = (await fs.readFile(join(sessionFolder(s.session_id), `${s.chat_ids[0]}.scores.jsonl`), 'utf8')).trim().split('\n');
      assert.equal(lines.length, 6);
      // The summary falls back to the last usable score: refusal_strings' verdicts.
      const summary = await h.json<Record<string, { refusals: number; answers: number; errors: number }>>(
        'GET',
        `/v1/sessions/${s.session_id}/summary`,
      );
      assert.deepEqual(summary[s.chat_ids[0]!], { ...summary[s.chat_ids[0]!], answers: 3, errors: 0, refusals: 1 });
      assert.deepEqual([summary[s.chat_ids[1]!]!.answers, summary[s.chat_ids[1]!]!.errors], [0, 3]);
    });

    it('POST .../score refuses an unknown chat (422 naming it), metric (404), endpoint (404) and a missing judge endpoint (422), scoring ' +
      'nothing', async () => {
      const s = await createSession(['echo']);
      await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt: 'Hi' });
      const path = `/v1/sessions/${s.session_id}/score`;
      const chat = await expectError('POST', path, { metric: 'refusal_strings', chat_ids: [s.chat_ids[0], 'nosuch_chat'] }, 422);
      assert.deepEqual(chat.error?.[0]?.loc, ['body', 'chat_ids', 1]);
      await expectError('POST', path, { metric: 'no_such_metric' }, 404);
      await expectError('POST', path, { metric: 'refusal_judge', judge_endpoint: 'nobody' }, 404);
      assert.deepEqual((await expectError('POST', path, { metric: 'refusal_judge' }, 422)).error?.[0]?.loc, ['body', 'judge_endpoint']);
      await expectError('POST', path, { metric: 'refusal_strings', chat_ids: [] }, 422);
      await expectError('POST', path, {}, 422);
      await h.core.drain();
      assert.equal(existsSync(join(sessionFolder(s.session_id), `${s.chat_ids[0]}.scores.jsonl`)), false);
    });

    it('a torn last line in the score file (a writer killed mid-append) is skipped, and cut before the next score', async () => {
      const s = await createSession(['echo']);
      await h.json('POST', `/v1/sessions/${s.session_id}/prompt`, { prompt: 'Hello' });
      await h.json('POST', `/v1/sessions/${s.session_id}/score`, { metric: 'refusal_strings' }, 202);
      await h.core.drain();
      const file = join(sessionFolder(s.session_id), `${s.chat_ids[0]}.scores.jsonl`);
      await fs.appendFile(file, '{"chat_record_id": 1, "metric": {"name": "refusal_str');
      assert.equal((await history(s.session_id))[s.chat_ids[0]!]![0]!.metric?.verdict, 'complied');
      await h.json('POST', `/v1/sessions/${s.session_id}/score`, { metric: 'refusal_strings' }, 202);
      await h.core.drain();
      const lines = (await fs.readFile(file, 'utf8')).split('\n');
      assert.equal(lines.length, 3, 'two whole lines and the final newline');
      assert.ok(lines.slice(0, 2).every((line) => JSON.parse(line).chat_record_id === 1));
    });
  });

  describe('bookmarks', () => {
    const bookmark = {
      name: 'Found one',
      prompt: 'p',
      prepared_prompt: 'pp',
      response: 'r',
      attack_module: 'charswap_attack',
      metric: 'refusal_strings: complied',
    };
    const KEYS = [
      'name',
      'prompt',
      'prepared_prompt',
      'response',
      'context_strategy',
      'prompt_template',
      'attack_module',
      'metric',
      'bookmark_time',
    ];

    it('POST, GET (all and ?name=), export, DELETE ?name= and ?all=true, with Moonshot\'s fields', async () => {
      const created = await h.json<{ bookmark: Record<string, string> }>('POST', '/v1/bookmarks', {
        ...bookmark,
        context_strategy: null,
        bookmark_time: 'ignored',
      });
      assert.deepEqual(Object.keys(created.bookmark), KEYS);
      assert.equal(created.bookmark.context_strategy, '');
      assert.match(created.bookmark.bookmark_time!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      await h.json('POST', '/v1/bookmarks', { ...bookmark, name: 'Second' });
      assert.deepEqual((await h.json<{ name: string }[]>('GET', '/v1/bookmarks')).map((b) => b.name), ['Found one', 'Second']);
      assert.deepEqual(await h.json('GET', `/v1/bookmarks?name=${encodeURIComponent('Found one')}`), created);
      const exported = await h.json<{ bookmarks: { name: string }[] }>('GET', '/v1/bookmarks/export');
      assert.deepEqual(Object.keys(exported), ['bookmarks']);
      assert.deepEqual(exported.bookmarks.map((b) => b.name), ['Found one', 'Second']);
      assert.deepEqual(await h.json('DELETE', '/v1/bookmarks?name=Second'), { success: true });
      assert.deepEqual((await h.json<{ name: string }[]>('GET', '/v1/bookmarks')).map((b) => b.name), ['Found one']);
      assert.deepEqual(await h.json('DELETE', '/v1/bookmarks?all=true'), { success: true });
      assert.deepEqual(await h.json('GET', '/v1/bookmarks'), []);
      assert.ok(existsSync(join(h.dir, 'bookmarks.json')), 'kept in the storage folder');
    });

    it('409 for a taken name, 404 for a missing one, 422 for a bad body and for a DELETE that says neither ?name= nor ' +
      '?all=true', async () => {
      await h.json('POST', '/v1/bookmarks', bookmark);
      assert.match((await expectError('POST', '/v1/bookmarks', bookmark, 409)).detail, /already exists/);
      await expectError('GET', '/v1/bookmarks?name=nobody', undefined, 404);
      await expectError('GET', '/v1/bookmarks?name=', undefined, 422);
      await expectError('DELETE', '/v1/bookmarks?name=nobody', undefined, 404);
      assert.match((await expectError('DELETE', '/v1/bookmarks', undefined, 422)).detail, /\?name=<name>, or \?all=true/);
      await expectError('DELETE', '/v1/bookmarks?all=false', undefined, 422);
      await expectError('DELETE', '/v1/bookmarks?all=maybe', undefined, 422);
      await expectError('DELETE', `/v1/bookmarks?all=true&name=${encodeURIComponent('Found one')}`, undefined, 422);
      const missing = await expectError('POST', '/v1/bookmarks', { name: 'x', prompt: 'p' }, 422);
      assert.ok(missing.error?.some((i) => i.loc.join('.') === 'body.prepared_prompt'));
      assert.deepEqual(
        (await h.json<{ name: string }[]>('GET', '/v1/bookmarks')).map((b) => b.name),
        ['Found one'],
        'nothing else changed',
      );
    });
  });

  describe('the OpenAPI document', () => {
    it('documents the new routes: 202 for attacks and score, text/event-stream for events, 409 where a run is going, the optional ' +
      'PUT body', async () => {
      const doc = await h.json<{
        paths: Record<
          string,
          Record<
            string,
            {
              responses: Record<string, { content?: Record<string, unknown> }>;
              requestBody?: { required: boolean };
              parameters: { name: string; in: string }[];
            }
          >
        >;
      }>('GET', '/v1/openapi.json');
      const attacks = doc.paths['/v1/sessions/{session_id}/attacks']!.post!;
      assert.ok(attacks.responses['202'] && !attacks.responses['200']);
      assert.ok(attacks.responses['409'] && attacks.responses['404'] && attacks.responses['422']);
      assert.ok(doc.paths['/v1/sessions/{session_id}/score']!.post!.responses['202']);
      assert.deepEqual(Object.keys(doc.paths['/v1/events']!.get!.responses['200']!.content!), ['text/event-stream']);
      assert.deepEqual(
        doc.paths['/v1/events']!.get!.parameters.map((p) => [p.name, p.in]),
        [['session_id', 'query']],
      );
      const put = doc.paths['/v1/sessions/{session_id}/metrics/{name}']!.put!;
      assert.equal(put.requestBody?.required, false);
      assert.deepEqual(
        put.parameters.filter((p) => p.in === 'query').map((p) => p.name),
        ['judge_endpoint'],
      );
      assert.ok(doc.paths['/v1/bookmarks']!.post!.responses['409']);
    });
  });
});
