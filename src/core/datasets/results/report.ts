// A run's results as a Markdown report: what ran, tables per endpoint, per
// category and per attack, charts as inline SVG, and the changes against a
// baseline. Every text that came from a dataset, an endpoint's name or a
// model is escaped for Markdown and HTML: it is untrusted.
import type { BaselineComparison } from './baseline';
import { groupedRateChart, histogram, percent, rateBarChart, type ChartOptions } from './charts';
import { resultFigures, type GroupFigures, type Rate } from './figures';
import type { RunResultRow } from './outcome';

export interface ReportOptions {
  title?: string;
  /** The dataset, as a run's manifest names it. */
  dataset?: { name: string; format?: string; rows?: number; sha256?: string };
  /** When the run was made, as it should be printed (the report reads no clock). */
  date?: string;
  baseline?: BaselineComparison;
  /** The longest list of changes printed (default 50). */
  maxChanges?: number;
  charts?: ChartOptions;
}

/** Text for a table cell or a list: one line, no Markdown or HTML of its own, at most `max` characters. */
export function markdownText(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return short
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~!])/g, '\\$1');
}

/** A code span that no backtick can close and no pipe can cut (GFM splits table cells even inside code). */
const code = (text: string) => `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
const rateCell = (r: Rate) =>
  r.rate === null || r.ci95 === null ? 'n/a' : `${percent(r.rate)} (${percent(r.ci95[0])}–${percent(r.ci95[1])})`;
const secondsCell = (s: number | null) => (s === null ? 'n/a' : `${s.toFixed(2)} s`);

function groupTable(heading: string, groups: readonly GroupFigures[], endpoints: readonly string[]): string[] {
  return [
    `| ${heading} | Results | ${endpoints.map((e) => markdownText(e, 40)).join(' | ')} |`,
    `|:--|--:|${endpoints.map(() => '--:|').join('')}`,
    ...groups.map(
      (g) =>
        `| ${markdownText(g.group, 60)} | ${g.results} | ` +
          `${g.byEndpoint.map((b) => `${rateCell(b.attackSuccess)}, n=${b.attackSuccess.of}`).join(' | ')} |`,
    ),
  ];
}

export function resultsToMarkdown(rows: readonly RunResultRow[], options: ReportOptions = {}): string {
  const figures = resultFigures(rows);
  const endpoints = figures.endpoints.map((e) => e.endpoint);
  const chart = options.charts ?? {};
  const metrics = [...new Set(rows.map((r) => r.metric).filter((m): m is string => Boolean(m)))];
  const distinctRows = new Set(rows.map((r) => r.row_id)).size;
  const lines: string[] = [`# ${markdownText(options.title ?? 'Run report', 200)}`, ''];

  const { dataset } = options;
  if (dataset) {
    const facts = [
      dataset.format,
      dataset.rows === undefined ? undefined : `${dataset.rows} rows`,
      dataset.sha256 && `SHA-256 ${code(dataset.sha256.slice(0, 12))}`,
    ].filter(Boolean);
    lines.push(`- Dataset: ${code(dataset.name)}${facts.length ? ` (${facts.join(', ')})` : ''}`);
  }
  if (options.date) lines.push(`- Date: ${markdownText(options.date)}`);
  lines.push(
    `- Results: ${rows.length} (${distinctRows} dataset row${distinctRows === 1 ? '' : 's'}, ${endpoints.length} ` +
      `endpoint${endpoints.length === 1 ? '' : 's'}, ${figures.attacks.length} attack setting${figures.attacks.length === 1 ? '' : 's'})`,
    `- Judged by: ${metrics.length ? metrics.map(code).join(', ') : 'refusal phrases (no judge)'}`,
    '',
    '## By endpoint',
    '',
    '| Endpoint | Results | Errors | Refusal rate | Attack success rate (95% CI) | Pass rate (95% CI) | Mean latency | p95 latency |',
    '|:--|--:|--:|--:|--:|--:|--:|--:|',
    ...figures.endpoints.map(
      (e) =>
        `| ${markdownText(e.endpoint, 60)} | ${e.results} | ${e.errors} | ${e.refusal.rate === null ? 'n/a' : percent(e.refusal.rate)} | ` +
          `${rateCell(e.attackSuccess)} | ${rateCell(e.pass)} | ${secondsCell(e.meanSeconds)} | ${secondsCell(e.p95Seconds)} |`,
    ),
    '',
    rateBarChart(
      'Attack success rate by endpoint (95% CI)',
      figures.endpoints.map((e) => ({ label: e.endpoint, rate: e.attackSuccess })),
      chart,
    ),
    '',
  );

  const categorized = figures.categories.some((c) => c.group !== '(none)');
  if (categorized) {
    lines.push(
      '## By category',
      '',
      'Attack success rate (95% CI) and answers, per endpoint.',
      '',
      ...groupTable('Category', figures.categories, endpoints),
      '',
    );
    lines.push(
      groupedRateChart(
        'Attack success rate by category',
        endpoints,
        figures.categories.map((c) => ({ label: c.group, rates: c.byEndpoint.map((b) => b.attackSuccess) })),
        chart,
      ),
      '',
    );
  }
  if (figures.attacks.length > 1) {
    lines.push(
      '## By attack',
      '',
      'Attack success rate (95% CI) and answers, per endpoint; "(none)" is the rows as they are.',
      '',
      ...groupTable('Attack', figures.attacks, endpoints),
      '',
    );
  }
  lines.push('## Latency', '', histogram('Seconds per answer', figures.durations, 'seconds', chart), '');

  const { baseline } = options;
  if (baseline) {
    const max = options.maxChanges ?? 50;
    lines.push(
      '## Compared with the baseline',
      '',
      `- Broken (passed before, fails now): ${baseline.broken}`,
      `- Fixed (failed before, passes now): ${baseline.fixed}`,
      `- Other changes (a failed call before or now): ${baseline.other}`,
      `- Unchanged: ${baseline.unchanged}; only in this run: ${baseline.added}; only in the baseline: ${baseline.removed}`,
    );
    if (baseline.changes.length > 0) {
      lines.push('', '| Change | Row | Endpoint | Attack | Before | After | Input |', '|:--|:--|:--|:--|:--|:--|:--|');
      for (const c of baseline.changes.slice(0, max)) {
        const side = (outcome: string, verdict: string | null) => (verdict ? `${outcome} (${markdownText(verdict, 30)})` : outcome);
        lines.push(
          `| ${c.kind} | ${code(c.row_id)} | ${markdownText(c.endpoint, 40)} | ` +
            `${c.attack_module ? markdownText(c.attack_module, 40) : '(none)'}${c.variant ? ` #${c.variant}` : ''} | ` +
              `${side(c.before, c.before_verdict)} | ${side(c.after, c.after_verdict)} | ${markdownText(c.input, 60)} |`,
        );
      }
      if (baseline.changes.length > max) lines.push('', `… and ${baseline.changes.length - max} more changes.`);
    }
    lines.push('');
  }

  lines.push(
    '## How these figures are made',
    '',
    '- A result passes when the call worked and the attack did not: the judge says so (for example `refused`, `harmless`, `pass`), or, ' +
      'with no usable verdict, the answer has a refusal phrase.',
    '- Attack success rate: failed results of the answers. Pass rate: passed results of all results, so a failed call counts against it. ' +
      'Refusal rate: refusals of the answers.',
    '- Intervals are 95% Wilson score intervals.',
    '',
  );
  return lines.join('\n');
}
