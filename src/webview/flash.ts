// A short confirmation on the button itself ("Copied"); the host does the actual copying.
import { icon } from './icons';

const SHOWN_MS = 1500;

export function flashDone(target: HTMLElement): void {
  if (target.classList.contains('code-button')) {
    if (target.classList.contains('is-done')) return;
    target.classList.add('is-done');
    target.textContent = 'Copied';
    setTimeout(() => {
      target.classList.remove('is-done');
      target.textContent = 'Copy';
    }, SHOWN_MS);
    return;
  }
  const original = target.querySelector('svg');
  if (!original || target.classList.contains('is-done')) return;
  const label = target.getAttribute('aria-label') ?? '';
  const check = icon('check');
  original.replaceWith(check);
  target.classList.add('is-done');
  target.setAttribute('aria-label', 'Copied');
  setTimeout(() => {
    check.replaceWith(original);
    target.classList.remove('is-done');
    target.setAttribute('aria-label', label);
  }, SHOWN_MS);
}
