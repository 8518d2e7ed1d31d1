// `echo`: the offline default endpoint. It answers with the last user message
// exactly as it would have been sent, so every feature works with no key and
// no network, and a user can see what the prompt pipeline produced.
import { cancelledError } from './errors';
import type { CompletionRequest, CompletionResult, Connector } from './types';

const CHUNKS = 4;

export function createEchoConnector(): Connector {
  return { complete: echo };
}

async function echo({ messages, signal, onDelta }: CompletionRequest): Promise<CompletionResult> {
  const text = messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  // Code points, so a chunk boundary never splits a surrogate pair.
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / CHUNKS));
  for (let i = 0; i < chars.length; i += size) {
    // Yield between chunks so listeners see a stream, and a cancel can land.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw cancelledError();
    onDelta?.(chars.slice(i, i + size).join(''));
  }
  if (signal?.aborted) throw cancelledError();
  return { text, usage: null };
}
