// No empty token, ever: an empty --token or MOONSHOT_API_TOKEN means "not
// set" (one is generated), ApiServer refuses to run with one, and the
// Authorization header is compared as sent, ignoring only ASCII spaces and
// tabs (not U+00A0, which String#trim also strips).
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { openCore, type Core } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import { ApiServer } from '../../src/server/apiServer';
import { hasValidToken } from '../../src/server/guards';
import { request } from '../support/apiClient';
import { requireBuiltCli, runCli, startCli, type RunningCli } from '../support/cliProcess';
import { useTempDir } from '../support/tempDir';

const NBSP = '\u00a0';

describe('API tokens', () => {
  const dir = useTempDir();

  async function core(): Promise<Core> {
    return openCore({ storageDir: dir(), endpointSources: [], promptTemplateFolders: [], secrets: new MemorySecretStore() });
  }

  /** Status of GET /v1/sessions with this exact Authorization header (undefined: none). */
  async function statusWith(port: number, authorization: string | undefined): Promise<number> {
    const res = await request(port, 'GET', '/v1/sessions', authorization === undefined ? {} : { headers: { authorization } });
    return res.status;
  }

  describe('the guard', () => {
    it('never accepts a header for an empty token, whatever white space it carries', () => {
      for (const header of ['Bearer ', `Bearer ${NBSP}`, `Bearer  ${NBSP}${NBSP}`, 'Bearer \t', `Bearer${NBSP}`, '']) {
        assert.equal(hasValidToken(header, ''), false, JSON.stringify(header));
      }
    });

    it('ignores only ASCII spaces and tabs around the token', () => {
      assert.equal(hasValidToken('Bearer tok', 'tok'), true);
      assert.equal(hasValidToken('Bearer \t tok \t', 'tok'), true);
      assert.equal(hasValidToken('bearer tok', 'tok'), true, 'the scheme is case-insensitive (RFC 9110)');
      for (const header of [
        `Bearer ${NBSP}tok`,
        `Bearer tok${NBSP}`,
        `Bearer${NBSP}tok`,
        'Bearer\ntok',
        'Bearertok',
        'Bearer tok2',
        'Basic tok',
        'tok',
      ]) {
        assert.equal(hasValidToken(header, 'tok'), false, JSON.stringify(header));
      }
    });
  });

  describe('ApiServer', () => {
    it('refuses to be built with an empty or unsendable token (a bug in the caller), and accepts null (auth off)', async () => {
      const c = await core();
      for (const token of ['', ' ', '\t', ` tok`, `tok${NBSP}`, 'to\nk', 'tøk']) {
        assert.throws(() => new ApiServer({ core: c, port: 0, token }), /token/, JSON.stringify(token));
      }
      assert.doesNotThrow(() => new ApiServer({ core: c, port: 0, token: null }));
    });

    it('over a socket: U+00A0 around the token is not white space', async () => {
      const server = new ApiServer({ core: await core(), port: 0, token: 'tok' });
      await server.start();
      try {
        assert.equal(await statusWith(server.port, 'Bearer tok'), 200);
        assert.equal(await statusWith(server.port, 'Bearer \t tok'), 200);
        for (const header of [`Bearer ${NBSP}tok`, `Bearer tok${NBSP}`, `Bearer ${NBSP}`, 'Bearer', undefined]) {
          assert.equal(await statusWith(server.port, header), 401, JSON.stringify(header));
        }
      } finally {
        await server.stop();
      }
    });
  });

  describe('serve', function () {
    const running: RunningCli[] = [];
    before(requireBuiltCli);
    afterEach(async () => {
      for (const cli of running.splice(0)) {
        cli.child.kill('SIGKILL');
        await cli.exited;
      }
    });

    async function generatedToken(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
      const storage = join(dir(), `store-${running.length}`);
      const cli = await startCli(['--storage', storage, '--port', '0', ...args], env);
      running.push(cli);
      const port = Number(new URL(cli.url).port);
      const { token } = JSON.parse(await fs.readFile(join(storage, 'api.json'), 'utf8')) as { token: string | null };
      assert.equal(typeof token, 'string');
      assert.ok(token!.length >= 24, `a token was generated: ${JSON.stringify(token)}`);
      assert.match(cli.stdout(), /listening on .* \(token /);
      for (const header of ['Bearer ', `Bearer ${NBSP}`, undefined])
        assert.equal(await statusWith(port, header), 401, JSON.stringify(header));
      assert.equal(await statusWith(port, `Bearer ${token}`), 200);
    }

    it("--token '' means no token was given: one is generated", async () => {
      await generatedToken(['--token', ''], { MOONSHOT_API_TOKEN: '' });
    });

    it('an empty MOONSHOT_API_TOKEN means no token was given: one is generated', async () => {
      await generatedToken([], { MOONSHOT_API_TOKEN: '' });
    });

    it("--token '' with --no-auth is no conflict: auth is off", async () => {
      const cli = await startCli(['--storage', join(dir(), 'open'), '--port', '0', '--token', '', '--no-auth']);
      running.push(cli);
      assert.equal(await statusWith(Number(new URL(cli.url).port), undefined), 200);
    });

    it('a token no client could send (white space around it, not ASCII) is a usage error (exit 2)', async () => {
      for (const token of [' padded ', 'tøken', `x${NBSP}`]) {
        const run = await runCli(['serve', '--storage', join(dir(), 'never'), '--port', '0', '--token', token]);
        assert.equal(run.code, 2, `${JSON.stringify(token)}: ${run.stderr}`);
        assert.match(run.stderr, /--token: .*printable ASCII/);
      }
    });
  });
});
