// What activate() does when the core cannot open (the storage folder cannot
// be made or written, most often): the user is told why, with Show Log and
// Retry, and Retry opens it again in place, so fixing the folder is enough
// (no window reload). Activation waits meanwhile: without a core there is
// nothing to activate, and commands run once it is open.
import { isCoreError } from '../core/errors';
import type { Log } from '../core/log';

export const SHOW_LOG = 'Show Log';
export const RETRY = 'Retry';

export interface StartGuardUi {
  /** An error notification with buttons; resolves with the one clicked, undefined when dismissed. */
  notify(message: string, actions: readonly string[]): Promise<string | undefined>;
  showLog(): void;
  log: Log;
}

function withCause(err: Error): string {
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}

/**
 * Opens with `open`, and on failure asks until it opens (Retry) or the user
 * dismisses the message; then the last failure is thrown.
 */
export async function openWithRetry<T>(what: string, open: () => Promise<T>, ui: StartGuardUi): Promise<T> {
  for (;;) {
    let failure: unknown;
    try {
      return await open();
    } catch (err) {
      failure = err;
    }
    // A CoreError's message is the sentence to show; anything else is a bug, whose stack goes to the log.
    const reason = isCoreError(failure) ? failure.message : String((failure as Error)?.message ?? failure);
    ui.log('error', `${what} failed: ${isCoreError(failure) ? withCause(failure) : ((failure as Error)?.stack ?? reason)}`);
    let choice: string | undefined;
    do {
      choice = await ui.notify(`Moonshot Sessions could not start: ${reason}`, [SHOW_LOG, RETRY]);
      if (choice === SHOW_LOG) ui.showLog();
    } while (choice === SHOW_LOG);
    if (choice !== RETRY) throw failure;
  }
}
