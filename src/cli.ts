// The headless server: the same core and API as the extension, for scripts
// and CI pipelines, with no VS Code.
import { parseArgs } from 'node:util';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { openCore } from './core/openCore';
import { CoreError, isCoreError } from './core/errors';
import { FileSecretStore } from './core/secrets';
import type { LogLevel } from './core/log';
import type { EndpointSource } from './core/endpoints';
import { ApiServer } from './server/apiServer';
import { maskToken, removeDiscoveryFile, writeDiscoveryFile } from './server/discovery';
import { isUsableToken } from './server/guards';
import { runCommand } from './runGate';

const USAGE = `Usage: moonshot-sessions serve --storage DIR [options]
       moonshot-sessions run --dataset FILE --out RESULTS [options]   (run --help: a dataset as a CI gate)

Options:
  --storage DIR            folder for sessions, endpoints created through the API, and api.json (required)
  --host HOST              address to listen on (default 127.0.0.1; other values expose the API beyond this machine)
  --port PORT              port (default 5000; 0 picks a free one); a port in use is an error
  --endpoints PATH         a folder of Moonshot endpoint JSON files, or a JSON file holding an array of them (repeatable)
  --prompt-templates DIR   a folder of Moonshot prompt-template JSON files (repeatable)
  --datasets DIR           a folder of dataset files that runs (POST /v1/runs) name (repeatable)
  --token TOKEN            the bearer token to require (default: $MOONSHOT_API_TOKEN, else a new random one;
                           an empty value counts as not given)
  --no-auth                require no token (needed by clients that cannot send one, such as Moonshot's web UI)
  --allow-origin ORIGIN    let web pages from ORIGIN call the API (CORS; repeatable)
  --help                   show this text`;

const SHUTDOWN_GRACE_MS = 5000;

const usageError = (message: string) => new CoreError('usage', message);

async function endpointSource(path: string): Promise<EndpointSource> {
  const stat = await fs.stat(path).catch(() => {
    throw usageError(`--endpoints ${path}: no such file or folder`);
  });
  return stat.isDirectory() ? { kind: 'folder', path } : { kind: 'file', path };
}

/** --token, else MOONSHOT_API_TOKEN, else a new random one; an empty value means "not set", never an empty token. */
function chooseToken(flag: string | undefined): string {
  const env = process.env.MOONSHOT_API_TOKEN;
  const [source, given] = flag ? ['--token', flag] : env ? ['MOONSHOT_API_TOKEN', env] : [undefined, undefined];
  if (given === undefined) return randomBytes(24).toString('base64url');
  if (!isUsableToken(given)) throw usageError(`${source}: a token must be printable ASCII, with no spaces or tabs around it`);
  return given;
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      storage: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5000' },
      endpoints: { type: 'string', multiple: true, default: [] },
      'prompt-templates': { type: 'string', multiple: true, default: [] },
      datasets: { type: 'string', multiple: true, default: [] },
      token: { type: 'string' },
      'no-auth': { type: 'boolean', default: false },
      'allow-origin': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.storage) throw usageError('--storage DIR is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port ${values.port}: not a port number`);
  if (values['no-auth'] && values.token) throw usageError('--token and --no-auth cannot be used together');

  const log = (level: LogLevel, message: string) => console.error(`${level}: ${message}`);
  const storageDir = resolve(values.storage);
  await fs.mkdir(storageDir, { recursive: true });
  const token = values['no-auth'] ? null : chooseToken(values.token);
  const core = await openCore({
    storageDir,
    endpointSources: await Promise.all(values.endpoints.map((p) => endpointSource(resolve(p)))),
    promptTemplateFolders: values['prompt-templates'].map((p) => resolve(p)),
    datasetFolders: values.datasets.map((p) => resolve(p)),
    secrets: new FileSecretStore(join(storageDir, 'secrets.json')),
    log,
    // Another server or a VS Code window may share this folder: follow what it writes.
    watch: true,
  });
  for (const problem of [...core.endpoints.problems, ...core.templates.problems]) {
    console.error(`warning: ${problem.origin}: ${problem.message}`);
  }
  const server = new ApiServer({
    core,
    host: values.host,
    port,
    token,
    allowedOrigins: values['allow-origin'],
    log,
  });
  try {
    await server.start();
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  }
  const discovery = await writeDiscoveryFile(storageDir, { url: server.url, pid: process.pid, token });
  const auth = token === null ? 'no token required' : `token ${maskToken(token)} (whole in ${discovery})`;
  console.log(`Moonshot Sessions API listening on ${server.url} (${auth})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: finishing requests in flight…`);
    // Stop accepting first; the server then waits for prompts in flight, whose records are written before they answer.
    await server.stop(SHUTDOWN_GRACE_MS);
    core.dispose();
    await Promise.race([core.drain(), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
    await removeDiscoveryFile(storageDir);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === 'serve') await serve(rest);
    else if (command === 'run') process.exit(await runCommand(rest));
    else if (command === undefined || command === '--help' || command === 'help') console.log(USAGE);
    else throw usageError(`unknown command "${command}"`);
  } catch (err) {
    if (isCoreError(err, 'usage') || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`error: ${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`error: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv.slice(2));
