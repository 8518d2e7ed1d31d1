// The pane a cell opens: the whole exchange of that cell (the row, what was
// sent, the answer, the judge's verdict and reason, the baseline's outcome,
// a loop's turns). Everything is plain text in <pre> blocks: the answer is
// an LLM's and is shown, never interpreted.
import { h } from '../webview/dom';
import type { Exchange } from '../shared/matrixProtocol';
import { latencyText } from './model';

export interface DetailEvents {
  close(): void;
  copy(text: string): void;
}

function block(label: string, text: string, testId?: string): HTMLElement {
  return h('section', { className: 'detail-block' }, [
    h('h3', { text: label }),
    h('pre', { className: 'detail-text', text, ...(testId ? { testId } : {}) }),
  ]);
}

function facts(pairs: [string, string | null | undefined][]): HTMLElement {
  return h(
    'dl',
    { className: 'detail-facts' },
    pairs
      .filter(([, v]) => v !== null && v !== undefined && v !== '')
      .flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v as string })]),
  );
}

export class DetailPane {
  readonly element: HTMLElement;
  private readonly content: HTMLElement;
  private readonly heading: HTMLElement;

  constructor(private readonly events: DetailEvents) {
    this.heading = h('h2', { className: 'detail-title', testId: 'detail-title' });
    const close = h('button', {
      className: 'icon-button',
      testId: 'detail-close',
      text: '✕',
      attrs: { type: 'button', title: 'Close (Escape)', 'aria-label': 'Close' },
    });
    close.addEventListener('click', () => this.events.close());
    this.content = h('div', { className: 'detail-content' });
    this.element = h(
      'aside',
      { className: 'detail', testId: 'matrix-detail', attrs: { hidden: true, 'aria-label': 'The whole exchange', tabindex: -1 } },
      [h('div', { className: 'detail-header' }, [this.heading, close]), this.content],
    );
    this.element.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.events.close();
    });
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  loading(title: string): void {
    this.element.hidden = false;
    this.heading.textContent = title;
    this.content.replaceChildren(h('p', { className: 'is-muted', text: 'Loading…' }));
  }

  failed(message: string): void {
    this.content.replaceChildren(h('p', { className: 'notice is-error', text: message }));
  }

  hide(): void {
    this.element.hidden = true;
    this.content.replaceChildren();
  }

  show(x: Exchange): void {
    this.element.hidden = false;
    this.heading.textContent = `${x.rowId} · ${x.endpointName}${x.attack ? ` · ${x.attack}` : ''}`;
    const copy = h('button', {
      className: 'button secondary small',
      testId: 'detail-copy',
      text: 'Copy answer',
      attrs: { type: 'button' },
    });
    copy.addEventListener('click', () => this.events.copy(x.error ?? x.answer));
    const metric = x.metric;
    const children: (HTMLElement | null)[] = [
      h('div', { className: 'detail-badges' }, [
        h('span', { className: `badge tone-${x.badge.tone}`, text: x.badge.text }),
        h('span', { className: `outcome is-${x.outcome}`, testId: 'detail-outcome', text: x.outcome }),
        x.baseline
          ? h('span', {
            className: `change is-${x.baseline.change}`,
            testId: 'detail-baseline',
            text:
                x.baseline.change === 'unchanged'
                  ? `baseline: ${x.baseline.outcome} (unchanged)`
                  : `${x.baseline.change}: was ${x.baseline.outcome}`,
          })
          : null,
        copy,
      ]),
      facts([
        ['Category', x.category],
        ['Latency', latencyText(Math.round(x.seconds * 1000))],
        ['Tokens', x.tokens === null ? null : String(x.tokens)],
        ['Sent', x.promptTime],
        ['Variant', x.variant > 0 ? String(x.variant + 1) : null],
        ['Stopped', x.stopReason?.replace(/_/g, ' ')],
      ]),
      block('Dataset row', x.input),
      x.target !== null ? block('Target', x.target) : null,
      x.prompt !== x.input ? block('Prompt sent', x.prompt) : null,
      x.preparedPrompt !== null && x.preparedPrompt !== x.prompt ? block('As prepared (template, context)', x.preparedPrompt) : null,
      x.error !== null ? block('Error', x.error, 'detail-error') : block('Answer', x.answer, 'detail-answer'),
      metric
        ? h('section', { className: 'detail-block' }, [
          h('h3', { text: `Judge: ${metric.name}` }),
          facts([
            ['Verdict', metric.verdict],
            ['Score', metric.score === null ? null : String(metric.score)],
            ['Judge model', metric.judgeEndpoint],
            ['Judge error', metric.error],
          ]),
          metric.reason ? h('pre', { className: 'detail-text', text: metric.reason }) : null,
        ])
        : null,
    ];
    if (x.turns.length > 0) {
      children.push(
        h('section', { className: 'detail-block' }, [
          h('h3', { text: `Turns (${x.turns.length})` }),
          h(
            'ol',
            { className: 'detail-turns' },
            x.turns.map((t) =>
              h('li', {}, [
                h('div', { className: 'cell-line' }, [
                  h('strong', { text: `Turn ${t.turn}` }),
                  t.verdict ? h('span', { className: 'badge tone-neutral', text: t.verdict }) : null,
                  h('span', { className: 'latency', text: latencyText(Math.round(t.seconds * 1000)) }),
                ]),
                h('pre', { className: 'detail-text is-prompt', text: t.prompt }),
                h('pre', { className: 'detail-text', text: t.error ?? t.answer }),
              ]),
            ),
          ),
        ]),
      );
    }
    this.content.replaceChildren(...children.filter((c): c is HTMLElement => c !== null));
    this.content.scrollTop = 0;
  }
}
