// A child process that takes a file lock and holds it until it is killed:
// the lock a crashed window or `serve` leaves behind. With "churn" it takes
// and releases the lock over and over instead (printing "churning" once), so
// that a kill lands at any moment of taking it.
import { withFileLock } from '../../src/core/fileLock';

const [path, mode] = process.argv.slice(2);
if (!path) throw new Error('usage: holdLock.ts <lock path> [churn]');
if (mode === 'churn') {
  void (async () => {
    process.stdout.write('churning\n');
    for (;;) await withFileLock(path, async () => undefined);
  })();
} else {
  void withFileLock(path, async () => {
    process.stdout.write('held\n');
    // A pending promise alone would let the process end; a timer keeps it running.
    await new Promise(() => setInterval(() => undefined, 60_000));
  });
}
