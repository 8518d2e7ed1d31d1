// A core on a temp storage folder, as the unit tests open it, and endpoints
// of the fake OpenAI server (test/support/fakeOpenAI.ts) for it to call.
import { openCore, type Core, type CoreOptions } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';

/**
 * An openai-connector endpoint on the fake server: `model` picks its behaviour (`delay:150`, `hang`
 * ...); one try, limits out of the way.
 */
export function fakeEndpoint(url: string, name: string, model: string, params: Record<string, unknown> = {}) {
  return {
    id: name,
    name,
    connector_type: 'openai-connector',
    uri: url,
    token: 'test',
    max_calls_per_second: 1000,
    max_concurrency: 100,
    model,
    params: { max_attempts: 1, timeout: 30, ...params },
  };
}

export interface TestCoreOptions extends Partial<Omit<CoreOptions, 'storageDir' | 'endpointSources' | 'promptTemplateFolders'>> {
  /** Endpoint objects, as the `endpoints` setting holds them. */
  endpoints?: readonly unknown[];
  templateFolders?: readonly string[];
}

/** A core on `storageDir` with the built-in echo and `endpoints`; secrets in memory. */
export function openTestCore(storageDir: string, { endpoints = [], templateFolders = [], ...rest }: TestCoreOptions = {}): Promise<Core> {
  return openCore({
    storageDir,
    endpointSources: [{ kind: 'inline', origin: 'test', endpoints }],
    promptTemplateFolders: templateFolders,
    secrets: new MemorySecretStore(),
    ...rest,
  });
}
