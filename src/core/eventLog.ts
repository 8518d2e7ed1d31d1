// The recent events, for the Server-Sent Events route (GET /v1/events): a
// bounded buffer that a reconnecting client replays from its Last-Event-ID,
// and subscribers that each get a bounded queue. The producer never waits
// for a subscriber: one that lets its queue fill (a slow or stuck client) is
// dropped, and reconnects to replay what it missed from the buffer.

export interface LoggedEvent<T = unknown> {
  /** 1, 2, 3 ... in the order of append(), per log (a new process starts again at 1). */
  id: number;
  type: string;
  data: T;
}

export interface Replay<T> {
  events: LoggedEvent<T>[];
  /** Whether events after the given id are gone from the buffer (or the id is from another log): the client must refetch state. */
  lost: boolean;
}

export interface SubscribeOptions<T> {
  /** Replay what came after this id (the client's Last-Event-ID). */
  lastEventId?: number;
  /** Only events this accepts are queued (and replayed), e.g. one session's. */
  filter?: (event: LoggedEvent<T>) => boolean;
  /** Events the subscriber may have waiting; one more drops it. Default: the log's clientQueue. */
  maxQueue?: number;
  /** Called once when the subscriber is dropped for falling behind (not when it closes itself). */
  onDropped?: () => void;
}

export interface Subscription<T> {
  /** What came after lastEventId, taken when subscribing (the route sends it first). */
  readonly replay: Replay<T>;
  /** The queued events, oldest first, emptying the queue. */
  take(): LoggedEvent<T>[];
  /**
   * Resolves when at least `count` events (default 1) are queued, or the
   * subscription ends (at once when they are waiting already), or `signal`
   * aborts (the wait is then forgotten). A writer that batches waits for a
   * few, so its batch never comes near the bound.
   */
  wait(count?: number, signal?: AbortSignal): Promise<void>;
  readonly queued: number;
  /** Whether it ended: closed, or dropped for falling behind. */
  readonly closed: boolean;
  readonly dropped: boolean;
  close(): void;
}

export interface EventLogOptions {
  /** Events kept for replay (default 1000). */
  capacity?: number;
  /** Default queue bound per subscriber (default 256). */
  clientQueue?: number;
}

interface Subscriber<T> {
  queue: LoggedEvent<T>[];
  maxQueue: number;
  filter?: (event: LoggedEvent<T>) => boolean;
  /** Resolves the pending waits that have what they wait for. */
  wake(): void;
  end(dropped: boolean): void;
}

export class EventLog<T = unknown> {
  readonly capacity: number;
  readonly clientQueue: number;
  /** A ring: the oldest kept event is at `head`. */
  private readonly ring: (LoggedEvent<T> | undefined)[];
  private head = 0;
  private size = 0;
  private nextId = 1;
  private readonly subscribers = new Set<Subscriber<T>>();

  constructor({ capacity = 1000, clientQueue = 256 }: EventLogOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a whole number of at least 1');
    if (!Number.isInteger(clientQueue) || clientQueue < 1) throw new RangeError('clientQueue must be a whole number of at least 1');
    this.capacity = capacity;
    this.clientQueue = clientQueue;
    this.ring = new Array<LoggedEvent<T> | undefined>(capacity);
  }

  /** The id of the newest event, 0 before the first. */
  get lastId(): number {
    return this.nextId - 1;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Records an event and queues it for every subscriber that wants it; never blocks. */
  append(type: string, data: T): LoggedEvent<T> {
    const event: LoggedEvent<T> = { id: this.nextId++, type, data };
    this.ring[(this.head + this.size) % this.capacity] = event;
    if (this.size < this.capacity) this.size++;
    else this.head = (this.head + 1) % this.capacity;
    for (const subscriber of [...this.subscribers]) {
      if (subscriber.filter && !subscriber.filter(event)) continue;
      if (subscriber.queue.length >= subscriber.maxQueue) {
        subscriber.end(true);
        continue;
      }
      subscriber.queue.push(event);
      subscriber.wake();
    }
    return event;
  }

  /**
   * The buffered events after `lastEventId` (every buffered one when it is
   * undefined), and whether some after it are gone: evicted from the
   * buffer, or an id this log never gave (from before a restart).
   */
  since(lastEventId?: number, filter?: (event: LoggedEvent<T>) => boolean): Replay<T> {
    const all = this.buffered();
    const oldest = all[0]?.id ?? this.nextId;
    let after = lastEventId ?? oldest - 1;
    let lost = false;
    if (!Number.isInteger(after) || after < 0 || after > this.lastId) {
      after = oldest - 1;
      lost = lastEventId !== undefined;
    } else if (after < oldest - 1) {
      lost = true;
    }
    const events = all.filter((e) => e.id > after && (!filter || filter(e)));
    return { events, lost };
  }

  /** A new subscriber; the replay is taken at the same instant, so nothing falls between it and the queue. */
  subscribe(options: SubscribeOptions<T> = {}): Subscription<T> {
    const replay: Replay<T> =
      options.lastEventId === undefined ? { events: [], lost: false } : this.since(options.lastEventId, options.filter);
    let closed = false;
    let dropped = false;
    let waiters: { count: number; resolve: () => void }[] = [];
    const log = this.subscribers;
    const subscriber: Subscriber<T> = {
      queue: [],
      maxQueue: options.maxQueue ?? this.clientQueue,
      ...(options.filter ? { filter: options.filter } : {}),
      wake() {
        const ready = waiters.filter((w) => closed || subscriber.queue.length >= w.count);
        if (ready.length === 0) return;
        waiters = waiters.filter((w) => !ready.includes(w));
        for (const w of ready) w.resolve();
      },
      end(byDrop) {
        if (closed) return;
        closed = true;
        dropped = byDrop;
        subscriber.queue = [];
        log.delete(subscriber);
        subscriber.wake();
        if (!byDrop) return;
        try {
          options.onDropped?.();
        } catch {
          // A subscriber's callback failing must not stop the producer or the other subscribers.
        }
      },
    };
    this.subscribers.add(subscriber);
    return {
      replay,
      take: () => subscriber.queue.splice(0),
      wait: (count = 1, signal?: AbortSignal) => {
        if (closed || subscriber.queue.length >= count || signal?.aborted) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const waiter = { count, resolve };
          waiters.push(waiter);
          signal?.addEventListener(
            'abort',
            () => {
              waiters = waiters.filter((w) => w !== waiter);
              resolve();
            },
            { once: true },
          );
        });
      },
      get queued() {
        return subscriber.queue.length;
      },
      get closed() {
        return closed;
      },
      get dropped() {
        return dropped;
      },
      close: () => subscriber.end(false),
    };
  }

  private buffered(): LoggedEvent<T>[] {
    const out: LoggedEvent<T>[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.ring[(this.head + i) % this.capacity] as LoggedEvent<T>);
    return out;
  }
}
