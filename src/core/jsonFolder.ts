// Reading folders of Moonshot JSON files (connectors-endpoints,
// prompt-templates): each `*.json` directly in the folder, in name order. A
// file or folder that cannot be used becomes a LoadProblem that the hosts
// show, never a failure of the whole load, nor of a later request.
import { promises as fs } from 'node:fs';
import { basename, join } from 'node:path';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './jsonDepth';

/** Something a registry could not load, and where it was. */
export interface LoadProblem {
  /** A file path (with `[index]` for an item of an array), a folder, or a settings name. */
  origin: string;
  message: string;
}

export interface JsonFile {
  /** The file name without `.json`: Moonshot's id for what it holds. */
  stem: string;
  path: string;
  value: unknown;
  modified: Date;
}

export interface ReadJsonFolderOptions {
  /** A folder that does not exist or cannot be read is no problem (one this process makes when it needs it). */
  missingIsEmpty?: boolean;
  /** Files not to read at all (an id an earlier folder already has). */
  skip?: (stem: string) => boolean;
}

/** One JSON file, parsed; a problem (unreadable, not JSON, nested too deep) is pushed and undefined returned. */
export async function readJsonFile(path: string, problems: LoadProblem[]): Promise<JsonFile | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      problems.push({ origin: path, message: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` });
      return undefined;
    }
    return { stem: basename(path, '.json'), path, value: JSON.parse(text), modified: stat.mtime };
  } catch (err) {
    problems.push({ origin: path, message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }
}

/** Every `*.json` file directly in `dir` that could be read and parsed, in name order. */
export async function readJsonFolder(dir: string, problems: LoadProblem[], options: ReadJsonFolderOptions = {}): Promise<JsonFile[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if (!options.missingIsEmpty) problems.push({ origin: dir, message: `cannot read the folder: ${(err as Error).message}` });
    return [];
  }
  const wanted = names.filter((n) => !options.skip?.(basename(n, '.json')));
  const files = await Promise.all(wanted.map((n) => readJsonFile(join(dir, n), problems)));
  return files.filter((f): f is JsonFile => f !== undefined);
}
