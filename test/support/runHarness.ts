// A core on a temp storage folder with endpoints on the fake OpenAI server,
// for the dataset run tests, and helpers to read what a run left.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { openCore, type Core } from '../../src/core/openCore';
import { MemorySecretStore } from '../../src/core/secrets';
import type { Run, StoredChatRecord } from '../../src/core/schemas';
import type { FakeOpenAI, LoggedRequest } from './fakeOpenAI';

export interface EndpointSpec {
  id: string;
  model: string;
  max_concurrency?: number;
}

/** An openai-connector endpoint on the fake server: one attempt, generous limits. */
export function fakeEndpointConfig(fake: FakeOpenAI, { id, model, max_concurrency = 50 }: EndpointSpec) {
  return {
    id,
    name: id,
    connector_type: 'openai-connector',
    uri: fake.url,
    token: 't',
    max_calls_per_second: 10_000,
    max_concurrency,
    model,
    params: { max_attempts: 1, timeout: 10 },
  };
}

export async function openRunCore(
  storageDir: string,
  fake: FakeOpenAI,
  endpoints: EndpointSpec[],
  datasetFolders: string[] = [],
): Promise<Core> {
  return openCore({
    storageDir,
    endpointSources: [{ kind: 'inline', origin: 'test', endpoints: endpoints.map((e) => fakeEndpointConfig(fake, e)) }],
    promptTemplateFolders: [],
    datasetFolders,
    secrets: new MemorySecretStore(),
  });
}

/** Every record of the session, by chat id, read from the files. */
export async function recordsByChat(core: Core, sessionId: string): Promise<Record<string, StoredChatRecord[]>> {
  const session = await core.sessions.get(sessionId);
  const out: Record<string, StoredChatRecord[]> = {};
  for (const chatId of session.chat_ids) out[chatId] = await core.store.readChat(sessionId, chatId);
  return out;
}

/** Resolves with the run once it has ended. */
export async function ended(core: Core, runId: string): Promise<Run> {
  await core.drain();
  return core.runs.get(runId);
}

/** The last user message of each chat completion request of `model` (what was sent), in arrival order. */
export function sentTexts(fake: FakeOpenAI, model: string, requests: readonly LoggedRequest[] = fake.requests): string[] {
  return requests
    .filter((r) => r.model === model && r.path.endsWith('/chat/completions'))
    .map((r) => {
      const messages = ((r.body as { messages?: { role: string; content: string }[] }).messages ?? []).filter((m) => m.role === 'user');
      return messages.at(-1)?.content ?? '';
    });
}

/** A JSONL dataset of `n` rows whose prompts are "row <i>" (ids r1, r2, ...). */
export async function writeDataset(dir: string, n: number, name = 'rows'): Promise<string> {
  const file = join(dir, `${name}.jsonl`);
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({ id: `r${i + 1}`, input: `row ${i + 1}`, category: i % 2 ? 'odd' : 'even' }),
  );
  await fs.writeFile(file, `${lines.join('\n')}\n`);
  return file;
}
