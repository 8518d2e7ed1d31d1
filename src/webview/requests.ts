// Requests to the host that want an answer: each carries a requestId, and
// the host's one `reply` with that id settles its promise. A new init makes
// every open request stale: they are rejected, not left waiting.
import type { ReplyMessage, RowPage } from '../shared/chatProtocol';
import { post } from './vscodeApi';

export class StaleRequestError extends Error {
  constructor() {
    super('the panel was loaded again before the host answered');
  }
}

interface Waiting {
  resolve(page: RowPage): void;
  reject(error: Error): void;
}

export class HostRequests {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  /** The page of rows before the oldest one shown, for the view of init `generation`. */
  loadOlder(generation: number): Promise<RowPage> {
    const requestId = this.nextId++;
    return new Promise<RowPage>((resolve, reject) => {
      this.waiting.set(requestId, { resolve, reject });
      post({ type: 'loadOlder', requestId, generation });
    });
  }

  settle(reply: ReplyMessage): void {
    const waiting = this.waiting.get(reply.requestId);
    if (!waiting) return;
    this.waiting.delete(reply.requestId);
    if (reply.outcome.ok) waiting.resolve(reply.outcome.page);
    else waiting.reject(new Error(reply.outcome.error));
  }

  rejectAll(): void {
    for (const w of this.waiting.values()) w.reject(new StaleRequestError());
    this.waiting.clear();
  }
}
