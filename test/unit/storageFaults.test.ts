// Storage that refuses writes (read-only, full, missing, a file where a
// folder should be), through the real API: 503 with a sentence naming the
// cause and path, nothing half-written, and back to work without a restart
// once the storage is. Running as root, chmod cannot make a folder
// read-only, so the faults are made another way: a file where a folder
// should be (ENOTDIR), a removed folder (ENOENT), /dev/full (ENOSPC).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { openCore, type Core } from '../../src/core/openCore';
import { FileSecretStore, MemorySecretStore, endpointTokenKey, type SecretStore } from '../../src/core/secrets';
import { asStorageError, isCoreError } from '../../src/core/errors';
import { ApiServer } from '../../src/server/apiServer';
import { useTempDir } from '../support/tempDir';

describe('storage faults', () => {
  const dir = useTempDir();
  let core: Core | undefined;
  let server: ApiServer | undefined;
  const serverErrors: string[] = [];

  async function start(secrets: SecretStore = new MemorySecretStore()): Promise<void> {
    core = await openCore({ storageDir: dir(), endpointSources: [], promptTemplateFolders: [], secrets });
    server = new ApiServer({ core, port: 0, token: null, log: (level, message) => level === 'error' && serverErrors.push(message) });
    await server.start();
  }
  afterEach(async () => {
    await server?.stop();
    core?.dispose();
    server = core = undefined;
    assert.deepEqual(serverErrors.splice(0), [], 'no request failed as a bug (500)');
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  const storageDetail = (cause: string, path: string) =>
    new RegExp(`^Storage is not writable: ${cause} \\(${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\)$`);

  it('says which refusal it was: read-only and full file systems name their cause and path', () => {
    for (const [code, cause] of [
      ['EROFS', 'the file system is read-only'],
      ['ENOSPC', 'no space left on the device'],
    ] as const) {
      const err = asStorageError(
        Object.assign(new Error(`${code}: refused`), { code, path: '/store/sessions/s/c.jsonl' }),
        '/store/sessions/s',
      );
      assert.ok(isCoreError(err, 'storage'));
      assert.equal((err as Error).message, `Storage is not writable: ${cause} (/store/sessions/s/c.jsonl)`);
    }
    const bug = new TypeError('not a file-system error');
    assert.equal(asStorageError(bug, '/store'), bug);
  });

  it('answers 503 to a listing and a create while sessions/ is a file, and works once it is a folder again', async () => {
    const sessions = join(dir(), 'sessions');
    await fs.writeFile(sessions, 'a file where the folder should be');
    await start();
    const listed = await call('GET', '/v1/sessions');
    assert.equal(listed.status, 503);
    assert.match(listed.body.detail, storageDetail('a path in it is not a folder', sessions));
    const created = await call('POST', '/v1/sessions', { name: 'blocked', endpoints: ['echo'] });
    assert.equal(created.status, 503);
    assert.match(created.body.detail, storageDetail('a path in it is not a folder', sessions));

    await fs.rm(sessions);
    const again = await call('POST', '/v1/sessions', { name: 'after', endpoints: ['echo'] });
    assert.equal(again.status, 200);
    const names = await call('GET', '/v1/sessions/name');
    assert.deepEqual([names.status, names.body], [200, [again.body.session.session_id]]);
  });

  it('creates a session after sessions/ was deleted', async () => {
    await start();
    const first = await call('POST', '/v1/sessions', { name: 'first', endpoints: ['echo'] });
    await fs.rm(join(dir(), 'sessions'), { recursive: true });
    const second = await call('POST', '/v1/sessions', { name: 'second', endpoints: ['echo'] });
    assert.equal(second.status, 200);
    await fs.stat(join(dir(), 'sessions', second.body.session.session_id, 'session.json'));
    assert.equal((await call('POST', `/v1/sessions/${second.body.session.session_id}/prompt?history=new`, { prompt: 'hi' })).status, 200);
    void first;
  });

  it('answers 503 to a prompt on a full disk, writes no part of a record, and numbers from 1 once there is room', async () => {
    await start();
    const { body } = await call('POST', '/v1/sessions', { name: 'full', endpoints: ['echo'] });
    const { session_id: id, chat_ids: [chat] } = body.session;
    const file = join(dir(), 'sessions', id, `${chat}.jsonl`);
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    await fs.symlink('/dev/full', file);
    const refused = await call('POST', `/v1/sessions/${id}/prompt?history=new`, { prompt: 'lost?' });
    assert.equal(refused.status, 503);
    assert.match(refused.body.detail, storageDetail('no space left on the device', file));

    await fs.rm(file);
    const answered = await call('POST', `/v1/sessions/${id}/prompt?history=new`, { prompt: 'kept' });
    assert.equal(answered.status, 200);
    assert.equal(answered.body[chat][0].chat_record_id, 1);
    assert.equal((await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).length, 1);
  });

  it('answers 503 to a token it cannot store, keeps the old one, and stores the next once the folder is back', async () => {
    const folder = join(dir(), 'secrets');
    await fs.mkdir(folder);
    const path = join(folder, 'secrets.json');
    await start(new FileSecretStore(path));
    const created = await call('POST', '/v1/llm_endpoints', {
      name: 'Local',
      connector_type: 'openai-connector',
      uri: 'http://127.0.0.1:9/v1',
      token: 'first',
    });
    assert.equal(created.status, 200);
    const id = created.body.id as string;

    await fs.rm(folder, { recursive: true });
    const refused = await call('PUT', `/v1/llm_endpoints/${id}`, { token: 'second' });
    assert.equal(refused.status, 503);
    // The file the user knows, not the temporary file of the atomic write.
    assert.equal(refused.body.detail, `Storage is not writable: the folder is missing (${path})`);
    assert.equal((await core!.endpoints.resolve(id)).token, 'first', 'the token in use is the one stored');

    await fs.mkdir(folder);
    assert.equal((await call('PUT', `/v1/llm_endpoints/${id}`, { token: 'third' })).status, 200);
    assert.equal((await core!.endpoints.resolve(id)).token, 'third');
    assert.equal(await new FileSecretStore(path).get(endpointTokenKey(id)), 'third');
  });

  it('answers 503 to an endpoint it cannot write, and leaves the endpoint as it was', async () => {
    await start();
    const created = await call('POST', '/v1/llm_endpoints', {
      name: 'Before',
      connector_type: 'openai-connector',
      uri: 'http://127.0.0.1:9/v1',
    });
    assert.equal(created.status, 200);
    const folder = join(dir(), 'endpoints');
    await fs.rm(folder, { recursive: true });
    await fs.writeFile(folder, 'a file where the folder should be');

    const renamed = await call('PUT', `/v1/llm_endpoints/${created.body.id}`, { name: 'After' });
    assert.equal(renamed.status, 503);
    assert.match(renamed.body.detail, storageDetail('a path in it is not a folder', folder));
    assert.equal((await call('GET', `/v1/llm_endpoints/${created.body.id}`)).body.name, 'Before');
    const another = await call('POST', '/v1/llm_endpoints', {
      name: 'Another',
      connector_type: 'openai-connector',
      uri: 'http://127.0.0.1:9/v1',
    });
    assert.equal(another.status, 503);
    assert.equal((await call('GET', '/v1/llm_endpoints/another')).status, 404);

    await fs.rm(folder);
    assert.equal((await call('PUT', `/v1/llm_endpoints/${created.body.id}`, { name: 'After' })).status, 200);
    assert.equal(
      (await call('POST', '/v1/llm_endpoints', { name: 'Another', connector_type: 'openai-connector', uri: 'http://127.0.0.1:9/v1' }))
        .status,
      200,
    );
  });

  it('answers 503 naming the path when a chat file is a folder', async () => {
    await start();
    const created = await call('POST', '/v1/sessions', { name: 'odd chat', endpoints: ['echo'] });
    const { session_id: id, chat_ids: [chat] } = created.body.session;
    const file = join(dir(), 'sessions', id, `${chat}.jsonl`);
    await fs.mkdir(file);
    const answered = await call('POST', `/v1/sessions/${id}/prompt`, { prompt: 'hi' });
    assert.equal(answered.status, 503);
    assert.match(answered.body.detail, storageDetail('a folder is where a file should be', file));
  });

  it('answers 404 Session not found to a prompt whose session another process deleted', async () => {
    await start();
    const created = await call('POST', '/v1/sessions', { name: 'deleted elsewhere', endpoints: ['echo'] });
    const id = created.body.session.session_id as string;
    await fs.rm(join(dir(), 'sessions', id), { recursive: true });
    const answered = await call('POST', `/v1/sessions/${id}/prompt`, { prompt: 'hi' });
    assert.deepEqual([answered.status, answered.body.detail], [404, 'Session not found']);
  });
});
