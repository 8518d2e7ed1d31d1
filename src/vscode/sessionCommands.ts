// Commands on sessions: create, send a prompt, open, delete, export, and
// the session's prompt template and context strategy. Each returns what it
// did, so tests (and other extensions) can follow up, and says what it did.
import * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import type { SessionMetadata, PromptTemplate } from '../core/schemas';
import type { PromptResult } from '../core/sessions';
import { CONTEXT_STRATEGIES } from '../core/pipeline';
import { slugify } from '../core/ids';
import { sessionToJson, sessionToMarkdown } from '../core/exportFormats';
import type { UserInput } from './userInput';
import { historyUri } from './historyDocument';
import { notify, offerCommand, offerOpen, type CommandTable } from './commands';
import { runFlow, type Ask, type Step } from './flow';
import type { ChatPanel } from './chatPanel';
import type { SessionArg, SessionPicker } from './sessionPicker';

export type { SessionArg } from './sessionPicker';

/** What the commands need of the chat panels. */
export interface ChatPanelHost {
  open(sessionId: string, options?: { focusPrompt?: boolean }): Promise<ChatPanel>;
  /** The focused chat panel, or the one focused last while it is open. */
  readonly active: ChatPanel | undefined;
  /** False when no chat panel is open. */
  focusPromptBox(): boolean;
  /** Stops the calls in flight of the active panel's session; false when no panel is open. */
  stopAll(): boolean;
}

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export class SessionCommands {
  constructor(
    private readonly core: Core,
    private readonly panels: ChatPanelHost,
    private readonly picker: SessionPicker,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handlers(): Pick<
    CommandTable,
    | 'createSession'
    | 'sendPrompt'
    | 'openSession'
    | 'openSessionMarkdown'
    | 'deleteSession'
    | 'exportSession'
    | 'setPromptTemplate'
    | 'clearPromptTemplate'
    | 'setContextStrategy'
    | 'clearContextStrategy'
    | 'copySessionId'
    | 'focusPromptBox'
    | 'stopAll'
  > {
    return {
      createSession: () => this.createSession(),
      sendPrompt: (arg?: SessionArg, prompt?: string) => this.sendPrompt(arg, prompt),
      openSession: (arg?: SessionArg) => this.openSession(arg),
      openSessionMarkdown: (arg?: SessionArg) => this.openSessionMarkdown(arg),
      deleteSession: (arg?: SessionArg) => this.deleteSession(arg),
      exportSession: (arg?: SessionArg) => this.exportSession(arg),
      setPromptTemplate: (arg?: SessionArg) => this.setPromptTemplate(arg),
      clearPromptTemplate: (arg?: SessionArg) => this.clearPromptTemplate(arg),
      setContextStrategy: (arg?: SessionArg) => this.setContextStrategy(arg),
      clearContextStrategy: (arg?: SessionArg) => this.clearContextStrategy(arg),
      copySessionId: (arg?: SessionArg) => this.copySessionId(arg),
      focusPromptBox: () => this.whenPanelOpen(this.panels.focusPromptBox()),
      stopAll: () => this.whenPanelOpen(this.panels.stopAll()),
    };
  }

  private whenPanelOpen(done: boolean): boolean {
    if (!done) notify(this.input(), 'info', 'No chat panel is open.', offerCommand('Open Session', 'openSession'));
    return done;
  }

  private resolveSession(arg: SessionArg, placeHolder?: string): Promise<SessionMetadata | undefined> {
    return this.picker.resolve(arg, placeHolder);
  }

  private withSession(
    arg: SessionArg,
    placeHolder: string,
    after: (s: SessionMetadata) => Step,
    steps: number,
  ): Promise<SessionMetadata | undefined> {
    return this.picker.withSession(arg, placeHolder, after, steps);
  }

  async createSession(): Promise<SessionMetadata | undefined> {
    const d = {
      name: '',
      description: '',
      endpoints: [] as string[],
      template: null as string | null,
      strategy: null as string | null,
      noEndpoint: false,
    };
    const usable = (await this.core.endpoints.list()).filter((v) => v.supported);

    const nameStep: Step = async (ask) => {
      d.name = await ask.input({
        title: 'Create Session',
        placeHolder: 'Session name',
        prompt: 'A name for the session; its id is made from it',
        value: d.name,
        validate: (v) => {
          if (v.trim() === '') return 'Give the session a name';
          if (slugify(v) === '') return 'The name needs at least one letter or digit';
          if (v.trim().length > 100) return 'At most 100 characters';
          return undefined;
        },
      });
      return descriptionStep;
    };
    const descriptionStep: Step = async (ask) => {
      d.description = await ask.input({
        title: 'Create Session',
        placeHolder: 'Description (optional)',
        prompt: 'Optional: what this session is for',
        value: d.description,
      });
      return endpointsStep;
    };
    const endpointsStep: Step = async (ask) => {
      const picked = await ask.pickMany({
        title: 'Create Session',
        placeHolder: d.noEndpoint
          ? 'Pick at least one endpoint (Space to select), then Enter'
          : 'Pick the endpoints every prompt goes to (Add Endpoint adds more)',
        items: usable.map((v): Item<string> => ({
          label: v.name,
          description: v.id,
          detail: [v.connector_type, v.model, v.uri].filter(Boolean).join(' · '),
          value: v.id,
          picked: d.endpoints.length ? d.endpoints.includes(v.id) : v.id === 'echo' && usable.length === 1,
        })),
      });
      // Nothing picked is a slip (Enter before Space), not a wish to stop: ask again.
      d.noEndpoint = picked.length === 0;
      if (d.noEndpoint) return endpointsStep;
      d.endpoints = picked.map((p) => p.value);
      return templateStep;
    };
    const templateStep: Step = async (ask) => {
      d.template = (await this.askTemplate(ask, 'Create Session', true, d.template)) ?? null;
      return strategyStep;
    };
    const strategyStep: Step = async (ask) => {
      d.strategy = await this.askStrategy(ask, 'Create Session', true, d.strategy);
    };

    if (!(await runFlow(this.input(), nameStep, { totalSteps: () => 5 }))) return undefined;
    const session = await this.core.sessions.create({
      name: d.name,
      description: d.description,
      endpoints: d.endpoints,
      prompt_template: d.template,
      context_strategy: d.strategy,
    });
    this.log.info(`Created session ${session.session_id}`);
    this.input().status(`Created session "${session.name}" with ${plural(session.endpoints.length, 'endpoint')}`);
    await this.panels.open(session.session_id, { focusPrompt: true });
    return session;
  }

  /** The template's name, or null for none. */
  private async askTemplate(ask: Ask, title: string, offerNone: boolean, current: string | null): Promise<string | null> {
    const templates = this.core.templates.list();
    const items: Item<PromptTemplate | null>[] = [
      ...(offerNone ? [{ label: 'None', description: 'send prompts as they are', value: null, picked: current === null }] : []),
      ...templates.map((t) => ({ label: t.name, detail: t.description, value: t, picked: t.name === current })),
    ];
    const picked = await ask.pick({
      title,
      items,
      placeHolder: templates.length
        ? 'Prompt template: wraps every prompt ({{ prompt }} is replaced)'
        : 'Prompt template: none configured (setting moonshotSessions.promptTemplateFolders)',
    });
    return picked.value?.name ?? null;
  }

  private async askStrategy(ask: Ask, title: string, offerNone: boolean, current: string | null): Promise<string | null> {
    const items: Item<string | null>[] = [
      ...(offerNone ? [{ label: 'None', description: 'each prompt on its own', value: null, picked: current === null }] : []),
      ...[...CONTEXT_STRATEGIES.values()].map((s) => ({ label: s.name, detail: s.description, value: s.name, picked: s.name === current })),
    ];
    return (await ask.pick({ title, items, placeHolder: 'Context strategy: how earlier exchanges are sent with a new prompt' })).value;
  }

  async sendPrompt(arg?: SessionArg, promptText?: string): Promise<PromptResult | undefined> {
    let prompt = promptText ?? '';
    const promptStep = (s: SessionMetadata): Step => async (ask) => {
      if (promptText !== undefined) return;
      prompt = await ask.input({
        title: `Send Prompt to "${s.name}"`,
        prompt: `Goes to ${plural(s.endpoints.length, 'endpoint')} at once: ${s.endpoints.join(', ')}`,
        value: prompt,
        validate: (v) => (v.trim() === '' ? 'Type a prompt' : undefined),
      });
    };
    const session = await this.withSession(arg, 'Send a prompt to which session?', promptStep, promptText === undefined ? 1 : 0);
    if (!session) return undefined;
    const controller = new AbortController();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Moonshot: "${session.name}"`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: `waiting for ${plural(session.endpoints.length, 'endpoint')}…` });
        return this.core.sessions.prompt(session.session_id, prompt, { signal: controller.signal });
      },
    );
    const records = Object.values(result).flat();
    const failed = records.filter((r) => r.error !== null);
    const summary = `${records.length - failed.length} of ${plural(records.length, 'endpoint')} answered`;
    notify(
      this.input(),
      failed.length ? 'warning' : 'info',
      `${summary}${failed.length ? `; failed: ${failed.map((r) => `${r.conn_id} (${r.error})`).join(', ')}` : ''}.`,
      offerCommand('Open Session', 'openSession', session.session_id),
    );
    return result;
  }

  /** Opens (or reveals) the session's chat panel. */
  async openSession(arg?: SessionArg): Promise<ChatPanel | undefined> {
    const session = await this.resolveSession(arg, 'Open which session?');
    return session ? this.panels.open(session.session_id) : undefined;
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
    const ok = await this.input().confirm(
      `Delete session "${session.name}"?`,
      `Its history with ${plural(session.endpoints.length, 'endpoint')} is deleted for good.`,
      'Delete',
    );
    if (!ok) return false;
    await this.core.sessions.delete(session.session_id);
    this.log.info(`Deleted session ${session.session_id}`);
    this.input().status(`Deleted session "${session.name}"`);
    return true;
  }

  async exportSession(arg?: SessionArg): Promise<vscode.Uri | undefined> {
    let format: 'md' | 'json' = 'md';
    const formatStep = (s: SessionMetadata): Step => async (ask) => {
      const items: Item<'md' | 'json'>[] = [
        { label: 'Markdown', description: 'to read: prompt by prompt, every endpoint\'s answer under it', value: 'md' },
        { label: 'JSON', description: "the API's shape, with every stored field", value: 'json' },
      ];
      format = (await ask.pick({ title: `Export "${s.name}"`, items: items.map((i) => ({ ...i, picked: i.value === format })) })).value;
    };
    const session = await this.withSession(arg, 'Export which session?', formatStep, 1);
    if (!session) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await this.input().saveLocation({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${session.session_id}.${format}`) } : {}),
      filters: format === 'md' ? { Markdown: ['md'] } : { JSON: ['json'] },
      saveLabel: 'Export',
    });
    if (!target) return undefined;
    const full = await this.core.sessions.get(session.session_id, { includeHistory: true });
    const text =
      format === 'md' ? sessionToMarkdown(full, { endpointName: (id) => this.core.endpoints.get(id)?.config.name }) : sessionToJson(full);
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    this.log.info(`Exported ${session.session_id} to ${target.toString()}`);
    notify(this.input(), 'info', `Exported "${session.name}" to ${vscode.workspace.asRelativePath(target)}.`, offerOpen('Open', target));
    return target;
  }

  async setPromptTemplate(arg?: SessionArg): Promise<string | undefined> {
    if (this.core.templates.list().length === 0) {
      notify(
        this.input(),
        'info',
        'No prompt templates found. Add a folder of Moonshot prompt templates (prompt-templates/*.json) in the setting ' +
          'moonshotSessions.promptTemplateFolders.',
        {
          title: 'Open Settings',
          run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'moonshotSessions.promptTemplateFolders'),
        },
      );
      return undefined;
    }
    let name: string | null = null;
    const templateStep = (s: SessionMetadata): Step => async (ask) => {
      name = await this.askTemplate(ask, `Prompt template for "${s.name}"`, false, s.prompt_template);
    };
    const session = await this.withSession(arg, 'Set the prompt template of which session?', templateStep, 1);
    if (!session || !name) return undefined;
    await this.core.sessions.setPromptTemplate(session.session_id, name);
    this.input().status(`"${session.name}" now wraps prompts in the template "${name}"`);
    return name;
  }

  async clearPromptTemplate(arg?: SessionArg): Promise<boolean> {
    const session = await this.resolveSession(arg, 'Clear the prompt template of which session?');
    if (!session) return false;
    if (!session.prompt_template) {
      this.input().status(`"${session.name}" has no prompt template`);
      return false;
    }
    await this.core.sessions.clearPromptTemplate(session.session_id, session.prompt_template);
    this.input().status(`"${session.name}" sends prompts without a template now`);
    return true;
  }

  async setContextStrategy(arg?: SessionArg): Promise<string | undefined> {
    let name: string | null = null;
    let count = '5';
    const countStep: Step = async (ask) => {
      count = (
        await ask.input({
          title: 'How many earlier prompts?',
          prompt: 'The number of earlier exchanges sent with each new prompt',
          value: count,
          validate: (v) => (/^[1-9]\d{0,2}$/.test(v.trim()) ? undefined : 'A whole number from 1 to 999'),
        })
      ).trim();
    };
    const strategyStep = (s: SessionMetadata): Step => async (ask) => {
      name = await this.askStrategy(ask, `Context strategy for "${s.name}"`, false, s.context_strategy);
      return countStep;
    };
    const session = await this.withSession(arg, 'Set the context strategy of which session?', strategyStep, 2);
    if (!session || !name) return undefined;
    await this.core.sessions.setContextStrategy(session.session_id, name, Number(count));
    this.input().status(`"${session.name}" now sends the last ${plural(Number(count), 'prompt')} as context (${name})`);
    return name;
  }

  async clearContextStrategy(arg?: SessionArg): Promise<boolean> {
    const session = await this.resolveSession(arg, 'Clear the context strategy of which session?');
    if (!session) return false;
    if (!session.context_strategy) {
      this.input().status(`"${session.name}" has no context strategy`);
      return false;
    }
    await this.core.sessions.clearContextStrategy(session.session_id, session.context_strategy);
    this.input().status(`"${session.name}" sends each prompt on its own now`);
    return true;
  }

  async copySessionId(arg?: SessionArg): Promise<string | undefined> {
    const session = await this.resolveSession(arg);
    if (!session) return undefined;
    await vscode.env.clipboard.writeText(session.session_id);
    this.input().status(`Copied the session id ${session.session_id}`);
    return session.session_id;
  }
}
