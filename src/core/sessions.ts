// The session service: create, list, get, delete, prompt, and the session's
// prompt template and context strategy. It is the only writer of sessions
// in this process, and it tells listeners (the UI, the API's clients) about
// every change.
import { randomUUID } from 'node:crypto';
import {
  CreateSessionBodySchema,
  DEFAULT_NUM_OF_PREV_PROMPTS,
  PromptBodySchema,
  ScoreBodySchema,
  type ChatRecord,
  type MetricResult,
  type ScoreAccepted,
  type SessionJudge,
  type SessionMetadata,
  type SessionSummary,
  type StoredChatRecord,
  type StoredSession,
} from './schemas';
import { chatIdFor, epochSeconds, formatCreatedDatetime, formatPromptTime, sessionIdFor } from './ids';
import { CoreError, NotFoundError, ValidationError, invalidField, isCoreError, type FieldIssue } from './errors';
import { parseOrThrow } from './validation';
import { SessionStore } from './store';
import { EndpointRegistry } from './endpoints';
import { PromptTemplateRegistry } from './templates';
import { CONTEXT_STRATEGIES, preparePrompt } from './pipeline';
import { ConnectorCache, createConnector, describeError, EndpointLimiters } from './connectors';
import { cancelledError } from './connectors/errors';
import type { Connector, ResolvedEndpoint, TokenUsage } from './connectors/types';
import type { ChatModel } from './chatModel';
import { Emitter, type Disposable } from './emitter';
import { planJudge, type JudgePlan } from './judges';
import { isScorable, scoreChatRecords } from './recordScoring';
import { summarize } from './stats';
import { noLog, type Log } from './log';
import type { StoreChange } from './storeWatcher';

export type SessionEvent =
  | { type: 'created'; session: SessionMetadata }
  | { type: 'updated'; session: SessionMetadata }
  | { type: 'deleted'; sessionId: string }
  /** A prompt was accepted (it may still wait in some chats' queues). */
  | { type: 'promptStarted'; sessionId: string; promptId: string; prompt: string; chatIds: string[]; attack?: AttackFields }
  /** The chat works on an earlier prompt: this one waits its turn. */
  | { type: 'chatQueued'; sessionId: string; promptId: string; chatId: string }
  /** The chat begins this prompt (it left the chat's queue). */
  | { type: 'chatStarted'; sessionId: string; promptId: string; chatId: string }
  | { type: 'delta'; sessionId: string; promptId: string; chatId: string; text: string }
  | { type: 'record'; sessionId: string; promptId: string; chatId: string; record: ChatRecord }
  | { type: 'promptFinished'; sessionId: string; promptId: string }
  /** A record was scored (after it was written; the session's judge, or a score asked for). */
  | { type: 'score'; sessionId: string; chatId: string; chatRecordId: number; promptId: string | undefined; metric: MetricResult }
  /** The store changed outside this service (another process): read what you show again. */
  | { type: 'reloaded' }
  | { type: 'recordsChanged'; sessionId: string };

export interface PromptOptions {
  /** Send only to these chats of the session (a retry); default: all. */
  chatIds?: readonly string[];
  /** The id of the prompt this one retries, so its records line up with that prompt's; default: a new id. */
  promptId?: string;
  signal?: AbortSignal;
  /**
   * The prompt is an attack's variant: its records carry the chain and the
   * original prompt. A chat's call stopped before it began then leaves no
   * record (a cancelled attack does not fill the history with variants it
   * never sent); the prompt rejects for that chat with "cancelled".
   */
  attack?: AttackFields;
  /**
   * The prompt is a dataset run's: its records name the run and the row.
   * As for an attack, a chat's call stopped before it began leaves no
   * record, so a resumed run sends it again.
   */
  run?: RunFields;
  /**
   * The conversation this prompt continues (an attacker loop's turns in this
   * chat, oldest first): sent as real user/assistant messages in place of
   * the session's context strategy. Only for a prompt to one chat.
   */
  conversation?: readonly StoredChatRecord[];
}

/** What a dataset run adds to the records it makes. */
export interface RunFields {
  runId: string;
  rowId: string;
  /** Which of the row's attack variants, from 0 (runs with attack modules only). */
  variant?: number;
  /** An attacker loop's turn, from 1. */
  turn?: number;
}

/** What an attack adds to the records of its variants. */
export interface AttackFields {
  /** The chain that made the variant ("a+b"). */
  module: string;
  /** What the attack started from: the prompt, or a generator's topic. */
  originalPrompt: string;
}

/** A prompt accepted and not finished; a chat leaves `chats` once its record is written. */
export interface ActivePrompt {
  promptId: string;
  prompt: string;
  chats: Record<string, { state: 'queued' | 'running'; text: string }>;
}

/** One chat's share of one prompt, from acceptance until its record is written. */
interface ChatJob {
  sessionId: string;
  chatId: string;
  promptId: string;
  prompt: string;
  active: ActivePrompt;
  signal: AbortSignal | undefined;
  attack: AttackFields | undefined;
  run: RunFields | undefined;
  conversation: readonly StoredChatRecord[] | undefined;
  /** Stops this job, running or still queued. */
  controller: AbortController;
  /** Settles (never rejects) when the job is over. */
  done: Promise<void>;
}

interface CallOutcome {
  preparedPrompt: string;
  predicted: string;
  usage: TokenUsage | null;
  error: string | null;
  seconds: number;
  /** Whether the call began (it left the endpoint's queue). */
  sent: boolean;
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
  /** Where failures nobody awaits go (a score that could not be stored). */
  log?: Log;
}

/** Background scoring of one session's records. */
interface ScoringTask {
  controller: AbortController;
  done: Promise<void>;
}

export class SessionService {
  private readonly store: SessionStore;
  private readonly endpoints: EndpointRegistry;
  private readonly templates: PromptTemplateRegistry;
  private readonly limiters: EndpointLimiters;
  private readonly connectorFor: (endpoint: ResolvedEndpoint) => Connector;
  private readonly now: () => Date;
  private readonly log: Log;

  private sessions: Map<string, StoredSession> | undefined;
  private loading: Promise<Map<string, StoredSession>> | undefined;
  /** The listing as the API sends it, made once per change of the index rather than once per request. */
  private listing: { sessions: Buffer; names: Buffer } | undefined;
  /** The end of each chat's queue, by "<session_id>/<chat_id>": a chat's prompts run one after another, in the order accepted. */
  private readonly chatQueues = new Map<string, Promise<void>>();
  /** Chat jobs queued or running, by session id, so they can be stopped and a delete can wait for them. */
  private readonly jobs = new Map<string, Set<ChatJob>>();
  /** Prompts accepted and not finished, by session id, oldest first. */
  private readonly active = new Map<string, ActivePrompt[]>();
  /** Sessions being deleted: they take no new prompt and write no record. */
  private readonly deleting = new Set<string>();
  /** Sessions being created by this process: their folder is there before the index knows them. */
  private readonly creating = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Scoring in the background, by session id, so a delete can stop and wait for it. */
  private readonly scoring = new Map<string, Set<ScoringTask>>();
  /** Run by delete() before the files go (an attack stops its runs). */
  private readonly deleteHooks = new Set<(sessionId: string) => Promise<void>>();

  private readonly changed = new Emitter<SessionEvent>();
  readonly onDidChange = this.changed.event;

  constructor(options: SessionServiceOptions) {
    this.store = options.store;
    this.endpoints = options.endpoints;
    this.templates = options.templates;
    this.limiters = options.limiters ?? new EndpointLimiters();
    // One client per endpoint, reused while its config (token included) stays the same.
    const connectors = new ConnectorCache(options.connectorFor ?? createConnector);
    this.connectorFor = (endpoint) => connectors.get(endpoint);
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? noLog;
  }

  private async index(): Promise<Map<string, StoredSession>> {
    if (this.sessions) return this.sessions;
    this.loading ??= this.store.listSessions().then(
      (list) => {
        this.replaceIndex(new Map(list.map((s) => [s.session_id, s])));
        return this.sessions as Map<string, StoredSession>;
      },
      (err: unknown) => {
        // The storage was broken (503): the next caller reads it again rather than inheriting this failure.
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  /**
   * Follows changes a StoreWatcher saw, so listeners show what another
   * process wrote: `reloaded` when the listing differs from what this
   * process knew, `recordsChanged` for each session whose records grew.
   */
  async applyExternalChange(change: StoreChange): Promise<void> {
    // Not listed yet: the first listing reads the folder as it is now.
    const index = this.sessions;
    if (index && change.all) {
      const onDisk = await this.store.listSessions();
      const same = index.size === onDisk.length && onDisk.every((s) => sameSession(index.get(s.session_id), s));
      if (!same) {
        this.replaceIndex(new Map(onDisk.map((s) => [s.session_id, s])));
        this.changed.fire({ type: 'reloaded' });
      }
    } else if (index) {
      const seen = new Map(change.sessions);
      // A folder that came or went with no word in the journal (an older writer, a person): its metadata says.
      const read = await Promise.all(
        [...change.folders]
          .filter((id) => !seen.has(id) && !this.creating.has(id) && !this.deleting.has(id))
          .map(async (id) => [id, (await this.store.readSession(id)) ?? null] as const),
      );
      for (const [id, session] of read) seen.set(id, session);
      let differs = false;
      for (const [id, session] of seen) {
        // This process's own create or delete in flight: it updates the index itself.
        if (this.creating.has(id) || this.deleting.has(id)) continue;
        if (session === null) {
          differs = index.has(id) || differs;
          this.forget(index, id);
        } else if (!sameSession(index.get(id), session)) {
          differs = true;
          this.remember(index, session);
        }
      }
      if (differs) this.changed.fire({ type: 'reloaded' });
    }
    for (const sessionId of change.sessionIds) {
      if (!index || index.has(sessionId)) this.changed.fire({ type: 'recordsChanged', sessionId });
    }
  }

  private async requireSession(sessionId: string): Promise<StoredSession> {
    const index = await this.index();
    // Another process (a second window, `serve`) may have created it since the index was read.
    const session = index.get(sessionId) ?? (await this.store.readSession(sessionId));
    if (!session) throw new NotFoundError('Session not found');
    this.remember(index, session);
    return session;
  }

  private replaceIndex(index: Map<string, StoredSession>): void {
    this.sessions = index;
    this.loading = Promise.resolve(index);
    this.listing = undefined;
  }

  /** Puts a session (new or changed) in the index. */
  private remember(index: Map<string, StoredSession>, session: StoredSession): void {
    if (index.get(session.session_id) === session) return;
    index.set(session.session_id, session);
    this.listing = undefined;
  }

  private forget(index: Map<string, StoredSession>, sessionId: string): void {
    if (index.delete(sessionId)) this.listing = undefined;
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
    return this.sorted(await this.index());
  }

  private sorted(index: Map<string, StoredSession>): SessionMetadata[] {
    const sessions = [...index.values()];
    sessions.sort((a, b) => b.created_epoch - a.created_epoch);
    return sessions.map((s) => this.toMetadata(s));
  }

  /**
   * list() and the ids of list() as JSON bytes, made once per change: a
   * client polling the listing costs a copy of the bytes, not a
   * serialisation of every session.
   */
  async listJson(): Promise<{ sessions: Buffer; names: Buffer }> {
    const index = await this.index();
    if (!this.listing) {
      const list = this.sorted(index);
      this.listing = { sessions: Buffer.from(JSON.stringify(list)), names: Buffer.from(JSON.stringify(list.map((s) => s.session_id))) };
    }
    return this.listing;
  }

  async get(sessionId: string, options: { includeHistory?: boolean } = {}): Promise<SessionMetadata> {
    const session = await this.requireSession(sessionId);
    if (!options.includeHistory) return this.toMetadata(session);
    const histories = await Promise.all(
      session.chat_ids.map(async (chatId) => this.withScores(sessionId, chatId, await this.store.readChat(sessionId, chatId))),
    );
    return this.toMetadata(session, Object.fromEntries(session.chat_ids.map((chatId, i) => [chatId, histories[i] ?? []])));
  }

  /**
   * get(id, { includeHistory: true }) as JSON bytes (`session`: the API's
   * `{"session": ...}`), or only its chat_history (`chats`), in pieces
   * made from the stored lines as they are read: a history of any length
   * is never whole in memory. Not found is thrown before the first piece.
   */
  async historyJson(
    sessionId: string,
    shape: 'session' | 'chats',
  ): Promise<{ pieces: AsyncIterable<Buffer>; release(piece: Buffer): void }> {
    const session = await this.requireSession(sessionId);
    const store = this.store;
    // Everything up to the history, then the history itself as chat_history's value.
    const head = shape === 'session' ? `{"session":${JSON.stringify(this.toMetadata(session)).slice(0, -'null}'.length)}` : '';
    const tail = shape === 'session' ? '}}' : '';
    const pieces = (async function* () {
      const last = session.chat_ids.length - 1;
      if (last < 0) yield Buffer.from(`${head}{}${tail}`);
      for (const [i, chatId] of session.chat_ids.entries()) {
        // The brackets and names go into the records' own pieces: a short history is one write.
        const before = Buffer.from(`${i === 0 ? `${head}{` : ','}${JSON.stringify(chatId)}:[`);
        const after = Buffer.from(i === last ? `]}${tail}` : ']');
        yield* store.chatJson(sessionId, chatId, { before, after });
      }
    })();
    // A piece written can be given back to be made again (it is not held after that).
    return { pieces, release: (piece) => store.releasePiece(piece) };
  }

  /** How many earlier records the session's context strategy uses: kept with the session, not part of the API's SessionMetadata. */
  async numOfPrevPrompts(sessionId: string): Promise<number> {
    return (await this.requireSession(sessionId)).num_of_prev_prompts;
  }

  /** One chat's records, oldest first, each with its latest score. */
  async history(sessionId: string, chatId: string): Promise<ChatRecord[]> {
    await this.requireChat(sessionId, chatId);
    return this.withScores(sessionId, chatId, await this.store.readChat(sessionId, chatId));
  }

  /** A chat's last `count` records, oldest first, each with its latest score (read from the file's end). */
  async recentRecords(sessionId: string, chatId: string, count: number): Promise<ChatRecord[]> {
    await this.requireChat(sessionId, chatId);
    return this.withScores(sessionId, chatId, await this.store.readTail(sessionId, chatId, count));
  }

  private async requireChat(sessionId: string, chatId: string): Promise<StoredSession> {
    const session = await this.requireSession(sessionId);
    if (!session.chat_ids.includes(chatId)) throw new NotFoundError('Chat not found');
    return session;
  }

  /** The records with their latest scores (the last line of the chat's score file for each). */
  private async withScores(sessionId: string, chatId: string, records: StoredChatRecord[]): Promise<ChatRecord[]> {
    if (records.length === 0) return [];
    const latest = new Map<number, MetricResult>();
    for (const { chat_record_id, metric } of await this.store.readScores(sessionId, chatId)) latest.set(chat_record_id, metric);
    return records.map((record) => withMetric(record, latest.get(record.chat_record_id) ?? null));
  }

  /** The number of records of each chat and its last record (without its score), read from the files' ends. */
  async chatSummaries(sessionId: string): Promise<{ chatId: string; endpoint: string; count: number; last?: StoredChatRecord }[]> {
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

  /** Validates `input` against CreateSessionBodySchema (its shape is CreateSessionBody): API bodies arrive here unparsed. */
  async create(input: unknown): Promise<SessionMetadata> {
    const body = parseOrThrow(CreateSessionBodySchema, input);
    this.checkEndpoints(body.endpoints);
    if (body.prompt_template !== null && !this.templates.get(body.prompt_template)) {
      const msg = `Prompt template "${body.prompt_template}" not found`;
      throw new ValidationError(msg, [{ loc: ['body', 'prompt_template'], msg, type: 'value_error' }]);
    }
    if (body.context_strategy !== null && !CONTEXT_STRATEGIES.has(body.context_strategy)) {
      const msg = `Context strategy "${body.context_strategy}" not found (known: ${[...CONTEXT_STRATEGIES.keys()].join(', ')})`;
      throw new ValidationError(msg, [{ loc: ['body', 'context_strategy'], msg, type: 'value_error' }]);
    }
    const created = this.now();
    const createdDatetime = formatCreatedDatetime(created);
    const session: StoredSession = {
      session_id: sessionIdFor(body.name, createdDatetime),
      name: body.name,
      description: body.description,
      created_epoch: epochSeconds(created),
      created_datetime: createdDatetime,
      chat_ids: body.endpoints.map((e) => chatIdFor(e, createdDatetime)),
      endpoints: body.endpoints,
      prompt_template: body.prompt_template,
      context_strategy: body.context_strategy,
      filename: null,
      num_of_prev_prompts: DEFAULT_NUM_OF_PREV_PROMPTS,
      metric: null,
    };
    const index = await this.index();
    this.creating.add(session.session_id);
    try {
      await this.store.createSession(session);
      this.remember(index, session);
    } finally {
      this.creating.delete(session.session_id);
    }
    const metadata = this.toMetadata(session);
    this.changed.fire({ type: 'created', session: metadata });
    return metadata;
  }

  /**
   * Deletes the session and every file of it. Prompts accepted before this
   * either wrote their records already or fail with "Session not found"
   * (their calls are stopped); nothing is written after the files go.
   */
  async delete(sessionId: string): Promise<void> {
    await this.requireSession(sessionId);
    if (this.deleting.has(sessionId)) throw new NotFoundError('Session not found');
    this.deleting.add(sessionId);
    try {
      this.cancel(sessionId);
      await Promise.allSettled([...this.deleteHooks].map((hook) => hook(sessionId)));
      await Promise.allSettled([...(this.jobs.get(sessionId) ?? [])].map((job) => job.done));
      // Records written just before stopped scoring them; what was scored goes with the files.
      for (const task of this.scoring.get(sessionId) ?? []) task.controller.abort();
      await Promise.allSettled([...(this.scoring.get(sessionId) ?? [])].map((task) => task.done));
      await this.store.deleteSession(sessionId);
      this.forget(await this.index(), sessionId);
    } finally {
      this.deleting.delete(sessionId);
    }
    this.changed.fire({ type: 'deleted', sessionId });
  }

  /**
   * Runs `hook` in every delete, after the session's prompts were told to
   * stop and before its files go; the delete waits for it (whether it
   * resolves or rejects).
   */
  onWillDelete(hook: (sessionId: string) => Promise<void>): Disposable {
    this.deleteHooks.add(hook);
    return { dispose: () => this.deleteHooks.delete(hook) };
  }

  private async update(sessionId: string, change: (s: StoredSession) => StoredSession): Promise<void> {
    const session = await this.requireSession(sessionId);
    if (this.deleting.has(sessionId)) throw new NotFoundError('Session not found');
    const next = change(session);
    await this.store.writeSession(next);
    this.remember(await this.index(), next);
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

  /** The session's judge, which scores every new record, or null. */
  async judge(sessionId: string): Promise<SessionJudge | null> {
    return (await this.requireSession(sessionId)).metric;
  }

  /**
   * Sets the session's judge: from now on every new record whose call
   * worked is scored in the background, after it is written. NotFoundError
   * for an unknown metric or judge endpoint; ValidationError (fields under
   * ['body']) for bad options or a missing judge endpoint. `request` is
   * validated here (its shape is JudgeRequest): API bodies arrive unparsed.
   */
  async setJudge(sessionId: string, request: unknown): Promise<SessionJudge> {
    await this.requireSession(sessionId);
    const plan = planJudge(request);
    this.checkModelEndpoint(plan.judge_endpoint, ['body', 'judge_endpoint']);
    const judge: SessionJudge = { name: plan.name, judge_endpoint: plan.judge_endpoint, options: plan.options };
    await this.update(sessionId, (s) => ({ ...s, metric: judge }));
    return judge;
  }

  /** Clears the judge if it is the session's current one; otherwise changes nothing. */
  async clearJudge(sessionId: string, name: string): Promise<void> {
    const session = await this.requireSession(sessionId);
    if (session.metric?.name === name) await this.update(sessionId, (s) => ({ ...s, metric: null }));
  }

  /**
   * Scores the existing records of the session (or of `chat_ids`) whose
   * call worked, in the background: each score is a `score` event. Checks
   * the request first (as setJudge; an unknown chat is a ValidationError
   * naming it) and answers how many records will be scored.
   */
  async scoreRecords(sessionId: string, body: unknown): Promise<ScoreAccepted> {
    const session = await this.requireSession(sessionId);
    const request = parseOrThrow(ScoreBodySchema, body);
    const plan = planJudge(request);
    this.checkModelEndpoint(plan.judge_endpoint, ['body', 'judge_endpoint']);
    const chatIds = [...new Set(request.chat_ids ?? session.chat_ids)];
    chatIds.forEach((chatId, i) => {
      if (!session.chat_ids.includes(chatId)) throw invalidField(['body', 'chat_ids', i], `Chat "${chatId}" is not a chat of this session`);
    });
    const histories = await Promise.all(chatIds.map((chatId) => this.store.readChat(sessionId, chatId)));
    let records = 0;
    chatIds.forEach((chatId, i) => {
      const scorable = (histories[i] ?? []).filter(isScorable);
      records += scorable.length;
      if (scorable.length > 0) void this.scoreInBackground(sessionId, chatId, scorable, plan);
    });
    return { metric: plan.name, judge_endpoint: plan.judge_endpoint, records };
  }

  /** Per chat: answers, errors, refusals, attack success rate and its 95% interval, mean duration, tokens (see stats.summarize). */
  async summary(sessionId: string): Promise<SessionSummary> {
    const session = await this.requireSession(sessionId);
    const summaries = await Promise.all(
      session.chat_ids.map(async (chatId, i) => {
        const [records, scores] = await Promise.all([this.store.readChat(sessionId, chatId), this.store.readScores(sessionId, chatId)]);
        return summarize(session.endpoints[i] ?? '', records, scores);
      }),
    );
    return Object.fromEntries(session.chat_ids.map((chatId, i) => [chatId, summaries[i]!]));
  }

  /**
   * An endpoint as a model for attackers and judges: its calls go through
   * the endpoint's limits, shared with the sessions that use it.
   * NotFoundError when it is not configured; `unsupported` when this build
   * cannot call it.
   */
  async modelFor(endpointId: string): Promise<ChatModel> {
    this.checkModelEndpoint(endpointId);
    const endpoint = await this.endpoints.resolve(endpointId);
    const connector = this.connectorFor(endpoint);
    const limiter = this.limiters.get(endpoint);
    return {
      complete: (messages, signal) =>
        limiter.run(async () => (await connector.complete({ messages, ...(signal ? { signal } : {}) })).text, signal),
    };
  }

  /**
   * NotFoundError for an endpoint that is not configured; a ValidationError (at `loc`) or `unsupported`
   * error for one this build cannot call.
   */
  checkModelEndpoint(endpointId: string | null, loc?: (string | number)[]): void {
    if (endpointId === null) return;
    if (!this.endpoints.get(endpointId)) throw new NotFoundError(`Endpoint "${endpointId}" not found`);
    const reason = this.endpoints.unsupportedReason(endpointId);
    if (reason) throw loc ? invalidField(loc, reason) : new CoreError('unsupported', reason);
  }

  /**
   * Scores records of one chat with `plan` (a dataset run's judge) and
   * resolves, once every score is stored, with the scores by record id.
   * Each is a `score` event; drain() and delete() wait for it, and a delete
   * stops it (the scores not made yet are missing from the answer).
   */
  async scoreWith(
    sessionId: string,
    chatId: string,
    records: readonly StoredChatRecord[],
    plan: JudgePlan,
  ): Promise<Map<number, MetricResult>> {
    await this.requireChat(sessionId, chatId);
    const scores = new Map<number, MetricResult>();
    const scorable = records.filter(isScorable);
    if (scorable.length === 0) return scores;
    await this.scoreInBackground(sessionId, chatId, scorable, plan, (record, metric) => scores.set(record.chat_record_id, metric));
    return scores;
  }

  /** Scores records of one chat in the background; drain() and delete() wait for it. Resolves when it is over (never rejects). */
  private scoreInBackground(
    sessionId: string,
    chatId: string,
    records: readonly StoredChatRecord[],
    plan: JudgePlan,
    onScore?: (record: StoredChatRecord, metric: MetricResult) => void,
  ): Promise<void> {
    const controller = new AbortController();
    const task: ScoringTask = { controller, done: Promise.resolve() };
    let tasks = this.scoring.get(sessionId);
    if (!tasks) this.scoring.set(sessionId, (tasks = new Set()));
    const set = tasks;
    task.done = scoreChatRecords(sessionId, chatId, records, plan, {
      store: this.store,
      modelFor: (id) => this.modelFor(id),
      log: this.log,
      signal: controller.signal,
      onScore: (record, metric) => {
        onScore?.(record, metric);
        this.changed.fire({ type: 'score', sessionId, chatId, chatRecordId: record.chat_record_id, promptId: record.prompt_id, metric });
      },
    }).finally(() => {
      set.delete(task);
      if (set.size === 0 && this.scoring.get(sessionId) === set) this.scoring.delete(sessionId);
      this.pending.delete(task.done);
    });
    set.add(task);
    this.pending.add(task.done);
    return task.done;
  }

  /** Scores a new record with the session's judge, if it has one. */
  private scoreNew(sessionId: string, chatId: string, record: StoredChatRecord): void {
    const judge = this.sessions?.get(sessionId)?.metric;
    if (!judge || !isScorable(record) || this.deleting.has(sessionId)) return;
    let plan: JudgePlan;
    try {
      plan = planJudge({ metric: judge.name, judge_endpoint: judge.judge_endpoint, options: judge.options });
    } catch (err) {
      // A session file edited by hand into a judge that does not exist: said once per record, never a crash.
      this.log('warn', `The judge of session ${sessionId} cannot be used: ${isCoreError(err) ? err.message : String(err)}`);
      return;
    }
    void this.scoreInBackground(sessionId, chatId, [record], plan);
  }

  /**
   * Sends a prompt to every chat of the session at once and resolves with
   * the records it made, when every endpoint has answered or failed. A
   * failed call still makes a record, with the reason in `error`. Each chat
   * has its own queue, so a fast endpoint answers this prompt while a slow
   * one still works on an earlier one; in every chat, records follow the
   * order in which prompts were accepted. `prompt` is validated here
   * (PromptBodySchema's rules), whoever sends it.
   */
  async prompt(sessionId: string, prompt: unknown, options: PromptOptions = {}): Promise<PromptResult> {
    const { prompt: text } = parseOrThrow(PromptBodySchema, { prompt });
    const session = await this.requireSession(sessionId);
    if (this.deleting.has(sessionId)) throw new NotFoundError('Session not found');
    const chatIds = [...new Set(options.chatIds ?? session.chat_ids)];
    for (const chatId of chatIds) if (!session.chat_ids.includes(chatId)) throw new NotFoundError(`Chat "${chatId}" not found`);
    const promptId = options.promptId ?? randomUUID();
    const active: ActivePrompt = { promptId, prompt: text, chats: {} };
    const actives = this.active.get(sessionId) ?? [];
    this.active.set(sessionId, [...actives, active]);
    this.changed.fire({
      type: 'promptStarted',
      sessionId,
      promptId,
      prompt: text,
      chatIds,
      ...(options.attack ? { attack: { ...options.attack } } : {}),
    });

    if (options.conversation && chatIds.length !== 1)
      throw new CoreError('invalid', 'A prompt that continues a conversation goes to one chat');
    const runs = chatIds.map((chatId) =>
      this.enqueue({
        sessionId,
        chatId,
        promptId,
        prompt: text,
        active,
        signal: options.signal,
        attack: options.attack,
        run: options.run,
        conversation: options.conversation,
      }),
    );
    const settled = await Promise.allSettled(runs);
    const left = (this.active.get(sessionId) ?? []).filter((a) => a !== active);
    if (left.length > 0) this.active.set(sessionId, left);
    else this.active.delete(sessionId);
    this.changed.fire({ type: 'promptFinished', sessionId, promptId });

    const result: PromptResult = {};
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'rejected') throw outcome.reason;
      result[chatIds[i] as string] = [outcome.value];
    }
    return result;
  }

  /** Prompts accepted and not finished, oldest first: what a view opened now must show as queued or streaming. */
  activePrompts(sessionId: string): ActivePrompt[] {
    return (this.active.get(sessionId) ?? []).map((a) => ({ promptId: a.promptId, prompt: a.prompt, chats: structuredClone(a.chats) }));
  }

  /** Puts one chat's share of a prompt at the end of that chat's queue. */
  private enqueue(request: Omit<ChatJob, 'controller' | 'done'>): Promise<ChatRecord> {
    const { sessionId, chatId, promptId, active } = request;
    const key = `${sessionId}/${chatId}`;
    const previous = this.chatQueues.get(key);
    active.chats[chatId] = { state: 'queued', text: '' };
    if (previous) this.changed.fire({ type: 'chatQueued', sessionId, promptId, chatId });

    const controller = new AbortController();
    const job: ChatJob = { ...request, controller, done: Promise.resolve() };
    const run = this.runChat(job, previous ?? Promise.resolve());
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    job.done = done;
    this.chatQueues.set(key, done);
    let jobs = this.jobs.get(sessionId);
    if (!jobs) this.jobs.set(sessionId, (jobs = new Set()));
    jobs.add(job);
    this.pending.add(done);
    void done.then(() => {
      this.pending.delete(done);
      if (this.chatQueues.get(key) === done) this.chatQueues.delete(key);
      jobs.delete(job);
      if (jobs.size === 0 && this.jobs.get(sessionId) === jobs) this.jobs.delete(sessionId);
      delete active.chats[chatId];
    });
    return run;
  }

  /**
   * One chat's share of a prompt. The call waits for the chat's earlier
   * prompt only when a context strategy needs that answer; otherwise calls
   * overlap as far as the endpoint's limits allow. The record is always
   * appended after the earlier prompt's, so ids follow acceptance order.
   */
  private async runChat(job: ChatJob, previous: Promise<void>): Promise<ChatRecord> {
    const { sessionId, chatId, promptId, prompt, active } = job;
    await Promise.resolve();
    if (this.deleting.has(sessionId)) throw new NotFoundError('Session not found');
    let session = await this.requireSession(sessionId);
    if (session.context_strategy !== null && !job.conversation) {
      await previous;
      if (this.deleting.has(sessionId)) throw new NotFoundError('Session not found');
      // Read again now that it is this prompt's turn: a template or strategy set while it waited applies to it.
      session = await this.requireSession(sessionId);
    }
    const chat = active.chats[chatId];
    let sent = this.now();
    const outcome = await this.callEndpoint(session, job, {
      onStart: () => {
        sent = this.now();
        if (chat) chat.state = 'running';
        this.changed.fire({ type: 'chatStarted', sessionId, promptId, chatId });
      },
      onDelta: (text) => {
        if (chat) chat.text += text;
        this.changed.fire({ type: 'delta', sessionId, promptId, chatId, text });
      },
    });
    // An attack's variant, or a run's row, that was never sent leaves no record.
    if ((job.attack || job.run) && !outcome.sent && job.controller.signal.aborted) throw cancelledError();
    await previous;
    // A delete began while the model answered: its files must not come back.
    if (this.deleting.has(sessionId)) throw new NotFoundError('Session not found');
    const stored = await this.store.appendNextRecord(sessionId, chatId, (id) => ({
      chat_record_id: id,
      conn_id: endpointOf(session, chatId),
      context_strategy: session.context_strategy ?? '',
      prompt_template: session.prompt_template ?? '',
      prompt,
      prepared_prompt: outcome.preparedPrompt,
      predicted_result: outcome.predicted,
      duration: `${Number(outcome.seconds.toFixed(3))} secs`,
      prompt_time: formatPromptTime(sent),
      error: outcome.error,
      ...(outcome.usage ? { usage: outcome.usage } : {}),
      prompt_id: promptId,
      attack_module: job.attack?.module ?? '',
      ...(job.attack ? { original_prompt: job.attack.originalPrompt } : {}),
      ...(job.run ? runRecordFields(job.run) : {}),
    }));
    delete active.chats[chatId];
    const record = withMetric(stored, null);
    this.changed.fire({ type: 'record', sessionId, promptId, chatId, record });
    this.scoreNew(sessionId, chatId, stored);
    return record;
  }

  /** Prepares the prompt for this chat and calls its endpoint; every failure becomes the outcome's error. */
  private async callEndpoint(
    session: StoredSession,
    job: ChatJob,
    on: { onStart(): void; onDelta(text: string): void },
  ): Promise<CallOutcome> {
    const { sessionId, chatId, controller, signal } = job;
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) controller.abort();
    const endpointId = endpointOf(session, chatId);
    let preparedPrompt = job.prompt;
    let streamed = '';
    let sent = false;
    let started = performance.now();
    try {
      const strategy = job.conversation
        ? CONTEXT_STRATEGIES.get('conversation')
        : session.context_strategy
          ? CONTEXT_STRATEGIES.get(session.context_strategy)
          : undefined;
      const template = session.prompt_template ? this.templates.get(session.prompt_template) : undefined;
      if (session.prompt_template && !template)
        throw new NotFoundError(`Prompt template "${session.prompt_template}" is no longer available`);
      if (!this.endpoints.get(endpointId)) throw new NotFoundError(`Endpoint "${endpointId}" is no longer configured`);
      const unsupported = this.endpoints.unsupportedReason(endpointId);
      if (unsupported) throw new CoreError('unsupported', unsupported);
      const endpoint = await this.endpoints.resolve(endpointId);
      const history = job.conversation ?? (strategy ? await this.store.readTail(sessionId, chatId, session.num_of_prev_prompts) : []);
      const prepared = preparePrompt({
        prompt: job.prompt,
        history,
        strategy,
        numOfPrevPrompts: job.conversation ? job.conversation.length : session.num_of_prev_prompts,
        template: template?.template,
        endpointParams: endpoint.params,
      });
      preparedPrompt = prepared.preparedPrompt;
      const connector = this.connectorFor(endpoint);
      const result = await this.limiters.get(endpoint).run(() => {
        // Time the call itself, not the wait for a free slot.
        started = performance.now();
        sent = true;
        on.onStart();
        return connector.complete({
          messages: prepared.messages,
          signal: controller.signal,
          onDelta: (text) => {
            streamed += text;
            on.onDelta(text);
          },
        });
      }, controller.signal);
      return {
        preparedPrompt,
        predicted: result.text,
        usage: result.usage,
        error: null,
        seconds: (performance.now() - started) / 1000,
        sent,
      };
    } catch (err) {
      // Too large to send: the record keeps no prepared prompt, or the next one would compound it further.
      if (isCoreError(err, 'too-large')) preparedPrompt = '';
      return {
        preparedPrompt,
        // A person who pressed Stop keeps what they were reading; any other failure has no answer.
        predicted: controller.signal.aborted ? streamed : '',
        usage: null,
        error: isCoreError(err) ? err.message : describeError(err),
        seconds: (performance.now() - started) / 1000,
        sent,
      };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops a session's prompts (or one chat's), running and queued; their records say "cancelled". */
  cancel(sessionId: string, chatId?: string): void {
    for (const job of this.jobs.get(sessionId) ?? []) if (chatId === undefined || job.chatId === chatId) job.controller.abort();
  }

  /** Resolves when every accepted prompt has written its records, and every record being scored has its score. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

function sameSession(a: StoredSession | undefined, b: StoredSession): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** The record as the API and the UI get it: with its latest score (key last, so the stored keys keep their order). */
function withMetric(record: StoredChatRecord, metric: MetricResult | null): ChatRecord {
  return { ...record, metric };
}

/** The run's fields of a record, in the order the record keeps them. */
function runRecordFields({ runId, rowId, variant, turn }: RunFields): Pick<StoredChatRecord, 'run_id' | 'row_id' | 'variant' | 'turn'> {
  return { run_id: runId, row_id: rowId, ...(variant === undefined ? {} : { variant }), ...(turn === undefined ? {} : { turn }) };
}

function endpointOf(session: StoredSession, chatId: string): string {
  return session.endpoints[session.chat_ids.indexOf(chatId)] ?? '';
}
