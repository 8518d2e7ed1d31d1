// Streams can deliver hundreds of deltas a second across columns; DOM writes
// are collected here and applied once per animation frame.

const tasks = new Set<() => void>();
let scheduled = false;

export function onNextFrame(task: () => void): void {
  tasks.add(task);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(flush);
}

function flush(): void {
  scheduled = false;
  const batch = [...tasks];
  tasks.clear();
  for (const task of batch) task();
}
