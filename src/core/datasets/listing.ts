// The datasets of the configured folders, as the prompt templates are: a
// dataset's name is its file stem, the first folder that has a name wins,
// files directly in each folder only. A file that cannot be used is listed
// with its problem rather than failing the listing, and a folder that
// cannot be read is a problem of the listing.
import { promises as fs } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { LoadProblem } from '../jsonFolder';
import { isCoreError, NotFoundError } from '../errors';
import type { DatasetEntry } from '../schemas';
import { Dataset } from './dataset';
import { isDatasetFile } from './detect';

export interface ListedDataset extends DatasetEntry {
  path: string;
}

export interface DatasetListing {
  datasets: ListedDataset[];
  /** Folders that cannot be read. */
  problems: LoadProblem[];
}

export interface ListDatasetsOptions {
  /**
   * Files up to this many bytes are read whole to count their rows (and find a bad row); larger ones
   * only have their start read. 4 MiB by default.
   */
  countRowsUpTo?: number;
}

export const COUNT_ROWS_UP_TO = 4 * 1024 * 1024;

async function filesOf(folders: readonly string[], problems: LoadProblem[]): Promise<{ name: string; path: string }[]> {
  const files: { name: string; path: string }[] = [];
  for (const dir of folders) {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ origin: dir, message: `cannot read the folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      continue;
    }
    for (const entry of entries.filter((e) => !e.isDirectory() && isDatasetFile(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      files.push({ name: basename(entry.name, extname(entry.name)), path: join(dir, entry.name) });
    }
  }
  return files;
}

async function describe(path: string, name: string, countRowsUpTo: number): Promise<ListedDataset> {
  try {
    const dataset = await Dataset.open(path);
    const { size } = await fs.stat(path);
    if (size > countRowsUpTo) return { name, format: dataset.format, path };
    const { rows } = await dataset.validate();
    return { name, format: dataset.format, rows, path };
  } catch (err) {
    if (!isCoreError(err)) throw err;
    let format: Dataset['format'] | null = null;
    try {
      format = (await Dataset.open(path)).format;
    } catch (again) {
      if (!isCoreError(again)) throw again;
    }
    return { name, format, path, problem: err.message };
  }
}

/** Every dataset file of the folders, by name. */
export async function listDatasets(
  folders: readonly string[],
  { countRowsUpTo = COUNT_ROWS_UP_TO }: ListDatasetsOptions = {},
): Promise<DatasetListing> {
  const problems: LoadProblem[] = [];
  const owner = new Map<string, string>();
  const datasets: ListedDataset[] = [];
  for (const { name, path } of await filesOf(folders, problems)) {
    const first = owner.get(name);
    if (first !== undefined) {
      datasets.push({ name, format: null, path, problem: `not used: ${first} has the same name` });
      continue;
    }
    owner.set(name, path);
    datasets.push(await describe(path, name, countRowsUpTo));
  }
  return { datasets, problems };
}

/** The file of the dataset called `name` (the first folder that has it); NotFoundError naming the known ones. */
export async function findDataset(folders: readonly string[], name: string): Promise<string> {
  const files = await filesOf(folders, []);
  const found = files.find((f) => f.name === name);
  if (!found) {
    const known = [...new Set(files.map((f) => f.name))];
    throw new NotFoundError(
      `Dataset "${name}" not found in the dataset folders${known.length ? `; known: ${known.join(', ')}` : ' (there are none)'}`,
    );
  }
  return found.path;
}
