// The panel's header: which session this is, its prompt pipeline (template
// and context strategy, each changeable and clearable), its judge, and panel
// actions (an attack, scoring the answers so far, export, layout).
import type { SessionInfo } from '../shared/chatProtocol';
import { button, h } from './dom';
import { icon } from './icons';
import type { IconName } from './icons';
import { post } from './vscodeApi';

export type Layout = 'columns' | 'stacked';

export interface HeaderActions {
  toggleLayout(): void;
  clearView(): void;
  showCleared(): void;
}

interface PipelineChip {
  element: HTMLElement;
  /** `detail` follows the name (the strategy's number of earlier prompts). */
  update(value: string | null, detail?: { text: string; title: string }): void;
}

export class Header {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly description: HTMLElement;
  private readonly template: PipelineChip;
  private readonly strategy: PipelineChip;
  private readonly judge: PipelineChip;
  private readonly attack: HTMLButtonElement;
  private readonly stopAll: HTMLButtonElement;
  private readonly showCleared: HTMLButtonElement;
  private readonly layoutToggle: HTMLButtonElement;
  private readonly actions: HTMLButtonElement[];

  constructor(handlers: HeaderActions) {
    this.title = h('h1', { className: 'session-title', testId: 'session-title', text: 'Loading session…' });
    this.description = h('span', { className: 'session-description' });
    this.template = pipelineChip({
      kind: 'template',
      icon: 'template',
      label: 'Template',
      setLabel: 'Set the prompt template',
      clearLabel: 'Clear the prompt template',
      set: () => post({ type: 'command', command: 'setTemplate' }),
      clear: () => post({ type: 'command', command: 'clearTemplate' }),
    });
    this.strategy = pipelineChip({
      kind: 'strategy',
      icon: 'strategy',
      label: 'Strategy',
      setLabel: 'Set the context strategy',
      clearLabel: 'Clear the context strategy',
      set: () => post({ type: 'command', command: 'setStrategy' }),
      clear: () => post({ type: 'command', command: 'clearStrategy' }),
    });
    this.judge = pipelineChip({
      kind: 'judge',
      icon: 'judge',
      label: 'Judge',
      setLabel: 'Set the judge that scores every new answer',
      clearLabel: 'Clear the judge',
      set: () => post({ type: 'command', command: 'setJudge' }),
      clear: () => post({ type: 'command', command: 'clearJudge' }),
    });
    this.attack = button({ label: 'Start an attack: variants of a prompt, sent to every endpoint', text: 'Attack', icon: icon('attack'), testId: 'attack-button', className: 'button secondary small attack-button' });
    this.attack.addEventListener('click', () => post({ type: 'command', command: 'startAttack' }));

    this.stopAll = button({
      label: 'Stop all endpoints',
      text: 'Stop all',
      icon: icon('stop'),
      testId: 'stop-all-button',
      className: 'button secondary small stop-all',
    });
    this.stopAll.addEventListener('click', () => post({ type: 'stop' }));
    const clearView = button({ label: 'Clear view (the history is kept)', icon: icon('clearAll'), testId: 'clear-view-button' });
    clearView.addEventListener('click', () => handlers.clearView());
    this.showCleared = button({
      label: 'Show cleared messages',
      text: 'Show cleared',
      icon: icon('eye'),
      testId: 'show-cleared-button',
      className: 'link-button show-cleared',
    });
    this.showCleared.addEventListener('click', () => handlers.showCleared());
    const scoreButton = button({ label: 'Score the answers so far with a judge', icon: icon('score'), testId: 'score-button' });
    scoreButton.addEventListener('click', () => post({ type: 'command', command: 'scoreRecords' }));
    const exportButton = button({ label: 'Export session', icon: icon('export'), testId: 'export-button' });
    exportButton.addEventListener('click', () => post({ type: 'command', command: 'export' }));
    this.layoutToggle = button({ label: 'Stack the columns', icon: icon('stacked'), testId: 'layout-toggle' });
    this.layoutToggle.addEventListener('click', () => handlers.toggleLayout());
    this.actions = [scoreButton, clearView, exportButton, this.layoutToggle];

    this.element = h('header', { className: 'header' }, [
      h('div', { className: 'session-heading' }, [this.title, this.description]),
      h('div', { className: 'pipeline', attrs: { role: 'group', 'aria-label': 'Prompt pipeline and judge' } }, [this.template.element, this.strategy.element, this.judge.element]),
      h('div', { className: 'header-actions' }, [this.stopAll, this.showCleared, this.attack, h('span', { className: 'action-bar' }, this.actions)]),
    ]);
    this.setStreaming(false);
    this.setHiddenCount(0);
  }

  setSession(session: SessionInfo): void {
    this.title.textContent = session.name;
    this.title.title = `${session.name} (${session.sessionId})`;
    this.description.textContent = session.description;
    this.description.title = session.description;
    this.description.hidden = session.description === '';
    this.template.update(session.promptTemplate);
    const n = session.numOfPrevPrompts;
    this.strategy.update(session.contextStrategy, { text: `last ${n}`, title: `uses the last ${n} prompt${n === 1 ? '' : 's'}` });
    const judge = session.judge;
    this.judge.update(judge?.name ?? null, judge?.judgeEndpoint ? { text: judge.judgeEndpoint, title: `asks the endpoint ${judge.judgeEndpoint}` } : undefined);
  }

  setStreaming(streaming: boolean): void {
    this.stopAll.hidden = !streaming;
    this.stopAll.disabled = !streaming;
  }

  /** The affordance exists only while something is cleared. */
  setHiddenCount(count: number): void {
    this.showCleared.hidden = count === 0;
    if (count === 0) this.showCleared.remove();
    else if (!this.showCleared.isConnected) this.stopAll.after(this.showCleared);
    const text = count === 1 ? 'Show 1 cleared' : `Show ${count} cleared`;
    const label = count === 1 ? 'Show the 1 cleared prompt' : `Show the ${count} cleared prompts`;
    this.showCleared.querySelector('.button-text')!.textContent = text;
    this.showCleared.setAttribute('aria-label', label);
    this.showCleared.title = label;
  }

  setLayout(layout: Layout): void {
    const next = layout === 'columns' ? 'stacked' : 'columns';
    const label = next === 'stacked' ? 'Stack the columns (one under another)' : 'Show the columns side by side';
    this.layoutToggle.replaceChildren(icon(next));
    this.layoutToggle.setAttribute('aria-label', label);
    this.layoutToggle.title = label;
  }

  /** A deleted session can only be looked at. */
  setDeleted(): void {
    this.title.classList.add('is-deleted');
    if (this.title.textContent === 'Loading session…') this.title.textContent = 'This session was deleted';
    this.title.title = `${this.title.textContent} (deleted)`;
    this.element.querySelectorAll('button').forEach((el) => {
      if (el.dataset.testid !== 'layout-toggle') el.disabled = true;
    });
  }
}

interface ChipOptions {
  kind: 'template' | 'strategy' | 'judge';
  icon: IconName;
  label: string;
  setLabel: string;
  clearLabel: string;
  set(): void;
  clear(): void;
}

/** "Template: <name> ×": the chip changes the setting, the × clears it (present only when set). */
function pipelineChip(options: ChipOptions): PipelineChip {
  const value = h('span', { className: 'chip-value' });
  const detail = h('span', { className: 'chip-detail', testId: `${options.kind}-detail` });
  const main = button({ label: options.setLabel, icon: icon(options.icon), testId: `${options.kind}-button`, className: 'chip-main' });
  main.append(h('span', { className: 'chip-label', text: options.label }), value, detail);
  main.addEventListener('click', options.set);
  const clear = button({ label: options.clearLabel, icon: icon('close'), testId: `clear-${options.kind}-button`, className: 'chip-clear' });
  clear.addEventListener('click', options.clear);
  const element = h('div', { className: `chip chip-${options.kind}` }, [main]);
  return {
    element,
    update(current, more) {
      element.classList.toggle('is-set', current !== null);
      value.textContent = current ?? 'none';
      value.className = current === null ? 'chip-value is-none' : 'chip-value badge';
      const shown = current !== null && more !== undefined;
      detail.hidden = !shown;
      detail.textContent = shown ? more.text : '';
      detail.title = shown ? more.title : '';
      const label =
        current === null ? `${options.setLabel} (none set)` : `${options.setLabel} (now ${current}${shown ? `, ${more.title}` : ''})`;
      main.setAttribute('aria-label', label);
      main.title = label;
      if (current === null) clear.remove();
      else if (!clear.isConnected) element.append(clear);
    },
  };
}
