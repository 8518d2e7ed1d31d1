// Runs the embedded API as the settings say, shows where it is in the
// status bar, and keeps api.json current for other tools.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Core } from '../core/openCore';
import { ApiServer } from '../server/apiServer';
import { removeDiscoveryFile, writeDiscoveryFile } from '../server/discovery';
import { isUsableToken } from '../server/guards';
import { readApiSettings } from './configuration';
import { COMMAND_IDS } from './commands';

const TOKEN_KEY = 'moonshotSessions.apiToken';
const STOP_GRACE_MS = 3000;

export type ApiState = { running: true; url: string; port: number; requestedPort: number } | { running: false; reason: string };

export class ApiController implements vscode.Disposable {
  private server: ApiServer | undefined;
  private current: ApiState = { running: false, reason: 'starting' };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly status: vscode.StatusBarItem;
  private readonly changed = new vscode.EventEmitter<ApiState>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly core: Core,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.status = vscode.window.createStatusBarItem('moonshotSessions.api', vscode.StatusBarAlignment.Right, 100);
    this.status.name = 'Moonshot API';
    this.status.command = COMMAND_IDS.showApiMenu;
    this.render();
    this.status.show();
  }

  get state(): ApiState {
    return this.current;
  }

  /** The API token, created once and kept in secret storage; one that is empty or unusable is replaced. */
  async token(): Promise<string> {
    let token = await this.secrets.get(TOKEN_KEY);
    if (token === undefined || !isUsableToken(token)) {
      token = randomBytes(24).toString('base64url');
      await this.secrets.store(TOKEN_KEY, token);
    }
    return token;
  }

  /** Starts, or restarts with the current settings. Calls run one at a time. */
  restart(): Promise<ApiState> {
    const run = this.queue.then(() => this.doRestart());
    this.queue = run.catch(() => undefined);
    return run;
  }

  stop(): Promise<void> {
    const run = this.queue.then(() => this.doStop());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async doStop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await server.stop(STOP_GRACE_MS);
    await removeDiscoveryFile(this.core.storageDir);
    this.log.info(`API stopped (${server.url})`);
  }

  private async doRestart(): Promise<ApiState> {
    await this.doStop();
    const settings = readApiSettings();
    if (!settings.enabled) {
      this.setState({ running: false, reason: 'turned off in settings (moonshotSessions.api.enabled)' });
      return this.current;
    }
    const token = settings.requireToken ? await this.token() : null;
    const server = new ApiServer({
      core: this.core,
      host: settings.host,
      port: settings.port,
      token,
      allowedOrigins: settings.allowedOrigins,
      fallbackToFreePort: true,
      log: (level, message) => this.log[level](message),
    });
    try {
      await server.start();
    } catch (err) {
      this.log.error(`API could not start: ${(err as Error).message}`);
      this.setState({ running: false, reason: (err as Error).message });
      return this.current;
    }
    this.server = server;
    await writeDiscoveryFile(this.core.storageDir, { url: server.url, pid: process.pid, token });
    this.log.info(`API listening on ${server.url}${token ? '' : ' (no token required)'}`);
    if (server.port !== settings.port && settings.port !== 0) {
      this.log.warn(`Port ${settings.port} was in use; the API took ${server.port} instead.`);
    }
    this.setState({ running: true, url: server.url, port: server.port, requestedPort: settings.port });
    return this.current;
  }

  private setState(state: ApiState): void {
    this.current = state;
    this.render();
    this.changed.fire(state);
  }

  private render(): void {
    const s = this.current;
    this.status.text = apiStatusText(s);
    if (s.running) {
      const moved = portMoved(s);
      this.status.tooltip = new vscode.MarkdownString(
        `**Moonshot API** listening on ` +
          `\`${s.url}\`${moved ? `\n\nPort ${s.requestedPort} was in use, so it took ${s.port}.` : ''}\n\nClick for: copy URL, copy ` +
            `token, restart, OpenAPI document.`,
      );
      this.status.backgroundColor = moved ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    } else {
      this.status.tooltip = `Moonshot API not running: ${s.reason}`;
      this.status.backgroundColor = undefined;
    }
  }

  dispose(): void {
    void this.stop();
    this.status.dispose();
    this.changed.dispose();
  }
}

type RunningState = Extract<ApiState, { running: true }>;

const portMoved = (s: RunningState) => s.requestedPort !== 0 && s.port !== s.requestedPort;

/** The status bar item's text for a state of the API: where it listens, with a warning when the port it asked for was taken. */
export function apiStatusText(s: ApiState): string {
  if (!s.running) return '$(circle-slash) Moonshot API';
  return `$(server) Moonshot API ${new URL(s.url).host}${portMoved(s) ? ' $(warning)' : ''}`;
}
