// promptfoo's tests in YAML: a list of tests, or a mapping with a `tests`
// list. YAML cannot be cut into rows before it is parsed, so the file is
// read whole, up to MAX_YAML_BYTES; a larger test list belongs in JSONL.
// The YAML parser is loaded when a YAML file is first read (the shipped
// bundles take it from out/chunks/yaml.js, see esbuild.mjs).
import { promises as fs } from 'node:fs';
import { CoreError } from '../errors';
import { DatasetError } from './datasetError';
import { unreadable } from './fileChunks';

export const MAX_YAML_BYTES = 32 * 1024 * 1024;

export interface YamlTest {
  value: unknown;
  line: number;
  index: number;
}

/** The tests of a YAML file with the line each starts on, and the file's bytes (for its hash). */
export async function readYamlTests(file: string): Promise<{ tests: YamlTest[]; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    const { size } = await fs.stat(file);
    if (size > MAX_YAML_BYTES) {
      throw new CoreError(
        'too-large',
        `${file} is ${size.toLocaleString('en-US')} bytes; a YAML dataset is read whole, so it may be at most ` +
          `${MAX_YAML_BYTES.toLocaleString('en-US')}: use JSONL for more`,
      );
    }
    bytes = await fs.readFile(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DatasetError(file, 1, 'the file is not UTF-8 text (save it as UTF-8)');
  }
  const { isMap, isSeq, LineCounter, parseDocument } = await import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const [problem] = doc.errors;
  if (problem) throw new DatasetError(file, lineCounter.linePos(problem.pos[0]).line, `not valid YAML: ${problem.message.split('\n')[0]}`);
  if (doc.contents === null) throw new DatasetError(file, 1, 'the file is empty');
  const list = isMap(doc.contents) ? doc.contents.get('tests', true) : doc.contents;
  if (!isSeq(list))
    throw new DatasetError(file, lineCounter.linePos(doc.contents.range[0]).line, 'expected a list of tests (or a "tests" list)');
  const values = list.toJS(doc) as unknown[];
  const tests = list.items.map((item, index) => {
    const offset = (item as { range?: [number, number, number] }).range?.[0] ?? list.range?.[0] ?? 0;
    return { value: values[index], line: lineCounter.linePos(offset).line, index };
  });
  return { tests, bytes };
}
