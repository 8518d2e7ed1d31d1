// A core and its API on a free port, in a fresh storage folder, for the
// benchmarks that go through the API; `post` calls it with the token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore, type Core } from '../src/core/openCore';
import { MemorySecretStore } from '../src/core/secrets';
import { ApiServer } from '../src/server/apiServer';

export async function withServer<T>(
  endpoints: object[],
  fn: (core: Core, server: ApiServer, post: (path: string, body: unknown) => Promise<unknown>) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-'));
  const core = await openCore({
    storageDir: dir,
    endpointSources: [{ kind: 'inline', origin: 'bench', endpoints }],
    promptTemplateFolders: [],
    secrets: new MemorySecretStore(),
  });
  const server = new ApiServer({ core, port: 0, token: 'bench' });
  await server.start();
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer bench', 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 200 && res.status !== 202) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  try {
    return await fn(core, server, post);
  } finally {
    await server.stop();
    await core.drain();
    core.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
