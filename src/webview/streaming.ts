// An answer that is still arriving. Deltas are shown as plain text (no
// markdown until the record arrives) and appended once per frame, so a fast
// stream costs one text-node append per frame per column.
import { h } from './dom';
import { renderPromptBubble } from './exchange';
import { onNextFrame } from './frame';

export class PendingView {
  readonly element: HTMLElement;
  private readonly answer: HTMLElement;
  private readonly text: Text;
  private buffer: string[] = [];
  private disposed = false;

  constructor(
    readonly promptId: string,
    chatId: string,
    prompt: string,
    initialText: string,
  ) {
    this.text = document.createTextNode(initialText);
    this.answer = h(
      'div',
      { className: 'answer streaming', testId: 'streaming', attrs: { 'data-chat-id': chatId, 'aria-busy': 'true', 'aria-label': 'Answer in progress' } },
      [
        h('div', { className: 'streaming-text', testId: 'streaming-text' }, [this.text]),
        h('span', { className: 'typing', attrs: { 'aria-hidden': 'true' } }, [h('span'), h('span'), h('span')]),
      ],
    );
    this.answer.classList.toggle('has-text', initialText !== '');
    const request = h('div', { className: 'request' }, prompt ? [renderPromptBubble(prompt)] : []);
    this.element = h('article', { className: 'exchange pending', testId: 'pending-exchange', attrs: { 'data-prompt-id': promptId } }, [
      request,
      this.answer,
    ]);
  }

  append(delta: string): void {
    if (delta === '' || this.disposed) return;
    this.buffer.push(delta);
    if (this.buffer.length === 1) onNextFrame(() => this.flush());
  }

  remove(): void {
    this.disposed = true;
    this.buffer = [];
    this.element.remove();
  }

  private flush(): void {
    if (this.disposed || this.buffer.length === 0) return;
    this.text.appendData(this.buffer.join(''));
    this.buffer = [];
    this.answer.classList.add('has-text');
  }
}
