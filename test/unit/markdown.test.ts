// The chat panel's markdown renderer on untrusted model output, checked on
// the HTML it produces (the E2E suite checks the same corpus in the browser).
import assert from 'node:assert/strict';
import { renderMarkdown } from '../../src/webview/markdown';

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

describe('markdown rendering of model output', () => {
  it('leaves no element, attribute or URL that could run, load or navigate', () => {
    const html = renderMarkdown(CORPUS.join('\n\n'));
    assert.doesNotMatch(html, /<(script|iframe|svg|object|embed|style)\b/i);
    assert.doesNotMatch(html, /<[a-z][^>]*\son[a-z]+\s*=/i, 'no event handler attribute on a real tag');
    assert.doesNotMatch(html, /(href|src)\s*=\s*"\s*(javascript|vbscript|file|data:text|data:image\/svg)/i);
    assert.doesNotMatch(html, /<img[^>]+src="http/i, 'no remote image');
    assert.match(html, /&lt;script&gt;/, 'raw HTML shows as text');
    assert.match(html, /\[image: remote\]\(http:\/\/127\.0\.0\.1:1\/track\.png\)/);
  });

  it('keeps what is safe: web links, raster data images, highlighted code, tables', () => {
    const html = renderMarkdown('[docs](https://example.com/a) ![dot](data:image/png;base64,iVBORw0KGgo=)\n\n```python\nprint("hi")\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    assert.match(html, /<a href="https:\/\/example\.com\/a"/);
    assert.match(html, /<img class="md-image" src="data:image\/png;base64,iVBORw0KGgo="/);
    assert.match(html, /class="hljs-built_in">print/);
    assert.match(html, /<table>/);
  });
});
