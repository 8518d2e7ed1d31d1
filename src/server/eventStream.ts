// GET /v1/events: the core's events as Server-Sent Events. A client gets
// what happens from the moment it connects; with a Last-Event-ID header it
// first gets what it missed, as far as the core's EventLog still holds it
// (and a comment saying so when events are gone: it should read the state
// again). A client that cannot keep up never slows anything down: its
// socket is written to only when it has drained, events wait in a bounded
// queue meanwhile, and a client whose queue fills is dropped (its
// connection closed): it reconnects and replays. On a busy stream the
// writes are batched (one every few milliseconds, sooner when the queue is
// half full), which spares a write per event and client: token streams to
// several clients would otherwise cost a system call per token and client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { API_EVENT_TYPES, type ApiEventData, type ApiEventLog } from '../core/apiEvents';
import type { LoggedEvent, Subscription } from '../core/eventLog';
import { SessionIdSchema } from '../core/schemas';
import { parseOrThrow } from '../core/validation';
import { StreamingReply } from './reply';
import type { Route } from './routes';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** On a busy stream, events are written together at most this often; the first after a quiet spell goes at once. */
export const DEFAULT_BATCH_MS = 5;
/** What EventSource clients wait before reconnecting. */
const RETRY_MS = 2000;

export interface EventStreamOptions {
  /** A comment this often keeps proxies and idle timers from closing a quiet stream (default 15 s). */
  heartbeatMs?: number;
  /** Events a client may have waiting before it is dropped (default: the EventLog's). */
  maxQueue?: number;
  /** How long a busy stream gathers events into one write (default 5 ms; 0 writes each as it comes). */
  batchMs?: number;
}

/** Each event's frame, made once however many clients get it. */
const frames = new WeakMap<LoggedEvent<ApiEventData>, string>();

function frame(event: LoggedEvent<ApiEventData>): string {
  let text = frames.get(event);
  if (text === undefined) {
    // JSON.stringify escapes line breaks, so the data is one line.
    text = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
    frames.set(event, text);
  }
  return text;
}

/** The Last-Event-ID header as a number; NaN (which the log takes for an id it never gave) when it is not one. */
function lastEventIdOf(req: IncomingMessage): number | undefined {
  const raw = req.headers['last-event-id'];
  if (raw === undefined) return undefined;
  const text = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  return /^\d+$/.test(text) ? Number(text) : NaN;
}

export class EventStreamReply extends StreamingReply {
  private subscription: Subscription<ApiEventData> | undefined;
  private closing = false;
  /** Wakes a wait for the socket to drain, or for a batch to fill. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly log: ApiEventLog,
    private readonly sessionId: string | undefined,
    private readonly options: EventStreamOptions,
  ) {
    super();
  }

  close(): void {
    this.closing = true;
    this.subscription?.close();
    this.wake?.();
  }

  async serve(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
    const lastEventId = lastEventIdOf(req);
    const sessionId = this.sessionId;
    const subscription = this.log.subscribe({
      ...(lastEventId !== undefined ? { lastEventId } : {}),
      ...(sessionId !== undefined ? { filter: (e: LoggedEvent<ApiEventData>) => e.data.session_id === sessionId } : {}),
      ...(this.options.maxQueue !== undefined ? { maxQueue: this.options.maxQueue } : {}),
      // Fell behind: closed at once, from inside the producer's append, which must not wait.
      onDropped: () => res.destroy(),
    });
    this.subscription = subscription;
    if (this.closing) subscription.close();
    res.once('close', () => {
      subscription.close();
      this.wake?.();
    });
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.socket?.setNoDelay(true);
    let head = `retry: ${RETRY_MS}\n: connected; the last event so far is ${this.log.lastId}\n\n`;
    if (subscription.replay.lost) {
      head += (`: events lost: some events after id ${Number.isNaN(lastEventId) ? '(not an id)' : lastEventId} are no longer kept; read ` +
        `the state again\n\n`);
    }
    res.write(head + subscription.replay.events.map(frame).join(''));
    const heartbeat = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
    }, this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    heartbeat.unref();
    const batchMs = this.options.batchMs ?? DEFAULT_BATCH_MS;
    // Half the bound: a batch being gathered never gets the client dropped.
    const batchFull = Math.max(1, Math.floor((this.options.maxQueue ?? this.log.clientQueue) / 2));
    let lastWrite = -Infinity;
    try {
      while (!subscription.closed && !res.destroyed) {
        if (res.writableNeedDrain) {
          await this.drained(res);
          continue;
        }
        await subscription.wait();
        const since = performance.now() - lastWrite;
        if (since < batchMs) await this.gathered(subscription, batchMs - since, batchFull);
        const events = subscription.take();
        if (events.length > 0 && !res.destroyed) {
          res.write(events.map(frame).join(''));
          lastWrite = performance.now();
        }
      }
    } finally {
      clearInterval(heartbeat);
      subscription.close();
      if (!res.destroyed) res.end();
    }
  }

  /** Resolves after `ms`, or sooner when `count` events are queued or the stream ends. */
  private gathered(subscription: Subscription<ApiEventData>, ms: number, count: number): Promise<void> {
    return new Promise((resolve) => {
      const stop = new AbortController();
      const done = () => {
        if (stop.signal.aborted) return;
        stop.abort();
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      void subscription.wait(count, stop.signal).then(done);
    });
  }

  /** Resolves when the socket drained, closed, or the stream is being closed. */
  private drained(res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        res.off('drain', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      res.on('drain', done);
      this.wake = done;
      if (this.closing || res.destroyed) done();
    });
  }
}

export function eventStreamRoute(log: ApiEventLog, options: EventStreamOptions = {}): Route {
  return {
    method: 'GET',
    path: '/v1/events',
    summary:
      'Server-Sent Events: `event: <type>`, `id: <n>`, `data: <json>`. A Last-Event-ID header replays what the server still holds ' +
      `after that id (a comment "events lost" says when some are gone). Types: ${API_EVENT_TYPES.join(', ')}.`,
    query: [{ name: 'session_id', schema: SessionIdSchema, description: "Only this session's events" }],
    produces: 'text/event-stream',
    response: z.string().meta({ description: 'A stream of events; comments (lines starting with ":") are heartbeats and notices.' }),
    handle: async (ctx) => {
      const raw = ctx.query.get('session_id');
      const sessionId = raw === null ? undefined : parseOrThrow(SessionIdSchema, raw, ['query', 'session_id']);
      return new EventStreamReply(log, sessionId, options);
    },
  };
}
