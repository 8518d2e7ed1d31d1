// Answers go into the DOM here, and the code highlighter (out/webview-highlight.js,
// see highlighter.ts) is fetched the first time one has a code block. The host
// names its URL on the panel's <script> (data-highlighter); it is loaded as a
// script carrying the panel script's nonce, so the CSP stays `script-src 'nonce-…'`.
import { highlightWaitingCode, renderMarkdownCached, useHighlighter, type Highlighter } from './markdown';

interface HighlighterGlobal {
  /** Defined by out/webview-highlight.js when it runs. */
  moonshotHighlighter?: Highlighter;
}
const global = window as unknown as HighlighterGlobal;

// Read now: document.currentScript is only set while the panel's script first runs.
const panelScript = document.currentScript instanceof HTMLScriptElement ? document.currentScript : null;

/** Answers shown with code waiting for the highlighter, attached to the page or not yet. */
const waiting = new Set<Element>();
let loading = false;

// Already on the page (a test harness may load it first): no fetch, no wait.
if (global.moonshotHighlighter) useHighlighter(global.moonshotHighlighter);

/** Puts a finished answer into `response`, its code highlighted now or as soon as the highlighter is loaded. */
export function showAnswer(response: HTMLElement, key: string, text: string): void {
  const rendered = renderMarkdownCached(key, text);
  response.innerHTML = rendered.html;
  if (!rendered.waitsForHighlighter) return;
  waiting.add(response);
  loadHighlighter();
}

function loadHighlighter(): void {
  if (loading) return;
  loading = true;
  const src = panelScript?.dataset.highlighter;
  if (!src) {
    giveUp('no data-highlighter on the panel script');
    return;
  }
  const script = document.createElement('script');
  script.nonce = panelScript?.nonce ?? '';
  script.src = src;
  script.addEventListener('load', () => {
    const loaded = global.moonshotHighlighter;
    if (!loaded) {
      giveUp(`${src} did not define the highlighter`);
      return;
    }
    useHighlighter(loaded);
    for (const element of waiting) highlightWaitingCode(element, loaded);
    waiting.clear();
  });
  script.addEventListener('error', () => giveUp(`${src} did not load`));
  document.head.append(script);
}

/** Code stays plain text, as for an unknown language: readable, copyable, just not coloured. */
function giveUp(why: string): void {
  console.warn(`[moonshot] code is not highlighted: ${why}`);
  const plain: Highlighter = { highlight: () => undefined };
  useHighlighter(plain);
  for (const element of waiting) highlightWaitingCode(element, plain);
  waiting.clear();
}
