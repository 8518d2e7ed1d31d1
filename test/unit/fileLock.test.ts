import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { withFileLock } from '../../src/core/fileLock';
import { isCoreError } from '../../src/core/errors';
import { useTempDir } from '../support/tempDir';

const HOLDER = resolve(__dirname, '../support/holdLock.ts');

/** Starts a child process that takes the lock and holds it; resolves once it does. */
async function holdInChild(lock: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, lock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  await new Promise<void>((ok, fail) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && ok());
    void exited.then(([code]) => fail(new Error(`the lock holder exited with ${code}`)));
  });
  return { child, exited };
}

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

/** Dates the lock an hour ahead, so that only its owner's pid can make it stale, not its age. */
const makeYoung = async (lock: string) => {
  const later = new Date(Date.now() + 3_600_000);
  await fs.utimes(lock, later, later);
};

describe('withFileLock', () => {
  const dir = useTempDir();

  it('lets one holder in at a time and removes the lock after', async () => {
    const lock = join(dir(), 'x.lock');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setImmediate(r));
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    await assert.rejects(fs.stat(lock), /ENOENT/);
  });

  it('releases the lock when the holder throws, and takes over a stale one', async () => {
    const lock = join(dir(), 'y.lock');
    await assert.rejects(withFileLock(lock, async () => Promise.reject(new Error('boom'))), /boom/);
    await assert.rejects(fs.stat(lock), /ENOENT/);
    // A lock left long ago by a process whose owner cannot be told (no content).
    await fs.writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(lock, old, old);
    assert.equal(await withFileLock(lock, async () => 'taken over'), 'taken over');
  });

  it('writes its owner (pid and host) into the lock', async () => {
    const lock = join(dir(), 'owner.lock');
    const content = await withFileLock(lock, () => fs.readFile(lock, 'utf8'));
    assert.deepEqual(JSON.parse(content), { ...JSON.parse(content), pid: process.pid, host: hostname() });
  });

  it('takes at once the lock of a process killed (SIGKILL) while it held it', async () => {
    const lock = join(dir(), 'killed.lock');
    const { child, exited } = await holdInChild(lock);
    child.kill('SIGKILL');
    await exited;
    await makeYoung(lock);
    assert.equal(await withFileLock(lock, async () => 'mine'), 'mine');
    await assert.rejects(fs.stat(lock), /ENOENT/);
  });

  it('takes at once the lock of a process killed at any moment of taking and releasing it (never an ownerless lock)', async function () {
    this.timeout(60_000);
    // Far below the age after which a lock without an owner is taken: only a lock that names its dead owner is free this soon.
    const soon = { giveUpAfterMs: 2000 };
    for (let round = 0; round < 12; round++) {
      const lock = join(dir(), `churn-${round}.lock`);
      const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, lock, 'churn'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = once(child, 'exit');
      await once(child.stdout, 'data');
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 60)));
      child.kill('SIGKILL');
      await exited;
      assert.equal(
        await withFileLock(lock, async () => 'mine', soon),
        'mine',
        `round ${round}: ${await fs.readFile(lock, 'utf8').catch(() => '(no lock)')}`,
      );
    }
  });

  it('takes at once a fresh lock whose pid is gone on this host, but not one of another host', async () => {
    const lock = join(dir(), 'dead.lock');
    const pid = await deadPid();
    await fs.writeFile(lock, JSON.stringify({ pid, host: hostname() }));
    await makeYoung(lock);
    assert.equal(await withFileLock(lock, async () => 'mine'), 'mine');

    // On another host the pid says nothing: only the age rule applies, and this lock is young.
    await fs.writeFile(lock, JSON.stringify({ pid, host: `not-${hostname()}` }));
    await makeYoung(lock);
    await assert.rejects(withFileLock(lock, async () => 'stolen', { giveUpAfterMs: 300 }), (err) => isCoreError(err, 'timeout'));
  });

  it('waits for a lock whose owner is alive, and gives up with a timeout error', async () => {
    const lock = join(dir(), 'alive.lock');
    const { child, exited } = await holdInChild(lock);
    try {
      await assert.rejects(
        withFileLock(lock, async () => 'stolen', { giveUpAfterMs: 500 }),
        (err) => isCoreError(err, 'timeout') && /alive\.lock/.test((err as Error).message),
      );
      assert.equal(child.exitCode, null, 'the holder still runs and still holds the lock');
      await fs.stat(lock);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('gives a stale lock to exactly one of many takers at once', async () => {
    // A few rounds of each kind: the interleaving that lets two in varies from run to run.
    for (const [round, stale] of (['age', 'dead pid', 'age', 'dead pid', 'age', 'dead pid'] as const).entries()) {
      const lock = join(dir(), `race-${round}.lock`);
      if (stale === 'age') {
        await fs.writeFile(lock, '');
        const old = new Date(Date.now() - 60_000);
        await fs.utimes(lock, old, old);
      } else {
        await fs.writeFile(lock, JSON.stringify({ pid: await deadPid(), host: hostname() }));
        await makeYoung(lock);
      }
      let inside = 0;
      let most = 0;
      const tick = () => new Promise((r) => setImmediate(r));
      await Promise.all(
        Array.from({ length: 20 }, async (_, k) => {
          // Takers arrive a few ticks apart, so that some look at the stale lock while another already replaced it.
          for (let i = 0; i < k % 7; i++) await tick();
          return withFileLock(lock, async () => {
            most = Math.max(most, ++inside);
            for (let i = 0; i < 20; i++) await tick();
            inside--;
          });
        }),
      );
      assert.equal(most, 1, `${stale} (round ${round}): one holder at a time`);
    }
  });
});
