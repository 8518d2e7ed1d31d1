// A session as a file to keep or share: JSON (the API's shape, with
// history) or Markdown (readable, one section per endpoint).
import type { SessionMetadata } from './schemas';

export function sessionToJson(session: SessionMetadata): string {
  return `${JSON.stringify({ session }, null, 2)}\n`;
}

/** A fence longer than any run of backticks in the text, so model output cannot close it. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

export function sessionToMarkdown(session: SessionMetadata): string {
  const lines = [
    `# ${session.name}`,
    '',
    ...(session.description ? [session.description, ''] : []),
    `- Session: \`${session.session_id}\``,
    `- Created: ${session.created_datetime}`,
    `- Endpoints: ${session.endpoints.map((e) => `\`${e}\``).join(', ')}`,
    `- Prompt template: ${session.prompt_template ?? 'none'}`,
    `- Context strategy: ${session.context_strategy ?? 'none'}`,
  ];
  session.chat_ids.forEach((chatId, i) => {
    const records = session.chat_history?.[chatId] ?? [];
    lines.push('', `## ${session.endpoints[i] ?? chatId}`, '', `Chat \`${chatId}\`: ${records.length} record${records.length === 1 ? '' : 's'}.`);
    for (const r of records) {
      lines.push('', `### #${r.chat_record_id} · ${r.prompt_time} · ${r.duration}`, '', '**Prompt**', '', fenced(r.prompt));
      if (r.prepared_prompt !== r.prompt) lines.push('', '**Prepared prompt**', '', fenced(r.prepared_prompt));
      if (r.error) lines.push('', `**Error:** ${r.error.replace(/\n/g, ' ')}`);
      else lines.push('', '**Response**', '', fenced(r.predicted_result));
    }
  });
  return `${lines.join('\n')}\n`;
}
