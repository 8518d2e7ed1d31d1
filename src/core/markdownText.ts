// Putting text into a Markdown document without letting it change the
// document around it: names escaped, exact text in fences no content can
// close, and model answers embedded as Markdown (they are written in it)
// with only what could break the document's structure neutralised.
import MarkdownIt from 'markdown-it';

/** Escapes text for use inside a Markdown line (a heading, a list item). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** Exact text in a fence longer than any run of backticks in it, so the text cannot close it. */
export function fenced(text: string, info = 'text'): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}

// HTML on, only to find HTML: it is turned into text, never passed through.
const parser = new MarkdownIt({ html: true });

/** The container markers (blockquote `>`, list bullets and numbers) that start a line, and a heading's `#`s after them. */
const ATX = /^((?:[ \t]*(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*)(#{1,6})(?=[ \t]|$)/;
const PREFIX = /^(?:[ \t]*(?:>|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t])))*[ \t]*/;
/** A code span, an autolink, or a `<` that would start HTML. */
const INLINE_HTML = /(`+)[\s\S]*?[^`]\1(?!`)|<(?:https?|mailto):[^\s<>]*>|<(?=[A-Za-z/!?])/g;
const REFERENCE_DEFINITION = /^( {0,3})\[(?=[^\]]+\]:)/;

/**
 * Model output (Markdown) to embed under a heading of level `depth`:
 * - its headings move down by `depth` levels (at most level 6), so the
 *   document's outline stays the document's (setext headings become ATX);
 * - raw HTML becomes visible text (`<` as `&lt;`), as the chat panel shows it:
 *   an unclosed `<!--`, `<script>` or `<pre>` would swallow the rest of the
 *   document, and previewers would fetch `<img>` sources;
 * - a code fence left open at the end is closed, for the same reason;
 * - link reference definitions (`[x]: url`) are escaped: they would apply to
 *   links anywhere in the document.
 * Everything else (emphasis, lists, tables, code) stays as the model wrote it.
 */
export function embedMarkdown(text: string, depth: number): string {
  let source = text.replace(/\r\n?/g, '\n');
  // Turning HTML into text can reveal blocks it hid (a fence after an open comment): again until nothing changes.
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const next = neutralise(source);
    if (next === source) break;
    source = next;
  }
  return demoteHeadings(source, depth).replace(/\n+$/, '');
}

const MAX_PASSES = 5;
const escapeHtml = (block: string) => block.replace(INLINE_HTML, (m) => (m === '<' ? '&lt;' : m));

/** Raw HTML as text, a fence left open at the end closed. */
function neutralise(source: string): string {
  const lines = source.split('\n');
  let openFence: string | undefined;
  for (const token of parser.parse(source, {})) {
    if (!token.map) continue;
    const [start, end] = token.map;
    const html = token.type === 'html_block' || (token.type === 'inline' && token.children?.some((c) => c.type === 'html_inline'));
    if (html) escapeHtml(lines.slice(start, end).join('\n')).split('\n').forEach((line, k) => (lines[start + k] = line));
    if (token.type === 'fence' && token.level === 0 && !closesFence(lines[end - 1], token.markup, end - 1 > start))
      openFence = token.markup;
  }
  if (openFence) lines.push(openFence);
  return lines.join('\n');
}

/** Headings `depth` levels down (setext ones become ATX); link reference definitions escaped. */
function demoteHeadings(source: string, depth: number): string {
  const lines = source.split('\n');
  const tokens = parser.parse(source, {});
  const codeLines = new Set<number>();
  const dropped = new Set<number>();
  tokens.forEach((token, i) => {
    if (!token.map) return;
    const [start, end] = token.map;
    if (token.type === 'fence' || token.type === 'code_block') {
      for (let l = start; l < end; l++) codeLines.add(l);
    } else if (token.type === 'heading_open') {
      const level = Math.min(6, Number(token.tag.slice(1)) + depth);
      if (token.markup.startsWith('#')) {
        lines[start] = (lines[start] ?? '').replace(ATX, (_m, prefix: string) => `${prefix}${'#'.repeat(level)}`);
      } else {
        const prefix = PREFIX.exec(lines[start] ?? '')?.[0] ?? '';
        lines[start] = `${prefix}${'#'.repeat(level)} ${tokens[i + 1]?.content.replace(/\n/g, ' ') ?? ''}`;
        for (let l = start + 1; l < end; l++) dropped.add(l);
      }
    }
  });
  return lines
    .map((line, l) => (codeLines.has(l) ? line : line.replace(REFERENCE_DEFINITION, '$1\\[')))
    .filter((_line, l) => !dropped.has(l))
    .join('\n');
}

function closesFence(line: string | undefined, markup: string, hasBody: boolean): boolean {
  if (!hasBody || line === undefined) return false;
  const text = line.replace(PREFIX, '').trim();
  const char = markup[0] ?? '`';
  return text.length >= markup.length && [...text].every((c) => c === char);
}
