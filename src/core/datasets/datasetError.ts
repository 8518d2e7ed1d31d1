// A dataset file that cannot be used: always the file, the line (1-based)
// and what is wrong, so that a user can open the file at that line. Kind
// 'invalid' like any other bad input; `file` and `line` are there for a UI
// that wants to jump to the place.
import { CoreError } from '../errors';

export class DatasetError extends CoreError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super('invalid', `${file}, line ${line}: ${problem}`, {
      issues: [{ loc: ['dataset', file, 'line', line], msg: problem, type: 'value_error' }],
    });
    this.name = 'DatasetError';
  }
}

/** The longest record (a line, a CSV record, a JSON element) a reader accepts: far above any prompt that can be sent. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

export const tooLongRecord = (file: string, line: number): DatasetError =>
  new DatasetError(file, line, `the record starting here is longer than ${MAX_RECORD_CHARS.toLocaleString('en-US')} characters`);
