// `moonshot-sessions run`, the headless CI gate, as a child process against
// the fake OpenAI server: results and report files, the summary, both exit
// codes of a threshold and a baseline, usage errors, Ctrl+C and --resume.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CLI, requireBuiltCli, runCli } from '../support/cliProcess';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { fakeEndpointConfig, sentTexts, writeDataset } from '../support/runHarness';
import { useTempDir } from '../support/tempDir';

const REFUSAL = "I'm sorry, but I can't help with that.";
const lines = async (file: string) =>
  (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('moonshot-sessions run (the CI gate)', function () {
  this.timeout(60_000);
  const dir = useTempDir();
  let fake: FakeOpenAI;

  before(async () => {
    requireBuiltCli();
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  /** An endpoints file with one endpoint `model` that answers as `behaviour` does (a model name of the fake server). */
  async function endpointsFile(name: string, model: string, maxConcurrency = 10) {
    const file = join(dir(), `${name}.json`);
    await fs.writeFile(
      file,
      JSON.stringify([
        { ...fakeEndpointConfig(fake, { id: 'model', model, max_concurrency: maxConcurrency }), id: undefined, name: 'model' },
      ]),
    );
    return file;
  }

  it('runs the dataset, writes the results and the report, prints the summary, and passes under the threshold (exit 0)', async () => {
    const dataset = await writeDataset(dir(), 6);
    const out = join(dir(), 'results.jsonl');
    const { code, stdout, stderr } = await runCli([
      'run',
      '--dataset',
      dataset,
      '--endpoints',
      await endpointsFile('refuser', `reply:${REFUSAL}`),
      '--out',
      out,
      '--fail-above-asr',
      '0.05',
      '--storage',
      join(dir(), 'store'),
    ]);
    assert.equal(code, 0, stderr);
    const results = await lines(out);
    assert.equal(results.length, 6);
    assert.deepEqual(
      results.map((r) => [r.row_id, r.endpoint, r.outcome]),
      Array.from({ length: 6 }, (_, i) => [`r${i + 1}`, 'model', 'pass']),
    );
    const report = await fs.readFile(join(dir(), 'results.md'), 'utf8');
    assert.match(report, /^# Run /);
    assert.match(report, /<svg /);
    assert.match(stdout, /^endpoint +results +errors +refusals +attack success \(95% CI\) +pass rate +mean s$/m);
    assert.match(stdout, /^model +6 +0 +100\.0% +0\.0% \(0\.0%-39\.0%\) +100\.0%/m);
    assert.match(stdout, /rows 6\/6 \(100\.0%\)/);
  });

  it('reads a promptfoo YAML dataset: the built CLI loads the YAML parser and the OpenAI SDK from their own chunks', async () => {
    const dataset = join(dir(), 'tests.yaml');
    await fs.writeFile(dataset, '- vars: {prompt: first question}\n- vars: {prompt: second question}\n  metadata: {category: yaml}\n');
    const out = join(dir(), 'yaml.jsonl');
    const endpoints = await endpointsFile('echoer', 'echo');
    const storage = join(dir(), 'store');
    const { code, stderr } = await runCli(['run', '--dataset', dataset, '--endpoints', endpoints, '--out', out, '--storage', storage]);
    assert.equal(code, 0, stderr);
    const results = await lines(out);
    assert.deepEqual(
      results.map((r) => [r.input, r.category, r.error]),
      [['first question', null, null], ['second question', 'yaml', null]],
    );
    assert.match(String(results[1]!.response), /second question/, 'the answer came from the fake server through the SDK');
  });

  it('fails a model that got easier to break: the threshold and a broken baseline both exit 1, and the report says what ' +
    'broke', async () => {
    const dataset = await writeDataset(dir(), 4);
    const baseline = join(dir(), 'baseline.csv');
    const first = await runCli([
      'run',
      '--dataset',
      dataset,
      '--endpoints',
      await endpointsFile('before', `reply:${REFUSAL}`),
      '--out',
      baseline,
      '--storage',
      join(dir(), 'store'),
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(await fs.readFile(baseline, 'utf8'), /^row_id,input,target,category,endpoint,/);

    const broken = await endpointsFile('after', 'reply:Sure, here is how.');
    const out = join(dir(), 'after.jsonl');
    const args = [
      'run',
      '--dataset',
      dataset,
      '--endpoints',
      broken,
      '--out',
      out,
      '--baseline',
      baseline,
      '--storage',
      join(dir(), 'store2'),
    ];
    const lenient = await runCli(args);
    assert.equal(lenient.code, 0, 'no threshold, no --fail-on-broken: it passes');
    assert.match(lenient.stdout, /Against the baseline: 4 broken, 0 fixed/);

    const byBaseline = await runCli([...args, '--fail-on-broken']);
    assert.equal(byBaseline.code, 1);
    assert.match(byBaseline.stderr, /FAIL 4 result\(s\) that passed in the baseline fail now/);
    const byThreshold = await runCli([...args, '--fail-above-asr', '0.05', '--report', join(dir(), 'gate.md')]);
    assert.equal(byThreshold.code, 1);
    assert.match(byThreshold.stderr, /FAIL model: attack success rate 100\.0% is above 5\.0%/);
    const report = await fs.readFile(join(dir(), 'gate.md'), 'utf8');
    assert.match(report, /## Compared with the baseline/);
    assert.match(report, /Broken \(passed before, fails now\): 4/);
  });

  it('exits 2 for usage errors, saying what is wrong', async () => {
    const dataset = await writeDataset(dir(), 2);
    const store = ['--storage', join(dir(), 'store')];
    const eps = await endpointsFile('any', 'echo-usage');
    const cases: [string[], RegExp][] = [
      [['run', '--dataset', dataset, ...store], /--out FILE is required/],
      [['run', '--out', join(dir(), 'x.jsonl'), ...store], /--dataset FILE is required/],
      [
        ['run', '--dataset', dataset, '--out', join(dir(), 'x.jsonl'), '--sample', '2', ...store],
        /--sample 2: must be a number from 0 to 1/,
      ],
      [['run', '--dataset', dataset, '--out', join(dir(), 'x.jsonl'), '--bogus', ...store], /Unknown option '--bogus'/],
      [['run', '--dataset', join(dir(), 'missing.jsonl'), '--endpoints', eps, '--out', join(dir(), 'x.jsonl'), ...store], /missing\.jsonl/],
      [
        [
          'run',
          '--dataset',
          dataset,
          '--endpoints',
          eps,
          '--out',
          join(dir(), 'x.jsonl'),
          '--baseline',
          join(dir(), 'nope.jsonl'),
          ...store,
        ],
        /--baseline .*nope\.jsonl: no such file/,
      ],
      [
        ['run', '--dataset', dataset, '--endpoints', eps, '--out', join(dir(), 'x.jsonl'), '--judge', 'refusal_judge', ...store],
        /--judge-endpoint: is required: refusal_judge needs a judge model/,
      ],
      [['run', '--dataset', dataset, '--out', join(dir(), 'x.jsonl'), ...store], /no endpoint to test/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await runCli(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, message);
    }
  });

  it('stops cleanly on Ctrl+C (exit 130, results so far written), and --resume sends only the rest, none twice', async () => {
    const dataset = await writeDataset(dir(), 16);
    const eps = await endpointsFile('slow', 'delay:60', 2);
    const out = join(dir(), 'partial.jsonl');
    const args = [
      'run',
      '--dataset',
      dataset,
      '--endpoints',
      eps,
      '--out',
      out,
      '--storage',
      join(dir(), 'store'),
      '--progress-every',
      '0.05',
    ];
    const start = fake.requests.length;
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    await new Promise<void>((done) => {
      const check = () => {
        if (fake.requests.length - start < 4) return;
        fake.events.off('request', check);
        done();
      };
      fake.events.on('request', check);
    });
    child.kill('SIGINT');
    const [code] = (await exited) as [number];
    assert.equal(code, 130, stderr);
    assert.match(stderr, /--resume/);
    assert.match(stdout, /^rows \d+\/16/m, 'plain progress lines without a terminal');
    const partial = await lines(out);
    assert.ok(partial.length >= 4 && partial.length < 16, `${partial.length} results before the stop`);
    assert.ok(partial.every((r) => r.error === null), 'the calls in flight were let finish');

    const resumeStart = fake.requests.length;
    const resumed = await runCli([...args.slice(0, -2), '--resume']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /Resuming run \S+ \(cancelled, \d+ of 16 rows done\)/);
    const done = new Set(partial.map((r) => r.row_id));
    const resent = sentTexts(fake, 'delay:60', fake.requests.slice(resumeStart)).map((t) => `r${t.split(' ')[1]}`);
    assert.deepEqual(resent.filter((id) => done.has(id)), []);
    assert.equal(resent.length, 16 - done.size);
    const all = await lines(out);
    assert.deepEqual(all.map((r) => r.row_id), Array.from({ length: 16 }, (_, i) => `r${i + 1}`));
    assert.equal(sentTexts(fake, 'delay:60', fake.requests.slice(start)).length, 16, 'every row was sent once in all');
  });

  it('--resume refuses a dataset that changed since the run began (exit 2)', async () => {
    const dataset = await writeDataset(dir(), 12);
    const eps = await endpointsFile('slow2', 'delay:80', 1);
    const args = ['run', '--dataset', dataset, '--endpoints', eps, '--out', join(dir(), 'x.jsonl'), '--storage', join(dir(), 'store')];
    const start = fake.requests.length;
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    await new Promise<void>((done) => {
      const check = () => fake.requests.length - start >= 2 && (fake.events.off('request', check), done());
      fake.events.on('request', check);
    });
    child.kill('SIGINT');
    assert.equal(((await exited) as [number])[0], 130);
    await fs.appendFile(dataset, `${JSON.stringify({ id: 'extra', input: 'one more' })}\n`);
    const { code, stderr } = await runCli([...args, '--resume']);
    assert.equal(code, 2);
    assert.match(stderr, /changed since run .* started/);
  });
});
