// The one "a key changed" path (redis signalModifiedKey + notifyKeyspaceEvent, dragonfly
// DbSlice's AutoUpdater): every write to a database ends in Keyspace.signal(key, event, kind),
// and whatever must hear of writes (WATCH, blocked clients, keyspace notifications, client
// tracking; replication later) registers a KeyListener on the database instead of being called
// from each handler.

import type { Kind } from './entry.js';
import type { Keyspace } from './keyspace.js';

/**
 * What happened to a key, named as Redis names the keyspace notification it sends (notify.c,
 * and the notifyKeyspaceEvent calls of each t_*.c): a listener that forwards them as
 * notifications needs no table of its own. Names of types sealkv does not hold yet are listed so
 * their commands only have to use them.
 */
export type KeyEvent =
  // generic (class g), and expiry/eviction (classes x, e)
  | 'del' | 'expire' | 'persist' | 'rename_from' | 'rename_to' | 'copy_to' | 'move_from' | 'move_to'
  | 'restore' | 'sortstore' | 'expired' | 'evicted'
  // strings ($)
  | 'set' | 'setrange' | 'append' | 'incrby' | 'incrbyfloat'
  // hashes (h)
  | 'hset' | 'hdel' | 'hincrby' | 'hincrbyfloat'
  // lists (l)
  | 'lpush' | 'rpush' | 'lpop' | 'rpop' | 'linsert' | 'lset' | 'lrem' | 'ltrim'
  // sets (s)
  | 'sadd' | 'srem' | 'spop' | 'sinterstore' | 'sunionstore' | 'sdiffstore'
  // sorted sets (z)
  | 'zadd' | 'zincr' | 'zrem' | 'zremrangebyscore' | 'zremrangebyrank' | 'zremrangebylex'
  | 'zpopmin' | 'zpopmax' | 'zinterstore' | 'zunionstore' | 'zdiffstore' | 'zrangestore'
  // streams (t)
  | 'xadd' | 'xtrim' | 'xdel' | 'xsetid' | 'xgroup-create' | 'xgroup-createconsumer'
  | 'xgroup-delconsumer' | 'xgroup-destroy' | 'xgroup-setid' | 'xclaim' | 'xautoclaim'
  // bitmaps and HyperLogLog (strings, $)
  | 'setbit' | 'pfadd'
  // geo (z) and SORT ... STORE's own event (g, above)
  | 'georadiusstore' | 'geosearchstore'
  // a key that did not exist was added (class n), announced just before the write's own event
  | 'new'
  // not a notification: a consumer group's delivery state moved (XREADGROUP, XACK, XCLAIM,
  // XAUTOCLAIM). Replicas and snapshots must have it; Redis sends no notification for it and
  // neither touches WATCH nor invalidates client tracking.
  | 'xgroup-progress'
  // a read found no key (class m): told through KeyListener.keyMissed, never keyChanged
  | 'keymiss';

/** Why every key of a database may have changed at once. */
export type DbEvent = 'flush' | 'swap';

export interface KeyListener {
  /**
   * `key` of `db` changed by `event`; `kind` is the type the key holds now (for 'del',
   * 'expired', 'evicted', 'rename_from', 'move_from': the type it held). Called synchronously
   * inside the write, after the keyspace is consistent again; must not write to the keyspace.
   */
  keyChanged(db: Keyspace, key: string, event: KeyEvent, kind: Kind): void;
  /**
   * Every key of db may have changed: 'flush' just before FLUSHDB/FLUSHALL empties it (its keys
   * are still there to look at), 'swap' after SWAPDB moved it to another index.
   */
  dbChanged(db: Keyspace, event: DbEvent): void;
  /**
   * A command's read of `key` found nothing (redis lookupKey's keymiss, counted as a keyspace
   * miss): only listeners that define it hear of misses (keyspace notifications' class m).
   */
  keyMissed?(db: Keyspace, key: string): void;
}

/** A WATCH registration: flipped to dirty when any watched key is touched. */
export interface WatchFlag {
  dirty: boolean;
}

/** WATCH as a listener: the flags watching each key of one database (redis watched_keys). */
export class WatchTable implements KeyListener {
  private byKey = new Map<string, Set<WatchFlag>>();

  get size(): number {
    return this.byKey.size;
  }

  add(key: string, flag: WatchFlag): void {
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(flag);
  }

  remove(key: string, flag: WatchFlag): void {
    const set = this.byKey.get(key);
    if (!set) return;
    set.delete(flag);
    if (set.size === 0) this.byKey.delete(key);
  }

  keyChanged(_db: Keyspace, key: string, event: KeyEvent): void {
    if (event === 'xgroup-progress') return;
    const flags = this.byKey.get(key);
    if (flags) for (const f of flags) f.dirty = true;
  }

  /** A flush touches the watched keys that exist (redis touchAllWatchedKeysInDb); a swap: see touchPresent. */
  dbChanged(db: Keyspace, event: DbEvent): void {
    if (event === 'flush') this.touchPresent(db, db);
  }

  /** SWAPDB: touches the watched keys present in either database (touchAllWatchedKeysInDb(a, b)). */
  touchPresent(a: Keyspace, b: Keyspace): void {
    for (const [key, flags] of this.byKey) {
      if (a.peek(key) === undefined && b.peek(key) === undefined) continue;
      for (const f of flags) f.dirty = true;
    }
  }
}
