// Which rows a run sends. A share of the rows picked by seed: a row is in
// when a hash of (seed, row id) falls below the share, so the same seed and
// share pick the same rows however the file is read, a row's fate does not
// depend on the rows around it, and a larger share with the same seed keeps
// every row a smaller one picked. The count is about share x rows, not
// exact. And a resumed run skips the rows it has answered already.
import { hash } from 'node:crypto';
import { invalidField } from '../errors';
import { MAX_SEED } from '../random';

export interface SampleOptions {
  /** 0..1: the share of rows to keep; 1 (all) by default. */
  share?: number;
  /** 0..MAX_SEED; 0 by default. */
  seed?: number;
  /** Ids of rows already answered: they are left out. */
  done?: ReadonlySet<string>;
}

/** The row's place in the seed's order, uniform in [0, 1). */
export function sampleKey(seed: number, id: string): number {
  const digest = hash('sha256', `${seed}\u0000${id}`, 'buffer');
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Checks share and seed (ValidationError naming `sample` or `seed`, under `loc`). */
export function checkSampleOptions({ share = 1, seed = 0 }: SampleOptions, loc: (string | number)[] = ['body']): void {
  if (typeof share !== 'number' || !(share >= 0 && share <= 1)) throw invalidField([...loc, 'sample'], 'must be a number from 0 to 1');
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)
    throw invalidField([...loc, 'seed'], `must be a whole number from 0 to ${MAX_SEED}`);
}

/** Whether a row is sent: in the sample and not done. */
export function sampleFilter(options: SampleOptions = {}): (row: { id: string }) => boolean {
  checkSampleOptions(options);
  const { share = 1, seed = 0, done } = options;
  return ({ id }) => !done?.has(id) && (share >= 1 || sampleKey(seed, id) < share);
}

/** The rows a run sends, in file order. */
export async function* sampleRows<T extends { id: string }>(rows: AsyncIterable<T>, options: SampleOptions = {}): AsyncGenerator<T> {
  const keep = sampleFilter(options);
  for await (const row of rows) if (keep(row)) yield row;
}
