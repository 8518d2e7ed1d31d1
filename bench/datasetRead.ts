// Reading a generated 100 MB dataset in each streamed format: rows per
// second, and how far resident memory grows while the rows go by (target:
// under 50 MB, whatever the file's size, since the readers hold one chunk).
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dataset } from '../src/core/datasets';

export interface DatasetReadFigure {
  format: string;
  megabytes: number;
  rows: number;
  /** Rows per second of a pass over the rows. */
  rowsPerSecond: number;
  /** Rows per second of a check of the whole file (rows, plus its SHA-256). */
  checkRowsPerSecond: number;
  /** Highest resident memory while reading, less the figure before, in MiB. */
  rssGrowthMiB: number;
}

const WORDS =
  'how could someone explain the safest way to answer a question about privacy, health, elections or money without "harm"'.split(' ');

/** A prompt of about 200 characters, different for every i. */
function prompt(i: number): string {
  const words: string[] = [];
  for (let k = 0; words.join(' ').length < 190; k++) words.push(WORDS[(i * 7 + k * 13) % WORDS.length] as string);
  return `${i}: ${words.join(' ')}?`;
}

interface Shape {
  file: string;
  head: string;
  row: (i: number) => string;
  tail: string;
}

const SHAPES: Shape[] = [
  {
    file: 'big.jsonl',
    head: '',
    row: (i) => `${JSON.stringify({ input: prompt(i), target: 'refuse', category: `c${i % 12}` })}\n`,
    tail: '',
  },
  { file: 'big.csv', head: 'input,target\r\n', row: (i) => `"${prompt(i).replace(/"/g, '""')}",refuse\r\n`, tail: '' },
  {
    file: 'big.json',
    head: '{\n  "name": "big",\n  "description": "generated",\n  "license": "none",\n  "reference": "bench",\n  "examples": [\n',
    row: (i) => `${i ? ',\n' : ''}    {\n      "input": ${JSON.stringify(prompt(i))},\n      "target": "refuse"\n    }`,
    tail: '\n  ]\n}\n',
  },
];

/** Writes the file a batch at a time (the bench must not hold 100 MB either). */
function generate(path: string, shape: Shape, bytes: number): void {
  const fd = openSync(path, 'w');
  let written = writeSync(fd, shape.head);
  for (let i = 0; written < bytes; ) {
    const batch: string[] = [];
    for (let k = 0; k < 2000; k++) batch.push(shape.row(i++));
    written += writeSync(fd, batch.join(''));
  }
  writeSync(fd, shape.tail);
  closeSync(fd);
}

/** Reads one generated file in this process: a pass over the rows, then a check (hash and count). */
async function measureOne(shape: Shape, bytes: number): Promise<DatasetReadFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'moonshot-bench-datasets-'));
  try {
    const path = join(dir, shape.file);
    generate(path, shape, bytes);
    const dataset = await Dataset.open(path);
    const before = process.memoryUsage().rss;
    let peak = before;
    let rows = 0;
    const started = performance.now();
    const stream = dataset.rows();
    for await (const _row of stream) {
      if (++rows % 5000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const readSeconds = (performance.now() - started) / 1000;
    const checkStarted = performance.now();
    await dataset.validate();
    const checkSeconds = (performance.now() - checkStarted) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      format: dataset.format,
      megabytes: stream.bytesRead / 2 ** 20,
      rows,
      rowsPerSecond: rows / readSeconds,
      checkRowsPerSecond: rows / checkSeconds,
      rssGrowthMiB: (peak - before) / 2 ** 20,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each format in a process of its own, so that one's garbage is not counted in the next one's memory. */
export function measureDatasetReads(bytes = 100 * 2 ** 20): DatasetReadFigure[] {
  const built = join(__dirname, 'datasetRead.js');
  const script = existsSync(built) ? built : join(__dirname, 'datasetRead.ts');
  return SHAPES.map(
    (shape) =>
      JSON.parse(
        execFileSync(process.execPath, [...process.execArgv, script, shape.file, String(bytes)], { encoding: 'utf8' }),
      ) as DatasetReadFigure,
  );
}

if (require.main === module) {
  const shape = SHAPES.find((s) => s.file === process.argv[2]);
  if (shape) void measureOne(shape, Number(process.argv[3])).then((figure) => process.stdout.write(JSON.stringify(figure)));
  else console.table(measureDatasetReads());
}
