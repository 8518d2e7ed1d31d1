// Model output is untrusted. It becomes HTML only through markdown-it with raw
// HTML off (markdown-it escapes all text), links limited to http(s)/mailto,
// and images limited to inline raster data: nothing here can fetch, run
// script or navigate. Code is highlighted by highlighter.ts, a separate
// script loaded on first need (highlightLoader.ts): until it is there, code
// blocks are plain text marked as waiting for it.
import MarkdownIt from 'markdown-it';
import type { Action } from './actions';
const SAFE_LINK = /^(https?:\/\/|mailto:)/i;
/** SVG is excluded on purpose: an SVG document can carry script. */
const SAFE_DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]*$/i;

export function isSafeLinkHref(href: string): boolean {
  return SAFE_LINK.test(href.trim());
}

export function isSafeDataImage(src: string): boolean {
  return SAFE_DATA_IMAGE.test(src.trim());
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
const escapeHtml = md.utils.escapeHtml;

// One check for links and images alike (markdown-it does not say which it is
// validating); link_open below drops a data: href that got through for images.
md.validateLink = (url: string): boolean => isSafeLinkHref(url) || isSafeDataImage(url);

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx]!;
  const href = token.attrGet('href') ?? '';
  if (!isSafeLinkHref(href)) {
    token.attrs = null;
    token.attrSet('class', 'inert-link');
  } else if (!token.attrGet('title')) {
    // A webview has no status bar: the tooltip is the only way to see where a link goes.
    token.attrSet('title', href);
  }
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const src = token.attrGet('src') ?? '';
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  if (isSafeDataImage(src)) return `<img class="md-image" src="${escapeHtml(src)}" alt="${escapeHtml(alt)}">`;
  // Remote images would leak that the answer was read (and to where); show the reference instead.
  return `<span class="image-placeholder" title="Remote image not loaded">[image: ${escapeHtml(alt)}](${escapeHtml(src)})</span>`;
};

// The CSP forbids style attributes, so table alignment travels as a class.
md.core.ruler.push('table_align_classes', (state) => {
  for (const token of state.tokens) {
    if (token.type !== 'th_open' && token.type !== 'td_open') continue;
    const style = token.attrGet('style');
    if (!style) continue;
    token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
    const align = /text-align:(left|center|right)/.exec(style)?.[1];
    if (align) token.attrJoin('class', `align-${align}`);
  }
});

/** What highlighter.ts provides once it is loaded. */
export interface Highlighter {
  /** Highlighted HTML of `code` (its text escaped), or undefined to leave it plain. */
  highlight(code: string, lang: string): string | undefined;
}

let highlighter: Highlighter | undefined;

/** From now on, code in finished answers is rendered highlighted. */
export function useHighlighter(loaded: Highlighter): void {
  highlighter = loaded;
}

/** On a block's <code> while it waits for the highlighter; its value is the lower-cased fence language. */
const WAITING = 'data-highlight-pending';

// Text, not SVG icons: the answer's element then holds no markup of a kind a
// model could have injected, which keeps "no <svg> in the answer" checkable.
const codeButton = (action: Action, text: string, label: string, testId: string): string =>
  `<button type="button" class="code-button" data-action="${action}" data-testid="${testId}" title="${label}" aria-label="${label}">${text}</button>`;

const CODE_ACTIONS =
  `<span class="code-actions">${codeButton('copy-code', 'Copy', 'Copy code', 'code-copy-button')}` +
  `${codeButton('insert-code', 'Insert', 'Insert code into the editor', 'code-insert-button')}</span>`;

interface RenderEnv {
  /** Off while an answer streams: the grammar runs once, when the record arrives. */
  highlight: boolean;
  /** Set by a code block rendered plain because the highlighter is not loaded yet. */
  waitsForHighlighter: boolean;
}

function renderCodeBlock(code: string, info: string, env: RenderEnv): string {
  const lang = info.split(/\s+/)[0] ?? '';
  const langClass = lang ? ` language-${escapeHtml(lang)}` : '';
  let body = escapeHtml(code);
  let waiting = '';
  if (env.highlight && highlighter) body = highlighter.highlight(code, lang.toLowerCase()) ?? body;
  else if (env.highlight) {
    waiting = ` ${WAITING}="${escapeHtml(lang.toLowerCase())}"`;
    env.waitsForHighlighter = true;
  }
  return (
    `<div class="code-block" data-lang="${escapeHtml(lang)}"><div class="code-toolbar"><span class="code-lang">${escapeHtml(lang || 'text')}</span>${CODE_ACTIONS}</div>` +
    `<pre><code class="hljs${langClass}"${waiting}>${body}</code></pre></div>\n`
  );
}

md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx]!;
  return renderCodeBlock(token.content, token.info ? md.utils.unescapeAll(token.info).trim() : '', env);
};
md.renderer.rules.code_block = (tokens, idx, _options, env: RenderEnv) => renderCodeBlock(tokens[idx]!.content, '', env);

/** The answer as safe HTML; `highlight: false` for text still streaming (same rules, no grammar). */
export function renderMarkdown(text: string, options: { highlight?: boolean } = {}): string {
  return render(text, options.highlight ?? true).html;
}

function render(text: string, highlight: boolean): RenderedAnswer {
  const env: RenderEnv = { highlight, waitsForHighlighter: false };
  const html = md.render(text, env);
  return { html, waitsForHighlighter: env.waitsForHighlighter };
}

export interface RenderedAnswer {
  html: string;
  /** Some code is plain until the highlighter is loaded: pass the element to highlightWaitingCode then. */
  waitsForHighlighter: boolean;
}

const CACHE_LIMIT = 20_000;
const cache = new Map<string, string>();

/**
 * Records never change once written, so each is rendered once per panel even
 * when `init` re-renders everything or a column is rebuilt (once highlighted:
 * HTML still waiting for the highlighter is not kept).
 */
export function renderMarkdownCached(key: string, text: string): RenderedAnswer {
  const hit = cache.get(key);
  if (hit !== undefined) return { html: hit, waitsForHighlighter: false };
  const rendered = render(text, true);
  if (rendered.waitsForHighlighter) return rendered;
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, rendered.html);
  return rendered;
}

/**
 * Highlights, in place, the code blocks under `root` rendered before the
 * highlighter was loaded: the same HTML they would have had if it had been.
 */
export function highlightWaitingCode(root: Element, loaded: Highlighter): void {
  for (const code of root.querySelectorAll(`code[${WAITING}]`)) {
    const lang = code.getAttribute(WAITING) ?? '';
    code.removeAttribute(WAITING);
    // textContent is the block's text exactly: markdown-it's escaping, undone by the parser.
    const html = loaded.highlight(code.textContent ?? '', lang);
    if (html !== undefined) code.innerHTML = html;
  }
}

const BLOCKS = new Set(['P', 'DIV', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'TABLE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HR']);
const LINES = new Set(['LI', 'TR', 'DT', 'DD']);

/**
 * What a reader sees, as text: blocks separated by blank lines, list items
 * with their bullet or number, table cells by tabs, whitespace collapsed as
 * the browser shows it (except in code), and none of our own buttons.
 * innerText would need layout and would include the code toolbars.
 */
export function toPlainText(root: Element): string {
  let out = '';
  const atLineStart = () => out === '' || out.endsWith('\n');
  const newline = (count: number) => {
    // A loose list item's paragraph starts on the bullet's line.
    if (out === '' || /(^|\n) *(- |\d+\. )$/.test(out)) return;
    out = out.replace(/[ \t]+$/, '');
    const trailing = /\n*$/.exec(out)?.[0].length ?? 0;
    if (trailing < count) out += '\n'.repeat(count - trailing);
  };
  const walk = (node: Node, inPre: boolean) => {
    if (node.nodeType === Node.TEXT_NODE) {
      const text = node.nodeValue ?? '';
      if (inPre) out += text;
      else if (!/^\s*\n\s*$/.test(text)) {
        // markdown-it puts newlines between tags; the browser shows them as spaces or not at all.
        const collapsed = text.replace(/\s*\n\s*/g, ' ');
        out += atLineStart() ? collapsed.trimStart() : collapsed;
      }
      return;
    }
    if (!(node instanceof Element) || node.classList.contains('code-toolbar')) return;
    const tag = node.tagName;
    if (tag === 'BR') {
      out += '\n';
      return;
    }
    if (BLOCKS.has(tag)) newline(node.parentElement?.tagName === 'LI' ? 1 : 2);
    else if (LINES.has(tag)) newline(1);
    else if ((tag === 'TD' || tag === 'TH') && node.previousElementSibling) out += '\t';
    if (tag === 'LI') {
      const list = node.parentElement;
      const depth = Math.max(0, ancestorsCount(node, 'LI'));
      const index = list ? Array.prototype.indexOf.call(list.children, node) : 0;
      const start = Number(list?.getAttribute('start') ?? 1);
      out += '  '.repeat(depth) + (list?.tagName === 'OL' ? `${start + index}. ` : '- ');
    }
    if (tag === 'IMG') out += node.getAttribute('alt') ?? '';
    for (let child = node.firstChild; child; child = child.nextSibling) walk(child, inPre || tag === 'PRE');
    if (BLOCKS.has(tag)) newline(node.parentElement?.tagName === 'LI' ? 1 : 2);
    else if (LINES.has(tag)) newline(1);
  };
  walk(root, false);
  return out.trim();
}

function ancestorsCount(el: Element, tag: string): number {
  let n = 0;
  for (let a = el.parentElement; a; a = a.parentElement) if (a.tagName === tag) n++;
  return n;
}
