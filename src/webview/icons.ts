// Line icons drawn in the style of VS Code's codicons. The codicon font is
// not shipped with the extension, and SVG built here (not loaded as an image)
// stays within the CSP.

type Shape = readonly [tag: 'path' | 'rect' | 'circle', attrs: Readonly<Record<string, string>>];

const p = (d: string): Shape => ['path', { d }];

const ICONS = {
  copy: [['rect', { x: '8', y: '8', width: '13', height: '13', rx: '2' }], p('M16 8V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v9a2 2 0 0 0 2 2h3')],
  markdown: [
    ['rect', { x: '2', y: '5', width: '20', height: '14', rx: '2' }],
    p('M6 15V9l3 3 3-3v6'),
    p('M17 9v6'),
    p('M14.5 12.5 17 15l2.5-2.5'),
  ],
  insert: [p('M12 3v11'), p('m7.5 9.5 4.5 4.5 4.5-4.5'), p('M4 16v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3')],
  check: [p('M20 6 9 17l-5-5')],
  stop: [['rect', { x: '6', y: '6', width: '12', height: '12', rx: '2', class: 'icon-fill' }]],
  send: [p('M4 12 3 4l18 8-18 8 1-8z'), p('M4 12h8')],
  retry: [p('M3 12a9 9 0 1 0 2.6-6.4L3 8'), p('M3 3v5h5')],
  columns: [['rect', { x: '3', y: '4', width: '18', height: '16', rx: '2' }], p('M9 4v16'), p('M15 4v16')],
  stacked: [['rect', { x: '3', y: '4', width: '18', height: '16', rx: '2' }], p('M3 9.5h18'), p('M3 14.5h18')],
  export: [p('M12 15V3'), p('m7 8 5-5 5 5'), p('M5 14v5a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-5')],
  template: [
    p('M8 3H7a2 2 0 0 0-2 2v5a2 2 0 0 1-2 2 2 2 0 0 1 2 2v5a2 2 0 0 0 2 2h1'),
    p('M16 21h1a2 2 0 0 0 2-2v-5a2 2 0 0 1 2-2 2 2 0 0 1-2-2V5a2 2 0 0 0-2-2h-1'),
  ],
  strategy: [p('M12 2 2 7l10 5 10-5-10-5z'), p('m2 17 10 5 10-5'), p('m2 12 10 5 10-5')],
  clearAll: [p('M3 6h14'), p('M3 12h9'), p('M3 18h9'), p('m15 13 6 6'), p('m21 13-6 6')],
  eye: [p('M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z'), ['circle', { cx: '12', cy: '12', r: '3' }]],
  close: [p('M18 6 6 18'), p('m6 6 12 12')],
  chevron: [p('m9 18 6-6-6-6')],
  warning: [p('M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z'), p('M12 9v4'), p('M12 17h.01')],
  error: [['circle', { cx: '12', cy: '12', r: '10' }], p('m15 9-6 6'), p('m9 9 6 6')],
  info: [['circle', { cx: '12', cy: '12', r: '10' }], p('M12 16v-4'), p('M12 8h.01')],
  clock: [['circle', { cx: '12', cy: '12', r: '9' }], p('M12 7v5l3 2')],
  arrowDown: [p('M12 5v14'), p('m19 12-7 7-7-7')],
  history: [p('M3 12a9 9 0 1 0 9-9 9.7 9.7 0 0 0-6.7 2.7L3 8'), p('M3 3v5h5'), p('M12 7v5l4 2')],
  attack: [['circle', { cx: '12', cy: '12', r: '9' }], ['circle', { cx: '12', cy: '12', r: '4.5' }], p('M12 1.5v4'), p('M12 18.5v4'), p('M1.5 12h4'), p('M18.5 12h4')],
  judge: [p('M12 3v18'), p('M7 21h10'), p('M4 7h16'), p('m4 7-3 7a3.5 3.5 0 0 0 6 0L4 7z'), p('m20 7-3 7a3.5 3.5 0 0 0 6 0l-3-7z')],
  bookmark: [p('M6 3h12a1 1 0 0 1 1 1v17l-7-4.5L5 21V4a1 1 0 0 1 1-1z')],
  score: [p('M10 6h11'), p('M10 12h11'), p('M10 18h11'), p('m3 6 1.5 1.5L7 5'), p('m3 12 1.5 1.5L7 11'), p('m3 18 1.5 1.5L7 17')],
} satisfies Record<string, readonly Shape[]>;

export type IconName = keyof typeof ICONS;

const SVG_NS = 'http://www.w3.org/2000/svg';
const built = new Map<IconName, SVGSVGElement>();

/** A fresh copy of a prebuilt icon: cloning is much cheaper than building per use. */
export function icon(name: IconName): SVGSVGElement {
  let svg = built.get(name);
  if (!svg) {
    svg = document.createElementNS(SVG_NS, 'svg');
    for (const [k, v] of Object.entries(SVG_ATTRS)) svg.setAttribute(k, v);
    svg.setAttribute('class', `icon icon-${name}`);
    for (const [tag, attrs] of ICONS[name] as readonly Shape[]) {
      const shape = document.createElementNS(SVG_NS, tag);
      for (const [k, v] of Object.entries(attrs)) shape.setAttribute(k, v);
      svg.append(shape);
    }
    built.set(name, svg);
  }
  return svg.cloneNode(true) as SVGSVGElement;
}

const SVG_ATTRS: Record<string, string> = {
  viewBox: '0 0 24 24',
  width: '16',
  height: '16',
  fill: 'none',
  stroke: 'currentColor',
  'stroke-width': '1.6',
  'stroke-linecap': 'round',
  'stroke-linejoin': 'round',
  'aria-hidden': 'true',
  focusable: 'false',
};
