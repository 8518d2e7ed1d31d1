// The bar under the header while an attack runs on the session (from the
// panel, the command palette or the local API): its chain, "12 of 40
// answers" with a progress bar, and Cancel. Once it ends it says how (done,
// cancelled, failed and why) until dismissed; a finished one goes by itself.
import type { Attack } from '../core/schemas';
import { attackOutcomeText, attackProgressText, chainText } from '../shared/attackProgress';
import { button, h } from './dom';
import { icon } from './icons';
import { post } from './vscodeApi';

/** A bar saying "done" goes after this long; one saying cancelled or failed stays until dismissed. */
const DONE_SHOWN_MS = 8000;

export class AttackBar {
  readonly element: HTMLElement;
  private readonly chain: HTMLElement;
  private readonly status: HTMLElement;
  private readonly progress: HTMLProgressElement;
  private readonly cancel: HTMLButtonElement;
  private readonly dismiss: HTMLButtonElement;
  private attackId: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.chain = h('span', { className: 'attack-chain', testId: 'attack-chain' });
    this.status = h('span', { className: 'attack-status', testId: 'attack-status', attrs: { 'aria-live': 'polite' } });
    this.progress = h('progress', { className: 'attack-progress', testId: 'attack-progress', attrs: { 'aria-label': 'Attack progress' } });
    this.cancel = button({ label: 'Cancel the attack (answers already made stay)', text: 'Cancel', icon: icon('stop'), testId: 'attack-cancel', className: 'button secondary small' });
    this.cancel.addEventListener('click', () => {
      if (!this.attackId) return;
      this.cancel.disabled = true;
      post({ type: 'cancelAttack', attackId: this.attackId });
    });
    this.dismiss = button({ label: 'Dismiss', icon: icon('close'), testId: 'attack-dismiss', className: 'icon-button' });
    this.dismiss.addEventListener('click', () => this.hide());
    this.element = h('div', { className: 'attack-bar', testId: 'attack-bar', attrs: { role: 'status', 'aria-label': 'Attack' } }, [
      icon('attack'),
      h('span', { className: 'attack-label', text: 'Attack' }),
      this.chain,
      this.progress,
      this.status,
      this.cancel,
      this.dismiss,
    ]);
    this.element.hidden = true;
  }

  show(attack: Attack): void {
    clearTimeout(this.timer);
    const fresh = attack.attack_id !== this.attackId;
    this.attackId = attack.attack_id;
    const running = attack.status === 'running';
    this.element.hidden = false;
    this.element.dataset.status = attack.status;
    this.chain.textContent = chainText(attack);
    this.chain.title = `${chainText(attack)}, from: ${attack.original_prompt.slice(0, 300)}`;
    this.status.textContent = running ? attackProgressText(attack) : attackOutcomeText(attack);
    this.status.title = this.status.textContent;
    // No value: the browser shows an indeterminate bar (the attacker is still writing the variants).
    if (attack.total > 0) {
      this.progress.max = attack.total;
      this.progress.value = attack.done;
    } else this.progress.removeAttribute('value');
    this.progress.hidden = !running && attack.total === 0;
    this.cancel.hidden = !running;
    if (fresh || !running) this.cancel.disabled = !running;
    this.dismiss.hidden = running;
    if (attack.status === 'done') this.timer = setTimeout(() => this.hide(), DONE_SHOWN_MS);
  }

  /** The attack's session was deleted: nothing can be cancelled any more. */
  setDeleted(): void {
    this.cancel.disabled = true;
  }

  private hide(): void {
    clearTimeout(this.timer);
    this.element.hidden = true;
  }
}
