import assert from 'node:assert/strict';
import {
  chatIdFor,
  epochSeconds,
  formatCreatedDatetime,
  formatPromptTime,
  isSafeEndpointId,
  sessionIdFor,
  slugify,
} from '../../src/core/ids';

describe('ids', () => {
  it('slugifies as python-slugify does by default', () => {
    assert.equal(slugify('TestSession1'), 'testsession1');
    assert.equal(slugify('My Session #2'), 'my-session-2');
    assert.equal(slugify('Crème Brûlée'), 'creme-brulee');
    assert.equal(slugify('Straße über'), 'strasse-uber');
    assert.equal(slugify('  --a__b--  '), 'a-b');
    assert.equal(slugify("it's 1,000"), 'it-s-1000');
    assert.equal(slugify('anthropic-claude4.5'), 'anthropic-claude4-5');
    assert.equal(slugify('!!!'), '');
  });

  it("builds session and chat ids as Moonshot's web API does", () => {
    assert.equal(sessionIdFor('TestSession1', '20240315-043147'), 'testsession1_20240315-043147');
    assert.equal(chatIdFor('openaigpt4test1', '20240315-043147'), 'openaigpt4test1_20240315_043147');
    assert.equal(chatIdFor('openai-gpt4o', '20240315-043147'), 'openai-gpt4o_20240315_043147');
  });

  it("formats local times as Moonshot's web API does", () => {
    const d = new Date(2024, 2, 15, 4, 31, 47);
    assert.equal(formatCreatedDatetime(d), '20240315-043147');
    assert.equal(formatPromptTime(d), '03/15/2024, 04:31:47');
  });

  it('never gives a whole-number epoch, so JSON always has a fractional part', () => {
    const whole = new Date(1710448307000);
    assert.match(JSON.stringify(epochSeconds(whole, 0)), /^1710448307\.\d+$/);
    assert.equal(epochSeconds(new Date(1710448307051), 328), 1710448307.051328);
    for (let i = 0; i < 2000; i++) assert.match(JSON.stringify(epochSeconds(new Date(1710448307000 + i))), /\./);
  });

  it('accepts endpoint ids with dots but never ".."', () => {
    assert.ok(isSafeEndpointId('anthropic-claude4.5'));
    assert.ok(!isSafeEndpointId('..'));
    assert.ok(!isSafeEndpointId('a..b'));
    assert.ok(!isSafeEndpointId('../etc'));
    assert.ok(!isSafeEndpointId('.hidden'));
  });
});
