import assert from 'node:assert/strict';
import { sessionToJson, sessionToMarkdown } from '../../src/core/exportFormats';
import type { SessionMetadata } from '../../src/core/schemas';

const session: SessionMetadata = {
  session_id: 's_20240101-000000',
  name: 'Export me',
  description: 'why',
  created_epoch: 1.5,
  created_datetime: '20240101-000000',
  chat_ids: ['echo_20240101_000000', 'broken_20240101_000000'],
  endpoints: ['echo', 'broken'],
  prompt_template: null,
  context_strategy: 'conversation',
  filename: null,
  chat_history: {
    echo_20240101_000000: [
      { chat_record_id: 1, conn_id: 'echo', context_strategy: '', prompt_template: '', prompt: 'hi', prepared_prompt: 'hi', predicted_result: 'has ``` and ```` fences\n# not a heading', duration: '0.1 secs', prompt_time: '01/01/2024, 00:00:00', error: null, attack_module: '', metric: null },
    ],
    broken_20240101_000000: [
      { chat_record_id: 1, conn_id: 'broken', context_strategy: '', prompt_template: '', prompt: 'hi', prepared_prompt: 'hi', predicted_result: '', duration: '0.2 secs', prompt_time: '01/01/2024, 00:00:00', error: 'HTTP 500: boom', attack_module: '', metric: null },
    ],
  },
};

describe('export formats', () => {
  it("JSON is the API's shape with the whole history", () => {
    assert.deepEqual(JSON.parse(sessionToJson(session)), { session });
  });

  it('Markdown has one section per endpoint, errors, and fences model output cannot close', () => {
    const md = sessionToMarkdown(session);
    assert.match(md, /^# Export me\n\nwhy\n/);
    assert.match(md, /## echo[\s\S]*## broken/);
    assert.match(md, /\*\*Error:\*\* HTTP 500: boom/);
    assert.match(md, /`````text\nhas ``` and ```` fences\n# not a heading\n`````/);
    assert.match(md, /Context strategy: conversation/);
  });
});
