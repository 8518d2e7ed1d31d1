// A dataset's identity for a run's manifest: the SHA-256 of its bytes
// (streamed) and, with a check of the whole file, its row count.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Dataset, type DatasetCheck, type OpenDatasetOptions } from './dataset';
import { unreadable } from './fileChunks';

/** SHA-256 of the file's bytes, hex, read a chunk at a time. */
export async function hashFile(file: string): Promise<string> {
  const sha = createHash('sha256');
  try {
    for await (const bytes of createReadStream(file)) sha.update(bytes as Buffer);
  } catch (err) {
    throw unreadable(file, err);
  }
  return sha.digest('hex');
}

/** Format, row count, size and hash in one pass; rejects like Dataset.validate at the first bad row. */
export async function datasetIdentity(file: string, options: OpenDatasetOptions = {}): Promise<DatasetCheck> {
  return (await Dataset.open(file, options)).validate();
}
