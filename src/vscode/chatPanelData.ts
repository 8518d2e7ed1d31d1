// What the chat panel shows, computed without VS Code: the session's
// exchanges grouped into rows by prompt (one row per prompt, each chat's
// answers in it), paged from the newest backwards. Only the chats' ends are
// read (from the files' ends), more of them as the user scrolls up, so
// opening costs the same at 10,000 records as at 10.
//
// A row is a prompt id: every record a prompt made (one per chat, more after
// a Retry) carries it. Records written before prompt ids existed are lined up
// by position instead: in each chat, the n-th record from the end with a
// given prompt text joins the n-th such record from the end of the others.
//
// Rows are ordered as the chats' records are (each chat's records follow the
// order prompts were accepted): a merge of the chats' sequences of first
// attempts, the prompt time deciding between rows no chat orders.
import type { Core } from '../core/openCore';
import { isCoreError } from '../core/errors';
import type { ActivePrompt } from '../core/sessions';
import type { ChatRecord, MetricResult, SessionJudge, SessionMetadata } from '../core/schemas';
import { modelOf } from '../core/endpointConfig';
import {
  PAGE_ROWS,
  type ActivePromptView,
  type Column,
  type InitMessage,
  type PromptRow,
  type RowPage,
  type SessionInfo,
} from '../shared/chatProtocol';

export function sessionInfo(s: SessionMetadata, numOfPrevPrompts: number, judge: SessionJudge | null = null): SessionInfo {
  return {
    sessionId: s.session_id,
    name: s.name,
    description: s.description,
    promptTemplate: s.prompt_template,
    contextStrategy: s.context_strategy,
    numOfPrevPrompts,
    judge: judge ? { name: judge.name, judgeEndpoint: judge.judge_endpoint } : null,
  };
}

/** The header's view of the session: with what only the stored session says (the strategy's count, the judge). */
export async function panelSessionInfo(core: Core, session: SessionMetadata): Promise<SessionInfo> {
  const [n, judge] = await Promise.all([core.sessions.numOfPrevPrompts(session.session_id), core.sessions.judge(session.session_id)]);
  return sessionInfo(session, n, judge);
}

export function columnsOf(core: Core, session: SessionMetadata): Column[] {
  return session.chat_ids.map((chatId, i) => {
    const endpointId = session.endpoints[i] ?? '';
    const entry = core.endpoints.get(endpointId);
    return {
      chatId,
      endpointId,
      endpointName: entry?.config.name ?? endpointId,
      model: entry ? modelOf(entry.config) : '',
      missing: !entry,
    };
  });
}

export function activeView(active: readonly ActivePrompt[]): ActivePromptView[] {
  return active.map((a) => ({ promptId: a.promptId, prompt: a.prompt, chats: a.chats }));
}

export type ReadTail = (chatId: string, count: number) => Promise<ChatRecord[]>;

/** How far back one chat has been read: a contiguous run of records up to its newest. */
class ChatTail {
  /** Ids read span oldestId..newestId (newestId also counts records seen live). */
  oldestId = Infinity;
  newestId = 0;
  /** When the oldest record read was sent; NaN while unknown. */
  oldestTime = NaN;
  exhausted = false;

  constructor(
    readonly chatId: string,
    private readonly readTail: ReadTail,
  ) {}

  get readCount(): number {
    return this.newestId === 0 ? 0 : this.newestId - this.oldestId + 1;
  }

  /** The next `n` records before those read so far, oldest first. */
  async readOlder(n: number): Promise<ChatRecord[]> {
    if (this.exhausted) return [];
    const known = this.oldestId === Infinity ? 0 : this.readCount;
    const count = known + n;
    const got = await this.readTail(this.chatId, count);
    const older = known === 0 ? got : got.filter((r) => r.chat_record_id < this.oldestId);
    for (const r of got) this.newestId = Math.max(this.newestId, r.chat_record_id);
    const oldest = older[0];
    if (oldest) {
      this.oldestId = oldest.chat_record_id;
      this.oldestTime = promptTimeValue(oldest.prompt_time);
    }
    this.exhausted = got.length < count || (got[0]?.chat_record_id ?? 1) <= 1;
    return older;
  }

  noteLive(record: ChatRecord): void {
    this.newestId = Math.max(this.newestId, record.chat_record_id);
    if (this.oldestId === Infinity) this.oldestId = record.chat_record_id;
  }
}

interface Row {
  key: string;
  promptId: string | null;
  prompt: string;
  cells: Map<string, ChatRecord[]>;
  /** When the prompt was first sent (seconds), or NaN when no record says. */
  time: number;
  /** The first column that has it: breaks the last ties. */
  column: number;
}

/** "MM/DD/YYYY, HH:MM:SS" as a comparable number; NaN for anything else. */
export function promptTimeValue(promptTime: string): number {
  const m = /^(\d{2})\/(\d{2})\/(\d{4}),\s*(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(promptTime.trim());
  if (!m) return NaN;
  const [, mo, d, y, hh, mm, ss] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, hh!, mm!, ss ?? 0) / 1000;
}

/** Earlier than, where an unknown time is never earlier (nor later). */
const before = (a: number, b: number) => !Number.isNaN(a) && !Number.isNaN(b) && a < b;

/**
 * The rows in order, oldest first: each chat's order is kept; between rows
 * no chat orders (or when the chats disagree, as after an old Retry), the
 * earlier prompt time, then the leftmost column, goes first.
 */
export function orderRows(rows: ReadonlyMap<string, { time: number; column: number }>, chains: readonly (readonly string[])[]): string[] {
  const pointers = chains.map(() => 0);
  const placed = new Set<string>();
  const chainsOf = new Map<string, number[]>();
  chains.forEach((chain, c) => chain.forEach((key) => (chainsOf.get(key) ?? chainsOf.set(key, []).get(key)!).push(c)));
  const order: string[] = [];
  const head = (c: number): string | undefined => {
    const chain = chains[c]!;
    while (pointers[c]! < chain.length && placed.has(chain[pointers[c]!]!)) pointers[c]!++;
    return chain[pointers[c]!];
  };
  const earlier = (a: string, b: string) => {
    const ra = rows.get(a)!;
    const rb = rows.get(b)!;
    if (before(ra.time, rb.time)) return true;
    if (before(rb.time, ra.time)) return false;
    return ra.column < rb.column;
  };
  for (;;) {
    let best: string | undefined;
    let bestReady = false;
    for (let c = 0; c < chains.length; c++) {
      const key = head(c);
      if (key === undefined) continue;
      const ready = (chainsOf.get(key) ?? []).every((other) => head(other) === key);
      if ((ready && !bestReady) || (ready === bestReady && (best === undefined || earlier(key, best)))) {
        best = key;
        bestReady = ready;
      }
    }
    if (best === undefined) return order;
    placed.add(best);
    order.push(best);
  }
}

function toRow(row: Row): PromptRow {
  return { key: row.key, promptId: row.promptId, prompt: row.prompt, cells: Object.fromEntries(row.cells) };
}

/**
 * Pages through one session's rows from the newest backwards, for one panel.
 * Records are read from the chats' ends, further back as pages are asked
 * for, into a pool of rows not given yet (kept in order); a page is the
 * newest rows of the pool whose place is certain. A new panel load (init)
 * starts a new pager.
 */
export class RowPager {
  private readonly tails: ChatTail[];
  /** Rows read and not given to the webview yet, and their order (oldest first). */
  private readonly pool = new Map<string, Row>();
  private order: string[] = [];
  /** Rows the webview has (given in pages, or made by it from live events). */
  private readonly delivered = new Set<string>();
  /** Per chat: records without a prompt id read so far, by prompt text (they are counted from the end). */
  private readonly legacySeen: Map<string, number>[];

  constructor(
    private readonly chatIds: readonly string[],
    readTail: ReadTail,
    private readonly pageRows = PAGE_ROWS,
  ) {
    this.tails = chatIds.map((chatId) => new ChatTail(chatId, readTail));
    this.legacySeen = chatIds.map(() => new Map());
  }

  /** The next `pageRows` rows older than those given so far (the newest ones first time). */
  async nextPage(): Promise<RowPage> {
    for (;;) {
      const picked = this.take();
      const fresh = picked.filter((row) => !this.delivered.has(row.key)).length;
      if (fresh >= this.pageRows || this.tails.every((t) => t.exhausted)) return this.give(picked);
      // Too few rows whose place is certain: read further back (twice as far each time).
      await this.readFurther();
    }
  }

  /** The newest rows of the pool whose place is certain, up to a page of new ones, oldest first. */
  private take(): Row[] {
    const picked: Row[] = [];
    let fresh = 0;
    for (let i = this.order.length - 1; i >= 0 && fresh < this.pageRows; i--) {
      const row = this.pool.get(this.order[i]!)!;
      if (!this.placeCertain(row)) break;
      picked.push(row);
      if (!this.delivered.has(row.key)) fresh++;
    }
    return picked.reverse();
  }

  private give(rows: Row[]): RowPage {
    const given = new Set(rows.map((r) => r.key));
    this.order = this.order.filter((key) => !given.has(key));
    for (const key of given) {
      this.pool.delete(key);
      this.delivered.add(key);
    }
    return { rows: rows.map(toRow), hasMore: this.pool.size > 0 || this.tails.some((t) => !t.exhausted) };
  }

  /**
   * Whether the row's place is certain: every chat not read to its start
   * either has it (then it is newer than that chat's unread records) or was
   * read back past its time.
   */
  private placeCertain(row: Row): boolean {
    return this.tails.every((tail) => tail.exhausted || row.cells.has(tail.chatId) || !before(row.time, tail.oldestTime));
  }

  private async readFurther(): Promise<void> {
    const read = await Promise.all(this.tails.map((t) => t.readOlder(Math.max(this.pageRows, t.readCount))));
    read.forEach((records, column) => this.ingest(column, records));
    this.reorder();
  }

  /** Adds records read from one chat (oldest first, all older than any read before) to the pool. */
  private ingest(column: number, records: readonly ChatRecord[]): void {
    const chatId = this.chatIds[column]!;
    const seen = this.legacySeen[column]!;
    const keys: string[] = new Array<string>(records.length);
    // Older records without a prompt id: the n-th from the end with the same text, per chat.
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i]!;
      if (r.prompt_id !== undefined) keys[i] = r.prompt_id;
      else {
        const n = seen.get(r.prompt) ?? 0;
        seen.set(r.prompt, n + 1);
        keys[i] = `legacy\u0000${n}\u0000${r.prompt}`;
      }
    }
    records.forEach((r, i) => {
      const key = keys[i]!;
      let row = this.pool.get(key);
      if (!row) {
        // A row the webview has gets the earlier attempts found now: it comes again, moved to its place.
        row = { key, promptId: r.prompt_id ?? null, prompt: r.prompt, cells: new Map(), time: NaN, column };
        this.pool.set(key, row);
      }
      row.column = Math.min(row.column, column);
      const cell = row.cells.get(chatId);
      if (cell) {
        // Read older than what the pool has of this chat: it goes first.
        let at = 0;
        while (at < cell.length && cell[at]!.chat_record_id < r.chat_record_id) at++;
        cell.splice(at, 0, r);
      } else row.cells.set(chatId, [r]);
      const t = promptTimeValue(r.prompt_time);
      if (Number.isNaN(row.time) || before(t, row.time)) row.time = t;
    });
  }

  /** Orders the pool: each chat's sequence of first attempts, merged. */
  private reorder(): void {
    const chains = this.chatIds.map((chatId) =>
      [...this.pool.values()]
        .filter((row) => row.cells.has(chatId))
        .map((row) => ({ key: row.key, first: row.cells.get(chatId)![0]!.chat_record_id }))
        .sort((a, b) => a.first - b.first)
        .map((x) => x.key),
    );
    this.order = orderRows(this.pool, chains);
  }

  /** A prompt the webview shows live (it makes the row itself). */
  noteLive(promptId: string): void {
    this.delivered.add(promptId);
  }

  /**
   * A score that came for a record read and not given yet: the page that
   * brings it must show it (the webview applies the scores of rows it has).
   */
  noteScore(chatId: string, chatRecordId: number, metric: MetricResult): void {
    for (const row of this.pool.values()) {
      const cell = row.cells.get(chatId);
      const at = cell?.findIndex((r) => r.chat_record_id === chatRecordId) ?? -1;
      if (cell && at !== -1) cell[at] = { ...cell[at]!, metric };
    }
  }

  /** A record the webview was sent live. */
  noteRecord(chatId: string, record: ChatRecord): void {
    const c = this.chatIds.indexOf(chatId);
    if (c === -1) return;
    this.tails[c]!.noteLive(record);
    if (record.prompt_id !== undefined) this.delivered.add(record.prompt_id);
  }
}

/** A chat's newest records with their scores; none once the session is gone (its panel stays as it was). */
async function recentRecords(core: Core, sessionId: string, chatId: string, count: number): Promise<ChatRecord[]> {
  try {
    return await core.sessions.recentRecords(sessionId, chatId, count);
  } catch (err) {
    if (isCoreError(err, 'not-found')) return [];
    throw err;
  }
}

/** Everything a panel needs to draw a session from scratch, with the pager that continues from it. */
export async function buildInit(core: Core, session: SessionMetadata, generation: number): Promise<{ init: InitMessage; pager: RowPager }> {
  const sessionId = session.session_id;
  const pager = new RowPager(session.chat_ids, (chatId, count) => recentRecords(core, sessionId, chatId, count));
  const [page, info] = await Promise.all([pager.nextPage(), panelSessionInfo(core, session)]);
  const active = activeView(core.sessions.activePrompts(sessionId));
  for (const a of active) pager.noteLive(a.promptId);
  const init: InitMessage = {
    type: 'init',
    generation,
    session: info,
    columns: columnsOf(core, session),
    rows: page.rows,
    hasMore: page.hasMore,
    active,
    promptHistory: page.rows.map((r) => r.prompt).filter((p, i, all) => p !== all[i - 1]),
    attack: core.attacks.running(sessionId) ?? null,
  };
  return { init, pager };
}
