// Commands on sessions: create, send a prompt, open, delete, export, and
// the session's prompt template and context strategy. Each returns what it
// did, so tests (and other extensions) can follow up.
import * as vscode from 'vscode';
import type { Core } from '../core/core';
import type { SessionMetadata, PromptTemplate } from '../core/schemas';
import type { PromptResult } from '../core/sessions';
import { CONTEXT_STRATEGIES } from '../core/pipeline';
import { slugify } from '../core/ids';
import { sessionToJson, sessionToMarkdown } from '../core/exportFormats';
import type { UserInput } from './userInput';
import type { TreeNode } from './sessionsTree';
import { historyUri } from './historyDocument';
import { registerCommand } from './registerCommand';
import type { ChatPanel, ChatPanels } from './chatPanel';

/** What a session command may be called with: a tree node, a session id, or nothing (ask). */
export type SessionArg = TreeNode | string | undefined;

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

export class SessionCommands {
  constructor(
    private readonly core: Core,
    private readonly panels: ChatPanels,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  register(): vscode.Disposable[] {
    const c = <A extends unknown[]>(id: string, fn: (...args: A) => unknown) => registerCommand(id, fn, this.log);
    return [
      c('createSession', () => this.createSession()),
      c('sendPrompt', (arg?: SessionArg, prompt?: string) => this.sendPrompt(arg, prompt)),
      c('openSession', (arg?: SessionArg) => this.openSession(arg)),
      c('openSessionMarkdown', (arg?: SessionArg) => this.openSessionMarkdown(arg)),
      c('deleteSession', (arg?: SessionArg) => this.deleteSession(arg)),
      c('exportSession', (arg?: SessionArg) => this.exportSession(arg)),
      c('setPromptTemplate', (arg?: SessionArg) => this.setPromptTemplate(arg)),
      c('clearPromptTemplate', (arg?: SessionArg) => this.clearPromptTemplate(arg)),
      c('setContextStrategy', (arg?: SessionArg) => this.setContextStrategy(arg)),
      c('clearContextStrategy', (arg?: SessionArg) => this.clearContextStrategy(arg)),
      c('copySessionId', (arg?: SessionArg) => this.copySessionId(arg)),
    ];
  }

  private async resolveSession(arg: SessionArg, placeHolder = 'Pick a session'): Promise<SessionMetadata | undefined> {
    if (typeof arg === 'string') return this.core.sessions.get(arg);
    if (arg?.kind === 'session') return this.core.sessions.get(arg.session.session_id);
    if (arg?.kind === 'chat') return this.core.sessions.get(arg.sessionId);
    const sessions = await this.core.sessions.list();
    if (sessions.length === 0) {
      void vscode.window.showInformationMessage('There are no sessions yet.', 'Create Session').then((a) => a && vscode.commands.executeCommand('moonshotSessions.createSession'));
      return undefined;
    }
    const picked = await this.input().pick(
      sessions.map((s): Item<SessionMetadata> => ({ label: s.name, description: s.session_id, detail: s.endpoints.join(', '), value: s })),
      { placeHolder, matchOnDescription: true },
    );
    return picked?.value;
  }

  async createSession(): Promise<SessionMetadata | undefined> {
    const ui = this.input();
    const name = await ui.input({
      title: 'Create Session (1/5): name',
      prompt: 'A name for the session; its id is made from it',
      validateInput: (v) => (v.trim() === '' ? 'Give the session a name' : slugify(v) === '' ? 'The name needs at least one letter or digit' : v.trim().length > 100 ? 'At most 100 characters' : undefined),
    });
    if (name === undefined) return undefined;
    const description = await ui.input({ title: 'Create Session (2/5): description', prompt: 'Optional: what this session is for' });
    if (description === undefined) return undefined;

    const views = await this.core.endpoints.list();
    const usable = views.filter((v) => v.supported);
    const endpoints = await ui.pickMany(
      usable.map((v): Item<string> => ({ label: v.name, description: v.id, detail: [v.connector_type, v.model, v.uri].filter(Boolean).join(' · '), value: v.id, picked: v.id === 'echo' && usable.length === 1 })),
      { title: 'Create Session (3/5): endpoints', placeHolder: 'Pick the endpoints every prompt goes to (Add Endpoint adds more)' },
    );
    if (!endpoints || endpoints.length === 0) return undefined;

    const template = await this.pickTemplate('Create Session (4/5): prompt template', true);
    if (template === undefined) return undefined;
    const strategy = await this.pickStrategy('Create Session (5/5): context strategy', true);
    if (strategy === undefined) return undefined;

    const session = await this.core.sessions.create({
      name,
      description,
      endpoints: endpoints.map((e) => e.value),
      prompt_template: template,
      context_strategy: strategy,
    });
    this.log.info(`Created session ${session.session_id}`);
    void vscode.window.showInformationMessage(`Created session "${session.name}".`, 'Send Prompt').then((a) => a && vscode.commands.executeCommand('moonshotSessions.sendPrompt', session.session_id));
    return session;
  }

  /** The template's name, null for none, undefined when the user cancelled. */
  private async pickTemplate(title: string, offerNone: boolean): Promise<string | null | undefined> {
    const templates = this.core.templates.list();
    const items: Item<PromptTemplate | null>[] = [
      ...(offerNone ? [{ label: 'None', description: 'send prompts as they are', value: null }] : []),
      ...templates.map((t) => ({ label: t.name, detail: t.description, value: t })),
    ];
    if (!offerNone && templates.length === 0) {
      void vscode.window.showInformationMessage('No prompt templates found. Add a folder of Moonshot prompt templates in the setting moonshotSessions.promptTemplateFolders.');
      return undefined;
    }
    const picked = await this.input().pick(items, { title, placeHolder: templates.length ? 'Wraps every prompt ({{ prompt }} is replaced)' : 'No templates configured (setting moonshotSessions.promptTemplateFolders)' });
    return picked === undefined ? undefined : (picked.value?.name ?? null);
  }

  private async pickStrategy(title: string, offerNone: boolean): Promise<string | null | undefined> {
    const items: Item<string | null>[] = [
      ...(offerNone ? [{ label: 'None', description: 'each prompt on its own', value: null }] : []),
      ...[...CONTEXT_STRATEGIES.values()].map((s) => ({ label: s.name, detail: s.description, value: s.name })),
    ];
    const picked = await this.input().pick(items, { title, placeHolder: 'How earlier exchanges are sent with a new prompt' });
    return picked === undefined ? undefined : picked.value;
  }

  async sendPrompt(arg?: SessionArg, promptText?: string): Promise<PromptResult | undefined> {
    const session = await this.resolveSession(arg, 'Send a prompt to which session?');
    if (!session) return undefined;
    const prompt =
      promptText ??
      (await this.input().input({
        title: `Send Prompt to "${session.name}"`,
        prompt: `Goes to ${session.endpoints.length} endpoint${session.endpoints.length === 1 ? '' : 's'} at once: ${session.endpoints.join(', ')}`,
        validateInput: (v) => (v.trim() === '' ? 'Type a prompt' : undefined),
      }));
    if (prompt === undefined) return undefined;
    const controller = new AbortController();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Moonshot: "${session.name}"`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: `waiting for ${session.endpoints.length} endpoint${session.endpoints.length === 1 ? '' : 's'}…` });
        return this.core.sessions.prompt(session.session_id, prompt, { signal: controller.signal });
      },
    );
    const records = Object.values(result).flat();
    const failed = records.filter((r) => r.error !== null);
    const summary = `${records.length - failed.length} of ${records.length} endpoint${records.length === 1 ? '' : 's'} answered`;
    const show = failed.length ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`${summary}${failed.length ? `; failed: ${failed.map((r) => `${r.conn_id} (${r.error})`).join(', ')}` : ''}.`, 'Open Session').then(
      (a) => a && vscode.commands.executeCommand('moonshotSessions.openSession', session.session_id),
    );
    return result;
  }

  /** Opens (or reveals) the session's chat panel. */
  async openSession(arg?: SessionArg): Promise<ChatPanel | undefined> {
    const session = await this.resolveSession(arg, 'Open which session?');
    return session ? this.panels.open(session) : undefined;
  }

  /** The history as a read-only Markdown document that follows new records. */
  async openSessionMarkdown(arg?: SessionArg): Promise<vscode.TextEditor | undefined> {
    const session = await this.resolveSession(arg, 'Open which session as Markdown?');
    if (!session) return undefined;
    const doc = await vscode.workspace.openTextDocument(historyUri(session.session_id));
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  async deleteSession(arg?: SessionArg): Promise<boolean> {
    const session = await this.resolveSession(arg, 'Delete which session?');
    if (!session) return false;
    const ok = await this.input().confirm(`Delete session "${session.name}"?`, `Its history with ${session.endpoints.length} endpoint(s) is deleted for good.`, 'Delete');
    if (!ok) return false;
    await this.core.sessions.delete(session.session_id);
    this.log.info(`Deleted session ${session.session_id}`);
    return true;
  }

  async exportSession(arg?: SessionArg): Promise<vscode.Uri | undefined> {
    const session = await this.resolveSession(arg, 'Export which session?');
    if (!session) return undefined;
    const format = await this.input().pick(
      [
        { label: 'Markdown', description: 'readable, one section per endpoint', value: 'md' as const },
        { label: 'JSON', description: "the API's shape, with the whole history", value: 'json' as const },
      ],
      { title: `Export "${session.name}"` },
    );
    if (!format) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await this.input().saveLocation({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${session.session_id}.${format.value}`) } : {}),
      filters: format.value === 'md' ? { Markdown: ['md'] } : { JSON: ['json'] },
      saveLabel: 'Export',
    });
    if (!target) return undefined;
    const full = await this.core.sessions.get(session.session_id, { includeHistory: true });
    const text = format.value === 'md' ? sessionToMarkdown(full) : sessionToJson(full);
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    void vscode.window.showInformationMessage(`Exported "${session.name}" to ${vscode.workspace.asRelativePath(target)}.`);
    return target;
  }

  async setPromptTemplate(arg?: SessionArg): Promise<string | undefined> {
    const session = await this.resolveSession(arg);
    if (!session) return undefined;
    const name = await this.pickTemplate(`Prompt template for "${session.name}"`, false);
    if (!name) return undefined;
    await this.core.sessions.setPromptTemplate(session.session_id, name);
    return name;
  }

  async clearPromptTemplate(arg?: SessionArg): Promise<boolean> {
    const session = await this.resolveSession(arg);
    if (!session?.prompt_template) return false;
    await this.core.sessions.clearPromptTemplate(session.session_id, session.prompt_template);
    return true;
  }

  async setContextStrategy(arg?: SessionArg): Promise<string | undefined> {
    const session = await this.resolveSession(arg);
    if (!session) return undefined;
    const name = await this.pickStrategy(`Context strategy for "${session.name}"`, false);
    if (!name) return undefined;
    const count = await this.input().input({
      title: 'How many earlier prompts?',
      value: '5',
      validateInput: (v) => (/^[1-9]\d{0,2}$/.test(v.trim()) ? undefined : 'A whole number from 1 to 999'),
    });
    if (count === undefined) return undefined;
    await this.core.sessions.setContextStrategy(session.session_id, name, Number(count));
    return name;
  }

  async clearContextStrategy(arg?: SessionArg): Promise<boolean> {
    const session = await this.resolveSession(arg);
    if (!session?.context_strategy) return false;
    await this.core.sessions.clearContextStrategy(session.session_id, session.context_strategy);
    return true;
  }

  async copySessionId(arg?: SessionArg): Promise<string | undefined> {
    const session = await this.resolveSession(arg);
    if (!session) return undefined;
    await vscode.env.clipboard.writeText(session.session_id);
    return session.session_id;
  }
}
