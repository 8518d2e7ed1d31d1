// Host notices as toasts over the columns. Errors stay until dismissed; info
// fades on its own, since it never needs an answer.
import { button, h } from './dom';
import { icon } from './icons';

const INFO_TIMEOUT_MS = 6000;
const MAX_SHOWN = 4;

export class Notices {
  readonly element = h('div', { className: 'notices' });

  show(level: 'info' | 'error', message: string): void {
    const close = button({ label: 'Dismiss', icon: icon('close'), className: 'icon-button notice-close' });
    const notice = h(
      'div',
      { className: `notice notice-${level}`, testId: 'notice', attrs: { role: level === 'error' ? 'alert' : 'status' } },
      [icon(level === 'error' ? 'error' : 'info'), h('span', { className: 'notice-message', text: message }), close],
    );
    close.addEventListener('click', () => notice.remove());
    this.element.append(notice);
    while (this.element.childElementCount > MAX_SHOWN) this.element.firstElementChild?.remove();
    if (level === 'info') setTimeout(() => notice.remove(), INFO_TIMEOUT_MS);
  }
}
