// Dataset runs in a real VS Code: the Run Dataset flow with Back (a new
// session, or one the user has; only rows not yet answered), the results
// matrix it opens (its webview loads and gets every row), Cancel Run and
// Resume Run, the exports (CSV, JSONL, the Markdown report), Compare Run
// with a baseline file, and (phase 2) a run that phase 1 cut short,
// offered for Resume after the restart, and its matrix brought back by the serializer.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MoonshotSessionsApi } from '../../src/extension';
import type { Run, SessionMetadata } from '../../src/core/schemas';
import { RESULT_COLUMNS } from '../../src/core/datasets/results';
import { readEndpointSources } from '../../src/vscode/configuration';
import { runCommand } from '../../src/vscode/commands';
import type { HostMessage } from '../../src/shared/matrixProtocol';
import { ScriptedInput } from './scriptedInput';
import { EXTENSION_ID, commandRunner, runScripted, setting, withScript, workspaceFolder } from './helpers';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';

const phase = process.env.MOONSHOT_IT_PHASE ?? '1';
const REFUSAL = "I'm sorry, I can't help with that.";
/** The run phase 1 leaves going, for phase 2 to resume. */
const leftRunFile = () => vscode.Uri.joinPath(workspaceFolder(), '.phase1-dataset-run');

async function writeText(name: string, text: string): Promise<vscode.Uri> {
  const uri = vscode.Uri.joinPath(workspaceFolder(), name);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  return uri;
}

const readText = async (uri: vscode.Uri) => Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');

/** A JSONL dataset of `n` rows "row <i>", ids d1, d2 ... */
const datasetText = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: `d${i + 1}`, input: `row ${i + 1}`, category: i % 2 ? 'odd' : 'even' })).join(
    '\n',
  );

async function endpoints(fake: FakeOpenAI): Promise<void> {
  const at = (id: string, model: string, more: Record<string, unknown> = {}) => ({
    id, name: id, connector_type: 'openai-connector', uri: fake.url, model, params: { max_attempts: 1 }, ...more,
  });
  await setting('endpoints', [
    at('refuser', `reply:${REFUSAL}`),
    // One call at a time, each a moment long: a run of it can be cancelled half way.
    at('slowpoke', 'delay:150', { max_concurrency: 1 }),
  ]);
}

function matrixMessages(api: MoonshotSessionsApi, runId: string) {
  const messages: HostMessage[] = [];
  const waiting: { test: (m: HostMessage) => boolean; resolve: (m: HostMessage) => void }[] = [];
  const sub = api.matrices.onDidPost((p) => {
    if (p.runId !== runId) return;
    messages.push(p.message);
    for (const w of waiting.splice(0)) {
      if (w.test(p.message)) w.resolve(p.message);
      else waiting.push(w);
    }
  });
  return {
    messages,
    next: (test: (m: HostMessage) => boolean) =>
      new Promise<HostMessage>((resolve) => {
        const seen = messages.find(test);
        if (seen) resolve(seen);
        else waiting.push({ test, resolve });
      }),
    dispose: () => sub.dispose(),
  };
}

/** The rows of an init and the rows messages after it, as the webview would hold them: row id -> outcomes. */
function outcomesOf(messages: readonly HostMessage[]): Map<string, string> {
  const out = new Map<string, string>();
  let generation = -1;
  for (const m of messages) {
    if (m.type === 'init') {
      generation = m.generation;
      out.clear();
    }
    if ((m.type === 'init' || m.type === 'rows') && m.generation === generation)
      m.chunk.ids.forEach((id, i) => out.set(id, m.chunk.outcomes[i] ?? ''));
  }
  return out;
}

async function ended(api: MoonshotSessionsApi, run: Run): Promise<Run> {
  const tracked = api.runCommands.ended(run.run_id);
  if (tracked) return tracked;
  await api.core.drain();
  return api.core.runs.get(run.run_id);
}

describe(`Dataset runs in VS Code (phase ${phase})`, function () {
  this.timeout(90_000);
  let api: MoonshotSessionsApi;
  let fake: FakeOpenAI;
  const run = commandRunner(() => api);

  before(async () => {
    api = await vscode.extensions.getExtension<MoonshotSessionsApi>(EXTENSION_ID)!.activate();
    fake = await startFakeOpenAI();
    await endpoints(fake);
    await api.core.endpoints.setSources(readEndpointSources());
  });

  after(async () => {
    await setting('endpoints', undefined);
    await api.core.endpoints.setSources(readEndpointSources());
    await fake.close();
  });

  if (phase === '1') {
    let session: SessionMetadata;
    let firstRun: Run;
    let jsonl: vscode.Uri;

    it('Run Dataset: Back keeps the answers, a new session on the picked endpoints, and the matrix opens with every row', async () => {
      await writeText('it-rows.jsonl', datasetText(8));
      const { result, script } = await runScripted<Run>(
        api,
        'runDataset',
        new ScriptedInput([
          { pick: 'it-rows.jsonl' },
          { pick: '$(add) New session…' },
          { pickMany: [] },
          { pickMany: ['echo', 'refuser'] },
          { back: true },
          { pickMany: ['echo', 'refuser'] },
          { input: (suggested) => `${suggested} (IT)` },
          { pick: 'As they are' },
          { back: true },
          { pick: 'As they are' },
          { pick: 'None' },
          { input: '1' },
        ]),
      );
      firstRun = result;
      const names = script.asked.map((a) => `${a.kind}:${a.step ?? '-'}/${a.totalSteps ?? '-'}${a.back ? '<' : ''}`);
      assert.match(names[0] ?? '', /^pick:1\/\d+$/, 'the first step has no Back');
      assert.equal(names.at(-1), 'input:7/7<', 'a new session adds two steps: its endpoints and its name');
      assert.deepEqual(script.asked.slice(1).map((a) => a.back), script.asked.slice(1).map(() => true), 'every later step has Back');
      assert.equal(script.asked[6]?.value, 'Run of it-rows', 'the name step suggests one after Back');
      session = await api.core.sessions.get(firstRun.session_id);
      assert.equal(session.name, 'Run of it-rows (IT)');
      assert.deepEqual(session.endpoints, ['echo', 'refuser']);
      assert.equal(firstRun.rows_total, 8);

      const panel = api.matrices.get(firstRun.run_id);
      assert.ok(panel, 'the matrix opened');
      const watch = matrixMessages(api, firstRun.run_id);
      try {
        await panel.whenReady();
        const done = await ended(api, firstRun);
        assert.equal(done.status, 'done');
        assert.equal(done.results, 16);
        // At its end the matrix is loaded again from the run's files: 8 rows, echo fails (answers), refuser passes.
        await watch.next((m) => m.type === 'init' && m.run.status === 'done');
        const outcomes = outcomesOf(watch.messages);
        assert.equal(outcomes.size, 8);
        assert.ok([...outcomes.values()].every((o) => o === 'fp'), JSON.stringify([...outcomes]));
      } finally {
        watch.dispose();
      }
    });

    it('Run Dataset on a session it is given: only rows not yet answered sends nothing twice', async () => {
      await writeText('it-more.jsonl', datasetText(10));
      const { result, script } = await runScripted<Run>(
        api,
        'runDataset',
        new ScriptedInput([
          { pick: 'it-more.jsonl' },
          { pick: 'As they are' },
          { pick: 'None' },
          { input: '1' },
          { pick: 'Only rows not yet answered' },
        ]),
        session.session_id,
      );
      assert.equal(script.asked[0]?.totalSteps, 5);
      assert.equal(result.rows_total, 2, 'rows d1-d8 were answered by the first run');
      const done = await ended(api, result);
      assert.deepEqual([done.status, done.results], ['done', 4]);
      const results = await api.core.runs.results(result.run_id);
      assert.deepEqual([...new Set(results.map((r) => r.row_id))], ['d9', 'd10']);
    });

    it("a large run's matrix gets its first screen first, then every row, in rows messages of the same load", async () => {
      await writeText('it-large.jsonl', datasetText(450));
      const large = await api.core.sessions.create({ name: 'Large run', endpoints: ['echo'] });
      const started = await api.core.runs.start(
        { session_id: large.session_id },
        { datasetFile: vscode.Uri.joinPath(workspaceFolder(), 'it-large.jsonl').fsPath },
      );
      await api.core.drain();
      const watch = matrixMessages(api, started.run_id);
      try {
        await run('openRunResults', [], started.run_id);
        const init = (await watch.next((m) => m.type === 'init')) as Extract<HostMessage, { type: 'init' }>;
        assert.deepEqual([init.total, init.chunk.ids.length], [200, 200], 'the first screen, before the rest is built');
        await watch.next((m) => m.type === 'rows' && m.total === 450);
        const outcomes = outcomesOf(watch.messages);
        assert.equal(outcomes.size, 450);
        assert.ok([...outcomes.values()].every((o) => o === 'f'), 'every echo answer is in (and no refusal)');
      } finally {
        watch.dispose();
      }
    });

    it('Cancel Run stops a run half way; Resume Run sends only the rows without an answer', async () => {
      await writeText('it-slow.jsonl', datasetText(12));
      const slow = await api.core.sessions.create({ name: 'Slow run', endpoints: ['slowpoke'] });
      const started = await run<Run>(
        'runDataset',
        [{ pick: 'it-slow.jsonl' }, { pick: 'As they are' }, { pick: 'None' }, { input: '1' }, { pick: 'Every row' }],
        slow.session_id,
      );
      const watch = matrixMessages(api, started.run_id);
      try {
        // Cancel once a few rows are in (the matrix is told of each).
        await watch.next((m) => m.type === 'run' && m.run.rowsDone >= 2);
        const cancelled = await run<Run>('cancelRun', [], started.run_id);
        assert.equal(cancelled.status, 'cancelled');
        const stopped = await ended(api, started);
        assert.ok(stopped.rows_done < 12, `${stopped.rows_done} rows done`);
        await watch.next((m) => m.type === 'run' && m.run.status === 'cancelled' && m.run.resumable);

        // Resume Run with no argument asks which run, and offers only runs with rows left.
        const script = new ScriptedInput([{ pick: (item) => item.description?.startsWith('cancelled · Slow run') ?? false }]);
        const resumed = (await withScript(api, script, async () => runCommand<Run>('resumeRun')))!;
        assert.equal(resumed.run_id, started.run_id);
        assert.ok(!script.asked[0]?.items?.some((label) => label.startsWith('it-rows')), 'a run with every row answered is not offered');
        const done = await ended(api, resumed);
        assert.deepEqual([done.status, done.rows_done, done.results], ['done', 12, 12]);
        // A call the cancel stopped has a "cancelled" record and is sent again; an answered row never is.
        const records = await api.core.store.readChat(slow.session_id, slow.chat_ids[0]!);
        const answered = records.filter((r) => r.run_id === started.run_id && r.error === null).map((r) => r.row_id);
        assert.deepEqual(
          answered.slice().sort(),
          Array.from({ length: 12 }, (_, i) => `d${i + 1}`).sort(),
          'every row answered once: none twice, none lost',
        );
      } finally {
        watch.dispose();
      }
    });

    it('Export Run Results: CSV and JSONL, one line per row and endpoint with verdicts, and the Markdown report with its ' +
      'charts', async () => {
      const csv = vscode.Uri.joinPath(workspaceFolder(), 'it-results.csv');
      jsonl = vscode.Uri.joinPath(workspaceFolder(), 'it-results.jsonl');
      const md = vscode.Uri.joinPath(workspaceFolder(), 'it-report.md');
      await run('exportRunResults', [{ pick: 'CSV' }, { save: csv }], firstRun.run_id);
      await run('exportRunResults', [{ save: jsonl }], firstRun.run_id, 'jsonl');
      await run('exportRunResults', [{ pick: 'Markdown report' }, { save: md }], firstRun.run_id);
      const csvLines = (await readText(csv)).trimEnd().split('\r\n');
      assert.equal(csvLines[0], RESULT_COLUMNS.join(','));
      assert.equal(csvLines.length, 17);
      const rows = (await readText(jsonl))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(rows.length, 16);
      assert.deepEqual([rows[0].row_id, rows[0].endpoint, rows[1].endpoint, rows[1].response], ['d1', 'echo', 'refuser', REFUSAL]);
      const report = await readText(md);
      assert.match(report, /^# Run of it-rows/m);
      assert.ok((report.match(/<svg /g) ?? []).length >= 3, 'the charts are in the report as SVG');
      assert.match(report, /\| refuser \|/);
    });

    it('Compare Run with Baseline: a results file picked from the workspace; fixed and broken counted, the matrix told', async () => {
      // A baseline where the refuser answered d1 (it was broken then: fixed now) and echo refused d2 (broken now).
      const rows = (await readText(jsonl)).trimEnd().split('\n').map((l) => JSON.parse(l));
      rows[1].response = 'Sure, here it is.';
      rows[2].response = REFUSAL;
      const baseline = await writeText('it-baseline.jsonl', `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
      const watch = matrixMessages(api, firstRun.run_id);
      try {
        const comparison = await run<{ fixed: number; broken: number }>('compareRun', [{ pick: 'it-baseline.jsonl' }], firstRun.run_id);
        assert.deepEqual([comparison.fixed, comparison.broken], [1, 1]);
        const told = (await watch.next((m) => m.type === 'baseline' && m.baseline !== null)) as Extract<HostMessage, { type: 'baseline' }>;
        assert.deepEqual([told.baseline?.fixed, told.baseline?.broken, told.index.length], [1, 1, 2]);
        assert.deepEqual(api.matrices.get(firstRun.run_id)?.baseline, { kind: 'file', path: baseline.fsPath });
      } finally {
        watch.dispose();
      }
    });

    it('leaves a run cut short (and its matrix open) for phase 2', async () => {
      await writeText('it-stuck.jsonl', datasetText(3));
      await setting('endpoints', [
        ...(vscode.workspace.getConfiguration('moonshotSessions').get<unknown[]>('endpoints') ?? []),
        {
          id: 'stuck',
          name: 'stuck',
          connector_type: 'openai-connector',
          uri: fake.url,
          model: 'hang',
          max_concurrency: 1,
          params: { max_attempts: 1 },
        },
      ]);
      await api.core.endpoints.setSources(readEndpointSources());
      const stuck = await api.core.sessions.create({ name: 'Stuck run', endpoints: ['stuck'] });
      const sent = new Promise<void>((resolve) => fake.events.on('request', (r: { model: string }) => r.model === 'hang' && resolve()));
      const started = await run<Run>(
        'runDataset',
        [{ pick: 'it-stuck.jsonl' }, { pick: 'As they are' }, { pick: 'None' }, { input: '1' }, { pick: 'Every row' }],
        stuck.session_id,
      );
      await api.matrices.get(started.run_id)?.whenReady();
      // Stopped as a window closing stops it (deactivate cancels the runs going): the call in flight is cut off, no row is done.
      await sent;
      const cancelled = await run<Run>('cancelRun', [], started.run_id);
      assert.deepEqual([cancelled.status, cancelled.rows_done], ['cancelled', 0]);
      // What an activation offers to resume (a notification with Resume): this run, once.
      const offered = await api.runCommands.offerResumes();
      assert.ok(offered.some((r) => r.run_id === started.run_id), `offered: ${offered.map((r) => r.run_id).join(', ')}`);
      assert.deepEqual(await api.runCommands.offerResumes(), [], 'a run is offered once');
      await vscode.workspace.fs.writeFile(leftRunFile(), Buffer.from(started.run_id));
    });
  } else {
    it('after the restart, the run phase 1 cut short is not offered again, its matrix comes back, and Resume finishes it', async () => {
      const runId = Buffer.from(await vscode.workspace.fs.readFile(leftRunFile())).toString('utf8');
      const offered = await api.resumeOffers;
      assert.ok(!offered.some((r) => r.run_id === runId), 'phase 1 offered it already: an offer is made once');
      const before = await api.core.runs.get(runId);
      assert.deepEqual([before.status, before.rows_done], ['cancelled', 0]);
      // The endpoint answers now.
      await setting('endpoints', [
        { id: 'stuck', name: 'stuck', connector_type: 'openai-connector', uri: fake.url, model: 'unstuck', params: { max_attempts: 1 } },
      ]);
      await api.core.endpoints.setSources(readEndpointSources());
      const resumed = await run<Run>('resumeRun', [], runId);
      const done = await ended(api, resumed);
      assert.deepEqual([done.status, done.rows_done], ['done', 3]);
      // The call the stop cut off left a "cancelled" record; the results are the answers, one per row.
      const results = await api.core.runs.results(runId);
      assert.deepEqual(results.map((r) => [r.row_id, r.error]), [['d1', null], ['d2', null], ['d3', null]]);
      // The serializer brought the matrix of phase 1 back with the workbench.
      const deadline = Date.now() + 20_000;
      while (!api.matrices.get(runId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.ok(api.matrices.get(runId), 'the matrix panel was restored');
    });
  }
});
