// Bookmarks: keep an answer of the chat panel under a unique name (asked,
// prefilled), then from the Bookmarks view use its prompt again (into the
// prompt box of the open chat panel), copy it, delete it, export them all
// in Moonshot's shape or delete them all.
import * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import { isCoreError } from '../core/errors';
import type { Bookmark } from '../core/schemas';
import type { BookmarkNode } from './bookmarksTree';
import { bookmarkFields, firstLine, MAX_BOOKMARK_NAME, suggestBookmarkName } from './bookmarkText';
import { notify, offerCommand, offerOpen, type CommandTable } from './commands';
import { askOnce } from './flow';
import type { ChatPanelHost } from './sessionCommands';
import type { SessionPicker } from './sessionPicker';
import type { UserInput } from './userInput';

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

/** What a bookmark command may be called with: a node of the view, a bookmark's name, or nothing (ask). */
export type BookmarkArg = BookmarkNode | string | undefined;

export class BookmarkCommands {
  constructor(
    private readonly core: Core,
    private readonly panels: ChatPanelHost,
    private readonly picker: SessionPicker,
    private readonly input: () => UserInput,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  handlers(): Pick<
    CommandTable,
    'bookmarkAnswer' | 'useBookmark' | 'copyBookmarkPrompt' | 'deleteBookmark' | 'exportBookmarks' | 'deleteAllBookmarks'
  > {
    return {
      bookmarkAnswer: (sessionId?: string, chatId?: string, chatRecordId?: number) => this.bookmarkAnswer(sessionId, chatId, chatRecordId),
      useBookmark: (arg?: BookmarkArg) => this.useBookmark(arg),
      copyBookmarkPrompt: (arg?: BookmarkArg) => this.copyBookmarkPrompt(arg),
      deleteBookmark: (arg?: BookmarkArg) => this.deleteBookmark(arg),
      exportBookmarks: () => this.exportBookmarks(),
      deleteAllBookmarks: () => this.deleteAllBookmarks(),
    };
  }

  /** Keeps one answer (a record of a chat) as a bookmark, under a name the user gives. */
  async bookmarkAnswer(sessionId?: string, chatId?: string, chatRecordId?: number): Promise<Bookmark | undefined> {
    if (typeof sessionId !== 'string' || typeof chatId !== 'string' || typeof chatRecordId !== 'number') {
      notify(
        this.input(),
        'info',
        'To bookmark an answer, use the bookmark button under it in the chat panel.',
        offerCommand('Open Session', 'openSession'),
      );
      return undefined;
    }
    const record = (await this.core.sessions.history(sessionId, chatId)).find((r) => r.chat_record_id === chatRecordId);
    if (!record) throw new Error(`Record #${chatRecordId} is no longer in the chat ${chatId}`);
    const endpoint = this.core.endpoints.get(record.conn_id)?.config.name ?? record.conn_id;
    let taken = new Set((await this.core.bookmarks.list()).map((b) => b.name));
    let name = suggestBookmarkName(endpoint, record, taken);
    let prompt = 'A name for the bookmark (it must be unique); it keeps the prompt, the answer and its verdict';
    for (;;) {
      const answered = await askOnce(this.input(), (ask) =>
        ask.input({
          title: 'Bookmark Answer',
          placeHolder: 'Bookmark name',
          prompt,
          value: name,
          validate: (v) => {
            const n = v.trim();
            if (n === '') return 'Give the bookmark a name';
            if (n.length > MAX_BOOKMARK_NAME) return `At most ${MAX_BOOKMARK_NAME} characters`;
            return taken.has(n) ? `A bookmark named "${n}" exists: choose another name` : undefined;
          },
        }),
      );
      if (answered === undefined) return undefined;
      name = answered.trim();
      try {
        const bookmark = await this.core.bookmarks.create({ name, ...bookmarkFields(record) });
        this.input().status(`Bookmarked "${bookmark.name}"`);
        return bookmark;
      } catch (err) {
        // Taken meanwhile (another window, the API): asked again, with the name kept to change.
        if (!isCoreError(err, 'conflict')) throw err;
        taken = new Set((await this.core.bookmarks.list()).map((b) => b.name));
        prompt = `A bookmark named "${name}" was just made elsewhere: choose another name`;
      }
    }
  }

  /** The bookmark the command was given, or one the user picks. */
  private async bookmarkOf(arg: BookmarkArg, placeHolder: string): Promise<Bookmark | undefined> {
    if (typeof arg === 'string') return this.core.bookmarks.get(arg);
    if (arg?.kind === 'bookmark') return arg.bookmark;
    if (arg) return undefined;
    const all = await this.core.bookmarks.list();
    if (all.length === 0) {
      notify(this.input(), 'info', 'There are no bookmarks yet: bookmark an answer with the bookmark button under it in the chat panel.');
      return undefined;
    }
    const picked = await askOnce(this.input(), (ask) =>
      ask.pick({
        placeHolder,
        matchOnDescription: true,
        items: all.map((b): Item<Bookmark> => ({
          label: b.name,
          description: [b.attack_module, b.metric].filter(Boolean).join(' · '),
          detail: firstLine(b.prompt),
          value: b,
        })),
      }),
    );
    return picked?.value;
  }

  /**
   * Puts the bookmark's prompt into the prompt box of the chat panel in
   * front (or of a session's panel the user picks). Resolves with that
   * session's id.
   */
  async useBookmark(arg?: BookmarkArg): Promise<string | undefined> {
    const bookmark = await this.bookmarkOf(arg, 'Use which bookmark?');
    if (!bookmark) return undefined;
    let panel = this.panels.active;
    if (!panel) {
      const session = await askOnce(this.input(), (ask) =>
        this.picker.ask(ask, 'No chat panel is open: put the prompt into the panel of which session?', `Use "${bookmark.name}"`),
      );
      if (!session) return undefined;
      panel = await this.panels.open(session.session_id);
    }
    panel.setPrompt(bookmark.prompt);
    this.input().status(`The prompt of "${bookmark.name}" is in the prompt box: edit it or press Enter to send`);
    return panel.sessionId;
  }

  async copyBookmarkPrompt(arg?: BookmarkArg): Promise<string | undefined> {
    const bookmark = await this.bookmarkOf(arg, 'Copy the prompt of which bookmark?');
    if (!bookmark) return undefined;
    await vscode.env.clipboard.writeText(bookmark.prompt);
    this.input().status(`Copied the prompt of "${bookmark.name}"`);
    return bookmark.prompt;
  }

  async deleteBookmark(arg?: BookmarkArg): Promise<boolean> {
    const bookmark = await this.bookmarkOf(arg, 'Delete which bookmark?');
    if (!bookmark) return false;
    await this.core.bookmarks.delete(bookmark.name);
    this.input().status(`Deleted the bookmark "${bookmark.name}"`);
    return true;
  }

  /** Writes every bookmark to a JSON file in Moonshot's export shape, {"bookmarks": [...]}. */
  async exportBookmarks(): Promise<vscode.Uri | undefined> {
    const exported = await this.core.bookmarks.export();
    if (exported.bookmarks.length === 0) {
      this.input().status('There are no bookmarks to export');
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await this.input().saveLocation({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'bookmarks.json') } : {}),
      filters: { JSON: ['json'] },
      saveLabel: 'Export',
      title: 'Export Bookmarks',
    });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, Buffer.from(`${JSON.stringify(exported, null, 2)}\n`, 'utf8'));
    this.log.info(`Exported ${exported.bookmarks.length} bookmarks to ${target.toString()}`);
    const n = exported.bookmarks.length;
    notify(
      this.input(),
      'info',
      `Exported ${n} bookmark${n === 1 ? '' : 's'} to ${vscode.workspace.asRelativePath(target)}.`,
      offerOpen('Open', target),
    );
    return target;
  }

  async deleteAllBookmarks(): Promise<number> {
    const n = (await this.core.bookmarks.list()).length;
    if (n === 0) {
      this.input().status('There are no bookmarks');
      return 0;
    }
    const ok = await this.input().confirm(
      `Delete all ${n} bookmark${n === 1 ? '' : 's'}?`,
      'They are deleted for good (Export Bookmarks keeps a copy first).',
      'Delete All',
    );
    if (!ok) return 0;
    const deleted = await this.core.bookmarks.deleteAll();
    this.input().status(`Deleted ${deleted} bookmark${deleted === 1 ? '' : 's'}`);
    return deleted;
  }
}
