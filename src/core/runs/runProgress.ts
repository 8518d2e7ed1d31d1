// A run's rate and time left, from the rows this process finished: a window
// of recent completions, so a run that slowed down (an endpoint throttled)
// shows the rate it has now, not its average since the start.

const WINDOW_MS = 30_000;

export class RunProgress {
  /** Completion times (ms, monotonic), oldest first, within the window. */
  private readonly times: number[] = [];

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** A row finished. */
  tick(): void {
    const now = this.clock();
    this.times.push(now);
    while (this.times.length > 1 && now - (this.times[0] as number) > WINDOW_MS) this.times.shift();
    // Bounded whatever the rate: the rate only needs the span and the count.
    if (this.times.length > 10_000) this.times.splice(0, this.times.length - 10_000);
  }

  /** Rows per second over the window; null until two rows finished. */
  rate(): number | null {
    if (this.times.length < 2) return null;
    const span = (this.clock() - (this.times[0] as number)) / 1000;
    return span > 0 ? (this.times.length - 1) / span : null;
  }

  /** Seconds until `left` more rows are done at the current rate. */
  eta(left: number): number | null {
    if (left <= 0) return 0;
    const rate = this.rate();
    return rate === null || rate === 0 ? null : left / rate;
  }
}
