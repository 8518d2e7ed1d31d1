import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { runCli, requireBuiltCli, startCli, type RunningCli } from '../support/cliProcess';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { useTempDir } from '../support/tempDir';

async function api(cli: RunningCli, token: string | null, path: string, init: RequestInit = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${cli.url}${path}`, { ...init, headers });
  return { status: res.status, body: (await res.json()) as any };
}

describe('moonshot-sessions serve (headless CLI)', function () {
  let fake: FakeOpenAI;
  const running: RunningCli[] = [];

  before(async () => {
    requireBuiltCli();
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  afterEach(async () => {
    for (const cli of running.splice(0)) {
      if (cli.child.exitCode === null && cli.child.signalCode === null) {
        cli.child.kill('SIGKILL');
        await cli.exited;
      }
    }
  });
  // After the hook above: the servers stop before their folder is removed.
  const dir = useTempDir();

  const start = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const cli = await startCli(args, env);
    running.push(cli);
    return cli;
  };

  async function endpointsFile(model: string): Promise<string> {
    const path = join(dir(), 'endpoints.json');
    await fs.writeFile(
      path,
      JSON.stringify([
        {
          name: 'Fake',
          connector_type: 'openai-connector',
          uri: fake.url,
          token: 't',
          max_calls_per_second: 100,
          max_concurrency: 10,
          model,
          params: { max_attempts: 1 },
        },
      ]),
    );
    return path;
  }

  it('prints one line with its URL, writes api.json (0600) with the token, and never prints the token whole', async () => {
    const storage = join(dir(), 'store');
    const cli = await start(['--storage', storage, '--port', '0']);
    assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(cli.stdout().trim().split('\n').length, 1);
    const info = JSON.parse(await fs.readFile(join(storage, 'api.json'), 'utf8'));
    assert.equal(info.url, cli.url);
    assert.equal(info.pid, cli.child.pid);
    assert.ok(info.token.length >= 24);
    assert.equal((await fs.stat(join(storage, 'api.json'))).mode & 0o777, 0o600);
    assert.ok(!cli.stdout().includes(info.token) && !cli.stderr().includes(info.token));
    assert.equal((await api(cli, null, '/v1/sessions')).status, 401);
    assert.equal((await api(cli, info.token, '/v1/sessions')).status, 200);
    assert.equal((await api(cli, null, '/')).status, 200);
  });

  it('takes the token from --token or MOONSHOT_API_TOKEN, and --no-auth turns auth off', async () => {
    const a = await start(['--storage', join(dir(), 'a'), '--port', '0', '--token', 'from-flag']);
    assert.equal((await api(a, 'from-flag', '/v1/sessions')).status, 200);
    const b = await start(['--storage', join(dir(), 'b'), '--port', '0'], { MOONSHOT_API_TOKEN: 'from-env' });
    assert.equal((await api(b, 'from-env', '/v1/sessions')).status, 200);
    assert.equal((await api(b, 'wrong', '/v1/sessions')).status, 401);
    const c = await start(['--storage', join(dir(), 'c'), '--port', '0', '--no-auth']);
    assert.equal((await api(c, null, '/v1/sessions')).status, 200);
  });

  it('loads --endpoints (folder or array file) and --prompt-templates', async () => {
    const folder = join(dir(), 'eps');
    await fs.mkdir(folder);
    await fs.writeFile(
      join(folder, 'my-ep.json'),
      JSON.stringify({
        name: 'Mine',
        connector_type: 'openai-connector',
        uri: fake.url,
        token: '',
        max_calls_per_second: 1,
        max_concurrency: 1,
        model: 'm',
        params: {},
      }),
    );
    const templates = join(dir(), 'tpl');
    await fs.mkdir(templates);
    await fs.writeFile(join(templates, 'qa.json'), JSON.stringify({ name: 'qa', description: '', template: 'Q: {{ prompt }}' }));
    const cli = await start([
      '--storage',
      join(dir(), 's'),
      '--port',
      '0',
      '--no-auth',
      '--endpoints',
      folder,
      '--endpoints',
      await endpointsFile('m'),
      '--prompt-templates',
      templates,
    ]);
    const ids = (await api(cli, null, '/v1/llm_endpoints')).body.map((e: { id: string }) => e.id).sort();
    assert.deepEqual(ids, ['echo', 'fake', 'my-ep']);
    assert.deepEqual((await api(cli, null, '/v1/prompt_templates')).body.map((t: { name: string }) => t.name), ['qa']);
  });

  it('fails clearly, with exit 1, when an explicit port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = await runCli(['serve', '--storage', join(dir(), 's'), '--port', String(port)]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`Port ${port} .*already in use`));
    } finally {
      blocker.close();
    }
  });

  it('explains bad arguments with exit 2', async () => {
    const missing = await runCli(['serve']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--storage DIR is required[\s\S]*Usage:/);
    assert.equal((await runCli(['serve', '--storage', dir(), '--bogus'])).code, 2);
    assert.equal((await runCli(['serve', '--storage', dir(), '--port', 'x'])).code, 2);
    assert.equal((await runCli(['serve', '--storage', dir(), '--endpoints', join(dir(), 'nope')])).code, 2);
    assert.equal((await runCli(['frobnicate'])).code, 2);
  });

  it('on SIGTERM lets a prompt in flight finish and write, then exits 0', async () => {
    const storage = join(dir(), 's');
    const cli = await start(['--storage', storage, '--port', '0', '--no-auth', '--endpoints', await endpointsFile('delay:400')]);
    const created = await api(cli, null, '/v1/sessions', {
      method: 'POST',
      body: JSON.stringify({ name: 'term', endpoints: ['fake', 'echo'] }),
    });
    const id = created.body.session.session_id;
    const arrived = once(fake.events, 'request');
    const answer = api(cli, null, `/v1/sessions/${id}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: 'finish me' }) });
    await arrived;
    cli.child.kill('SIGTERM');
    const { status, body } = await answer;
    assert.equal(status, 200);
    assert.equal(body[created.body.session.chat_ids[0]][0].predicted_result, 'echo: finish me');
    assert.equal(await cli.exited, 0);
    const lines = (await fs.readFile(join(storage, 'sessions', id, `${created.body.session.chat_ids[0]}.jsonl`), 'utf8'))
      .trim()
      .split('\n');
    assert.equal(lines.length, 1);
    await assert.rejects(fs.stat(join(storage, 'api.json')), /ENOENT/, 'api.json is removed on a clean exit');
  });

  it('keeps every acknowledged record through a kill -9, and goes on numbering after it', async () => {
    const storage = join(dir(), 's');
    const first = await start(['--storage', storage, '--port', '0', '--no-auth']);
    const created = await api(first, null, '/v1/sessions', {
      method: 'POST',
      body: JSON.stringify({ name: 'crash', endpoints: ['echo'] }),
    });
    const id = created.body.session.session_id;
    const chat = created.body.session.chat_ids[0];
    for (let i = 1; i <= 20; i++) {
      const r = await api(first, null, `/v1/sessions/${id}/prompt?history=new`, {
        method: 'POST',
        body: JSON.stringify({ prompt: `p${i}` }),
      });
      assert.equal(r.body[chat][0].chat_record_id, i);
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await start(['--storage', storage, '--port', '0', '--no-auth']);
    const got = await api(second, null, `/v1/sessions/${id}?include_history=true`);
    assert.deepEqual(
      got.body.session.chat_history[chat].map((r: { prompt: string }) => r.prompt),
      Array.from({ length: 20 }, (_, i) => `p${i + 1}`),
    );
    const next = await api(second, null, `/v1/sessions/${id}/prompt?history=new`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'after' }),
    });
    assert.equal(next.body[chat][0].chat_record_id, 21);
  });

  it('two servers on one storage folder (two windows) never give two records one id', async () => {
    const storage = join(dir(), 's');
    const a = await start(['--storage', storage, '--port', '0', '--no-auth']);
    const b = await start(['--storage', storage, '--port', '0', '--no-auth']);
    assert.deepEqual((await api(b, null, '/v1/sessions/name')).body, [], 'b has read the (empty) folder before a writes');
    const created = await api(a, null, '/v1/sessions', { method: 'POST', body: JSON.stringify({ name: 'shared', endpoints: ['echo'] }) });
    const id = created.body.session.session_id;
    const chat = created.body.session.chat_ids[0];
    // b lists the session a created, without a restart: its watcher follows the folder. Another
    // process gives no event to wait for, so this polls b's answer (bounded).
    const deadline = Date.now() + 5000;
    while (!((await api(b, null, '/v1/sessions/name')).body as string[]).includes(id)) {
      assert.ok(Date.now() < deadline, "b never listed a's session");
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api(i % 2 ? a : b, null, `/v1/sessions/${id}/prompt?history=new`, { method: 'POST', body: JSON.stringify({ prompt: `p${i}` }) }),
      ),
    );
    const history = (await api(b, null, `/v1/sessions/${id}?include_history=true`)).body.session.chat_history[chat];
    assert.deepEqual(history.map((r: { chat_record_id: number }) => r.chat_record_id), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.equal(new Set(history.map((r: { prompt: string }) => r.prompt)).size, 40);
  });

  it('keeps serving when odd things appear in the storage folder, warning once per path on stderr', async () => {
    const storage = join(dir(), 's');
    const first = await start(['--storage', storage, '--port', '0', '--no-auth']);
    const created = await api(first, null, '/v1/sessions', { method: 'POST', body: JSON.stringify({ name: 'kept', endpoints: ['echo'] }) });
    const id = created.body.session.session_id;
    const sessions = join(storage, 'sessions');
    await fs.writeFile(join(sessions, 'notes'), '');
    await fs.mkdir(join(sessions, 'folder-meta', 'session.json'), { recursive: true });
    await fs.mkdir(join(sessions, 'garbage'));
    await fs.writeFile(join(sessions, 'garbage', 'session.json'), '{"session_id": "garb');
    const odd = ['notes', 'folder-meta', 'garbage'].map((name) => join(sessions, name));
    // serve follows the folder on its own; nothing to await but its stderr.
    const deadline = Date.now() + 5000;
    while (!odd.every((path) => first.stderr().includes(path))) {
      assert.ok(first.child.exitCode === null, `serve exited: ${first.stderr()}`);
      assert.ok(Date.now() < deadline, `no warning for each odd entry: ${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // More changes make it list the folder again: still one warning per path.
    await api(first, null, '/v1/sessions', { method: 'POST', body: JSON.stringify({ name: 'second', endpoints: ['echo'] }) });
    await api(first, null, `/v1/sessions/${id}`, { method: 'DELETE' });
    const listed = await api(first, null, '/v1/sessions/name');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.length, 1);
    for (const path of odd)
      assert.equal(
        first
          .stderr()
          .split('\n')
          .filter((l) => l.startsWith('warn: ') && l.includes(path)).length,
        1,
        first.stderr(),
      );
    assert.equal(first.child.exitCode, null, 'still running');

    // A fresh start on the same folder lists it too (it answered 500 before).
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await start(['--storage', storage, '--port', '0', '--no-auth']);
    const relisted = await api(second, null, '/v1/sessions');
    assert.equal(relisted.status, 200);
    assert.deepEqual(relisted.body.map((s: { name: string }) => s.name), ['second']);
  });
});
