// A dataset run whose process is killed (SIGKILL at a random moment, as a
// crash or a closed window would): the next process lists it as
// interrupted, and a resume loses no acknowledged answer and sends none
// twice: checked against the records and the fake server's request log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Core } from '../../src/core/openCore';
import { openCore } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { fakeEndpointConfig, recordsByChat, sentTexts, writeDataset } from '../support/runHarness';
import { useTempDir } from '../support/tempDir';

const CHILD = resolve(__dirname, '../support/runChild.ts');
const ROWS = 80;

describe('a dataset run whose process is killed', function () {
  this.timeout(60_000);
  let fake: FakeOpenAI;
  let core: Core | undefined;

  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());
  afterEach(async () => {
    await core?.drain();
    core?.dispose();
  });
  // After the hook above, so what it stops is stopped before its folder is removed.
  const dir = useTempDir();

  for (const attempt of [1, 2, 3]) {
    it(`resumes after kill -9 at a random moment with 0 acknowledged answers lost and 0 sent twice (attempt ${attempt})`, async () => {
      const models = [`delay:${5 + attempt}`, `delay:${15 + attempt}`];
      const endpointsFile = join(dir(), 'endpoints.json');
      await fs.writeFile(
        endpointsFile,
        JSON.stringify(
          models.map((model, i) => ({ ...fakeEndpointConfig(fake, { id: `e${i}`, model, max_concurrency: 3 }), id: undefined })),
        ),
      );
      const dataset = await writeDataset(dir(), ROWS);
      const storage = join(dir(), 'store');
      const start = fake.requests.length;

      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storage, endpointsFile, dataset, 'e0', 'e1'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const { session_id: sessionId, run_id: runId } = JSON.parse(line) as { session_id: string; run_id: string };
      // Killed once a random number of calls has reached the server, a random few ms later.
      const calls = 10 + Math.floor(Math.random() * (ROWS - 20));
      const extraMs = Math.floor(Math.random() * 15);
      await new Promise<void>((done) => {
        const check = () => {
          if (fake.requests.length - start < calls) return;
          fake.events.off('request', check);
          setTimeout(done, extraMs);
        };
        fake.events.on('request', check);
        check();
      });
      child.kill('SIGKILL');
      await exited;
      const sentBeforeKill = fake.requests.length - start;
      const where = `killed after ${calls} calls + ${extraMs} ms (${sentBeforeKill} sent)`;

      core = await openCore({
        storageDir: storage,
        endpointSources: [{ kind: 'file', path: endpointsFile }],
        promptTemplateFolders: [],
        secrets: new MemorySecretStore(),
      });
      const interrupted = await core.runs.get(runId);
      assert.equal(interrupted.status, 'interrupted', where);
      const before = await recordsByChat(core, sessionId);
      const acknowledged = Object.values(before).map((records) => new Set(records.map((r) => r.row_id)));
      const acknowledgedCount = acknowledged.reduce((n, s) => n + s.size, 0);
      assert.equal(interrupted.results, acknowledgedCount, where);
      assert.ok(acknowledgedCount < 2 * ROWS, `${where}: the run was still going`);

      const resumeStart = fake.requests.length;
      await core.runs.resume(runId);
      await core.drain();
      const run = await core.runs.get(runId);
      assert.equal(run.status, 'done', where);
      assert.equal(run.rows_done, ROWS, where);

      const after = await recordsByChat(core, sessionId);
      const session = await core.sessions.get(sessionId);
      for (const [i, chatId] of session.chat_ids.entries()) {
        const resent = sentTexts(fake, models[i]!, fake.requests.slice(resumeStart)).map((t) => `r${t.split(' ')[1]}`);
        const twice = resent.filter((rowId) => acknowledged[i]!.has(rowId));
        assert.deepEqual(twice, [], `${where}: acknowledged rows sent again to ${chatId}`);
        const rows = after[chatId]!.map((r) => r.row_id);
        assert.equal(rows.length, ROWS, `${where}: ${chatId} has one record per row`);
        assert.equal(new Set(rows).size, ROWS, `${where}: no row twice in ${chatId}`);
        assert.deepEqual(
          after[chatId]!.slice(0, before[chatId]!.length),
          before[chatId],
          `${where}: the acknowledged records are kept as they were`,
        );
        assert.deepEqual(after[chatId]!.map((r) => r.chat_record_id), rows.map((_, k) => k + 1));
      }
      assert.equal((await core.runs.results(runId)).length, 2 * ROWS);
    });
  }
});
