// A dataset run's progress as one line of text, the same in the progress
// notification and in the results matrix's header. Pure: both the host and
// the webview's script use it.

export interface ProgressFigures {
  status: string;
  rowsDone: number;
  rowsTotal: number;
  rate: number | null;
  etaSeconds: number | null;
  errors: number;
}

/** 27 s, 4 min 10 s, 1 h 05 min. */
export function etaText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "40 of 104 rows · 2.4 rows/s · ETA 27 s · 1 error": the rate and ETA only while it runs and once known. */
export function progressText(p: ProgressFigures): string {
  const parts = [`${p.rowsDone.toLocaleString('en-US')} of ${p.rowsTotal.toLocaleString('en-US')} rows`];
  if (p.status === 'running' && p.rate !== null) parts.push(`${p.rate < 10 ? p.rate.toFixed(1) : Math.round(p.rate)} rows/s`);
  if (p.status === 'running' && p.etaSeconds !== null) parts.push(`ETA ${etaText(p.etaSeconds)}`);
  if (p.errors > 0) parts.push(`${p.errors.toLocaleString('en-US')} error${p.errors === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

/** The share of rows done, 0 to 1 (1 for a run of no rows). */
export const doneShare = (p: Pick<ProgressFigures, 'rowsDone' | 'rowsTotal'>): number =>
  p.rowsTotal === 0 ? 1 : Math.min(1, Math.max(0, p.rowsDone / p.rowsTotal));
