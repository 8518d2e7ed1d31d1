import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh folder per test, removed afterwards. Register it after the hooks
 * that stop the test's processes: mocha runs a suite's afterEach hooks in the
 * order they were registered, and a process still writing fails the removal.
 * (A few retries cover a process whose last writes are still landing.)
 */
export function useTempDir(): () => string {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'moonshot-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));
  return () => dir;
}
