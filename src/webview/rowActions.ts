// What each button in the rows does (data-action, see actions.ts): one
// handler per action, given what the click landed in. Most tell the host;
// the host does the copying, inserting and sending.
import type { ChatRecord } from '../core/schemas';
import type { ActionHandlers } from './actions';
import { toggleOriginal, togglePrepared, togglePrompt } from './exchange';
import { flashDone } from './flash';
import { toPlainText } from './markdown';
import { post } from './vscodeApi';

export interface ClickContext {
  /** The chat of the cell (or column header) clicked in. */
  chatId: string | undefined;
  /** The answer clicked in, and its record. */
  exchange: HTMLElement | undefined;
  record: ChatRecord | undefined;
  /** What the row's prompt was made from, when an attack made it. */
  originalPrompt: string | undefined;
}

export interface GridControls {
  loadOlder(): void;
  jumpToLatest(): void;
}

export function rowActions(grid: GridControls): ActionHandlers<ClickContext> {
  return {
    'load-older': () => grid.loadOlder(),
    'jump-latest': () => grid.jumpToLatest(),
    stop: (_el, { chatId }) => {
      if (chatId) post({ type: 'stop', chatId });
    },
    retry: (_el, { chatId, record }) => {
      if (!chatId || !record || record.prompt === '') return;
      // With the record's prompt id, the answer joins the row of the prompt it retries.
      post({ type: 'retry', chatId, prompt: record.prompt, ...(record.prompt_id ? { promptId: record.prompt_id } : {}) });
    },
    copy: (el, { exchange, record }) => {
      if (!exchange || !record) return;
      const response = exchange.querySelector('.response');
      post({ type: 'copy', text: response ? toPlainText(response) : record.predicted_result });
      flashDone(el);
    },
    'copy-markdown': (el, { record }) => {
      if (!record) return;
      post({ type: 'copy', text: record.predicted_result });
      flashDone(el);
    },
    insert: (_el, { record }) => {
      if (record) post({ type: 'insert', text: record.predicted_result });
    },
    'copy-code': (el) => {
      post({ type: 'copy', text: codeOf(el).text });
      flashDone(el);
    },
    'insert-code': (el) => {
      const { text, language } = codeOf(el);
      post({ type: 'insert', text, ...(language ? { language } : {}) });
    },
    'toggle-prompt': (el) => togglePrompt(el),
    'toggle-prepared': (el, { exchange, record }) => {
      if (exchange && record) togglePrepared(exchange, el, record);
    },
    'toggle-original': (el, { originalPrompt }) => {
      if (originalPrompt !== undefined) toggleOriginal(el, originalPrompt);
    },
    // The host reads the record itself and asks for a name: the webview names only which answer.
    bookmark: (_el, { chatId, record }) => {
      if (chatId && record) post({ type: 'bookmark', chatId, chatRecordId: record.chat_record_id });
    },
  };
}

/** The code of the code block a button belongs to, and the language its fence named. */
function codeOf(button: HTMLElement): { text: string; language: string | undefined } {
  const block = button.closest<HTMLElement>('.code-block');
  return { text: block?.querySelector('code')?.textContent ?? '', language: block?.dataset.lang || undefined };
}
