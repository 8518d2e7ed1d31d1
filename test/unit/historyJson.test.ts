import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { openCore, type Core } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { ApiServer } from '../../src/server/apiServer';
import type { MetricResult } from '../../src/core/schemas';
import { request, type Res } from '../support/apiClient';
import { useTempDir } from '../support/tempDir';

const metric = (verdict: string): MetricResult => ({ name: 'refusal', verdict, score: 1, reason: 'r', judge_endpoint: null, error: null });

/** What the API answers must be what parsing every stored line gives, key order included: compared as text. */
const asText = (value: unknown) => JSON.stringify(value);

// The history routes stream records made from the stored lines; these prove the result is what the schema path gives.
describe('history answered from the stored lines', () => {
  const dir = useTempDir();
  let core: Core;
  let server: ApiServer;
  beforeEach(async () => {
    core = await openCore({
      storageDir: dir(),
      endpointSources: [{ kind: 'inline', origin: 'test', endpoints: [{ id: 'echo2', name: 'Echo two', connector_type: 'echo' }] }],
      promptTemplateFolders: [],
      secrets: new MemorySecretStore(),
    });
    server = new ApiServer({ core, port: 0, token: null });
    await server.start();
  });
  afterEach(async () => {
    await server.stop();
    core.dispose();
  });
  const get = (id: string) => request(server.port, 'GET', `/v1/sessions/${id}?include_history=true`);
  const expected = async (id: string) => ({ session: await core.sessions.get(id, { includeHistory: true }) });

  async function sessionWithOddLines() {
    const s = await core.sessions.create({ name: 'odd', endpoints: ['echo'] });
    const chat = s.chat_ids[0]!;
    const file = join(dir(), 'sessions', s.session_id, `${chat}.jsonl`);
    for (let i = 0; i < 3; i++) await core.sessions.prompt(s.session_id, `p${i}`);
    const written = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
    const old = JSON.parse(written[0]!) as Record<string, unknown>;
    const { attack_module: _dropped, prompt_id: _id, ...beforeAttacks } = old;
    const reordered = Object.fromEntries(Object.entries({ ...old, chat_record_id: 5 }).reverse());
    await fs.writeFile(
      file,
      [
        written[0],
        // A record written before attack_module existed: it gets the default.
        JSON.stringify({ ...beforeAttacks, chat_record_id: 4 }),
        // Keys in another order (edited by hand): answered in the schema's order.
        JSON.stringify(reordered),
        'not json at all',
        JSON.stringify({ chat_record_id: 'x' }),
        written[1],
        JSON.stringify({ ...old, chat_record_id: 6, extra: 'dropped' }),
        written[2],
        // A writer died mid-line.
        '{"chat_record_id":9,"conn_id":"ec',
      ].join('\n'),
    );
    await core.store.appendScores(s.session_id, chat, [
      { chat_record_id: 2, metric: metric('first') },
      { chat_record_id: 2, metric: metric('later') },
      { chat_record_id: 4, metric: metric('old') },
    ]);
    return { s, chat, file };
  }

  it('skips torn and invalid lines, fills defaults, keeps the key order and joins the latest scores, read after read', async () => {
    const { s, chat } = await sessionWithOddLines();
    const want = await expected(s.session_id);
    const records = want.session.chat_history![chat]!;
    assert.deepEqual(records.map((r) => r.chat_record_id), [1, 4, 5, 2, 6, 3]);
    assert.equal(records[1]!.attack_module, '');
    assert.deepEqual(records.map((r) => r.metric?.verdict ?? null), [null, 'old', null, 'later', null, null]);
    for (let read = 0; read < 3; read++) {
      const res = await get(s.session_id);
      assert.equal(res.status, 200);
      assert.equal(res.text, asText(want), `read ${read}`);
    }
    // New records and a new score after the lines were checked: only the new lines are checked, all are answered.
    await core.sessions.prompt(s.session_id, 'after');
    await core.store.appendScores(s.session_id, chat, [{ chat_record_id: 1, metric: metric('new') }]);
    const now = await expected(s.session_id);
    assert.equal(now.session.chat_history![chat]!.length, 7);
    assert.equal((await get(s.session_id)).text, asText(now));
  });

  it('checks a file again when another took its place', async () => {
    const { s, chat, file } = await sessionWithOddLines();
    await get(s.session_id);
    const lines = (await fs.readFile(file, 'utf8')).split('\n');
    // Same size and more, another inode: the old checks do not apply (line 2 is now damaged).
    await fs.writeFile(`${file}.new`, [lines[0], '{"damaged', ...lines.slice(2)].join('\n'));
    await fs.rename(`${file}.new`, file);
    const want = await expected(s.session_id);
    assert.deepEqual(want.session.chat_history![chat]!.map((r) => r.chat_record_id), [1, 5, 2, 6, 3]);
    assert.equal((await get(s.session_id)).text, asText(want));
  });

  it('answers a long history chunked, in pieces, equal to the parsed one', async () => {
    const s = await core.sessions.create({ name: 'long', endpoints: ['echo'] });
    const chat = s.chat_ids[0]!;
    const one = (await core.sessions.prompt(s.session_id, 'x'.repeat(500)))[chat]![0]!;
    const { metric: _m, ...stored } = one;
    const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({ ...stored, chat_record_id: i + 2 }));
    await fs.appendFile(join(dir(), 'sessions', s.session_id, `${chat}.jsonl`), `${lines.join('\n')}\n`);
    const res: Res = await get(s.session_id);
    assert.equal(res.headers['transfer-encoding'], 'chunked');
    assert.equal(res.headers['content-length'], undefined);
    assert.ok(res.text.length > 300_000);
    assert.equal(res.text, asText(await expected(s.session_id)));
  });

  it("answers a prompt with every chat's whole history, as get does", async () => {
    const s = await core.sessions.create({ name: 'two', endpoints: ['echo', 'echo2'] });
    await core.sessions.prompt(s.session_id, 'first');
    const res = await request(server.port, 'POST', `/v1/sessions/${s.session_id}/prompt`, { body: { prompt: 'second' } });
    assert.equal(res.status, 200);
    const history = (await core.sessions.get(s.session_id, { includeHistory: true })).chat_history!;
    assert.deepEqual(Object.values(history).map((records) => records.length), [2, 2]);
    assert.equal(res.text, asText(history));
    assert.equal((await request(server.port, 'GET', '/v1/sessions/nope_20240101-000000?include_history=true')).status, 404);
  });
});
