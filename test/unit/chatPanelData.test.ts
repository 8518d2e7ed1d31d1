import assert from 'node:assert/strict';
import { openCore } from '../../src/core/core';
import { MemorySecretStore } from '../../src/core/secrets';
import { buildInit, olderPage } from '../../src/shared/chatPanelData';
import { HostMessageSchema, PAGE_SIZE } from '../../src/shared/chatProtocol';
import type { ChatRecord } from '../../src/core/schemas';
import { useTempDir } from '../support/tempDir';

const record = (id: number): ChatRecord => ({ chat_record_id: id, conn_id: 'echo', context_strategy: '', prompt_template: '', prompt: `p${id}`, prepared_prompt: `p${id}`, predicted_result: `a${id}`, duration: '0 secs', prompt_time: '01/01/2024, 00:00:00', error: null });

describe('chat panel data', () => {
  const dir = useTempDir();

  it('opens with the newest page of each chat, in the protocol shape, and pages back to the first record', async () => {
    const core = await openCore({ storageDir: dir(), endpointSources: [{ kind: 'inline', origin: 't', endpoints: [{ id: 'gone-later', name: 'G', connector_type: 'echo' }] }], promptTemplateFolders: [], secrets: new MemorySecretStore() });
    const s = await core.sessions.create({ name: 'paged', endpoints: ['echo', 'gone-later'] });
    for (let i = 1; i <= 120; i++) await core.store.appendNextRecord(s.session_id, s.chat_ids[0]!, record);
    await core.endpoints.setSources([]);
    const init = await buildInit(core, s, []);
    assert.ok(HostMessageSchema.safeParse(init).success);
    assert.deepEqual(init.records[s.chat_ids[0]!]!.map((r) => r.chat_record_id), Array.from({ length: PAGE_SIZE }, (_, i) => 120 - PAGE_SIZE + 1 + i));
    assert.equal(init.hasMore[s.chat_ids[0]!], true);
    assert.deepEqual(init.records[s.chat_ids[1]!], []);
    assert.equal(init.hasMore[s.chat_ids[1]!], false);
    assert.deepEqual(init.columns.map((c) => [c.endpointName, c.missing]), [['Echo (offline)', false], ['gone-later', true]]);

    const all = await core.sessions.history(s.session_id, s.chat_ids[0]!);
    let before = init.records[s.chat_ids[0]!]![0]!.chat_record_id;
    const seen = [...init.records[s.chat_ids[0]!]!];
    for (;;) {
      const page = olderPage(all, before);
      seen.unshift(...page.records);
      if (!page.hasMore) break;
      before = page.records[0]!.chat_record_id;
    }
    assert.deepEqual(seen.map((r) => r.chat_record_id), Array.from({ length: 120 }, (_, i) => i + 1));
  });
});
