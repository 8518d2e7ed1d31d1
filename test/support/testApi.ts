// A real ApiServer on 127.0.0.1 over a fresh temp storage folder, for tests
// that attack it: it records what it logged and can list what it stored.
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore, type Core, type CoreOptions } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import type { SecretStore } from '../../src/core/secrets';
import { ApiServer, type ApiServerOptions } from '../../src/server/apiServer';
import { request, type CallOptions, type Res } from './apiClient';

export const TEST_TOKEN = 'test-token';

export interface TestApiOptions {
  endpoints?: object[];
  templateFolders?: string[];
  datasetFolders?: string[];
  secrets?: SecretStore;
  server?: Partial<Omit<ApiServerOptions, 'core'>>;
  /** The core's event log bounds. */
  eventLog?: CoreOptions['eventLog'];
  /** An existing storage folder, kept by stop() (default: a fresh temp one, removed). */
  storageDir?: string;
}

export interface TestApi {
  core: Core;
  server: ApiServer;
  dir: string;
  port: number;
  /** What the server logged, "level: message", and the core, "core level: message". */
  logs: string[];
  /** A request with the right token unless `options.token` says otherwise (null: none). */
  call(method: string, path: string, options?: CallOptions): Promise<Res>;
  /** Every file and folder under the storage folder with a hash of its content. */
  files(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const dir = options.storageDir ?? mkdtempSync(join(tmpdir(), 'moonshot-attack-'));
  const logs: string[] = [];
  const core = await openCore({
    storageDir: dir,
    endpointSources: options.endpoints ? [{ kind: 'inline', origin: 'test', endpoints: options.endpoints }] : [],
    promptTemplateFolders: options.templateFolders ?? [],
    datasetFolders: options.datasetFolders ?? [],
    secrets: options.secrets ?? new MemorySecretStore(),
    log: (level, message) => logs.push(`core ${level}: ${message}`),
    ...(options.eventLog ? { eventLog: options.eventLog } : {}),
  });
  const server = new ApiServer({
    core,
    port: 0,
    token: TEST_TOKEN,
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...options.server,
  });
  await server.start();
  return {
    core,
    server,
    dir,
    port: server.port,
    logs,
    call: (method, path, callOptions = {}) =>
      request(server.port, method, path, { ...callOptions, token: callOptions.token === undefined ? TEST_TOKEN : callOptions.token }),
    files: () => snapshot(dir),
    stop: async () => {
      await server.stop();
      // Scores and attack runs go on after their answers: let them end before the folder goes.
      await core.drain();
      core.dispose();
      if (!options.storageDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file and folder under `dir` (none when it is missing) with a hash of its content. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const rel of entries.sort()) {
    const path = join(dir, rel);
    const stat = await fs.stat(path).catch(() => undefined);
    if (!stat) continue;
    out[rel] = stat.isDirectory() ? 'dir' : createHash('sha256').update(await fs.readFile(path)).digest('hex');
  }
  return out;
}
