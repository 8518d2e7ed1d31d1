// startTestApi for the red-teaming tests: every answer is checked against
// the rules all answers follow (no 5xx, JSON, a detail on errors, never
// compressed), and errors logged by the server or the core are collected
// for the test to assert there are none.
import assert from 'node:assert/strict';
import { ruleViolations, type CallOptions, type Res } from './apiClient';
import type { FakeOpenAI } from './fakeOpenAI';
import { startTestApi, TEST_TOKEN, type TestApi, type TestApiOptions } from './testApi';

export const TOKEN = TEST_TOKEN;

export interface Harness extends Omit<TestApi, 'call'> {
  /** Rule violations and errors logged, for a test to assert there are none. */
  problems: string[];
  call(method: string, path: string, body?: unknown, options?: CallOptions): Promise<Res>;
  /** Calls and asserts the status; the parsed body. */
  json<T>(method: string, path: string, body?: unknown, status?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startApi(options: TestApiOptions = {}): Promise<Harness> {
  const api = await startTestApi(options);
  const violations: string[] = [];
  const call = async (method: string, path: string, body?: unknown, callOptions: CallOptions = {}) => {
    const res = await api.call(method, path, { ...(body !== undefined ? { body } : {}), ...callOptions });
    for (const problem of ruleViolations(res)) violations.push(`${method} ${path} -> ${res.status}: ${problem}`);
    return res;
  };
  return {
    ...api,
    get problems() {
      return [...violations, ...api.logs.filter((line) => /^(core )?error:/.test(line))];
    },
    call,
    json: async <T>(method: string, path: string, body?: unknown, status = 200) => {
      const res = await call(method, path, body);
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      return res.json as T;
    },
    close: () => api.stop(),
  };
}

/** An endpoint on the fake OpenAI server; its model name picks the behaviour ('reply:...', 'delay:200', 'hang'...). */
export function fakeEndpoint(
  fake: FakeOpenAI,
  id: string,
  model: string,
  limits: { max_concurrency?: number; params?: Record<string, unknown> } = {},
) {
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
