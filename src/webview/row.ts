// One prompt as a row: the prompt once, then one cell per chat with that
// chat's answers, side by side (or one under another when stacked). The
// cells of a row share its height, so every row starts at the same line in
// all columns.
import type { ChatRecord, MetricResult } from '../core/schemas';
import type { Column, PromptRow } from '../shared/chatProtocol';
import { CellView } from './cell';
import { h } from './dom';
import { badge, originalToggle, renderPromptBubble } from './exchange';
import type { LiveState } from './streaming';

/** What an attack's variant comes from. */
export interface AttackOrigin {
  module: string;
  originalPrompt: string | undefined;
}

export class RowView {
  readonly element: HTMLElement;
  readonly key: string;
  readonly promptId: string | null;
  readonly prompt: string;
  private readonly cellsEl: HTMLElement;
  private readonly cells = new Map<string, CellView>();
  private readonly tags: HTMLElement;
  /** Prompt calls in flight for this row (the first send, Retries), each with the chats yet to answer. */
  private readonly calls: Set<string>[] = [];
  /** The records of a row not built yet (far from the view): its cells are made when it comes near. */
  private unbuilt: Map<string, ChatRecord[]> | undefined;
  /** The attack that made this prompt, as announced before any record says so. */
  private announced: AttackOrigin | undefined;

  constructor(
    row: Pick<PromptRow, 'key' | 'promptId' | 'prompt'> & Partial<Pick<PromptRow, 'cells'>>,
    private readonly columns: readonly Column[],
    lazy = false,
  ) {
    this.key = row.key;
    this.promptId = row.promptId;
    this.prompt = row.prompt;
    this.tags = h('div', { className: 'request-tags' });
    this.cellsEl = h('div', { className: 'row-cells' });
    this.element = h('section', { className: 'row', testId: 'row', attrs: { 'aria-label': `Prompt: ${row.prompt.slice(0, 80)}` } }, [
      h('div', { className: 'row-prompt' }, [renderPromptBubble(row.prompt), this.tags]),
      this.cellsEl,
    ]);
    if (row.promptId) this.element.dataset.promptId = row.promptId;
    this.unbuilt = new Map(Object.entries(row.cells ?? {}));
    if (lazy) this.element.classList.add('is-unbuilt');
    else this.build();
    this.renderTags();
  }

  get built(): boolean {
    return this.unbuilt === undefined;
  }

  /** Makes the cells (and renders their answers), once. */
  build(): void {
    const records = this.unbuilt;
    if (!records) return;
    this.unbuilt = undefined;
    this.element.classList.remove('is-unbuilt');
    for (const c of this.columns) {
      const cell = new CellView(c.chatId, c.endpointName, records.get(c.chatId) ?? []);
      this.cells.set(c.chatId, cell);
      this.cellsEl.append(cell.element);
    }
  }

  cell(chatId: string): CellView | undefined {
    this.build();
    return this.cells.get(chatId);
  }

  get hasLive(): boolean {
    for (const c of this.cells.values()) if (c.hasLive) return true;
    return false;
  }

  /** No answer in it and none coming: a prompt that ended without any (an attack's variant cancelled before it was sent). */
  get isEmpty(): boolean {
    if (this.hasLive) return false;
    for (const c of this.cells.values()) if (c.newestRecordId !== undefined) return false;
    for (const records of this.unbuilt?.values() ?? []) if (records.length > 0) return false;
    return true;
  }

  /** Hidden by "Clear view": nothing in it is newer than what was cleared, and nothing is coming. */
  clearedBy(clearedThrough: Readonly<Record<string, number>>): boolean {
    for (const c of this.columns) {
      const through = clearedThrough[c.chatId];
      const cell = this.cells.get(c.chatId);
      if (cell ? !cell.clearedBy(through) : (this.newestRecordId(c.chatId) ?? 0) > (through ?? 0)) return false;
    }
    return true;
  }

  newestRecordId(chatId: string): number | undefined {
    const cell = this.cells.get(chatId);
    if (cell) return cell.newestRecordId;
    const records = this.unbuilt?.get(chatId) ?? [];
    return records.length ? Math.max(...records.map((r) => r.chat_record_id)) : undefined;
  }

  merge(row: PromptRow): void {
    for (const [chatId, records] of Object.entries(row.cells)) {
      if (this.unbuilt) this.unbuilt.set(chatId, mergeById(this.unbuilt.get(chatId) ?? [], records));
      else this.cells.get(chatId)?.merge(records);
    }
    this.renderTags();
  }

  /** The prompt is an attack's variant (said when it starts, before its records carry it). */
  setAttack(origin: AttackOrigin): void {
    this.announced = origin;
    this.renderTags();
  }

  /** The attack that made the prompt, if any: as its records say, else as announced. */
  get attack(): AttackOrigin | undefined {
    const first = this.firstRecord();
    if (first?.attack_module) return { module: first.attack_module, originalPrompt: first.original_prompt };
    return this.announced;
  }

  /** A judge scored one of the row's records; false when it is not in this row. */
  setMetric(chatId: string, chatRecordId: number, metric: MetricResult): boolean {
    const unbuilt = this.unbuilt?.get(chatId);
    if (unbuilt) {
      const at = unbuilt.findIndex((r) => r.chat_record_id === chatRecordId);
      if (at === -1) return false;
      unbuilt[at] = { ...unbuilt[at]!, metric };
      return true;
    }
    return this.cells.get(chatId)?.setMetric(chatRecordId, metric) ?? false;
  }

  /** A prompt call started for these chats (the first send, or a Retry). */
  startCall(chatIds: readonly string[]): void {
    this.build();
    this.calls.push(new Set(chatIds));
    for (const chatId of chatIds) this.cells.get(chatId)?.startLive(this.promptId ?? '', 'running');
  }

  /** Answers still coming when the panel (re)opened. */
  resumeCall(chats: Readonly<Record<string, { state: LiveState; text: string }>>): void {
    this.build();
    this.calls.push(new Set(Object.keys(chats)));
    for (const [chatId, live] of Object.entries(chats)) this.cells.get(chatId)?.startLive(this.promptId ?? '', live.state, live.text);
  }

  addRecord(chatId: string, record: ChatRecord): boolean {
    this.build();
    const call = this.calls.find((c) => c.has(chatId));
    call?.delete(chatId);
    const added = this.cells.get(chatId)?.addRecord(record) ?? false;
    this.renderTags();
    return added;
  }

  /**
   * A call of this prompt ended. Its chats have all answered, normally; any
   * that have not will not (the session went away), so their waiting ends.
   */
  finishCall(): void {
    const done = this.calls.findIndex((c) => c.size === 0);
    const [call] = this.calls.splice(done === -1 ? 0 : done, 1);
    for (const chatId of call ?? []) this.cells.get(chatId)?.dropLive();
  }

  private firstRecord(): ChatRecord | undefined {
    for (const c of this.columns) {
      const first = this.cells.get(c.chatId)?.firstRecord ?? this.unbuilt?.get(c.chatId)?.[0];
      if (first) return first;
    }
    return undefined;
  }

  /** The attack that made the prompt, template and strategy it went out with, as its first records say. */
  private renderTags(): void {
    const first = this.firstRecord();
    const attack = this.attack;
    const tags: HTMLElement[] = [];
    if (attack) tags.push(badge('attack', attack.module));
    if (first?.prompt_template) tags.push(badge('template', first.prompt_template));
    if (first?.context_strategy) tags.push(badge('strategy', first.context_strategy));
    if (attack?.originalPrompt !== undefined && attack.originalPrompt !== this.prompt) tags.push(originalToggle());
    const signature = tags.map((t) => t.textContent).join('\u0000');
    if (this.tags.dataset.signature === signature) return;
    this.tags.dataset.signature = signature;
    this.tags.replaceChildren(...tags);
    this.tags.hidden = tags.length === 0;
  }

  dispose(): void {
    for (const c of this.cells.values()) c.dispose();
  }
}

function mergeById(known: readonly ChatRecord[], more: readonly ChatRecord[]): ChatRecord[] {
  const ids = new Set(known.map((r) => r.chat_record_id));
  return [...known, ...more.filter((r) => !ids.has(r.chat_record_id))].sort((a, b) => a.chat_record_id - b.chat_record_id);
}
