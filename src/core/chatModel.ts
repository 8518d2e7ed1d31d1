// The one thing attack modules and judges need from a model: messages in,
// text out. The session service builds it from an endpoint's Connector;
// tests can build it from anything.
import type { ChatMessage, Connector } from './connectors/types';

export interface ChatModel {
  /** The model's whole answer. Rejects with a ConnectorError when the call fails. */
  complete(messages: ChatMessage[], signal?: AbortSignal): Promise<string>;
}

/** A Connector (any endpoint) as a ChatModel; streaming and usage are not needed here. */
export function chatModelOf(connector: Connector): ChatModel {
  return {
    complete: async (messages, signal) => (await connector.complete({ messages, ...(signal ? { signal } : {}) })).text,
  };
}

/** A system message and one user message: how attackers and judges are asked. */
export function systemAndUser(system: string, user: string): ChatMessage[] {
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}
