// Attacker and judge models for tests: the real openai connector talking to
// the fake OpenAI-compatible server, wrapped as the ChatModel the attack
// modules and judges take.
import { chatModelOf, type ChatModel } from '../../src/core/chatModel';
import { createConnector } from '../../src/core/connectors';
import type { Behaviour, FakeOpenAI } from './fakeOpenAI';

let counter = 0;

/** A model on the fake server that behaves as `behaviour`, and its name (to find its requests). */
export function fakeModel(fake: FakeOpenAI, behaviour: Behaviour): { model: ChatModel; name: string } {
  const name = `scripted-${++counter}`;
  fake.setBehaviour(name, behaviour);
  const connector = createConnector({
    id: name,
    name,
    connector_type: 'openai-connector',
    uri: fake.url,
    token: 'test-token',
    max_calls_per_second: 1000,
    max_concurrency: 100,
    model: name,
    params: { timeout: 5, max_attempts: 1 },
  });
  return { model: chatModelOf(connector), name };
}

/** A model that answers every call with `text`. */
export function replyingModel(fake: FakeOpenAI, text: string): ChatModel {
  return fakeModel(fake, { kind: 'reply', text }).model;
}

/** The messages of the last request the fake received for `name`. */
export function lastMessages(fake: FakeOpenAI, name: string): { role: string; content: string }[] {
  const body = fake.requests.filter((r) => r.model === name).at(-1)?.body as { messages?: { role: string; content: string }[] } | undefined;
  return body?.messages ?? [];
}
