// The charts tab: the figures per endpoint as a table, and the host's SVG
// charts. The SVG text is the core's (every label escaped), and is still
// parsed as XML and rebuilt from a short list of elements and attributes:
// a label is dataset or endpoint text, and the page takes no markup it did
// not make itself.
import { h } from '../webview/dom';
import type { Chart, EndpointFiguresView } from '../shared/matrixProtocol';

const SVG_NS = 'http://www.w3.org/2000/svg';
const ELEMENTS = new Set(['svg', 'g', 'title', 'text', 'tspan', 'rect', 'line', 'path', 'circle']);
const ATTRIBUTES = new Set([
  'class', 'x', 'y', 'x1', 'x2', 'y1', 'y2', 'width', 'height', 'd', 'fill', 'stroke', 'stroke-width', 'viewBox', 'role', 'aria-label',
  'text-anchor', 'r', 'cx', 'cy', 'opacity',
]);

function copySvg(from: Element): Element | null {
  const name = from.localName;
  if (from.namespaceURI !== SVG_NS || !ELEMENTS.has(name)) return null;
  const to = document.createElementNS(SVG_NS, name);
  for (const attr of Array.from(from.attributes)) if (ATTRIBUTES.has(attr.name)) to.setAttribute(attr.name, attr.value);
  for (const child of Array.from(from.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) to.append(child.textContent ?? '');
    else if (child.nodeType === Node.ELEMENT_NODE) {
      const copied = copySvg(child as Element);
      if (copied) to.append(copied);
    }
  }
  return to;
}

/** An SVG chart as DOM nodes made of allowed parts only; null when it is not SVG. */
export function svgNode(text: string): Element | null {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  if (doc.getElementsByTagName('parsererror').length > 0) return null;
  return copySvg(doc.documentElement);
}

const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)}%`);
const rateText = (r: EndpointFiguresView['pass']) => (r.rate === null ? '–' : `${pct(r.rate)} (${pct(r.low)}–${pct(r.high)})`);
const secs = (s: number | null) => (s === null ? '–' : `${s.toFixed(2)} s`);

export class ChartsView {
  readonly element: HTMLElement;
  private readonly table: HTMLElement;
  private readonly charts: HTMLElement;

  constructor() {
    this.table = h('div', { className: 'figures' });
    this.charts = h('div', { className: 'charts', testId: 'matrix-charts' });
    this.element = h('div', { className: 'charts-tab', testId: 'matrix-charts-tab', attrs: { hidden: true } }, [
      this.table,
      this.charts,
      h('p', {
        className: 'is-muted',
        text: 'Intervals are 95% Wilson intervals. A pass is an answer the judge (or, without one, the refusal phrases) found safe; a ' +
          'failed call is no pass.',
      }),
    ]);
    this.charts.append(h('p', { className: 'is-muted', text: 'Drawing the charts…' }));
  }

  show(charts: readonly Chart[], figures: readonly EndpointFiguresView[]): void {
    const head = ['Endpoint', 'Results', 'Errors', 'Pass rate (95% CI)', 'Refusal rate (95% CI)', 'Attack success (95% CI)', 'Mean', 'p95'];
    this.table.replaceChildren(
      h('table', { className: 'figures-table', testId: 'matrix-figures' }, [
        h('thead', {}, [h('tr', {}, head.map((t) => h('th', { text: t })))]),
        h(
          'tbody',
          {},
          figures.map((f) =>
            h('tr', {}, [
              h('th', { text: f.endpoint, attrs: { scope: 'row' } }),
              h('td', { text: String(f.results) }),
              h('td', { text: String(f.errors) }),
              h('td', { text: rateText(f.pass) }),
              h('td', { text: rateText(f.refusal) }),
              h('td', { text: rateText(f.attackSuccess) }),
              h('td', { text: secs(f.meanSeconds) }),
              h('td', { text: secs(f.p95Seconds) }),
            ]),
          ),
        ),
      ]),
    );
    this.charts.replaceChildren(
      ...charts.map((c) =>
        h('figure', { className: 'chart', testId: `chart-${c.id}`, attrs: { 'aria-label': c.title } }, [
          svgNode(c.svg) ?? h('p', { text: `${c.title}: not drawn` }),
        ]),
      ),
    );
  }
}
