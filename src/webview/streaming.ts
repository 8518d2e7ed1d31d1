// An answer that is not a record yet: queued behind an earlier prompt in its
// chat, or streaming. Streamed text is rendered as Markdown (without code
// highlighting, which waits for the record) at most once per animation
// frame, always into the same element, so the answer grows in place; the
// record later takes that element over (renderExchange's `response`).
import { h } from './dom';
import { onNextFrame } from './frame';
import { icon } from './icons';
import { renderMarkdown } from './markdown';

export type LiveState = 'queued' | 'running';

/** Rendering may take this share of the time at most; long answers then render every few frames. */
const RENDER_SHARE = 0.25;

export class LiveAnswer {
  readonly element: HTMLElement;
  private response: HTMLElement;
  private readonly waiting: HTMLElement;
  private text: string;
  private rendered = '';
  private scheduled = false;
  private nextRenderAt = 0;
  private disposed = false;

  constructor(
    readonly promptId: string,
    chatId: string,
    private readonly endpointName: string,
    private state: LiveState,
    text: string,
  ) {
    this.text = text;
    this.response = h('div', { className: 'response markdown is-streaming', testId: 'streaming-text' });
    this.waiting = h('div', { className: 'live-waiting' });
    this.element = h(
      'article',
      {
        className: 'exchange live',
        testId: 'streaming',
        attrs: { 'data-chat-id': chatId, 'data-prompt-id': promptId, 'aria-busy': 'true' },
      },
      [h('div', { className: 'answer' }, [this.waiting, this.response])],
    );
    this.renderState();
    if (text !== '') this.render();
  }

  get isQueued(): boolean {
    return this.state === 'queued';
  }

  setState(state: LiveState): void {
    if (state === this.state || this.disposed) return;
    this.state = state;
    this.renderState();
  }

  append(delta: string): void {
    if (delta === '' || this.disposed) return;
    this.text += delta;
    if (this.state === 'queued') this.setState('running');
    this.schedule();
  }

  /** The element the text streamed into, for the record's answer; this view is done. */
  takeResponse(): HTMLElement | undefined {
    this.disposed = true;
    return this.rendered === '' ? undefined : this.response;
  }

  remove(): void {
    this.disposed = true;
    this.element.remove();
  }

  private renderState(): void {
    this.element.classList.toggle('is-queued', this.state === 'queued');
    this.element.setAttribute('aria-label', this.state === 'queued' ? `Queued, waiting for ${this.endpointName}` : 'Answer in progress');
    if (this.state === 'queued') {
      this.waiting.replaceChildren(
        h('div', { className: 'queued', testId: 'queued' }, [
          icon('clock'),
          h('span', { text: `Queued, waiting for ${this.endpointName}` }),
        ]),
      );
    } else {
      this.waiting.replaceChildren(h('span', { className: 'typing', attrs: { 'aria-hidden': 'true' } }, [h('span'), h('span'), h('span')]));
    }
    this.waiting.hidden = this.state === 'running' && this.text !== '';
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    onNextFrame(() => {
      this.scheduled = false;
      if (this.disposed) return;
      if (performance.now() < this.nextRenderAt) return this.schedule();
      this.render();
    });
  }

  private render(): void {
    if (this.text === this.rendered) return;
    const start = performance.now();
    this.response.innerHTML = renderMarkdown(this.text, { highlight: false });
    this.rendered = this.text;
    const took = performance.now() - start;
    this.nextRenderAt = start + took / RENDER_SHARE;
    this.waiting.hidden = true;
  }
}
