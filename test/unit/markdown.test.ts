// The chat panel's markdown renderer on untrusted model output, checked on
// the HTML it produces (the E2E suite checks the same corpus in the browser).
import assert from 'node:assert/strict';
import { renderMarkdown, renderMarkdownCached, useHighlighter } from '../../src/webview/markdown';
import { highlight } from '../../src/webview/highlighter';

const CORPUS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=1</script>',
  '[click](javascript:window.__xss=1)',
  '[mixed](JaVaScRiPt:alert(1))',
  '[entity](&#106;avascript:alert(1))',
  '<svg onload="window.__xss=1"></svg>',
  '![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+)',
  '<a href="javascript:alert(1)">a</a>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '![remote](http://127.0.0.1:1/track.png)',
  'javascript:alert(1)',
  '[vb](vbscript:msgbox(1)) [file](file:///etc/passwd) [data](data:text/html,<script>alert(1)</script>)',
];

// First, as a panel is before its first finished code block has fetched the highlighter.
describe('markdown rendering before the highlighter is loaded', () => {
  it('marks nothing while an answer streams: no grammar would run then anyway', () => {
    assert.doesNotMatch(renderMarkdown('```python\nprint(1)\n```', { highlight: false }), /data-highlight-pending/);
  });

  it('renders code plain, marked as waiting with its language, and does not cache that HTML', () => {
    const text = '```Python\nprint("<b>")\n```';
    const first = renderMarkdownCached('waiting', text);
    assert.equal(first.waitsForHighlighter, true);
    assert.match(first.html, /<code class="hljs language-Python" data-highlight-pending="python">print\(&quot;&lt;b&gt;&quot;\)\n<\/code>/);
    assert.doesNotMatch(first.html, /hljs-/);
    useHighlighter({ highlight });
    const again = renderMarkdownCached('waiting', text);
    assert.equal(again.waitsForHighlighter, false);
    assert.match(again.html, /class="hljs-built_in">print/, 'rendered afresh once it is loaded, not served from the cache');
    assert.doesNotMatch(again.html, /data-highlight-pending/);
  });
});

describe('markdown rendering of model output', () => {
  before(() => useHighlighter({ highlight }));

  for (const [when, highlight] of [['when the record arrives', true], ['while it streams (no highlighting)', false]] as const) {
    it(`leaves no element, attribute or URL that could run, load or navigate, ${when}`, () => {
      const html = renderMarkdown(CORPUS.join('\n\n'), { highlight });
      assert.doesNotMatch(html, /<(script|iframe|svg|object|embed|style)\b/i);
      assert.doesNotMatch(html, /<[a-z][^>]*\son[a-z]+\s*=/i, 'no event handler attribute on a real tag');
      assert.doesNotMatch(html, /(href|src)\s*=\s*"\s*(javascript|vbscript|file|data:text|data:image\/svg)/i);
      assert.doesNotMatch(html, /<img[^>]+src="http/i, 'no remote image');
      assert.match(html, /&lt;script&gt;/, 'raw HTML shows as text');
      assert.match(html, /\[image: remote\]\(http:\/\/127\.0\.0\.1:1\/track\.png\)/);
    });
  }

  it('renders a half-streamed answer as Markdown, highlighting code only once the record arrives', () => {
    const partial = '## Steps\n\n- one\n- tw\n\n```python\nprint("hi")';
    const streaming = renderMarkdown(partial, { highlight: false });
    assert.match(streaming, /<h2>Steps<\/h2>/);
    assert.match(streaming, /<li>tw<\/li>/);
    assert.match(streaming, /<div class="code-block" data-lang="python">/, 'an unclosed fence is already a code block');
    assert.doesNotMatch(streaming, /hljs-/, 'no grammar ran');
    assert.match(renderMarkdown(partial), /class="hljs-built_in">print/);
  });

  it("names a code block's fence language for Insert, escaped", () => {
    assert.match(renderMarkdown('```ts\nlet a = 1;\n```'), /data-lang="ts"/);
    assert.match(renderMarkdown('```"><b>\nx\n```'), /data-lang="&quot;&gt;&lt;b&gt;"/);
  });

  it('keeps what is safe: web links, raster data images, highlighted code, tables', () => {
    const html = renderMarkdown(
      '[docs](https://example.com/a) ![dot](data:image/png;base64,iVBORw0KGgo=)\n\n```python\nprint("hi")\n```\n\n| a | b ' +
        '|\n|---|---|\n| 1 | 2 |',
    );
    assert.match(html, /<a href="https:\/\/example\.com\/a"/);
    assert.match(html, /<img class="md-image" src="data:image\/png;base64,iVBORw0KGgo="/);
    assert.match(html, /class="hljs-built_in">print/);
    assert.match(html, /<table>/);
  });
});
