// Bodies that cost: JSON nested deeper than 64 levels is refused before it
// is parsed (a 20,000-deep one must not overflow any stack, nor poison what
// the server keeps in memory), a body that never ends is dropped after a
// bounded time, and HTTP that Node itself refuses still gets a JSON answer.
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { MemorySecretStore } from '../../src/core/secrets';
import { ruleViolations, type Res } from '../support/apiClient';
import { startTestApi, TEST_TOKEN, type TestApi } from '../support/testApi';

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

/** A raw HTTP exchange over one socket: writes `head` (and `body`), resolves with what came back and whether the server closed. */
function rawExchange(port: number, text: string): { answer: Promise<string>; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(text);
  const answer = new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A server that closes while the client still sends resets the connection (TCP's word for "your
    // data was dropped"): after an answer, that is the disconnect, and the answer is what came before it.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' && chunks.length > 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(err);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return { answer, socket };
}

function parseRaw(answer: string): Res {
  const [head = '', ...rest] = answer.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: http.IncomingHttpHeaders = {};
  for (const line of headerLines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  const text = rest.join('\r\n\r\n');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text, json };
}

function assertJsonError(res: Res, status: number, detail: RegExp): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(ruleViolations(res), [], res.text);
  assert.match((res.json as { detail: string }).detail, detail);
}

describe('request bodies that cost', () => {
  describe('deep JSON', () => {
    let api: TestApi;
    let sessionId = '';

    before(async () => {
      api = await startTestApi();
      const created = await api.call('POST', '/v1/sessions', { body: { name: 'Deep', endpoints: ['echo'] } });
      sessionId = (created.json as { session: { session_id: string } }).session.session_id;
      assert.equal(
        (await api.call('POST', '/v1/llm_endpoints', { body: { name: 'Mine', connector_type: 'echo', params: { temperature: 0 } } }))
          .status,
        200,
      );
    });
    after(() => api.stop());

    const bodyRoutes = (): [string, string][] => [
      ['POST', '/v1/sessions'],
      ['POST', `/v1/sessions/${sessionId}/prompt`],
      ['POST', '/v1/llm_endpoints'],
      ['PUT', '/v1/llm_endpoints/mine'],
    ];

    it('65 levels: 422 with a detail on every route that takes a body; 64 levels pass the check', async () => {
      const before = await api.files();
      for (const [method, path] of bodyRoutes()) {
        for (const raw of [deepArray(65), deepObject(65), `{"params": ${deepObject(64)}}`]) {
          const res = await api.call(method, path, { raw });
          assertJsonError(res, 422, /deeper than 64 levels/);
          assert.deepEqual((res.json as { error: { loc: string[] }[] }).error.map((i) => i.loc), [['body']]);
        }
      }
      assert.deepEqual(await api.files(), before);
      const ok = await api.call('PUT', '/v1/llm_endpoints/mine', { raw: `{"params": {"nested": ${deepObject(62)}}}` });
      assert.equal(ok.status, 200, ok.text);
    });

    it('brackets and braces inside strings do not count, escaped quotes included', async () => {
      const text = `${'['.repeat(200)}\\"${'{'.repeat(200)}`;
      const res = await api.call('PUT', '/v1/llm_endpoints/mine', { body: { params: { text } } });
      assert.equal(res.status, 200, res.text);
      const view = await api.call('GET', '/v1/llm_endpoints/mine');
      assert.equal((view.json as { params: { text: string } }).params.text, text);
    });

    it('20,000 levels, as arrays, objects, endpoint params or never closed: 422, and every later request still works', async () => {
      for (const [method, path] of bodyRoutes()) {
        for (const raw of [deepArray(20_000), deepObject(20_000), `{"params": ${deepObject(20_000)}}`, '['.repeat(200_000)]) {
          assertJsonError(await api.call(method, path, { raw }), 422, /deeper than 64 levels/);
        }
      }
      for (const path of [
        '/v1/llm_endpoints',
        '/v1/llm_endpoints/mine',
        '/v1/sessions',
        `/v1/sessions/${sessionId}?include_history=true`,
      ]) {
        const res = await api.call('GET', path);
        assert.equal(res.status, 200, `${path}: ${res.text}`);
      }
      assert.deepEqual(
        api.logs.filter((l) => l.startsWith('error')),
        [],
      );
    });

    it('the registry changes what it keeps only once the file is written: a params object that cannot be saved leaves it as ' +
      'it was', async () => {
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 20_000; i++) deep = { a: deep };
      await assert.rejects(api.core.endpoints.update('mine', { name: 'Renamed', params: deep }));
      const view = await api.core.endpoints.view('mine');
      assert.equal(view.name, 'Mine');
      const list = await api.call('GET', '/v1/llm_endpoints');
      assert.equal(list.status, 200, list.text);
      assert.ok(!list.text.includes('Renamed'));
    });
  });

  describe('the registry and a secret store that fails', () => {
    it('a created endpoint whose token cannot be stored leaves no file and no endpoint behind', async () => {
      const secrets = new MemorySecretStore();
      secrets.set = () => Promise.reject(Object.assign(new Error('keychain locked'), { code: 'EACCES' }));
      const api = await startTestApi({ secrets });
      try {
        const files = async () => Object.entries(await api.files()).filter(([, hash]) => hash !== 'dir');
        const before = await files();
        const res = await api.call('POST', '/v1/llm_endpoints', {
          body: { name: 'Keyed', connector_type: 'openai-connector', token: 'sk-x' },
        });
        assert.notEqual(res.status, 200, res.text);
        assert.deepEqual(await files(), before);
        assert.equal((await api.call('GET', '/v1/llm_endpoints/keyed')).status, 404);
        // Nothing half-made blocks the name once the store works again.
        secrets.set = MemorySecretStore.prototype.set.bind(secrets);
        assert.equal(
          (await api.call('POST', '/v1/llm_endpoints', { body: { name: 'Keyed', connector_type: 'openai-connector', token: 'sk-x' } }))
            .status,
          200,
        );
      } finally {
        await api.stop();
      }
    });
  });

  describe('a body that never ends', function () {
    this.timeout(10_000);
    let api: TestApi;

    before(async () => {
      api = await startTestApi({ server: { bodyTimeoutMs: 300, headersTimeoutMs: 300 } });
    });
    after(() => api.stop());

    const head = (method: string, path: string, extra: string, token: string | null = TEST_TOKEN) =>
      `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Type: ` +
        `application/json\r\n${extra}\r\n`;

    it('an authenticated client that sends part of its body: 408 with a detail, and the connection is closed', async () => {
      for (const [method, path] of [
        ['POST', '/v1/sessions'],
        ['PUT', '/v1/llm_endpoints/echo'],
        ['GET', '/v1/sessions'],
      ]) {
        const { answer } = rawExchange(api.port, `${head(method!, path!, 'Content-Length: 100\r\n')}{"name": "x"`);
        assertJsonError(parseRaw(await answer), 408, /did not arrive completely within 0\.3 s/);
      }
    });

    it('a chunked body that trickles forever is cut at the bound, not at an idle gap', async () => {
      const { answer, socket } = rawExchange(api.port, `${head('POST', '/v1/sessions', 'Transfer-Encoding: chunked\r\n')}1\r\n[\r\n`);
      const trickle = setInterval(() => socket.writable && socket.write('1\r\n \r\n'), 50);
      try {
        assertJsonError(parseRaw(await answer), 408, /did not arrive completely/);
      } finally {
        clearInterval(trickle);
      }
    });

    it('a client refused before its body (no token) that goes on sending is disconnected once the bound passes', async () => {
      const { answer, socket } = rawExchange(api.port, head('POST', '/v1/sessions', 'Content-Length: 1000000\r\n', null));
      // Sending keeps the connection from ever being idle: only the bound can end it.
      const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
      try {
        assertJsonError(parseRaw(await answer), 401, /token/);
      } finally {
        clearInterval(trickle);
      }
    });

    it('headers that never end: 408 with a JSON detail', async () => {
      const { answer } = rawExchange(api.port, `GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nX-Slow: `);
      assertJsonError(parseRaw(await answer), 408, /headers/i);
    });

    it('headers too large: 431 with a JSON detail', async () => {
      const { answer } = rawExchange(
        api.port,
        `GET /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      assertJsonError(parseRaw(await answer), 431, /too large/);
    });

    it('the server is still up and answers a whole request at once', async () => {
      const res = await api.call('POST', '/v1/sessions', { body: { name: 'After', endpoints: ['echo'] } });
      assert.equal(res.status, 200, res.text);
    });
  });
});
