// What attack runs and dataset runs share about their manifests: a stored
// manifest is read as it stands (one left `running` by a process that no
// longer runs is `interrupted`, and written back so), and the live run's
// writes never overtake each other.
import type { z } from 'zod';
import { errorText } from './connectors/errors';
import { isCoreError } from './errors';
import type { Log } from './log';
import { ownerIsGone, type ProcessOwner } from './processOwner';

/** How one kind of run reads, names and marks its manifests. */
export interface ManifestKind<M extends { owner: ProcessOwner }> {
  /** "attack" or "run", as log lines name it. */
  what: string;
  schema: z.ZodType<M>;
  /** The manifest's own run id, session id and status, checked against where it was found. */
  facts(m: M): { id: string; sessionId: string; status: string };
  /** The manifest marked interrupted (its counts read from the records). */
  interrupted(m: M): Promise<M>;
  write(sessionId: string, id: string, m: M): Promise<void>;
}

/**
 * A stored manifest as it stands; undefined when it is missing or not a
 * manifest of this kind (logged). Marking one interrupted is said as found
 * even when writing it down fails: that is tried again at the next look.
 */
export async function settleManifest<M extends { owner: ProcessOwner }>(
  kind: ManifestKind<M>,
  sessionId: string,
  id: string,
  data: unknown,
  log: Log,
): Promise<M | undefined> {
  if (data === undefined) return undefined;
  const parsed = kind.schema.safeParse(data);
  const facts = parsed.success ? kind.facts(parsed.data) : undefined;
  if (!parsed.success || facts?.id !== id || facts.sessionId !== sessionId) {
    log(
      'warn',
      `Skipped the ${kind.what} manifest ${id} of session ${sessionId}: not ${kind.what === 'attack' ? 'an' : 'a'} ${kind.what} manifest`,
    );
    return undefined;
  }
  if (facts.status !== 'running' || !ownerIsGone(parsed.data.owner)) return parsed.data;
  const interrupted = await kind.interrupted(parsed.data);
  try {
    await kind.write(sessionId, id, interrupted);
  } catch (err) {
    if (!isCoreError(err, 'not-found'))
      log('warn', `Could not mark ${kind.what} ${id} of session ${sessionId} interrupted: ${errorText(err)}`);
  }
  return interrupted;
}

/**
 * Writes that run one after another: each starts when the one before has
 * ended, failed or not, so an older state never lands after a newer one.
 */
export class SerialWrites {
  private last: Promise<void> = Promise.resolve();

  /** `write` is called when the earlier writes are over; the promise is its own outcome. */
  run(write: () => Promise<void>): Promise<void> {
    const next = this.last.then(write);
    this.last = next.catch(() => undefined);
    return next;
  }
}
