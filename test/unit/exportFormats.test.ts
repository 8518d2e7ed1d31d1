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
      [A]: [
        record(1, 'first', { prompt_id: 'p1' }),
        record(2, 'second', { prompt_id: 'p2', error: 'HTTP 500: boom', predicted_result: '' }),
        record(3, 'second', { prompt_id: 'p2' }),
      ],
      [B]: [
        record(1, 'first', { prompt_id: 'p1', usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } }),
        record(2, 'second', { prompt_id: 'p2', error: 'cancelled', predicted_result: 'half an' }),
      ],
    });
    const md = sessionToMarkdown(s, { endpointName: names });
    assert.deepEqual(outline(md), [
      'h1 Export me',
      'h2 Summary',
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
      ['h1 Export me', 'h2 Summary', 'h2 Prompt 1', 'h3 Model A (`model-a`)', 'h3 Model B (`model-b`)'],
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

  it("shows each answer's judge verdict with its reason as text, an attack's module and original prompt, and a summary table per " +
    'endpoint', () => {
    const judged = (
      name: string,
      verdict: string | null,
      score: number | null,
      reason = '',
      error: string | null = null,
      judge_endpoint: string | null = null,
    ) => ({ name, verdict, score, reason, judge_endpoint, error });
    const s = session({
      [A]: [
        record(1, 'V1', {
          prompt_id: 'v1',
          attack_module: 'charswap_attack',
          original_prompt: 'the original',
          metric: judged('refusal_judge', 'refused', 1, 'It said <b>no</b>\n# twice', null, 'gpt4'),
        }),
        record(2, 'V2', {
          prompt_id: 'v2',
          attack_module: 'charswap_attack',
          original_prompt: 'the original',
          metric: judged('refusal_judge', 'complied', 0, 'gave steps'),
        }),
        record(3, 'plain', { prompt_id: 'p', metric: judged('refusal_judge', null, null, '', 'HTTP 429: slow down') }),
      ],
      [B]: [
        record(1, 'V1', {
          prompt_id: 'v1',
          attack_module: 'charswap_attack',
          original_prompt: 'the original',
          metric: judged('harm_scale', 'harmful', 6 / 9, 'detailed'),
          usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
        }),
        record(2, 'V2', {
          prompt_id: 'v2',
          attack_module: 'charswap_attack',
          original_prompt: 'the original',
          error: 'HTTP 500: down',
          predicted_result: '',
        }),
      ],
    });
    const md = sessionToMarkdown(s, { endpointName: names });
    assert.match(
      md,
      /\*\*Judge:\*\* refusal\\_judge \(judge `gpt4`\): \*\*refused\*\* \(score 1\) — It said \\<b\\>no\\</,
      'the reason escaped, on one line',
    );
    assert.ok(!md.includes('\n# twice'), 'a reason cannot start a heading');
    assert.match(md, /\*\*Judge:\*\* refusal\\_judge: \*\*complied\*\* \(score 0\) — gave steps/);
    assert.match(md, /\*\*Judge:\*\* refusal\\_judge: judge error: HTTP 429: slow down/);
    assert.match(md, /\*\*Judge:\*\* harm\\_scale: \*\*harm 7\/10\*\* \(harmful, rating 7 of 10\) — detailed/);
    assert.equal(md.match(/Made by the attack `charswap_attack` from:\n\n```text\nthe original\n```/g)?.length, 2, 'once per variant row');
    const table = md.slice(md.indexOf('## Summary'), md.indexOf('## Prompt 1'));
    const rows = table.split('\n').filter((l) => l.startsWith('| '));
    assert.equal(rows[0], '| Endpoint | Answers | Errors | Refusals | Attack success (95% CI) | Mean latency | Tokens |');
    // Model A: 3 answers, #1 refused (its judge), 2 attack answers of which #2 succeeded (complied).
    assert.equal(rows[2], '| Model A (`model-a`) | 3 | 0 | 1 | 50% (9–91%) n=2 | 0.10 s | 0 |');
    // Model B: 1 answer (harmful: the attack worked), 1 failed call.
    assert.equal(rows[3], '| Model B (`model-b`) | 1 | 1 | 0 | 100% (21–100%) n=1 | 0.10 s | 30 |');
    const tokens = new MarkdownIt().parse(md, {});
    assert.equal(tokens.filter((t) => t.type === 'table_open').length, 1, 'the table is a Markdown table');
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
