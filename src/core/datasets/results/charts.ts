// Charts of a run's figures as inline SVG text: in the Markdown report and
// in a VS Code webview alike. Colours come from VS Code's theme variables
// (--vscode-charts-*, --vscode-foreground) through a <style> in the SVG,
// with presentation attributes as the fallback where that style is not
// applied (a viewer without the variables, or a CSP without the nonce).
// Every label is escaped: endpoint and category names are user input.
import type { Rate } from './figures';

export interface ChartOptions {
  /** The nonce for the <style> element, for a page whose CSP needs one. */
  nonce?: string;
  /** Whether to include the <style> element (default true). */
  styles?: boolean;
}

const SERIES: readonly [string, string][] = [
  ['blue', '#3794ff'],
  ['orange', '#d18616'],
  ['green', '#388a34'],
  ['purple', '#8a63d2'],
  ['red', '#e51400'],
  ['yellow', '#bf8803'],
];
const TEXT = '#808080';
const GRID = '#80808059';
const WIDTH = 640;

export const CHART_CSS = [
  '.msr-chart{font-family:var(--vscode-font-family,system-ui,sans-serif);font-size:12px}',
  '.msr-chart text{fill:var(--vscode-foreground,#808080)}',
  '.msr-chart .msr-title{font-weight:600}',
  '.msr-chart .msr-grid{stroke:var(--vscode-charts-lines,#80808059)}',
  '.msr-chart .msr-whisker{stroke:var(--vscode-charts-foreground,var(--vscode-foreground,#808080))}',
  ...SERIES.map(([name, hex], i) => `.msr-chart .msr-s${i}{fill:var(--vscode-charts-${name},${hex})}`),
].join('');

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (x: number) => String(Math.round(x * 10) / 10);
export const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const seriesOf = (i: number) => i % SERIES.length;

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function svg(title: string, height: number, body: string[], { nonce, styles = true }: ChartOptions): string {
  const style = styles ? `<style${nonce === undefined ? '' : ` nonce="${xmlEscape(nonce)}"`}>${CHART_CSS}</style>` : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="msr-chart" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ` +
      `${n(height)}" role="img" aria-label="${xmlEscape(title)}">`,
    `<title>${xmlEscape(title)}</title>${style}`,
    `<text class="msr-title" x="0" y="16" fill="${TEXT}">${xmlEscape(title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

const text = (x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end' = 'start', full?: string) =>
  `<text x="${n(x)}" y="${n(y)}" text-anchor="${anchor}" ` +
    `fill="${TEXT}">${full !== undefined && full !== content ? `<title>${xmlEscape(full)}</title>` : ''}${xmlEscape(content)}</text>`;

const LABEL_W = 170;
const PLOT_X = 178;
const PLOT_W = WIDTH - PLOT_X - 70;
const BAR_H = 14;

/** Vertical grid lines at 0, 25, 50, 75 and 100%, labelled under the plot. */
function percentGrid(top: number, bottom: number): string[] {
  return [0, 0.25, 0.5, 0.75, 1].flatMap((t) => {
    const x = PLOT_X + PLOT_W * t;
    return [
      `<line class="msr-grid" x1="${n(x)}" y1="${n(top)}" x2="${n(x)}" y2="${n(bottom)}" stroke="${GRID}"/>`,
      text(x, bottom + 14, `${t * 100}%`, 'middle'),
    ];
  });
}

/** One horizontal bar of a rate with its interval's whisker and its value at the right. */
function rateBar(y: number, rate: Rate, series: number, tooltip: string): string[] {
  if (rate.rate === null || rate.ci95 === null) return [text(PLOT_X + PLOT_W + 6, y + 4, 'n/a')];
  const [lo, hi] = rate.ci95.map((v) => PLOT_X + PLOT_W * v) as [number, number];
  const tip = `${tooltip}: ${percent(rate.rate)} (95% CI ${percent(rate.ci95[0])} to ${percent(rate.ci95[1])}; ${rate.count} of ` +
    `${rate.of})`;
  const s = seriesOf(series);
  return [
    `<rect class="msr-s${s}" x="${PLOT_X}" y="${n(y - BAR_H / 2)}" width="${n(PLOT_W * rate.rate)}" height="${BAR_H}" ` +
      `fill="${(SERIES[s] as [string, string])[1]}"><title>${xmlEscape(tip)}</title></rect>`,
    `<path class="msr-whisker" d="M${n(lo)} ${n(y)}H${n(hi)}M${n(lo)} ${n(y - 4)}V${n(y + 4)}M${n(hi)} ${n(y - 4)}V${n(y + 4)}" ` +
      `stroke="${TEXT}" fill="none"/>`,
    text(PLOT_X + PLOT_W + 6, y + 4, percent(rate.rate)),
  ];
}

export interface RateBar {
  label: string;
  rate: Rate;
}

/** One bar per item (e.g. the attack success rate of each endpoint), whiskers for the 95% interval. */
export function rateBarChart(title: string, bars: readonly RateBar[], options: ChartOptions = {}): string {
  const top = 30;
  const rowH = 24;
  const bottom = top + Math.max(1, bars.length) * rowH;
  const body = [...percentGrid(top, bottom)];
  bars.forEach(({ label, rate }, i) => {
    const y = top + i * rowH + rowH / 2;
    body.push(text(LABEL_W, y + 4, shorten(label, 26), 'end', label), ...rateBar(y, rate, i, label));
  });
  return svg(title, bottom + 22, body, options);
}

export interface RateGroup {
  label: string;
  /** One rate per series, in the order of the series names. */
  rates: readonly Rate[];
}

/** Groups of bars (e.g. each category), one bar per series (each endpoint), with a legend. */
export function groupedRateChart(
  title: string,
  series: readonly string[],
  groups: readonly RateGroup[],
  options: ChartOptions = {},
): string {
  const legendY = 36;
  const body: string[] = [];
  let x = 0;
  series.forEach((name, i) => {
    const s = seriesOf(i);
    const label = shorten(name, 24);
    body.push(
      `<rect class="msr-s${s}" x="${n(x)}" y="${legendY - 9}" width="10" height="10" fill="${(SERIES[s] as [string, string])[1]}"/>`,
      text(x + 14, legendY, label, 'start', name),
    );
    x += 14 + label.length * 7 + 16;
  });
  const top = legendY + 14;
  const groupH = Math.max(1, series.length) * (BAR_H + 2) + 12;
  const bottom = top + Math.max(1, groups.length) * groupH;
  body.push(...percentGrid(top, bottom));
  groups.forEach(({ label, rates }, g) => {
    const groupTop = top + g * groupH + 6;
    body.push(text(LABEL_W, groupTop + (groupH - 12) / 2 + 4, shorten(label, 26), 'end', label));
    rates.forEach((rate, i) => body.push(...rateBar(groupTop + i * (BAR_H + 2) + BAR_H / 2, rate, i, `${label}, ${series[i] ?? ''}`)));
  });
  return svg(title, bottom + 22, body, options);
}

/** A bin width of 1, 2, 2.5 or 5 times a power of ten that makes about `bins` bins up to `max`. */
export function niceBinWidth(max: number, bins = 12): number {
  if (!(max > 0)) return 1;
  const raw = max / bins;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) as number) * power;
}

const seconds = (x: number) => `${Number(x.toFixed(3))}`;

/** A histogram of values (e.g. seconds per answer). */
export function histogram(title: string, values: readonly number[], unit: string, options: ChartOptions = {}): string {
  const left = 50;
  const right = WIDTH - 20;
  const top = 30;
  const bottom = 180;
  if (values.length === 0) return svg(title, bottom + 30, [text(left, top + 40, 'no values')], options);
  const max = Math.max(...values);
  const width = niceBinWidth(max);
  const bins = Math.max(1, Math.ceil(max / width));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor(v / width)))]!++;
  const highest = Math.max(...counts);
  const binW = (right - left) / bins;
  const body = [
    `<line class="msr-grid" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="${GRID}"/>`,
    text(left - 6, top + 4, String(highest), 'end'),
    text(left - 6, bottom, '0', 'end'),
  ];
  const every = bins > 12 ? 2 : 1;
  counts.forEach((count, i) => {
    const h = ((bottom - top) * count) / highest;
    const from = i * width;
    if (count > 0) {
      body.push(
        `<rect class="msr-s0" x="${n(left + i * binW + 1)}" y="${n(bottom - h)}" width="${n(binW - 2)}" height="${n(h)}" ` +
          `fill="${(SERIES[0] as [string, string])[1]}"><title>${seconds(from)} to ${seconds(from + width)} ${xmlEscape(unit)}: ` +
            `${count}</title></rect>`,
      );
    }
    if (i % every === 0) body.push(text(left + i * binW, bottom + 14, seconds(from), 'middle'));
  });
  body.push(text(right, bottom + 14, seconds(bins * width), 'middle'), text((left + right) / 2, bottom + 28, unit, 'middle'));
  return svg(title, bottom + 34, body, options);
}
