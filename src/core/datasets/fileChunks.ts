// A dataset file as a stream of UTF-8 text chunks, read a chunk at a time so
// that a file of any size costs one chunk of memory. Bytes that are not
// UTF-8 are an error naming the line; a byte-order mark is dropped.
import { createReadStream } from 'node:fs';
import { CoreError, NotFoundError } from '../errors';
import { DatasetError } from './datasetError';

export const CHUNK_BYTES = 64 * 1024;

export interface ChunkOptions {
  /** Bytes per read (tests use small ones to cut records across chunks). */
  chunkBytes?: number;
  /** Sees every byte of the file, in order: for a content hash in the same pass. */
  onBytes?: (bytes: Buffer) => void;
}

/** How far a read has got; a run can show it as progress. */
export interface ReadProgress {
  bytesRead: number;
}

function errnoCode(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** A file-system refusal as the caller's error: the file is missing, or cannot be read. */
export function unreadable(file: string, err: unknown): unknown {
  const code = errnoCode(err);
  if (code === 'ENOENT') return new NotFoundError(`Dataset file not found: ${file}`);
  if (code === 'EISDIR') return new CoreError('invalid', `${file} is a folder, not a dataset file`, { cause: err });
  if (code) return new CoreError('invalid', `${file} cannot be read (${code})`, { cause: err });
  return err;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Where the first byte that cannot be UTF-8 is (or where an unfinished sequence starts); -1 when all are. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    const b1 = bytes[i + 1] as number;
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 > 0x9f) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 > 0x8f)) return i;
    i += need + 1;
  }
  return -1;
}

function newlinesBefore(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** The file's text, chunk by chunk. Rejects with NotFoundError, or a DatasetError for bytes that are not UTF-8. */
export async function* textChunks(
  file: string,
  progress: ReadProgress = { bytesRead: 0 },
  options: ChunkOptions = {},
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const stream = createReadStream(file, { highWaterMark: options.chunkBytes ?? CHUNK_BYTES });
  let lines = 0;
  const notUtf8 = (line: number) => new DatasetError(file, line, 'the file is not UTF-8 text (save it as UTF-8)');
  try {
    let chunks: AsyncIterator<Buffer>;
    for (chunks = stream[Symbol.asyncIterator](); ; ) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw unreadable(file, err);
      }
      if (next.done) break;
      const bytes = next.value;
      progress.bytesRead += bytes.length;
      options.onBytes?.(bytes);
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: true });
      } catch {
        throw notUtf8(lines + 1 + newlinesBefore(bytes, Math.max(0, firstInvalidUtf8(bytes))));
      }
      lines += countNewlines(text);
      if (text) yield text;
    }
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      throw notUtf8(lines + 1);
    }
    if (rest) yield rest;
  } finally {
    stream.destroy();
  }
}
