// A chat's column header, sticky above the rows: the endpoint's name and
// model, a mark when the endpoint is no longer configured, what the chat is
// doing now (generating, prompts queued) and its Stop button; under the
// title, the chat's summary (answers, refusals, attack success rate ...).
import type { ChatSummary } from '../core/schemas';
import { summaryParts } from '../core/scoreText';
import type { Column } from '../shared/chatProtocol';
import { button, h } from './dom';
import { icon } from './icons';

export function columnLabel(column: Column): string {
  return column.model ? `${column.endpointName} (${column.model})` : column.endpointName;
}

export class ColumnHeader {
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly summary: HTMLElement;
  private summaryKey = '';
  private running = false;
  private queued = 0;

  constructor(readonly column: Column) {
    const name = columnLabel(column);
    const title = h('div', { className: 'column-title', testId: 'column-title', attrs: { title: name } }, [
      column.missing
        ? h(
          'span',
          {
            className: 'missing-mark',
            testId: 'column-missing',
            attrs: {
              title: 'This endpoint is no longer configured: its history is shown, new prompts will fail',
              role: 'img',
              'aria-label': 'Endpoint missing',
            },
          },
          [icon('warning')],
        )
        : null,
      h('span', { className: 'title-text' }, [
        h('span', { className: 'endpoint-name', text: column.endpointName }),
        column.model ? h('span', { className: 'model-name', text: column.model }) : null,
      ]),
    ]);
    this.status = h('span', { className: 'column-status', testId: 'column-status' });
    this.stopButton = button({
      label: `Stop ${column.endpointName}`,
      text: 'Stop',
      icon: icon('stop'),
      action: 'stop',
      testId: 'stop-button',
      className: 'button secondary small stop-button',
    });
    this.stopButton.hidden = true;
    this.summary = h('div', { className: 'column-summary', testId: 'column-summary', attrs: { 'aria-label': `Summary of ${column.endpointName}` } });
    this.summary.hidden = true;
    this.element = h('div', { className: 'column-header', testId: 'column', attrs: { 'data-chat-id': column.chatId, role: 'columnheader', 'aria-label': name } }, [
      h('div', { className: 'column-top' }, [title, this.status, this.stopButton]),
      this.summary,
    ]);
    if (column.missing) this.element.classList.add('is-missing');
  }

  /** The chat's figures; nothing until it has a record. */
  setSummary(summary: ChatSummary | undefined): void {
    const parts = summary && summary.answers + summary.errors > 0 ? summaryParts(summary) : [];
    const key = JSON.stringify(parts);
    if (key === this.summaryKey) return;
    this.summaryKey = key;
    this.summary.replaceChildren(...parts.map((p) => h('span', { className: `summary-part summary-${p.key}`, testId: `summary-${p.key}`, text: p.text, attrs: { title: p.title } })));
    this.summary.hidden = parts.length === 0;
  }

  /** What the chat does now: answering (running) and how many prompts wait behind it. */
  setActivity(running: boolean, queued: number): void {
    if (running === this.running && queued === this.queued) return;
    this.running = running;
    this.queued = queued;
    const parts: Node[] = [];
    if (running) parts.push(h('span', { className: 'spinner' }), h('span', { className: 'status-text', text: 'Generating' }));
    if (queued > 0)
      parts.push(
        h('span', {
          className: 'queued-count',
          text: `${queued} queued`,
          attrs: { title: `${queued} prompt${queued === 1 ? '' : 's'} waiting for this endpoint` },
        }),
      );
    this.status.replaceChildren(...parts);
    this.element.classList.toggle('is-streaming', running);
    const busy = running || queued > 0;
    if (!busy && this.stopButton === document.activeElement) (this.element.closest('[tabindex]') as HTMLElement | null)?.focus();
    this.stopButton.hidden = !busy;
  }
}
