// A core on a fresh temp folder behind a real ApiServer on 127.0.0.1, for
// tests of routes: JSON calls with the token, and every answer checked
// against the rules all answers follow (no 5xx, JSON, a detail on errors,
// never compressed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCore, type Core, type CoreOptions } from '../../src/core/core';
import { MemorySecretStore } from '../../src/core/secrets';
import { ApiServer, type ApiServerOptions } from '../../src/server/apiServer';
import { request, ruleViolations, type CallOptions, type Res } from './apiClient';
import type { FakeOpenAI } from './fakeOpenAI';

export const TOKEN = 'harness-token';

export interface HarnessOptions {
  endpoints?: object[];
  eventLog?: CoreOptions['eventLog'];
  eventStream?: ApiServerOptions['eventStream'];
  allowedOrigins?: string[];
  /** An existing storage folder (default: a fresh temp one, removed by close()). */
  storageDir?: string;
}

export interface Harness {
  core: Core;
  server: ApiServer;
  port: number;
  dir: string;
  /** Rule violations and errors the server logged, for a test to assert there are none. */
  problems: string[];
  call(method: string, path: string, body?: unknown, options?: CallOptions): Promise<Res>;
  /** Calls and asserts the status; the parsed body. */
  json<T>(method: string, path: string, body?: unknown, status?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startApi(options: HarnessOptions = {}): Promise<Harness> {
  const dir = options.storageDir ?? mkdtempSync(join(tmpdir(), 'moonshot-redteam-'));
  const problems: string[] = [];
  const core = await openCore({
    storageDir: dir,
    endpointSources: options.endpoints ? [{ kind: 'inline', origin: 'test', endpoints: options.endpoints }] : [],
    promptTemplateFolders: [],
    secrets: new MemorySecretStore(),
    log: (level, message) => {
      if (level === 'error') problems.push(`core: ${message}`);
    },
    ...(options.eventLog ? { eventLog: options.eventLog } : {}),
  });
  const server = new ApiServer({
    core,
    port: 0,
    token: TOKEN,
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    ...(options.eventStream ? { eventStream: options.eventStream } : {}),
    log: (level, message) => {
      if (level === 'error') problems.push(`server: ${message}`);
    },
  });
  const port = await server.start();
  const call = async (method: string, path: string, body?: unknown, callOptions: CallOptions = {}) => {
    const res = await request(port, method, path, { token: TOKEN, ...(body !== undefined ? { body } : {}), ...callOptions });
    for (const problem of ruleViolations(res)) problems.push(`${method} ${path} -> ${res.status}: ${problem}`);
    return res;
  };
  return {
    core,
    server,
    port,
    dir,
    problems,
    call,
    json: async <T>(method: string, path: string, body?: unknown, status = 200) => {
      const res = await call(method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      return res.json as T;
    },
    close: async () => {
      await server.stop();
      await core.drain();
      core.dispose();
      if (!options.storageDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An endpoint on the fake OpenAI server; its model name picks the behaviour ('reply:...', 'delay:200', 'hang'...). */
export function fakeEndpoint(fake: FakeOpenAI, id: string, model: string, limits: { max_concurrency?: number; params?: Record<string, unknown> } = {}) {
  return {
    id,
    name: id,
    connector_type: 'openai-connector',
    uri: fake.url,
    token: `sk-${id}`,
    max_calls_per_second: 10_000,
    max_concurrency: limits.max_concurrency ?? 50,
    model,
    params: { max_attempts: 1, timeout: 10, ...limits.params },
  };
}

/** Polls `check` until it returns something other than undefined (for what has no event), or fails after `ms`. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
