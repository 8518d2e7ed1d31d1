import assert from 'node:assert/strict';
import type { Core } from '../../src/core/openCore';
import { buildInit, orderRows, promptTimeValue, RowPager } from '../../src/vscode/chatPanelData';
import { HostMessageSchema, PAGE_ROWS, type PromptRow } from '../../src/shared/chatProtocol';
import type { SessionMetadata, StoredChatRecord } from '../../src/core/schemas';
import { useTempDir } from '../support/tempDir';
import { aStoredRecord } from '../support/builders';
import { openTestCore } from '../support/testCore';

/** Prompt n was sent at second n of the day (so times order rows the way the ids do). */
const time = (n: number) => {
  const s = n % 60;
  const m = Math.floor(n / 60) % 60;
  const h = Math.floor(n / 3600);
  const pad = (x: number) => String(x).padStart(2, '0');
  return `01/01/2024, ${pad(h)}:${pad(m)}:${pad(s)}`;
};

const record = (id: number, fields: { prompt: string; promptId?: string; at: number; error?: string }): StoredChatRecord =>
  aStoredRecord({
    chat_record_id: id,
    ...(fields.promptId !== undefined ? { prompt_id: fields.promptId } : {}),
    prompt: fields.prompt,
    prompt_time: time(fields.at),
    error: fields.error ?? null,
  });

/** Appends records to a chat as a session would have written them (ids 1, 2, 3 ...). */
async function write(core: Core, s: SessionMetadata, chat: number, records: Parameters<typeof record>[1][]): Promise<void> {
  for (const r of records) await core.store.appendNextRecord(s.session_id, s.chat_ids[chat]!, (id) => record(id, r));
}

const prompts = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ prompt: `p${from + i}`, promptId: `id-${from + i}`, at: from + i }));

/** Every page, oldest row first, as the webview ends up with them. */
async function allPages(pager: RowPager): Promise<PromptRow[][]> {
  const pages: PromptRow[][] = [];
  for (;;) {
    const page = await pager.nextPage();
    pages.push(page.rows);
    if (!page.hasMore) return pages;
    assert.ok(pages.length < 1000, 'paging never ends');
  }
}

const keysOf = (rows: readonly PromptRow[]) => rows.map((r) => r.key);
const cellIds = (row: PromptRow | undefined, chatId: string) => row?.cells[chatId]?.map((r) => r.chat_record_id);

describe('chat panel data (rows by prompt)', () => {
  const dir = useTempDir();
  let core: Core;

  const open = async () =>
    (core = await openTestCore(dir(), {
      endpoints: [
        ...['b', 'c'].map((id) => ({ id, name: id.toUpperCase(), connector_type: 'echo' })),
        { id: 'older', name: 'Older file', connector_type: 'echo', params: { model: 'model-in-params' } },
      ],
    }));
  const pagerOf = (s: SessionMetadata, pageRows = PAGE_ROWS) =>
    new RowPager(s.chat_ids, (chatId, count) => core.sessions.recentRecords(s.session_id, chatId, count), pageRows);

  it('opens with the newest page of rows, one prompt per row across the chats, and pages back to the first', async () => {
    await open();
    const s = await core.sessions.create({ name: 'paged', endpoints: ['echo', 'b'] });
    await write(core, s, 0, prompts(1, 120));
    await write(core, s, 1, prompts(1, 120));
    const { init } = await buildInit(core, s, 7);
    assert.ok(HostMessageSchema.safeParse(init).success, 'init fits the protocol');
    assert.equal(init.generation, 7);
    assert.deepEqual(keysOf(init.rows), Array.from({ length: PAGE_ROWS }, (_, i) => `id-${120 - PAGE_ROWS + 1 + i}`));
    assert.equal(init.hasMore, true);
    const last = init.rows.at(-1)!;
    assert.equal(last.prompt, 'p120');
    assert.deepEqual([cellIds(last, s.chat_ids[0]!), cellIds(last, s.chat_ids[1]!)], [[120], [120]]);
    assert.equal(init.promptHistory.at(-1), 'p120');

    const pages = await allPages(pagerOf(s));
    assert.equal(pages[1]!.length, PAGE_ROWS, 'an older page is a full page too');
    assert.deepEqual(keysOf([...pages].reverse().flat()), Array.from({ length: 120 }, (_, i) => `id-${i + 1}`), 'every row once, in order');
  });

  it("says the session's judge and the running attack, and a score that comes for a record read but not given yet is in the page that " +
    'brings it', async () => {
    await open();
    const s = await core.sessions.create({ name: 'judged', endpoints: ['echo', 'b'] });
    await core.sessions.setJudge(s.session_id, { metric: 'refusal_strings' });
    await write(core, s, 0, prompts(1, 10));
    await write(core, s, 1, prompts(1, 10));
    const { init } = await buildInit(core, s, 1);
    assert.deepEqual(init.session.judge, { name: 'refusal_strings', judgeEndpoint: null });
    assert.equal(init.attack, null);
    assert.ok(HostMessageSchema.safeParse(init).success);

    // Pages of 2; each read goes twice as far back: the third reads records 3-6 and gives 5-6.
    const pager = new RowPager(s.chat_ids, (chatId, count) => core.sessions.recentRecords(s.session_id, chatId, count), 2);
    for (const want of [
      ['id-9', 'id-10'],
      ['id-7', 'id-8'],
      ['id-5', 'id-6'],
    ])
      assert.deepEqual(keysOf((await pager.nextPage()).rows), want);
    const metric = {
      name: 'refusal_strings',
      verdict: 'complied',
      score: 0,
      reason: 'no refusal phrase',
      judge_endpoint: null,
      error: null,
    };
    // Record 3 of the first chat was read but not given: its score waits in the pool for the page that brings it.
    pager.noteScore(s.chat_ids[0]!, 3, metric);
    const older = await pager.nextPage();
    assert.deepEqual(keysOf(older.rows), ['id-3', 'id-4']);
    assert.deepEqual(older.rows[0]!.cells[s.chat_ids[0]!]![0]!.metric, metric);
    assert.equal(older.rows[0]!.cells[s.chat_ids[1]!]![0]!.metric, null);
  });

  it("names each column's model (params.model for older files) and the session's num_of_prev_prompts", async () => {
    await open();
    const s = await core.sessions.create({ name: 'columns', endpoints: ['b', 'older'] });
    await core.sessions.setContextStrategy(s.session_id, 'add_previous_prompt', 3);
    const { init } = await buildInit(core, await core.sessions.get(s.session_id), 1);
    assert.deepEqual(init.columns.map((c) => [c.endpointId, c.model]), [['b', ''], ['older', 'model-in-params']]);
    assert.equal(init.session.numOfPrevPrompts, 3);
  });

  it("puts a Retry's answer in the row of the prompt it retries, even after many retries in one chat", async () => {
    await open();
    const s = await core.sessions.create({ name: 'retries', endpoints: ['echo', 'b'] });
    await write(core, s, 0, prompts(1, 100));
    await write(core, s, 1, [...prompts(1, 99), { prompt: 'p100', promptId: 'id-100', at: 100, error: 'cancelled' }]);
    // Chat 1 retries prompt 100 sixty times: its last 50 records are all retries.
    await write(core, s, 1, Array.from({ length: 60 }, (_, i) => ({ prompt: 'p100', promptId: 'id-100', at: 200 + i })));
    const pages = await allPages(pagerOf(s));
    const rows = [...pages].reverse().flat();
    assert.deepEqual(keysOf(rows), Array.from({ length: 100 }, (_, i) => `id-${i + 1}`), 'the retries did not make rows or reorder them');
    assert.equal(pages[0]!.length, PAGE_ROWS, 'the first page is a full page of rows');
    const retried = rows.at(-1)!;
    assert.deepEqual(cellIds(retried, s.chat_ids[1]!), Array.from({ length: 61 }, (_, i) => 100 + i), 'all attempts in that one row');
    assert.deepEqual(cellIds(retried, s.chat_ids[0]!), [100]);
  });

  it('keeps rows of prompts sent to only some chats in place, with no cell for the others', async () => {
    await open();
    const s = await core.sessions.create({ name: 'some', endpoints: ['echo', 'b', 'c'] });
    // Prompts 1..30 to all; 31..40 to chat 2 only; 41..60 to all.
    await write(core, s, 0, [...prompts(1, 30), ...prompts(41, 60)]);
    await write(core, s, 1, [...prompts(1, 30), ...prompts(41, 60)]);
    await write(core, s, 2, prompts(1, 60));
    for (const pageRows of [7, 50]) {
      const rows = [...(await allPages(pagerOf(s, pageRows)))].reverse().flat();
      assert.deepEqual(keysOf(rows), Array.from({ length: 60 }, (_, i) => `id-${i + 1}`), `pages of ${pageRows}`);
      const only = rows.find((r) => r.key === 'id-35')!;
      assert.deepEqual(Object.keys(only.cells), [s.chat_ids[2]]);
    }
  });

  it('lines up records written before prompt ids by position, the same prompt text counted from the end', async () => {
    await open();
    const s = await core.sessions.create({ name: 'legacy', endpoints: ['echo', 'b'] });
    const legacy = (texts: string[]) => texts.map((prompt, i) => ({ prompt, at: i + 1 }));
    await write(core, s, 0, legacy(['hello', 'again', 'again', 'bye']));
    // An old-style Retry of "hello" in chat 1 made a second record with the same text.
    await write(core, s, 1, legacy(['hello', 'hello', 'again', 'again', 'bye']));
    await write(core, s, 0, prompts(10, 11));
    await write(core, s, 1, prompts(10, 11));
    const rows = [...(await allPages(pagerOf(s)))].reverse().flat();
    const [a, b] = s.chat_ids as [string, string];
    assert.deepEqual(
      rows.map((r) => [r.prompt, r.promptId, cellIds(r, a) ?? null, cellIds(r, b) ?? null]),
      [
        ['hello', null, null, [1]],
        ['hello', null, [1], [2]],
        ['again', null, [2], [3]],
        ['again', null, [3], [4]],
        ['bye', null, [4], [5]],
        ['p10', 'id-10', [5], [6]],
        ['p11', 'id-11', [6], [7]],
      ],
    );
    assert.equal(new Set(rows.map((r) => r.key)).size, rows.length, 'keys are unique');
  });

  it('does not give again the rows the webview got live, and sends a row again when an older page finds its first attempts', async () => {
    await open();
    const s = await core.sessions.create({ name: 'live', endpoints: ['echo', 'b'] });
    await write(core, s, 0, prompts(1, 10));
    await write(core, s, 1, prompts(1, 10));
    const pager = pagerOf(s, 4);
    const first = await pager.nextPage();
    assert.deepEqual(keysOf(first.rows), ['id-7', 'id-8', 'id-9', 'id-10']);
    // Live: a new prompt 11, and a Retry of prompt 2 (far above the rows shown) in chat 0.
    pager.noteLive('id-11');
    for (const [chat, r] of [
      [0, record(11, { prompt: 'p11', promptId: 'id-11', at: 11 })],
      [1, record(11, { prompt: 'p11', promptId: 'id-11', at: 11 })],
      [0, record(12, { prompt: 'p2', promptId: 'id-2', at: 12 })],
    ] as const) {
      await core.store.appendNextRecord(s.session_id, s.chat_ids[chat]!, () => r);
      pager.noteRecord(s.chat_ids[chat]!, { ...r, metric: null });
    }
    pager.noteLive('id-2');
    const rest = [];
    for (let page = await pager.nextPage(); ; page = await pager.nextPage()) {
      rest.push(...keysOf(page.rows).reverse());
      if (!page.hasMore) break;
    }
    assert.ok(!rest.includes('id-11'), `the live row came again: ${rest.join(' ')}`);
    assert.deepEqual(rest.filter((k) => k !== 'id-2'), ['id-6', 'id-5', 'id-4', 'id-3', 'id-1']);
    assert.ok(rest.includes('id-2'), 'the retried row comes again once its first attempts are read, in its place');
    assert.equal(rest.indexOf('id-2'), rest.indexOf('id-1') - 1);
  });

  it('orders rows by every chat at once, and by prompt time where the chats disagree', () => {
    const rows = new Map(['a', 'b', 'c', 'x'].map((k, i) => [k, { time: k === 'x' ? 1 : 10 + i, column: 0 }]));
    assert.deepEqual(orderRows(rows, [['a', 'b', 'c'], ['a', 'c']]), ['a', 'b', 'c']);
    // x is after c in the first chat (a retry of x) but first in the second: the time decides.
    assert.deepEqual(orderRows(rows, [['a', 'b', 'c', 'x'], ['x', 'a', 'c']]), ['x', 'a', 'b', 'c']);
    assert.ok(Number.isNaN(promptTimeValue('yesterday')));
    assert.ok(promptTimeValue('01/02/2024, 00:00:00') > promptTimeValue('12/31/2023, 23:59:59'));
  });
});
