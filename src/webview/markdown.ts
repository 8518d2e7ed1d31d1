// Model output is untrusted. It becomes HTML only through markdown-it with raw
// HTML off (markdown-it escapes all text), links limited to http(s)/mailto,
// and images limited to inline raster data: nothing here can fetch, run
// script or navigate.
import MarkdownIt from 'markdown-it';
import type { Action } from './actions';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdownLang from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import powershell from 'highlight.js/lib/languages/powershell';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = {
  bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown: markdownLang, php, plaintext,
  powershell, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);

/** Guessing among every language is slow and often wrong; these cover most unlabelled answers. */
const AUTO_LANGUAGES = ['python', 'javascript', 'typescript', 'bash', 'json', 'xml', 'sql', 'java', 'cpp', 'yaml', 'css'];
const AUTO_MAX_CHARS = 4000;

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

function highlightCode(code: string, lang: string): string {
  try {
    if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    if (!lang && code.length <= AUTO_MAX_CHARS) {
      const guess = hljs.highlightAuto(code, AUTO_LANGUAGES);
      if (guess.relevance >= 5) return guess.value;
    }
  } catch {
    // A grammar that throws on odd input must not cost the whole answer.
  }
  return escapeHtml(code);
}

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
}

function renderCodeBlock(code: string, info: string, env: RenderEnv): string {
  const lang = info.split(/\s+/)[0] ?? '';
  const langClass = lang ? ` language-${escapeHtml(lang)}` : '';
  const body = env.highlight ? highlightCode(code, lang.toLowerCase()) : escapeHtml(code);
  return (
    `<div class="code-block" data-lang="${escapeHtml(lang)}"><div class="code-toolbar"><span class="code-lang">${escapeHtml(lang || 'text')}</span>${CODE_ACTIONS}</div>` +
    `<pre><code class="hljs${langClass}">${body}</code></pre></div>\n`
  );
}

md.renderer.rules.fence = (tokens, idx, _options, env: RenderEnv) => {
  const token = tokens[idx]!;
  return renderCodeBlock(token.content, token.info ? md.utils.unescapeAll(token.info).trim() : '', env);
};
md.renderer.rules.code_block = (tokens, idx, _options, env: RenderEnv) => renderCodeBlock(tokens[idx]!.content, '', env);

/** The answer as safe HTML; `highlight: false` for text still streaming (same rules, no grammar). */
export function renderMarkdown(text: string, options: { highlight?: boolean } = {}): string {
  const env: RenderEnv = { highlight: options.highlight ?? true };
  return md.render(text, env);
}

const CACHE_LIMIT = 20_000;
const cache = new Map<string, string>();

/**
 * Records never change once written, so each is rendered once per panel even
 * when `init` re-renders everything or a column is rebuilt.
 */
export function renderMarkdownCached(key: string, text: string): string {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const html = renderMarkdown(text);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, html);
  return html;
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
