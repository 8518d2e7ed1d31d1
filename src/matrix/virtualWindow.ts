// Which rows of a long list are in the DOM: those in the viewport and a few
// on either side, all of one fixed height, so that 10,000 rows cost what
// thirty do. Pure arithmetic (unit-tested).

export interface WindowRange {
  /** The first position drawn. */
  start: number;
  /** One past the last position drawn. */
  end: number;
}

/**
 * The positions to draw for a scroll offset: those the viewport shows,
 * `overscan` more on each side, clamped to the list. A negative or too
 * large offset (an elastic scroll, a list that just shrank) is clamped too.
 */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan = 4): WindowRange {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const maxTop = Math.max(0, count * rowHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight);
  return { start: Math.max(0, first - overscan), end: Math.min(count, last + overscan) };
}

/** The scroll offset that brings a position into view with the least movement (unchanged when it is in view). */
export function scrollToReveal(position: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = position * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/** The height of the whole list: what the scroll bar measures. */
export const listHeight = (count: number, rowHeight: number): number => Math.max(0, count) * rowHeight;
