// Stick-to-bottom for the grid's one scroller: it follows new content (new
// rows, streamed text, answers settling to their real height) while the
// user is at the bottom, and stops once they scroll away; a button brings
// them back, lit when something new arrived meanwhile.

/** Within this distance of the bottom the grid counts as "at the bottom" and follows new content. */
const STICK_THRESHOLD_PX = 48;
/** A scroll this soon after wheel, touch, key or pointer input is the user's. */
const USER_INPUT_WINDOW_MS = 400;

export class StickToBottom {
  private stuck = true;
  /** Where our own last scroll put the scroller: its scroll event is not the user scrolling away. */
  private ownScrollTop: number | null = null;
  /** Sizes at the last scroll or resize; a scroll that comes with new sizes was caused by layout. */
  private lastScrollHeight = 0;
  private lastClientHeight = 0;
  private lastUserInput = -Infinity;
  private readonly resizeObserver: ResizeObserver;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly content: HTMLElement,
    private readonly jumpButton: HTMLButtonElement,
  ) {
    jumpButton.hidden = true;
    scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    const userInput = () => (this.lastUserInput = performance.now());
    for (const type of ['wheel', 'touchmove', 'keydown', 'pointerdown'] as const)
      scroller.addEventListener(type, userInput, { passive: true });
    // Content grows in many ways (deltas, records, images, off-screen rows
    // getting their real size); following the content's size catches all of them.
    this.resizeObserver = new ResizeObserver(() => {
      if (this.stuck) this.scrollToBottom();
      this.rememberSizes();
    });
  }

  /** Call once the scroller is in the document: scrolling needs layout. */
  start(): void {
    this.scrollToBottom();
    this.resizeObserver.observe(this.content);
    this.resizeObserver.observe(this.scroller);
  }

  dispose(): void {
    this.resizeObserver.disconnect();
  }

  get following(): boolean {
    return this.stuck;
  }

  /** Back to the newest content, following it again. */
  jump(): void {
    this.stuck = true;
    this.scrollToBottom();
    this.jumpButton.classList.remove('has-new');
  }

  /** Something new arrived: when the user is reading further up, the jump button says so. */
  noteNewContent(): void {
    if (!this.stuck) this.jumpButton.classList.add('has-new');
  }

  /** After content was put above what the user looks at and the view was moved to keep it still. */
  recheck(): void {
    this.stuck = this.isAtBottom();
  }

  private isAtBottom(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= STICK_THRESHOLD_PX;
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.ownScrollTop = this.scroller.scrollTop;
  }

  private rememberSizes(): void {
    this.lastScrollHeight = this.scroller.scrollHeight;
    this.lastClientHeight = this.scroller.clientHeight;
  }

  /**
   * Decides whether the grid still follows new content. Sizes settle after
   * our own scrolls (off-screen rows get their real height) and the
   * browser's scroll anchoring moves the view when the layout changes (e.g.
   * switching to stacked); neither means the user left the bottom. A scroll
   * that comes with user input, or without any change of size, does.
   */
  private onScroll(): void {
    const s = this.scroller;
    const own = this.ownScrollTop !== null && Math.abs(s.scrollTop - this.ownScrollTop) <= 2;
    this.ownScrollTop = null;
    const resized = s.scrollHeight !== this.lastScrollHeight || s.clientHeight !== this.lastClientHeight;
    const byUser = performance.now() - this.lastUserInput < USER_INPUT_WINDOW_MS;
    this.rememberSizes();
    if (this.isAtBottom()) this.stuck = true;
    else if (!own && (byUser || !resized)) this.stuck = false;
    const far = s.scrollHeight - s.scrollTop - s.clientHeight > s.clientHeight / 2;
    this.jumpButton.hidden = this.stuck || !far;
    if (this.stuck) this.jumpButton.classList.remove('has-new');
  }
}
