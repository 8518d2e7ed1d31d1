// Context keys that tell the Get Started walkthrough what the user has
// done (its steps complete on `onContext:` events): a session exists, a
// prompt was answered, answers of two endpoints can be compared.
import * as vscode from 'vscode';
import type { SessionEvent, SessionService } from '../core/sessions';
import { isCoreError } from '../core/errors';

export const WALKTHROUGH_CONTEXT = {
  hasSession: 'moonshotSessions.hasSession',
  promptSent: 'moonshotSessions.promptSent',
  compared: 'moonshotSessions.compared',
} as const;
type Key = keyof typeof WALKTHROUGH_CONTEXT;

/** Sessions looked at on activation for earlier prompts: enough to know, without reading every history. */
const SESSIONS_CHECKED = 20;

export class WalkthroughContext implements vscode.Disposable {
  /** What was set, for tests (VS Code has no API to read a context key). */
  readonly values: Record<Key, boolean> = { hasSession: false, promptSent: false, compared: false };
  private readonly subscription: { dispose(): void };
  /** Resolves when the state found at activation has been set. */
  readonly ready: Promise<void>;

  constructor(private readonly sessions: SessionService) {
    this.subscription = sessions.onDidChange((e) => void this.follow(e));
    this.ready = this.scan();
  }

  private set(key: Key, value: boolean): void {
    if (this.values[key] === value) return;
    this.values[key] = value;
    void vscode.commands.executeCommand('setContext', WALKTHROUGH_CONTEXT[key], value);
  }

  private async scan(): Promise<void> {
    const list = await this.sessions.list();
    this.set('hasSession', list.length > 0);
    for (const s of list.slice(0, SESSIONS_CHECKED)) {
      const answered = (await this.sessions.chatSummaries(s.session_id)).filter((c) => c.count > 0).length;
      if (answered > 0) this.set('promptSent', true);
      if (answered > 1) this.set('compared', true);
      if (this.values.compared) return;
    }
  }

  private async follow(e: SessionEvent): Promise<void> {
    if (e.type === 'created') this.set('hasSession', true);
    else if (e.type === 'deleted' || e.type === 'reloaded') this.set('hasSession', (await this.sessions.list()).length > 0);
    else if (e.type === 'record') {
      this.set('promptSent', true);
      if (this.values.compared) return;
      try {
        if ((await this.sessions.get(e.sessionId)).chat_ids.length > 1) this.set('compared', true);
      } catch (err) {
        // Deleted since the record was written: nothing to compare there.
        if (!isCoreError(err, 'not-found')) throw err;
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
