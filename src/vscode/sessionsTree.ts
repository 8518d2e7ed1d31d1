// The Sessions view: each session, and under it one node per endpoint chat
// with its record count and last duration, and whether it is answering a
// prompt now or has prompts waiting for an earlier one. Chat counts are read
// from the ends of the chat files when a session is expanded, never at
// activation.
import * as vscode from 'vscode';
import type { SessionMetadata, StoredChatRecord } from '../core/schemas';
import type { SessionService } from '../core/sessions';
import type { EndpointRegistry } from '../core/endpoints';
import { escapeMarkdown } from '../core/markdownText';
import { STOPPED_ERROR } from '../core/exportFormats';
import { COMMAND_IDS } from './commands';

export type SessionNode = { kind: 'session'; session: SessionMetadata };
export type ChatNode = { kind: 'chat'; sessionId: string; chatId: string; endpoint: string; count: number; last?: StoredChatRecord };
export type TreeNode = SessionNode | ChatNode;

const REFRESH_DELAY_MS = 50;

export type ChatActivity = { answering: boolean; queued: number };

export class SessionsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sessions: SessionService,
    private readonly endpoints: EndpointRegistry,
  ) {
    this.disposables.push(
      // Every event but a streamed piece changes what the tree shows (counts, queued, answering).
      sessions.onDidChange((e) => {
        if (e.type !== 'delta') this.refresh();
      }),
      endpoints.onDidChange(() => this.refresh()),
    );
  }

  /** Coalesces bursts of changes (a prompt to 20 endpoints) into one redraw. */
  refresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.changed.fire(undefined), REFRESH_DELAY_MS);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return (await this.sessions.list()).map((session) => ({ kind: 'session', session }));
    if (node.kind === 'chat') return [];
    const summaries = await this.sessions.chatSummaries(node.session.session_id);
    return summaries.map((s) => ({ kind: 'chat', sessionId: node.session.session_id, ...s }));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.kind === 'session' ? this.sessionItem(node.session) : this.chatItem(node);
  }

  private sessionItem(s: SessionMetadata): vscode.TreeItem {
    const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `session:${s.session_id}`;
    item.contextValue = 'session';
    item.iconPath = new vscode.ThemeIcon('comment-discussion');
    const extras = [s.prompt_template && `template ${s.prompt_template}`, s.context_strategy && `strategy ${s.context_strategy}`].filter(
      Boolean,
    );
    const busy = this.sessions.activePrompts(s.session_id).length > 0 ? ['answering…'] : [];
    item.description = [...busy, `${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'}`, ...extras].join(' · ');
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${escapeMarkdown(s.name)}**\n\n`);
    if (s.description) tooltip.appendMarkdown(`${escapeMarkdown(s.description)}\n\n`);
    tooltip.appendMarkdown(
      `- id: \`${s.session_id}\`\n- created: ${s.created_datetime}\n- endpoints: ${s.endpoints.map((e) => `\`${e}\``).join(', ')}\n`,
    );
    tooltip.appendMarkdown(`- prompt template: ${s.prompt_template ?? 'none'}\n- context strategy: ${s.context_strategy ?? 'none'}`);
    item.tooltip = tooltip;
    return item;
  }

  /** From the service's snapshot of the prompts accepted and not finished. */
  private activityOf(sessionId: string, chatId: string): ChatActivity {
    const states = this.sessions.activePrompts(sessionId).map((p) => p.chats[chatId]?.state);
    return { answering: states.includes('running'), queued: states.filter((state) => state === 'queued').length };
  }

  private chatItem(c: ChatNode): vscode.TreeItem {
    const entry = this.endpoints.get(c.endpoint);
    const name = entry?.config.name ?? c.endpoint;
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
    item.id = `chat:${c.sessionId}/${c.chatId}`;
    item.contextValue = 'chat';
    const activity = this.activityOf(c.sessionId, c.chatId);
    const stopped = c.last?.error === STOPPED_ERROR;
    const failed = Boolean(c.last?.error) && !stopped;
    item.iconPath = new vscode.ThemeIcon(chatIcon({ missing: !entry, ...activity, failed, stopped }));
    let now: string | undefined;
    if (activity.answering) now = 'answering…';
    else if (activity.queued) now = 'queued';
    const more = activity.answering && activity.queued ? `${activity.queued} queued` : undefined;
    item.description = [
      now,
      more,
      `${c.count} record${c.count === 1 ? '' : 's'}`,
      c.last && `last ${c.last.duration}`,
      !now && stopped && 'stopped',
    ]
      .filter(Boolean)
      .join(' · ');
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${escapeMarkdown(name)}** (\`${c.endpoint}\`)\n\n`);
    if (!entry) tooltip.appendMarkdown('This endpoint is no longer configured.\n\n');
    if (activity.answering)
      tooltip.appendMarkdown(`Answering a prompt now${activity.queued ? `; ${activity.queued} more waiting` : ''}.\n\n`);
    else if (activity.queued)
      tooltip.appendMarkdown(
        `Queued: ${activity.queued} prompt${activity.queued === 1 ? '' : 's'} waiting for an earlier one to ${escapeMarkdown(name)}.\n\n`,
      );
    if (entry?.config.model) tooltip.appendMarkdown(`- model: \`${entry.config.model}\`\n`);
    tooltip.appendMarkdown(`- chat: \`${c.chatId}\`\n- records: ${c.count}\n`);
    if (c.last) {
      let outcome = '';
      if (stopped) outcome = ', stopped by the user';
      else if (failed) outcome = `, failed: ${escapeMarkdown(c.last.error ?? '')}`;
      tooltip.appendMarkdown(`- last: ${c.last.prompt_time}, ${c.last.duration}${outcome}`);
    }
    item.tooltip = tooltip;
    item.command = { command: COMMAND_IDS.openSession, title: 'Open Session', arguments: [c.sessionId] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** A chat's icon: what needs attention first (a missing endpoint), then what it is doing, then how its last call ended. */
function chatIcon(state: { missing: boolean; answering: boolean; queued: number; failed: boolean; stopped: boolean }): string {
  if (state.missing) return 'warning';
  if (state.answering) return 'loading~spin';
  if (state.queued) return 'clock';
  if (state.failed) return 'error';
  if (state.stopped) return 'debug-stop';
  return 'hubot';
}
