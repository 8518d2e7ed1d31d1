// What a bookmark is made of and how it reads in the Bookmarks view: the
// fields taken from an answer, the name suggested for it, the row's
// description. No VS Code here, so it is tested on its own.
import type { Bookmark, ChatRecord } from '../core/schemas';
import { metricLine } from '../core/scoreText';

/** Longest bookmark name the store takes. */
export const MAX_BOOKMARK_NAME = 200;

/** A text's first line that says something, cut to fit a tree row. */
export function firstLine(text: string, max = 80): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** What a bookmark's row says after its name: the attack module and the verdict (short, so they show), then the prompt's first line. */
export function bookmarkDescription(b: Bookmark): string {
  return [b.attack_module, b.metric, firstLine(b.prompt, 60)].filter(Boolean).join(' · ');
}

/** "<endpoint>: <the start of the prompt's first line>", short enough for a tree row, made unique among `taken` with " (2)", " (3)" ... */
export function suggestBookmarkName(endpointName: string, record: Pick<ChatRecord, 'prompt'>, taken: ReadonlySet<string>): string {
  const base = `${endpointName}: ${firstLine(record.prompt, 32)}`.slice(0, MAX_BOOKMARK_NAME - 6).trim();
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

/** An answer (a record with its latest score) as a bookmark's fields, the name apart. */
export function bookmarkFields(record: ChatRecord): Omit<Bookmark, 'name' | 'bookmark_time'> {
  return {
    prompt: record.prompt,
    // A prompt too large to send keeps no prepared prompt; the bookmark keeps what was typed.
    prepared_prompt: record.prepared_prompt || record.prompt,
    response: record.predicted_result,
    context_strategy: record.context_strategy,
    prompt_template: record.prompt_template,
    attack_module: record.attack_module,
    metric: metricLine(record.metric),
  };
}
