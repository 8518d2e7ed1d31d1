// The elements of a JSON array read a chunk at a time, so that a Moonshot
// dataset whose `examples` hold a million rows never sits in memory whole.
// A small scanner finds where each element starts and ends (it follows
// strings, escapes and brackets, nothing more) and JSON.parse reads each
// element: the engine's parser checks every byte, this file checks the
// frame around the elements. The array is either the root, or one member of
// a root object whose other members are kept as the `header`.
import { DatasetError, MAX_RECORD_CHARS, tooLongRecord } from './datasetError';

export interface JsonElement {
  value: unknown;
  /** The line (1-based) the element starts on. */
  line: number;
  /** Its place in the array, from 0. */
  index: number;
}

export interface JsonArrayOptions {
  /** The root may be the array itself. */
  rootArray?: boolean;
  /** The root may be an object whose member of this name is the array. */
  arrayKey?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LF = 0x0a;

const isSpace = (c: number) => c === 0x20 || c === LF || c === 0x0d || c === 0x09;

const enum S {
  Root,
  /** In the root object, before a member's key (or its closing brace, if `first`). */
  Key,
  KeyString,
  Colon,
  BeforeValue,
  Value,
  ArrayStart,
  ArrayNext,
  Element,
  AfterArray,
  End,
}

/** A string's stops: its end, an escape, a line break (counted, though JSON forbids it there). */
const STRING_STOP = /["\\\n]/g;

/** JSON.parse's complaint without the position (the caller names the line) or the echoed text. */
export function jsonProblem(err: unknown): { what: string; position?: number } {
  const message = err instanceof Error ? err.message : String(err);
  const position = /at position (\d+)/.exec(message);
  const what = message.replace(/\s+(in JSON\s+)?at position \d+.*$/s, '').replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
  return position ? { what, position: Number(position[1]) } : { what };
}

export class JsonArrayParser {
  /** The root object's other members, once they have been read. */
  readonly header: Record<string, unknown> = {};
  private state = S.Root;
  private rootIsArray = false;
  private foundArray = false;
  private firstMember = true;
  private key = '';
  private line = 1;
  private index = 0;
  private sawText = false;
  // The value being captured: its text so far, where it starts, its nesting.
  private pieces: string[] = [];
  private chars = 0;
  private start = 0;
  private startLine = 1;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(
    private readonly file: string,
    private readonly options: JsonArrayOptions,
  ) {}

  private fail(line: number, problem: string): never {
    throw new DatasetError(this.file, line, problem);
  }

  private parse(raw: string, line: number): unknown {
    try {
      return JSON.parse(raw);
    } catch (err) {
      const { what, position } = jsonProblem(err);
      if (position === undefined) this.fail(line, `not valid JSON, in the value that starts on this line: ${what}`);
      let at = line;
      for (let i = raw.indexOf('\n'); i >= 0 && i < position; i = raw.indexOf('\n', i + 1)) at++;
      this.fail(at, `not valid JSON: ${what}`);
    }
  }

  private begin(text: string, i: number): void {
    this.pieces = [];
    this.chars = 0;
    this.start = i;
    this.startLine = this.line;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
  }

  private captured(text: string, end: number): string {
    const last = text.slice(this.start, end);
    if (this.pieces.length === 0) return last;
    this.pieces.push(last);
    return this.pieces.join('');
  }

  push(text: string): JsonElement[] {
    const out: JsonElement[] = [];
    const n = text.length;
    let i = 0;
    this.start = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      const capturing = this.state === S.Value || this.state === S.Element || this.state === S.KeyString;
      if (capturing && this.inString) {
        if (this.escaped) {
          this.escaped = false;
          if (c === LF) this.line++;
          i++;
          continue;
        }
        STRING_STOP.lastIndex = i;
        const stop = STRING_STOP.exec(text);
        if (!stop) break;
        i = stop.index;
        c = text.charCodeAt(i);
        if (c === LF) this.line++;
        else if (c === BACKSLASH) this.escaped = true;
        else {
          this.inString = false;
          if (this.state === S.KeyString) {
            this.key = this.parse(this.captured(text, i + 1), this.startLine) as string;
            if (this.key === this.options.arrayKey && this.foundArray) this.fail(this.line, `"${this.key}" is given twice`);
            this.state = S.Colon;
          }
        }
        i++;
        continue;
      }
      if (c === LF) this.line++;
      if (!isSpace(c)) this.sawText = true;
      switch (this.state) {
        case S.Root:
          if (isSpace(c)) break;
          if (c === LBRACKET && this.options.rootArray) {
            this.rootIsArray = true;
            this.foundArray = true;
            this.state = S.ArrayStart;
          } else if (c === LBRACE && this.options.arrayKey !== undefined) {
            this.state = S.Key;
          } else {
            this.fail(
              this.line,
              this.options.rootArray ? 'expected a JSON array ([ ... ])' : `expected a JSON object with "${this.options.arrayKey}"`,
            );
          }
          break;
        case S.Key:
          if (isSpace(c)) break;
          if (c === QUOTE) {
            this.begin(text, i);
            this.inString = true;
            this.state = S.KeyString;
          } else if (c === RBRACE && this.firstMember) {
            this.state = S.End;
          } else {
            this.fail(
              this.line,
              this.firstMember ? 'expected a member name in double quotes or }' : 'expected a member name in double quotes after ","',
            );
          }
          break;
        case S.Colon:
          if (isSpace(c)) break;
          if (c !== COLON) this.fail(this.line, `expected ":" after "${this.key}"`);
          this.state = S.BeforeValue;
          break;
        case S.BeforeValue:
          if (isSpace(c)) break;
          this.firstMember = false;
          if (this.key === this.options.arrayKey) {
            if (c !== LBRACKET) this.fail(this.line, `"${this.key}" must be an array ([ ... ])`);
            this.foundArray = true;
            this.state = S.ArrayStart;
          } else {
            this.begin(text, i);
            this.state = S.Value;
            continue;
          }
          break;
        case S.ArrayStart:
        case S.ArrayNext:
          if (isSpace(c)) break;
          if (c === RBRACKET) {
            if (this.state === S.ArrayNext) this.fail(this.line, 'a comma before the closing ]');
            this.state = S.AfterArray;
          } else if (c === COMMA) {
            this.fail(this.line, this.state === S.ArrayStart ? 'a comma before the first element' : 'an empty element (two commas)');
          } else {
            this.begin(text, i);
            this.state = S.Element;
            continue;
          }
          break;
        case S.AfterArray:
          if (isSpace(c)) break;
          if (this.rootIsArray) this.fail(this.line, 'unexpected text after the end of the JSON');
          if (c === COMMA) this.state = S.Key;
          else if (c === RBRACE) this.state = S.End;
          else this.fail(this.line, `expected "," or "}" after the "${this.options.arrayKey}" array`);
          break;
        case S.End:
          if (!isSpace(c)) this.fail(this.line, 'unexpected text after the end of the JSON');
          break;
        case S.Value:
        case S.Element:
          this.scan(text, i, c, out);
          break;
        case S.KeyString:
          break;
      }
      i++;
    }
    if (this.state === S.Value || this.state === S.Element || this.state === S.KeyString) {
      const rest = text.slice(this.start);
      this.pieces.push(rest);
      this.chars += rest.length;
      if (this.chars > MAX_RECORD_CHARS) throw tooLongRecord(this.file, this.startLine);
    }
    return out;
  }

  /** One character of a value being captured, outside its strings. */
  private scan(text: string, i: number, c: number, out: JsonElement[]): void {
    if (c === QUOTE) {
      this.inString = true;
      return;
    }
    if (c === LBRACE || c === LBRACKET) {
      this.depth++;
      return;
    }
    const closes = c === RBRACE || c === RBRACKET;
    if (!closes && c !== COMMA) return;
    if (this.depth > 0) {
      if (closes) this.depth--;
      return;
    }
    // A comma or a closing bracket outside any nesting: the value ends here.
    const value = this.parse(this.captured(text, i), this.startLine);
    if (this.state === S.Element) {
      if (c === RBRACE) this.fail(this.line, 'expected "," or "]" after an element');
      out.push({ value, line: this.startLine, index: this.index++ });
      this.state = c === COMMA ? S.ArrayNext : S.AfterArray;
    } else {
      if (c === RBRACKET) this.fail(this.line, 'expected "," or "}" after a member');
      this.header[this.key] = value;
      this.state = c === COMMA ? S.Key : S.End;
    }
  }

  /** Checks that the JSON was complete. */
  end(): JsonElement[] {
    if (!this.sawText) this.fail(1, 'the file is empty');
    if (this.state === S.AfterArray && this.rootIsArray) this.state = S.End;
    if (this.state !== S.End) this.fail(this.line, 'the JSON ends before it is closed');
    if (!this.foundArray) this.fail(1, `no "${this.options.arrayKey}" array in the object`);
    return [];
  }
}
