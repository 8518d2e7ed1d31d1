// A child process that takes a file lock and holds it until it is killed:
// the lock a crashed window or `serve` leaves behind.
import { withFileLock } from '../../src/core/fileLock';

const path = process.argv[2];
if (!path) throw new Error('usage: holdLock.ts <lock path>');
void withFileLock(path, async () => {
  process.stdout.write('held\n');
  // A pending promise alone would let the process end; a timer keeps it running.
  await new Promise(() => setInterval(() => undefined, 60_000));
});
