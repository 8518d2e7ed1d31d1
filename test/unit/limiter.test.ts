import assert from 'node:assert/strict';
import { ConnectorError } from '../../src/core/connectors/errors';
import { EndpointLimiters, Limiter } from '../../src/core/connectors/limiter';

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every already-due promise callback and immediate run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/**
 * Queues `count` calls on the limiter; each records its start and then waits
 * until the test finishes it.
 */
function queueCalls(limiter: Limiter, count: number, signals: (AbortSignal | undefined)[] = []) {
  const started: number[] = [];
  const startedAt: number[] = [];
  const gates = Array.from({ length: count }, () => deferred());
  const startEvents = Array.from({ length: count }, () => deferred());
  let inFlight = 0;
  let maxInFlight = 0;
  const results = gates.map((gate, i) =>
    limiter.run(async () => {
      started.push(i);
      startedAt[i] = performance.now();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      startEvents[i]?.resolve();
      await gate.promise;
      inFlight--;
      return i;
    }, signals[i]),
  );
  return {
    started,
    startedAt,
    results,
    finish: (i: number) => gates[i]?.resolve(),
    hasStarted: (i: number) => startEvents[i]?.promise as Promise<void>,
    maxInFlight: () => maxInFlight,
  };
}

describe('Limiter', () => {
  it('never has more than maxConcurrency calls in flight', async () => {
    const limiter = new Limiter({ maxConcurrency: 2, maxCallsPerSecond: Infinity });
    const calls = queueCalls(limiter, 6);
    await settle();
    assert.deepEqual(calls.started, [0, 1]);
    assert.equal(limiter.inFlight, 2);
    assert.equal(limiter.waiting, 4);
    for (let i = 0; i < 6; i++) {
      calls.finish(i);
      await calls.results[i];
      await settle();
    }
    assert.equal(calls.maxInFlight(), 2);
    assert.deepEqual(await Promise.all(calls.results), [0, 1, 2, 3, 4, 5]);
    assert.equal(limiter.inFlight, 0);
  });

  it('serves waiting callers in arrival order', async () => {
    const limiter = new Limiter({ maxConcurrency: 1, maxCallsPerSecond: 0 });
    const calls = queueCalls(limiter, 5);
    for (let i = 0; i < 5; i++) {
      await calls.hasStarted(i);
      assert.deepEqual(calls.started, Array.from({ length: i + 1 }, (_, k) => k));
      calls.finish(i);
    }
    await Promise.all(calls.results);
  });

  it('lets a burst of floor(rate) start at once, then waits for the window', async () => {
    // 2/s: two starts in any 1 s window.
    const limiter = new Limiter({ maxConcurrency: 100, maxCallsPerSecond: 2 });
    const calls = queueCalls(limiter, 3);
    await settle();
    assert.deepEqual(calls.started, [0, 1]);
    assert.equal(limiter.waiting, 1);
    await calls.hasStarted(2);
    assert.deepEqual(calls.started, [0, 1, 2]);
    const gap = (calls.startedAt[2] as number) - (calls.startedAt[0] as number);
    assert.ok(gap >= 995, `third start came ${gap} ms after the first`);
    for (let i = 0; i < 3; i++) calls.finish(i);
    await Promise.all(calls.results);
  });

  it('spaces starts by 1/rate for a fractional rate', async () => {
    const limiter = new Limiter({ maxConcurrency: 100, maxCallsPerSecond: 1.5 });
    const calls = queueCalls(limiter, 2);
    await settle();
    assert.deepEqual(calls.started, [0]);
    await calls.hasStarted(1);
    const gap = (calls.startedAt[1] as number) - (calls.startedAt[0] as number);
    assert.ok(gap >= 1000 / 1.5 - 5, `second start came ${gap} ms after the first`);
    calls.finish(0);
    calls.finish(1);
    await Promise.all(calls.results);
  });

  it('drops a waiting caller whose signal fires, at once, with a cancelled error', async () => {
    const limiter = new Limiter({ maxConcurrency: 1, maxCallsPerSecond: 0 });
    const abort = new AbortController();
    const calls = queueCalls(limiter, 3, [undefined, abort.signal, undefined]);
    await settle();
    assert.equal(limiter.waiting, 2);
    abort.abort();
    await assert.rejects(calls.results[1] as Promise<number>, (err: unknown) => {
      assert.ok(err instanceof ConnectorError);
      assert.equal(err.kind, 'cancelled');
      assert.equal(err.message, 'cancelled');
      return true;
    });
    assert.equal(limiter.waiting, 1);
    calls.finish(0);
    await calls.hasStarted(2);
    assert.deepEqual(calls.started, [0, 2]);
    calls.finish(2);
    await Promise.all([calls.results[0], calls.results[2]]);
  });

  it('rejects at once when the signal has already fired', async () => {
    const limiter = new Limiter({ maxConcurrency: 1, maxCallsPerSecond: 1 });
    const signal = AbortSignal.abort();
    let ran = false;
    await assert.rejects(
      limiter.run(async () => void (ran = true), signal),
      /cancelled/,
    );
    assert.equal(ran, false);
    assert.equal(limiter.waiting, 0);
  });

  it('leaves no timer behind when the last caller waiting on the rate leaves', async () => {
    const limiter = new Limiter({ maxConcurrency: 10, maxCallsPerSecond: 1 });
    const abort = new AbortController();
    const calls = queueCalls(limiter, 2, [undefined, abort.signal]);
    await calls.hasStarted(0);
    assert.equal(limiter.waiting, 1);
    const before = timeouts();
    abort.abort();
    assert.equal(timeouts(), before - 1);
    await assert.rejects(calls.results[1] as Promise<number>, /cancelled/);
    calls.finish(0);
    await calls.results[0];
  });

  it('releases the slot when the call throws, and a second release is harmless', async () => {
    const limiter = new Limiter({ maxConcurrency: 1, maxCallsPerSecond: 0 });
    await assert.rejects(limiter.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(limiter.inFlight, 0);
    const release = await limiter.acquire();
    release();
    release();
    assert.equal(limiter.inFlight, 0);
    const again = await limiter.acquire();
    assert.equal(limiter.inFlight, 1);
    again();
  });
});

describe('EndpointLimiters', () => {
  const endpoint = (max_concurrency: number, max_calls_per_second = 1000) => ({ id: 'ep', max_concurrency, max_calls_per_second });

  it('shares one limiter per endpoint id', () => {
    const limiters = new EndpointLimiters();
    assert.equal(limiters.get(endpoint(1)), limiters.get(endpoint(1)));
    assert.notEqual(limiters.get(endpoint(1)), limiters.get({ ...endpoint(1), id: 'other' }));
  });

  it('applies changed limits to the same limiter, counting calls already in flight', async () => {
    const limiters = new EndpointLimiters();
    const limiter = limiters.get(endpoint(1));
    const calls = queueCalls(limiter, 4);
    await settle();
    assert.deepEqual(calls.started, [0]);

    assert.equal(limiters.get(endpoint(3)), limiter);
    assert.deepEqual(limiter.limits, { maxConcurrency: 3, maxCallsPerSecond: 1000 });
    await settle();
    assert.deepEqual(calls.started, [0, 1, 2]);

    // Lowered below what is in flight: nothing new starts until enough finish.
    limiters.get(endpoint(2));
    calls.finish(0);
    await calls.results[0];
    await settle();
    assert.deepEqual(calls.started, [0, 1, 2]);
    calls.finish(1);
    await calls.hasStarted(3);
    calls.finish(2);
    calls.finish(3);
    await Promise.all(calls.results);
  });

  it('gives a fresh limiter after delete', () => {
    const limiters = new EndpointLimiters();
    const first = limiters.get(endpoint(1));
    limiters.delete('ep');
    assert.notEqual(limiters.get(endpoint(1)), first);
  });
});

describe('EndpointLimiters for a connector with no remote', () => {
  it('puts no rate limit on echo (nothing to protect), but keeps its concurrency limit', async () => {
    const limiters = new EndpointLimiters();
    const limiter = limiters.get({ id: 'echo', connector_type: 'echo', max_concurrency: 2, max_calls_per_second: 1 });
    assert.deepEqual(limiter.limits, { maxConcurrency: 2, maxCallsPerSecond: Infinity });
    // At 1 call/s the third start would wait a second; with no rate limit it starts once a slot frees.
    const calls = queueCalls(limiter, 3);
    await settle();
    assert.deepEqual(calls.started, [0, 1]);
    calls.finish(0);
    await calls.hasStarted(2);
    calls.finish(1);
    calls.finish(2);
    await Promise.all(calls.results);
    // A remote endpoint keeps its rate.
    assert.deepEqual(
      limiters.get({ id: 'remote', connector_type: 'openai-connector', max_concurrency: 2, max_calls_per_second: 1 }).limits,
      { maxConcurrency: 2, maxCallsPerSecond: 1 },
    );
  });
});
