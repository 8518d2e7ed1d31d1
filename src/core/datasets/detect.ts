// Which reader a file needs: its extension first, then its first record
// (the CSV header's columns, whether the first JSON element has `vars`).
// Only the start of the file is read.
import { extname } from 'node:path';
import { CoreError } from '../errors';
import { CsvParser } from './csv';
import { csvFormatOf } from './csvRows';
import { DatasetError } from './datasetError';
import { CHUNK_BYTES, textChunks } from './fileChunks';
import { JsonArrayParser, jsonProblem } from './jsonArrayStream';
import { LineSplitter } from './lines';
import { isPromptfooTest } from './objectRows';
import type { DatasetFormat } from './types';

/** The extensions a dataset file may have (others are not datasets, e.g. a README). */
export const DATASET_EXTENSIONS = ['.json', '.jsonl', '.ndjson', '.csv', '.yaml', '.yml', '.txt'] as const;

export const isDatasetFile = (name: string): boolean => (DATASET_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());

/** A JSON line's value; a DatasetError naming the line when it is not JSON. */
export function parseJsonLine(file: string, text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DatasetError(file, line, `not valid JSON: ${jsonProblem(err).what}`);
  }
}

async function csvFormat(file: string): Promise<DatasetFormat> {
  const parser = new CsvParser(file);
  for await (const chunk of textChunks(file)) {
    const [header] = parser.push(chunk);
    if (header) return csvFormatOf(header.fields);
  }
  const [header] = parser.end();
  if (!header) throw new DatasetError(file, 1, 'the file is empty');
  return csvFormatOf(header.fields);
}

async function jsonlFormat(file: string): Promise<DatasetFormat> {
  const lines = new LineSplitter(file);
  const first = async () => {
    for await (const chunk of textChunks(file)) {
      const line = lines.push(chunk).find((l) => l.text.trim() !== '');
      if (line) return line;
    }
    return lines.end().find((l) => l.text.trim() !== '');
  };
  const line = await first();
  if (!line) throw new DatasetError(file, 1, 'the file is empty');
  return isPromptfooTest(parseJsonLine(file, line.text, line.line)) ? 'promptfoo-jsonl' : 'jsonl';
}

async function jsonFormat(file: string): Promise<DatasetFormat> {
  let head = '';
  for await (const chunk of textChunks(file)) {
    head += chunk;
    if (head.trim() !== '' || head.length >= CHUNK_BYTES) break;
  }
  const start = head.search(/\S/);
  if (start < 0) throw new DatasetError(file, 1, 'the file is empty');
  const line = 1 + (head.slice(0, start).match(/\n/g)?.length ?? 0);
  if (head[start] === '{') {
    // JSON Lines in a .json file: the first line is a whole object by itself (and not a one-line Moonshot file).
    const firstLine = head.slice(start).split('\n', 1)[0] as string;
    let value: unknown;
    try {
      value = JSON.parse(firstLine);
    } catch {
      return 'moonshot-json';
    }
    if (typeof value === 'object' && value !== null && !('examples' in value) && head.slice(start + firstLine.length).trim() !== '')
      return isPromptfooTest(value) ? 'promptfoo-jsonl' : 'jsonl';
    return 'moonshot-json';
  }
  if (head[start] !== '[')
    throw new DatasetError(file, line, 'not a JSON dataset: expected a Moonshot dataset ({"examples": [...]}) or a list ([...])');
  const parser = new JsonArrayParser(file, { rootArray: true });
  for await (const chunk of textChunks(file)) {
    const [element] = parser.push(chunk);
    if (element) return isPromptfooTest(element.value) ? 'promptfoo-json' : 'json';
  }
  const [element] = parser.end();
  return element && isPromptfooTest(element.value) ? 'promptfoo-json' : 'json';
}

/** The format of a dataset file; DatasetError for a file that is none, CoreError 'unsupported' for an extension no reader takes. */
export async function detectFormat(file: string): Promise<DatasetFormat> {
  const ext = extname(file).toLowerCase();
  switch (ext) {
    case '.csv':
      return csvFormat(file);
    case '.jsonl':
    case '.ndjson':
      return jsonlFormat(file);
    case '.json':
      return jsonFormat(file);
    case '.yaml':
    case '.yml':
      return 'promptfoo-yaml';
    case '.txt':
      return 'text';
    default:
      throw new CoreError(
        'unsupported',
        `${file}: no dataset reader for "${ext || 'no extension'}" files (known: ${DATASET_EXTENSIONS.join(', ')})`,
      );
  }
}
