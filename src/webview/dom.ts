// Element construction without HTML strings: everything untrusted reaches the
// DOM through textContent or setAttribute, so it can never become markup.
import type { Action } from './actions';

type Child = Node | string | null | undefined | false;

export interface ElementProps {
  className?: string;
  testId?: string;
  text?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  if (props.testId) el.dataset.testid = props.testId;
  if (props.text !== undefined) el.textContent = props.text;
  if (props.attrs) setAttrs(el, props.attrs);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** `false`, null and undefined remove the attribute, `true` sets it empty. */
export function setAttrs(el: Element, attrs: Record<string, string | number | boolean | null | undefined>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) el.removeAttribute(name);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

export interface ButtonProps {
  label: string;
  testId?: string;
  className?: string;
  icon?: Node;
  /** Shown next to the icon; without it the button is icon-only and relies on its label. */
  text?: string;
  action?: Action;
  attrs?: Record<string, string | number | boolean | null | undefined>;
}

/** Every action is a real button with an accessible name and a tooltip. */
export function button(props: ButtonProps): HTMLButtonElement {
  const children: Child[] = [props.icon, props.text !== undefined ? h('span', { className: 'button-text', text: props.text }) : null];
  const el = h(
    'button',
    {
      className: props.className ?? (props.text === undefined ? 'icon-button' : 'button'),
      testId: props.testId,
      attrs: { type: 'button', title: props.label, 'aria-label': props.label, ...props.attrs },
    },
    children,
  );
  if (props.action) el.dataset.action = props.action;
  return el;
}
