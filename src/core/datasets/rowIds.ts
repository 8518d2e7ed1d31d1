// Row ids. A row keeps the id its source gives it (HarmBench's BehaviorID,
// an `id` field); else its id is made from its content, so that inserting or
// removing other rows, or reordering the file, changes no other row's id and
// a baseline still lines up. A content id is the first 12 hex digits of the
// SHA-256 of the row's fields as read (not of the prompt a template makes of
// them, so a new template keeps the ids); a row repeated in the file gets
// "-2", "-3", ... on its later copies.
import { hash } from 'node:crypto';

/** The fields as one string that does not depend on their order in the file. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const contentId = (content: string): string => hash('sha256', content, 'hex').slice(0, 12);

/**
 * A set of the ids seen in one pass over a file, kept as 64-bit hashes in
 * one typed array (11 to 24 bytes a row) rather than as strings, so that
 * a million rows cost megabytes, not a hundred. Two ids with the same hash
 * (a chance of about 1 in 10^7 for a million rows) count as the same one.
 */
export class IdSet {
  private table = new Uint32Array(2 * 1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the id; false when it was there already. */
  add(id: string): boolean {
    const digest = hash('sha1', id, 'buffer');
    // (0, 0) marks a free slot, so that hash is moved.
    const hi = digest.readUInt32LE(0) || 1;
    const lo = digest.readUInt32LE(4);
    if (!this.insert(this.table, hi, lo)) return false;
    this.count++;
    // Linear probing stays short below 70% full.
    if (this.count > 0.7 * (this.table.length / 2)) this.grow();
    return true;
  }

  private insert(table: Uint32Array, hi: number, lo: number): boolean {
    const slots = table.length / 2;
    for (let slot = (hi ^ lo) & (slots - 1); ; slot = (slot + 1) & (slots - 1)) {
      const h = table[2 * slot] as number;
      if (h === 0) {
        table[2 * slot] = hi;
        table[2 * slot + 1] = lo;
        return true;
      }
      if (h === hi && table[2 * slot + 1] === lo) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.insert(this.table, old[i] as number, old[i + 1] as number);
  }
}

/** Gives each row its id and checks that the source's own ids are unique: one per pass over a file. */
export class RowIds {
  private readonly seen = new IdSet();

  /** The id for a row with no id of its own. */
  fromContent(content: string): string {
    const base = contentId(content);
    if (this.seen.add(base)) return base;
    for (let copy = 2; ; copy++) if (this.seen.add(`${base}-${copy}`)) return `${base}-${copy}`;
  }

  /** The source's own id; false when an earlier row had it. */
  own(id: string): boolean {
    return this.seen.add(id);
  }
}
