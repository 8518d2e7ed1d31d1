// What the chat panel shows, computed without VS Code: the first page of
// every chat and older pages on demand. Only the newest PAGE_SIZE records of
// each chat are read to open a panel (from the files' ends), so opening costs
// the same at 10,000 records as at 10.
import type { Core } from '../core/core';
import type { ChatRecord, SessionMetadata } from '../core/schemas';
import { PAGE_SIZE, type Column, type HostMessage, type Pending, type SessionInfo } from './chatProtocol';

export function sessionInfo(s: SessionMetadata): SessionInfo {
  return { sessionId: s.session_id, name: s.name, description: s.description, promptTemplate: s.prompt_template, contextStrategy: s.context_strategy };
}

export function columnsOf(core: Core, session: SessionMetadata): Column[] {
  return session.chat_ids.map((chatId, i) => {
    const endpointId = session.endpoints[i] ?? '';
    const entry = core.endpoints.get(endpointId);
    return { chatId, endpointId, endpointName: entry?.config.name ?? endpointId, model: entry?.config.model ?? '', missing: !entry };
  });
}

export async function buildInit(core: Core, session: SessionMetadata, pending: Pending[]): Promise<Extract<HostMessage, { type: 'init' }>> {
  const pages = await Promise.all(session.chat_ids.map((chatId) => core.sessions.recentRecords(session.session_id, chatId, PAGE_SIZE)));
  return {
    type: 'init',
    session: sessionInfo(session),
    columns: columnsOf(core, session),
    records: Object.fromEntries(session.chat_ids.map((chatId, i) => [chatId, pages[i] ?? []])),
    // Record ids run 1..n without gaps, so a first shown id above 1 means older ones exist.
    hasMore: Object.fromEntries(session.chat_ids.map((chatId, i) => [chatId, (pages[i]?.[0]?.chat_record_id ?? 1) > 1])),
    pending,
    promptHistory: (pages[0] ?? []).map((r) => r.prompt).filter((p, i, all) => p !== all[i - 1]),
  };
}

/** The page of records just before `beforeRecordId`, from a chat's whole history (oldest first). */
export function olderPage(history: readonly ChatRecord[], beforeRecordId: number): { records: ChatRecord[]; hasMore: boolean } {
  const end = history.findIndex((r) => r.chat_record_id >= beforeRecordId);
  const upTo = end === -1 ? history.length : end;
  const start = Math.max(0, upTo - PAGE_SIZE);
  return { records: history.slice(start, upTo), hasMore: start > 0 };
}
