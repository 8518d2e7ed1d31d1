import assert from 'node:assert/strict';
import { planAttack } from '../../src/core/attacks';
import {
  attackBody,
  attackFields,
  fieldValue,
  noChoices,
  parseFieldValue,
  setFieldValue,
  type AttackField,
} from '../../src/vscode/attackForm';
import { attackOutcomeText, attackProgressText } from '../../src/shared/attackProgress';
import type { Attack } from '../../src/core/schemas';

const field = (fields: AttackField[], label: string) =>
  fields.find((f) => f.label === label) ?? assert.fail(`no field ${label} among ${fields.map((f) => f.label).join(', ')}`);

describe("Start Attack's options (from the modules' schemas)", () => {
  it('lists the seed and the number of variants once for the chain, then each module of it with its own options', () => {
    const fields = attackFields(['charswap_attack', 'caesar']);
    assert.deepEqual(
      fields.map((f) => [f.label, f.kind, f.defaultText]),
      [
        ['Seed', 'integer', '0'],
        ['Variants per module', 'integer', '10'],
        ['charswap_attack: word_swap_ratio', 'number', '0.2'],
        ['caesar: shift', 'integer', '3'],
        ['caesar: wrap', 'boolean', 'yes'],
      ],
    );
    assert.match(field(fields, 'caesar: shift').description, /1 to 25/);
    // Shared defaults that differ say whose is which.
    assert.equal(
      field(attackFields(['homoglyph_attack', 'charswap_attack']), 'Variants per module').defaultText,
      '20 (homoglyph_attack), 10 (charswap_attack)',
    );
    assert.deepEqual(attackFields(['base64']).map((f) => f.label), ['base64: wrap'], 'an encoding has no seed and no count');
    const jobs = field(attackFields(['job_role_generator']), 'job_role_generator: categories');
    assert.deepEqual([jobs.kind, jobs.choices], ['choices', ['gender', 'race', 'age']]);
  });

  it('checks a typed value with the schema of every module it goes to, and says what is wrong the way a person would', () => {
    const fields = attackFields(['caesar']);
    const shift = field(fields, 'caesar: shift');
    assert.deepEqual(parseFieldValue(shift, ['caesar'], ' 5 '), { value: 5 });
    assert.deepEqual(parseFieldValue(shift, ['caesar'], '26'), { problem: 'A whole number from 1 to 25' });
    assert.deepEqual(parseFieldValue(shift, ['caesar'], '2.5'), { problem: 'A whole number from 1 to 25' });
    assert.deepEqual(parseFieldValue(shift, ['caesar'], 'three'), { problem: 'A whole number from 1 to 25' });
    const ratio = field(attackFields(['charswap_attack']), 'charswap_attack: word_swap_ratio');
    assert.deepEqual(parseFieldValue(ratio, ['charswap_attack'], '0'), { problem: 'A number more than 0 up to 1' });
    assert.deepEqual(parseFieldValue(ratio, ['charswap_attack'], '0.5'), { value: 0.5 });
    // 60 suits charswap_attack (up to 100) but not paraphrase (up to 50): the module is named.
    const chain = ['charswap_attack', 'paraphrase'];
    const count = field(attackFields(chain), 'Variants per module');
    assert.deepEqual(parseFieldValue(count, chain, '60'), { problem: 'A whole number from 1 to 50 (for paraphrase)' });
    assert.deepEqual(parseFieldValue(count, chain, '50'), { value: 50 });
    const carrier = field(attackFields(['emoji_smuggling']), 'emoji_smuggling: carrier');
    assert.ok('problem' in parseFieldValue(carrier, ['emoji_smuggling'], ''), 'an empty carrier is refused');
    assert.deepEqual(parseFieldValue(carrier, ['emoji_smuggling'], '🙂'), { value: '🙂' });
  });

  it('makes the request of what was set, for modules still in the chain, and the core plans it as it is', () => {
    const choices = noChoices();
    const before = attackFields(['charswap_attack', 'caesar', 'base64']);
    setFieldValue(choices, field(before, 'Seed'), 7);
    setFieldValue(choices, field(before, 'caesar: shift'), 5);
    setFieldValue(choices, field(before, 'base64: wrap'), false);
    assert.equal(fieldValue(choices, field(before, 'caesar: shift')), 5);
    // The user went Back and dropped base64 from the chain: its option is not sent (the core would refuse it).
    const body = attackBody({ chain: ['charswap_attack', 'caesar'], prompt: 'How do I pick a lock?', choices });
    assert.deepEqual(body, {
      attack_modules: ['charswap_attack', 'caesar'],
      prompt: 'How do I pick a lock?',
      seed: 7,
      options: { caesar: { shift: 5 } },
    });
    const plan = planAttack(body);
    assert.deepEqual(plan.options, [
      { num_variants: 10, word_swap_ratio: 0.2, seed: 7 },
      { shift: 5, wrap: true },
    ]);
    assert.deepEqual(
      attackBody({ chain: ['base64'], prompt: 'p', choices }),
      { attack_modules: ['base64'], prompt: 'p', options: { base64: { wrap: false } } },
      'no seed for a chain without one',
    );
    const topic = attackBody({ chain: ['malicious_question_generator'], topic: 'locks', attacker: 'gpt', choices: noChoices() });
    assert.deepEqual(topic, { attack_modules: ['malicious_question_generator'], topic: 'locks', attacker_endpoint: 'gpt' });
    assert.equal(planAttack(topic).needs_model, true);
  });
});

describe('attack progress in words', () => {
  const attack = (fields: Partial<Attack>): Attack => ({
    attack_id: 'a',
    session_id: 's',
    attack_modules: ['charswap_attack', 'base64'],
    status: 'running',
    done: 0,
    total: 0,
    started: '2024-01-01T00:00:00Z',
    ended: null,
    error: null,
    original_prompt: 'p',
    attacker_endpoint: null,
    attacker_calls: 0,
    variants: 0,
    truncated: false,
    ...fields,
  });

  it('says n of N, what an attacker model is doing before the variants exist, and how the attack ended', () => {
    assert.equal(attackProgressText(attack({ done: 12, total: 40, variants: 20 })), '12 of 40 answers');
    assert.equal(attackProgressText(attack({ attacker_endpoint: 'gpt' })), 'asking the attacker gpt…');
    assert.equal(attackProgressText(attack({ attacker_endpoint: 'gpt', attacker_calls: 1 })), 'asking the attacker gpt (1 call so far)…');
    assert.equal(attackOutcomeText(attack({ status: 'done', done: 20, total: 20, variants: 10 })), 'done: 10 variants, 20 of 20 answers');
    assert.equal(
      attackOutcomeText(attack({ status: 'done', done: 200, total: 200, variants: 100, truncated: true })),
      'done: 100 variants, 200 of 200 answers (cut at 100 variants)',
    );
    assert.equal(attackOutcomeText(attack({ status: 'cancelled', done: 12, total: 40 })), 'cancelled at 12 of 40 answers');
    assert.equal(
      attackOutcomeText(attack({ status: 'failed', error: 'the attacker model refused' })),
      'failed: the attacker model refused',
    );
    assert.equal(attackOutcomeText(attack({ status: 'interrupted', error: null })), 'interrupted: the process running it ended');
  });
});
