// CSV as RFC 4180 has it, read a chunk at a time: fields in double quotes may
// hold commas, line breaks and doubled quotes (""); records end with CRLF,
// LF or CR. A quote inside an unquoted field, text after a closing quote and
// a quote never closed are errors naming the line, since a reader that
// guessed would shift every later column silently. Lines with nothing on
// them are skipped. Also the writer's side: quoting one field.
import { DatasetError, MAX_RECORD_CHARS, tooLongRecord } from './datasetError';

export interface CsvRecord {
  fields: string[];
  /** The line (1-based) the record starts on. */
  line: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/** The characters that end a run of plain text inside and outside quotes. */
const QUOTED_STOP = /["\r\n]/g;
const UNQUOTED_STOP = /[,"\r\n]/g;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: doubled ("") or the closing one. */
  QuoteSeen,
}

export class CsvParser {
  private state = State.FieldStart;
  private fields: string[] = [];
  private field = '';
  /** Characters of the record so far, in finished fields. */
  private recordChars = 0;
  private quotedRecord = false;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private afterCr = false;

  constructor(private readonly file: string) {}

  private fail(line: number, problem: string): never {
    throw new DatasetError(this.file, line, problem);
  }

  private endField(): void {
    this.recordChars += this.field.length;
    if (this.recordChars > MAX_RECORD_CHARS) throw tooLongRecord(this.file, this.recordLine);
    this.fields.push(this.field);
    this.field = '';
  }

  private endRecord(out: CsvRecord[]): void {
    this.endField();
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.quotedRecord;
    if (!blank) out.push({ fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.recordChars = 0;
    this.quotedRecord = false;
    this.state = State.FieldStart;
  }

  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const n = text.length;
    // Start of the run of plain characters of the current field in this chunk.
    let run = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      const afterCr = this.afterCr;
      this.afterCr = c === CR;
      switch (this.state) {
        case State.Quoted:
          if (c === QUOTE) {
            this.field += text.slice(run, i);
            this.state = State.QuoteSeen;
          } else if (c === CR || (c === LF && !afterCr)) {
            this.line++;
          } else {
            // Skip to the next character that matters (none skipped is a CR, so afterCr stays false).
            QUOTED_STOP.lastIndex = i + 1;
            i = (QUOTED_STOP.exec(text)?.index ?? n) - 1;
          }
          continue;
        case State.QuoteSeen:
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            run = i + 1;
            continue;
          }
          break;
        case State.FieldStart:
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.quotedRecord = true;
            this.quoteLine = this.line;
            run = i + 1;
            continue;
          }
          if (c === LF && afterCr) {
            // The LF of a CRLF whose CR ended the record.
            run = i + 1;
            continue;
          }
          break;
        case State.Unquoted:
          break;
      }
      // Outside quotes: Unquoted, FieldStart, or just after a closing quote.
      if (c === COMMA) {
        if (this.state !== State.QuoteSeen) this.field += text.slice(run, i);
        this.endField();
        this.state = State.FieldStart;
        run = i + 1;
      } else if (c === CR || c === LF) {
        if (this.state !== State.QuoteSeen) this.field += text.slice(run, i);
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
        run = i + 1;
      } else if (this.state === State.QuoteSeen) {
        this.fail(
          this.line,
          `unexpected text after the closing quote of a field that opened on line ${this.quoteLine}: a quote inside a quoted field is ` +
            `written twice ("")`,
        );
      } else if (c === QUOTE) {
        this.fail(
          this.line,
          'a quote inside a field that does not start with one: put the whole field in quotes and write the quote twice ("")',
        );
      } else {
        this.state = State.Unquoted;
        UNQUOTED_STOP.lastIndex = i + 1;
        i = (UNQUOTED_STOP.exec(text)?.index ?? n) - 1;
      }
    }
    if (this.state === State.Quoted || this.state === State.Unquoted) {
      this.field += text.slice(run);
      if (this.recordChars + this.field.length > MAX_RECORD_CHARS) throw tooLongRecord(this.file, this.recordLine);
    }
    return out;
  }

  /** The last record, at the end of the text. */
  end(): CsvRecord[] {
    if (this.state === State.Quoted) this.fail(this.quoteLine, 'a quoted field is never closed: its opening quote is on this line');
    const out: CsvRecord[] = [];
    if (this.fields.length > 0 || this.field !== '' || this.quotedRecord) this.endRecord(out);
    return out;
  }
}

/** Every record of a CSV text (tests, small inputs). */
export function parseCsv(text: string, file = 'text'): CsvRecord[] {
  const parser = new CsvParser(file);
  return [...parser.push(text), ...parser.end()];
}

/** Characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

export interface CsvFieldOptions {
  /**
   * Put a ' before text a spreadsheet would run as a formula (=, +, -, @,
   * tab, CR first): model output is untrusted and a CSV is often opened in
   * one. On by default.
   */
  formulaGuard?: boolean;
}

/** One field as RFC 4180 writes it: quoted when it holds a comma, a quote, a line break, or spaces at either end. */
export function csvField(value: string, { formulaGuard = true }: CsvFieldOptions = {}): string {
  const text = formulaGuard && FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
