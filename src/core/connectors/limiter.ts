// Per-endpoint admission control, shared by every session that uses the
// endpoint: the limits protect the provider's quota, not one session's.
import { cancelledError } from './errors';

export interface LimiterLimits {
  /** Calls in flight at once; not a positive finite number means no limit. */
  maxConcurrency: number;
  /** Call starts per second, fractions allowed; not a positive finite number means no limit. */
  maxCallsPerSecond: number;
}

interface Waiter {
  grant: (release: () => void) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * At most `maxConcurrency` calls in flight, and a sliding-window rate: at
 * most `burst` starts in any window of `burst / rate` seconds, where burst is
 * the whole part of the rate (at least 1). So 10/s allows 10 at once then
 * waits for the window, and 0.5/s spaces starts 2 s apart. Waiters are served
 * strictly in arrival order. A timer exists only while someone waits on the
 * rate, so an idle limiter never keeps Node alive.
 */
export class Limiter {
  private concurrency = Infinity;
  private burst = Infinity;
  private windowMs = 0;
  private active = 0;
  /** Start times of the most recent `burst` calls, oldest first. */
  private starts: number[] = [];
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private current: LimiterLimits;

  constructor(limits: LimiterLimits) {
    this.current = limits;
    this.apply(limits);
  }

  get limits(): LimiterLimits {
    return { ...this.current };
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** New limits apply to waiting callers at once; calls already in flight count against them. */
  setLimits(limits: LimiterLimits): void {
    this.current = limits;
    this.apply(limits);
    this.pump();
  }

  /** Runs `fn` once admitted; rejects with a "cancelled" ConnectorError if the signal fires while waiting. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Resolves with a release function (safe to call twice) once the call may start. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(cancelledError());
    return new Promise((grant, reject) => {
      const waiter: Waiter = { grant, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.queue.indexOf(waiter);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(cancelledError());
          // The leaver may have been the head that a rate timer was waiting for.
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  private apply({ maxConcurrency, maxCallsPerSecond }: LimiterLimits): void {
    this.concurrency = isPositive(maxConcurrency) ? Math.max(1, Math.floor(maxConcurrency)) : Infinity;
    if (isPositive(maxCallsPerSecond)) {
      this.burst = Math.max(1, Math.floor(maxCallsPerSecond));
      this.windowMs = (this.burst / maxCallsPerSecond) * 1000;
      this.starts = this.starts.slice(-this.burst);
    } else {
      this.burst = Infinity;
      this.windowMs = 0;
      this.starts = [];
    }
  }

  private pump(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && this.active < this.concurrency) {
      const wait = this.rateWait();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      this.admit(waiter);
    }
  }

  private admit(waiter: Waiter): void {
    this.active++;
    if (this.burst !== Infinity) {
      this.starts.push(performance.now());
      if (this.starts.length > this.burst) this.starts.shift();
    }
    let released = false;
    waiter.grant(() => {
      if (released) return;
      released = true;
      this.active--;
      this.pump();
    });
  }

  /** Milliseconds until the next start fits in the window. */
  private rateWait(): number {
    if (this.starts.length < this.burst) return 0;
    const oldest = this.starts[this.starts.length - this.burst] as number;
    return Math.max(0, oldest + this.windowMs - performance.now());
  }
}

export interface LimitedEndpoint {
  id: string;
  max_concurrency: number;
  max_calls_per_second: number;
  connector_type?: string;
}

/**
 * Connector types that call no remote: a rate limit protects a provider's
 * quota, and these have none, so only their concurrency is limited (an
 * offline run or a test then measures the program, not a cap).
 */
const LOCAL_CONNECTOR_TYPES = new Set(['echo']);

/**
 * One limiter per endpoint id. When an endpoint's limits change, its limiter
 * is updated in place rather than swapped for a fresh one: a fresh one would
 * not count the calls already in flight, letting a lowered limit be exceeded.
 */
export class EndpointLimiters {
  private readonly byId = new Map<string, Limiter>();

  get(endpoint: LimitedEndpoint): Limiter {
    const local = endpoint.connector_type !== undefined && LOCAL_CONNECTOR_TYPES.has(endpoint.connector_type);
    const limits = { maxConcurrency: endpoint.max_concurrency, maxCallsPerSecond: local ? Infinity : endpoint.max_calls_per_second };
    const existing = this.byId.get(endpoint.id);
    if (!existing) {
      const limiter = new Limiter(limits);
      this.byId.set(endpoint.id, limiter);
      return limiter;
    }
    const { maxConcurrency, maxCallsPerSecond } = existing.limits;
    if (maxConcurrency !== limits.maxConcurrency || maxCallsPerSecond !== limits.maxCallsPerSecond) {
      existing.setLimits(limits);
    }
    return existing;
  }

  /** Forget a deleted endpoint; calls already admitted or waiting finish on the old limiter. */
  delete(id: string): void {
    this.byId.delete(id);
  }
}

function isPositive(n: number): boolean {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}
