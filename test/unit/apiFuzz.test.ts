// Random requests against a real ApiServer (127.0.0.1, a temp storage
// folder, the echo endpoint): random methods, paths (known routes with odd
// ids, dot segments, encodings, empty segments), query strings, headers and
// bodies (valid, almost valid, random JSON, deep, not JSON). Whatever comes
// in: never a 500, every error is JSON with a `detail`, the server stays up,
// and the sessions and endpoints stored change only through a create or a
// delete that succeeded.
//
// The seed is fixed so that CI is reproducible; FUZZ_SEED, FUZZ_RUNS and
// FUZZ_TIME_MS (a time bound that ends the run early, passing) change it.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ruleViolations, type Res } from '../support/apiClient';
import { startTestApi, TEST_TOKEN, type TestApi } from '../support/testApi';

const SEED = Number(process.env.FUZZ_SEED ?? 20240315);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 6000);

/** Stand for the id of a session, and of an endpoint created through the API, that exist when the request is sent. */
const SESSION = '{session}';
const ENDPOINT = '{endpoint}';

const ODD_SEGMENTS = [
  '.',
  '..',
  '%2e%2e',
  '.%2E',
  '%2E',
  '%2f',
  '%2F..',
  'a%2Fb',
  '%5c',
  '\\',
  '',
  '%00',
  '%E0%A4%A',
  '%',
  '%zz',
  ';',
  '*',
  '~',
  'UPPER',
  '-x',
  '_x',
  'a.b',
  '..%2F..',
  'x'.repeat(300),
  '%F0%9F%98%80',
  'name',
  'prompt',
];
const KNOWN_SEGMENTS = [
  'v1',
  'sessions',
  'prompt',
  'prompt_templates',
  'context_strategies',
  'llm_endpoints',
  'name',
  'openapi.json',
  'connectors',
  'echo',
  'mine',
  'qa',
  'conversation',
  'add_previous_prompt',
  SESSION,
  ENDPOINT,
];

const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_SEGMENTS) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/) },
);

const anyPath = fc.oneof(
  fc.constantFrom(
    '/',
    '/v1/sessions',
    '/v1/sessions/name',
    '/v1/prompt_templates',
    '/v1/context_strategies',
    '/v1/connectors',
    '/v1/llm_endpoints',
    '/v1/openapi.json',
  ),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND');

/** Most of the time a route of the API with a method it takes (and odd or real ids); anything at all otherwise. */
const methodAndPath = fc.oneof(
  { weight: 1, arbitrary: fc.tuple(method, anyPath) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom<[string, string]>(
        ['GET', '/v1/sessions'],
        ['GET', '/v1/sessions/name'],
        ['GET', '/v1/prompt_templates'],
        ['GET', '/v1/context_strategies'],
        ['GET', '/v1/llm_endpoints'],
        ['POST', '/v1/sessions'],
        ['POST', '/v1/llm_endpoints'],
      ),
      fc.tuple(fc.constantFrom('GET', 'DELETE'), segment).map(([m, id]): [string, string] => [m, `/v1/sessions/${id}`]),
      segment.map((id): [string, string] => ['POST', `/v1/sessions/${id}/prompt`]),
      fc
        .tuple(fc.constantFrom('PUT', 'DELETE'), segment, segment, fc.constantFrom('prompt_templates', 'context_strategies'))
        .map(([m, id, name, kind]): [string, string] => [m, `/v1/sessions/${id}/${kind}/${name}`]),
      fc.tuple(fc.constantFrom('GET', 'PUT', 'DELETE'), segment).map(([m, id]): [string, string] => [m, `/v1/llm_endpoints/${id}`]),
    ),
  },
);

const queryValue = fc.oneof(
  fc.constantFrom('true', 'false', '1', '0', 'new', 'all', '-1', '5', '1e9', 'abc', ''),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
const queryKey = fc.oneof(
  fc.constantFrom('include_history', 'history', 'num_of_prev_prompts', 'detail'),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
const query = fc.option(
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 3 }).map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  { nil: '' },
);

const request = fc
  .tuple(methodAndPath, fc.constantFrom('', '', '/'), query)
  .map(([[m, p], slash, q]) => ({ method: m, path: `${p}${p === '/' ? '' : slash}${q}` }));

const sessionBody = fc.record(
  {
    name: fc.oneof(fc.constantFrom('Fuzz', 'Fuzz 2', '!!!', '', ' '), fc.string({ maxLength: 12 })),
    description: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
    endpoints: fc.oneof(
      fc.constant(['echo']),
      fc.array(fc.constantFrom('echo', 'mine', 'nope', ''), { maxLength: 3 }),
      fc.constant('echo'),
    ),
    prompt_template: fc.constantFrom(null, '', 'qa', 'nope'),
    context_strategy: fc.constantFrom(null, '', 'conversation', 'add_previous_prompt', 'nope'),
  },
  { requiredKeys: [] },
);
const endpointBody = fc.record(
  {
    name: fc.oneof(fc.constantFrom('Fuzzed', 'Mine', 'Echo (offline)'), fc.string({ maxLength: 10 })),
    connector_type: fc.constantFrom('echo', 'openai-connector', 'nope', ''),
    max_calls_per_second: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constantFrom('10', 'x', '')),
    max_concurrency: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant('2')),
    params: fc.oneof(fc.constant(''), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 })),
    token: fc.constantFrom('', 'sk-x'),
  },
  { requiredKeys: [] },
);
/** Arrays or objects nested around the 64-level limit. */
const deep = fc
  .tuple(fc.integer({ min: 60, max: 70 }), fc.boolean())
  .map(([depth, arrays]) => (arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`));
const body = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: sessionBody.map((b) => JSON.stringify(b)) },
  {
    weight: 1,
    arbitrary: fc
      .record({ prompt: fc.oneof(fc.string({ maxLength: 20 }), fc.constant('  '), fc.integer()) }, { requiredKeys: [] })
      .map((b) => JSON.stringify(b)),
  },
  { weight: 2, arbitrary: endpointBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{', 'null', '[]', '"x"', '{"prompt": "x"} trailing', '\u0000') },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

/** Mostly a request that passes the guards, so that the routes behind them are reached. */
const often = <T>(usual: T, ...others: T[]) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) });
/** Requests that should succeed and change the store, so that the property about changes is put to the test. */
const name = fc.stringMatching(/^[A-Za-z][a-z0-9 ]{0,12}$/);
const changes = fc.oneof(
  name.map((n) => ({ method: 'POST', path: '/v1/sessions', body: JSON.stringify({ name: n, endpoints: ['echo'] }) as string | undefined })),
  name.map((n) => ({
    method: 'POST',
    path: '/v1/llm_endpoints',
    body: JSON.stringify({ name: n, connector_type: 'echo' }) as string | undefined,
  })),
  fc
    .constantFrom(`/v1/sessions/${SESSION}`, `/v1/llm_endpoints/${ENDPOINT}`)
    .map((path) => ({ method: 'DELETE', path, body: undefined as string | undefined })),
);
const exchange = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(request, body).map(([r, b]) => ({ ...r, body: b })) },
  { weight: 1, arbitrary: changes },
);

const headers = fc.record({
  auth: often('right', 'wrong', 'none', 'empty', 'nbsp', 'basic'),
  host: often('right', 'localhost', 'evil'),
  origin: often<string | undefined>(undefined, 'http://evil.example', 'null'),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', undefined),
});

interface Sent {
  method: string;
  path: string;
  res: Res;
}

describe('fuzzing the API', function () {
  this.timeout(TIME_MS + 30_000);
  let api: TestApi;

  before(async () => {
    api = await startTestApi();
    for (const name of ['Seeded one', 'Seeded two'])
      assert.equal((await api.call('POST', '/v1/sessions', { body: { name, endpoints: ['echo'] } })).status, 200);
    assert.equal((await api.call('POST', '/v1/llm_endpoints', { body: { name: 'Mine', connector_type: 'echo' } })).status, 200);
  });
  after(() => api.stop());

  async function storedNames(folder: string, isEntry: (name: string) => Promise<boolean>): Promise<Set<string>> {
    const names = await fs.readdir(join(api.dir, folder)).catch(() => [] as string[]);
    const kept = await Promise.all(names.map(async (n) => ((await isEntry(n)) ? n : undefined)));
    return new Set(kept.filter((n): n is string => n !== undefined));
  }
  const sessions = () =>
    storedNames('sessions', (n) =>
      fs.access(join(api.dir, 'sessions', n, 'session.json')).then(
        () => true,
        () => false,
      ),
    );
  const endpoints = () =>
    storedNames('endpoints', async (n) => n.endsWith('.json')).then((s) => new Set([...s].map((n) => n.slice(0, -'.json'.length))));

  /** The decoded id of DELETE <prefix>/{id} (one trailing slash allowed), or undefined when the path is not that. */
  function deletedId(sent: Sent, prefix: string): string | undefined {
    const target = sent.path.split('?')[0]!.replace(/(.)\/$/, '$1');
    if (sent.method !== 'DELETE' || !target.startsWith(`${prefix}/`)) return undefined;
    const rest = target.slice(prefix.length + 1);
    return rest.includes('/') ? undefined : decodeURIComponent(rest);
  }

  /** Checks that a change of the stored set was a create or delete that succeeded; true when there was a change. */
  function checkChange(
    label: string,
    before: Set<string>,
    after: Set<string>,
    sent: Sent,
    created: string | undefined,
    prefix: string,
  ): boolean {
    const added = [...after].filter((x) => !before.has(x));
    const removed = [...before].filter((x) => !after.has(x));
    if (added.length === 0 && removed.length === 0) return false;
    const ok = sent.res.status === 200 && sent.res.json !== undefined;
    if (added.length > 0) {
      assert.ok(
        ok && sent.method === 'POST' && removed.length === 0 && added.length === 1 && added[0] === created,
        `${label} added ${added.join(', ')}`,
      );
    } else {
      assert.ok(ok && removed.length === 1 && deletedId(sent, prefix) === removed[0], `${label} removed ${removed.join(', ')}`);
    }
    return true;
  }

  function headersFor(
    h: { auth: string; host: string; origin: string | undefined; contentType: string | undefined },
    hasBody: boolean,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    const auth: Record<string, string | undefined> = {
      right: `Bearer ${TEST_TOKEN}`,
      wrong: 'Bearer nope',
      none: undefined,
      empty: 'Bearer ',
      nbsp: 'Bearer \u00a0',
      basic: `Basic ${TEST_TOKEN}`,
    };
    if (auth[h.auth] !== undefined) out.authorization = auth[h.auth]!;
    if (h.host === 'localhost') out.host = `localhost:${api.port}`;
    if (h.host === 'evil') out.host = `evil.example:${api.port}`;
    if (h.origin) out.origin = h.origin;
    if (hasBody && h.contentType) out['content-type'] = h.contentType;
    return out;
  }

  it('never a 500, always JSON with a detail on errors, and the store changes only through valid creates and deletes', async () => {
    const stats = { runs: 0, byStatus: new Map<number, number>(), changes: 0 };
    await fc.assert(
      fc.asyncProperty(exchange, headers, fc.nat(), async ({ method: m, path: rawPath, body: rawBody }, h, pick) => {
        const [sessionsBefore, endpointsBefore] = await Promise.all([sessions(), endpoints()]);
        const one = (ids: Set<string>, none: string) => (ids.size > 0 ? [...ids][pick % ids.size]! : none);
        const target = rawPath
          .replaceAll(SESSION, one(sessionsBefore, 'gone_20240101-000000'))
          .replaceAll(ENDPOINT, one(endpointsBefore, 'gone'));
        const sentHeaders = headersFor(h, rawBody !== undefined);
        const res = await api.call(m, target, { token: null, headers: sentHeaders, ...(rawBody === undefined ? {} : { raw: rawBody }) });
        const label = `${m} ${target} ${JSON.stringify(sentHeaders)} ${rawBody === undefined ? '' : rawBody.slice(0, 200)} -> ` +
          `${res.status} ${res.text.slice(0, 300)}`;
        stats.runs++;
        stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);

        assert.ok(res.status >= 200 && res.status < 500, label);
        if (m !== 'HEAD') assert.deepEqual(ruleViolations(res), [], label);
        if (res.status === 204) assert.ok(m === 'OPTIONS' && h.origin !== undefined, label);
        const sent = { method: m, path: target, res };
        const createdSession = (res.json as { session?: { session_id?: string } } | undefined)?.session?.session_id;
        const createdEndpoint = (res.json as { id?: string } | undefined)?.id;
        const [sessionsAfter, endpointsAfter] = await Promise.all([sessions(), endpoints()]);
        if (checkChange(`sessions: ${label}`, sessionsBefore, sessionsAfter, sent, createdSession, '/v1/sessions')) stats.changes++;
        if (checkChange(`endpoints: ${label}`, endpointsBefore, endpointsAfter, sent, createdEndpoint, '/v1/llm_endpoints'))
          stats.changes++;
      }),
      { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_MS, markInterruptAsFailure: false },
    );
    console.log(
      `    fuzz: ${stats.runs} requests (seed ${SEED}), ${stats.changes} creates/deletes; statuses: ${[...stats.byStatus]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}x${n}`)
        .join(' ')}`,
    );
    // Enough variety that the property said something: successes, refusals of every kind.
    for (const status of [200, 401, 404, 422]) assert.ok((stats.byStatus.get(status) ?? 0) > 0, `no ${status} in ${stats.runs} requests`);
    assert.ok(stats.changes > 0, 'no create or delete succeeded: the store property was never put to the test');

    const up = await api.call('GET', '/', { token: null });
    assert.equal(up.status, 200);
    assert.deepEqual(api.logs.filter((l) => l.startsWith('error')), [], 'the server logged a bug');
  });
});
