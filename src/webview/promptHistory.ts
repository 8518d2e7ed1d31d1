// Up/Down recall of earlier prompts, shell style: the text being typed is kept
// as a draft while browsing and comes back after the newest entry.

const MAX_ENTRIES = 1000;

export class PromptHistory {
  private entries: string[] = [];
  /** entries.length stands for the draft. */
  private index = 0;
  private draft = '';

  reset(entries: readonly string[]): void {
    this.entries = [];
    for (const entry of entries) this.push(entry);
    this.index = this.entries.length;
    this.draft = '';
  }

  /** Remembers a sent prompt and ends any browsing. */
  add(prompt: string): void {
    this.push(prompt);
    this.index = this.entries.length;
    this.draft = '';
  }

  /** The older entry to show, or null when there is none. */
  previous(current: string): string | null {
    if (this.index === 0) return null;
    if (this.index === this.entries.length) this.draft = current;
    this.index--;
    return this.entries[this.index] ?? null;
  }

  /** The newer entry (or the draft) to show, or null when already at the draft. */
  next(): string | null {
    if (this.index >= this.entries.length) return null;
    this.index++;
    return this.index === this.entries.length ? this.draft : (this.entries[this.index] ?? null);
  }

  private push(entry: string): void {
    if (entry.trim() === '' || this.entries[this.entries.length - 1] === entry) return;
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.shift();
  }
}
