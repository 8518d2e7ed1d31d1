// activate() only wires the parts together; each part lives in src/vscode
// (VS Code adapters) or src/core (everything else).
import * as vscode from 'vscode';
import { openCore, type Core } from './core/openCore';
import { checkStorageFolder } from './core/store';
import { VscodeSecretStore } from './vscode/secretStorage';
import { SECTION, readEndpointSources, readPromptTemplateFolders, readDatasetFolders } from './vscode/configuration';
import { ApiController } from './vscode/apiController';
import { SessionsTreeProvider } from './vscode/sessionsTree';
import { HISTORY_SCHEME, HistoryDocumentProvider } from './vscode/historyDocument';
import { SessionCommands } from './vscode/sessionCommands';
import { ChatPanels } from './vscode/chatPanel';
import { EndpointCommands } from './vscode/endpointCommands';
import { apiCommandHandlers } from './vscode/apiCommands';
import type { UserInput } from './vscode/userInput';
import { vscodeUserInput } from './vscode/vscodeUserInput';
import { sharedStorageDir } from './vscode/storageFolder';
import { registerCommands } from './vscode/commands';
import { EndpointsTreeProvider } from './vscode/endpointsTree';
import { API_DOCUMENT_SCHEME, ApiDocumentProvider } from './vscode/apiDocument';
import { WalkthroughContext } from './vscode/walkthroughContext';
import { openWithRetry } from './vscode/startGuard';
import { SourceFolderWatcher } from './vscode/sourceFolderWatcher';
import { SessionPicker } from './vscode/sessionPicker';
import { AttackCommands, followRunningAttacks } from './vscode/attackCommands';
import { JudgeCommands } from './vscode/judgeCommands';
import { BookmarkCommands } from './vscode/bookmarkCommands';
import { BookmarksTreeProvider } from './vscode/bookmarksTree';
import { MatrixPanels } from './vscode/matrixPanel';
import { RunCommands } from './vscode/runCommands';
import type { Run } from './core/schemas';

/** What activate() returns: for other extensions and for the integration tests. */
export interface MoonshotSessionsApi {
  core: Core;
  api: ApiController;
  tree: SessionsTreeProvider;
  endpointsTree: EndpointsTreeProvider;
  bookmarksTree: BookmarksTreeProvider;
  panels: ChatPanels;
  walkthrough: WalkthroughContext;
  /** The results matrices of dataset runs. */
  matrices: MatrixPanels;
  runCommands: RunCommands;
  /** Resolves with the runs this activation offered to resume (interrupted, or cancelled with rows left). */
  resumeOffers: Promise<Run[]>;
  /** Resolves when the embedded API has started (or failed to). */
  apiReady: Promise<unknown>;
  /** Replaces the quick picks and input boxes (tests answer them); undefined restores VS Code's. */
  setUserInput(input: UserInput | undefined): void;
}

let shutdown: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<MoonshotSessionsApi> {
  const log = vscode.window.createOutputChannel('Moonshot Sessions', { log: true });
  context.subscriptions.push(log);
  const storageDir = sharedStorageDir((context.storageUri ?? context.globalStorageUri).fsPath);
  const secrets = new VscodeSecretStore(context.secrets);
  const core = await openWithRetry(
    'Opening the sessions',
    async () => {
      await checkStorageFolder(storageDir);
      return openCore({
        storageDir,
        endpointSources: readEndpointSources(),
        promptTemplateFolders: readPromptTemplateFolders(),
        datasetFolders: readDatasetFolders(),
        secrets,
        log: (level, message) => log[level](message),
        // Another window or `serve` may share the folder: follow what it writes.
        watch: true,
      });
    },
    {
      notify: (message, actions) => vscodeUserInput.notify('error', message, actions),
      showLog: () => log.show(true),
      log: (level, message) => log[level](message),
    },
  );
  context.subscriptions.push(core);
  for (const p of [...core.endpoints.problems, ...core.templates.problems]) log.warn(`${p.origin}: ${p.message}`);
  log.info(`Storage: ${storageDir}`);

  let userInput: UserInput = vscodeUserInput;
  const input = () => userInput;

  const api = new ApiController(core, context.secrets, log);
  const tree = new SessionsTreeProvider(core.sessions, core.endpoints);
  const endpointsTree = new EndpointsTreeProvider(core.endpoints);
  const walkthrough = new WalkthroughContext(core.sessions);
  const folders = new SourceFolderWatcher(core, log);
  const history = new HistoryDocumentProvider(core.sessions);
  const panels = new ChatPanels(core, context.extensionUri, log);
  const bookmarksTree = new BookmarksTreeProvider(core.bookmarks);
  const picker = new SessionPicker(core, input, () => panels.active?.sessionId);
  const matrices = new MatrixPanels(core, context.extensionUri, log);
  const runCommands = new RunCommands(core, matrices, input, log, context.workspaceState);

  context.subscriptions.push(
    api,
    tree,
    endpointsTree,
    bookmarksTree,
    walkthrough,
    history,
    panels,
    matrices,
    vscode.window.createTreeView('moonshotSessions.sessions', { treeDataProvider: tree, showCollapseAll: true }),
    vscode.window.createTreeView('moonshotSessions.endpoints', { treeDataProvider: endpointsTree }),
    vscode.window.createTreeView('moonshotSessions.bookmarks', { treeDataProvider: bookmarksTree }),
    vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, history),
    vscode.workspace.registerTextDocumentContentProvider(API_DOCUMENT_SCHEME, new ApiDocumentProvider(core)),
    ...registerCommands(
      {
        ...new SessionCommands(core, panels, picker, input, log).handlers(),
        ...new AttackCommands(core, panels, picker, input, log).handlers(),
        ...new JudgeCommands(core, picker, input, log).handlers(),
        ...new BookmarkCommands(core, panels, picker, input, log).handlers(),
        ...new EndpointCommands(core, secrets, input, log).handlers(),
        ...apiCommandHandlers(api, input, log),
        ...runCommands.handlers(),
        refreshSessions: () => tree.refresh(),
        refreshEndpoints: () => core.endpoints.setSources(readEndpointSources()),
        refreshBookmarks: () => bookmarksTree.refresh(),
      },
      log,
    ),
    folders,
    followRunningAttacks(core),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.endpointFolders`) || e.affectsConfiguration(`${SECTION}.promptTemplateFolders`))
        folders.follow();
      if (e.affectsConfiguration(`${SECTION}.api`)) void api.restart();
      if (e.affectsConfiguration(`${SECTION}.endpoints`) || e.affectsConfiguration(`${SECTION}.endpointFolders`))
        void core.endpoints.setSources(readEndpointSources());
      if (e.affectsConfiguration(`${SECTION}.promptTemplateFolders`)) void core.templates.setFolders(readPromptTemplateFolders());
      if (e.affectsConfiguration(`${SECTION}.datasetFolders`)) core.runs.setDatasetFolders(readDatasetFolders());
    }),
  );

  // Not awaited: activation must not wait for a port.
  const apiReady = api.restart();
  // Not awaited either: listing the runs reads every session's manifests.
  const resumeOffers = runCommands.offerResumes().catch((err: unknown) => {
    log.error(`Offering to resume runs: ${(err as Error).stack ?? String(err)}`);
    return [];
  });
  shutdown = async () => {
    await runCommands.stopAll();
    await api.stop();
    await core.drain();
  };
  const setUserInput = (i: UserInput | undefined) => (userInput = i ?? vscodeUserInput);
  return {
    core,
    api,
    tree,
    endpointsTree,
    bookmarksTree,
    panels,
    walkthrough,
    matrices,
    runCommands,
    resumeOffers,
    apiReady,
    setUserInput,
  };
}

/** Closes the API and lets prompts in flight write their records. */
export async function deactivate(): Promise<void> {
  await shutdown?.();
  shutdown = undefined;
}
