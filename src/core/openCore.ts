// Builds the parts of the core that belong together, on one storage folder,
// and follows that folder for what other processes write to it.
import { join } from 'node:path';
import { SessionStore } from './store';
import { EndpointRegistry, type EndpointSource } from './endpoints';
import { PromptTemplateRegistry } from './templates';
import { SessionService } from './sessions';
import { AttackService } from './attackRuns';
import { RunService } from './runs';
import { BookmarkStore } from './bookmarks';
import { EventLog, type EventLogOptions } from './eventLog';
import { feedEventLog, type ApiEventLog } from './apiEvents';
import { EndpointLimiters } from './connectors';
import { StoreWatcher, type StoreWatcherOptions } from './storeWatcher';
import { isCoreError } from './errors';
import { noLog, type Log } from './log';
import type { SecretStore } from './secrets';
import type { Connector, ResolvedEndpoint } from './connectors/types';

export interface CoreOptions {
  storageDir: string;
  endpointSources: readonly EndpointSource[];
  promptTemplateFolders: readonly string[];
  /** Folders of dataset files (GET /v1/datasets; a run names one by its file stem). */
  datasetFolders?: readonly string[];
  secrets: SecretStore;
  connectorFor?: (endpoint: ResolvedEndpoint) => Connector;
  /** Where the core reports what no caller waits for: odd entries skipped in the storage folder, failures while following it. */
  log?: Log;
  /**
   * Follow the storage folder, so that sessions and records other processes
   * (a second window, `serve`) write show up here. Every host that shares
   * the folder wants it; short-lived cores (tests, benchmarks) leave it off.
   */
  watch?: boolean | Omit<StoreWatcherOptions, 'log'>;
  /** How many events GET /v1/events keeps for replay, and how many a slow client may have waiting. */
  eventLog?: EventLogOptions;
}

export interface Core {
  storageDir: string;
  store: SessionStore;
  endpoints: EndpointRegistry;
  templates: PromptTemplateRegistry;
  sessions: SessionService;
  /** Attack runs on sessions. */
  attacks: AttackService;
  /** Dataset runs through sessions. */
  runs: RunService;
  /** Bookmarks, in the storage folder. */
  bookmarks: BookmarkStore;
  /** What GET /v1/events sends: every session and attack event, with the recent ones kept for replay. */
  events: ApiEventLog;
  /** Resolves when prompts, scoring, attack runs and dataset runs in flight have ended. */
  drain(): Promise<void>;
  /** Stops following the storage folder. Prompts in flight are not stopped: `drain()` waits for them. */
  dispose(): void;
}

export async function openCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? noLog;
  const store = new SessionStore(options.storageDir, { log });
  const endpoints = new EndpointRegistry(options.endpointSources, options.secrets, join(options.storageDir, 'endpoints'));
  const templates = new PromptTemplateRegistry(options.promptTemplateFolders);
  await Promise.all([endpoints.load(), templates.load()]);
  const sessions = new SessionService({
    store,
    endpoints,
    templates,
    limiters: new EndpointLimiters(),
    log,
    ...(options.connectorFor ? { connectorFor: options.connectorFor } : {}),
  });
  const attacks = new AttackService({ sessions, store, log });
  const runs = new RunService({ sessions, store, endpoints, datasetFolders: options.datasetFolders ?? [], log });
  const events: ApiEventLog = new EventLog(options.eventLog);
  feedEventLog(events, sessions, attacks, runs);
  const watcher = options.watch
    ? new StoreWatcher(store.sessionsDir, { ...(options.watch === true ? {} : options.watch), ownWriter: store.journal.id, log })
    : undefined;
  watcher?.onDidChange((change) => {
    // Nobody awaits this: a failure (the folder broken for a while) is said, never left to crash the process.
    sessions.applyExternalChange(change).catch((err: unknown) => {
      log(
        'error',
        `Could not follow a change in the storage folder: ${isCoreError(err) ? err.message : ((err as Error)?.stack ?? String(err))}`,
      );
    });
  });
  watcher?.start();
  return {
    storageDir: options.storageDir,
    store,
    endpoints,
    templates,
    sessions,
    attacks,
    runs,
    bookmarks: new BookmarkStore(options.storageDir),
    events,
    drain: async () => {
      await Promise.all([sessions.drain(), attacks.drain(), runs.drain()]);
      // An attack's last records may have started scoring after the first drain looked.
      await sessions.drain();
      await store.journal.settled();
    },
    dispose: () => watcher?.dispose(),
  };
}
