// The chat panel's webview in Chromium (playwright-core, the same browser
// the E2E tests use): time to draw a 4 x 10,000-record session, and frame
// times while scrolling back through older pages. Only the newest page of
// rows is drawn at first; older pages arrive as the user scrolls up, from
// the host's own pager (the real code, answering the webview's requests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostMessage, InitMessage } from '../src/shared/chatProtocol';
import type { RowPager } from '../src/vscode/chatPanelData';
import { launchHeadlessChromium } from './headlessChromium';

export interface PanelRenderResult {
  renderMs: number;
  rows: number;
  scrollFrames: number;
  p95FrameMs: number;
  maxFrameMs: number;
  loadedPages: number;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? NaN;
};

export async function measurePanelRender(init: InitMessage, pager: RowPager, chromium: string): Promise<PanelRenderResult> {
  const browser = await launchHeadlessChromium(chromium);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // The host's answer to "load earlier", computed here as the real host does.
    await page.exposeFunction('__older', async (requestId: number): Promise<HostMessage> => ({
      type: 'reply',
      requestId,
      outcome: { ok: true, page: await pager.nextPage() },
    }));
    const root = join(__dirname, '..', '..');
    await page.setContent(
      `<!DOCTYPE html><html><head><style>${readFileSync(join(root, 'media', 'chat.css'), 'utf8')}</style></head><body><div ` +
        `id="app"></div></body></html>`,
    );
    // The stand-in for VS Code's webview API, defined before the panel's script runs.
    await page.evaluate(() => {
      const w = window as unknown as Record<string, unknown>;
      let state: unknown;
      w.__loaded = 0;
      w.acquireVsCodeApi = () => ({
        postMessage: async (m: { type: string; requestId?: number }) => {
          if (m.type === 'loadOlder') {
            const answer = await (w.__older as (id: number) => Promise<unknown>)(m.requestId ?? 0);
            w.__loaded = (w.__loaded as number) + 1;
            window.postMessage(answer, '*');
          }
        },
        getState: () => state,
        setState: (s: unknown) => (state = s),
      });
    });
    // The highlighter first, as a panel has it once its first code block has fetched it.
    await page.addScriptTag({ content: readFileSync(join(root, 'out', 'webview-highlight.js'), 'utf8') });
    await page.addScriptTag({ content: readFileSync(join(root, 'out', 'webview.js'), 'utf8') });

    const renderMs = await page.evaluate(async (message) => {
      const t0 = performance.now();
      window.postMessage(message, '*');
      await new Promise<void>((resolve) => {
        const check = () => (document.querySelectorAll('[data-testid=exchange]').length > 0 ? resolve() : requestAnimationFrame(check));
        check();
      });
      // One more frame: the drawn frame, not just the DOM.
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    }, init);
    const rows = await page.locator('[data-testid=row]').count();

    // Scroll the rows back through the history, as a person dragging up would.
    const frames = await page.evaluate(async () => {
      const grid = document.querySelector('[data-testid=grid]');
      const scroller = [grid, ...(grid?.querySelectorAll('*') ?? [])].find(
        (el) => el && el.scrollHeight > el.clientHeight + 10 && getComputedStyle(el).overflowY !== 'visible',
      ) as HTMLElement | undefined;
      if (!scroller) return [] as number[];
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 240; i++) {
        scroller.scrollTop = Math.max(0, scroller.scrollTop - 400);
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      return times;
    });
    const loadedPages = (await page.evaluate(() => (window as unknown as { __loaded: number }).__loaded)) ?? 0;
    return {
      renderMs,
      rows,
      scrollFrames: frames.length,
      p95FrameMs: percentile(frames, 95),
      maxFrameMs: Math.max(...frames, 0),
      loadedPages,
    };
  } finally {
    await browser.close();
  }
}
