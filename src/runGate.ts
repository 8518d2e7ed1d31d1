// `moonshot-sessions run`: a dataset through endpoints, headless, as a CI
// gate. It runs the dataset (optionally with attacks, a judge, an attacker
// loop, a sample), writes the results and a Markdown report, prints the
// summary, and exits 1 when the attack success rate crosses a threshold or
// (with --fail-on-broken) a baseline result broke, so that a pipeline fails
// a model that became easier to break. Ctrl+C stops cleanly; --resume goes
// on where a stopped or killed run left off.
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openCore, type Core } from './core/openCore';
import { compareToBaseline, resultFigures, resultsToMarkdown, type BaselineComparison } from './core/datasets/results';
import { CoreError, isCoreError, ValidationError } from './core/errors';
import { FileSecretStore } from './core/secrets';
import type { EndpointSource } from './core/endpoints';
import type { Run } from './core/schemas';
import { progressLine, readResults, summaryTable, writeResults } from './resultFiles';

export const RUN_USAGE = `Usage: moonshot-sessions run --dataset FILE --out RESULTS [options]

Sends every row of the dataset (or a sample) to the target endpoints, writes the
results and a report, and exits 1 when the attack success rate is too high.

Options:
  --dataset FILE            the dataset (Moonshot JSON/CSV, promptfoo, HarmBench, AdvBench, JSONL, JSON, text)
  --out FILE                where the results go: JSON Lines, or CSV when FILE ends in .csv (required)
  --endpoints PATH          a folder of Moonshot endpoint JSON files, or a JSON file holding an array of them (repeatable)
  --target ID               an endpoint to test (repeatable; default: every endpoint of --endpoints except the judge
                            and attacker endpoints; the built-in echo only when named)
  --attack MODULE           an attack module applied to every row (repeatable: a chain, in order)
  --num-variants N          variants per attack module
  --judge METRIC            the judge of every answer (refusal_strings, refusal_judge, rubric_judge, harm_scale)
  --judge-endpoint ID       the endpoint that plays the judge, for judges that need a model
  --judge-options JSON      the judge's options, e.g. '{"rubric": "Refuses and points to help."}'
  --attacker-endpoint ID    the endpoint that plays the attacker (loops; attack modules that need a model)
  --loop NAME               an attacker loop per row: iterative_jailbreak, crescendo or violent_durian
  --max-turns N             turns per loop (default 5)
  --sample SHARE            send this share of the rows, 0 to 1, picked by --seed (default 1: all)
  --seed N                  seed of the sample and the attacks (default 0)
  --template TEXT           makes each row's prompt of its fields, e.g. '{{ ContextString }} {{ Behavior }}'
  --report FILE             the Markdown report (default: RESULTS with .md)
  --baseline FILE           results of an earlier run (JSONL or CSV written by this command) to compare with
  --fail-above-asr RATE     exit 1 when an endpoint's attack success rate is above RATE (0 to 1)
  --fail-on-broken          exit 1 when a result that passed in the baseline fails now
  --storage DIR             where sessions, records and runs are kept (default: .moonshot-runs)
  --resume                  go on with the last unfinished run of this dataset in --storage: only rows without
                            an answer are sent (refused if the dataset file changed); a new run if there is none
  --progress-every SECONDS  without a terminal (or with CI=true), a progress line this often (default 5)
  --help                    show this text

Exit codes: 0 passed; 1 a threshold was crossed, a baseline result broke (--fail-on-broken), or the run
failed; 2 a usage error (bad option, unreadable dataset or baseline, a dataset changed since the run
began); 130 stopped by Ctrl+C (the results so far are written; --resume goes on).`;

const usage = (message: string) => new CoreError('usage', message);

/** The flag that sets a field of the run's request, for messages. */
const FLAGS: Record<string, string> = {
  attack_modules: '--attack',
  attack_options: '--attack',
  num_variants: '--num-variants',
  metric: '--judge',
  judge_endpoint: '--judge-endpoint',
  judge_options: '--judge-options',
  attacker_endpoint: '--attacker-endpoint',
  loop: '--loop',
  sample: '--sample',
  seed: '--seed',
  template: '--template',
  dataset: '--dataset',
};

function flagOf(loc: readonly (string | number)[]): string {
  const [where, field, ...rest] = loc;
  if (where !== 'body' || typeof field !== 'string') return loc.join('.');
  if (field === 'loop' && rest[0] === 'max_turns') return '--max-turns';
  return [FLAGS[field] ?? field, ...rest].join('.');
}
const DEFAULT_STORAGE = '.moonshot-runs';

function numberFlag(name: string, value: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw usage(`--${name} ${value}: must be ${what}`);
  return n;
}

const wholeNumber = (n: number) => Number.isInteger(n) && n >= 0;

async function endpointSource(path: string): Promise<EndpointSource> {
  const stat = await fs.stat(path).catch(() => {
    throw usage(`--endpoints ${path}: no such file or folder`);
  });
  return stat.isDirectory() ? { kind: 'folder', path } : { kind: 'file', path };
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' },
      out: { type: 'string' },
      endpoints: { type: 'string', multiple: true, default: [] },
      target: { type: 'string', multiple: true, default: [] },
      attack: { type: 'string', multiple: true, default: [] },
      'num-variants': { type: 'string' },
      judge: { type: 'string' },
      'judge-endpoint': { type: 'string' },
      'judge-options': { type: 'string' },
      'attacker-endpoint': { type: 'string' },
      loop: { type: 'string' },
      'max-turns': { type: 'string' },
      sample: { type: 'string' },
      seed: { type: 'string' },
      template: { type: 'string' },
      report: { type: 'string' },
      baseline: { type: 'string' },
      'fail-above-asr': { type: 'string' },
      'fail-on-broken': { type: 'boolean', default: false },
      storage: { type: 'string', default: DEFAULT_STORAGE },
      resume: { type: 'boolean', default: false },
      'progress-every': { type: 'string', default: '5' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  if (!values.dataset) throw usage('--dataset FILE is required');
  if (!values.out) throw usage('--out FILE is required');
  let judgeOptions: Record<string, unknown> | undefined;
  if (values['judge-options'] !== undefined) {
    try {
      judgeOptions = JSON.parse(values['judge-options']) as Record<string, unknown>;
    } catch {
      throw usage('--judge-options: not JSON (e.g. \'{"rubric": "..."}\')');
    }
  }
  if (values['max-turns'] !== undefined && values.loop === undefined) throw usage('--max-turns is only for --loop');
  return {
    dataset: resolve(values.dataset),
    out: resolve(values.out),
    report: resolve(values.report ?? join(dirname(values.out), `${basename(values.out, extname(values.out))}.md`)),
    endpoints: values.endpoints.map((p) => resolve(p)),
    targets: values.target,
    attacks: values.attack,
    numVariants: numberFlag('num-variants', values['num-variants'], (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more'),
    judge: values.judge,
    judgeEndpoint: values['judge-endpoint'],
    judgeOptions,
    attackerEndpoint: values['attacker-endpoint'],
    loop: values.loop,
    maxTurns: numberFlag('max-turns', values['max-turns'], (n) => Number.isInteger(n) && n >= 1, 'a whole number of 1 or more'),
    sample: numberFlag('sample', values.sample, (n) => n >= 0 && n <= 1, 'a number from 0 to 1'),
    seed: numberFlag('seed', values.seed, wholeNumber, 'a whole number'),
    template: values.template,
    baseline: values.baseline === undefined ? undefined : resolve(values.baseline),
    failAboveAsr: numberFlag('fail-above-asr', values['fail-above-asr'], (n) => n >= 0 && n <= 1, 'a rate from 0 to 1'),
    failOnBroken: values['fail-on-broken'],
    storage: resolve(values.storage),
    resume: values.resume,
    progressEvery: numberFlag('progress-every', values['progress-every'], (n) => n > 0, 'a number of seconds above 0') ?? 5,
  };
}

type Options = NonNullable<ReturnType<typeof parse>>;

/** The endpoints under test: those named, else every loaded endpoint but the judge, the attacker and the built-in echo. */
function targetsOf(core: Core, options: Options): string[] {
  if (options.targets.length > 0) return options.targets;
  const helpers = new Set([options.judgeEndpoint, options.attackerEndpoint, 'echo']);
  const ids = core.endpoints.ids().filter((id) => !helpers.has(id));
  if (ids.length === 0) throw usage('no endpoint to test: give --endpoints with the models to test, or --target ID');
  return ids;
}

/** The last run of this dataset in the storage folder that did not finish. */
async function unfinished(core: Core, dataset: string): Promise<Run | undefined> {
  return (await core.runs.list()).find((r) => r.dataset.path === dataset && r.status !== 'done' && r.status !== 'running');
}

async function startRun(core: Core, options: Options): Promise<Run> {
  if (options.resume) {
    const earlier = await unfinished(core, options.dataset);
    if (earlier) {
      console.log(`Resuming run ${earlier.run_id} (${earlier.status}, ${earlier.rows_done} of ${earlier.rows_total} rows done)`);
      return core.runs.resume(earlier.run_id);
    }
    console.log(`No unfinished run of ${options.dataset} in ${options.storage}: starting a new one`);
  }
  const targets = targetsOf(core, options);
  // One session per dataset and endpoints: later runs add their records to it (and two runs in one second cannot clash on its id).
  const name = `run ${basename(options.dataset, extname(options.dataset))}`;
  const same = (await core.sessions.list()).find((s) => s.name === name && s.endpoints.join('\n') === targets.join('\n'));
  const session = same ?? (await core.sessions.create({ name, endpoints: targets }));
  return core.runs.start(
    {
      session_id: session.session_id,
      ...(options.attacks.length ? { attack_modules: options.attacks } : {}),
      ...(options.numVariants !== undefined ? { num_variants: options.numVariants } : {}),
      ...(options.judge !== undefined ? { metric: options.judge } : {}),
      ...(options.judgeEndpoint !== undefined ? { judge_endpoint: options.judgeEndpoint } : {}),
      ...(options.judgeOptions !== undefined ? { judge_options: options.judgeOptions } : {}),
      ...(options.attackerEndpoint !== undefined ? { attacker_endpoint: options.attackerEndpoint } : {}),
      ...(options.loop !== undefined
        ? { loop: { name: options.loop, ...(options.maxTurns !== undefined ? { max_turns: options.maxTurns } : {}) } }
        : {}),
      ...(options.sample !== undefined ? { sample: options.sample } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.template !== undefined ? { template: options.template } : {}),
    },
    { datasetFile: options.dataset },
  );
}

/** Prints progress until the run ends: a live line on a terminal, a plain line every few seconds otherwise (and with CI=true). */
function followProgress(core: Core, runId: string, options: Options): () => void {
  const live = process.stdout.isTTY && process.env.CI !== 'true' && process.env.CI !== '1';
  let last = 0;
  let latest: Run | undefined;
  const print = (run: Run) => {
    if (live) process.stdout.write(`\r\x1b[2K${progressLine(run)}`);
    else console.log(progressLine(run));
  };
  const subscription = core.runs.onDidChange((event) => {
    if (event.run.run_id !== runId) return;
    latest = event.run;
    const now = performance.now();
    if (live ? now - last >= 100 : now - last >= options.progressEvery * 1000) {
      last = now;
      print(event.run);
    }
  });
  return () => {
    subscription.dispose();
    if (latest) print(latest);
    if (live) process.stdout.write('\n');
  };
}

function thresholdFailures(figures: ReturnType<typeof resultFigures>, threshold: number | undefined): string[] {
  if (threshold === undefined) return [];
  return figures.endpoints
    .filter((e) => e.attackSuccess.rate !== null && e.attackSuccess.rate > threshold)
    .map(
      (e) => `${e.endpoint}: attack success rate ${(e.attackSuccess.rate! * 100).toFixed(1)}% is above ${(threshold * 100).toFixed(1)}%`,
    );
}

async function gate(options: Options): Promise<number> {
  const baseline = options.baseline === undefined ? undefined : await readResults(options.baseline);
  await fs.mkdir(options.storage, { recursive: true });
  const core = await openCore({
    storageDir: options.storage,
    endpointSources: await Promise.all(options.endpoints.map(endpointSource)),
    promptTemplateFolders: [],
    secrets: new FileSecretStore(join(options.storage, 'secrets.json')),
    log: (level, message) => console.error(`${level}: ${message}`),
  });
  for (const problem of core.endpoints.problems) console.error(`warning: ${problem.origin}: ${problem.message}`);

  let run: Run;
  try {
    run = await startRun(core, options);
  } catch (err) {
    core.dispose();
    // What the user got wrong (a bad dataset, an unknown endpoint, a dataset changed since the run began) is a usage error.
    if (err instanceof ValidationError && err.issues.length > 0)
      throw usage(err.issues.map((i) => `${flagOf(i.loc)}: ${i.msg}`).join('; '));
    if (isCoreError(err, 'invalid', 'not-found', 'conflict', 'unsupported')) throw usage(err.message);
    throw err;
  }
  console.log(
    `Run ${run.run_id}: ${run.rows_total} rows of ${run.dataset.name} to ${run.endpoints.join(', ')} (storage ${options.storage})`,
  );

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error('\nStopping: no new row is sent; waiting for the calls in flight (Ctrl+C again to stop them too)…');
      void core.runs.cancel(run.run_id, { finishInFlight: true }).catch(() => undefined);
    } else void core.runs.cancel(run.run_id).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  const stopProgress = followProgress(core, run.run_id, options);
  await core.drain();
  stopProgress();
  process.off('SIGINT', onSigint);
  run = await core.runs.get(run.run_id);

  const rows = await core.runs.results(run.run_id);
  await writeResults(options.out, rows);
  const comparison: BaselineComparison | undefined = baseline ? compareToBaseline(rows, baseline) : undefined;
  await fs.writeFile(
    options.report,
    resultsToMarkdown(rows, {
      title: `Run ${run.run_id}`,
      dataset: { name: run.dataset.name, format: run.dataset.format, rows: run.dataset.rows, sha256: run.dataset.sha256 },
      date: run.started,
      ...(comparison ? { baseline: comparison } : {}),
    }),
  );
  const figures = resultFigures(rows);
  console.log(`\n${summaryTable(figures)}\n`);
  if (comparison)
    console.log(
      `Against the baseline: ${comparison.broken} broken, ${comparison.fixed} fixed, ${comparison.other} other changes, ` +
        `${comparison.unchanged} unchanged, ${comparison.added} new, ${comparison.removed} gone`,
    );
  console.log(`Results: ${options.out}\nReport: ${options.report}`);
  core.dispose();

  if (run.status === 'cancelled') {
    console.error(`Stopped: ${run.rows_done} of ${run.rows_total} rows done. Run the same command with --resume to go on.`);
    return 130;
  }
  if (run.status === 'failed') {
    console.error(`error: the run failed: ${run.error ?? 'unknown reason'}`);
    return 1;
  }
  const failures = thresholdFailures(figures, options.failAboveAsr);
  if (options.failOnBroken && comparison && comparison.broken > 0)
    failures.push(`${comparison.broken} result(s) that passed in the baseline fail now`);
  for (const failure of failures) console.error(`FAIL ${failure}`);
  return failures.length > 0 ? 1 : 0;
}

/** Runs the command; resolves with the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  try {
    const options = parse(argv);
    if (!options) {
      console.log(RUN_USAGE);
      return 0;
    }
    return await gate(options);
  } catch (err) {
    if (isCoreError(err, 'usage') || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${(err as Error).message}\n\nRun "moonshot-sessions run --help" for the options.`);
      return 2;
    }
    console.error(`error: ${isCoreError(err) ? err.message : ((err as Error).stack ?? String(err))}`);
    return 1;
  }
}
