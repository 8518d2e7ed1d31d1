// Test data builders: the one place that knows every field of a record, a
// stored session and a session's metadata. A test names only the fields it
// is about; the rest are plain, valid defaults.
import type { ChatRecord, SessionMetadata, StoredChatRecord, StoredSession } from '../../src/core/schemas';

/** An answered record as a chat file holds it: `prepared_prompt` follows `prompt`, the answer is "answer to <prompt>". */
export function aStoredRecord(overrides: Partial<StoredChatRecord> = {}): StoredChatRecord {
  const prompt = overrides.prompt ?? 'prompt';
  return {
    chat_record_id: 1,
    conn_id: 'echo',
    context_strategy: '',
    prompt_template: '',
    prompt,
    prepared_prompt: prompt,
    predicted_result: `answer to ${prompt}`,
    duration: '0 secs',
    prompt_time: '01/01/2024, 00:00:00',
    error: null,
    attack_module: '',
    ...overrides,
  };
}

/** A record as the API and the UI get it: stored, with its latest score (none unless given). */
export function aRecord(overrides: Partial<ChatRecord> = {}): ChatRecord {
  return { ...aStoredRecord(overrides), metric: null, ...overrides };
}

/** A session as its session.json holds it: one echo chat, no template, strategy or judge. */
export function aStoredSession(overrides: Partial<StoredSession> = {}): StoredSession {
  return {
    session_id: 's_20240101-000000',
    name: 'S',
    description: '',
    created_epoch: 1.5,
    created_datetime: '20240101-000000',
    chat_ids: ['echo_20240101_000000'],
    endpoints: ['echo'],
    prompt_template: null,
    context_strategy: null,
    filename: null,
    num_of_prev_prompts: 5,
    metric: null,
    ...overrides,
  };
}

/** A session as the API answers it (no history unless given). */
export function aSession(overrides: Partial<SessionMetadata> = {}): SessionMetadata {
  const { num_of_prev_prompts: _n, metric: _judge, ...metadata } = aStoredSession();
  return { ...metadata, chat_history: null, ...overrides };
}
