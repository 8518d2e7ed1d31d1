import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listAttackModules } from '../../src/core/attacks';
import { COLLOQUIALISMS } from '../../src/core/attacks/colloquialisms';
import { CONFUSABLES } from '../../src/core/attacks/confusables';
import { listMetrics, REFUSAL_PHRASES } from '../../src/core/judges';

describe('docs/attacks-and-judges.md', () => {
  const doc = readFileSync(join(__dirname, '../../docs/attacks-and-judges.md'), 'utf8');

  it('describes every attack module and judge', () => {
    for (const { name } of [...listAttackModules(), ...listMetrics()]) assert.ok(doc.includes(`\`${name}\``), `${name} is not in the docs`);
  });

  it('lists every refusal phrase and the sizes of the word tables as they are', () => {
    for (const phrase of REFUSAL_PHRASES) assert.ok(doc.includes(`\`${phrase}\``), `"${phrase}" is not in the docs`);
    assert.ok(doc.includes(`${Object.keys(CONFUSABLES).length} letters`));
    assert.ok(doc.includes(`${Object.keys(COLLOQUIALISMS).length} words`));
  });
});
