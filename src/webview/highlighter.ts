// The code highlighter, bundled on its own (out/webview-highlight.js): most
// panels open on answers without code, so the panel's script does not carry
// the grammars; highlightLoader.ts fetches this the first time a finished
// answer has a code block. As a script it defines the global
// `moonshotHighlighter` (esbuild's globalName) and nothing else.
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

/**
 * `code` as highlighted HTML (highlight.js escapes the text it wraps in
 * spans), or undefined when it is left plain: an unknown language, an
 * unlabelled block that looks like no language, a grammar that threw.
 */
export function highlight(code: string, lang: string): string | undefined {
  try {
    if (lang && hljs.getLanguage(lang)) return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    if (!lang && code.length <= AUTO_MAX_CHARS) {
      const guess = hljs.highlightAuto(code, AUTO_LANGUAGES);
      if (guess.relevance >= 5) return guess.value;
    }
  } catch {
    // A grammar that throws on odd input must not cost the whole answer.
  }
  return undefined;
}
