// Every clickable thing in the rows carries one of these in data-action; one
// click listener on the grid reads it back (checked against this list) and
// dispatches to the handler of that name.

export const ACTIONS = [
  'load-older',
  'jump-latest',
  'stop',
  'retry',
  'copy',
  'copy-markdown',
  'insert',
  'copy-code',
  'insert-code',
  'toggle-prompt',
  'toggle-prepared',
  'toggle-original',
  'bookmark',
] as const;
export type Action = (typeof ACTIONS)[number];

const KNOWN: ReadonlySet<string> = new Set(ACTIONS);

export function isAction(value: string | undefined): value is Action {
  return value !== undefined && KNOWN.has(value);
}

/** The element with a known data-action that a click landed in, if it is inside `root`. */
export function actionTarget(event: Event, root: Element): { action: Action; element: HTMLElement } | undefined {
  const element = event.target instanceof Element ? event.target.closest<HTMLElement>('[data-action]') : null;
  if (!element || !root.contains(element)) return undefined;
  const action = element.dataset.action;
  return isAction(action) ? { action, element } : undefined;
}

export type ActionHandlers<C> = { [A in Action]: (element: HTMLElement, context: C) => void };
