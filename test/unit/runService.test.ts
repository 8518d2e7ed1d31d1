// Dataset runs in the core: rows through a session's endpoints (records that
// name their run and row), sampling, only-unanswered, attacks, a judge,
// cancel and resume, results and figures, and every refusal before a run.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import { sampleKey } from '../../src/core/datasets';
import { ConflictError, NotFoundError, ValidationError } from '../../src/core/errors';
import type { Run } from '../../src/core/schemas';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { ended, openRunCore, recordsByChat, sentTexts, writeDataset, type EndpointSpec } from '../support/runHarness';
import { eventually } from '../support/apiHarness';
import { useTempDir } from '../support/tempDir';

function invalidAt(loc: (string | number)[]) {
  return (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.ok(
      err.issues.some((i) => JSON.stringify(i.loc) === JSON.stringify(loc)),
      `expected an issue at ${JSON.stringify(loc)}, got ${JSON.stringify(err.issues)}`,
    );
    return true;
  };
}

describe('dataset runs (RunService)', function () {
  const dir = useTempDir();
  let fake: FakeOpenAI;
  let core: Core | undefined;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  afterEach(async () => {
    await core?.drain();
    core?.dispose();
    core = undefined;
  });

  async function setUp(endpoints: EndpointSpec[] = [{ id: 'a', model: 'echo-a' }, { id: 'b', model: 'echo-b' }]) {
    const datasets = join(dir(), 'datasets');
    await fs.mkdir(datasets);
    core = await openRunCore(join(dir(), 'store'), fake, endpoints, [datasets]);
    const session = await core.sessions.create({ name: 'Run target', endpoints: endpoints.map((e) => e.id) });
    return { core, session, datasets };
  }

  it('sends every row to every endpoint: records name the run and the row, and the results read back in row order', async () => {
    const { core, session, datasets } = await setUp();
    await writeDataset(datasets, 6);
    const started = await core.runs.start({ session_id: session.session_id, dataset: 'rows' });
    assert.equal(started.status, 'running');
    assert.equal(started.rows_total, 6);
    assert.equal(started.dataset.name, 'rows');
    assert.equal(started.dataset.format, 'jsonl');
    assert.match(started.dataset.sha256, /^[0-9a-f]{64}$/);
    const run = await ended(core, started.run_id);
    assert.equal(run.status, 'done');
    assert.equal(run.rows_done, 6);
    assert.equal(run.results, 12);
    assert.equal(run.errors, 0);

    const byChat = await recordsByChat(core, session.session_id);
    for (const records of Object.values(byChat)) {
      assert.deepEqual(records.map((r) => r.row_id).sort(), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
      assert.ok(records.every((r) => r.run_id === run.run_id && r.attack_module === '' && r.variant === undefined));
    }
    const results = await core.runs.results(run.run_id);
    assert.deepEqual(
      results.map((r) => `${r.row_id}/${r.endpoint}`),
      ['r1/a', 'r1/b', 'r2/a', 'r2/b', 'r3/a', 'r3/b', 'r4/a', 'r4/b', 'r5/a', 'r5/b', 'r6/a', 'r6/b'],
    );
    assert.equal(results[0]?.input, 'row 1');
    assert.equal(results[0]?.response, 'echo: row 1');
    assert.equal(results[0]?.category, 'even');
    const figures = await core.runs.summary(run.run_id);
    assert.deepEqual(figures.endpoints.map((e) => [e.endpoint, e.results, e.attackSuccess.count]), [['a', 6, 6], ['b', 6, 6]]);
    const page = await core.runs.resultsPage(run.run_id, 10, 5);
    assert.deepEqual([page.total, page.results.length, page.results[0]?.row_id], [12, 2, 'r6']);
    const [listed] = await core.runs.list({ sessionId: session.session_id });
    assert.equal(listed?.run_id, run.run_id);
    assert.equal(listed?.status, 'done');
  });

  it('samples by seed: the same share and seed pick the same rows, exactly those whose key is below the share', async () => {
    const { core, session } = await setUp([{ id: 'a', model: 'echo-sample' }]);
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, input: `sample ${i}` }));
    const expected = rows.filter((r) => sampleKey(7, r.id) < 0.3).map((r) => r.id);
    assert.ok(expected.length > 3 && expected.length < 25, `${expected.length} rows sampled`);
    const first = await core.runs.start({ session_id: session.session_id, rows, sample: 0.3, seed: 7 });
    assert.equal(first.rows_total, expected.length);
    await ended(core, first.run_id);
    const second = await core.runs.start({ session_id: session.session_id, rows, sample: 0.3, seed: 7 });
    await ended(core, second.run_id);
    const records = Object.values(await recordsByChat(core, session.session_id))[0]!;
    const of = (runId: string) => records.filter((r) => r.run_id === runId).map((r) => r.row_id);
    assert.deepEqual(of(first.run_id), expected);
    assert.deepEqual(of(second.run_id), expected);
  });

  it('only_unanswered leaves out rows an earlier run answered at every endpoint', async () => {
    const { core, session } = await setUp();
    const first = await core.runs.start({
      session_id: session.session_id,
      rows: [
        { id: 'x', input: 'first x' },
        { id: 'y', input: 'first y' },
      ],
    });
    await ended(core, first.run_id);
    const before = fake.requests.length;
    const rows = [{ id: 'x', input: 'first x' }, { id: 'y', input: 'first y' }, { id: 'z', input: 'new z' }];
    const second = await core.runs.start({ session_id: session.session_id, rows, only_unanswered: true });
    assert.equal(second.rows_total, 1);
    const run = await ended(core, second.run_id);
    assert.equal(run.rows_done, 1);
    assert.deepEqual(
      [...sentTexts(fake, 'echo-a', fake.requests.slice(before)), ...sentTexts(fake, 'echo-b', fake.requests.slice(before))],
      ['new z', 'new z'],
    );
    // Without the option every row goes again.
    const third = await core.runs.start({ session_id: session.session_id, rows });
    assert.equal(third.rows_total, 3);
  });

  it('sends each attack variant of each row, and the results say which', async () => {
    const { core, session } = await setUp([{ id: 'a', model: 'echo-attack' }]);
    const started = await core.runs.start({
      session_id: session.session_id,
      rows: [{ id: 'p', input: 'How are the pyramids of Giza built' }],
      attack_modules: ['charswap_attack'],
      num_variants: 3,
      seed: 5,
    });
    assert.deepEqual(started.attack_modules, ['charswap_attack']);
    await ended(core, started.run_id);
    const results = await core.runs.results(started.run_id);
    assert.deepEqual(
      results.map((r) => [r.row_id, r.attack_module, r.variant]),
      [
        ['p', 'charswap_attack', 0],
        ['p', 'charswap_attack', 1],
        ['p', 'charswap_attack', 2],
      ],
    );
    assert.ok(results.every((r) => r.input === 'How are the pyramids of Giza built' && r.prompt !== r.input));
    const records = Object.values(await recordsByChat(core, session.session_id))[0]!;
    assert.ok(records.every((r) => r.original_prompt === 'How are the pyramids of Giza built'));
  });

  it("scores every answer with the run's judge, and a resume scores answers a crash left unscored", async () => {
    const { core, session } = await setUp([
      { id: 'a', model: 'reply:I am sorry, but I cannot help with that.' },
      { id: 'b', model: 'reply:Sure, here it is.' },
    ]);
    const started = await core.runs.start({
      session_id: session.session_id,
      rows: [{ id: 'j', input: 'judge me' }],
      metric: 'refusal_strings',
    });
    await ended(core, started.run_id);
    let results = await core.runs.results(started.run_id);
    assert.deepEqual(
      results.map((r) => [r.endpoint, r.metric, r.verdict]),
      [
        ['a', 'refusal_strings', 'refused'],
        ['b', 'refusal_strings', 'complied'],
      ],
    );
    const figures = await core.runs.summary(started.run_id);
    assert.deepEqual(figures.endpoints.map((e) => e.attackSuccess.rate), [0, 1]);
    // As if the process had died between a record and its score.
    await fs.rm(join(core.store.sessionsDir, session.session_id, `${session.chat_ids[1]}.scores.jsonl`));
    const before = fake.requests.length;
    await core.runs.resume(started.run_id);
    await ended(core, started.run_id);
    assert.equal(fake.requests.length, before, 'nothing is sent again');
    results = await core.runs.results(started.run_id);
    assert.equal(results[1]?.verdict, 'complied');
  });

  it('cancels: no new row goes, and a resume sends only what has no answer (cancelled calls again), each row once', async () => {
    const { core, session } = await setUp([{ id: 'slow', model: 'delay:40', max_concurrency: 1 }]);
    const rows = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, input: `cancel ${i}` }));
    const started = await core.runs.start({ session_id: session.session_id, rows });
    await eventually(async () => ((await core.runs.get(started.run_id)).results >= 3 ? true : undefined), 'three records');
    const cancelled = await core.runs.cancel(started.run_id);
    assert.equal(cancelled.status, 'cancelled');
    const partial = Object.values(await recordsByChat(core, session.session_id))[0]!;
    const answered = new Set(partial.filter((r) => r.error === null).map((r) => r.row_id));
    assert.ok(answered.size >= 3 && answered.size < 12, `${answered.size} answered`);
    // A call stopped before it began left no record.
    assert.ok(partial.filter((r) => r.error === 'cancelled').length <= 1);
    // Rows done are the rows answered: a row whose call the cancel cut off, or that never began, is not one.
    assert.equal(cancelled.rows_done, answered.size);
    // A call the cancel stopped did not fail: it is not counted as an error, now or when the run is read back.
    await core.drain();
    assert.equal(partial.filter((r) => r.error === 'cancelled').length, 1, 'the call in flight was stopped');
    assert.equal((await core.runs.get(started.run_id)).errors, 0);

    const before = fake.requests.length;
    const resumed = await core.runs.resume(started.run_id);
    assert.equal(resumed.resumes, 1);
    const run = await ended(core, started.run_id);
    assert.equal(run.status, 'done');
    assert.equal(run.rows_done, 12);
    assert.equal(run.errors, 0, 'the stopped call is no error');
    const resent = sentTexts(fake, 'delay:40', fake.requests.slice(before));
    assert.deepEqual(resent.filter((t) => answered.has(`c${t.split(' ')[1]}`)), [], 'nothing answered is sent again');
    assert.equal(resent.length, 12 - answered.size);
    const records = Object.values(await recordsByChat(core, session.session_id))[0]!.filter((r) => r.error === null);
    assert.deepEqual(records.map((r) => r.row_id).sort(), rows.map((r) => r.id).sort());
    assert.equal((await core.runs.results(started.run_id)).length, 12);
  });

  it('a cancel that lets calls in flight finish leaves no cancelled record', async () => {
    const { core, session } = await setUp([{ id: 'slow', model: 'delay:30', max_concurrency: 2 }]);
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: `g${i}`, input: `gentle ${i}` }));
    const started = await core.runs.start({ session_id: session.session_id, rows });
    await eventually(async () => ((await core.runs.get(started.run_id)).results >= 2 ? true : undefined), 'two records');
    const run = await core.runs.cancel(started.run_id, { finishInFlight: true });
    assert.equal(run.status, 'cancelled');
    const records = Object.values(await recordsByChat(core, session.session_id))[0]!;
    assert.ok(records.length < 10);
    assert.ok(records.every((r) => r.error === null), JSON.stringify(records.map((r) => r.error)));
    assert.equal(run.rows_done, new Set(records.map((r) => r.row_id)).size, 'the calls let finish count their rows done');
  });

  it('refuses to resume when the dataset file changed, and when the run is going', async () => {
    const { core, session, datasets } = await setUp([{ id: 'slow', model: 'delay:30', max_concurrency: 1 }]);
    const file = await writeDataset(datasets, 8);
    const started = await core.runs.start({ session_id: session.session_id, dataset: 'rows' });
    await assert.rejects(core.runs.resume(started.run_id), ConflictError);
    await assert.rejects(core.runs.start({ session_id: session.session_id, dataset: 'rows' }), ConflictError);
    await core.runs.cancel(started.run_id);
    await fs.appendFile(file, `${JSON.stringify({ id: 'r9', input: 'row 9' })}\n`);
    await assert.rejects(
      core.runs.resume(started.run_id),
      (err: unknown) => err instanceof ConflictError && /changed since run/.test(err.message),
    );
  });

  it('refuses a bad request before anything is stored or sent', async () => {
    const { core, session } = await setUp();
    const id = session.session_id;
    const before = fake.requests.length;
    await assert.rejects(core.runs.start({ session_id: id }), invalidAt(['body', 'dataset']));
    await assert.rejects(core.runs.start({ session_id: id, dataset: 'rows', rows: [{ input: 'x' }] }), invalidAt(['body', 'rows']));
    await assert.rejects(core.runs.start({ session_id: id, rows: [] }), invalidAt(['body', 'rows']));
    await assert.rejects(core.runs.start({ session_id: id, rows: [{ input: 'x' }], sample: 2 }), invalidAt(['body', 'sample']));
    await assert.rejects(
      core.runs.start({
        session_id: id,
        rows: [
          { id: 'd', input: 'x' },
          { id: 'd', input: 'y' },
        ],
      }),
      invalidAt(['body', 'rows', 1, 'id']),
    );
    await assert.rejects(
      core.runs.start({
        session_id: id,
        rows: [{ input: 'x' }],
        attack_modules: ['charswap_attack'],
        attack_options: { charswap_attack: { bogus: 1 } },
      }),
      invalidAt(['body', 'attack_options', 'charswap_attack']),
    );
    await assert.rejects(
      core.runs.start({ session_id: id, rows: [{ input: 'x' }], metric: 'refusal_judge' }),
      invalidAt(['body', 'judge_endpoint']),
    );
    await assert.rejects(
      core.runs.start({ session_id: id, rows: [{ input: 'x' }], loop: { name: 'crescendo' } }),
      invalidAt(['body', 'attacker_endpoint']),
    );
    await assert.rejects(
      core.runs.start({
        session_id: id,
        rows: [{ input: 'x' }],
        loop: { name: 'crescendo' },
        attacker_endpoint: 'a',
        attack_modules: ['base64'],
      }),
      invalidAt(['body', 'attack_modules']),
    );
    await assert.rejects(core.runs.start({ session_id: 'nope_20240101-000000', rows: [{ input: 'x' }] }), NotFoundError);
    await assert.rejects(core.runs.start({ session_id: id, dataset: 'missing' }), NotFoundError);
    await assert.rejects(
      core.runs.start({ session_id: id, rows: [{ input: 'x' }], loop: { name: 'nope' }, attacker_endpoint: 'a' }),
      NotFoundError,
    );
    await assert.rejects(
      core.runs.start({ session_id: id, rows: [{ input: 'x' }], metric: 'refusal_judge', judge_endpoint: 'ghost' }),
      NotFoundError,
    );
    await assert.rejects(core.runs.start({ session_id: id, rows: [{ input: 'x' }], attack_modules: ['no_such_module'] }), NotFoundError);
    await assert.rejects(core.runs.get('20240101-000000-abcdef'), NotFoundError);
    assert.equal(fake.requests.length, before);
    assert.deepEqual(await core.runs.list(), [] as Run[]);
  });

  it('refuses a dataset with a bad row, naming its line, before row 1 is sent', async () => {
    const { core, session, datasets } = await setUp();
    await fs.writeFile(join(datasets, 'broken.jsonl'), `${JSON.stringify({ input: 'fine' })}\n{"input": oops}\n`);
    const before = fake.requests.length;
    await assert.rejects(core.runs.start({ session_id: session.session_id, dataset: 'broken' }), /broken\.jsonl, line 2/);
    assert.equal(fake.requests.length, before);
  });

  it('keeps a bounded window of rows in flight: never more prompts at once than twice the endpoints allow', async () => {
    const { core, session } = await setUp([{ id: 'w', model: 'delay:5', max_concurrency: 3 }]);
    let inFlight = 0;
    let most = 0;
    const sub = core.sessions.onDidChange((e) => {
      if (e.type === 'promptStarted') most = Math.max(most, ++inFlight);
      if (e.type === 'promptFinished') inFlight--;
    });
    const rows = Array.from({ length: 60 }, (_, i) => ({ id: `w${i}`, input: `window ${i}` }));
    const started = await core.runs.start({ session_id: session.session_id, rows });
    await ended(core, started.run_id);
    sub.dispose();
    assert.equal((await core.runs.get(started.run_id)).rows_done, 60);
    assert.ok(most <= 6 && most >= 3, `${most} prompts in flight at most`);
  });
});
