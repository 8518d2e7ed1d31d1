// The child process of the dataset run benchmarks: `memory` runs a dataset to
// one echo endpoint and prints its resident memory before and at its peak;
// `kill` starts a run to four echo endpoints, prints its ids and runs until
// it is killed.
import { openCore } from '../src/core/openCore';
import { MemorySecretStore } from '../src/core/secrets';

const ECHOES = ['echo-a', 'echo-b', 'echo-c', 'echo-d'].map((id) => ({
  id,
  name: id,
  connector_type: 'echo',
  max_calls_per_second: 100_000,
  max_concurrency: 64,
}));

async function main(): Promise<void> {
  const [mode, storageDir, file] = process.argv.slice(2);
  const core = await openCore({
    storageDir: storageDir!,
    endpointSources: [{ kind: 'inline', origin: 'bench', endpoints: ECHOES }],
    promptTemplateFolders: [],
    secrets: new MemorySecretStore(),
  });
  const endpoints = mode === 'memory' ? ['echo-a'] : ECHOES.map((e) => e.id);
  const session = await core.sessions.create({ name: `bench ${mode}`, endpoints });
  if (mode === 'kill') {
    const run = await core.runs.start({ session_id: session.session_id }, { datasetFile: file! });
    process.stdout.write(`${JSON.stringify({ run_id: run.run_id, session_id: session.session_id })}\n`);
    await core.drain();
    return;
  }
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = baseline;
  let early = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const run = await core.runs.start({ session_id: session.session_id }, { datasetFile: file! });
  const sub = core.runs.onDidChange((e) => {
    if (early === 0 && e.run.run_id === run.run_id && e.run.rows_done >= run.rows_total / 10) early = process.memoryUsage().rss;
  });
  await core.drain();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  sub.dispose();
  (globalThis as { gc?: () => void }).gc?.();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  process.stdout.write(
    `${JSON.stringify({ baseline, peak, early: early || baseline, heapGrowth, seconds: (performance.now() - started) / 1000 })}\n`,
  );
  core.dispose();
}

void main();
