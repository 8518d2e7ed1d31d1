// Work that can wait until the panel is idle: rendering the markdown of
// answers that are not on screen yet, so opening a long history paints the
// visible answers first. Newest tasks run first (they are nearest the bottom,
// where columns open).

const SLICE_MS = 8;
const tasks: Array<() => void> = [];
let scheduled = false;

export function runWhenIdle(task: () => void): void {
  tasks.push(task);
  schedule();
}

function schedule(): void {
  if (scheduled || tasks.length === 0) return;
  scheduled = true;
  if (typeof requestIdleCallback === 'function') requestIdleCallback(work, { timeout: 250 });
  else setTimeout(() => work(), 16);
}

function work(deadline?: IdleDeadline): void {
  scheduled = false;
  const start = performance.now();
  const hasTime = () => (deadline && !deadline.didTimeout ? deadline.timeRemaining() > 1 : performance.now() - start < SLICE_MS);
  while (tasks.length > 0 && hasTime()) tasks.pop()?.();
  schedule();
}
