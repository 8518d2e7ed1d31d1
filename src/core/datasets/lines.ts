// Text cut into lines with their numbers (1-based), chunk by chunk: "\n" and
// "\r\n" both end a line; a last line without one still counts.
import { MAX_RECORD_CHARS, tooLongRecord } from './datasetError';

export interface TextLine {
  text: string;
  line: number;
}

export class LineSplitter {
  private pending = '';
  private line = 1;

  constructor(private readonly file: string) {}

  push(chunk: string): TextLine[] {
    const out: TextLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      let text = chunk.slice(start, nl);
      if (this.pending) {
        text = this.pending + text;
        this.pending = '';
      }
      out.push({ text: text.endsWith('\r') ? text.slice(0, -1) : text, line: this.line++ });
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.pending += chunk.slice(start);
      if (this.pending.length > MAX_RECORD_CHARS) throw tooLongRecord(this.file, this.line);
    }
    return out;
  }

  end(): TextLine[] {
    const text = this.pending;
    this.pending = '';
    return text ? [{ text: text.endsWith('\r') ? text.slice(0, -1) : text, line: this.line }] : [];
  }
}
