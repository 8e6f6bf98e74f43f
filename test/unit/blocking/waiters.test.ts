// The blocking table on real keyspaces: waiters are offered a key only after the write that
// readied it, oldest first, and leave the table on success, timeout, CLIENT UNBLOCK, disconnect
// or SWAPDB. Lists hold plain bytes here: the table never looks at what is stored.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlockingTable, UNBLOCKED_ERROR, type Wait, type WaitingClient } from '../../../src/blocking/waiters.js';
import { parseTimeout } from '../../../src/blocking/timeout.js';
import { Keyspace, Kind } from '../../../src/store/keyspace.js';
import { testCodec } from '../../helpers/list-codec.js';

const C = testCodec();

function keyspace(uid: number): Keyspace {
  return new Keyspace(uid, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
}

/** A client whose serve() pops the head of the list at `key` (plain bytes stand in for sealed ones). */
function client(id: number, db: Keyspace) {
  const ended = new AbortController();
  const log: string[] = [];
  const c: WaitingClient & { log: string[]; end(): void; db: Keyspace; atomic: number } = {
    id, db, atomic: 0, closedSignal: ended.signal, now: 0, log,
    reply: { error: (m) => log.push(`error:${m}`) },
    end: () => ended.abort(),
  };
  return c;
}

function popWait(c: ReturnType<typeof client>, keys: string[], timeout = 0): Wait {
  return {
    keys,
    timeout,
    serve(key) {
      const entry = c.db.read(key, 0);
      if (entry === undefined || entry.kind !== Kind.List) return false;
      let head = '';
      c.db.mutate(key, Kind.List, 'lpop', 0, (list) => {
        head = list.popHead(C)!.toString();
        return true;
      });
      c.log.push(`${key}:${head}`);
      return true;
    },
    timedOut: () => c.log.push('timeout'),
  };
}

function push(db: Keyspace, key: string, ...elements: string[]): void {
  db.mutate(key, Kind.List, 'rpush', 0, (list) => {
    for (const e of elements) list.pushTail(Buffer.from(e), C);
    return true;
  });
}

afterEach(() => vi.useRealTimers());

describe('blocking table', () => {
  it('serves waiters oldest first, only when serveReady runs after the write', async () => {
    const table = new BlockingTable(() => 0);
    const db = keyspace(1);
    const a = client(1, db);
    const b = client(2, db);
    const pa = table.block(a, popWait(a, ['q']));
    const pb = table.block(b, popWait(b, ['q']));
    expect(table.blockedClients).toBe(2);
    push(db, 'q', 'x');
    expect(a.log).toEqual([]);
    expect(table.hasReady).toBe(true);
    table.serveReady();
    expect(a.log).toEqual(['q:x']);
    expect(b.log).toEqual([]);
    await pa;
    push(db, 'q', 'y', 'z');
    table.serveReady();
    expect(b.log).toEqual(['q:y']);
    await pb;
    expect(table.blockedClients).toBe(0);
    expect(table.isBlocked(1)).toBe(false);
  });

  it('tells how long each wait lasted, up to its serve or its timeout (left out of the command\'s time)', async () => {
    const waits: [number, number][] = [];
    const table = new BlockingTable(() => 0, (id, ms) => waits.push([id, ms]));
    const db = keyspace(1);
    const served = client(1, db);
    const unblocked = client(2, db);
    const p = table.block(served, popWait(served, ['q']));
    void table.block(unblocked, popWait(unblocked, ['other']));
    await new Promise((r) => setTimeout(r, 40));
    push(db, 'q', 'x');
    table.serveReady();
    await p;
    table.unblock(2, false);
    expect(waits.map(([id]) => id)).toEqual([1, 2]);
    for (const [, ms] of waits) {
      expect(ms).toBeGreaterThanOrEqual(35);
      expect(ms).toBeLessThan(2000);
    }
  });

  it('costs nothing per write when nobody waits: it listens only while a database has waiters', () => {
    const table = new BlockingTable(() => 0);
    const db = keyspace(1);
    push(db, 'q', 'x');
    expect(table.hasReady).toBe(false);
    const c = client(1, db);
    void table.block(c, popWait(c, ['other']));
    push(db, 'q', 'y');
    expect(table.hasReady).toBe(false);
    table.unblock(1, false);
    push(db, 'other', 'z');
    expect(table.hasReady).toBe(false);
  });

  it('wakes a client waiting on several keys from the first one written, once', async () => {
    const table = new BlockingTable(() => 0);
    const db = keyspace(1);
    const c = client(1, db);
    const p = table.block(c, popWait(c, ['a', 'b', 'c']));
    push(db, 'c', 'one');
    push(db, 'b', 'two');
    table.serveReady();
    await p;
    expect(c.log).toEqual(['c:one']);
    expect(db.read('b', 0)).toBeDefined();
  });

  it('answers as timed out at the deadline, with sub-second precision', async () => {
    vi.useFakeTimers();
    let now = 1000;
    const table = new BlockingTable(() => now);
    const c = client(1, keyspace(1));
    const p = table.block(c, popWait(c, ['q'], 250));
    now += 249;
    vi.advanceTimersByTime(249);
    expect(c.log).toEqual([]);
    now += 1;
    vi.advanceTimersByTime(1);
    await p;
    expect(c.log).toEqual(['timeout']);
    expect(table.blockedClients).toBe(0);
  });

  it('re-arms waits longer than setTimeout allows instead of firing early', () => {
    vi.useFakeTimers();
    let now = 0;
    const table = new BlockingTable(() => now);
    const c = client(1, keyspace(1));
    void table.block(c, popWait(c, ['q'], 2 ** 31 + 5000));
    now = 2 ** 31 - 1;
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(c.log).toEqual([]);
    now += 5001;
    vi.advanceTimersByTime(5001);
    expect(c.log).toEqual(['timeout']);
  });

  it('answers at once inside EXEC or a script', () => {
    const table = new BlockingTable(() => 0);
    const c = client(1, keyspace(1));
    c.atomic = 1;
    expect(table.block(c, popWait(c, ['q']))).toBeUndefined();
    expect(c.log).toEqual(['timeout']);
    expect(table.blockedClients).toBe(0);
  });

  it('CLIENT UNBLOCK answers as a timeout or with the UNBLOCKED error', async () => {
    const table = new BlockingTable(() => 0);
    const db = keyspace(1);
    const a = client(1, db);
    const b = client(2, db);
    const pa = table.block(a, popWait(a, ['q']));
    const pb = table.block(b, popWait(b, ['q']));
    expect(table.unblock(1, false)).toBe(true);
    expect(table.unblock(2, true)).toBe(true);
    expect(table.unblock(3, true)).toBe(false);
    await Promise.all([pa, pb]);
    expect(a.log).toEqual(['timeout']);
    expect(b.log).toEqual([`error:${UNBLOCKED_ERROR}`]);
  });

  it('forgets a client that disconnects, and serves the next one', async () => {
    const table = new BlockingTable(() => 0);
    const db = keyspace(1);
    const a = client(1, db);
    const b = client(2, db);
    const pa = table.block(a, popWait(a, ['q']));
    const pb = table.block(b, popWait(b, ['q']));
    a.end();
    await pa;
    push(db, 'q', 'x');
    table.serveReady();
    await pb;
    expect(a.log).toEqual([]);
    expect(b.log).toEqual(['q:x']);
  });

  it('serves in the same pass the keys a served waiter writes (a BLMOVE chain)', async () => {
    const table = new BlockingTable(() => 0);
    const db = keyspace(1);
    const mover = client(1, db);
    const moverWait: Wait = {
      keys: ['src'], timeout: 0, timedOut: () => undefined,
      serve(key) {
        const entry = db.read(key, 0);
        if (entry === undefined) return false;
        db.delete(key, 'del');
        push(db, 'dst', 'moved');
        return true;
      },
    };
    const last = client(2, db);
    const pm = table.block(mover, moverWait);
    const pl = table.block(last, popWait(last, ['dst']));
    push(db, 'src', 'x');
    table.serveReady();
    await Promise.all([pm, pl]);
    expect(last.log).toEqual(['dst:moved']);
  });

  it('follows its client to the other database after SWAPDB and offers it the keys there', async () => {
    const table = new BlockingTable(() => 0);
    const zero = keyspace(1);
    const one = keyspace(2);
    push(one, 'q', 'from-one');
    const c = client(1, zero);
    const p = table.block(c, popWait(c, ['q']));
    c.db = one;
    zero.swapped();
    one.swapped();
    table.serveReady();
    await p;
    expect(c.log).toEqual(['q:from-one']);
  });
});

describe('blocking timeout argument', () => {
  const t = (s: string, unit: 'seconds' | 'milliseconds' = 'seconds') => parseTimeout(Buffer.from(s), unit, 1_700_000_000_000);
  it('reads seconds as Redis does: rounded up to the millisecond, 0 for ever', () => {
    expect(t('0')).toBe(0);
    expect(t('-0')).toBe(0);
    expect(t('1.5')).toBe(1500);
    expect(t('1e-9')).toBe(1);
    expect(t('0x10')).toBe(16000);
    expect(t('9223372036854775')).toBe(0);
  });
  it('gives Redis 7.0 error texts', () => {
    expect(t('-1')).toBe('timeout is negative');
    expect(t('1e300')).toBe('timeout is negative');
    expect(t('inf')).toBe('timeout is negative');
    expect(t('nan')).toBe('timeout is not a float or out of range');
    expect(t(' 1')).toBe('timeout is not a float or out of range');
    expect(t('')).toBe('timeout is not a float or out of range');
    expect(t('1.5', 'milliseconds')).toBe('timeout is not an integer or out of range');
    expect(t('-1', 'milliseconds')).toBe('timeout is negative');
    expect(t('250', 'milliseconds')).toBe(250);
  });
});
