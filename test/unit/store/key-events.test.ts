// The keyspace's one "key changed" path: every write reaches the listeners with its event and
// kind, WATCH is one such listener, and mutate() files collection writes (store, recount,
// delete when emptied) so a handler cannot forget the signal.

import { describe, expect, it } from 'vitest';
import { hashEntry, Keyspace, Kind, stringEntry, type DbEvent, type KeyListener, type KeyspaceStats, type WatchFlag } from '../../../src/store/keyspace.js';
import { evictOne } from '../../../src/store/memory.js';

const NOW = 1_700_000_000_000;
const v = (text: string) => Buffer.from(text);

function setup() {
  const stats: KeyspaceStats = { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 };
  const db = new Keyspace(0, stats);
  const events: string[] = [];
  const created: string[] = [];
  const dbEvents: DbEvent[] = [];
  const listener: KeyListener = {
    keyChanged: (from, key, event, kind) => {
      expect(from).toBe(db);
      // 'new' (a key that did not exist was added) comes before the write's own event; kept apart.
      if (event === 'new') created.push(key);
      else events.push(`${event} ${key} ${kind === Kind.Hash ? 'hash' : 'string'}`);
    },
    dbChanged: (_from, event) => dbEvents.push(event),
  };
  db.listen(listener);
  return { db, stats, events, created, dbEvents, listener };
}

describe('Keyspace.signal: every write names its event and kind', () => {
  it('set, install, changed, setExpiry, delete and expiry each signal once, counted as one write', () => {
    const { db, stats, events, created } = setup();
    db.set('a', stringEntry(v('1'), 0, NOW), 'set');
    const handle = db.newString('b', 3, 0, NOW);
    db.install('b', handle, 'append');
    db.changed('a', 'setrange');
    db.changed('missing', 'append');
    db.setExpiry('a', db.get('a', NOW)!, NOW + 10);
    db.setExpiry('a', db.get('a', NOW)!, 0);
    expect(db.delete('b', 'del')).toBe(true);
    expect(db.delete('b', 'del')).toBe(false);
    db.set('h', hashEntry(NOW), 'hset');
    expect(events).toEqual(['set a string', 'append b string', 'setrange a string', 'expire a string', 'persist a string', 'del b string', 'hset h hash']);
    // Keys that did not exist are announced as new once (notification class n), not counted.
    expect(created).toEqual(['a', 'b', 'h']);
    expect(stats.dirty).toBe(7);
  });

  it('notify adds an event to the write just made without counting another write', () => {
    const { db, stats, events } = setup();
    db.set('a', stringEntry(v('1'), NOW + 100, NOW), 'set');
    db.notify('a', 'expire', Kind.String);
    expect(events).toEqual(['set a string', 'expire a string']);
    expect(stats.dirty).toBe(1);
  });

  it("a key past its time is 'expired', found by a read or by the active cycle", () => {
    const { db, stats, events } = setup();
    db.set('lazy', stringEntry(v('1'), NOW + 10, NOW), 'set');
    db.set('active', hashEntry(NOW), 'hset');
    db.setExpiry('active', db.peek('active')!, NOW + 10);
    events.length = 0;
    expect(db.get('lazy', NOW + 20)).toBeUndefined();
    expect(db.expireSlice(NOW + 20, 10).expired).toBe(1);
    expect(events).toEqual(['expired lazy string', 'expired active hash']);
    expect(stats.expiredKeys).toBe(2);
  });

  it("eviction signals 'evicted'", () => {
    const { db, events } = setup();
    db.set('victim', stringEntry(v('1'), 0, NOW), 'set');
    events.length = 0;
    expect(evictOne([db], 'allkeys-lru', 5, () => false)).toBe(true);
    expect(events).toEqual(['evicted victim string']);
  });

  it('FLUSHDB tells listeners before the keys go; SWAPDB after', () => {
    const { db, dbEvents, events } = setup();
    const sizes: number[] = [];
    db.listen({ keyChanged() {}, dbChanged: (from) => sizes.push(from.size) });
    db.set('a', stringEntry(v('1'), 0, NOW), 'set');
    events.length = 0;
    db.clear();
    db.swapped();
    expect(dbEvents).toEqual(['flush', 'swap']);
    expect(sizes).toEqual([1, 0]);
    expect(events).toEqual([]);
  });

  it('listen is idempotent and unlisten stops the calls', () => {
    const { db, events, listener } = setup();
    db.listen(listener);
    db.set('a', stringEntry(v('1'), 0, NOW), 'set');
    db.unlisten(listener);
    db.set('a', stringEntry(v('2'), 0, NOW), 'set');
    expect(events).toEqual(['set a string']);
  });
});

describe('WATCH as a listener', () => {
  it('a write to a watched key marks its flag; other keys do not', () => {
    const { db } = setup();
    const flag: WatchFlag = { dirty: false };
    db.watch('w', flag);
    db.set('other', stringEntry(v('1'), 0, NOW), 'set');
    expect(flag.dirty).toBe(false);
    db.set('w', stringEntry(v('1'), 0, NOW), 'set');
    expect(flag.dirty).toBe(true);
  });

  it('an unwatched key no longer marks the flag', () => {
    const { db } = setup();
    const flag: WatchFlag = { dirty: false };
    db.watch('w', flag);
    db.unwatch('w', flag);
    db.set('w', stringEntry(v('1'), 0, NOW), 'set');
    expect(flag.dirty).toBe(false);
  });

  it('expiry marks a watched key', () => {
    const { db } = setup();
    db.set('w', stringEntry(v('1'), NOW + 5, NOW), 'set');
    const flag: WatchFlag = { dirty: false };
    db.watch('w', flag);
    db.get('w', NOW + 10);
    expect(flag.dirty).toBe(true);
  });

  it('a flush marks watched keys that existed', () => {
    const { db } = setup();
    db.set('here', stringEntry(v('1'), 0, NOW), 'set');
    const here: WatchFlag = { dirty: false };
    const absent: WatchFlag = { dirty: false };
    db.watch('here', here);
    db.watch('absent', absent);
    db.clear();
    expect([here.dirty, absent.dirty]).toEqual([true, false]);
  });

  it('a swap marks watched keys present in either database, and the watches stay at their index', () => {
    const { db } = setup();
    const other = new Keyspace(1, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
    db.set('mine', stringEntry(v('1'), 0, NOW), 'set');
    other.set('theirs', stringEntry(v('1'), 0, NOW), 'set');
    const flags = { mine: { dirty: false }, theirs: { dirty: false }, absent: { dirty: false }, later: { dirty: false } };
    db.watch('mine', flags.mine);
    other.watch('theirs', flags.theirs);
    db.watch('absent', flags.absent);
    other.watch('later', flags.later);
    db.tradeWatches(other);
    expect([flags.mine.dirty, flags.theirs.dirty, flags.absent.dirty, flags.later.dirty]).toEqual([true, true, false, false]);
    // 'absent' was watched at db's index, which other now holds; 'later' at other's, now db's.
    db.set('absent', stringEntry(v('1'), 0, NOW), 'set');
    expect([flags.absent.dirty, flags.later.dirty]).toEqual([false, false]);
    other.set('absent', stringEntry(v('1'), 0, NOW), 'set');
    db.set('later', stringEntry(v('1'), 0, NOW), 'set');
    expect([flags.absent.dirty, flags.later.dirty]).toEqual([true, true]);
  });
});

describe('Keyspace.mutate: collection writes that cannot forget the signal', () => {
  // The structure stands in for sealed fields: mutate only asks whether the hash is empty.
  const addField = (_field: string) => (h: ReturnType<typeof hashEntry>) => {
    h.fields.size++;
    return true;
  };

  it('a missing key gets a new entry, stored only if the change left something in it', () => {
    const { db, events } = setup();
    expect(db.mutate('h', Kind.Hash, 'hdel', NOW, () => false)).toBe(true);
    expect(db.size).toBe(0);
    expect(db.mutate('h', Kind.Hash, 'hset', NOW, addField('f'))).toBe(true);
    const entry = db.get('h', NOW);
    expect(entry?.kind).toBe(Kind.Hash);
    expect(events).toEqual(['hset h hash']);
  });

  it('an existing entry is changed in place, its access time refreshed; no change, no signal', () => {
    const { db, stats, events } = setup();
    db.mutate('h', Kind.Hash, 'hset', NOW, addField('f'));
    const before = db.get('h', NOW);
    db.mutate('h', Kind.Hash, 'hset', NOW + 5, addField('g'));
    db.mutate('h', Kind.Hash, 'hincrby', NOW + 6, () => false);
    expect(db.get('h', NOW)).toBe(before);
    expect(before?.touchedAt).toBe(NOW + 6);
    expect(events).toEqual(['hset h hash', 'hset h hash']);
    expect(stats.dirty).toBe(2);
  });

  it("emptying a collection deletes the key: the command's event, then 'del', one write", () => {
    const { db, stats, events } = setup();
    db.mutate('h', Kind.Hash, 'hset', NOW, addField('f'));
    db.mutate('h', Kind.Hash, 'hdel', NOW, (h) => h.fields.size-- > 0);
    expect(db.get('h', NOW)).toBeUndefined();
    expect(events).toEqual(['hset h hash', 'hdel h hash', 'del h hash']);
    expect(stats.dirty).toBe(2);
  });

  it('a key of another kind is left alone and reported (WRONGTYPE)', () => {
    const { db, events } = setup();
    db.set('s', stringEntry(v('1'), 0, NOW), 'set');
    let called = false;
    expect(db.mutate('s', Kind.Hash, 'hset', NOW, () => (called = true))).toBe(false);
    expect(called).toBe(false);
    expect(events).toEqual(['set s string']);
  });
});

describe('KeyListener.keyMissed: reads that find no key (keymiss, class m)', () => {
  it('read and readNoTouch misses reach the listeners that define keyMissed, counted as misses', () => {
    const { db, stats, events } = setup();
    const missed: string[] = [];
    db.listen({ keyChanged() {}, dbChanged() {}, keyMissed: (from, key) => (expect(from).toBe(db), missed.push(key)) });
    db.set('here', stringEntry(v('1'), 0, NOW), 'set');
    db.read('gone', NOW);
    db.read('here', NOW);
    db.readNoTouch('nothing', NOW);
    db.readNoTouch('quiet', NOW, false);
    expect(db.readNoTouch('here', NOW)).toBeDefined();
    // get() is not a command's read: no miss, no notification.
    db.get('absent', NOW);
    expect(missed).toEqual(['gone', 'nothing']);
    expect(stats.keyspaceMisses).toBe(3);
    expect(stats.keyspaceHits).toBe(2);
    // A miss is not a change: the change listener heard only the write.
    expect(events).toEqual(['set here string']);
  });

  it('an expired key read is a miss after its expiry event', () => {
    const { db, events } = setup();
    const missed: string[] = [];
    db.listen({ keyChanged() {}, dbChanged() {}, keyMissed: (_from, key) => missed.push(key) });
    db.set('t', stringEntry(v('1'), NOW + 5, NOW), 'set');
    expect(db.read('t', NOW + 10)).toBeUndefined();
    expect(events).toEqual(['set t string', 'expired t string']);
    expect(missed).toEqual(['t']);
  });

  it('unlisten stops the misses', () => {
    const { db } = setup();
    const missed: string[] = [];
    const l: KeyListener = { keyChanged() {}, dbChanged() {}, keyMissed: (_from, key) => missed.push(key) };
    db.listen(l);
    db.unlisten(l);
    db.read('x', NOW);
    expect(missed).toEqual([]);
  });
});
