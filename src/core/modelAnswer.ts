// Reading structure out of what a model wrote. Attacker and judge models are
// asked for JSON or a fixed format, and answer with fences, a sentence
// before and after, single quotes, trailing commas or Python's True/None.
// These helpers find the intended value and never evaluate anything: the
// answer is untrusted text.

/** The answer without reasoning blocks (`<think>...</think>`) that some models print first. */
export function withoutReasoning(text: string): string {
  return text.replace(/<(think|thinking|reasoning)>[\s\S]*?<\/\1>/gi, '').trim();
}

/** The contents of each fenced code block (``` or ~~~), in order. */
export function fencedBlocks(text: string): string[] {
  const blocks: string[] = [];
  for (const m of text.matchAll(/(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n?\1/g)) blocks.push(m[2] ?? '');
  return blocks;
}

class Lenient {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(): never {
    throw new SyntaxError(`not JSON at ${this.pos}`);
  }

  space(): void {
    for (;;) {
      const rest = this.text.slice(this.pos, this.pos + 2);
      if (/^\s/.test(rest)) this.pos++;
      else if (rest === '//') this.pos = this.lineEnd();
      else if (rest === '/*') {
        const end = this.text.indexOf('*/', this.pos + 2);
        this.pos = end < 0 ? this.text.length : end + 2;
      } else return;
    }
  }

  private lineEnd(): number {
    const end = this.text.indexOf('\n', this.pos);
    return end < 0 ? this.text.length : end;
  }

  value(): unknown {
    this.space();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"' || ch === "'") return this.string();
    const literal = /^(?:-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|true|false|null|True|False|None)/.exec(this.text.slice(this.pos));
    if (!literal) this.fail();
    this.pos += literal[0].length;
    switch (literal[0]) {
      case 'true':
      case 'True':
        return true;
      case 'false':
      case 'False':
        return false;
      case 'null':
      case 'None':
        return null;
      default:
        return Number(literal[0]);
    }
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    for (;;) {
      this.space();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return out;
      }
      const key = this.key();
      this.space();
      if (this.text[this.pos] !== ':') this.fail();
      this.pos++;
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail();
    }
  }

  private key(): string {
    const ch = this.text[this.pos];
    if (ch === '"' || ch === "'") return this.string();
    const bare = /^[A-Za-z_$][\w$-]*/.exec(this.text.slice(this.pos));
    if (!bare) this.fail();
    this.pos += bare[0].length;
    return bare[0];
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    for (;;) {
      this.space();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return out;
      }
      out.push(this.value());
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== ']') this.fail();
    }
  }

  private string(): string {
    const quote = this.text[this.pos];
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++] as string;
      if (ch === quote) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++];
      if (esc === 'u') {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail();
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 4;
      } else {
        out += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[esc ?? ''] ?? esc ?? '';
      }
    }
    return this.fail();
  }
}

/**
 * Parses one JSON value that starts at `start`, leniently: single-quoted
 * strings, unquoted keys, trailing commas, comments, Python's True / False
 * / None. Returns the value and where it ended, or undefined.
 */
export function parseLenientJsonAt(text: string, start = 0): { value: unknown; end: number } | undefined {
  const parser = new Lenient(text);
  parser.pos = start;
  try {
    const value = parser.value();
    return { value, end: parser.pos };
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Attempts per answer, so that a long answer full of brackets stays cheap. */
const MAX_STARTS = 200;

/**
 * The first JSON object (`{`) or array (`[`) in a model's answer that
 * `accept` takes: inside a fence first, then anywhere in the text. Values
 * that are parsed but not accepted (`[1]` in "[1] first item") are skipped.
 */
export function findJson(text: string, open: '{' | '[', accept: (value: unknown) => boolean = () => true): unknown {
  const answer = withoutReasoning(text);
  let starts = 0;
  for (const place of [...fencedBlocks(answer), answer]) {
    for (let i = place.indexOf(open); i >= 0 && starts < MAX_STARTS; i = place.indexOf(open, i + 1), starts++) {
      const found = parseLenientJsonAt(place, i);
      if (found && accept(found.value)) return found.value;
    }
  }
  return undefined;
}

/** A plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
