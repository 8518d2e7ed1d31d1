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
import { promises as fs } from 'node:fs';
import { StoredChatRecordSchema } from './schemas';

const CHUNK = 1024 * 1024;
/** Output is handed on in pieces of about this size. */
const PIECE = 64 * 1024;
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
export async function* chatRecordsJson(path: string, checked: Map<string, CheckedFile>, metrics: Map<number, string>): AsyncGenerator<Buffer> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const { ino, size } = await handle.stat();
    let known = checked.get(path);
    // Another file, or one cut shorter than what was checked (a torn tail cut off, an edit): checked again.
    if (!known || known.ino !== ino || known.size > size) known = { ino, size: 0, slow: [] };
    const slow = known.slow.slice();
    let slowAt = 0;
    let checkedTo = known.size;
    const metricOf = (id: number) => metrics.get(id);

    let pieces: Buffer[] = [];
    let pieceBytes = 0;
    let first = true;
    const add = (part: Buffer) => {
      if (!first) {
        pieces.push(COMMA);
        pieceBytes += 1;
      }
      first = false;
      pieces.push(part);
      pieceBytes += part.length;
    };
    const addCanonical = (bytes: Buffer, start: number, end: number) => {
      const metric = metrics.size > 0 ? metricOf(recordIdOf(bytes, start, end)) : undefined;
      add(bytes.subarray(start, end - 1));
      const tail = metric === undefined ? NO_METRIC : Buffer.from(`,"metric":${metric}}`);
      pieces.push(tail);
      pieceBytes += tail.length;
    };

    let buffer = Buffer.alloc(0);
    let bufferStart = 0;
    for (let position = 0; position < size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      buffer = buffer.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([buffer, chunk.subarray(0, bytesRead)]);
      let start = 0;
      for (let end = buffer.indexOf(0x0a); end >= 0; start = end + 1, end = buffer.indexOf(0x0a, start)) {
        const offset = bufferStart + start;
        if (end === start) continue;
        const inChecked = offset + (end - start) + 1 <= checkedTo;
        let canonical: boolean;
        if (inChecked) {
          while (slowAt < slow.length && (slow[slowAt] as number) < offset) slowAt++;
          canonical = slow[slowAt] !== offset;
        } else {
          canonical = buffer[end - 1] === 0x7d && buffer.compare(RECORD_START, 0, RECORD_START.length, start, start + RECORD_START.length) === 0 && isCanonical(buffer.toString('utf8', start, end));
          if (!canonical) slow.push(offset);
          checkedTo = offset + (end - start) + 1;
        }
        if (canonical) addCanonical(buffer, start, end);
        else {
          const text = slowRecord(buffer.toString('utf8', start, end), metricOf);
          if (text !== undefined) add(Buffer.from(text));
        }
        if (pieceBytes >= PIECE) {
          yield Buffer.concat(pieces, pieceBytes);
          pieces = [];
          pieceBytes = 0;
        }
      }
      bufferStart += start;
      buffer = buffer.subarray(start);
    }
    // A last line without its newline: written by hand, or torn by a crash (then it is not valid JSON, and skipped).
    if (buffer.length > 0) {
      const text = slowRecord(buffer.toString('utf8'), metricOf);
      if (text !== undefined) add(Buffer.from(text));
    }
    if (pieceBytes > 0) yield Buffer.concat(pieces, pieceBytes);
    checked.set(path, { ino, size: checkedTo, slow });
  } finally {
    await handle.close();
  }
}
