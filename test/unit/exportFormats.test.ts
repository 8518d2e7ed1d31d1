import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { groupByPrompt, sessionToJson, sessionToMarkdown } from '../../src/core/exportFormats';
import { embedMarkdown } from '../../src/core/markdownText';
import type { ChatRecord, SessionMetadata } from '../../src/core/schemas';
import { aRecord, aSession } from '../support/builders';

const A = 'a_20240101-000000';
const B = 'b_20240101-000000';

const record = (id: number, prompt: string, fields: Partial<ChatRecord> = {}): ChatRecord =>
  aRecord({ chat_record_id: id, conn_id: 'x', prompt, duration: '0.1 secs', ...fields });

const session = (history: Record<string, ChatRecord[]>): SessionMetadata =>
  aSession({
    name: 'Export me',
    description: 'why',
    chat_ids: [A, B],
    endpoints: ['model-a', 'model-b'],
    context_strategy: 'conversation',
    chat_history: history,
  });

/** The document's outline as a reader's tools see it: every heading, with its level. */
function outline(md: string): string[] {
  const tokens = new MarkdownIt({ html: true }).parse(md, {});
  return tokens.flatMap((t, i) => (t.type === 'heading_open' ? [`${t.tag} ${tokens[i + 1]!.content}`] : []));
}

const names = (id: string) => ({ 'model-a': 'Model A', 'model-b': 'Model B' })[id];

describe('export formats', () => {
  it('JSON keeps every stored field of a record: usage, prompt_id, and fields it does not know', () => {
    const s = session({
      [A]: [
        {
          ...record(1, 'hi', { prompt_id: 'p1', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
          future_field: { nested: true },
        } as ChatRecord,
      ],
      [B]: [],
    });
    assert.deepEqual(JSON.parse(sessionToJson(s)), { session: s });
    const back = JSON.parse(sessionToJson(s));
    assert.equal(back.session.chat_history[A][0].prompt_id, 'p1');
    assert.deepEqual(back.session.chat_history[A][0].future_field, { nested: true });
    assert.equal(back.session.chat_history[A][0].usage.total_tokens, 3);
  });

  it('Markdown goes prompt by prompt: each prompt once, then every endpoint under it, retries included', () => {
    const s = session({
      [A]: [record(1, 'first', { prompt_id: 'p1' }), record(2, 'second', { prompt_id: 'p2', error: 'HTTP 500: boom', predicted_result: '' }), record(3, 'second', { prompt_id: 'p2' })],
      [B]: [record(1, 'first', { prompt_id: 'p1', usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } }), record(2, 'second', { prompt_id: 'p2', error: 'cancelled', predicted_result: 'half an' })],
    });
    const md = sessionToMarkdown(s, { endpointName: names });
    assert.deepEqual(outline(md), [
      'h1 Export me',
      'h2 Prompt 1',
      'h3 Model A (`model-a`)',
      'h3 Model B (`model-b`)',
      'h2 Prompt 2',
      'h3 Model A (`model-a`)',
      'h3 Model A (`model-a`) (retry)',
      'h3 Model B (`model-b`)',
    ]);
    assert.equal(md.match(/```text\nsecond\n```/g)?.length, 1, 'the prompt once');
    assert.match(md, /\*\*Error:\*\* HTTP 500: boom/);
    assert.match(md, /\*\*Stopped\*\* \(the answer so far\):\n\nhalf an\n/);
    assert.match(md, /9 tokens \(4 in, 5 out\)/);
    assert.match(md, /\nanswer to first\n/, 'the answer as Markdown, not in a fence');
  });

  it('records without prompt_id line up by position: the n-th record of the same prompt in each chat', () => {
    const s = session({
      [A]: [record(1, 'hello'), record(2, 'again'), record(3, 'hello')],
      [B]: [record(1, 'hello'), record(2, 'hello')],
    });
    const groups = groupByPrompt(s);
    assert.deepEqual(
      groups.map((g) => [g.prompt, g.answers.map((a) => `${a.chatIndex}#${a.record.chat_record_id}`)]),
      [
        ['hello', ['0#1', '1#1']],
        ['again', ['0#2']],
        ['hello', ['0#3', '1#2']],
      ],
    );
  });

  it("an answer's own Markdown cannot break the document: headings demoted, HTML as text, open fences closed", () => {
    const hostile = [
      '# Big title',
      'Setext title',
      '===',
      '<!-- an unclosed comment',
      '<script>alert(1)</script>',
      'inline <img src=x onerror=alert(1)> and `<b>code</b>`',
      '[ref]: https://evil.example',
      '```js',
      'never closed',
    ].join('\n');
    const s = session({ [A]: [record(1, 'q', { prompt_id: 'p', predicted_result: hostile })], [B]: [record(1, 'q', { prompt_id: 'p' })] });
    const md = sessionToMarkdown(s, { endpointName: names });
    assert.deepEqual(
      outline(md).filter((h) => /^h[123] /.test(h)),
      ['h1 Export me', 'h2 Prompt 1', 'h3 Model A (`model-a`)', 'h3 Model B (`model-b`)'],
    );
    assert.deepEqual(
      outline(md).filter((h) => !/^h[123] /.test(h)),
      ['h4 Big title', 'h4 Setext title'],
    );
    const tokens = new MarkdownIt({ html: true }).parse(md, {});
    const html = tokens.flatMap((t) => [t, ...(t.children ?? [])]).filter((t) => t.type.startsWith('html'));
    assert.deepEqual(html, [], 'no raw HTML left');
    assert.match(md, /`<b>code<\/b>`/, 'code spans keep their text');
    assert.match(md, /\\\[ref\]: https/);
    assert.ok(md.includes('answer to q'), 'the next answer is still there, outside any fence');
  });

  it('embedMarkdown leaves ordinary Markdown as it is', () => {
    const plain = [
      'Some **bold** text.',
      '',
      '- a list',
      '- with `code`',
      '',
      '| a | b |',
      '| - | - |',
      '| 1 | 2 |',
      '',
      '```py',
      "print('hi')",
      '```',
      '',
      'See <https://example.com>.',
    ].join('\n');
    assert.equal(embedMarkdown(plain, 3), plain);
    assert.equal(embedMarkdown('## Sub\n> # quoted', 3), '##### Sub\n> #### quoted');
  });
});
