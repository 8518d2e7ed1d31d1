// The session service: create, list, get, delete, prompt, and the session's
// prompt template and context strategy. It is the only writer of sessions
// in this process, and it tells listeners (the UI, the API's clients) about
// every change.
import { randomUUID } from 'node:crypto';
import {
  CreateSessionBodySchema,
  PromptBodySchema,
  type ChatRecord,
  type CreateSessionBody,
  type SessionMetadata,
  type StoredSession,
} from './schemas';
import { chatIdFor, epochSeconds, formatCreatedDatetime, formatPromptTime, sessionIdFor } from './ids';
import { NotFoundError, ValidationError, type FieldIssue } from './errors';
import { parseOrThrow } from './validation';
import { SessionStore } from './store';
import { EndpointRegistry } from './endpoints';
import { PromptTemplateRegistry } from './templates';
import { CONTEXT_STRATEGIES, buildMessages, renderPromptTemplate } from './pipeline';
import { createConnector, describeError, EndpointLimiters } from './connectors';
import type { Connector, ResolvedEndpoint, TokenUsage } from './connectors/types';
import { Emitter } from './emitter';
import type { StoreChange } from './storeWatcher';

export const DEFAULT_NUM_OF_PREV_PROMPTS = 5;

export type SessionEvent =
  | { type: 'created'; session: SessionMetadata }
  | { type: 'updated'; session: SessionMetadata }
  | { type: 'deleted'; sessionId: string }
  | { type: 'promptStarted'; sessionId: string; promptId: string; prompt: string; chatIds: string[] }
  | { type: 'delta'; sessionId: string; promptId: string; chatId: string; text: string }
  | { type: 'record'; sessionId: string; promptId: string; chatId: string; record: ChatRecord }
  | { type: 'promptFinished'; sessionId: string; promptId: string }
  /** The store changed outside this service (another process): read what you show again. */
  | { type: 'reloaded' }
  | { type: 'recordsChanged'; sessionId: string };

export interface PromptOptions {
  /** Send only to these chats of the session (a retry); default: all. */
  chatIds?: readonly string[];
  signal?: AbortSignal;
}

/** The records one prompt made, by chat id. */
export type PromptResult = Record<string, ChatRecord[]>;

export interface SessionServiceOptions {
  store: SessionStore;
  endpoints: EndpointRegistry;
  templates: PromptTemplateRegistry;
  limiters?: EndpointLimiters;
  connectorFor?: (endpoint: ResolvedEndpoint) => Connector;
  now?: () => Date;
}

export class SessionService {
  private readonly store: SessionStore;
  private readonly endpoints: EndpointRegistry;
  private readonly templates: PromptTemplateRegistry;
  private readonly limiters: EndpointLimiters;
  private readonly connectorFor: (endpoint: ResolvedEndpoint) => Connector;
  private readonly now: () => Date;

  private sessions: Map<string, StoredSession> | undefined;
  private loading: Promise<Map<string, StoredSession>> | undefined;
  /** Prompts to one session run one after another, in the order accepted. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Calls in flight, by session id then chat id, so they can be stopped. */
  private readonly inFlight = new Map<string, Map<string, AbortController>>();
  private readonly pending = new Set<Promise<unknown>>();

  private readonly changed = new Emitter<SessionEvent>();
  readonly onDidChange = this.changed.event;

  constructor(options: SessionServiceOptions) {
    this.store = options.store;
    this.endpoints = options.endpoints;
    this.templates = options.templates;
    this.limiters = options.limiters ?? new EndpointLimiters();
    this.connectorFor = options.connectorFor ?? createConnector;
    this.now = options.now ?? (() => new Date());
  }

  private async index(): Promise<Map<string, StoredSession>> {
    if (this.sessions) return this.sessions;
    this.loading ??= this.store.listSessions().then((list) => {
      this.sessions = new Map(list.map((s) => [s.session_id, s]));
      return this.sessions;
    });
    return this.loading;
  }

  /** Forgets what is cached and reads the store again (another process changed it). */
  async reload(): Promise<void> {
    this.sessions = undefined;
    this.loading = undefined;
    await this.index();
  }

  /** Follows changes a StoreWatcher saw, so listeners show what another process wrote. */
  async applyExternalChange(change: StoreChange): Promise<void> {
    // The watcher also sees this process's own writes; only what differs from what it knows is news.
    if (change.metadata) {
      const known = this.sessions;
      const onDisk = await this.store.listSessions();
      const same =
        known !== undefined &&
        known.size === onDisk.length &&
        onDisk.every((s) => JSON.stringify(known.get(s.session_id)) === JSON.stringify(s));
      if (!same) {
        this.sessions = new Map(onDisk.map((s) => [s.session_id, s]));
        this.loading = Promise.resolve(this.sessions);
        this.changed.fire({ type: 'reloaded' });
      }
    }
    for (const sessionId of change.sessionIds) {
      const session = this.sessions?.get(sessionId);
      if (!session) continue;
      const changed = await Promise.all(session.chat_ids.map((chatId) => this.store.takeForeignChanges(sessionId, chatId)));
      if (changed.some(Boolean)) this.changed.fire({ type: 'recordsChanged', sessionId });
    }
  }

  private async requireSession(sessionId: string): Promise<StoredSession> {
    const index = await this.index();
    // Another process (a second window, `serve`) may have created it since the index was read.
    const session = index.get(sessionId) ?? (await this.store.readSession(sessionId));
    if (!session) throw new NotFoundError('Session not found');
    index.set(sessionId, session);
    return session;
  }

  private toMetadata(session: StoredSession, history: SessionMetadata['chat_history'] = null): SessionMetadata {
    return {
      session_id: session.session_id,
      name: session.name,
      description: session.description,
      created_epoch: session.created_epoch,
      created_datetime: session.created_datetime,
      chat_ids: session.chat_ids,
      endpoints: session.endpoints,
      prompt_template: session.prompt_template,
      context_strategy: session.context_strategy,
      filename: null,
      chat_history: history,
    };
  }

  /** Every session, newest first, without history. */
  async list(): Promise<SessionMetadata[]> {
    const sessions = [...(await this.index()).values()];
    sessions.sort((a, b) => b.created_epoch - a.created_epoch);
    return sessions.map((s) => this.toMetadata(s));
  }

  async get(sessionId: string, options: { includeHistory?: boolean } = {}): Promise<SessionMetadata> {
    const session = await this.requireSession(sessionId);
    if (!options.includeHistory) return this.toMetadata(session);
    const histories = await Promise.all(session.chat_ids.map((chatId) => this.store.readChat(sessionId, chatId)));
    return this.toMetadata(session, Object.fromEntries(session.chat_ids.map((chatId, i) => [chatId, histories[i] ?? []])));
  }

  /** One chat's records, oldest first. */
  async history(sessionId: string, chatId: string): Promise<ChatRecord[]> {
    const session = await this.requireSession(sessionId);
    if (!session.chat_ids.includes(chatId)) throw new NotFoundError('Chat not found');
    return this.store.readChat(sessionId, chatId);
  }

  /** The number of records of each chat and its last record, read from the files' ends. */
  async chatSummaries(sessionId: string): Promise<{ chatId: string; endpoint: string; count: number; last?: ChatRecord }[]> {
    const session = await this.requireSession(sessionId);
    return Promise.all(
      session.chat_ids.map(async (chatId, i) => {
        const [last] = await this.store.readTail(sessionId, chatId, 1);
        return { chatId, endpoint: session.endpoints[i] ?? '', count: last?.chat_record_id ?? 0, ...(last ? { last } : {}) };
      }),
    );
  }

  private checkEndpoints(ids: readonly string[]): void {
    const issues: FieldIssue[] = [];
    ids.forEach((id, i) => {
      const entry = this.endpoints.get(id);
      if (!entry) {
        issues.push({ loc: ['body', 'endpoints', i], msg: `Endpoint "${id}" not found`, type: 'value_error' });
        return;
      }
      const reason = this.endpoints.unsupportedReason(id);
      if (reason) issues.push({ loc: ['body', 'endpoints', i], msg: reason, type: 'value_error' });
    });
    if (issues.length) throw new ValidationError(issues.map((i) => i.msg).join('; '), issues);
  }

  async create(body: CreateSessionBody | unknown): Promise<SessionMetadata> {
    const input = parseOrThrow(CreateSessionBodySchema, body);
    this.checkEndpoints(input.endpoints);
    if (input.prompt_template !== null && !this.templates.get(input.prompt_template)) {
      const msg = `Prompt template "${input.prompt_template}" not found`;
      throw new ValidationError(msg, [{ loc: ['body', 'prompt_template'], msg, type: 'value_error' }]);
    }
    if (input.context_strategy !== null && !CONTEXT_STRATEGIES.has(input.context_strategy)) {
      const msg = `Context strategy "${input.context_strategy}" not found (known: ${[...CONTEXT_STRATEGIES.keys()].join(', ')})`;
      throw new ValidationError(msg, [{ loc: ['body', 'context_strategy'], msg, type: 'value_error' }]);
    }
    const created = this.now();
    const createdDatetime = formatCreatedDatetime(created);
    const session: StoredSession = {
      session_id: sessionIdFor(input.name, createdDatetime),
      name: input.name,
      description: input.description,
      created_epoch: epochSeconds(created),
      created_datetime: createdDatetime,
      chat_ids: input.endpoints.map((e) => chatIdFor(e, createdDatetime)),
      endpoints: input.endpoints,
      prompt_template: input.prompt_template,
      context_strategy: input.context_strategy,
      filename: null,
      num_of_prev_prompts: DEFAULT_NUM_OF_PREV_PROMPTS,
    };
    const index = await this.index();
    await this.store.createSession(session);
    index.set(session.session_id, session);
    const metadata = this.toMetadata(session);
    this.changed.fire({ type: 'created', session: metadata });
    return metadata;
  }

  async delete(sessionId: string): Promise<void> {
    await this.requireSession(sessionId);
    this.cancel(sessionId);
    // Let a prompt that was already running finish writing before the files go.
    await this.queues.get(sessionId)?.catch(() => undefined);
    await this.store.deleteSession(sessionId);
    (await this.index()).delete(sessionId);
    this.changed.fire({ type: 'deleted', sessionId });
  }

  private async update(sessionId: string, change: (s: StoredSession) => StoredSession): Promise<void> {
    const session = await this.requireSession(sessionId);
    const next = change(session);
    await this.store.writeSession(next);
    (await this.index()).set(sessionId, next);
    this.changed.fire({ type: 'updated', session: this.toMetadata(next) });
  }

  async setPromptTemplate(sessionId: string, name: string): Promise<void> {
    await this.requireSession(sessionId);
    if (!this.templates.get(name)) throw new NotFoundError(`Prompt template "${name}" not found`);
    await this.update(sessionId, (s) => ({ ...s, prompt_template: name }));
  }

  /** Clears the template if it is the session's current one; otherwise changes nothing. */
  async clearPromptTemplate(sessionId: string, name: string): Promise<void> {
    const session = await this.requireSession(sessionId);
    if (session.prompt_template === name) await this.update(sessionId, (s) => ({ ...s, prompt_template: null }));
  }

  async setContextStrategy(sessionId: string, name: string, numOfPrevPrompts = DEFAULT_NUM_OF_PREV_PROMPTS): Promise<void> {
    await this.requireSession(sessionId);
    if (!CONTEXT_STRATEGIES.has(name)) throw new NotFoundError(`Context strategy "${name}" not found`);
    await this.update(sessionId, (s) => ({ ...s, context_strategy: name, num_of_prev_prompts: numOfPrevPrompts }));
  }

  async clearContextStrategy(sessionId: string, name: string): Promise<void> {
    const session = await this.requireSession(sessionId);
    if (session.context_strategy === name) await this.update(sessionId, (s) => ({ ...s, context_strategy: null }));
  }

  /**
   * Sends a prompt to every chat of the session at once and resolves with
   * the records it made, when every endpoint has answered or failed. A
   * failed call still makes a record, with the reason in `error`.
   */
  async prompt(sessionId: string, prompt: unknown, options: PromptOptions = {}): Promise<PromptResult> {
    const { prompt: text } = parseOrThrow(PromptBodySchema, { prompt });
    const session = await this.requireSession(sessionId);
    const chatIds = options.chatIds ?? session.chat_ids;
    for (const chatId of chatIds) if (!session.chat_ids.includes(chatId)) throw new NotFoundError(`Chat "${chatId}" not found`);
    const promptId = randomUUID();
    const previous = this.queues.get(sessionId) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(() => this.runPrompt(sessionId, promptId, text, chatIds, options.signal));
    this.queues.set(sessionId, run);
    this.pending.add(run);
    try {
      return await run;
    } finally {
      this.pending.delete(run);
      if (this.queues.get(sessionId) === run) this.queues.delete(sessionId);
    }
  }

  private async runPrompt(sessionId: string, promptId: string, prompt: string, chatIds: readonly string[], signal?: AbortSignal): Promise<PromptResult> {
    // Read again inside the queue: a template set while this prompt waited applies to it.
    const session = await this.requireSession(sessionId);
    this.changed.fire({ type: 'promptStarted', sessionId, promptId, prompt, chatIds: [...chatIds] });
    const records = await Promise.all(chatIds.map((chatId) => this.promptChat(session, promptId, chatId, prompt, signal)));
    this.changed.fire({ type: 'promptFinished', sessionId, promptId });
    return Object.fromEntries(chatIds.map((chatId, i) => [chatId, [records[i] as ChatRecord]]));
  }

  private async promptChat(session: StoredSession, promptId: string, chatId: string, prompt: string, signal?: AbortSignal): Promise<ChatRecord> {
    const sessionId = session.session_id;
    const endpointId = session.endpoints[session.chat_ids.indexOf(chatId)] ?? '';
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) controller.abort();
    let chats = this.inFlight.get(sessionId);
    if (!chats) this.inFlight.set(sessionId, (chats = new Map()));
    chats.set(chatId, controller);

    const sent = this.now();
    let preparedPrompt = prompt;
    let predicted = '';
    let usage: TokenUsage | null = null;
    let error: string | null = null;
    let started = performance.now();
    let streamed = '';
    try {
      const strategy = session.context_strategy ? CONTEXT_STRATEGIES.get(session.context_strategy) : undefined;
      const history = strategy ? await this.store.readTail(sessionId, chatId, session.num_of_prev_prompts) : [];
      const context = strategy ? strategy.apply({ prompt, history, numOfPrevPrompts: session.num_of_prev_prompts }) : { text: prompt, turns: [] };
      const template = session.prompt_template ? this.templates.get(session.prompt_template) : undefined;
      if (session.prompt_template && !template) throw new Error(`Prompt template "${session.prompt_template}" is no longer available`);
      preparedPrompt = template ? renderPromptTemplate(template.template, context.text) : context.text;
      if (!this.endpoints.get(endpointId)) throw new Error(`Endpoint "${endpointId}" is no longer configured`);
      const unsupported = this.endpoints.unsupportedReason(endpointId);
      if (unsupported) throw new Error(unsupported);
      const endpoint = await this.endpoints.resolve(endpointId);
      const messages = buildMessages(endpoint.params, context.turns, preparedPrompt);
      const connector = this.connectorFor(endpoint);
      const result = await this.limiters.get(endpoint).run(() => {
        // Time the call itself, not the wait for a free slot.
        started = performance.now();
        return connector.complete({
          messages,
          signal: controller.signal,
          onDelta: (text) => {
            streamed += text;
            this.changed.fire({ type: 'delta', sessionId, promptId, chatId, text });
          },
        });
      }, controller.signal);
      predicted = result.text;
      usage = result.usage;
    } catch (err) {
      error = describeError(err);
      // A person who pressed Stop keeps what they were reading; any other failure has no answer.
      predicted = controller.signal.aborted ? streamed : '';
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (chats.get(chatId) === controller) chats.delete(chatId);
    }
    const seconds = (performance.now() - started) / 1000;
    const record = await this.store.appendNextRecord(sessionId, chatId, (id) => ({
      chat_record_id: id,
      conn_id: endpointId,
      context_strategy: session.context_strategy ?? '',
      prompt_template: session.prompt_template ?? '',
      prompt,
      prepared_prompt: preparedPrompt,
      predicted_result: predicted,
      duration: `${Number(seconds.toFixed(3))} secs`,
      prompt_time: formatPromptTime(sent),
      error,
      ...(usage ? { usage } : {}),
    }));
    this.changed.fire({ type: 'record', sessionId, promptId, chatId, record });
    return record;
  }

  /** Stops the calls in flight for a session (or one of its chats); their records say "cancelled". */
  cancel(sessionId: string, chatId?: string): void {
    const chats = this.inFlight.get(sessionId);
    if (!chats) return;
    for (const [id, controller] of chats) if (chatId === undefined || id === chatId) controller.abort();
  }

  /** Resolves when every accepted prompt has written its records. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
