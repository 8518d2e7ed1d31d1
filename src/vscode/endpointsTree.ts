// The Endpoints view: every endpoint with its model and where it comes
// from; a warning icon and the reason on the ones this build cannot call.
// The context value lists what can be done with it, for the inline actions.
import * as vscode from 'vscode';
import type { EndpointRegistry } from '../core/endpoints';
import type { EndpointView } from '../core/schemas';
import { isEditable, isRemovable, originLabel, originOf, type EndpointOrigin } from './endpointOrigin';
import { escapeMarkdown } from '../core/markdownText';

export type EndpointNode = { kind: 'endpoint'; id: string; view: EndpointView; origin: EndpointOrigin };

export class EndpointsTreeProvider implements vscode.TreeDataProvider<EndpointNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EndpointNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly endpoints: EndpointRegistry) {
    this.subscription = endpoints.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: EndpointNode): Promise<EndpointNode[]> {
    if (node) return [];
    const views = await this.endpoints.list();
    return views.flatMap((view) => {
      const entry = this.endpoints.get(view.id);
      return entry ? [{ kind: 'endpoint' as const, id: view.id, view, origin: originOf(entry) }] : [];
    });
  }

  getTreeItem(node: EndpointNode): vscode.TreeItem {
    const { view, origin } = node;
    const item = new vscode.TreeItem(view.name, vscode.TreeItemCollapsibleState.None);
    item.id = `endpoint:${view.id}`;
    item.description = [view.model || '(no model)', originLabel(origin)].join(' · ');
    item.iconPath = view.supported
      ? new vscode.ThemeIcon('plug')
      : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    item.contextValue = [
      'endpoint',
      view.supported && 'testable',
      isEditable(origin) && 'editable',
      origin.kind === 'file' && 'fromFile',
      view.connector_type !== 'echo' && 'tokenable',
      isRemovable(origin) && 'removable',
    ]
      .filter(Boolean)
      .join(' ');
    item.tooltip = tooltip(node);
    if (origin.kind === 'file') item.resourceUri = vscode.Uri.file(origin.path);
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function tooltip({ view, origin }: EndpointNode): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMarkdown(view.name)}** (\`${view.id}\`)\n\n`);
  if (!view.supported) md.appendMarkdown(`$(warning) ${escapeMarkdown(view.unsupported_reason ?? 'not supported')}\n\n`);
  md.appendMarkdown(`- connector: \`${view.connector_type}\`\n`);
  if (view.connector_type !== 'echo') {
    const defaultUrl = view.connector_type === 'openai-connector' ? 'default (OpenAI)' : 'none';
    md.appendMarkdown(`- URL: ${view.uri ? `\`${view.uri}\`` : defaultUrl}\n`);
  }
  md.appendMarkdown(`- model: ${view.model ? `\`${view.model}\`` : 'none'}\n`);
  md.appendMarkdown(`- limits: ${view.max_calls_per_second} calls/s, ${view.max_concurrency} at once\n`);
  if (view.connector_type !== 'echo') md.appendMarkdown(`- token: ${view.token ? 'set' : 'none'}\n`);
  if (Object.keys(view.params).length) md.appendMarkdown(`- params: \`${JSON.stringify(view.params).replace(/`/g, "'")}\`\n`);
  md.appendMarkdown(`- from: ${describeOrigin(origin)}`);
  return md;
}

function describeOrigin(origin: EndpointOrigin): string {
  switch (origin.kind) {
    case 'file':
      return `the file \`${origin.path}\` (edit it there)`;
    case 'settings':
      return 'the setting `moonshotSessions.endpoints`';
    case 'api':
      return "the local API (stored in the extension's storage)";
    default:
      return 'built in (always there, offline)';
  }
}
