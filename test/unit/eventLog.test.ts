import assert from 'node:assert/strict';
import { EventLog } from '../../src/core/eventLog';

const ids = (events: { id: number }[]) => events.map((e) => e.id);

describe('EventLog', () => {
  it('gives increasing ids and replays what came after an id', () => {
    const log = new EventLog<{ n: number }>({ capacity: 10 });
    assert.equal(log.lastId, 0);
    const first = log.append('record', { n: 1 });
    assert.deepEqual(first, { id: 1, type: 'record', data: { n: 1 } });
    log.append('delta', { n: 2 });
    log.append('score', { n: 3 });
    assert.equal(log.lastId, 3);
    assert.deepEqual(log.since(), { events: log.since(0).events, lost: false });
    assert.deepEqual(ids(log.since(0).events), [1, 2, 3]);
    assert.deepEqual(log.since(1), {
      events: [
        { id: 2, type: 'delta', data: { n: 2 } },
        { id: 3, type: 'score', data: { n: 3 } },
      ],
      lost: false,
    });
    assert.deepEqual(log.since(3), { events: [], lost: false });
    assert.deepEqual(ids(log.since(0, (e) => e.type !== 'delta').events), [1, 3]);
  });

  it('keeps only the newest `capacity` events and says when some after the id are gone', () => {
    const log = new EventLog<number>({ capacity: 3 });
    for (let i = 1; i <= 5; i++) log.append('e', i);
    assert.deepEqual(ids(log.since().events), [3, 4, 5]);
    assert.deepEqual(log.since(2), { events: log.since(2).events, lost: false });
    assert.deepEqual(ids(log.since(2).events), [3, 4, 5]);
    const gap = log.since(1);
    assert.equal(gap.lost, true, 'event 2 was evicted');
    assert.deepEqual(ids(gap.events), [3, 4, 5]);
  });

  it('treats an id it never gave (another process, garbage) as lost, replaying all it has', () => {
    const log = new EventLog<number>();
    log.append('e', 1);
    for (const id of [99, -1, Number.NaN, 1.5]) {
      const replay = log.since(id);
      assert.equal(replay.lost, true, String(id));
      assert.deepEqual(ids(replay.events), [1]);
    }
    assert.deepEqual(new EventLog().since(0), { events: [], lost: false });
  });

  it('queues live events for each subscriber, and wakes a waiting one', async () => {
    const log = new EventLog<string>();
    log.append('old', 'a');
    const sub = log.subscribe();
    assert.deepEqual(sub.replay, { events: [], lost: false });
    const woke = [sub.wait(), sub.wait()];
    log.append('new', 'b');
    await Promise.all(woke);
    log.append('new', 'c');
    assert.equal(sub.queued, 2);
    assert.deepEqual(sub.take().map((e) => e.data), ['b', 'c']);
    assert.deepEqual(sub.take(), []);
    await Promise.all([sub.wait(), log.append('new', 'd')]);
    assert.deepEqual(sub.take().map((e) => e.data), ['d']);
  });

  it('wait(count) waits for that many queued events; a wait whose signal aborts resolves and is forgotten', async () => {
    const log = new EventLog<string>();
    const sub = log.subscribe();
    let three = false;
    const waiting = sub.wait(3).then(() => (three = true));
    log.append('a', 'a');
    log.append('b', 'b');
    await Promise.resolve();
    assert.equal(three, false, 'two are not three');
    log.append('c', 'c');
    await waiting;
    assert.equal(sub.take().length, 3);
    const stop = new AbortController();
    const abandoned = sub.wait(100, stop.signal);
    stop.abort();
    await abandoned;
    // Forgotten: an event now wakes only the waits that want it.
    const next = sub.wait();
    log.append('d', 'd');
    await next;
    assert.equal(sub.queued, 1);
    await sub.wait(1, AbortSignal.abort());
  });

  it('replays from Last-Event-ID at subscription, with nothing between replay and queue', () => {
    const log = new EventLog<string>();
    for (const d of ['a', 'b', 'c']) log.append('e', d);
    const sub = log.subscribe({ lastEventId: 1 });
    log.append('e', 'd');
    assert.deepEqual([...sub.replay.events, ...sub.take()].map((e) => e.data), ['b', 'c', 'd']);
    assert.equal(sub.replay.lost, false);
  });

  it('filters per subscriber; filtered events do not fill its queue', () => {
    const log = new EventLog<{ session: string }>();
    log.append('e', { session: 's1' });
    const sub = log.subscribe({ lastEventId: 0, filter: (e) => e.data.session === 's2', maxQueue: 1 });
    assert.deepEqual(sub.replay.events, []);
    for (let i = 0; i < 5; i++) log.append('e', { session: 's1' });
    log.append('e', { session: 's2' });
    assert.equal(sub.closed, false);
    assert.deepEqual(sub.take().map((e) => e.id), [7]);
  });

  it('drops a subscriber that falls behind, telling it once; the producer and the others go on', async () => {
    const log = new EventLog<number>({ capacity: 50_000, clientQueue: 100 });
    let drops = 0;
    const stuck = log.subscribe({ onDropped: () => drops++ });
    const waiting = stuck.wait();
    const eager = log.subscribe({ maxQueue: 1 });
    const received: number[] = [];
    for (let i = 1; i <= 10_000; i++) {
      log.append('delta', i);
      received.push(...eager.take().map((e) => e.data));
    }
    assert.equal(drops, 1);
    assert.equal(stuck.closed, true);
    assert.equal(stuck.dropped, true);
    assert.equal(stuck.queued, 0);
    assert.deepEqual(stuck.take(), []);
    await waiting;
    await stuck.wait();
    assert.equal(received.length, 10_000, 'a subscriber that keeps up gets everything');
    assert.equal(eager.closed, false);
    assert.equal(log.subscriberCount, 1);
    const back = log.subscribe({ lastEventId: 100 });
    assert.equal(back.replay.events.length, 9_900, 'the dropped client reconnects and replays from its last id');
  });

  it('a subscriber that closes is not told it was dropped and gets nothing more', async () => {
    const log = new EventLog<number>();
    let drops = 0;
    const sub = log.subscribe({ onDropped: () => drops++, maxQueue: 1 });
    const waiting = sub.wait();
    sub.close();
    await waiting;
    log.append('e', 1);
    log.append('e', 2);
    assert.equal(drops, 0);
    assert.deepEqual(sub.take(), []);
    assert.equal(sub.dropped, false);
    assert.equal(log.subscriberCount, 0);
  });

  it('a throwing onDropped does not stop the producer or the other subscribers', () => {
    const log = new EventLog<number>({ clientQueue: 1 });
    log.subscribe({
      onDropped: () => {
        throw new Error('client bug');
      },
    });
    const other = log.subscribe({ maxQueue: 10 });
    log.append('e', 1);
    log.append('e', 2);
    assert.deepEqual(other.take().map((e) => e.data), [1, 2]);
  });

  it('refuses a capacity or queue bound below 1', () => {
    assert.throws(() => new EventLog({ capacity: 0 }), RangeError);
    assert.throws(() => new EventLog({ clientQueue: 0.5 }), RangeError);
  });
});
