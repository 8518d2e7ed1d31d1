// Bookmarks: answers worth keeping, with Moonshot's fields, in one file
// `bookmarks.json` ({"bookmarks": [...]}, oldest first, the shape of the
// export) in the storage folder. Every change is made under a lock file
// shared by processes (two windows on one folder), from the file as it is
// then, and written atomically; what this process remembers changes only
// once the write succeeded, so a refused write loses nothing and shows
// nothing that is not on disk.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { Emitter } from './emitter';
import { asStorageError, ConflictError, CoreError, NotFoundError, writingTo } from './errors';
import { withFileLock } from './fileLock';
import { formatCreatedDate } from './ids';
import { BookmarkSchema, CreateBookmarkBodySchema, type Bookmark } from './schemas';
import { writeFileAtomic } from './store';
import { parseOrThrow } from './validation';

export const BOOKMARKS_FILE = 'bookmarks.json';

const BookmarkFileSchema = z.object({ bookmarks: z.array(BookmarkSchema) });

export class BookmarkStore {
  readonly path: string;
  private readonly lockPath: string;
  /** The file's content when this process last read or wrote it, and its size and mtime then. */
  private cache: { bookmarks: Bookmark[]; signature: string } | undefined;
  /** Changes from this process, one at a time (the file lock is for other processes). */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly changed = new Emitter<void>();
  /** Fires after every change this process wrote (another process's changes show in the file only). */
  readonly onDidChange = this.changed.event;

  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.path = join(dir, BOOKMARKS_FILE);
    this.lockPath = `${this.path}.lock`;
  }

  /** Every bookmark, oldest first. */
  async list(): Promise<Bookmark[]> {
    return [...(await this.current())];
  }

  /** The bookmark called `name`; NotFoundError when there is none. */
  async get(name: string): Promise<Bookmark> {
    const found = (await this.current()).find((b) => b.name === name.trim());
    if (!found) throw new NotFoundError('Bookmark not found');
    return found;
  }

  /**
   * Adds a bookmark from a create body (validated: ValidationError naming
   * the field); `bookmark_time` is now. ConflictError when the name is taken.
   */
  async create(body: unknown): Promise<Bookmark> {
    const fields = parseOrThrow(CreateBookmarkBodySchema, body);
    return this.change((bookmarks) => {
      if (bookmarks.some((b) => b.name === fields.name)) throw new ConflictError(`A bookmark named "${fields.name}" already exists`);
      const bookmark: Bookmark = {
        name: fields.name,
        prompt: fields.prompt,
        prepared_prompt: fields.prepared_prompt,
        response: fields.response,
        context_strategy: fields.context_strategy,
        prompt_template: fields.prompt_template,
        attack_module: fields.attack_module,
        metric: fields.metric,
        bookmark_time: formatCreatedDate(this.now()),
      };
      return { bookmarks: [...bookmarks, bookmark], result: bookmark };
    });
  }

  /** Removes the bookmark called `name`; NotFoundError when there is none. */
  async delete(name: string): Promise<void> {
    await this.change((bookmarks) => {
      const kept = bookmarks.filter((b) => b.name !== name.trim());
      if (kept.length === bookmarks.length) throw new NotFoundError('Bookmark not found');
      return { bookmarks: kept, result: undefined };
    });
  }

  /** Removes every bookmark; how many there were. */
  async deleteAll(): Promise<number> {
    return this.change((bookmarks) => ({ bookmarks: bookmarks.length > 0 ? [] : undefined, result: bookmarks.length }));
  }

  /** What GET /v1/bookmarks/export answers (Moonshot's export file shape). */
  async export(): Promise<{ bookmarks: Bookmark[] }> {
    return { bookmarks: await this.list() };
  }

  /** The bookmarks on disk; the remembered ones while the file has not changed. */
  private async current(): Promise<Bookmark[]> {
    const signature = await this.signature();
    if (this.cache && this.cache.signature === signature) return this.cache.bookmarks;
    const bookmarks = await this.readFile();
    this.cache = { bookmarks, signature };
    return bookmarks;
  }

  private async signature(): Promise<string> {
    try {
      const stat = await fs.stat(this.path);
      return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return 'none';
      throw asStorageError(err, this.path);
    }
  }

  private async readFile(): Promise<Bookmark[]> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw asStorageError(err, this.path);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw this.unreadable(err instanceof Error ? err.message : String(err));
    }
    const result = BookmarkFileSchema.safeParse(parsed);
    if (!result.success) throw this.unreadable(result.error.issues[0]?.message ?? 'unexpected content');
    return result.data.bookmarks;
  }

  /** A file someone edited into something else: never overwritten, so nothing in it is lost. */
  private unreadable(why: string): CoreError {
    return new CoreError('storage', `The bookmark file ${this.path} cannot be read (${why}); fix it or move it away`);
  }

  /** Runs `edit` on the bookmarks as they are on disk and writes its result (unless undefined) before remembering it. */
  private change<T>(edit: (bookmarks: Bookmark[]) => { bookmarks: Bookmark[] | undefined; result: T }): Promise<T> {
    const run = this.queue.then(() =>
      writingTo(this.path, () =>
        withFileLock(this.lockPath, async () => {
          const { bookmarks, result } = edit(await this.readFile());
          if (bookmarks === undefined) return result;
          await writeFileAtomic(this.path, `${JSON.stringify({ bookmarks }, null, 2)}\n`);
          this.cache = { bookmarks, signature: await this.signature() };
          this.changed.fire();
          return result;
        }),
      ),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
