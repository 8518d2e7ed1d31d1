import assert from 'node:assert/strict';
import { languageIdFor } from '../../src/vscode/codeLanguage';

describe('code block language for Insert', () => {
  const known = ['typescript', 'python', 'shellscript', 'plaintext', 'markdown', 'go', 'cpp'];

  it("maps a fence's language (and its usual short names) to VS Code's language id", () => {
    assert.equal(languageIdFor('ts', known), 'typescript');
    assert.equal(languageIdFor('TypeScript', known), 'typescript');
    assert.equal(languageIdFor('py', known), 'python');
    assert.equal(languageIdFor('bash', known), 'shellscript');
    assert.equal(languageIdFor('c++', known), 'cpp');
    assert.equal(languageIdFor('go', known), 'go');
  });

  it('falls back to plain text for no language or one VS Code does not know', () => {
    assert.equal(languageIdFor('', known), 'plaintext');
    assert.equal(languageIdFor(undefined, known), 'plaintext');
    assert.equal(languageIdFor('brainfudge', known), 'plaintext');
    assert.equal(languageIdFor('rust', known), 'plaintext');
  });
});
