// One chat's answer to a prompt (a ChatRecord) as DOM: the answer as
// markdown or an error card, then its meta line and actions. The prompt
// itself is the row's (see row.ts). Buttons carry data-action; the grid
// handles clicks for all of them.
import type { ChatRecord, MetricResult } from '../core/schemas';
import { metricBadge } from '../core/scoreText';
import { button, h } from './dom';
import { formatDuration, formatPromptTime, formatUsage } from './format';
import { icon } from './icons';
import { showAnswer } from './highlightLoader';

/** Prompts longer than this start collapsed, so one long jailbreak does not push the answers away. */
const LONG_PROMPT_CHARS = 600;
const LONG_PROMPT_LINES = 8;

export function renderPromptBubble(prompt: string): HTMLElement {
  const bubble = h('div', { className: 'prompt-bubble', testId: 'prompt', text: prompt });
  const long = prompt.length > LONG_PROMPT_CHARS || prompt.split('\n', LONG_PROMPT_LINES + 1).length > LONG_PROMPT_LINES;
  if (!long) return bubble;
  bubble.classList.add('is-collapsible', 'is-collapsed');
  return h('div', { className: 'prompt-wrap' }, [
    bubble,
    button({
      label: 'Show more of the prompt',
      text: 'Show more',
      action: 'toggle-prompt',
      className: 'link-button',
      attrs: { 'aria-expanded': 'false' },
    }),
  ]);
}

const BADGE_LABELS = { template: 'Prompt template', strategy: 'Context strategy', attack: 'Made by the attack' } as const;

export function badge(kind: keyof typeof BADGE_LABELS, name: string): HTMLElement {
  return h('span', { className: `badge badge-${kind}`, testId: `badge-${kind}`, attrs: { title: `${BADGE_LABELS[kind]}: ${name}` } }, [icon(kind), h('span', { text: name })]);
}

/** A judge's verdict on an answer: "refused", "harm 7/10", "judge error"; the judge's reason (model text) in its tooltip, as text. */
export function verdictBadge(metric: MetricResult): HTMLElement {
  const b = metricBadge(metric);
  return h(
    'span',
    {
      className: `verdict verdict-${b.tone}`,
      testId: 'verdict-badge',
      attrs: { title: b.title, 'aria-label': `Judge ${metric.name}: ${b.text}`, 'data-metric': metric.name, 'data-tone': b.tone },
    },
    [icon(b.tone === 'error' ? 'warning' : 'judge'), h('span', { className: 'verdict-text', text: b.text })],
  );
}

/** Shows a new score on an answer already on screen, in place (the answer is not rendered again). */
export function setVerdict(exchange: Element, metric: MetricResult): void {
  const next = verdictBadge(metric);
  const old = exchange.querySelector(':scope > .answer > .answer-footer > .verdict');
  if (old) old.replaceWith(next);
  else exchange.querySelector(':scope > .answer > .answer-footer')?.prepend(next);
}

export interface RenderOptions {
  /** The element the answer streamed into: it becomes this answer's, so nothing on screen is rebuilt. */
  response?: HTMLElement;
}

/** How a failed or stopped attempt is named where it is folded away: "cancelled", "failed: HTTP 500 …". */
export function attemptOutcome(record: ChatRecord): string {
  if (record.error === null) return '';
  if (record.error === 'cancelled') return 'cancelled';
  const reason = record.error.length > 80 ? `${record.error.slice(0, 79)}…` : record.error;
  return `failed: ${reason}`;
}

export function renderExchange(chatId: string, record: ChatRecord, options: RenderOptions = {}): HTMLElement {
  const answer = h('div', { className: 'answer' });
  if (record.error !== null) answer.append(renderErrorCard(record.error));
  const hasText = record.predicted_result !== '';
  if (hasText || record.error === null) {
    const response = options.response ?? h('div');
    response.className = 'response markdown';
    response.dataset.testid = 'response';
    for (const name of ['aria-busy', 'aria-label']) response.removeAttribute(name);
    if (hasText) {
      // Ids alone could repeat if a history is rewritten; time and length make the key specific.
      const key = `${chatId}\u0000${record.chat_record_id}\u0000${record.prompt_time}\u0000${record.predicted_result.length}`;
      showAnswer(response, key, record.predicted_result);
    } else response.replaceChildren(h('p', { className: 'empty-answer', text: 'The endpoint returned an empty answer.' }));
    answer.append(response);
  } else options.response?.remove();
  answer.append(renderFooter(record, hasText));
  return h('article', { className: 'exchange', testId: 'exchange', attrs: { 'data-record-id': record.chat_record_id } }, [answer]);
}

function renderErrorCard(reason: string): HTMLElement {
  // "cancelled" is a person pressing Stop, not the endpoint failing: said without alarm.
  const stopped = reason === 'cancelled';
  const title = stopped ? 'Stopped' : 'Request failed';
  return h('div', { className: stopped ? 'error-card stopped' : 'error-card', testId: 'error-card', attrs: { role: 'group', 'aria-label': title } }, [
    h('div', { className: 'error-title' }, [icon(stopped ? 'stop' : 'error'), h('span', { text: title })]),
    h('div', { className: 'error-reason', text: reason }),
    button({ label: 'Retry this prompt on this endpoint', text: 'Retry', icon: icon('retry'), action: 'retry', testId: 'retry-button', className: 'button secondary small' }),
  ]);
}

function renderFooter(record: ChatRecord, hasText: boolean): HTMLElement {
  const parts: HTMLElement[] = [];
  if (record.duration) parts.push(h('span', { text: formatDuration(record.duration), attrs: { title: `Duration: ${record.duration}` } }));
  if (record.prompt_time)
    parts.push(h('span', { text: formatPromptTime(record.prompt_time), attrs: { title: `Sent ${record.prompt_time}` } }));
  if (record.usage) {
    const usage = formatUsage(record.usage);
    parts.push(h('span', { className: 'usage', text: usage.text, attrs: { title: usage.title } }));
  }
  const meta = h('div', { className: 'meta', testId: 'meta', attrs: { title: `Record #${record.chat_record_id}` } });
  parts.forEach((part, i) => {
    if (i > 0) meta.append(h('span', { className: 'meta-sep', text: '·', attrs: { 'aria-hidden': 'true' } }));
    meta.append(part);
  });
  const footer = h('div', { className: 'answer-footer' }, [record.metric ? verdictBadge(record.metric) : null, meta]);
  if (record.prepared_prompt && record.prepared_prompt !== record.prompt) {
    footer.append(
      button({
        label: 'Show the prepared prompt (what the endpoint received after the template and context strategy)',
        text: 'Prepared prompt',
        icon: icon('chevron'),
        action: 'toggle-prepared',
        testId: 'prepared-toggle',
        className: 'link-button prepared-toggle',
        attrs: { 'aria-expanded': 'false' },
      }),
    );
  }
  const actions: HTMLElement[] = [];
  if (hasText) {
    actions.push(
      button({ label: 'Copy', icon: icon('copy'), action: 'copy', testId: 'copy-button' }),
      button({ label: 'Copy as Markdown', icon: icon('markdown'), action: 'copy-markdown', testId: 'copy-markdown-button' }),
      button({ label: 'Insert into editor', icon: icon('insert'), action: 'insert', testId: 'insert-button' }),
    );
  }
  // An empty answer is a finding too; a failed call is not an answer.
  if (hasText || record.error === null) actions.push(button({ label: 'Bookmark this answer', icon: icon('bookmark'), action: 'bookmark', testId: 'bookmark-button' }));
  if (actions.length > 0) footer.append(h('div', { className: 'answer-actions', attrs: { role: 'group', 'aria-label': 'Answer actions' } }, actions));
  return footer;
}

let preparedIds = 0;

/** Expands or collapses the prepared prompt, building it on first use: most are never opened. */
export function togglePrepared(exchange: HTMLElement, toggle: HTMLElement, record: ChatRecord): void {
  let panel = exchange.querySelector<HTMLElement>('.prepared-prompt');
  if (!panel) {
    panel = h('pre', { className: 'prepared-prompt', testId: 'prepared-prompt', text: record.prepared_prompt, attrs: { hidden: true } });
    panel.id = `prepared-${++preparedIds}`;
    toggle.setAttribute('aria-controls', panel.id);
    exchange.querySelector('.answer-footer')?.after(panel);
  }
  const open = panel.hidden;
  panel.hidden = !open;
  toggle.setAttribute('aria-expanded', String(open));
  toggle.classList.toggle('is-open', open);
}

/** Expands or collapses what an attack's variant was made from, under the row's prompt; built on first use. */
export function toggleOriginal(toggle: HTMLElement, original: string): void {
  const host = toggle.closest('.row-prompt');
  if (!host) return;
  let panel = host.querySelector<HTMLElement>(':scope > .original-prompt');
  if (!panel) {
    panel = h('pre', { className: 'original-prompt', testId: 'original-prompt', text: original, attrs: { hidden: true } });
    panel.id = `original-${++preparedIds}`;
    toggle.setAttribute('aria-controls', panel.id);
    host.append(panel);
  }
  const open = panel.hidden;
  panel.hidden = !open;
  toggle.setAttribute('aria-expanded', String(open));
  toggle.classList.toggle('is-open', open);
}

/** The row's "Original prompt" button, for a variant made from another prompt. */
export function originalToggle(): HTMLElement {
  return button({
    label: 'Show the original prompt this variant was made from',
    text: 'Original prompt',
    icon: icon('chevron'),
    action: 'toggle-original',
    testId: 'original-toggle',
    className: 'link-button prepared-toggle original-toggle',
    attrs: { 'aria-expanded': 'false' },
  });
}

export function togglePrompt(toggle: HTMLElement): void {
  const bubble = toggle.parentElement?.querySelector('.prompt-bubble');
  if (!bubble) return;
  const collapsed = bubble.classList.toggle('is-collapsed');
  toggle.setAttribute('aria-expanded', String(!collapsed));
  const text = toggle.querySelector('.button-text');
  if (text) text.textContent = collapsed ? 'Show more' : 'Show less';
  const label = collapsed ? 'Show more of the prompt' : 'Show less of the prompt';
  toggle.setAttribute('aria-label', label);
  toggle.setAttribute('title', label);
}
