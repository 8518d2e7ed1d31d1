// The extension host's and the CLI's bundles give markdown-it a stand-in for
// the `entities` package (esbuild.mjs, src/core/parseOnlyEntities.ts). It must
// change nothing markdownText.ts writes: this bundles markdownText.ts with the
// stand-in, as the shipped bundles do, and compares its output with the one
// made with the real package, on Markdown full of entities.
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { embedMarkdown } from '../../src/core/markdownText';
import { decodeHTMLStrict } from '../../src/core/parseOnlyEntities';

const CORPUS = [
  '&copy; 2026 &mdash; caf&eacute; &amp; &lt;b&gt; &#35; not a heading &#x3C;script&#x3E;',
  '&nbsp;# still not a heading\n\n&lt;!-- not a comment',
  'Title with &hellip;\n===\n\nSub &rarr; &ne; &frac12;\n---',
  '[link &auml;][ref]\n\n[ref]: https://example.com/&ouml; "t&iacute;tle"',
  '```py &lt;lang&gt;\nprint("&amp;")\n```\n\n~~~\nunclosed &lceil;',
  '> # quoted &laquo;heading&raquo;\n> - item &bull;\n\n1. one &#8212; two',
  '<div>&unknownentity; &NotARealOne;</div> <img src=x onerror=alert(1)> `&copy; in code`',
  '| a &amp; b | c |\n| - | - |\n| &pi; | &#960; |',
];

describe('the stand-in for markdown-it\'s entities package', () => {
  it('decodes XML\'s five named entities and leaves every other name as it is', () => {
    assert.deepEqual(['&amp;', '&lt;', '&gt;', '&quot;', '&apos;'].map(decodeHTMLStrict), ['&', '<', '>', '"', "'"]);
    assert.equal(decodeHTMLStrict('&copy;'), '&copy;');
  });

  it('changes nothing markdownText.ts writes, as bundled for the host', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'moonshot-entities-'));
    try {
      const outfile = join(dir, 'markdownText.cjs');
      await build({
        entryPoints: [resolve('src/core/markdownText.ts')],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile,
        logLevel: 'silent',
        alias: { entities: './src/core/parseOnlyEntities.ts' },
      });
      writeFileSync(join(dir, 'package.json'), '{}');
      const bundled = createRequire(outfile)(outfile) as { embedMarkdown: typeof embedMarkdown };
      for (const text of CORPUS) {
        for (const depth of [0, 2, 5]) assert.equal(bundled.embedMarkdown(text, depth), embedMarkdown(text, depth), JSON.stringify(text));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
