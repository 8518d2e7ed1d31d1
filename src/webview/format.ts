// Short, comparable renderings of a record's numbers for the meta line; the
// exact stored values stay available in tooltips.
import type { ChatRecord } from '../core/schemas';

/** "0.412 secs" → "0.41 s"; anything unexpected is shown as stored. */
export function formatDuration(duration: string): string {
  const match = /^\s*([\d.]+)\s*s/i.exec(duration);
  if (!match) return duration;
  const seconds = Number(match[1]);
  if (!Number.isFinite(seconds)) return duration;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** "MM/DD/YYYY, HH:MM:SS": today's prompts show just the time. */
export function formatPromptTime(promptTime: string, now = new Date()): string {
  const match = /^(\d{2})\/(\d{2})\/(\d{4}),\s*(\d{2}:\d{2}(?::\d{2})?)$/.exec(promptTime.trim());
  if (!match) return promptTime;
  const [, month, day, year, time] = match;
  const today = Number(month) === now.getMonth() + 1 && Number(day) === now.getDate() && Number(year) === now.getFullYear();
  return today ? (time ?? promptTime) : promptTime;
}

// One formatter for all: toLocaleString builds a new one per call, which showed up in profiles.
const numberFormat = new Intl.NumberFormat('en-US');
const count = (n: number) => numberFormat.format(n);

export function formatUsage(usage: NonNullable<ChatRecord['usage']>): { text: string; title: string } {
  return {
    text: `${count(usage.prompt_tokens)} + ${count(usage.completion_tokens)} = ${count(usage.total_tokens)} tokens`,
    title: `Tokens: ${count(usage.prompt_tokens)} prompt, ${count(usage.completion_tokens)} completion, ${count(usage.total_tokens)} total`,
  };
}
