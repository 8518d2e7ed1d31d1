// Older rows, fetched from the host before the user reaches the top (a
// sentinel above the rows comes into view) or with "Load earlier messages".
// One request at a time; what the user looks at stays where it is while
// the page goes in above it.
import type { RowPage } from '../shared/chatProtocol';
import { button, h } from './dom';
import { StaleRequestError } from './requests';

/** Fetch older rows well before the user reaches the top: a page takes a moment to come. */
const PRELOAD_MARGIN_PX = 1500;

export interface OlderRowsHost {
  /** Whether there is anything older to fetch (and the view allows it now). */
  canLoad(): boolean;
  request(): Promise<RowPage>;
  /** Puts the page's rows above the others. */
  apply(page: RowPage): void;
  /** The first element of the list still in view, to keep in place. */
  firstVisible(): Element | null;
  failed(message: string): void;
}

export class OlderRows {
  readonly sentinel = h('div', { className: 'sentinel', attrs: { 'aria-hidden': 'true' } });
  private readonly button = button({
    label: 'Load earlier messages',
    text: 'Load earlier messages',
    action: 'load-older',
    testId: 'load-older',
    className: 'link-button load-older',
  });
  private readonly observer: IntersectionObserver;
  private loading = false;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly host: OlderRowsHost,
  ) {
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) void this.load();
      },
      { root: scroller, rootMargin: `${PRELOAD_MARGIN_PX}px 0px 0px 0px` },
    );
  }

  start(): void {
    this.observer.observe(this.sentinel);
  }

  dispose(): void {
    this.observer.disconnect();
  }

  /** The "Load earlier" button while there is more, else nothing. */
  element(): HTMLElement | null {
    if (!this.host.canLoad()) return null;
    this.button.classList.toggle('is-loading', this.loading);
    this.button.setAttribute('aria-busy', String(this.loading));
    const text = this.button.querySelector('.button-text');
    if (text) text.textContent = this.loading ? 'Loading earlier messages…' : 'Load earlier messages';
    return this.button;
  }

  async load(): Promise<void> {
    if (this.loading || !this.host.canLoad()) return;
    this.loading = true;
    this.element();
    let page: RowPage;
    try {
      page = await this.host.request();
    } catch (err) {
      this.loading = false;
      this.element();
      if (!(err instanceof StaleRequestError)) this.host.failed((err as Error).message);
      return;
    }
    this.loading = false;
    // What the user is looking at stays where it is. Away from the top the
    // browser's scroll anchoring sees to that (with no layout forced here);
    // at scrollTop 0 it does not apply, so an anchor is measured before and
    // after the insertion and the view scrolled by the difference.
    const anchor = this.scroller.scrollTop < 1 ? this.host.firstVisible() : null;
    const before = anchor?.getBoundingClientRect().top ?? 0;
    this.host.apply(page);
    if (anchor?.isConnected) {
      const shift = anchor.getBoundingClientRect().top - before;
      if (shift !== 0) this.scroller.scrollTop += shift;
    }
    // The sentinel may still be in view (short pages): observing anew reports it again.
    this.observer.unobserve(this.sentinel);
    this.observer.observe(this.sentinel);
  }
}
