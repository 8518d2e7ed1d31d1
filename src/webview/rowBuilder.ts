// Rows far from the view are not built (their answers not rendered) until
// they come near it: a long history opens and pages in quickly. Rows near
// the view are built nearest first, a few per animation frame so that
// scrolling stays smooth, and the rest when the panel is idle (so that
// find-in-page and Copy see every answer in the end).
import { onNextFrame } from './frame';
import { runWhenIdle } from './idleQueue';

/** How near the view a row gets built. */
const NEAR_MARGIN_PX = 1200;
/** Time for building rows in one frame; at least one row is built per frame. */
const FRAME_BUDGET_MS = 4;

export interface BuildableRow {
  readonly element: HTMLElement;
  readonly built: boolean;
  build(): void;
}

export class RowBuilder {
  private readonly observer: IntersectionObserver;
  /** Rows near the view waiting to be built, with their distance from it when they came near. */
  private readonly near = new Map<BuildableRow, number>();
  private readonly byElement = new WeakMap<Element, BuildableRow>();
  private scheduled = false;
  private disposed = false;

  constructor(root: HTMLElement) {
    this.observer = new IntersectionObserver(
      (entries) => {
        const view = root.getBoundingClientRect();
        for (const entry of entries) {
          const row = this.byElement.get(entry.target);
          if (!row || !entry.isIntersecting) continue;
          const box = entry.boundingClientRect;
          this.near.set(row, box.bottom < view.top ? view.top - box.bottom : Math.max(0, box.top - view.bottom));
        }
        this.schedule();
      },
      { root, rootMargin: `${NEAR_MARGIN_PX}px 0px` },
    );
  }

  /** A row to build later. */
  add(row: BuildableRow): void {
    this.byElement.set(row.element, row);
    this.observer.observe(row.element);
    runWhenIdle(() => {
      if (!this.disposed && row.element.isConnected) this.build(row);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.observer.disconnect();
    this.near.clear();
  }

  private build(row: BuildableRow): void {
    this.near.delete(row);
    this.observer.unobserve(row.element);
    if (!row.built) row.build();
  }

  private schedule(): void {
    if (this.scheduled || this.near.size === 0) return;
    this.scheduled = true;
    onNextFrame(() => {
      this.scheduled = false;
      if (this.disposed) return;
      const start = performance.now();
      const nearest = [...this.near].sort((a, b) => a[1] - b[1]).map(([row]) => row);
      for (const row of nearest) {
        this.build(row);
        if (performance.now() - start > FRAME_BUDGET_MS) break;
      }
      this.schedule();
    });
  }
}
