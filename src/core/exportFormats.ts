// A session as a file to keep or share: JSON (the API's shape, with the
// whole history, every stored field as it is) or Markdown, which a person
// reads prompt by prompt: each prompt once, then every endpoint's answer to
// it, side by side in reading order.
import type { ChatRecord, ChatSummary, SessionMetadata } from './schemas';
import { embedMarkdown, escapeMarkdown, fenced } from './markdownText';
import { cancelledError } from './connectors/errors';
import { summarize } from './stats';
import { asrText, harmRating, metricBadge, secondsText } from './scoreText';

/** A record's error when the user pressed Stop: not a failure, and any answer so far is kept. */
export const STOPPED_ERROR = cancelledError().message;

export function sessionToJson(session: SessionMetadata): string {
  // No field list here: whatever a record holds (usage, prompt_id, later additions) is kept.
  return `${JSON.stringify({ session }, null, 2)}\n`;
}

/** The document's own heading levels: # session, ## prompt, ### endpoint; answers' headings go below. */
const ANSWER_DEPTH = 3;

export interface MarkdownOptions {
  /** An endpoint's display name, when known (the session stores only ids). */
  endpointName?: (endpointId: string) => string | undefined;
}

interface Answer {
  chatIndex: number;
  record: ChatRecord;
}

interface PromptGroup {
  prompt: string;
  answers: Answer[];
}

/**
 * Groups the records of all chats by the prompt they answer: by `prompt_id`;
 * records stored before prompt ids existed are matched by position: the n-th
 * record with the same prompt text in each chat. Groups keep every chat's own
 * order (a group first seen in a chat goes right after the chat's previous one).
 */
export function groupByPrompt(session: SessionMetadata): PromptGroup[] {
  const order: string[] = [];
  const groups = new Map<string, PromptGroup>();
  session.chat_ids.forEach((chatId, chatIndex) => {
    const seen = new Map<string, number>();
    let cursor = -1;
    for (const record of session.chat_history?.[chatId] ?? []) {
      let key: string;
      if (record.prompt_id) key = `id:${record.prompt_id}`;
      else {
        const n = (seen.get(record.prompt) ?? 0) + 1;
        seen.set(record.prompt, n);
        key = `text:${n}:${record.prompt}`;
      }
      let group = groups.get(key);
      if (!group) {
        groups.set(key, (group = { prompt: record.prompt, answers: [] }));
        order.splice(cursor + 1, 0, key);
      }
      cursor = Math.max(cursor, order.indexOf(key));
      group.answers.push({ chatIndex, record });
    }
  });
  return order.map((key) => groups.get(key) as PromptGroup);
}

function facts(r: ChatRecord): string {
  const usage = r.usage ? `${r.usage.total_tokens} tokens (${r.usage.prompt_tokens} in, ${r.usage.completion_tokens} out)` : undefined;
  return `*${[r.duration, r.prompt_time, usage, `record #${r.chat_record_id}`].filter(Boolean).join(' · ')}*`;
}

/** "**Judge:** refusal_judge: refused (score 1) — the reason": the judge's reason is model text, kept to one escaped line. */
function verdictLine(r: ChatRecord): string | undefined {
  const m = r.metric;
  if (!m) return undefined;
  const by = m.judge_endpoint ? ` (judge \`${m.judge_endpoint}\`)` : '';
  if (m.error !== null || m.verdict === null)
    return `**Judge:** ${escapeMarkdown(m.name)}${by}: judge error: ${escapeMarkdown(m.error ?? 'no verdict')}`;
  const badge = metricBadge(m).text;
  const score =
    m.score === null
      ? ''
      : m.name === 'harm_scale'
        ? ` (${escapeMarkdown(m.verdict)}, rating ${harmRating(m.score)} of 10)`
        : ` (score ${Math.round(m.score * 100) / 100})`;
  const reason = m.reason.trim() ? ` — ${escapeMarkdown(m.reason.trim())}` : '';
  return `**Judge:** ${escapeMarkdown(m.name)}${by}: **${escapeMarkdown(badge)}**${score}${reason}`;
}

/** One row per endpoint: answers, errors, refusals, attack success rate with its 95% interval, mean latency, tokens. */
function summaryTable(rows: { label: string; summary: ChatSummary }[]): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| Endpoint | Answers | Errors | Refusals | Attack success (95% CI) | Mean latency | Tokens |',
    '| --- | ---: | ---: | ---: | --- | ---: | ---: |',
    ...rows.map(({ label, summary: s }) => {
      const asr = asrText(s)?.replace(/^ASR /, '') ?? '–';
      const latency = s.mean_duration === null ? '–' : secondsText(s.mean_duration);
      return `| ${[label, s.answers, s.errors, s.refusals, cell(asr), latency, s.tokens.total_tokens].join(' | ')} |`;
    }),
  ];
}

export function sessionToMarkdown(session: SessionMetadata, options: MarkdownOptions = {}): string {
  const label = (endpointId: string) => {
    const name = options.endpointName?.(endpointId);
    return name && name !== endpointId ? `${escapeMarkdown(name)} (\`${endpointId}\`)` : `\`${endpointId}\``;
  };
  const lines = [
    `# ${escapeMarkdown(session.name)}`,
    '',
    ...(session.description ? [escapeMarkdown(session.description), ''] : []),
    `- Session: \`${session.session_id}\``,
    `- Created: ${session.created_datetime}`,
    `- Endpoints: ${session.endpoints.map(label).join(', ')}`,
    `- Prompt template: ${session.prompt_template ? `\`${session.prompt_template}\`` : 'none'}`,
    `- Context strategy: ${session.context_strategy ? `\`${session.context_strategy}\`` : 'none'}`,
  ];
  const groups = groupByPrompt(session);
  if (groups.length === 0) lines.push('', 'No prompts yet.');
  else {
    const rows = session.chat_ids.map((chatId, i) => {
      const endpoint = session.endpoints[i] ?? chatId;
      return { label: label(endpoint), summary: summarize(endpoint, session.chat_history?.[chatId] ?? []) };
    });
    lines.push(
      '',
      '## Summary',
      '',
      ...summaryTable(rows),
      '',
      '*Refusals and attack success by the latest judge score of each answer, else by refusal phrases; n is the number of answers to ' +
        'attack prompts.*',
    );
  }
  groups.forEach((group, i) => {
    lines.push('', `## Prompt ${i + 1}`, '', fenced(group.prompt));
    const attack = group.answers.find((a) => a.record.attack_module)?.record;
    if (attack) {
      lines.push('', `Made by the attack \`${attack.attack_module}\`${attack.original_prompt === undefined ? '.' : ' from:'}`);
      if (attack.original_prompt !== undefined) lines.push('', fenced(attack.original_prompt));
    }
    const tries = new Map<number, number>();
    for (const { chatIndex, record: r } of group.answers) {
      const attempt = (tries.get(chatIndex) ?? 0) + 1;
      tries.set(chatIndex, attempt);
      const endpoint = session.endpoints[chatIndex] ?? r.conn_id;
      lines.push('', `### ${label(endpoint)}${attempt > 1 ? ` (retry${attempt > 2 ? ` ${attempt - 1}` : ''})` : ''}`, '');
      if (r.prepared_prompt !== r.prompt) {
        const how = [
          r.prompt_template && `template \`${r.prompt_template}\``,
          r.context_strategy && `context strategy \`${r.context_strategy}\``,
        ]
          .filter(Boolean)
          .join(', ');
        lines.push(`Sent as${how ? ` (${how})` : ''}:`, '', fenced(r.prepared_prompt), '');
      }
      const stopped = r.error === STOPPED_ERROR;
      if (r.error)
        lines.push(
          stopped
            ? `**Stopped**${r.predicted_result ? ' (the answer so far):' : ' before an answer.'}`
            : `**Error:** ${escapeMarkdown(r.error)}`,
          '',
        );
      if (r.predicted_result && (!r.error || stopped)) lines.push(embedMarkdown(r.predicted_result, ANSWER_DEPTH), '');
      else if (!r.error) lines.push('*(empty answer)*', '');
      const verdict = verdictLine(r);
      if (verdict) lines.push(verdict, '');
      lines.push(facts(r));
    }
  });
  return `${lines.join('\n')}\n`;
}
