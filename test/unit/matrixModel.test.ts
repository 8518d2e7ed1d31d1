// The results matrix's webview model (src/matrix/model.ts) and its window
// arithmetic (virtualWindow.ts): rows made of the host's chunks, filters and
// their counts, sorting, search hits, baseline changes; which positions are
// drawn at a scroll offset. Pure functions: no DOM.
import assert from 'node:assert/strict';
import { disagrees, filterCounts, latencyText, MatrixData, orderRows, rowMatches, rowOfChunk } from '../../src/matrix/model';
import { listHeight, scrollToReveal, visibleRange } from '../../src/matrix/virtualWindow';
import { FILTERS, type MatrixColumn, type RowsChunk } from '../../src/shared/matrixProtocol';
import { doneShare, etaText, progressText } from '../../src/shared/runProgressText';

const columns: MatrixColumn[] = [
  { key: 'a', endpoint: 'a', endpointName: 'A', attack: '', variant: 0 },
  { key: 'b', endpoint: 'b', endpointName: 'B', attack: '', variant: 0 },
];

/** A chunk of rows given as [outcomes, changes, ms of a, ms of b]. */
function chunkOf(rows: [string, string, number, number][], from = 0): RowsChunk {
  return {
    index: rows.map((_, i) => from + i),
    ids: rows.map((_, i) => `r${from + i + 1}`),
    inputs: rows.map((_, i) => `row ${from + i + 1}`),
    categories: rows.map(() => ''),
    outcomes: rows.map((r) => r[0]),
    changes: rows.map((r) => r[1]),
    badges: rows.flatMap(() => [0, 0]),
    ms: rows.flatMap((r) => [r[2], r[3]]),
    texts: rows.flatMap(() => ['x', 'y']),
    notes: rows.flatMap(() => ['', '']),
  };
}

// r1 both pass, r2 a fails, r3 both fail, r4 an error and a pass, r5 no answers, r6 a fixed change.
const ROWS: [string, string, number, number][] = [
  ['pp', '  ', 100, 200],
  ['fp', '  ', 900, 50],
  ['ff', '  ', 300, 300],
  ['ep', '  ', -1, 40],
  ['--', '  ', -1, -1],
  ['pf', 'F ', 10, 5000],
];

function loaded(): MatrixData {
  const data = new MatrixData(columns);
  data.apply(chunkOf(ROWS), [{ text: 'answered', tone: 'unsafe' }], ROWS.length);
  return data;
}

describe('results matrix model', () => {
  it('makes a row of a chunk with its counts: fails, passes, errors, changes, the slowest answer', () => {
    const row = rowOfChunk(chunkOf(ROWS), 3, 2);
    assert.deepEqual(
      { place: row.place, id: row.id, fails: row.fails, passes: row.passes, errors: row.errors, changed: row.changed, maxMs: row.maxMs },
      { place: 3, id: 'r4', fails: 0, passes: 1, errors: 1, changed: 0, maxMs: 40 },
    );
    assert.deepEqual(row.ms, [-1, 40]);
    assert.deepEqual(row.texts, ['x', 'y']);
    // A short outcome string (a column added since) is padded with "no result".
    const short = rowOfChunk({ ...chunkOf([['p', '', 1, 2]]), outcomes: ['p'] }, 0, 2);
    assert.equal(short.outcomes, 'p-');
  });

  it('filters: failures have a failed answer, passes only passed ones, errors a failed call, disagreements a pass and a fail', () => {
    const data = loaded();
    const ids = (filter: (typeof FILTERS)[number]) => orderRows(data.rows, filter, 'order', null).map((p) => data.rows[p]?.id);
    assert.deepEqual(ids('all'), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    assert.deepEqual(ids('failures'), ['r2', 'r3', 'r6']);
    assert.deepEqual(ids('passes'), ['r1']);
    assert.deepEqual(ids('errors'), ['r4']);
    assert.deepEqual(ids('disagree'), ['r2', 'r6']);
    assert.deepEqual(ids('changed'), ['r6']);
    assert.equal(disagrees(data.rows[3]!), false, 'an error and a pass do not disagree');
    assert.equal(rowMatches(data.rows[4]!, 'passes'), false, 'a row without answers is no pass');
  });

  it('counts what each filter keeps, the same as the filters show', () => {
    const data = loaded();
    const counts = filterCounts(data.rows);
    for (const filter of FILTERS) assert.equal(counts[filter], orderRows(data.rows, filter, 'order', null).length, filter);
  });

  it('sorts by failures (then errors) or by the slowest answer, ties in row order; search hits narrow the rows', () => {
    const data = loaded();
    const ids = (places: number[]) => places.map((p) => data.rows[p]?.id);
    assert.deepEqual(ids(orderRows(data.rows, 'all', 'failures', null)), ['r3', 'r2', 'r6', 'r4', 'r1', 'r5']);
    assert.deepEqual(ids(orderRows(data.rows, 'all', 'latency', null)), ['r6', 'r2', 'r3', 'r1', 'r4', 'r5']);
    assert.deepEqual(ids(orderRows(data.rows, 'failures', 'order', new Set([0, 2, 3]))), ['r3']);
    assert.deepEqual(ids(orderRows(data.rows, 'all', 'order', new Set())), []);
  });

  it('puts later chunks in their places, counts each row once, and takes new changes for every row', () => {
    const data = new MatrixData(columns);
    assert.deepEqual(data.apply(chunkOf(ROWS.slice(0, 2)), [], 6), [0, 1]);
    assert.deepEqual(data.apply(chunkOf(ROWS.slice(2), 2), [], 6), [2, 3, 4, 5]);
    // A row sent again (a live update) replaces the earlier one.
    data.apply(chunkOf([['ff', '  ', 1, 1]], 0), [], 6);
    assert.equal(data.loaded, 6);
    assert.equal(data.rows[0]?.fails, 2);
    data.setChanges([1], [' B']);
    assert.deepEqual(orderRows(data.rows, 'changed', 'order', null), [1]);
    assert.equal(data.rows[5]?.changed, 0, 'a change the new baseline does not have is gone');
  });

  it('writes latencies as a cell shows them', () => {
    assert.deepEqual(
      [latencyText(-1), latencyText(412), latencyText(12_345), latencyText(125_000)],
      ['', '0.41 s', '12.3 s', '2 min 05 s'],
    );
  });
});

describe('results matrix window', () => {
  it('draws the rows in view and a few around them, clamped to the list', () => {
    assert.deepEqual(visibleRange(0, 640, 64, 10_000), { start: 0, end: 14 });
    assert.deepEqual(visibleRange(64 * 5000, 640, 64, 10_000), { start: 4996, end: 5014 });
    assert.deepEqual(visibleRange(64 * 5000 + 32, 640, 64, 10_000, 0), { start: 5000, end: 5011 });
    // The end of the list, an elastic overscroll, and a list that shrank under the offset.
    assert.deepEqual(visibleRange(10_000 * 64, 640, 64, 10_000), { start: 9986, end: 10_000 });
    assert.deepEqual(visibleRange(-200, 640, 64, 10_000), { start: 0, end: 14 });
    assert.deepEqual(visibleRange(64 * 9000, 640, 64, 3), { start: 0, end: 3 });
    assert.deepEqual(visibleRange(0, 640, 64, 0), { start: 0, end: 0 });
  });

  it('never draws more than the viewport and the overscan, wherever it scrolls', () => {
    for (let top = 0; top < 64 * 10_000; top += 64 * 97 + 13) {
      const { start, end } = visibleRange(top, 700, 64, 10_000);
      assert.ok(end - start <= Math.ceil(700 / 64) + 1 + 8, `at ${top}: ${end - start} rows`);
      assert.ok(start * 64 <= top && end * 64 >= Math.min(top + 700, 64 * 10_000), `at ${top} the viewport is covered`);
    }
  });

  it('scrolls the least to reveal a row, and not at all when it is in view', () => {
    assert.equal(scrollToReveal(3, 0, 640, 64), 0);
    assert.equal(scrollToReveal(20, 0, 640, 64), 21 * 64 - 640);
    assert.equal(scrollToReveal(2, 640, 640, 64), 128);
    assert.equal(listHeight(10_000, 64), 640_000);
    assert.equal(listHeight(-1, 64), 0);
  });
});

describe('run progress text', () => {
  it('says rows done of all, the rate and the ETA while running, and the errors', () => {
    const running = { status: 'running', rowsDone: 40, rowsTotal: 10_400, rate: 2.44, etaSeconds: 250, errors: 1 };
    assert.equal(progressText(running), '40 of 10,400 rows · 2.4 rows/s · ETA 4 min 10 s · 1 error');
    assert.equal(progressText({ ...running, status: 'cancelled', errors: 0 }), '40 of 10,400 rows');
    assert.equal(progressText({ ...running, rate: 35, etaSeconds: null, errors: 3 }), '40 of 10,400 rows · 35 rows/s · 3 errors');
    assert.deepEqual([etaText(27), etaText(120), etaText(3900)], ['27 s', '2 min', '1 h 05 min']);
    assert.deepEqual([doneShare({ rowsDone: 5, rowsTotal: 10 }), doneShare({ rowsDone: 0, rowsTotal: 0 })], [0.5, 1]);
  });
});
