// Words and characters as the attack modules see them. A "word" is a run of
// letters, combining marks and digits (so "don't" is two words and
// punctuation, spaces and emoji are never part of one); a "letter" of a word
// is a base character with its combining marks, so a swap never separates
// an accent from its letter. Everything between words is kept as it is.

export interface Span {
  start: number;
  end: number;
  text: string;
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const LETTER = /\P{M}\p{M}*/gu;

export function wordSpans(text: string): Span[] {
  return [...text.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
}

/** The letters of a word: each base character with the marks that follow it. */
export function lettersOf(word: string): string[] {
  return word.match(LETTER) ?? [];
}

/** `text` with some spans replaced; `replacements` maps a span's index in `spans` to its new text. */
export function replaceSpans(text: string, spans: readonly Span[], replacements: ReadonlyMap<number, string>): string {
  if (replacements.size === 0) return text;
  let out = '';
  let at = 0;
  spans.forEach((span, i) => {
    const replacement = replacements.get(i);
    if (replacement === undefined) return;
    out += text.slice(at, span.start) + replacement;
    at = span.end;
  });
  return out + text.slice(at);
}

let segmenter: Intl.Segmenter | undefined;

const ascii = (text: string, i: number) => i < 0 || i >= text.length || text.charCodeAt(i) < 0x80;
const CR = 13;
const LF = 10;

/**
 * User-perceived characters (an emoji with its modifiers, a flag, a letter
 * with its accents is one), as Intl.Segmenter finds them. Segmenting is
 * slow, and between two ASCII characters there is always a boundary (but
 * in CR LF), so only the runs around other characters are segmented.
 */
export function graphemes(text: string): string[] {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const out: string[] = [];
  let slowFrom = -1;
  const flush = (end: number) => {
    if (slowFrom < 0) return;
    for (const { segment } of (segmenter as Intl.Segmenter).segment(text.slice(slowFrom, end))) out.push(segment);
    slowFrom = -1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alone =
      c < 0x80 &&
      ascii(text, i - 1) &&
      ascii(text, i + 1) &&
      !(c === CR && text.charCodeAt(i + 1) === LF) &&
      !(c === LF && text.charCodeAt(i - 1) === CR);
    if (!alone) {
      if (slowFrom < 0) slowFrom = i;
      continue;
    }
    flush(i);
    out.push(text.charAt(i));
  }
  flush(text.length);
  return out;
}

/** `replacement` in the case pattern of `original`: "MAN" -> "BLOKE", "Man" -> "Bloke", "man" -> "bloke". */
export function matchCase(original: string, replacement: string): string {
  const letters = original.replace(/[^\p{L}]/gu, '');
  if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return replacement.toUpperCase();
  const first = letters.charAt(0);
  if (first && first === first.toUpperCase() && first !== first.toLowerCase()) {
    return replacement.charAt(0).toUpperCase() + replacement.slice(1);
  }
  return replacement;
}

/** The items in their first order, each once. */
export function distinct(items: readonly string[]): string[] {
  return [...new Set(items)];
}
