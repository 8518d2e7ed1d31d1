// Paths are routed as sent: a dot segment, encoded or not, is an id (and
// "." / ".." are refused as ids), never a step to another route; one
// trailing slash is allowed on every route, empty segments nowhere.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Res } from '../support/apiClient';
import { startTestApi, type TestApi } from '../support/testApi';

interface Issue {
  loc: (string | number)[];
}

/** Every spelling of "." and ".." a client might send, encoded or not. */
const DOT_SEGMENTS = ['.', '..', '%2e', '%2E', '%2e%2e', '%2E%2E', '.%2E', '%2e.', '.%2e', '%2E.'];

describe('paths are routed as sent', () => {
  let api: TestApi;
  let templates: string;
  let sessionId = '';

  before(async () => {
    templates = mkdtempSync(join(tmpdir(), 'moonshot-paths-templates-'));
    writeFileSync(join(templates, 'qa.json'), JSON.stringify({ name: 'qa', description: '', template: 'Q: {{ prompt }}' }));
    api = await startTestApi({ templateFolders: [templates] });
    const created = await api.call('POST', '/v1/sessions', {
      body: { name: 'Target', endpoints: ['echo'], prompt_template: 'qa', context_strategy: 'conversation' },
    });
    sessionId = (created.json as { session: { session_id: string } }).session.session_id;
    assert.equal((await api.call('POST', '/v1/llm_endpoints', { body: { name: 'Mine', connector_type: 'echo' } })).status, 200);
  });
  after(async () => {
    await api.stop();
    rmSync(templates, { recursive: true, force: true });
  });

  /** What a refused request must leave as it was. */
  async function state(): Promise<unknown> {
    const [sessions, endpoints, files] = await Promise.all([
      api.call('GET', '/v1/sessions'),
      api.call('GET', '/v1/llm_endpoints'),
      api.files(),
    ]);
    return { sessions: sessions.text, endpoints: endpoints.text, files };
  }

  function assertRefusedAt(res: Res, loc: string[], label: string): void {
    assert.equal(res.status, 422, `${label}: ${res.status} ${res.text}`);
    const body = res.json as { detail: string; error: Issue[] };
    assert.equal(typeof body.detail, 'string');
    assert.ok(
      body.error.some((i) => JSON.stringify(i.loc) === JSON.stringify(loc)),
      `${label}: no issue at ${JSON.stringify(loc)}: ${res.text}`,
    );
  }

  it('DELETE .../prompt_templates/%2e%2e is the template "..": refused, and the session is still there', async () => {
    const before = await state();
    const res = await api.call('DELETE', `/v1/sessions/${sessionId}/prompt_templates/%2e%2e`);
    assertRefusedAt(res, ['path', 'name'], 'DELETE %2e%2e');
    assert.deepEqual(await state(), before);
    const session = await api.call('GET', `/v1/sessions/${sessionId}`);
    assert.equal(session.status, 200);
    assert.equal((session.json as { session: { prompt_template: string } }).session.prompt_template, 'qa');
  });

  it('"." and ".." in every id position, encoded or not, with or without a trailing slash, are 422 naming the parameter', async () => {
    const before = await state();
    const positions: [string, (dot: string) => string, string][] = [
      ['GET', (d) => `/v1/sessions/${d}`, 'session_id'],
      ['DELETE', (d) => `/v1/sessions/${d}`, 'session_id'],
      ['POST', (d) => `/v1/sessions/${d}/prompt`, 'session_id'],
      ['PUT', (d) => `/v1/sessions/${d}/prompt_templates/qa`, 'session_id'],
      ['PUT', (d) => `/v1/sessions/${sessionId}/prompt_templates/${d}`, 'name'],
      ['DELETE', (d) => `/v1/sessions/${sessionId}/prompt_templates/${d}`, 'name'],
      ['PUT', (d) => `/v1/sessions/${sessionId}/context_strategies/${d}`, 'name'],
      ['DELETE', (d) => `/v1/sessions/${sessionId}/context_strategies/${d}`, 'name'],
      ['GET', (d) => `/v1/llm_endpoints/${d}`, 'endpoint_id'],
      ['PUT', (d) => `/v1/llm_endpoints/${d}`, 'endpoint_id'],
      ['DELETE', (d) => `/v1/llm_endpoints/${d}`, 'endpoint_id'],
    ];
    for (const [method, path, param] of positions) {
      for (const dot of DOT_SEGMENTS) {
        for (const slash of ['', '/']) {
          const target = `${path(dot)}${slash}`;
          const body = method === 'POST' ? { prompt: 'x' } : method === 'PUT' ? { token: 'x' } : undefined;
          assertRefusedAt(await api.call(method, target, { body }), ['path', param], `${method} ${target}`);
        }
      }
    }
    assert.deepEqual(await state(), before);
  });

  it('a dot segment between literal segments is no step back: no route, 404', async () => {
    const before = await state();
    for (const [method, path] of [
      ['GET', `/v1/sessions/${sessionId}/..`],
      ['DELETE', `/v1/sessions/${sessionId}/prompt_templates/..%2F..`],
      ['GET', '/v1/sessions/../../../etc/passwd'],
      ['GET', '/v1/./sessions'],
      ['GET', '/v1/%2e/sessions'],
      ['GET', '/v1/sessions/x/../../llm_endpoints'],
    ] as const) {
      const res = await api.call(method, path);
      assert.ok(res.status === 404 || res.status === 422, `${method} ${path}: ${res.status} ${res.text}`);
      assert.equal(typeof (res.json as { detail?: unknown }).detail, 'string');
    }
    assert.deepEqual(await state(), before);
  });

  it('%2f, %5c and a raw backslash inside an id are part of the id, and refused by its pattern', async () => {
    for (const raw of ['a%2Fb', 'a%2fb', 'a%5Cb', 'a\\b', '%2F', '%5C']) {
      assertRefusedAt(await api.call('GET', `/v1/sessions/${raw}`), ['path', 'session_id'], raw);
      assertRefusedAt(await api.call('GET', `/v1/llm_endpoints/${raw}`), ['path', 'endpoint_id'], raw);
    }
  });

  it('one trailing slash is the same route, on every route; an empty segment anywhere is no route', async () => {
    for (const path of [
      '/v1/sessions',
      '/v1/sessions/name',
      `/v1/sessions/${sessionId}`,
      '/v1/prompt_templates',
      '/v1/context_strategies',
      '/v1/connectors',
      '/v1/llm_endpoints',
      '/v1/llm_endpoints/mine',
      '/v1/openapi.json',
    ]) {
      const plain = await api.call('GET', path);
      const slashed = await api.call('GET', `${path}/`);
      assert.equal(plain.status, 200, path);
      assert.equal(slashed.status, 200, `${path}/`);
      assert.equal(slashed.text, plain.text, `${path}/`);
    }
    for (const path of [
      '/v1/sessions//',
      '//v1/sessions',
      '/v1//sessions',
      `/v1/sessions//${sessionId}`,
      `/v1/sessions/${sessionId}//`,
      '//',
    ]) {
      const res = await api.call('GET', path);
      assert.equal(res.status, 404, `${path}: ${res.status} ${res.text}`);
    }
    assert.equal((await api.call('GET', '/', { token: null })).status, 200);
  });

  it('literal segments are compared as sent: an encoded letter is no match', async () => {
    assert.equal((await api.call('GET', '/v1/%73essions')).status, 404);
    assert.equal((await api.call('GET', '/V1/sessions')).status, 404);
  });

  it('a request target that is not a path (absolute or asterisk form) is a 400 with a detail', async () => {
    for (const target of [`http://127.0.0.1:${api.port}/v1/sessions`, '*']) {
      const res = await api.call('OPTIONS', target);
      assert.equal(res.status, 400, `${target}: ${res.text}`);
      assert.match((res.json as { detail: string }).detail, /path/);
    }
  });
});
