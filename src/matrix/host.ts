// The results matrix's one door to the extension host: outgoing messages
// checked against the shared schema, the state kept across reloads, and
// requests that want an answer (a cell's exchange, a search), each settled
// by the host's one `reply` with its requestId.
import {
  MatrixStateSchema,
  WebviewMessageSchema,
  type Exchange,
  type MatrixReply,
  type MatrixState,
  type WebviewMessage,
} from '../shared/matrixProtocol';
import { hostApi, postChecked } from '../webview/hostApi';

export function post(message: WebviewMessage): void {
  postChecked(WebviewMessageSchema, message);
}

/** The state an earlier load of this panel saved, for this run; defaults otherwise. */
export function loadState(runId: string): MatrixState {
  const parsed = MatrixStateSchema.safeParse(hostApi.getState());
  if (parsed.success && parsed.data.runId === runId) return parsed.data;
  return MatrixStateSchema.parse({ runId });
}

export function saveState(state: MatrixState): void {
  hostApi.setState(state);
}

interface Waiting {
  resolve(outcome: MatrixReply['outcome']): void;
}

export class HostRequests {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  private ask(make: (requestId: number) => WebviewMessage): Promise<MatrixReply['outcome']> {
    const requestId = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(requestId, { resolve });
      post(make(requestId));
    });
  }

  async exchange(rowId: string, column: string): Promise<Exchange> {
    const outcome = await this.ask((requestId) => ({ type: 'exchange', requestId, rowId, column }));
    if (outcome.kind === 'exchange') return outcome.exchange;
    throw new Error(outcome.kind === 'error' ? outcome.error : 'unexpected answer');
  }

  /** The row places that hold `query`, for the load `generation`. */
  async search(generation: number, query: string): Promise<number[]> {
    const outcome = await this.ask((requestId) => ({ type: 'search', requestId, generation, query }));
    if (outcome.kind === 'search') return outcome.rows;
    throw new Error(outcome.kind === 'error' ? outcome.error : 'unexpected answer');
  }

  settle(reply: MatrixReply): void {
    const waiting = this.waiting.get(reply.requestId);
    if (!waiting) return;
    this.waiting.delete(reply.requestId);
    waiting.resolve(reply.outcome);
  }
}
