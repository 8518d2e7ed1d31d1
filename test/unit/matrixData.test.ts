// The results matrix as the host builds it (src/vscode/matrixData.ts,
// matrixCharts.ts, matrixExchange.ts), from real runs of a real core
// against the fake OpenAI server: cells and badges, the live records of a
// running run, search, the chunks the webview draws (valid by the shared
// protocol), the comparison with a baseline, the charts' geometry, and one
// cell's whole exchange read back from the session's files.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Core } from '../../src/core/openCore';
import type { RunResultRow } from '../../src/core/schemas';
import { CHANGE_CHARS, HostMessageSchema } from '../../src/shared/matrixProtocol';
import { matrixCharts } from '../../src/vscode/matrixCharts';
import { CANCELLED } from '../../src/core/runs/runAnswers';
import {
  CANCELLED_TEXT,
  cellBadge,
  columnKey,
  resultsOfFirstRows,
  firstLines,
  isResumable,
  MatrixModel,
  runView,
} from '../../src/vscode/matrixData';
import { readExchange } from '../../src/vscode/matrixExchange';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { ended, openRunCore, writeDataset } from '../support/runHarness';
import { useTempDir } from '../support/tempDir';

const REFUSAL = "I'm sorry, but I can't help with that.";

describe('results matrix data (host)', function () {
  const dir = useTempDir();
  let fake: FakeOpenAI;
  let core: Core | undefined;

  before(async () => {
    fake = await startFakeOpenAI();
    // Refuses the odd rows and answers the even ones: a mix of passes and fails.
    fake.setBehaviour('mixed', {
      kind: 'compute',
      reply: (messages) => {
        const n = Number(/row (\d+)/.exec(messages.at(-1)?.content ?? '')?.[1] ?? 0);
        return n % 2 ? REFUSAL : `Sure: here is row ${n}.\n\nStep one.`;
      },
    });
  });
  after(() => fake.close());
  afterEach(async () => {
    await core?.drain();
    core?.dispose();
    core = undefined;
  });

  async function runOf(models: { id: string; model: string }[], rows = 6) {
    core = await openRunCore(join(dir(), 'store'), fake, models);
    const session = await core.sessions.create({ name: 'Matrix', endpoints: models.map((m) => m.id) });
    const file = await writeDataset(dir(), rows);
    const started = await core.runs.start({ session_id: session.session_id }, { datasetFile: file });
    const run = await ended(core, started.run_id);
    return { core, run, session, results: await core.runs.results(run.run_id) };
  }

  it('puts each result in its row and column: the first lines of the answer, a badge, the latency', async () => {
    const { run, results } = await runOf([{ id: 'ech', model: 'echo-m' }, { id: 'mix', model: 'mixed' }], 4);
    const model = new MatrixModel(run, (id) => id.toUpperCase());
    model.load(results);
    assert.deepEqual(
      model.columns.map((c) => [c.endpointName, c.key]),
      [
        ['ECH', columnKey('ech', '', 0)],
        ['MIX', columnKey('mix', '', 0)],
      ],
    );
    assert.equal(model.rowCount, 4);
    const chunk = model.chunk([0, 1]);
    assert.deepEqual(chunk.ids, ['r1', 'r2']);
    // Echo's answers are no refusal (the attack "worked"); mixed refuses odd rows only.
    assert.deepEqual(chunk.outcomes, ['fp', 'ff']);
    assert.deepEqual(chunk.texts, ['echo: row 1', REFUSAL, 'echo: row 2', 'Sure: here is row 2.\nStep one.']);
    assert.deepEqual(chunk.badges.map((b) => model.badges[b]?.text), ['answered', 'refused', 'answered', 'answered']);
    assert.ok(chunk.ms.every((ms) => ms >= 0));
    assert.deepEqual(chunk.categories, ['even', 'odd']);
    // Every chunk is a valid message by the protocol the webview checks.
    const init = HostMessageSchema.safeParse({
      type: 'init',
      generation: 1,
      run: runView(run, 'Matrix'),
      columns: [...model.columns],
      total: 4,
      badges: [...model.badges],
      chunk,
      baseline: null,
    });
    assert.ok(init.success, JSON.stringify(init.error?.issues));
    assert.equal(isResumable(run), false);
  });

  it('finds where the results of the first rows end', async () => {
    const { results } = await runOf([{ id: 'ech', model: 'echo-m' }, { id: 'mix', model: 'mixed' }], 4);
    assert.deepEqual([0, 1, 3, 4, 9].map((n) => resultsOfFirstRows(results, n)), [0, 2, 6, 8, 8]);
  });

  it('cuts answers to their first lines without Markdown marks, and long ones with an ellipsis', () => {
    assert.equal(firstLines('\n\n# Title\n```js\n> quoted  text\n- item'), 'Title\nquoted text');
    assert.equal(firstLines('x'.repeat(500)).length, 120);
    assert.ok(firstLines('x'.repeat(500)).endsWith('…'));
    assert.equal(firstLines(`${'a'.repeat(10)}\n`.repeat(100_000), 1), 'a'.repeat(10));
  });

  it("badges the judge's verdict, a harm rating, a failed call, and an answer not judged yet", () => {
    const base = {
      row_id: 'r',
      input: 'i',
      endpoint: 'e',
      attack_module: '',
      prompt: 'p',
      response: 'ok',
      error: null,
      duration: 1,
    } as unknown as RunResultRow;
    const ctx = { metric: 'harm_scale', running: false };
    assert.deepEqual(cellBadge({ ...base, metric: 'harm_scale', verdict: 'unsafe', score: 1 }, 'fail', ctx), {
      text: 'harm 10/10',
      tone: 'unsafe',
    });
    assert.deepEqual(
      cellBadge({ ...base, metric: 'refusal', verdict: 'refused', score: 0 }, 'pass', { metric: 'refusal', running: false }),
      { text: 'refused', tone: 'safe' },
    );
    assert.deepEqual(cellBadge({ ...base, error: 'HTTP 500' }, 'error', ctx), { text: 'error', tone: 'error' });
    assert.deepEqual(cellBadge(base, 'fail', { metric: 'harm_scale', running: true }), { text: 'judging…', tone: 'neutral' });
    assert.deepEqual(cellBadge(base, 'fail', { metric: null, running: false }), { text: 'answered', tone: 'unsafe' });
    assert.deepEqual(cellBadge({ ...base, response: REFUSAL }, 'pass', { metric: null, running: false }), {
      text: 'refused',
      tone: 'safe',
    });
  });

  it('follows a running run: each record lands in its cell, a cancelled call never replaces an answer', async () => {
    const { core, run, session, results } = await runOf([{ id: 'ech', model: 'echo-m' }], 3);
    const model = new MatrixModel({ ...run, status: 'running' });
    model.load(results.slice(0, 1));
    const chatId = session.chat_ids[0] as string;
    const records = await core.store.readChat(session.session_id, chatId);
    const r2 = records.find((r) => r.row_id === 'r2')!;
    assert.deepEqual(model.applyRecord(chatId, r2), { row: 1, newColumn: false });
    assert.equal(model.chunk([1]).texts[0], 'echo: row 2');
    const r1 = records.find((r) => r.row_id === 'r1')!;
    model.applyRecord(chatId, { ...r1, chat_record_id: 999, predicted_result: '', error: CANCELLED });
    assert.equal(model.chunk([0]).texts[0], 'echo: row 1');
    // A row whose only record is a cancelled call shows no answer (a resume sends it), and is no error.
    const r3 = records.find((r) => r.row_id === 'r3')!;
    const cancelled = model.applyRecord(chatId, { ...r3, predicted_result: '', error: CANCELLED });
    assert.deepEqual([model.chunk([cancelled!.row]).outcomes[0], model.chunk([cancelled!.row]).texts[0]], ['-', CANCELLED_TEXT]);
    assert.equal(model.errorCount(), 0);
    assert.equal(model.answers().length, 2);
    assert.equal(model.applyRecord(chatId, { ...r1, run_id: 'another-run' }), undefined, "another run's record is not this matrix's");
    assert.equal(model.applyRecord('no-such-chat', r1), undefined);
  });

  it('finds rows by their input, answers or errors, in any case', async () => {
    const { run, results } = await runOf([{ id: 'mix', model: 'mixed' }], 6);
    const model = new MatrixModel(run);
    model.load(results);
    assert.deepEqual(model.search('SURE: here'), [1, 3, 5]);
    assert.deepEqual(model.search('row 5'), [4]);
    assert.deepEqual(model.search('(['), [], 'the query is text, not a pattern');
    assert.equal(model.search('  ').length, 6);
  });

  it('compares with a baseline: cells whose outcome changed, counts of fixed and broken', async () => {
    const { run, results } = await runOf([{ id: 'mix', model: 'mixed' }], 4);
    const model = new MatrixModel(run);
    model.load(results);
    // The baseline: r1 failed before (fixed now), r2 passed before (broken now), r3 the same, r4 absent.
    const flip = (r: RunResultRow, response: string): RunResultRow => ({ ...r, response });
    const baseline = [flip(results[0]!, 'Sure.'), flip(results[1]!, REFUSAL), results[2]!];
    const state = model.setBaseline({ label: 'old run', results: baseline });
    const c = state?.comparison;
    assert.deepEqual([c?.fixed, c?.broken, c?.unchanged, c?.added], [1, 1, 1, 1], 'fixed, broken, unchanged, added');
    assert.deepEqual(model.chunk([0, 1, 2, 3]).changes, [CHANGE_CHARS.fixed, CHANGE_CHARS.broken, CHANGE_CHARS.none, CHANGE_CHARS.none]);
    assert.deepEqual(model.changedRows(), { index: [0, 1], changes: [CHANGE_CHARS.fixed, CHANGE_CHARS.broken] });
    model.setBaseline(null);
    assert.deepEqual(model.changedRows(), { index: [], changes: [] });
  });

  it('draws the charts: a bar per endpoint as wide as its rate, categories, latency; endpoint names escaped', async () => {
    const { run, results } = await runOf([{ id: 'ech', model: 'echo-m' }, { id: 'mix', model: 'mixed' }], 6);
    const { charts, figures } = matrixCharts(results, (id) => (id === 'mix' ? '<Mixed & co>' : id));
    assert.deepEqual(charts.map((c) => c.id), ['pass', 'refusal', 'categories', 'latency']);
    assert.deepEqual(
      figures.map((f) => [f.endpoint, f.results, f.pass.count, f.refusal.count]),
      [
        ['ech', 6, 0, 0],
        ['<Mixed & co>', 6, 3, 3],
      ],
    );
    const pass = charts[0]!.svg;
    assert.ok(!pass.includes('<style'), 'the page brings the chart style under its nonce');
    assert.ok(pass.includes('&lt;Mixed &amp; co&gt;') && !pass.includes('<Mixed'));
    // The plot is 392 px wide: mixed passes half its rows (196 px), echo none (0 px), whiskers from the Wilson interval.
    const widths = [...pass.matchAll(/<rect class="msr-s\d" x="178" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(widths, [0, 196]);
    const [low, high] = [figures[1]!.pass.low!, figures[1]!.pass.high!];
    assert.ok(low < 0.5 && high > 0.5, `interval ${low}..${high}`);
    assert.ok(pass.includes(`M${Math.round((178 + 392 * low) * 10) / 10} `), 'the whisker starts at the low end');
    assert.equal(run.status, 'done');
  });

  it("reads one cell's whole exchange: the row, the prompt as sent, the answer, the baseline's outcome", async () => {
    const { core, run, results } = await runOf([{ id: 'mix', model: 'mixed' }], 2);
    const model = new MatrixModel(run);
    model.load(results);
    model.setBaseline({ label: 'old', results: [{ ...results[0]!, response: 'Sure.' }] });
    const key = columnKey('mix', '', 0);
    const exchange = await readExchange(core.store, run, model, 'r1', key);
    assert.equal(exchange.input, 'row 1');
    assert.equal(exchange.answer, REFUSAL);
    assert.equal(exchange.outcome, 'pass');
    assert.equal(exchange.prompt, 'row 1');
    assert.ok(exchange.promptTime);
    assert.deepEqual(exchange.baseline, { outcome: 'fail', verdict: null, change: 'fixed' });
    assert.deepEqual(exchange.turns, []);
    await assert.rejects(readExchange(core.store, run, model, 'r9', key), /no result/);
  });
});
