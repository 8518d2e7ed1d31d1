// Notices changes another process (a second window, `serve`) makes to the
// storage folder, so this process's view of sessions stays current.
import { watch, type FSWatcher } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { Emitter } from './emitter';

export interface StoreChange {
  /** Sessions were created, deleted or changed: the list must be read again. */
  metadata: boolean;
  /** Sessions whose records changed. */
  sessionIds: Set<string>;
}

export class StoreWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: StoreChange = { metadata: false, sessionIds: new Set() };
  private readonly changed = new Emitter<StoreChange>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly sessionsDir: string,
    private readonly debounceMs = 150,
  ) {}

  start(): void {
    mkdirSync(this.sessionsDir, { recursive: true });
    this.watcher = watch(this.sessionsDir, { recursive: true }, (_event, filename) => this.note(filename ? String(filename) : ''));
    this.watcher.on('error', () => this.dispose());
  }

  private note(filename: string): void {
    const [sessionId, file] = filename.split(/[\\/]/);
    if (!sessionId || sessionId.startsWith('.')) {
      this.pending.metadata = true;
    } else if (file === undefined || file.startsWith('session.json')) {
      this.pending.metadata = true;
    } else if (file.endsWith('.jsonl')) {
      this.pending.sessionIds.add(sessionId);
    } else {
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const change = this.pending;
      this.pending = { metadata: false, sessionIds: new Set() };
      this.changed.fire(change);
    }, this.debounceMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    this.changed.dispose();
  }
}
