// What the integration suites share: running a command with scripted
// answers (through the same command ids the extension registers), and
// changing settings as a user would.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MoonshotSessionsApi } from '../../src/extension';
import { runCommand, type CommandName } from '../../src/vscode/commands';
import { ScriptedInput, type Answer } from './scriptedInput';

export const EXTENSION_ID = 'moonshot-sessions.moonshot-sessions';

export type Run = <T>(command: CommandName, answers: Answer[], ...args: unknown[]) => Promise<T>;

/** Runs a command with its questions answered by `answers`; fails when it asked fewer. */
export function commandRunner(api: () => MoonshotSessionsApi): Run {
  return async <T>(command: CommandName, answers: Answer[], ...args: unknown[]) =>
    (await runScripted<T>(api(), command, new ScriptedInput(answers), ...args)).result;
}

/** Runs a command with `script` answering; resolves with its result and the script (what was asked and shown). */
export async function runScripted<T>(
  api: MoonshotSessionsApi,
  command: CommandName,
  script: ScriptedInput,
  ...args: unknown[]
): Promise<{ result: T; script: ScriptedInput }> {
  api.setUserInput(script);
  try {
    const result = (await runCommand<T>(command, ...args)) as T;
    assert.deepEqual(script.errors, [], `${command}: the script went wrong`);
    assert.equal(script.remaining, 0, `${command} asked fewer questions than scripted`);
    return { result, script };
  } finally {
    api.setUserInput(undefined);
  }
}

/** Keeps `script` answering while `work` runs (a command and the follow-ups it starts). */
export async function withScript<T>(api: MoonshotSessionsApi, script: ScriptedInput, work: () => Promise<T>): Promise<T> {
  api.setUserInput(script);
  try {
    return await work();
  } finally {
    api.setUserInput(undefined);
  }
}

export async function setting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('moonshotSessions').update(key, value, vscode.ConfigurationTarget.Global);
}

export const workspaceFolder = () => vscode.workspace.workspaceFolders![0]!.uri;

/**
 * Opens a session's chat panel and waits until its webview has loaded. A webview
 * loads only while it is shown; on a loaded machine another editor can cover the
 * new panel before it loads, so after 10 s it is shown again (logged), 3 times at most.
 */
export async function openReadyPanel(api: MoonshotSessionsApi, sessionId: string) {
  const panel = await api.panels.open(sessionId);
  for (let attempt = 1; ; attempt++) {
    const ready = await Promise.race([
      panel.whenReady().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (ready || attempt === 3) break;
    console.log(`      (the panel of ${sessionId} has not loaded after ${attempt * 10} s: showing it again)`);
    panel.panel.reveal(undefined, false);
  }
  await panel.whenReady();
  return panel;
}
