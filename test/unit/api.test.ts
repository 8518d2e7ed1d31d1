// The local HTTP API over real sockets on 127.0.0.1: Moonshot's web API's four calls
// exactly as it answers them (docs/API.md), every other route of API.md, every bad
// input (status, JSON error body, and nothing stored), the guards (token,
// Host, Origin/CORS, body limit), and the prompt behaviour (failing and
// hanging endpoints, concurrent prompts). node:http is used for every call:
// fetch cannot send a wrong Host header, a raw invalid body or an oversized
// chunked body.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openCore, type Core } from '../../src/core/openCore';
import type { EndpointSource } from '../../src/core/endpoints';
import { MemorySecretStore } from '../../src/core/secrets';
import { ApiServer } from '../../src/server/apiServer';
import { collect, JSON_TYPE, request, ruleViolations, type CallOptions, type Res } from '../support/apiClient';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { snapshot } from '../support/testApi';
import { ENDPOINTS_DIR, TEMPLATES_DIR, requireMoonshotData } from '../support/moonshotData';

const TOKEN = 'test-token';
const MiB = 1024 * 1024;

/** The SessionMetadata keys of Moonshot's web API, in its order. */
const SESSION_KEYS = [
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
];
/** The ChatRecord keys of Moonshot's web API, in its order, plus API.md's `error`. */
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
/**
 * The additions every record ends with, in order (`usage` comes before them when the model reported
 * it; an attack's records have `original_prompt` before `metric`).
 */
const RECORD_TAIL = ['prompt_id', 'attack_module', 'metric'];
const ENDPOINT_KEYS = [
  'id',
  'name',
  'connector_type',
  'uri',
  'token',
  'max_calls_per_second',
  'max_concurrency',
  'model',
  'params',
  'created_date',
  'supported',
];

interface ChatRecord {
  chat_record_id: number;
  conn_id: string;
  context_strategy: string;
  prompt_template: string;
  prompt: string;
  prepared_prompt: string;
  predicted_result: string;
  duration: string;
  prompt_time: string;
  error: string | null;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  prompt_id?: string;
  attack_module: string;
  metric: unknown;
}
type History = Record<string, ChatRecord[]>;
interface Session {
  session_id: string;
  name: string;
  description: string;
  created_epoch: number;
  created_datetime: string;
  chat_ids: string[];
  endpoints: string[];
  prompt_template: string | null;
  context_strategy: string | null;
  filename: null;
  chat_history: History | null;
}
interface EndpointView {
  id: string;
  name: string;
  connector_type: string;
  uri: string;
  token: string;
  max_calls_per_second: number;
  max_concurrency: number;
  model: string;
  params: Record<string, unknown>;
  created_date: string;
  supported: boolean;
  unsupported_reason?: string;
}
interface Issue {
  loc: (string | number)[];
  msg: string;
  type: string;
}
interface ErrorBody {
  detail: string;
  error?: Issue[];
}

/** Violations of the rules every answer must follow, collected from every call and checked at the end. */
const violations: string[] = [];
/** What the servers logged at level error (a real bug). */
const serverErrors: string[] = [];

function checkInvariants(label: string, res: Res): void {
  const problems = ruleViolations(res);
  if (problems.length) violations.push(`${label} -> ${res.status}: ${problems.join(', ')} (${res.text.slice(0, 200)})`);
}

function baseHeaders(token: string | null | undefined): Record<string, string> {
  // Ask for compression on every call: the API must never send it.
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' };
  if (token !== null) headers.authorization = `Bearer ${token ?? TOKEN}`;
  return headers;
}

/** One request on a fresh connection to 127.0.0.1:port, with the right token unless told otherwise. */
async function send(port: number, method: string, path: string, options: CallOptions = {}): Promise<Res> {
  const res = await request(port, method, path, { ...options, token: options.token === undefined ? TOKEN : options.token });
  checkInvariants(`${method} ${path}`, res);
  return res;
}

/**
 * POSTs `total` bytes, with Content-Length or chunked (no Content-Length),
 * and resolves with the answer, which may come (413) before all is sent.
 */
function sendLarge(port: number, path: string, total: number, mode: 'length' | 'chunked', method = 'POST'): Promise<Res> {
  const headers = { ...baseHeaders(undefined), 'content-type': 'application/json' } as Record<string, string>;
  if (mode === 'length') headers['content-length'] = String(total);
  // node:http chunks a body by itself only for methods that usually have one; say so for the others (GET).
  else headers['transfer-encoding'] = 'chunked';
  return new Promise<Res>((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      answered = true;
      collect(res).then((r) => {
        checkInvariants(`${method} ${path} (${total} bytes, ${mode})`, r);
        req.destroy();
        resolve(r);
      }, reject);
    });
    // Writing on after the server answered and closed fails (EPIPE/ECONNRESET); the answer is what counts.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const block = Buffer.alloc(64 * 1024, 'a');
    block.write('{"prompt": "');
    let sent = 0;
    const pump = (): void => {
      while (sent < total && !answered && !req.destroyed) {
        const n = Math.min(block.length, total - sent);
        sent += n;
        if (!req.write(block.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && !req.destroyed) req.end();
    };
    pump();
  });
}

/** Raw bytes over a socket (for what node:http will not send, e.g. HTTP/1.0 without Host); resolves with the whole answer. */
function sendRawSocket(port: number, text: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

const pad = (n: number) => String(n).padStart(2, '0');
const localDatetime = (d: Date) =>
  `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;

function parsePromptTime(text: string): Date {
  const m = /^(\d\d)\/(\d\d)\/(\d{4}), (\d\d):(\d\d):(\d\d)$/.exec(text);
  assert.ok(m, `prompt_time "${text}" is not MM/DD/YYYY, HH:MM:SS`);
  return new Date(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** Resolves once the clock is past `epochSeconds` by a millisecond, so the next session is strictly newer. */
async function clockPast(epochSeconds: number): Promise<void> {
  while (Date.now() <= Math.ceil(epochSeconds * 1000) + 1) await new Promise((resolve) => setTimeout(resolve, 1));
}

function assertJson(res: Res, status: number): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  assert.equal(res.headers['content-type'], JSON_TYPE);
  assert.equal(res.headers['content-encoding'], undefined);
}

/** A JSON error with a `detail` sentence (and for 422 the `error` items); `detail` may be checked exactly or by pattern. */
function assertError(res: Res, status: number, detail?: string | RegExp): ErrorBody {
  assertJson(res, status);
  const body = res.json as ErrorBody;
  assert.equal(typeof body, 'object');
  assert.equal(typeof body.detail, 'string', res.text);
  assert.ok(body.detail.trim().length > 0, 'detail is empty');
  if (typeof detail === 'string') assert.equal(body.detail, detail);
  else if (detail) assert.match(body.detail, detail);
  if (status === 422) {
    assert.deepEqual(Object.keys(body), ['detail', 'error'], res.text);
    assert.ok(Array.isArray(body.error) && body.error.length > 0, 'error must list at least one issue');
    for (const issue of body.error) {
      assert.deepEqual(Object.keys(issue), ['loc', 'msg', 'type'], JSON.stringify(issue));
      assert.ok(Array.isArray(issue.loc) && issue.loc.length > 0, JSON.stringify(issue));
      for (const part of issue.loc) assert.ok(typeof part === 'string' || typeof part === 'number', JSON.stringify(issue));
      assert.equal(typeof issue.msg, 'string');
      assert.ok(issue.msg.length > 0);
      assert.equal(typeof issue.type, 'string');
    }
  } else {
    assert.deepEqual(Object.keys(body), ['detail'], res.text);
  }
  return body;
}

/** Asserts that one 422 issue has exactly this `loc`. */
function assertIssueAt(body: ErrorBody, loc: (string | number)[]): void {
  assert.ok(
    body.error?.some((i) => JSON.stringify(i.loc) === JSON.stringify(loc)),
    `no issue at ${JSON.stringify(loc)}: ${JSON.stringify(body.error)}`,
  );
}

function assertNoCorsHeaders(res: Res): void {
  const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
  assert.deepEqual(cors, [], `unexpected CORS headers: ${cors.join(', ')}`);
}

interface StartOptions {
  endpoints?: object[];
  endpointSources?: EndpointSource[];
  templateFolders?: string[];
  allowedOrigins?: string[];
}

class Api {
  constructor(
    readonly core: Core,
    readonly server: ApiServer,
    readonly dir: string,
  ) {}

  get port(): number {
    return this.server.port;
  }

  call(method: string, path: string, options?: CallOptions): Promise<Res> {
    return send(this.port, method, path, options);
  }

  async createSession(body: object): Promise<Session> {
    const res = await this.call('POST', '/v1/sessions', { body });
    assertJson(res, 200);
    return (res.json as { session: Session }).session;
  }

  async prompt(sessionId: string, prompt: string, query = ''): Promise<History> {
    const res = await this.call('POST', `/v1/sessions/${sessionId}/prompt${query}`, { body: { prompt } });
    assertJson(res, 200);
    return res.json as History;
  }

  async session(sessionId: string, includeHistory = false): Promise<Session> {
    const res = await this.call('GET', `/v1/sessions/${sessionId}${includeHistory ? '?include_history=true' : ''}`);
    assertJson(res, 200);
    return (res.json as { session: Session }).session;
  }

  async list(): Promise<Session[]> {
    const res = await this.call('GET', '/v1/sessions');
    assertJson(res, 200);
    return res.json as Session[];
  }

  /** What the API and the storage folder hold: must not change on a refused request. */
  async state(): Promise<unknown> {
    const [sessions, endpoints, files] = await Promise.all([
      this.call('GET', '/v1/sessions'),
      this.call('GET', '/v1/llm_endpoints'),
      snapshot(this.dir),
    ]);
    return { sessions: sessions.text, endpoints: endpoints.text, files };
  }

  /** Sends a request that must be refused: checks its status and error body, and that nothing was stored. */
  async expectRejected(method: string, path: string, options: CallOptions, status: number, detail?: string | RegExp): Promise<ErrorBody> {
    const before = await this.state();
    const res = await this.call(method, path, options);
    const body = assertError(res, status, detail);
    assert.deepEqual(await this.state(), before, `${method} ${path} (${status}) changed what is stored`);
    return body;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startApi(options: StartOptions): Promise<Api> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-api-test-'));
  const core = await openCore({
    storageDir: dir,
    endpointSources: [
      ...(options.endpointSources ?? []),
      ...(options.endpoints ? [{ kind: 'inline' as const, origin: 'test', endpoints: options.endpoints }] : []),
    ],
    promptTemplateFolders: options.templateFolders ?? [],
    secrets: new MemorySecretStore(),
  });
  const server = new ApiServer({
    core,
    port: 0,
    token: TOKEN,
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    log: (level, message) => {
      if (level === 'error') serverErrors.push(message);
    },
  });
  await server.start();
  return new Api(core, server, dir);
}

/** One API server for the enclosing describe (or one per test with each=true), stopped afterwards. */
function useApi(options: () => StartOptions, each = false): () => Api {
  let api: Api | undefined;
  (each ? beforeEach : before)(async () => {
    api = await startApi(options());
  });
  (each ? afterEach : after)(async () => {
    await api?.stop();
    api = undefined;
  });
  return () => {
    assert.ok(api, 'the API server was not started');
    return api;
  };
}

describe('API over real sockets', function () {
  let fake: FakeOpenAI;
  let templatesDir = '';

  before(async () => {
    fake = await startFakeOpenAI();
    templatesDir = mkdtempSync(join(tmpdir(), 'moonshot-api-templates-'));
    writeFileSync(
      join(templatesDir, 'qa.json'),
      JSON.stringify({ name: 'qa', description: 'Question and answer', template: 'Q: {{ prompt }}\nA:' }),
    );
    writeFileSync(join(templatesDir, 'shout.json'), JSON.stringify({ name: 'shout', description: 'Loud', template: '{{ prompt }}!!!' }));
  });
  after(async () => {
    await fake.close();
    rmSync(templatesDir, { recursive: true, force: true });
  });

  /** An endpoint on the fake OpenAI server; the model name picks its behaviour. */
  const ep = (id: string, model: string, params: Record<string, unknown> = {}) => ({
    id,
    name: id,
    connector_type: 'openai-connector',
    uri: fake.url,
    token: `sk-secret-${id}`,
    max_calls_per_second: 1000,
    max_concurrency: 50,
    model,
    params: { max_attempts: 1, timeout: 10, ...params },
  });

  const standard = (): StartOptions => ({
    endpoints: [
      ep('openaigpt35turbotest1', 'gpt-3.5-turbo'),
      ep('openaigpt4test1', 'gpt-4'),
      ep('broken', 'fail:500'),
      ep('stuck', 'hang', { timeout: 0.3 }),
      ep('jittery', 'delay:5'),
      { id: 'bedrock', name: 'Bedrock Titan', connector_type: 'amazon-bedrock-connector', token: 'sk-secret-bedrock' },
      ...Array.from({ length: 21 }, (_, i) => ({ id: `e${i + 1}`, name: `Echo ${i + 1}`, connector_type: 'echo' })),
    ],
    templateFolders: [templatesDir],
  });

  describe("Moonshot's web API's four calls", () => {
    const api = useApi(standard, true);
    const moonshotBody = { name: 'TestSession1', description: 'Test 1', endpoints: ['openaigpt35turbotest1', 'openaigpt4test1'] };

    it('POST /v1/sessions answers {"session": ...} with exactly Moonshot\'s keys in order, its ids and types', async () => {
      const before = Date.now();
      const res = await api().call('POST', '/v1/sessions', { body: moonshotBody });
      const after = Date.now();
      assertJson(res, 200);
      assert.deepEqual(Object.keys(res.json as object), ['session']);
      const s = (res.json as { session: Session }).session;
      assert.deepEqual(Object.keys(s), SESSION_KEYS);
      assert.match(s.created_datetime, /^\d{8}-\d{6}$/);
      assert.equal(s.session_id, `testsession1_${s.created_datetime}`);
      const time = s.created_datetime.replace('-', '_');
      assert.deepEqual(s.chat_ids, [`openaigpt35turbotest1_${time}`, `openaigpt4test1_${time}`]);
      assert.match(s.chat_ids[0]!, /^openaigpt35turbotest1_\d{8}_\d{6}$/);
      assert.deepEqual(s.endpoints, moonshotBody.endpoints);
      assert.equal(s.name, 'TestSession1');
      assert.equal(s.description, 'Test 1');
      assert.equal(s.prompt_template, null);
      assert.equal(s.context_strategy, null);
      assert.equal(s.filename, null);
      assert.equal(s.chat_history, null);
      // created_epoch: a float, written with a fractional part, in the request's time window.
      assert.equal(typeof s.created_epoch, 'number');
      assert.match(res.text, /"created_epoch":\d+\.\d+[,}]/);
      assert.ok(
        s.created_epoch >= before / 1000 - 0.001 && s.created_epoch <= after / 1000 + 0.001,
        `${s.created_epoch} not in [${before / 1000}, ${after / 1000}]`,
      );
      // created_datetime is the same instant in local time.
      assert.equal(localDatetime(new Date(Math.floor(s.created_epoch) * 1000)), s.created_datetime);
    });

    it('GET /v1/sessions lists every session as created, newest first, chat_history null', async () => {
      assert.deepEqual(await api().list(), []);
      const first = await api().createSession(moonshotBody);
      await clockPast(first.created_epoch);
      const second = await api().createSession({ name: 'TestSession2', description: 'Test 2', endpoints: ['openaigpt4test1'] });
      const res = await api().call('GET', '/v1/sessions');
      assertJson(res, 200);
      const list = res.json as Session[];
      assert.deepEqual(list, [second, first]);
      for (const s of list) assert.deepEqual(Object.keys(s), SESSION_KEYS);
      assert.equal(res.text.match(/"created_epoch":\d+\.\d+[,}]/g)?.length, 2, 'every created_epoch has a fractional part');
    });

    it('GET /v1/sessions/{id}: chat_history null unless include_history is true/1, then {chat_id: []}', async () => {
      const s = await api().createSession(moonshotBody);
      for (const query of ['', '?include_history=false', '?include_history=0']) {
        const res = await api().call('GET', `/v1/sessions/${s.session_id}${query}`);
        assertJson(res, 200);
        assert.deepEqual(Object.keys(res.json as object), ['session']);
        assert.deepEqual(res.json, { session: s }, query);
        assert.match(res.text, /"created_epoch":\d+\.\d+[,}]/);
      }
      for (const query of ['?include_history=true', '?include_history=1']) {
        const res = await api().call('GET', `/v1/sessions/${s.session_id}${query}`);
        assertJson(res, 200);
        const got = (res.json as { session: Session }).session;
        assert.deepEqual(Object.keys(got), SESSION_KEYS);
        assert.deepEqual(got, { ...s, chat_history: { [s.chat_ids[0]!]: [], [s.chat_ids[1]!]: [] } }, query);
      }
      const bad = assertError(await api().call('GET', `/v1/sessions/${s.session_id}?include_history=maybe`), 422);
      assertIssueAt(bad, ['query', 'include_history']);
    });

    it("POST /v1/sessions/{id}/prompt answers every chat's whole history of records shaped as Moonshot's; ?history=new only the " +
      'new ones', async () => {
      const s = await api().createSession(moonshotBody);
      const sentAt = Math.floor(Date.now() / 1000) * 1000;
      const first = await api().prompt(s.session_id, 'Hello World');
      assert.deepEqual(Object.keys(first), s.chat_ids);
      s.chat_ids.forEach((chatId, i) => {
        const records = first[chatId]!;
        assert.equal(records.length, 1);
        const r = records[0]!;
        // The fake server reports token usage, so `usage` is there, after Moonshot's fields and `error`, then
        // the prompt's id, the attack (none) and the score (none yet).
        assert.deepEqual(Object.keys(r), [...RECORD_KEYS, 'usage', ...RECORD_TAIL]);
        assert.equal(r.chat_record_id, 1);
        assert.equal(r.conn_id, s.endpoints[i]);
        assert.equal(r.context_strategy, '');
        assert.equal(r.prompt_template, '');
        assert.equal(r.prompt, 'Hello World');
        assert.equal(r.prepared_prompt, 'Hello World');
        assert.equal(r.predicted_result, 'echo: Hello World');
        assert.equal(r.error, null);
        assert.match(r.duration, /^\d+(\.\d+)? secs$/);
        const at = parsePromptTime(r.prompt_time).getTime();
        assert.ok(at >= sentAt && at <= Date.now(), `prompt_time ${r.prompt_time} is not the time of the prompt`);
        assert.deepEqual(r.usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
        assert.equal(r.attack_module, '');
        assert.equal(r.metric, null);
      });

      const second = await api().prompt(s.session_id, 'Second');
      assert.deepEqual(Object.keys(second), s.chat_ids);
      for (const chatId of s.chat_ids) {
        assert.deepEqual(
          second[chatId]!.map((r) => r.chat_record_id),
          [1, 2],
        );
        assert.deepEqual(
          second[chatId]!.map((r) => r.prompt),
          ['Hello World', 'Second'],
        );
        assert.deepEqual(second[chatId]![0], first[chatId]![0]);
      }

      const third = await api().prompt(s.session_id, 'Third', '?history=new');
      assert.deepEqual(Object.keys(third), s.chat_ids);
      for (const chatId of s.chat_ids) {
        assert.equal(third[chatId]!.length, 1);
        assert.equal(third[chatId]![0]!.chat_record_id, 3);
        assert.equal(third[chatId]![0]!.predicted_result, 'echo: Third');
      }
      const all = await api().prompt(s.session_id, 'Fourth', '?history=all');
      for (const chatId of s.chat_ids)
        assert.deepEqual(
          all[chatId]!.map((r) => r.chat_record_id),
          [1, 2, 3, 4],
        );

      // What the prompt answered is what is stored.
      assert.deepEqual((await api().session(s.session_id, true)).chat_history, all);
    });

    it('a record has no `usage` key when the endpoint reported none (echo)', async () => {
      const s = await api().createSession({ name: 'Echo only', endpoints: ['echo'] });
      const made = await api().prompt(s.session_id, 'Hi there');
      const r = made[s.chat_ids[0]!]![0]!;
      assert.deepEqual(Object.keys(r), [...RECORD_KEYS, ...RECORD_TAIL]);
      assert.equal(r.predicted_result, 'Hi there');
      assert.equal(r.conn_id, 'echo');
    });

    it('?history=bogus is a 422 that sends nothing to any endpoint and stores nothing', async () => {
      const s = await api().createSession(moonshotBody);
      const calls = fake.requests.length;
      const body = await api().expectRejected(
        'POST',
        `/v1/sessions/${s.session_id}/prompt?history=bogus`,
        { body: { prompt: 'Hello World' } },
        422,
      );
      assertIssueAt(body, ['query', 'history']);
      assert.equal(fake.requests.length, calls, 'no model was called');
    });
  });

  describe('other routes', () => {
    const api = useApi(standard);

    it('GET / answers without a token (and with a wrong one)', async () => {
      for (const token of [null, 'wrong']) {
        const res = await api().call('GET', '/', { token });
        assertJson(res, 200);
        assert.deepEqual(res.json, { status: 'web api is up and running' });
      }
    });

    it('GET /v1/sessions/name lists the session ids, newest first', async () => {
      const a = await api().createSession({ name: 'Names A', endpoints: ['echo'] });
      await clockPast(a.created_epoch);
      const b = await api().createSession({ name: 'Names B', endpoints: ['echo'] });
      const res = await api().call('GET', '/v1/sessions/name');
      assertJson(res, 200);
      const ids = res.json as string[];
      assert.deepEqual(ids, (await api().list()).map((s) => s.session_id));
      assert.ok(ids.indexOf(b.session_id) >= 0 && ids.indexOf(b.session_id) < ids.indexOf(a.session_id));
    });

    it('DELETE /v1/sessions/{id} answers {"success": true}, removes every file, and the session is 404 afterwards', async () => {
      const s = await api().createSession({ name: 'Doomed', endpoints: ['echo', 'openaigpt4test1'] });
      await api().prompt(s.session_id, 'leave a trace');
      const folder = join(api().dir, 'sessions', s.session_id);
      assert.deepEqual((await fs.readdir(folder)).sort(), [...s.chat_ids.map((c) => `${c}.jsonl`), 'session.json'].sort());

      const res = await api().call('DELETE', `/v1/sessions/${s.session_id}`);
      assertJson(res, 200);
      assert.deepEqual(res.json, { success: true });
      assert.equal(existsSync(folder), false, 'the session folder is gone');
      assert.deepEqual(
        (await fs.readdir(join(api().dir, 'sessions'))).filter((n) => n.includes(s.session_id)),
        [],
        'nothing of it is left (no trash)',
      );

      assertError(await api().call('GET', `/v1/sessions/${s.session_id}`), 404, 'Session not found');
      assertError(await api().call('GET', `/v1/sessions/${s.session_id}?include_history=true`), 404, 'Session not found');
      assertError(await api().call('DELETE', `/v1/sessions/${s.session_id}`), 404, 'Session not found');
      assertError(await api().call('POST', `/v1/sessions/${s.session_id}/prompt`, { body: { prompt: 'x' } }), 404, 'Session not found');
      assertError(await api().call('PUT', `/v1/sessions/${s.session_id}/prompt_templates/qa`), 404, 'Session not found');
      assert.equal((await api().list()).some((x) => x.session_id === s.session_id), false);
      assert.equal(((await api().call('GET', '/v1/sessions/name')).json as string[]).includes(s.session_id), false);
      assert.equal(existsSync(folder), false, 'the refused calls did not recreate it');
    });

    it('PUT/DELETE /v1/sessions/{id}/prompt_templates/{name}: sets, applies, refuses unknown names (404), ignores other names on ' +
      'DELETE', async () => {
      const s = await api().createSession({ name: 'Templated', endpoints: ['echo'] });
      const put = await api().call('PUT', `/v1/sessions/${s.session_id}/prompt_templates/qa`);
      assertJson(put, 200);
      assert.deepEqual(put.json, { success: true });
      assert.equal((await api().session(s.session_id)).prompt_template, 'qa');

      const r = (await api().prompt(s.session_id, 'hi', '?history=new'))[s.chat_ids[0]!]![0]!;
      assert.equal(r.prepared_prompt, 'Q: hi\nA:');
      assert.equal(r.predicted_result, 'Q: hi\nA:');
      assert.equal(r.prompt_template, 'qa');
      assert.equal(r.prompt, 'hi');

      await api().expectRejected('PUT', `/v1/sessions/${s.session_id}/prompt_templates/nope`, {}, 404, /nope/);
      assert.equal((await api().session(s.session_id)).prompt_template, 'qa');

      // DELETE of a name that is not the current one: success, nothing changes (a stray body is ignored).
      const before = await snapshot(api().dir);
      const other = await api().call('DELETE', `/v1/sessions/${s.session_id}/prompt_templates/shout`, { raw: 'ignored' });
      assertJson(other, 200);
      assert.deepEqual(other.json, { success: true });
      assert.equal((await api().session(s.session_id)).prompt_template, 'qa');
      assert.deepEqual(await snapshot(api().dir), before);

      const del = await api().call('DELETE', `/v1/sessions/${s.session_id}/prompt_templates/qa`);
      assertJson(del, 200);
      assert.deepEqual(del.json, { success: true });
      assert.equal((await api().session(s.session_id)).prompt_template, null);
      const again = await api().call('DELETE', `/v1/sessions/${s.session_id}/prompt_templates/qa`);
      assert.deepEqual(again.json, { success: true });
      const plain = (await api().prompt(s.session_id, 'plain', '?history=new'))[s.chat_ids[0]!]![0]!;
      assert.equal(plain.prepared_prompt, 'plain');
      assert.equal(plain.prompt_template, '');
    });

    it('PUT/DELETE /v1/sessions/{id}/context_strategies/{name}: ?num_of_prev_prompts=3 is honoured, unknown names are 404', async () => {
      const s = await api().createSession({ name: 'Strategic', endpoints: ['echo'] });
      for (const p of ['p1', 'p2', 'p3', 'p4']) await api().prompt(s.session_id, p);
      const put = await api().call('PUT', `/v1/sessions/${s.session_id}/context_strategies/add_previous_prompt?num_of_prev_prompts=3`);
      assertJson(put, 200);
      assert.deepEqual(put.json, { success: true });
      assert.equal((await api().session(s.session_id)).context_strategy, 'add_previous_prompt');

      const r = (await api().prompt(s.session_id, 'p5', '?history=new'))[s.chat_ids[0]!]![0]!;
      // Moonshot's add_previous_prompt: the prompt, then the last 3 prepared prompts newest first, each followed by "\n".
      assert.equal(r.prepared_prompt, 'p5p4\np3\np2\n');
      assert.equal(r.context_strategy, 'add_previous_prompt');
      assert.equal(r.chat_record_id, 5);

      await api().expectRejected('PUT', `/v1/sessions/${s.session_id}/context_strategies/nope`, {}, 404, /nope/);
      for (const n of ['0', '-1', 'abc', '1.5']) {
        const body = await api().expectRejected(
          'PUT',
          `/v1/sessions/${s.session_id}/context_strategies/conversation?num_of_prev_prompts=${n}`,
          {},
          422,
        );
        assertIssueAt(body, ['query', 'num_of_prev_prompts']);
      }
      assert.equal((await api().session(s.session_id)).context_strategy, 'add_previous_prompt');

      const before = await snapshot(api().dir);
      const other = await api().call('DELETE', `/v1/sessions/${s.session_id}/context_strategies/conversation`);
      assertJson(other, 200);
      assert.deepEqual(other.json, { success: true });
      assert.equal((await api().session(s.session_id)).context_strategy, 'add_previous_prompt');
      assert.deepEqual(await snapshot(api().dir), before);

      const del = await api().call('DELETE', `/v1/sessions/${s.session_id}/context_strategies/add_previous_prompt`);
      assert.deepEqual(del.json, { success: true });
      assert.equal((await api().session(s.session_id)).context_strategy, null);
      const plain = (await api().prompt(s.session_id, 'p6', '?history=new'))[s.chat_ids[0]!]![0]!;
      assert.equal(plain.prepared_prompt, 'p6');
      assert.equal(plain.context_strategy, '');
    });

    it('GET /v1/prompt_templates lists {name, description, template}', async () => {
      const res = await api().call('GET', '/v1/prompt_templates');
      assertJson(res, 200);
      assert.deepEqual(res.json, [
        { name: 'qa', description: 'Question and answer', template: 'Q: {{ prompt }}\nA:' },
        { name: 'shout', description: 'Loud', template: '{{ prompt }}!!!' },
      ]);
    });

    it('GET /v1/context_strategies: names as Moonshot Gen-1; ?detail=true: objects', async () => {
      for (const query of ['', '?detail=false']) {
        const res = await api().call('GET', `/v1/context_strategies${query}`);
        assertJson(res, 200);
        assert.deepEqual(res.json, ['add_previous_prompt', 'conversation']);
      }
      const detail = await api().call('GET', '/v1/context_strategies?detail=true');
      assertJson(detail, 200);
      const items = detail.json as { name: string; description: string }[];
      assert.deepEqual(items.map((i) => i.name), ['add_previous_prompt', 'conversation']);
      for (const item of items) {
        assert.deepEqual(Object.keys(item), ['name', 'description']);
        assert.equal(typeof item.description, 'string');
        assert.ok(item.description.length > 0);
      }
      assertIssueAt(assertError(await api().call('GET', '/v1/context_strategies?detail=maybe'), 422), ['query', 'detail']);
    });

    it('GET /v1/connectors lists the connector types this build can call', async () => {
      const res = await api().call('GET', '/v1/connectors');
      assertJson(res, 200);
      const types = res.json as string[];
      assert.ok(Array.isArray(types));
      for (const t of types) assert.equal(typeof t, 'string');
      for (const t of ['openai-connector', 'azure-openai-connector', 'echo']) assert.ok(types.includes(t), t);
      assert.equal(types.includes('amazon-bedrock-connector'), false);
    });

    it('GET /v1/llm_endpoints lists every endpoint with Moonshot\'s fields; tokens are "****" or "", never the secret', async () => {
      const res = await api().call('GET', '/v1/llm_endpoints');
      assertJson(res, 200);
      const list = res.json as EndpointView[];
      assert.equal(res.text.includes('sk-secret'), false, 'a secret token was returned');
      const byId = new Map(list.map((e) => [e.id, e]));
      for (const id of ['echo', 'openaigpt35turbotest1', 'openaigpt4test1', 'broken', 'stuck', 'jittery', 'bedrock', 'e1', 'e21'])
        assert.ok(byId.has(id), id);
      for (const e of list) {
        const keys = Object.keys(e);
        assert.deepEqual(keys, e.supported ? ENDPOINT_KEYS : [...ENDPOINT_KEYS, 'unsupported_reason'], e.id);
        assert.ok(e.token === '****' || e.token === '', `${e.id}: token ${JSON.stringify(e.token)}`);
        assert.equal(typeof e.params, 'object');
        assert.equal(typeof e.max_calls_per_second, 'number');
        assert.match(e.created_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      }
      assert.equal(byId.get('openaigpt4test1')!.token, '****');
      assert.equal(byId.get('echo')!.token, '');
      assert.equal(byId.get('echo')!.supported, true);
      assert.equal(byId.get('openaigpt4test1')!.model, 'gpt-4');
      const bedrock = byId.get('bedrock')!;
      assert.equal(bedrock.supported, false);
      assert.match(bedrock.unsupported_reason!, /amazon-bedrock-connector/);

      const one = await api().call('GET', '/v1/llm_endpoints/openaigpt4test1');
      assertJson(one, 200);
      assert.deepEqual(one.json, byId.get('openaigpt4test1'));
      assert.equal(one.text.includes('sk-secret'), false);
      assertError(await api().call('GET', '/v1/llm_endpoints/nope'), 404);
    });

    it('POST /v1/llm_endpoints takes what Moonshot\'s web UI sends (numeric strings, params ""); the token is kept, never ' +
      'returned', async () => {
      const secret = 'sk-web-ui-secret-1234';
      const body = {
        name: 'My Local Model',
        connector_type: 'openai-connector',
        uri: fake.url,
        token: secret,
        max_calls_per_second: '10',
        max_concurrency: '2',
        model: 'gpt-local',
        params: '',
      };
      const res = await api().call('POST', '/v1/llm_endpoints', { body });
      assertJson(res, 200);
      assert.equal(res.text.includes(secret), false);
      const e = res.json as EndpointView;
      assert.deepEqual(Object.keys(e), ENDPOINT_KEYS);
      assert.equal(e.id, 'my-local-model');
      assert.equal(e.name, 'My Local Model');
      assert.equal(e.connector_type, 'openai-connector');
      assert.equal(e.uri, fake.url);
      assert.equal(e.token, '****');
      assert.equal(e.max_calls_per_second, 10);
      assert.equal(e.max_concurrency, 2);
      assert.equal(e.model, 'gpt-local');
      assert.deepEqual(e.params, {});
      assert.equal(e.supported, true);
      assert.match(e.created_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

      const got = await api().call('GET', '/v1/llm_endpoints/my-local-model');
      assert.deepEqual(got.json, e);
      const list = await api().call('GET', '/v1/llm_endpoints');
      assert.deepEqual(
        (list.json as EndpointView[]).find((x) => x.id === 'my-local-model'),
        e,
      );
      assert.equal(list.text.includes(secret), false);
      for (const [path, hash] of Object.entries(await snapshot(api().dir))) {
        if (hash !== 'dir') assert.equal(readFileSync(join(api().dir, path), 'utf8').includes(secret), false, `${path} holds the secret`);
      }

      // It works in a session, and its token reaches the model server.
      const s = await api().createSession({ name: 'Uses local', endpoints: ['my-local-model'] });
      const r = (await api().prompt(s.session_id, 'ping'))[s.chat_ids[0]!]![0]!;
      assert.equal(r.error, null);
      assert.equal(r.predicted_result, 'echo: ping');
      assert.equal(fake.requests.filter((q) => q.model === 'gpt-local').at(-1)?.headers.authorization, `Bearer ${secret}`);

      // The model given as params.model, no token.
      const viaParams = await api().call('POST', '/v1/llm_endpoints', {
        body: {
          name: 'Params Model',
          connector_type: 'openai-connector',
          uri: fake.url,
          token: '',
          max_calls_per_second: 5,
          max_concurrency: '1',
          params: { model: 'from-params', temperature: 0.5 },
        },
      });
      assertJson(viaParams, 200);
      const p = viaParams.json as EndpointView;
      assert.equal(p.id, 'params-model');
      assert.equal(p.model, 'from-params');
      assert.deepEqual(p.params, { temperature: 0.5 });
      assert.equal(p.token, '');
    });

    it('POST /v1/llm_endpoints refuses a taken name (409), an unsupported connector type (422 naming it) and bad numbers (422), storing ' +
      'nothing', async () => {
      const base = {
        name: 'Taken Name',
        connector_type: 'openai-connector',
        uri: fake.url,
        token: 't',
        max_calls_per_second: '1',
        max_concurrency: '1',
        params: '',
      };
      assertJson(await api().call('POST', '/v1/llm_endpoints', { body: base }), 200);
      await api().expectRejected('POST', '/v1/llm_endpoints', { body: base }, 409);
      await api().expectRejected('POST', '/v1/llm_endpoints', { body: { ...base, name: 'taken name' } }, 409);
      await api().expectRejected('POST', '/v1/llm_endpoints', { body: { ...base, name: 'openaigpt4test1' } }, 409);
      await api().expectRejected('POST', '/v1/llm_endpoints', { body: { ...base, name: 'Echo (offline)' } }, 409);

      const unsupported = await api().expectRejected(
        'POST',
        '/v1/llm_endpoints',
        { body: { ...base, name: 'Titan', connector_type: 'amazon-bedrock-connector' } },
        422,
        /amazon-bedrock-connector/,
      );
      assertIssueAt(unsupported, ['body', 'connector_type']);
      for (const [field, value] of [
        ['max_calls_per_second', '0'],
        ['max_calls_per_second', -1],
        ['max_calls_per_second', 'abc'],
        ['max_concurrency', 0],
        ['max_concurrency', ''],
      ] as const) {
        const body = await api().expectRejected(
          'POST',
          '/v1/llm_endpoints',
          { body: { ...base, name: `Fresh ${field}`, [field]: value } },
          422,
        );
        assertIssueAt(body, ['body', field]);
      }
      for (const [label, body, loc] of [
        ['name missing', { connector_type: 'openai-connector' }, ['body', 'name']],
        ['name empty', { ...base, name: '  ' }, ['body', 'name']],
        ['connector_type missing', { name: 'No Type' }, ['body', 'connector_type']],
        ['params not an object', { ...base, name: 'Bad Params', params: 42 }, ['body', 'params']],
        ['body an array', [base], ['body']],
      ] as const) {
        const err = await api().expectRejected('POST', '/v1/llm_endpoints', { body }, 422);
        assertIssueAt(err, [...loc]);
        assert.ok(err.detail.length > 0, label);
      }
    });

    it('PUT/DELETE /v1/llm_endpoints/{id}: change fields and token of an API endpoint; refuse what cannot be changed', async () => {
      const created = await api().call('POST', '/v1/llm_endpoints', {
        body: {
          name: 'Changeable',
          connector_type: 'openai-connector',
          uri: fake.url,
          token: '',
          max_calls_per_second: '1',
          max_concurrency: '1',
          params: '',
        },
      });
      assertJson(created, 200);
      const put = await api().call('PUT', '/v1/llm_endpoints/changeable', {
        body: { max_concurrency: '4', token: 'sk-new-secret', params: { temperature: 0 } },
      });
      assertJson(put, 200);
      assert.deepEqual(put.json, { success: true });
      const after = await api().call('GET', '/v1/llm_endpoints/changeable');
      const e = after.json as EndpointView;
      assert.equal(e.max_concurrency, 4);
      assert.equal(e.token, '****');
      assert.deepEqual(e.params, { temperature: 0 });
      assert.equal(after.text.includes('sk-new-secret'), false);
      assert.deepEqual((await api().call('PUT', '/v1/llm_endpoints/changeable', { body: { token: '' } })).json, { success: true });
      assert.equal(((await api().call('GET', '/v1/llm_endpoints/changeable')).json as EndpointView).token, '');

      await api().expectRejected('PUT', '/v1/llm_endpoints/changeable', { body: { max_calls_per_second: 0 } }, 422);
      await api().expectRejected(
        'PUT',
        '/v1/llm_endpoints/changeable',
        { body: { connector_type: 'amazon-bedrock-connector' } },
        422,
        /amazon-bedrock-connector/,
      );
      await api().expectRejected('PUT', '/v1/llm_endpoints/changeable', { body: { name: 'openaigpt4test1' } }, 409);
      await api().expectRejected('PUT', '/v1/llm_endpoints/nope', { body: { token: 'x' } }, 404);
      // Endpoints that do not come from the API can only get a token through it.
      await api().expectRejected('PUT', '/v1/llm_endpoints/openaigpt4test1', { body: { uri: 'http://127.0.0.1:1/v1' } }, 409);
      await api().expectRejected('PUT', '/v1/llm_endpoints/echo', { body: { model: 'x' } }, 409);

      const file = join(api().dir, 'endpoints', 'changeable.json');
      assert.equal(existsSync(file), true);
      const del = await api().call('DELETE', '/v1/llm_endpoints/changeable');
      assertJson(del, 200);
      assert.deepEqual(del.json, { success: true });
      assert.equal(existsSync(file), false);
      assertError(await api().call('GET', '/v1/llm_endpoints/changeable'), 404);
      await api().expectRejected('DELETE', '/v1/llm_endpoints/changeable', {}, 404);
      await api().expectRejected('DELETE', '/v1/llm_endpoints/echo', {}, 409);
      await api().expectRejected('DELETE', '/v1/llm_endpoints/openaigpt4test1', {}, 409);
    });

    it('GET /v1/openapi.json is OpenAPI 3.1 and lists every route of API.md with its methods and query parameters', async () => {
      const res = await api().call('GET', '/v1/openapi.json');
      assertJson(res, 200);
      const doc = res.json as {
        openapi: string;
        paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; security?: unknown[] }>>;
      };
      assert.match(doc.openapi, /^3\.1\.\d+$/);
      const expected: Record<string, string[]> = {
        '/': ['get'],
        '/v1/sessions': ['get', 'post'],
        '/v1/sessions/name': ['get'],
        '/v1/sessions/{session_id}': ['delete', 'get'],
        '/v1/sessions/{session_id}/prompt': ['post'],
        '/v1/sessions/{session_id}/prompt_templates/{name}': ['delete', 'put'],
        '/v1/sessions/{session_id}/context_strategies/{name}': ['delete', 'put'],
        '/v1/prompt_templates': ['get'],
        '/v1/context_strategies': ['get'],
        '/v1/connectors': ['get'],
        '/v1/llm_endpoints': ['get', 'post'],
        '/v1/llm_endpoints/{endpoint_id}': ['delete', 'get', 'put'],
        '/v1/openapi.json': ['get'],
        // The red-teaming routes (their own tests: redTeamApi.test.ts, eventStream.test.ts).
        '/v1/attack_modules': ['get'],
        '/v1/metrics': ['get'],
        '/v1/sessions/{session_id}/attacks': ['get', 'post'],
        '/v1/sessions/{session_id}/attacks/{attack_id}': ['delete', 'get'],
        '/v1/sessions/{session_id}/metrics': ['get'],
        '/v1/sessions/{session_id}/metrics/{name}': ['delete', 'put'],
        '/v1/sessions/{session_id}/score': ['post'],
        '/v1/sessions/{session_id}/summary': ['get'],
        '/v1/bookmarks': ['delete', 'get', 'post'],
        '/v1/bookmarks/export': ['get'],
        '/v1/events': ['get'],
        // The dataset run routes (their own tests: runApi.test.ts).
        '/v1/datasets': ['get'],
        '/v1/loops': ['get'],
        '/v1/runs': ['get', 'post'],
        '/v1/runs/{run_id}': ['delete', 'get'],
        '/v1/runs/{run_id}/results': ['get'],
        '/v1/runs/{run_id}/compare': ['get'],
        '/v1/runs/{run_id}/resume': ['post'],
      };
      assert.deepEqual(Object.keys(doc.paths).sort(), Object.keys(expected).sort());
      for (const [path, methods] of Object.entries(expected)) assert.deepEqual(Object.keys(doc.paths[path]!).sort(), methods, path);
      const queryOf = (path: string, method: string) =>
        (doc.paths[path]![method]!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      assert.deepEqual(queryOf('/v1/sessions/{session_id}', 'get'), ['include_history']);
      assert.deepEqual(queryOf('/v1/sessions/{session_id}/prompt', 'post'), ['history']);
      assert.deepEqual(queryOf('/v1/sessions/{session_id}/context_strategies/{name}', 'put'), ['num_of_prev_prompts']);
      assert.deepEqual(queryOf('/v1/context_strategies', 'get'), ['detail']);
      assert.deepEqual(doc.paths['/']!.get!.security, [], 'GET / needs no token');
    });
  });

  describe('bad input: status, JSON error body, nothing stored', () => {
    const api = useApi(standard);
    let target: Session;

    before(async () => {
      target = await api().createSession({ name: 'Target', endpoints: ['echo', 'openaigpt4test1'] });
      await api().prompt(target.session_id, 'the only prompt');
    });

    const validSession = { name: 'Valid', description: 'ok', endpoints: ['echo'] };

    describe('body parsing and size', () => {
      it('a request too malformed to parse still gets a JSON 400', async () => {
        const answer = await sendRawSocket(api().port, 'GARBAGE\r\n\r\n');
        assert.match(answer, /^HTTP\/1\.1 400 /);
        assert.match(answer, /Content-Type: application\/json; charset=utf-8/);
        assert.deepEqual(Object.keys(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))), ['detail']);
      });

      it('a PUT of an endpoint without a body changes nothing and succeeds', async () => {
        const before = await api().call('GET', '/v1/llm_endpoints/echo');
        const res = await api().call('PUT', '/v1/llm_endpoints/echo', { raw: '' });
        assertJson(res, 200);
        assert.deepEqual(res.json, { success: true });
        assert.deepEqual((await api().call('GET', '/v1/llm_endpoints/echo')).json, before.json);
      });

      it('invalid JSON -> 400 {"detail": "Request body is not valid JSON"} on every route that takes a body', async () => {
        const routes: [string, () => string][] = [
          ['POST', () => '/v1/sessions'],
          ['POST', () => `/v1/sessions/${target.session_id}/prompt`],
          ['POST', () => '/v1/llm_endpoints'],
          ['PUT', () => '/v1/llm_endpoints/openaigpt4test1'],
        ];
        const before = await api().state();
        for (const [method, path] of routes) {
          for (const raw of ['{"name": "x",', 'not json', "{'prompt': 'single quotes'}", '{"prompt": "x"} trailing', '\u0000']) {
            const res = await api().call(method, path(), { raw });
            assertJson(res, 400);
            assert.deepEqual(res.json, { detail: 'Request body is not valid JSON' }, `${method} ${path()} ${JSON.stringify(raw)}`);
          }
        }
        assert.deepEqual(await api().state(), before);
        await api().expectRejected(
          'POST',
          '/v1/sessions',
          { raw: '{"name": "Valid", "endpoints": ["echo"]' },
          400,
          'Request body is not valid JSON',
        );
        await api().expectRejected(
          'POST',
          `/v1/sessions/${target.session_id}/prompt`,
          { raw: '{"prompt": "Hello' },
          400,
          'Request body is not valid JSON',
        );
      });

      it('an empty body -> 400 (no bytes, only white space, no body at all)', async () => {
        await api().expectRejected('POST', '/v1/sessions', { raw: '' }, 400);
        await api().expectRejected('POST', '/v1/sessions', { raw: '  \r\n\t ' }, 400);
        await api().expectRejected('POST', `/v1/sessions/${target.session_id}/prompt`, { raw: '' }, 400);
        // No Content-Length, no Content-Type, nothing.
        await api().expectRejected('POST', '/v1/sessions', {}, 400);
      });

      it('a body over 1 MiB -> 413, announced with Content-Length', async () => {
        const before = await api().state();
        for (const path of ['/v1/sessions', `/v1/sessions/${target.session_id}/prompt`]) {
          const res = await sendLarge(api().port, path, 2 * MiB, 'length');
          assertError(res, 413);
          const edge = await sendLarge(api().port, path, MiB + 1, 'length');
          assertError(edge, 413);
        }
        assert.deepEqual(await api().state(), before);
      });

      it('a body over 1 MiB -> 413, sent chunked without Content-Length', async () => {
        const before = await api().state();
        for (const path of ['/v1/sessions', `/v1/sessions/${target.session_id}/prompt`]) {
          const res = await sendLarge(api().port, path, 3 * MiB, 'chunked');
          assertError(res, 413);
        }
        // A route that takes no body still refuses a huge one.
        assertError(await sendLarge(api().port, '/v1/sessions', 2 * MiB, 'chunked', 'GET'), 413);
        assert.deepEqual(await api().state(), before);
      });

      it('a kept-alive connection stays usable after error answers, unread bodies included', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const sockets = new Set<net.Socket>();
        try {
          const via = { agent, sockets };
          assertError(await api().call('POST', '/v1/sessions', { ...via, raw: '{"oops' }), 400);
          assertError(await api().call('POST', '/v1/sessions', { ...via, body: validSession, token: 'wrong' }), 401);
          assertError(await api().call('POST', '/v1/nope', { ...via, body: { big: 'x'.repeat(100_000) } }), 404);
          assertError(await api().call('POST', '/v1/sessions', { ...via, body: { name: '' } }), 422);
          assertError(await api().call('PATCH', '/v1/sessions', { ...via, body: validSession }), 405);
          const ok = await api().call('GET', '/v1/sessions', via);
          assertJson(ok, 200);
          assert.equal(sockets.size, 1, 'every request went over the one connection');
        } finally {
          agent.destroy();
        }
      });

      it('a body of exactly 1 MiB passes the size check (and its too-long prompt is a 422)', async () => {
        const overhead = JSON.stringify({ prompt: '' }).length;
        const raw = JSON.stringify({ prompt: 'a'.repeat(MiB - overhead) });
        assert.equal(Buffer.byteLength(raw), MiB);
        const body = await api().expectRejected('POST', `/v1/sessions/${target.session_id}/prompt`, { raw }, 422);
        assertIssueAt(body, ['body', 'prompt']);
      });
    });

    describe('token, Host and Origin guards', () => {
      it('a missing or wrong token -> 401 with WWW-Authenticate, and nothing is stored', async () => {
        const cases: [string, Record<string, string>, string | null][] = [
          ['no Authorization', {}, null],
          ['wrong token', {}, 'wrong-token'],
          ['token with a suffix', {}, `${TOKEN}x`],
          ['empty bearer', { authorization: 'Bearer ' }, null],
          ['Basic scheme', { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` }, null],
          ['token without scheme', { authorization: TOKEN }, null],
        ];
        for (const [label, headers, token] of cases) {
          for (const [method, path, body] of [
            ['GET', '/v1/sessions', undefined],
            ['POST', '/v1/sessions', validSession],
            ['POST', `/v1/sessions/${target.session_id}/prompt`, { prompt: 'x' }],
            ['DELETE', `/v1/sessions/${target.session_id}`, undefined],
            ['GET', '/v1/openapi.json', undefined],
            ['GET', '/v1/nope', undefined],
          ] as const) {
            const before = await api().state();
            const res = await api().call(method, path, { token, headers, body });
            assertError(res, 401);
            assert.equal(res.headers['www-authenticate'], 'Bearer', label);
            assert.deepEqual(await api().state(), before, `${label}: ${method} ${path}`);
          }
        }
        // The token in the query string is not a token.
        await api().expectRejected('GET', `/v1/sessions?token=${TOKEN}`, { token: null }, 401);
      });

      it('a Host header other than loopback:<port> -> 403, and nothing is stored', async () => {
        const port = api().port;
        const otherPort = fake.port;
        for (const host of [
          `evil.example:${port}`,
          `127.0.0.1:${otherPort}`,
          `localhost:${otherPort}`,
          'evil.example',
          '127.0.0.1',
          'localhost',
          `127.0.0.2:${port}`,
          `attacker.localhost:${port}`,
          `[::1]:${otherPort}`,
          `192.168.1.1:${port}`,
        ]) {
          await api().expectRejected('POST', '/v1/sessions', { body: validSession, headers: { host } }, 403);
          const health = await api().call('GET', '/', { headers: { host } });
          assertError(health, 403);
        }
      });

      it('Host 127.0.0.1, localhost, [::1] and 0.0.0.0 with the right port pass', async () => {
        const port = api().port;
        for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `0.0.0.0:${port}`, `LOCALHOST:${port}`]) {
          const res = await api().call('GET', '/v1/sessions', { headers: { host } });
          assertJson(res, 200);
          assert.ok(Array.isArray(res.json), host);
        }
      });

      it('a request without a Host header (HTTP/1.0) -> 403', async () => {
        const answer = await sendRawSocket(api().port, `GET /v1/sessions HTTP/1.0\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
        assert.match(answer, /^HTTP\/1\.[01] 403 /);
        assert.match(answer, /content-type: application\/json; charset=utf-8/i);
        const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as ErrorBody;
        assert.equal(typeof json.detail, 'string');
      });

      it('an Origin that is not allow-listed -> 403 without CORS headers; no CORS headers without an Origin', async () => {
        for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${api().port}`, 'http://localhost:3000']) {
          await api().expectRejected('POST', '/v1/sessions', { body: validSession, headers: { origin } }, 403, /Origin/);
          const res = await api().call('GET', '/', { headers: { origin } });
          assertError(res, 403);
          assertNoCorsHeaders(res);
          const preflight = await api().call('OPTIONS', '/v1/sessions', {
            token: null,
            headers: { origin, 'access-control-request-method': 'POST' },
          });
          assertError(preflight, 403);
          assertNoCorsHeaders(preflight);
        }
        const plain = await api().call('GET', '/v1/sessions');
        assertJson(plain, 200);
        assertNoCorsHeaders(plain);
        assertNoCorsHeaders(await api().call('GET', '/v1/nope'));
        assertNoCorsHeaders(await api().call('GET', '/v1/sessions', { token: null }));
      });
    });

    describe('routes and methods', () => {
      it('an unknown route -> 404 with a detail', async () => {
        for (const path of [
          '/v1/nope',
          '/v2/sessions',
          '/v1/sessions/x/y/z',
          '/v1/sessions/x/prompt/extra',
          '/v1/llm_endpoints/a/b',
          '/favicon.ico',
          '/V1/SESSIONS',
        ]) {
          await api().expectRejected('GET', path, {}, 404);
          await api().expectRejected('POST', path, { body: validSession }, 404);
        }
      });

      it('a known path with the wrong method -> 405 with an Allow header', async () => {
        const cases: [string, string, string[]][] = [
          ['PATCH', '/v1/sessions', ['GET', 'POST']],
          ['DELETE', '/v1/sessions', ['GET', 'POST']],
          ['PUT', '/v1/sessions', ['GET', 'POST']],
          ['POST', '/', ['GET']],
          ['DELETE', '/v1/prompt_templates', ['GET']],
          ['POST', '/v1/connectors', ['GET']],
          ['GET', `/v1/sessions/${target.session_id}/prompt`, ['POST']],
          ['PUT', `/v1/sessions/${target.session_id}`, ['GET', 'DELETE']],
          ['POST', `/v1/sessions/${target.session_id}/prompt_templates/qa`, ['PUT', 'DELETE']],
          ['GET', `/v1/sessions/${target.session_id}/context_strategies/conversation`, ['PUT', 'DELETE']],
          ['POST', '/v1/llm_endpoints/echo', ['GET', 'PUT', 'DELETE']],
          ['OPTIONS', '/v1/sessions', ['GET', 'POST']],
        ];
        for (const [method, path, allow] of cases) {
          const before = await api().state();
          const res = await api().call(method, path, method === 'OPTIONS' || method === 'GET' ? {} : { body: validSession });
          assertError(res, 405);
          const header = res.headers.allow;
          assert.ok(typeof header === 'string', `${method} ${path}: no Allow header`);
          assert.deepEqual(header.split(',').map((m) => m.trim()).sort(), [...allow].sort(), `${method} ${path}`);
          assert.deepEqual(await api().state(), before);
        }
      });
    });

    describe('POST /v1/sessions validation -> 422 naming the field', () => {
      const tooMany = Array.from({ length: 21 }, (_, i) => `e${i + 1}`);
      const cases: [string, unknown, (string | number)[], RegExp?][] = [
        ['name missing', { endpoints: ['echo'] }, ['body', 'name']],
        ['name null', { name: null, endpoints: ['echo'] }, ['body', 'name']],
        ['name not a string', { name: 42, endpoints: ['echo'] }, ['body', 'name']],
        ['name empty', { name: '', endpoints: ['echo'] }, ['body', 'name']],
        ['name only white space', { name: ' \t\n ', endpoints: ['echo'] }, ['body', 'name']],
        ['name over 100 characters', { name: 'n'.repeat(101), endpoints: ['echo'] }, ['body', 'name']],
        ['name with an empty slug', { name: '!!!', endpoints: ['echo'] }, ['body', 'name']],
        ['name of letters slugify drops', { name: '日本語', endpoints: ['echo'] }, ['body', 'name']],
        ['description over 1000 characters', { name: 'x', description: 'd'.repeat(1001), endpoints: ['echo'] }, ['body', 'description']],
        ['description not a string', { name: 'x', description: 5, endpoints: ['echo'] }, ['body', 'description']],
        ['endpoints missing', { name: 'x' }, ['body', 'endpoints']],
        ['endpoints empty', { name: 'x', endpoints: [] }, ['body', 'endpoints']],
        ['endpoints not an array', { name: 'x', endpoints: 'echo' }, ['body', 'endpoints']],
        ['endpoints over 20', { name: 'x', endpoints: tooMany }, ['body', 'endpoints']],
        ['endpoints repeated', { name: 'x', endpoints: ['echo', 'e1', 'echo'] }, ['body', 'endpoints']],
        ['endpoint unknown', { name: 'x', endpoints: ['echo', 'no-such-endpoint'] }, ['body', 'endpoints', 1], /no-such-endpoint/],
        ['endpoint id with ".."', { name: 'x', endpoints: ['../../etc/passwd'] }, ['body', 'endpoints', 0]],
        ['endpoint id ".."', { name: 'x', endpoints: ['..'] }, ['body', 'endpoints', 0]],
        ['endpoint not a string', { name: 'x', endpoints: [7] }, ['body', 'endpoints', 0]],
        [
          'endpoint with an unsupported connector',
          { name: 'x', endpoints: ['echo', 'bedrock'] },
          ['body', 'endpoints', 1],
          /amazon-bedrock-connector/,
        ],
        ['unknown prompt_template', { name: 'x', endpoints: ['echo'], prompt_template: 'nope' }, ['body', 'prompt_template'], /nope/],
        ['unknown context_strategy', { name: 'x', endpoints: ['echo'], context_strategy: 'nope' }, ['body', 'context_strategy'], /nope/],
        ['prompt_template not a string', { name: 'x', endpoints: ['echo'], prompt_template: 3 }, ['body', 'prompt_template']],
        ['body a JSON array', [validSession], ['body']],
        ['body a JSON string', 'TestSession1', ['body']],
        ['body JSON null', null, ['body']],
        ['body a number', 42, ['body']],
      ];
      for (const [label, body, loc, detail] of cases) {
        it(label, async () => {
          const err = await api().expectRejected('POST', '/v1/sessions', { raw: JSON.stringify(body) }, 422, detail);
          assertIssueAt(err, loc);
        });
      }

      it('accepts the limits: name of 100 characters, description of 1000, 20 endpoints, ""/null template and strategy', async () => {
        const s = await api().createSession({
          name: `  ${'N'.repeat(100)}  `,
          description: 'd'.repeat(1000),
          endpoints: tooMany.slice(0, 20),
          prompt_template: '',
          context_strategy: null,
        });
        assert.equal(s.name, 'N'.repeat(100));
        assert.equal(s.chat_ids.length, 20);
        assert.equal(s.prompt_template, null);
        assert.equal(s.context_strategy, null);
        const named = await api().createSession({
          name: 'My Session #2',
          endpoints: ['echo'],
          prompt_template: 'qa',
          context_strategy: 'conversation',
        });
        assert.equal(named.session_id, `my-session-2_${named.created_datetime}`);
        assert.equal(named.prompt_template, 'qa');
        assert.equal(named.context_strategy, 'conversation');
      });

      it('409 when a session with the same id exists (same name within one second); the first is kept', async () => {
        for (let attempt = 0; attempt < 5; attempt++) {
          const first = await api().createSession({ name: 'Twice', description: 'first', endpoints: ['echo'] });
          const before = await api().state();
          const res = await api().call('POST', '/v1/sessions', {
            body: { name: 'Twice', description: 'second', endpoints: ['echo', 'e1'] },
          });
          if (res.status === 200) {
            const second = (res.json as { session: Session }).session;
            assert.notEqual(second.session_id, first.session_id, 'a session was created over an existing one');
            // The clock's second ticked over between the two: clean up and try again.
            for (const id of [first.session_id, second.session_id]) assertJson(await api().call('DELETE', `/v1/sessions/${id}`), 200);
            continue;
          }
          assertError(res, 409, /Twice|twice|exists/);
          assert.deepEqual(await api().state(), before, 'the refused create changed nothing');
          assert.deepEqual(await api().session(first.session_id), first);
          return;
        }
        assert.fail('the clock ticked over between the two creates five times in a row');
      });

      it('409 for all but one of concurrent creates of the same name within one second, and the winner is intact', async () => {
        for (let attempt = 0; attempt < 5; attempt++) {
          const results = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              api().call('POST', '/v1/sessions', { body: { name: 'Racer', description: `racer ${i}`, endpoints: ['echo'] } }),
            ),
          );
          const created = results.filter((r) => r.status === 200).map((r) => (r.json as { session: Session }).session);
          const ids = new Set(created.map((s) => s.session_id));
          for (const r of results) if (r.status !== 200) assertError(r, 409);
          if (new Set(created.map((s) => s.created_datetime)).size > 1 || results.every((r) => r.status === 200)) {
            // Spread over two seconds: only different ids may have been created.
            assert.equal(ids.size, created.length, 'two creates answered 200 with the same session id');
            for (const id of ids) assertJson(await api().call('DELETE', `/v1/sessions/${id}`), 200);
            continue;
          }
          assert.equal(
            created.length,
            1,
            `${created.length} creates of one id answered 200: ${created.map((s) => s.description).join(', ')}`,
          );
          const winner = created[0]!;
          assert.deepEqual(await api().session(winner.session_id), winner);
          assertJson(await api().call('DELETE', `/v1/sessions/${winner.session_id}`), 200);
          return;
        }
        assert.fail('the clock ticked over during every attempt');
      });
    });

    describe('POST /v1/sessions/{id}/prompt validation -> 422', () => {
      const cases: [string, unknown, (string | number)[]][] = [
        ['prompt missing', {}, ['body', 'prompt']],
        ['prompt empty', { prompt: '' }, ['body', 'prompt']],
        ['prompt only white space', { prompt: ' \n\t\r ' }, ['body', 'prompt']],
        ['prompt over 100,000 characters', { prompt: 'p'.repeat(100_001) }, ['body', 'prompt']],
        ['prompt a number', { prompt: 42 }, ['body', 'prompt']],
        ['prompt null', { prompt: null }, ['body', 'prompt']],
        ['prompt an array', { prompt: ['Hello'] }, ['body', 'prompt']],
        ['prompt an object', { prompt: { text: 'Hello' } }, ['body', 'prompt']],
        ['body a JSON array', [{ prompt: 'Hello' }], ['body']],
        ['body a JSON string', 'Hello World', ['body']],
        ['body JSON null', null, ['body']],
      ];
      for (const [label, body, loc] of cases) {
        it(label, async () => {
          const calls = fake.requests.length;
          const err = await api().expectRejected('POST', `/v1/sessions/${target.session_id}/prompt`, { raw: JSON.stringify(body) }, 422);
          assertIssueAt(err, loc);
          assert.equal(fake.requests.length, calls, 'no model was called');
        });
      }

      it('accepts a prompt of exactly 100,000 characters', async () => {
        const s = await api().createSession({ name: 'Long prompt', endpoints: ['echo'] });
        const made = await api().prompt(s.session_id, 'q'.repeat(100_000), '?history=new');
        assert.equal(made[s.chat_ids[0]!]![0]!.predicted_result.length, 100_000);
      });

      it('a prompt to an unknown session -> 404 {"detail": "Session not found"}', async () => {
        await api().expectRejected(
          'POST',
          '/v1/sessions/nosuchsession_20240101-000000/prompt',
          { body: { prompt: 'x' } },
          404,
          'Session not found',
        );
        await api().expectRejected('GET', '/v1/sessions/nosuchsession_20240101-000000', {}, 404, 'Session not found');
        await api().expectRejected('DELETE', '/v1/sessions/nosuchsession_20240101-000000', {}, 404, 'Session not found');
        await api().expectRejected(
          'PUT',
          '/v1/sessions/nosuchsession_20240101-000000/context_strategies/conversation',
          {},
          404,
          'Session not found',
        );
        await api().expectRejected(
          'DELETE',
          '/v1/sessions/nosuchsession_20240101-000000/prompt_templates/qa',
          {},
          404,
          'Session not found',
        );
      });
    });

    describe('path ids that fail their pattern', () => {
      // Each must be refused before it reaches the file system; this server answers 422 naming the path parameter.
      for (const raw of ['..%2F..%2Fetc', 'UPPER', '-leading-dash', '_leading', 'a.b', 'a%20b', '%2E%2E%2Fsessions', 'x%00y', 'a%5Cb']) {
        it(`session id "${decodeURIComponent(raw)}"`, async () => {
          for (const [method, suffix, body] of [
            ['GET', '', undefined],
            ['GET', '?include_history=true', undefined],
            ['DELETE', '', undefined],
            ['POST', '/prompt', { prompt: 'x' }],
            ['PUT', '/prompt_templates/qa', undefined],
            ['DELETE', '/context_strategies/conversation', undefined],
          ] as const) {
            const err = await api().expectRejected(method, `/v1/sessions/${raw}${suffix}`, { body }, 422);
            assertIssueAt(err, ['path', 'session_id']);
          }
        });
      }

      for (const raw of ['a..b', '..%2Fsecrets', '..%5C..%5Cx', '.hidden', 'x%2Fy', 'a%20b']) {
        it(`endpoint id "${decodeURIComponent(raw)}"`, async () => {
          for (const [method, body] of [
            ['GET', undefined],
            ['PUT', { token: 'x' }],
            ['DELETE', undefined],
          ] as const) {
            const err = await api().expectRejected(method, `/v1/llm_endpoints/${raw}`, { body }, 422);
            assertIssueAt(err, ['path', 'endpoint_id']);
          }
        });
      }

      it('a path id that is not valid percent-encoding -> 422 naming it', async () => {
        const res = await api().call('GET', '/v1/sessions/%E0%A4%A');
        assertError(res, 422);
        assertIssueAt(res.json as ErrorBody, ['path', 'session_id']);
      });

      it('".." segments are never resolved: no route for a step back, and ".." as an id is a 422 (more in apiPaths.test.ts)', async () => {
        await api().expectRejected('GET', '/v1/sessions/../../../etc/passwd', {}, 404);
        const err = await api().expectRejected('DELETE', '/v1/llm_endpoints/%2e%2e', {}, 422);
        assertIssueAt(err, ['path', 'endpoint_id']);
      });
    });

    it('the server is still up after every bad request', async () => {
      const res = await api().call('GET', '/');
      assertJson(res, 200);
      assert.deepEqual(res.json, { status: 'web api is up and running' });
      const list = await api().list();
      assert.ok(list.some((s) => s.session_id === target.session_id));
      const history = (await api().session(target.session_id, true)).chat_history!;
      for (const chatId of target.chat_ids) assert.deepEqual(history[chatId]!.map((r) => r.prompt), ['the only prompt']);
    });
  });

  describe('CORS with an allow-listed origin', () => {
    const allowed = 'http://localhost:3000';
    const api = useApi(() => ({ ...standard(), allowedOrigins: [allowed] }));

    it('answers an allow-listed Origin with Access-Control-Allow-Origin', async () => {
      const res = await api().call('GET', '/v1/sessions', { headers: { origin: allowed } });
      assertJson(res, 200);
      assert.equal(res.headers['access-control-allow-origin'], allowed);
      assert.match(String(res.headers.vary), /Origin/);
      const created = await api().call('POST', '/v1/sessions', {
        body: { name: 'From the web', endpoints: ['echo'] },
        headers: { origin: allowed },
      });
      assertJson(created, 200);
      assert.equal(created.headers['access-control-allow-origin'], allowed);
    });

    it('answers its CORS preflight OPTIONS with 204 and no token', async () => {
      const res = await api().call('OPTIONS', '/v1/sessions', {
        token: null,
        headers: {
          origin: allowed,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assert.equal(res.headers['access-control-allow-origin'], allowed);
      assert.match(String(res.headers['access-control-allow-methods']), /POST/);
      const allowHeaders = String(res.headers['access-control-allow-headers']).toLowerCase();
      assert.match(allowHeaders, /authorization/);
      assert.match(allowHeaders, /content-type/);
    });

    it('still needs the token from the allowed origin (401 carrying CORS headers so the page can read it)', async () => {
      const res = await api().call('GET', '/v1/sessions', { token: null, headers: { origin: allowed } });
      assertError(res, 401);
      assert.equal(res.headers['access-control-allow-origin'], allowed);
    });

    it('refuses other origins (403, no CORS headers) and sends no CORS headers without an Origin', async () => {
      for (const origin of ['http://evil.example', 'http://localhost:3001', 'https://localhost:3000', 'null']) {
        const res = await api().call('GET', '/v1/sessions', { headers: { origin } });
        assertError(res, 403);
        assertNoCorsHeaders(res);
        const preflight = await api().call('OPTIONS', '/v1/sessions', {
          token: null,
          headers: { origin, 'access-control-request-method': 'POST' },
        });
        assertError(preflight, 403);
        assertNoCorsHeaders(preflight);
      }
      const plain = await api().call('GET', '/v1/sessions');
      assertJson(plain, 200);
      assertNoCorsHeaders(plain);
    });
  });

  describe('prompt behaviour through the API', () => {
    const api = useApi(standard);

    it('one failing endpoint (HTTP 500) never loses the other\'s record', async () => {
      const s = await api().createSession({ name: 'Half broken', endpoints: ['openaigpt4test1', 'broken'] });
      const made = await api().prompt(s.session_id, 'still there?', '?history=new');
      const [good, bad] = s.chat_ids.map((c) => made[c]![0]!);
      assert.equal(good!.error, null);
      assert.equal(good!.predicted_result, 'echo: still there?');
      assert.equal(bad!.predicted_result, '');
      assert.match(bad!.error!, /HTTP 500/);
      assert.equal(bad!.chat_record_id, 1);
      assert.equal(bad!.conn_id, 'broken');
      const stored = (await api().session(s.session_id, true)).chat_history!;
      assert.deepEqual(stored, { [s.chat_ids[0]!]: [good], [s.chat_ids[1]!]: [bad] });
    });

    it('an endpoint that hangs past params.timeout gives a timeout record; the other answers and the server stays up', async () => {
      const s = await api().createSession({ name: 'Hanging', endpoints: ['stuck', 'openaigpt35turbotest1'] });
      const abandoned = fake.nextClosed('hang');
      const made = await api().prompt(s.session_id, 'anyone?', '?history=new');
      const [stuck, ok] = s.chat_ids.map((c) => made[c]![0]!);
      assert.equal(stuck!.predicted_result, '');
      assert.match(stuck!.error!, /timed out/);
      assert.ok(Number.parseFloat(stuck!.duration) >= 0.25, stuck!.duration);
      assert.equal(ok!.error, null);
      assert.equal(ok!.predicted_result, 'echo: anyone?');
      assert.equal((await abandoned).outcome, 'aborted', 'the hanging call was given up');
      assertJson(await api().call('GET', '/'), 200);
    });

    it('a prompt waiting on a slow endpoint does not hold up other requests', async () => {
      const slow = await api().createSession({ name: 'Slow one', endpoints: ['stuck'] });
      const quick = await api().createSession({ name: 'Quick one', endpoints: ['echo'] });
      const arrived = new Promise<void>((resolve) => fake.events.once('request', () => resolve()));
      const pending = api().prompt(slow.session_id, 'wait', '?history=new');
      await arrived;
      assertJson(await api().call('GET', '/'), 200);
      const other = await api().prompt(quick.session_id, 'meanwhile', '?history=new');
      assert.equal(other[quick.chat_ids[0]!]![0]!.predicted_result, 'meanwhile');
      assert.equal(
        (await api().session(slow.session_id, true)).chat_history![slow.chat_ids[0]!]!.length,
        0,
        'the slow prompt is still waiting',
      );
      const made = await pending;
      assert.match(made[slow.chat_ids[0]!]![0]!.error!, /timed out/);
    });

    it('answers 200 for a prompt even when every endpoint failed', async () => {
      const s = await api().createSession({ name: 'All broken', endpoints: ['broken', 'stuck'] });
      const res = await api().call('POST', `/v1/sessions/${s.session_id}/prompt`, { body: { prompt: 'nobody home' } });
      assertJson(res, 200);
      const history = res.json as History;
      assert.deepEqual(Object.keys(history), s.chat_ids);
      for (const chatId of s.chat_ids) {
        const [r] = history[chatId]!;
        assert.equal(r!.predicted_result, '');
        assert.equal(typeof r!.error, 'string');
        assert.ok(r!.error!.length > 0);
      }
    });

    it('20 concurrent prompts to one session get chat_record_id 1..20 in every chat, no gaps, no duplicates', async () => {
      const s = await api().createSession({ name: 'Crowded', endpoints: ['echo', 'jittery'] });
      const prompts = Array.from({ length: 20 }, (_, i) => `c${i + 1}`);
      const answers = await Promise.all(prompts.map((p) => api().prompt(s.session_id, p, '?history=new')));
      const idOf = new Map<string, number>();
      answers.forEach((made, i) => {
        assert.deepEqual(Object.keys(made), s.chat_ids);
        const [a, b] = s.chat_ids.map((c) => made[c]!);
        assert.equal(a!.length, 1);
        assert.equal(b!.length, 1);
        // One prompt makes records with the same id in every chat.
        assert.equal(a![0]!.chat_record_id, b![0]!.chat_record_id);
        assert.equal(a![0]!.prompt, prompts[i]);
        idOf.set(prompts[i]!, a![0]!.chat_record_id);
      });
      assert.deepEqual([...idOf.values()].sort((x, y) => x - y), prompts.map((_, i) => i + 1));
      const stored = (await api().session(s.session_id, true)).chat_history!;
      for (const chatId of s.chat_ids) {
        assert.deepEqual(stored[chatId]!.map((r) => r.chat_record_id), prompts.map((_, i) => i + 1));
        for (const r of stored[chatId]!) assert.equal(idOf.get(r.prompt), r.chat_record_id);
      }
    });
  });

  describe("with Moonshot's own data", function () {
    before(function () {
      requireMoonshotData(this);
    });
    let api: Api | undefined;
    before(async () => {
      api = await startApi({ endpointSources: [{ kind: 'folder', path: ENDPOINTS_DIR }], templateFolders: [TEMPLATES_DIR] });
    });
    after(async () => {
      await api?.stop();
    });
    const moonshot = () => {
      assert.ok(api);
      return api;
    };
    const stems = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => basename(n, '.json')).sort();
    const readEndpointFile = (stem: string) =>
      JSON.parse(readFileSync(join(ENDPOINTS_DIR, `${stem}.json`), 'utf8')) as {
        name: string;
        connector_type: string;
        token?: string | null;
      };

    it("lists all 49 endpoint files (plus echo) with Moonshot's fields, supported or not with a reason", async () => {
      const files = stems(ENDPOINTS_DIR);
      assert.equal(files.length, 49);
      assert.deepEqual(moonshot().core.endpoints.problems, []);
      const res = await moonshot().call('GET', '/v1/llm_endpoints');
      assertJson(res, 200);
      const list = res.json as EndpointView[];
      assert.deepEqual(list.map((e) => e.id).sort(), [...files, 'echo'].sort());
      for (const e of list) {
        if (e.id === 'echo') continue;
        const file = readEndpointFile(e.id);
        assert.deepEqual(Object.keys(e), e.supported ? ENDPOINT_KEYS : [...ENDPOINT_KEYS, 'unsupported_reason'], e.id);
        assert.equal(e.name, file.name);
        assert.equal(e.connector_type, file.connector_type);
        assert.equal(e.token, file.token ? '****' : '', e.id);
        if (file.token) assert.equal(res.text.includes(`"token":${JSON.stringify(file.token)}`), false);
        assert.equal(e.supported, ['openai-connector', 'azure-openai-connector'].includes(file.connector_type), e.id);
        if (!e.supported) assert.ok(e.unsupported_reason!.includes(`"${file.connector_type}"`), `${e.id}: ${e.unsupported_reason}`);
        assert.equal(typeof e.params, 'object');
        assert.equal(typeof e.max_calls_per_second, 'number');
        assert.equal(typeof e.max_concurrency, 'number');
      }
      const dotted = await moonshot().call('GET', '/v1/llm_endpoints/anthropic-claude4.5');
      assertJson(dotted, 200);
      assert.equal((dotted.json as EndpointView).id, 'anthropic-claude4.5');
    });

    it('lists all 28 prompt templates as {name, description, template}', async () => {
      const res = await moonshot().call('GET', '/v1/prompt_templates');
      assertJson(res, 200);
      const list = res.json as { name: string; description: string; template: string }[];
      assert.equal(list.length, 28);
      assert.deepEqual(list.map((t) => t.name).sort(), stems(TEMPLATES_DIR));
      for (const t of list) {
        assert.deepEqual(Object.keys(t), ['name', 'description', 'template'], t.name);
        assert.equal(typeof t.description, 'string');
        assert.equal(typeof t.template, 'string');
      }
    });

    it('uses a Moonshot prompt template, at creation and through PUT', async () => {
      const s = await moonshot().createSession({ name: 'Moonshot template', endpoints: ['echo'], prompt_template: 'answer-template' });
      assert.equal(s.prompt_template, 'answer-template');
      const r = (await moonshot().prompt(s.session_id, 'What is 2+2?'))[s.chat_ids[0]!]![0]!;
      assert.equal(r.prepared_prompt, 'What is 2+2?\nAnswer:');
      assert.equal(r.predicted_result, 'What is 2+2?\nAnswer:');
      assert.equal(r.prompt_template, 'answer-template');
      const other = await moonshot().createSession({ name: 'Moonshot template later', endpoints: ['echo'] });
      assertJson(await moonshot().call('PUT', `/v1/sessions/${other.session_id}/prompt_templates/answer-template`), 200);
      const r2 = (await moonshot().prompt(other.session_id, 'Why?'))[other.chat_ids[0]!]![0]!;
      assert.equal(r2.prepared_prompt, 'Why?\nAnswer:');
    });

    it('refuses a session on an unsupported Moonshot endpoint with a 422 naming the connector type; accepts a supported one', async () => {
      const body = await moonshot().expectRejected(
        'POST',
        '/v1/sessions',
        { body: { name: 'Bedrock', endpoints: ['amazon-bedrock-cohere-command-connector'] } },
        422,
        /amazon-bedrock-connector/,
      );
      assertIssueAt(body, ['body', 'endpoints', 0]);
      await moonshot().expectRejected(
        'POST',
        '/v1/sessions',
        { body: { name: 'Mixed', endpoints: ['openai-gpt4o', 'together-mixtral-8x22b'] } },
        422,
        /together-connector/,
      );
      const s = await moonshot().createSession({ name: 'GPT4o', endpoints: ['openai-gpt4o', 'azure-openai-gpt4o', 'echo'] });
      assert.deepEqual(s.endpoints, ['openai-gpt4o', 'azure-openai-gpt4o', 'echo']);
    });

    it("refuses an endpoint whose name a Moonshot file already has (409); sets a file endpoint's token without touching " +
      'the file', async () => {
      await moonshot().expectRejected(
        'POST',
        '/v1/llm_endpoints',
        {
          body: {
            name: 'My OpenAI GPT4o',
            connector_type: 'openai-connector',
            uri: '',
            token: '',
            max_calls_per_second: '1',
            max_concurrency: '1',
            params: '',
          },
        },
        409,
      );
      const filePath = join(ENDPOINTS_DIR, 'openai-gpt4o.json');
      const before = readFileSync(filePath);
      assertJson(await moonshot().call('PUT', '/v1/llm_endpoints/openai-gpt4o', { body: { token: 'sk-moonshot-file-secret' } }), 200);
      const view = await moonshot().call('GET', '/v1/llm_endpoints/openai-gpt4o');
      assert.equal((view.json as EndpointView).token, '****');
      assert.equal(view.text.includes('sk-moonshot-file-secret'), false);
      await moonshot().expectRejected('PUT', '/v1/llm_endpoints/openai-gpt4o', { body: { uri: 'http://127.0.0.1:1/v1' } }, 409);
      await moonshot().expectRejected('DELETE', '/v1/llm_endpoints/openai-gpt4o', {}, 409);
      assertJson(await moonshot().call('PUT', '/v1/llm_endpoints/openai-gpt4o', { body: { token: '' } }), 200);
      assert.deepEqual(readFileSync(filePath), before, "Moonshot's file is unchanged");
    });
  });

  describe('afterwards', () => {
    it('no answer broke the rules (500, compression, non-JSON, error without detail) and no server logged an error', () => {
      assert.deepEqual(violations, []);
      assert.deepEqual(serverErrors, []);
    });
  });
});
