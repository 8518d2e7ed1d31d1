import assert from 'node:assert/strict';
import { CsvParser, csvField, parseCsv, type CsvRecord } from '../../src/core/datasets/csv';
import { DatasetError } from '../../src/core/datasets/datasetError';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

/** The records of `text` fed in pieces of `size` characters. */
function inPieces(text: string, size: number): CsvRecord[] {
  const parser = new CsvParser('pieces.csv');
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
  return [...out, ...parser.end()];
}

function failsAt(text: string, line: number, pattern: RegExp) {
  assert.throws(
    () => parseCsv(text, 'bad.csv'),
    (err: unknown) =>
      err instanceof DatasetError &&
      err.kind === 'invalid' &&
      err.line === line &&
      err.file === 'bad.csv' &&
      pattern.test(err.message) &&
      err.message.startsWith(`bad.csv, line ${line}: `),
  );
}

describe('CSV parser (RFC 4180)', () => {
  it('reads plain fields, a trailing empty field and a last record without a line break', () => {
    assert.deepEqual(fields('a,b,c\n1,2,\nx,,z'), [
      ['a', 'b', 'c'],
      ['1', '2', ''],
      ['x', '', 'z'],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    assert.deepEqual(fields('q,r\n"a, b","say ""hi"""\n"line 1\nline 2",""\n'), [
      ['q', 'r'],
      ['a, b', 'say "hi"'],
      ['line 1\nline 2', ''],
    ]);
  });

  it('takes CRLF, LF and CR as record ends, and keeps a CRLF inside quotes as it is', () => {
    assert.deepEqual(fields('a,b\r\n1,2\r\n"x\r\ny",3\r\n'), [
      ['a', 'b'],
      ['1', '2'],
      ['x\r\ny', '3'],
    ]);
    assert.deepEqual(fields('a\rb\rc'), [['a'], ['b'], ['c']]);
  });

  it('numbers each record by the line it starts on, counting the breaks inside quotes', () => {
    const records = parseCsv('h1,h2\r\n"two\r\nlines",x\r\n\r\nnext,"a\nb\nc"\nlast,1');
    assert.deepEqual(
      records.map((r) => r.line),
      [1, 2, 5, 8],
    );
  });

  it('skips empty lines but keeps a record that is one quoted empty field', () => {
    assert.deepEqual(fields('a\n\n\nb\n""\n\n'), [['a'], ['b'], ['']]);
  });

  it('keeps the spaces around unquoted fields', () => {
    assert.deepEqual(fields(' a , b \n'), [[' a ', ' b ']]);
  });

  it('gives the same records however the text is cut into chunks', () => {
    const text = 'id,"quoted, header"\r\n1,"a ""b"" c"\r\n2,"multi\r\nline\nfield"\r\n\r\n3,plain\r4,"""",\n5,last';
    const whole = parseCsv(text);
    assert.equal(whole.length, 6);
    for (let size = 1; size <= text.length; size++) assert.deepEqual(inPieces(text, size), whole, `chunks of ${size}`);
  });

  it('refuses a quote inside an unquoted field, naming the line', () => {
    failsAt('a,b\n1,x"y\n', 2, /a quote inside a field that does not start with one/);
  });

  it('refuses text after a closing quote, naming the line and where the quote opened', () => {
    failsAt('a,b\n"x\ny" z,1\n', 3, /after the closing quote of a field that opened on line 2/);
    failsAt('a\n"x" \n', 2, /after the closing quote/);
  });

  it('refuses a quoted field that is never closed, naming the line it opened on', () => {
    failsAt('a,b\n1,2\n3,"open\nand on\nand on', 3, /a quoted field is never closed/);
  });

  it('quotes a field for writing only when it must, and guards formulas', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(' padded'), '" padded"');
    assert.equal(csvField('=1+2'), "'=1+2");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('-3', { formulaGuard: false }), '-3');
    assert.equal(csvField(''), '');
  });

  it('reads back what it writes', () => {
    const values = ['a', 'b,c', '"q"', 'x\r\ny', '', ' s ', 'z\n'];
    const line = values.map((v) => csvField(v, { formulaGuard: false })).join(',');
    assert.deepEqual(fields(`${line}\r\n`), [values]);
  });
});
