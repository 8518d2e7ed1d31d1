// Identifiers and the time formats of Moonshot's web API (docs/API.md). Everything here is deterministic
// given its inputs, so the API's ids can be predicted by clients and tests.

/** Letters that NFKD does not decompose but unidecode (python-slugify) folds. */
const FOLDS: Record<string, string> = {
  ß: 'ss', æ: 'ae', Æ: 'AE', œ: 'oe', Œ: 'OE', ø: 'o', Ø: 'O', đ: 'd', Đ: 'D',
  ð: 'd', Ð: 'D', ł: 'l', Ł: 'L', þ: 'th', Þ: 'TH', ı: 'i', ħ: 'h', Ħ: 'H',
};

/**
 * python-slugify's default: quotes become separators, accents fold to ASCII,
 * lower case, commas between digits vanish, every other run of characters
 * outside [a-z0-9-] becomes one `-`, no leading/trailing `-`.
 */
export function slugify(text: string): string {
  return text
    .replace(/'+/g, '-')
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^ -~]/g, (ch) => FOLDS[ch] ?? ' ')
    .toLowerCase()
    .replace(/(?<=\d),(?=\d)/g, '')
    .replace(/[^-a-z0-9]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYYMMDD-HHMMSS`, local time (Moonshot's `created_datetime`). */
export function formatCreatedDatetime(d: Date): string {
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

/** `MM/DD/YYYY, HH:MM:SS`, local time (Moonshot's `prompt_time`). */
export function formatPromptTime(d: Date): string {
  return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${d.getFullYear()}, ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `YYYY-MM-DD HH:MM:SS`, local time (Moonshot's endpoint `created_date`). */
export function formatCreatedDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * Seconds since the epoch with microsecond digits, never a whole number:
 * JSON would print a whole number without a fractional part, and clients
 * written against Moonshot (Python's time.time()) expect a float.
 */
export function epochSeconds(d: Date, subMillisecondMicros = Math.floor(Math.random() * 1000)): number {
  let micros = d.getTime() * 1000 + (subMillisecondMicros % 1000);
  if (micros % 1_000_000 === 0) micros += 1;
  return micros / 1_000_000;
}

export function sessionIdFor(name: string, createdDatetime: string): string {
  return `${slugify(name)}_${createdDatetime}`;
}

export function chatIdFor(endpointId: string, createdDatetime: string): string {
  return `${slugify(endpointId)}_${createdDatetime.replace(/-/g, '_')}`;
}

export const SESSION_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const ENDPOINT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isSafeEndpointId(id: string): boolean {
  return ENDPOINT_ID_PATTERN.test(id) && !id.includes('..');
}
