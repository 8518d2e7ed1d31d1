import assert from 'node:assert/strict';
import { canonicalJson, contentId, IdSet, RowIds } from '../../src/core/datasets/rowIds';

describe('dataset row ids', () => {
  it('keeps every id of a growing set and knows each one it has seen', () => {
    const set = new IdSet();
    for (let i = 0; i < 50_000; i++) assert.equal(set.add(`id-${i}`), true, `id-${i}`);
    assert.equal(set.size, 50_000);
    for (let i = 0; i < 50_000; i += 997) assert.equal(set.add(`id-${i}`), false, `id-${i} again`);
    assert.equal(set.size, 50_000);
  });

  it('makes a content id of 12 hex digits, and numbers the repeats of a content', () => {
    const ids = new RowIds();
    const first = ids.fromContent('same');
    assert.equal(first, contentId('same'));
    assert.match(first, /^[0-9a-f]{12}$/);
    assert.equal(ids.fromContent('same'), `${first}-2`);
    assert.equal(ids.fromContent('other'), contentId('other'));
    assert.equal(ids.fromContent('same'), `${first}-3`);
    // Pinned: ids are what results and baselines are matched by.
    assert.equal(contentId('How are you?'), 'df287dfc1406');
  });

  it('refuses a repeated own id', () => {
    const ids = new RowIds();
    assert.equal(ids.own('a'), true);
    assert.equal(ids.own('b'), true);
    assert.equal(ids.own('a'), false);
  });

  it('writes JSON with sorted keys at every depth and no undefined members', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null }, u: undefined }),
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    assert.equal(canonicalJson('x'), '"x"');
  });
});
