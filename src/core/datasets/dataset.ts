// A dataset file, opened: its format, a check of the whole file (which also
// gives its identity for a run's manifest), and its rows as a stream. The
// check and the rows read the file the same way, a chunk at a time; a run
// checks first so that a bad row 90,000 stops it before row 1 is sent.
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { CsvParser } from './csv';
import { csvRowMaker, type CsvFormat, type CsvRowMaker } from './csvRows';
import { DatasetError } from './datasetError';
import { detectFormat, parseJsonLine } from './detect';
import { textChunks, type ChunkOptions, type ReadProgress } from './fileChunks';
import { JsonArrayParser, type JsonElement } from './jsonArrayStream';
import { LineSplitter, type TextLine } from './lines';
import { objectRowMaker, type ObjectFormat } from './objectRows';
import { RowIds } from './rowIds';
import type { RowContext } from './rowParts';
import { compileRowTemplate, missingVariable, type RowTemplate } from './rowTemplate';
import type { DatasetFormat, DatasetRow } from './types';
import { readYamlTests } from './yamlTests';

export interface OpenDatasetOptions {
  /** The reader to use; detected from the file when absent. */
  format?: DatasetFormat;
  /** Makes each row's prompt of its fields, e.g. "{{ ContextString }}\n\n{{ Behavior }}". */
  template?: string;
  /** Bytes per read. */
  chunkBytes?: number;
}

/** A Moonshot dataset's own description of itself (its top-level fields). */
export interface DatasetInfo {
  name?: string;
  description?: string;
  license?: string;
  reference?: string;
}

/** What a check of the whole file found: enough to name the dataset in a run's manifest. */
export interface DatasetCheck {
  file: string;
  format: DatasetFormat;
  rows: number;
  bytes: number;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  info: DatasetInfo;
}

/** The rows of one pass over the file, with how far it has read (for progress). */
export interface RowStream extends AsyncIterable<DatasetRow> {
  readonly bytesRead: number;
}

const CSV_FORMATS: ReadonlySet<DatasetFormat> = new Set(['moonshot-csv', 'promptfoo-csv', 'harmbench-csv', 'advbench-csv']);

export class Dataset {
  private constructor(
    readonly file: string,
    readonly format: DatasetFormat,
    private readonly template: RowTemplate | undefined,
    private readonly chunkBytes: number | undefined,
  ) {}

  /** The file's stem: what a run and the listing call it. */
  get name(): string {
    return basename(this.file, extname(this.file));
  }

  /**
   * Opens a dataset file: detects its format (from its start only) and
   * checks the template. Rejects with NotFoundError for a missing file,
   * DatasetError ('invalid') for a start that no reader takes, CoreError
   * 'unsupported' for an unknown extension or Jinja the template cannot do.
   */
  static async open(file: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
    const template = options.template === undefined ? undefined : compileRowTemplate(options.template);
    const format = options.format ?? (await detectFormat(file));
    return new Dataset(file, format, template, options.chunkBytes);
  }

  /** A fresh pass over the rows. Throws DatasetError at the first bad record, naming its line. */
  rows(): RowStream {
    const progress: ReadProgress = { bytesRead: 0 };
    const pass = () => readRows(this.file, this.format, this.template, progress, { chunkBytes: this.chunkBytes });
    return {
      get bytesRead() {
        return progress.bytesRead;
      },
      [Symbol.asyncIterator]: () => pass()[Symbol.asyncIterator](),
    };
  }

  /** Reads the whole file once, as a run would: the first problem rejects (DatasetError); else its row count and hash. */
  async validate(): Promise<DatasetCheck> {
    const sha = createHash('sha256');
    const progress: ReadProgress = { bytesRead: 0 };
    const info: DatasetInfo = {};
    let rows = 0;
    for await (const _row of readRows(
      this.file,
      this.format,
      this.template,
      progress,
      { chunkBytes: this.chunkBytes, onBytes: (b) => sha.update(b) },
      info,
    ))
      rows++;
    return { file: this.file, format: this.format, rows, bytes: progress.bytesRead, sha256: sha.digest('hex'), info };
  }
}

/** Every row of the file, in order. `info` receives a Moonshot file's own fields once they have been read. */
async function* readRows(
  file: string,
  format: DatasetFormat,
  template: RowTemplate | undefined,
  progress: ReadProgress,
  options: ChunkOptions,
  info?: DatasetInfo,
): AsyncGenerator<DatasetRow> {
  const context: RowContext = { file, template, ids: new RowIds() };
  const chunks = () => textChunks(file, progress, options);
  if (CSV_FORMATS.has(format)) yield* csvRows(chunks(), format as CsvFormat, context);
  else if (format === 'text') yield* textRows(chunks(), context);
  else if (format === 'jsonl' || format === 'promptfoo-jsonl') yield* jsonlRows(chunks(), format, context);
  else if (format === 'promptfoo-yaml') yield* yamlRows(file, progress, options, context);
  else yield* jsonRows(chunks(), format as ObjectFormat, context, info);
}

async function* csvRows(chunks: AsyncIterable<string>, format: CsvFormat, context: RowContext): AsyncGenerator<DatasetRow> {
  const parser = new CsvParser(context.file);
  let maker: CsvRowMaker | undefined;
  const batches = async function* () {
    for await (const chunk of chunks) yield parser.push(chunk);
    yield parser.end();
  };
  for await (const records of batches()) {
    for (const record of records) {
      if (maker) yield maker(record);
      else maker = csvRowMaker(format, record, context);
    }
  }
  if (!maker) throw new DatasetError(context.file, 1, 'the file is empty');
}

/** The file's lines that hold something, chunk by chunk. */
async function* filledLines(chunks: AsyncIterable<string>, file: string): AsyncGenerator<TextLine[]> {
  const splitter = new LineSplitter(file);
  for await (const chunk of chunks) yield splitter.push(chunk).filter((l) => l.text.trim() !== '');
  yield splitter.end().filter((l) => l.text.trim() !== '');
}

async function* textRows(chunks: AsyncIterable<string>, { file, template, ids }: RowContext): AsyncGenerator<DatasetRow> {
  let any = false;
  for await (const lines of filledLines(chunks, file)) {
    for (const { text, line } of lines) {
      any = true;
      if (text.includes('\0')) throw new DatasetError(file, line, 'a NUL character: this is not a text file');
      const fields = { input: text };
      const missing = template?.missing(fields);
      if (missing !== undefined) throw new DatasetError(file, line, missingVariable(missing, fields));
      yield { id: ids.fromContent(text), input: template ? template.render(fields) : text, metadata: {}, line };
    }
  }
  if (!any) throw new DatasetError(file, 1, 'the file is empty');
}

async function* jsonlRows(
  chunks: AsyncIterable<string>,
  format: 'jsonl' | 'promptfoo-jsonl',
  context: RowContext,
): AsyncGenerator<DatasetRow> {
  const make = objectRowMaker(format, context);
  let any = false;
  for await (const lines of filledLines(chunks, context.file)) {
    for (const { text, line } of lines) {
      any = true;
      yield make(parseJsonLine(context.file, text, line), line, '');
    }
  }
  if (!any) throw new DatasetError(context.file, 1, 'the file is empty');
}

async function* jsonRows(
  chunks: AsyncIterable<string>,
  format: ObjectFormat,
  context: RowContext,
  info?: DatasetInfo,
): AsyncGenerator<DatasetRow> {
  const moonshot = format === 'moonshot-json';
  const parser = new JsonArrayParser(context.file, moonshot ? { arrayKey: 'examples' } : { rootArray: true });
  const make = objectRowMaker(format, context);
  const batches = async function* (): AsyncGenerator<JsonElement[]> {
    for await (const chunk of chunks) yield parser.push(chunk);
    yield parser.end();
  };
  for await (const elements of batches()) {
    for (const { value, line, index } of elements) yield make(value, line, moonshot ? `examples[${index}]` : `[${index}]`);
  }
  if (info) {
    for (const key of ['name', 'description', 'license', 'reference'] as const) {
      const value = parser.header[key];
      if (typeof value === 'string') info[key] = value;
    }
  }
}

async function* yamlRows(file: string, progress: ReadProgress, options: ChunkOptions, context: RowContext): AsyncGenerator<DatasetRow> {
  const { tests, bytes } = await readYamlTests(file);
  progress.bytesRead = bytes.length;
  options.onBytes?.(bytes);
  const make = objectRowMaker('promptfoo-yaml', context);
  for (const { value, line, index } of tests) yield make(value, line, `test ${index + 1}`);
}
