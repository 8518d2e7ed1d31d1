import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSampleOptions, Dataset, sampleFilter, sampleKey, sampleRows } from '../../src/core/datasets';
import { isCoreError } from '../../src/core/errors';
import { useTempDir } from '../support/tempDir';

const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: `row-${i}` }));
const ids = (list: { id: string }[]) => list.map((r) => r.id);
const pick = (share: number, seed: number, list = rows) => list.filter(sampleFilter({ share, seed }));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

describe('dataset sampling', () => {
  const dir = useTempDir();

  it('picks the same rows for the same seed and share, and other rows for another seed', () => {
    assert.deepEqual(ids(pick(0.1, 7)), ids(pick(0.1, 7)));
    const other = new Set(ids(pick(0.1, 8)));
    const overlap = ids(pick(0.1, 7)).filter((id) => other.has(id)).length;
    // Independent draws of 10% overlap on about 1% of the rows.
    assert.ok(overlap < 200, `${overlap} rows in both samples`);
  });

  it('keeps about the share asked for', () => {
    for (const share of [0.01, 0.1, 0.5, 0.9]) {
      const n = pick(share, 3).length;
      // Binomial(10,000, share): well inside five standard deviations.
      const sd = Math.sqrt(rows.length * share * (1 - share));
      assert.ok(Math.abs(n - share * rows.length) < 5 * sd, `share ${share}: ${n} rows`);
    }
    assert.equal(pick(0, 3).length, 0);
    assert.equal(pick(1, 3).length, rows.length);
  });

  it('decides each row by its id alone: the order and company of the rows change nothing', () => {
    const reversed = [...rows].reverse();
    assert.deepEqual(ids(pick(0.2, 11, reversed)).sort(), ids(pick(0.2, 11)).sort());
    const half = rows.slice(0, 5000);
    assert.deepEqual(ids(pick(0.2, 11, half)), ids(pick(0.2, 11)).filter((id) => Number(id.slice(4)) < 5000));
  });

  it('keeps every row of a smaller share in a larger one with the same seed', () => {
    const larger = new Set(ids(pick(0.3, 5)));
    for (const id of ids(pick(0.1, 5))) assert.ok(larger.has(id), id);
  });

  it('gives keys in [0, 1) that are fixed for a seed and id, on every machine', () => {
    assert.equal(sampleKey(1, 'a'), sampleKey(1, 'a'));
    assert.notEqual(sampleKey(1, 'a'), sampleKey(2, 'a'));
    for (const { id } of rows.slice(0, 100)) {
      const k = sampleKey(0, id);
      assert.ok(k >= 0 && k < 1);
    }
    // Pinned, so that a change of the hash (which would change every run's sample) is noticed.
    assert.equal(sampleKey(0, 'row-0').toFixed(6), '0.190462');
    assert.equal(sampleKey(42, 'abc').toFixed(6), '0.816545');
    assert.deepEqual(ids(pick(0.001, 0)), [
      'row-83',
      'row-407',
      'row-4271',
      'row-5609',
      'row-5635',
      'row-5815',
      'row-6365',
      'row-6614',
      'row-7868',
      'row-8091',
      'row-9384',
    ]);
  });

  it('leaves out the rows already answered, in and out of a sample', async () => {
    const done = new Set(['row-1', 'row-3']);
    assert.deepEqual(ids(rows.slice(0, 5).filter(sampleFilter({ done }))), ['row-0', 'row-2', 'row-4']);
    const sampled = pick(0.5, 9, rows.slice(0, 100));
    const rest = rows.slice(0, 100).filter(sampleFilter({ share: 0.5, seed: 9, done: new Set(ids(sampled.slice(0, 10))) }));
    assert.deepEqual(ids(rest), ids(sampled.slice(10)));
  });

  it('samples a dataset file the same way on every pass, streamed', async () => {
    const path = join(dir(), 'prompts.txt');
    writeFileSync(path, Array.from({ length: 500 }, (_, i) => `prompt ${i}`).join('\n'));
    const dataset = await Dataset.open(path, { chunkBytes: 64 });
    const first = await collect(sampleRows(dataset.rows(), { share: 0.25, seed: 42 }));
    const second = await collect(sampleRows((await Dataset.open(path)).rows(), { share: 0.25, seed: 42 }));
    assert.deepEqual(first, second);
    assert.ok(first.length > 60 && first.length < 190, `${first.length} rows`);
  });

  it('refuses a share outside 0..1 and a seed that is not a whole number in range, naming the field', () => {
    for (const share of [-0.1, 1.5, Number.NaN]) {
      assert.throws(
        () => checkSampleOptions({ share }),
        (err: unknown) => isCoreError(err, 'invalid') && err.issues[0]?.loc.join('.') === 'body.sample',
      );
    }
    for (const seed of [-1, 1.5, 2 ** 32]) {
      assert.throws(
        () => sampleFilter({ seed }),
        (err: unknown) => isCoreError(err, 'invalid') && err.issues[0]?.loc.join('.') === 'body.seed',
      );
    }
  });
});
