// Which session a command acts on: the one it was given (a tree node, an id),
// or one the user picks, as the first step of a guided flow. Shared by the
// session, red-teaming and bookmark commands.
import type * as vscode from 'vscode';
import type { Core } from '../core/openCore';
import type { SessionMetadata } from '../core/schemas';
import { notify, offerCommand } from './commands';
import { askOnce, runFlow, type Ask, type Step } from './flow';
import type { TreeNode } from './sessionsTree';
import type { UserInput } from './userInput';

/** What a session command may be called with: a tree node, a session id, or nothing (ask). */
export type SessionArg = TreeNode | string | undefined;

interface Item<T> extends vscode.QuickPickItem {
  value: T;
}

export class SessionPicker {
  constructor(
    private readonly core: Core,
    private readonly input: () => UserInput,
    /** The session of the chat panel in front, offered first when the user picks. */
    private readonly current: () => string | undefined = () => undefined,
  ) {}

  /** The session the command was given, if any. */
  async given(arg: SessionArg): Promise<SessionMetadata | undefined> {
    if (typeof arg === 'string') return this.core.sessions.get(arg);
    if (arg?.kind === 'session') return this.core.sessions.get(arg.session.session_id);
    if (arg?.kind === 'chat') return this.core.sessions.get(arg.sessionId);
    return undefined;
  }

  /** Asks for a session; undefined (and a hint) when there is none. */
  async ask(ask: Ask, placeHolder: string, title?: string): Promise<SessionMetadata | undefined> {
    const sessions = await this.core.sessions.list();
    if (sessions.length === 0) {
      notify(this.input(), 'info', 'There are no sessions yet.', offerCommand('Create Session', 'createSession'));
      return undefined;
    }
    const current = this.current();
    const picked = await ask.pick({
      ...(title ? { title } : {}),
      placeHolder,
      matchOnDescription: true,
      items: sessions.map((s): Item<SessionMetadata> => ({
        label: s.name,
        description: s.session_id,
        detail: s.endpoints.join(', '),
        value: s,
        picked: s.session_id === current,
      })),
    });
    return picked.value;
  }

  /** The given session, or one the user picks. */
  async resolve(arg: SessionArg, placeHolder = 'Pick a session'): Promise<SessionMetadata | undefined> {
    return (await this.given(arg)) ?? (arg ? undefined : (await askOnce(this.input(), (ask) => this.ask(ask, placeHolder))) ?? undefined);
  }

  /**
   * A flow that starts by picking the session unless the command was given
   * one; `after` is the step that follows. Resolves with the session, or
   * undefined when the user left the flow. `steps` counts the steps after
   * the pick (a function when a choice changes it).
   */
  async withSession(
    arg: SessionArg,
    placeHolder: string,
    after: (s: SessionMetadata) => Step,
    steps: number | (() => number),
  ): Promise<SessionMetadata | undefined> {
    let session = await this.given(arg);
    const pick: Step = async (ask) => {
      session = await this.ask(ask, placeHolder);
      if (session) return after(session);
    };
    const count = typeof steps === 'number' ? () => steps : steps;
    const done = await runFlow(this.input(), session ? after(session) : pick, { totalSteps: () => count() + (arg ? 0 : 1) });
    return done ? session : undefined;
  }
}
