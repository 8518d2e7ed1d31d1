// How many of a run's prompts are in flight at once. The dataset is read as
// the window frees up, so a run holds a bounded number of rows in memory
// whatever the size of the file.

/** Prompts in flight per unit of the session's endpoint concurrency: enough to keep every slot busy while answers are written. */
const PER_SLOT = 2;
/** A session of many generous endpoints still keeps few rows in memory. */
export const MAX_WINDOW = 512;

/** The window for a session whose endpoints allow these many calls at once: twice their sum, from 2 to MAX_WINDOW. */
export function windowSize(concurrencies: readonly number[]): number {
  const total = concurrencies.reduce((sum, c) => sum + (Number.isFinite(c) && c > 0 ? c : 1), 0);
  return Math.max(2, Math.min(MAX_WINDOW, Math.ceil(total * PER_SLOT)));
}

/** A counting semaphore whose waiters are served in arrival order. */
export class RunWindow {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];

  constructor(readonly size: number) {}

  get busy(): number {
    return this.inFlight;
  }

  /** Resolves when a slot is free (and takes it). */
  acquire(): Promise<void> {
    if (this.inFlight < this.size) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) {
      next();
      return;
    }
    this.inFlight--;
    if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
