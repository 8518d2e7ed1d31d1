// A child process that runs a dataset run on a storage folder until it is
// killed (the crash tests kill it with SIGKILL at a random moment):
//   node --import tsx test/support/runChild.ts <storage> <endpoints.json> <dataset> <endpoint id>...
// Prints one line, {"session_id", "run_id"}, once the run has started.
import { openCore } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';

async function main(): Promise<void> {
  const [storageDir, endpointsFile, dataset, ...endpoints] = process.argv.slice(2);
  const core = await openCore({
    storageDir: storageDir!,
    endpointSources: [{ kind: 'file', path: endpointsFile! }],
    promptTemplateFolders: [],
    secrets: new MemorySecretStore(),
  });
  const session = await core.sessions.create({ name: 'Crash', endpoints });
  const run = await core.runs.start({ session_id: session.session_id }, { datasetFile: dataset! });
  process.stdout.write(`${JSON.stringify({ session_id: session.session_id, run_id: run.run_id })}\n`);
  await core.drain();
}

void main();
