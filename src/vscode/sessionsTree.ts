// The Sessions view: each session, and under it one node per endpoint chat
// with its record count and last duration, and whether it is answering a
// prompt now or has prompts waiting for an earlier one. Chat counts are read
// from the ends of the chat files when a session is expanded, never at
// activation.
import * as vscode from 'vscode';
import type { SessionMetadata, ChatRecord } from '../core/schemas';
import type { SessionEvent, SessionService } from '../core/sessions';
import type { EndpointRegistry } from '../core/endpoints';
import { escapeMarkdown } from '../core/markdownText';
import { COMMAND_IDS } from './commands';

export type SessionNode = { kind: 'session'; session: SessionMetadata };
export type ChatNode = { kind: 'chat'; sessionId: string; chatId: string; endpoint: string; count: number; last?: ChatRecord };
export type TreeNode = SessionNode | ChatNode;

const REFRESH_DELAY_MS = 50;

/** A record's error when the user pressed Stop: that is not a failure. */
export const STOPPED_ERROR = 'cancelled';

type ActivityEvent = { type: 'chatQueued' | 'chatStarted'; sessionId: string; promptId: string; chatId: string };
export type ChatActivity = { answering: boolean; queued: number };

/** Prompts each chat is answering or holds in its queue, from the session events. */
class ActivityTracker {
  /** session id -> chat id -> prompt id -> state */
  private readonly states = new Map<string, Map<string, Map<string, 'queued' | 'running'>>>();

  /** True when what the tree shows changed. */
  follow(e: SessionEvent | ActivityEvent): boolean {
    switch (e.type) {
      case 'chatQueued':
      case 'chatStarted': {
        let chats = this.states.get(e.sessionId);
        if (!chats) this.states.set(e.sessionId, (chats = new Map()));
        let prompts = chats.get(e.chatId);
        if (!prompts) chats.set(e.chatId, (prompts = new Map()));
        prompts.set(e.promptId, e.type === 'chatQueued' ? 'queued' : 'running');
        return true;
      }
      case 'record':
        return this.states.get(e.sessionId)?.get(e.chatId)?.delete(e.promptId) ?? false;
      case 'promptFinished': {
        let changed = false;
        for (const prompts of this.states.get(e.sessionId)?.values() ?? []) changed = prompts.delete(e.promptId) || changed;
        return changed;
      }
      case 'deleted':
        return this.states.delete(e.sessionId);
      default:
        return false;
    }
  }

  of(sessionId: string, chatId: string): ChatActivity {
    const states = [...(this.states.get(sessionId)?.get(chatId)?.values() ?? [])];
    return { answering: states.includes('running'), queued: states.filter((s) => s === 'queued').length };
  }

  busy(sessionId: string): boolean {
    return [...(this.states.get(sessionId)?.values() ?? [])].some((prompts) => prompts.size > 0);
  }
}

export class SessionsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private timer: NodeJS.Timeout | undefined;
  private readonly activity = new ActivityTracker();

  constructor(
    private readonly sessions: SessionService,
    private readonly endpoints: EndpointRegistry,
  ) {
    this.disposables.push(
      sessions.onDidChange((e: SessionEvent | ActivityEvent) => {
        const activityChanged = this.activity.follow(e);
        if (activityChanged || (e.type !== 'delta' && e.type !== 'promptStarted')) this.refresh();
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
    const extras = [s.prompt_template && `template ${s.prompt_template}`, s.context_strategy && `strategy ${s.context_strategy}`].filter(Boolean);
    const busy = this.activity.busy(s.session_id) ? ['answering…'] : [];
    item.description = [...busy, `${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'}`, ...extras].join(' · ');
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${escapeMarkdown(s.name)}**\n\n`);
    if (s.description) tooltip.appendMarkdown(`${escapeMarkdown(s.description)}\n\n`);
    tooltip.appendMarkdown(`- id: \`${s.session_id}\`\n- created: ${s.created_datetime}\n- endpoints: ${s.endpoints.map((e) => `\`${e}\``).join(', ')}\n`);
    tooltip.appendMarkdown(`- prompt template: ${s.prompt_template ?? 'none'}\n- context strategy: ${s.context_strategy ?? 'none'}`);
    item.tooltip = tooltip;
    return item;
  }

  private chatItem(c: ChatNode): vscode.TreeItem {
    const entry = this.endpoints.get(c.endpoint);
    const name = entry?.config.name ?? c.endpoint;
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
    item.id = `chat:${c.sessionId}/${c.chatId}`;
    item.contextValue = 'chat';
    const activity = this.activity.of(c.sessionId, c.chatId);
    const stopped = c.last?.error === STOPPED_ERROR;
    const failed = Boolean(c.last?.error) && !stopped;
    const icon = !entry ? 'warning' : activity.answering ? 'loading~spin' : activity.queued ? 'clock' : failed ? 'error' : stopped ? 'debug-stop' : 'hubot';
    item.iconPath = new vscode.ThemeIcon(icon);
    const now = activity.answering ? 'answering…' : activity.queued ? 'queued' : undefined;
    const more = activity.answering && activity.queued ? `${activity.queued} queued` : undefined;
    item.description = [now, more, `${c.count} record${c.count === 1 ? '' : 's'}`, c.last && `last ${c.last.duration}`, !now && stopped && 'stopped'].filter(Boolean).join(' · ');
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**${escapeMarkdown(name)}** (\`${c.endpoint}\`)\n\n`);
    if (!entry) tooltip.appendMarkdown('This endpoint is no longer configured.\n\n');
    if (activity.answering) tooltip.appendMarkdown(`Answering a prompt now${activity.queued ? `; ${activity.queued} more waiting` : ''}.\n\n`);
    else if (activity.queued) tooltip.appendMarkdown(`Queued: ${activity.queued} prompt${activity.queued === 1 ? '' : 's'} waiting for an earlier one to ${escapeMarkdown(name)}.\n\n`);
    if (entry?.config.model) tooltip.appendMarkdown(`- model: \`${entry.config.model}\`\n`);
    tooltip.appendMarkdown(`- chat: \`${c.chatId}\`\n- records: ${c.count}\n`);
    if (c.last) {
      const outcome = stopped ? ', stopped by the user' : failed ? `, failed: ${escapeMarkdown(c.last.error ?? '')}` : '';
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
