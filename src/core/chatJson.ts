// A chat's records as the API sends them (ChatRecord JSON, comma-separated),
// built from the stored lines without parsing each one again at every read.
//
// Lines are JSON already. A line that is exactly what the store writes for
// its record (the schema's keys in the schema's order, nothing missing or
// extra) becomes the API's record by putting `,"metric":...` before its
// closing brace. Each line is checked that way once per process: the file
// is remembered as checked up to a size (per inode), with the few lines that
// failed the check (older formats: no attack_module; damaged or torn lines),
// which keep going through the schema on every read, and are skipped when
// invalid. Appends only add lines after the checked size, so a read after a
// prompt checks just the new ones.
import { closeSync, fstatSync, openSync, read } from 'node:fs';
import { StoredChatRecordSchema } from './schemas';

/** Output is handed on in pieces of this size: large enough that writing them is not the cost. */
const PIECE = 1024 * 1024;
const RECORD_START = Buffer.from('{"chat_record_id":');
const COMMA = Buffer.from(',');
const NO_METRIC = Buffer.from(',"metric":null}');

/** What is known of one chat file's lines. */
export interface CheckedFile {
  ino: number;
  /** Bytes from the start whose lines were checked. */
  size: number;
  /** Start offsets (ascending) of the checked lines that are not canonical: parsed at every read. */
  slow: number[];
}

/** The record of a line that is not canonical, as the API's JSON; undefined for an invalid (torn, damaged) line. */
function slowRecord(line: string, metricOf: (id: number) => string | undefined): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = StoredChatRecordSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const text = JSON.stringify(parsed.data);
  return `${text.slice(0, -1)},"metric":${metricOf(parsed.data.chat_record_id) ?? 'null'}}`;
}

/** Whether the line is exactly what the store writes for its record. */
function isCanonical(line: string): boolean {
  try {
    const parsed = StoredChatRecordSchema.safeParse(JSON.parse(line));
    return parsed.success && JSON.stringify(parsed.data) === line;
  } catch {
    return false;
  }
}

/** The record id of a canonical line (it starts with it). */
function recordIdOf(bytes: Buffer, start: number, end: number): number {
  let id = 0;
  for (let i = start + RECORD_START.length; i < end; i++) {
    const c = bytes[i] as number;
    if (c < 0x30 || c > 0x39) break;
    id = id * 10 + (c - 0x30);
  }
  return id;
}

/**
 * Yields the chat's records as JSON, comma-separated (no brackets), in
 * pieces. `checked` holds what earlier reads learnt of the file and is
 * updated; `metrics` gives a record's latest score as JSON.
 */
/**
 * Output buffers used again once written: a history of 10,000 records is
 * 12 MiB of output, and fresh buffers for each answer made the collector
 * the largest cost of answering it.
 */
export class PiecePool {
  private readonly free: Buffer[] = [];

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(PIECE);
  }

  /** Gives back a piece (or the start of one) once it is written; anything else is left to the collector. */
  release(piece: Buffer): void {
    if (piece.byteOffset !== 0 || piece.buffer.byteLength !== PIECE || this.free.length >= 4) return;
    this.free.push(Buffer.from(piece.buffer, 0, PIECE));
  }
}

/** fs.read as a promise, on a descriptor (FileHandle's read goes through more machinery per call). */
const readAt = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
  new Promise<number>((resolve, reject) => {
    read(fd, buffer, offset, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });

export interface ChatJsonOptions {
  /** Bytes to put before the records and after them, in the same pieces (so a short history is one write). */
  before?: Buffer;
  after?: Buffer;
  /** A file that exists but cannot be opened: told here, and answered as no records. */
  unreadable?: (err: unknown) => void;
}

export async function* chatRecordsJson(
  path: string,
  checked: Map<string, CheckedFile>,
  metrics: Map<number, string>,
  pool = new PiecePool(),
  options: ChatJsonOptions = {},
): AsyncGenerator<Buffer> {
  let fd: number | undefined;
  try {
    // Opened synchronously: a trip through the thread pool costs more than the call (see fileLock.ts).
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      if (typeof code !== 'string' || !options.unreadable) throw err;
      options.unreadable(err);
    }
  }
  if (fd === undefined) {
    yield Buffer.concat([options.before ?? Buffer.alloc(0), options.after ?? Buffer.alloc(0)]);
    return;
  }
  const handle = fd;
  const readBuffer = pool.take();
  try {
    const { ino, size } = fstatSync(handle);
    let known = checked.get(path);
    // Another file, or one cut shorter than what was checked (a torn tail cut off, an edit): checked again.
    if (!known || known.ino !== ino || known.size > size) known = { ino, size: 0, slow: [] };
    const slow = known.slow.slice();
    let slowAt = 0;
    let checkedTo = known.size;
    const metricOf = (id: number) => metrics.get(id);

    // Output is copied into pieces of PIECE bytes: no object per record, one write per piece.
    let out = pool.take();
    let used = 0;
    let first = true;
    const pieces: Buffer[] = [];
    const put = (bytes: Buffer, start = 0, end = bytes.length) => {
      while (start < end) {
        if (used === out.length) {
          pieces.push(out);
          out = pool.take();
          used = 0;
        }
        const n = bytes.copy(out, used, start, Math.min(end, start + out.length - used));
        used += n;
        start += n;
      }
    };
    const separate = () => {
      if (!first) put(COMMA);
      first = false;
    };
    const addCanonical = (bytes: Buffer, start: number, end: number) => {
      const metric = metrics.size > 0 ? metricOf(recordIdOf(bytes, start, end)) : undefined;
      separate();
      put(bytes, start, end - 1);
      put(metric === undefined ? NO_METRIC : Buffer.from(`,"metric":${metric}}`));
    };
    const addText = (text: string) => {
      separate();
      put(Buffer.from(text));
    };
    if (options.before) put(options.before);

    // One read buffer for the whole file (output is copied out of it): what is left of a line moves to its front.
    let buffer = readBuffer;
    let filled = 0;
    let bufferStart = 0;
    for (let position = 0; position < size; ) {
      if (filled === buffer.length) {
        // A line longer than the buffer.
        const larger = Buffer.allocUnsafeSlow(buffer.length * 2);
        buffer.copy(larger, 0, 0, filled);
        buffer = larger;
      }
      const bytesRead = await readAt(handle, buffer, filled, Math.min(buffer.length - filled, size - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const scanFrom = filled;
      filled += bytesRead;
      let start = 0;
      for (let end = buffer.indexOf(0x0a, scanFrom); end >= 0 && end < filled; start = end + 1, end = buffer.indexOf(0x0a, start)) {
        const offset = bufferStart + start;
        if (end === start) continue;
        const inChecked = offset + (end - start) + 1 <= checkedTo;
        let canonical: boolean;
        if (inChecked) {
          while (slowAt < slow.length && (slow[slowAt] as number) < offset) slowAt++;
          canonical = slow[slowAt] !== offset;
        } else {
          canonical =
            buffer[end - 1] === 0x7d &&
            buffer.compare(RECORD_START, 0, RECORD_START.length, start, start + RECORD_START.length) === 0 &&
            isCanonical(buffer.toString('utf8', start, end));
          if (!canonical) slow.push(offset);
          checkedTo = offset + (end - start) + 1;
        }
        if (canonical) addCanonical(buffer, start, end);
        else {
          const text = slowRecord(buffer.toString('utf8', start, end), metricOf);
          if (text !== undefined) addText(text);
        }
        if (pieces.length > 0) yield* pieces.splice(0);
      }
      bufferStart += start;
      buffer.copyWithin(0, start, filled);
      filled -= start;
    }
    // A last line without its newline: written by hand, or torn by a crash (then it is not valid JSON, and skipped).
    if (filled > 0) {
      const text = slowRecord(buffer.toString('utf8', 0, filled), metricOf);
      if (text !== undefined) addText(text);
    }
    if (options.after) put(options.after);
    yield* pieces.splice(0);
    if (used > 0) yield out.subarray(0, used);
    checked.set(path, { ino, size: checkedTo, slow });
  } finally {
    closeSync(handle);
    pool.release(readBuffer);
  }
}
