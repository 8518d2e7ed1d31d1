// The Bookmarks view: every bookmark, oldest first, with the first line of
// its prompt and its attack module and judge verdict. It follows the
// bookmark file: changes this window makes (commands, the local API) and
// those another window or `serve` writes to the same storage folder.
import * as vscode from 'vscode';
import type { BookmarkStore } from '../core/bookmarks';
import { isCoreError } from '../core/errors';
import { escapeMarkdown, fenced } from '../core/markdownText';
import type { Bookmark } from '../core/schemas';
import { bookmarkDescription } from './bookmarkText';

export type BookmarkNode = { kind: 'bookmark'; bookmark: Bookmark } | { kind: 'problem'; message: string };

const TOOLTIP_CHARS = 1500;
const clip = (text: string) => (text.length > TOOLTIP_CHARS ? `${text.slice(0, TOOLTIP_CHARS)}\n…` : text);

export class BookmarksTreeProvider implements vscode.TreeDataProvider<BookmarkNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<BookmarkNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly bookmarks: BookmarkStore) {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(bookmarks.dir), 'bookmarks.json'));
    this.disposables.push(
      bookmarks.onDidChange(() => this.refresh()),
      watcher,
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: BookmarkNode): Promise<BookmarkNode[]> {
    if (node) return [];
    try {
      return (await this.bookmarks.list()).map((bookmark) => ({ kind: 'bookmark', bookmark }));
    } catch (err) {
      // An unreadable file is said in the view, never overwritten (the store refuses to).
      if (isCoreError(err, 'storage')) return [{ kind: 'problem', message: err.message }];
      throw err;
    }
  }

  getTreeItem(node: BookmarkNode): vscode.TreeItem {
    if (node.kind === 'problem') {
      const item = new vscode.TreeItem('Bookmarks cannot be read', vscode.TreeItemCollapsibleState.None);
      item.description = node.message;
      item.tooltip = node.message;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      return item;
    }
    const b = node.bookmark;
    const item = new vscode.TreeItem(b.name, vscode.TreeItemCollapsibleState.None);
    item.id = `bookmark:${b.name}`;
    item.contextValue = 'bookmark';
    item.description = bookmarkDescription(b);
    item.iconPath = new vscode.ThemeIcon(b.attack_module ? 'target' : 'bookmark');
    // Model text and prompts only inside fences: a tooltip never renders them as Markdown.
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(
      `**Prompt**\n\n${fenced(clip(b.prompt))}\n\n**Answer**\n\n${b.response ? fenced(clip(b.response)) : '*(empty)*'}\n\n`,
    );
    // Every field may come from the local API: escaped, never Markdown of its own.
    const facts = [
      b.attack_module && `attack: ${escapeMarkdown(b.attack_module)}`,
      b.metric && `judge: ${escapeMarkdown(b.metric)}`,
      b.prompt_template && `template: ${escapeMarkdown(b.prompt_template)}`,
      b.context_strategy && `strategy: ${escapeMarkdown(b.context_strategy)}`,
      `bookmarked ${escapeMarkdown(b.bookmark_time)}`,
    ].filter(Boolean);
    tooltip.appendMarkdown(facts.map((f) => `- ${f}`).join('\n'));
    item.tooltip = tooltip;
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
