// The prompt input: Enter sends, Shift+Enter breaks the line, Up/Down on the
// first/last line recall earlier prompts (elsewhere they move the caret, so
// multi-line prompts stay editable).
import { button, h } from './dom';
import { icon } from './icons';
import { PromptHistory } from './promptHistory';
import { MAX_PROMPT_CHARS } from '../core/limits';


export class PromptBox {
  readonly element: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly counter: HTMLElement;
  private readonly history = new PromptHistory();

  /** `send` answers whether the prompt went out; only then is the box emptied. */
  constructor(private readonly send: (prompt: string) => boolean) {
    this.textarea = h('textarea', {
      className: 'prompt-input',
      testId: 'prompt-input',
      attrs: { rows: 1, 'aria-label': 'Prompt', spellcheck: 'true', placeholder: 'Send a prompt' },
    });
    this.sendButton = button({
      label: 'Send (Enter)',
      text: 'Send',
      testId: 'send-button',
      icon: icon('send'),
      className: 'button send-button',
    });
    this.counter = h('span', { className: 'prompt-counter', attrs: { 'aria-live': 'polite' } });
    const hint = h('span', { className: 'prompt-hint', attrs: { id: 'prompt-hint' } }, [
      kbd('Enter'), ' to send · ', kbd('Shift+Enter'), ' new line · ', kbd('↑'), kbd('↓'), ' earlier prompts',
    ]);
    this.textarea.setAttribute('aria-describedby', 'prompt-hint');
    this.element = h('div', { className: 'prompt-area' }, [
      h('div', { className: 'prompt-box' }, [this.textarea, this.sendButton]),
      h('div', { className: 'prompt-footer' }, [hint, this.counter]),
    ]);

    this.textarea.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.textarea.addEventListener('input', () => this.onInput());
    this.onInput();
    this.sendButton.addEventListener('click', () => {
      this.submit();
      this.textarea.focus();
    });
  }

  setEndpointCount(count: number): void {
    const target = count === 1 ? '1 endpoint' : `${count} endpoints`;
    this.textarea.placeholder = `Send a prompt to ${target}`;
  }

  setHistory(entries: readonly string[]): void {
    this.history.reset(entries);
  }

  /** Prompts sent from elsewhere (command palette, API) are recallable too. */
  remember(prompt: string): void {
    this.history.add(prompt);
  }

  /** `reason` replaces the placeholder while the box is disabled, so the box says why. */
  setEnabled(enabled: boolean, reason?: string): void {
    this.textarea.disabled = !enabled;
    this.sendButton.disabled = !enabled;
    if (!enabled && reason) this.textarea.placeholder = reason;
  }

  focus(): void {
    this.textarea.focus();
  }

  /** Replaces what is in the box (a bookmark's prompt), ready to edit or send. */
  setText(text: string): void {
    this.setValue(text);
    this.textarea.focus();
  }

  private submit(): void {
    const prompt = this.textarea.value;
    if (prompt.trim() === '' || prompt.length > MAX_PROMPT_CHARS) return;
    if (!this.send(prompt)) return;
    this.history.add(prompt);
    this.setValue('');
  }

  private onKeyDown(e: KeyboardEvent): void {
    // IME composition uses Enter to commit a candidate, not to send.
    if (e.isComposing || e.keyCode === 229) return;
    const plain = !e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey;
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey) {
      e.preventDefault();
      this.submit();
      return;
    }
    if (!plain || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
    const { value, selectionStart, selectionEnd } = this.textarea;
    if (selectionStart !== selectionEnd) return;
    if (e.key === 'ArrowUp' && !value.slice(0, selectionStart).includes('\n')) {
      const older = this.history.previous(value);
      if (older !== null) {
        e.preventDefault();
        this.setValue(older);
      }
    } else if (e.key === 'ArrowDown' && !value.slice(selectionEnd).includes('\n')) {
      const newer = this.history.next();
      if (newer !== null) {
        e.preventDefault();
        this.setValue(newer);
      }
    }
  }

  private setValue(value: string): void {
    this.textarea.value = value;
    this.textarea.setSelectionRange(value.length, value.length);
    this.onInput();
  }

  private onInput(): void {
    const length = this.textarea.value.length;
    const empty = this.textarea.value.trim() === '';
    this.element.classList.toggle('is-empty', empty);
    const tooLong = length > MAX_PROMPT_CHARS;
    this.element.classList.toggle('is-too-long', tooLong);
    let counter = '';
    if (tooLong) counter = `${length.toLocaleString('en-US')} / ${MAX_PROMPT_CHARS.toLocaleString('en-US')} characters: too long to send`;
    else if (length >= 1000) counter = `${length.toLocaleString('en-US')} characters`;
    this.counter.textContent = counter;
    autoGrow(this.textarea);
  }
}

function kbd(text: string): HTMLElement {
  return h('kbd', { text });
}

const fieldSizingSupported = typeof CSS !== 'undefined' && CSS.supports('field-sizing', 'content');

/** Where `field-sizing: content` is missing (VS Code for the Web in Firefox/Safari), grow by hand. */
function autoGrow(textarea: HTMLTextAreaElement): void {
  if (fieldSizingSupported) return;
  textarea.style.height = 'auto';
  textarea.style.height = `${textarea.scrollHeight}px`;
}
