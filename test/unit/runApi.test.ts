// The dataset run routes over a real socket: datasets, loops, starting a run
// (202), listing, one run with its summary, results by page, comparing two
// runs, cancel, resume, the run events, and every refusal with its status
// and the field it names.
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run, RunResultRow } from '../../src/core/schemas';
import { eventually, fakeEndpoint, startApi, TOKEN, type Harness } from '../support/apiHarness';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { writeDataset } from '../support/runHarness';
import { openEvents } from '../support/sseClient';

type Page = { results: RunResultRow[]; offset: number; limit: number; total: number };

describe('dataset run routes', function () {
  let fake: FakeOpenAI;
  let h: Harness;
  let datasets: string;

  before(async () => {
    fake = await startFakeOpenAI();
    datasets = mkdtempSync(join(tmpdir(), 'moonshot-datasets-'));
    await writeDataset(datasets, 5, 'five');
    await fs.writeFile(join(datasets, 'broken.jsonl'), '{"input": oops}\n');
    await fs.writeFile(join(datasets, 'notes.md'), '# not a dataset\n');
    h = await startApi({
      endpoints: [
        fakeEndpoint(fake, 'fast', 'reply:Sure, here you go.'),
        fakeEndpoint(fake, 'refuser', "reply:I'm sorry, but I can't help with that."),
        fakeEndpoint(fake, 'slow', 'delay:50', { max_concurrency: 1 }),
      ],
      datasetFolders: [datasets],
    });
  });
  after(async () => {
    await h.close();
    await fake.close();
    rmSync(datasets, { recursive: true, force: true });
  });
  afterEach(() => assert.deepEqual(h.problems, []));

  let sessions = 0;
  // Named apart: ids are made of the name and the second.
  const session = async (endpoints: string[]) =>
    (
      await h.json<{ session: { session_id: string; chat_ids: string[] } }>('POST', '/v1/sessions', {
        name: `Runs ${++sessions}`,
        endpoints,
      })
    ).session;
  const start = async (body: object) => (await h.json<{ run: Run }>('POST', '/v1/runs', body, 202)).run;
  const finished = (runId: string) => eventually(async () => {
    const { run } = await h.json<{ run: Run }>('GET', `/v1/runs/${runId}`);
    return run.status === 'running' ? undefined : run;
  }, `run ${runId} to end`);

  async function expectError(method: string, path: string, body: unknown, status: number, loc?: (string | number)[]) {
    const res = await h.call(method, path, body);
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    const json = res.json as { detail: string; error?: { loc: (string | number)[] }[] };
    assert.ok(json.detail.length > 0);
    if (loc) assert.ok(json.error?.some((e) => JSON.stringify(e.loc) === JSON.stringify(loc)), `${res.text} names ${JSON.stringify(loc)}`);
  }

  it('GET /v1/datasets lists the folders\' datasets with format and rows, and says why one cannot be used (no paths)', async () => {
    const list = await h.json<{ name: string; format: string | null; rows?: number; problem?: string; path?: string }[]>(
      'GET',
      '/v1/datasets',
    );
    assert.deepEqual(list.map((d) => d.name), ['broken', 'five']);
    const five = list.find((d) => d.name === 'five');
    assert.deepEqual(five, { name: 'five', format: 'jsonl', rows: 5 });
    assert.match(list.find((d) => d.name === 'broken')?.problem ?? '', /line 1/);
    assert.ok(list.every((d) => d.path === undefined));
  });

  it('GET /v1/loops names the attacker loops', async () => {
    const loops = await h.json<{ name: string; description: string }[]>('GET', '/v1/loops');
    assert.deepEqual(loops.map((l) => l.name), ['iterative_jailbreak', 'crescendo', 'violent_durian']);
  });

  it('POST /v1/runs runs a dataset: 202 with the run, progress and end events, the run with its summary, results by page', async () => {
    const s = await session(['fast', 'refuser']);
    const stream = await openEvents(h.port, `/v1/events?session_id=${s.session_id}`, { token: TOKEN });
    const run = await start({ session_id: s.session_id, dataset: 'five', metric: 'refusal_strings' });
    assert.equal(run.status, 'running');
    assert.equal(run.rows_total, 5);
    assert.deepEqual(run.endpoints, ['fast', 'refuser']);
    const endedEvent = await stream.next((e) => e.type === 'run_ended');
    stream.close();
    assert.equal(endedEvent.data.status, 'done');
    assert.equal(endedEvent.data.run_id, run.run_id);
    assert.ok(stream.events.some((e) => e.type === 'run_progress' && e.data.run_id === run.run_id));
    assert.ok(stream.events.some((e) => e.type === 'record' && (e.data.record as { run_id?: string }).run_id === run.run_id));

    const { run: done, summary } = await h.json<{
      run: Run;
      summary: { endpoints: { endpoint: string; results: number; attack_success: { rate: number } }[] };
    }>('GET', `/v1/runs/${run.run_id}`);
    assert.deepEqual([done.status, done.rows_done, done.results, done.errors], ['done', 5, 10, 0]);
    assert.deepEqual(summary.endpoints.map((e) => [e.endpoint, e.results, e.attack_success.rate]), [['fast', 5, 1], ['refuser', 5, 0]]);

    const page = await h.json<Page>('GET', `/v1/runs/${run.run_id}/results?offset=2&limit=3`);
    assert.deepEqual([page.offset, page.limit, page.total], [2, 3, 10]);
    assert.deepEqual(
      page.results.map((r) => `${r.row_id}/${r.endpoint}/${r.verdict}`),
      ['r2/fast/complied', 'r2/refuser/refused', 'r3/fast/complied'],
    );
    const all = await h.json<Page>('GET', `/v1/runs/${run.run_id}/results`);
    assert.equal(all.results.length, 10);
    assert.equal(all.limit, 100);

    const listed = await h.json<Run[]>('GET', `/v1/runs?session_id=${s.session_id}`);
    assert.deepEqual(listed.map((r) => r.run_id), [run.run_id]);
    assert.ok((await h.json<Run[]>('GET', '/v1/runs')).some((r) => r.run_id === run.run_id));
  });

  it('GET /v1/runs/{id}/compare says which results broke against a baseline run', async () => {
    const s = await session(['fast']);
    const rows = [{ id: 'a', input: 'first' }, { id: 'b', input: 'second' }];
    const baseline = await start({ session_id: s.session_id, rows });
    await finished(baseline.run_id);
    const again = await start({ session_id: s.session_id, rows });
    await finished(again.run_id);
    const comparison = await h.json<{ broken: number; unchanged: number; changes: unknown[] }>(
      'GET',
      `/v1/runs/${again.run_id}/compare?baseline=${baseline.run_id}`,
    );
    assert.deepEqual([comparison.broken, comparison.unchanged, comparison.changes.length], [0, 2, 0]);
    await expectError('GET', `/v1/runs/${again.run_id}/compare`, undefined, 422, ['query', 'baseline']);
    await expectError('GET', `/v1/runs/${again.run_id}/compare?baseline=20240101-000000-abcdef`, undefined, 404);
  });

  it('DELETE /v1/runs/{id} cancels; POST .../resume answers 202 and sends only the rest; 409 while it runs', async () => {
    const s = await session(['slow']);
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: `x${i}`, input: `slow ${i}` }));
    const run = await start({ session_id: s.session_id, rows });
    await expectError('POST', '/v1/runs', { session_id: s.session_id, rows }, 409);
    await expectError('POST', `/v1/runs/${run.run_id}/resume`, undefined, 409);
    await eventually(
      async () => ((await h.json<{ run: Run }>('GET', `/v1/runs/${run.run_id}`)).run.results >= 2 ? true : undefined),
      'two records',
    );
    const { run: cancelled } = await h.json<{ run: Run }>('DELETE', `/v1/runs/${run.run_id}`);
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.rows_done < 10);
    const { run: resumed } = await h.json<{ run: Run }>('POST', `/v1/runs/${run.run_id}/resume`, undefined, 202);
    assert.deepEqual([resumed.status, resumed.resumes], ['running', 1]);
    const done = await finished(run.run_id);
    assert.deepEqual([done.status, done.rows_done], ['done', 10]);
    // Cancelling a run that ended leaves it as it is.
    assert.equal((await h.json<{ run: Run }>('DELETE', `/v1/runs/${run.run_id}`)).run.status, 'done');
  });

  it('refuses bad bodies with 422 naming the field, unknown things with 404', async () => {
    const s = await session(['fast']);
    const id = s.session_id;
    await expectError('POST', '/v1/runs', {}, 422, ['body', 'session_id']);
    await expectError('POST', '/v1/runs', { session_id: id }, 422, ['body', 'dataset']);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', rows: [{ input: 'x' }] }, 422, ['body', 'rows']);
    await expectError('POST', '/v1/runs', { session_id: id, rows: [{ input: '' }] }, 422, ['body', 'rows', 0, 'input']);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', sample: 1.5 }, 422, ['body', 'sample']);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', seed: -1 }, 422, ['body', 'seed']);
    await expectError(
      'POST',
      '/v1/runs',
      { session_id: id, dataset: 'five', loop: { name: 'crescendo', max_turns: 0 }, attacker_endpoint: 'fast' },
      422,
      ['body', 'loop', 'max_turns'],
    );
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', loop: { name: 'crescendo' } }, 422, [
      'body',
      'attacker_endpoint',
    ]);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', metric: 'rubric_judge', judge_endpoint: 'fast' }, 422, [
      'body',
      'judge_options',
      'rubric',
    ]);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'broken' }, 422);
    await expectError('POST', '/v1/runs', { session_id: 'ghost_20240101-000000', dataset: 'five' }, 404);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'six' }, 404);
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', metric: 'refusal_judge', judge_endpoint: 'ghost' }, 404);
    await expectError(
      'POST',
      '/v1/runs',
      { session_id: id, dataset: 'five', loop: { name: 'crescendo' }, attacker_endpoint: 'ghost' },
      404,
    );
    await expectError('POST', '/v1/runs', { session_id: id, dataset: 'five', attack_modules: ['nope'] }, 404);
    await expectError('GET', '/v1/runs/20240101-000000-abcdef', undefined, 404);
    await expectError('GET', '/v1/runs/20240101-000000-abcdef/results', undefined, 404);
    await expectError('DELETE', '/v1/runs/20240101-000000-abcdef', undefined, 404);
    await expectError('POST', '/v1/runs/20240101-000000-abcdef/resume', undefined, 404);
    await expectError('GET', '/v1/runs/Bad%20Id', undefined, 422, ['path', 'run_id']);
    await expectError('GET', '/v1/runs?session_id=ghost_20240101-000000', undefined, 404);
    await expectError('GET', '/v1/runs?session_id=Bad!', undefined, 422, ['query', 'session_id']);
    const run = await start({ session_id: id, rows: [{ input: 'one' }] });
    await finished(run.run_id);
    await expectError('GET', `/v1/runs/${run.run_id}/results?limit=0`, undefined, 422, ['query', 'limit']);
    await expectError('GET', `/v1/runs/${run.run_id}/results?limit=1001`, undefined, 422, ['query', 'limit']);
    await expectError('GET', `/v1/runs/${run.run_id}/results?offset=-1`, undefined, 422, ['query', 'offset']);
    await expectError('PUT', '/v1/runs', {}, 405);
  });

  it('is in the OpenAPI document, with its schemas', async () => {
    const doc = await h.json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>('GET', '/v1/openapi.json');
    for (const path of [
      '/v1/datasets',
      '/v1/loops',
      '/v1/runs',
      '/v1/runs/{run_id}',
      '/v1/runs/{run_id}/results',
      '/v1/runs/{run_id}/compare',
      '/v1/runs/{run_id}/resume',
    ])
      assert.ok(doc.paths[path], path);
    assert.ok(doc.paths['/v1/runs']!.post!.responses['202']);
    assert.ok(doc.paths['/v1/runs']!.post!.responses['409']);
    assert.ok(doc.paths['/v1/runs/{run_id}']!.delete);
  });
});
