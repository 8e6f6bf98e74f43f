// The active expiry cycle: a cron tick's share is bounded, and when keys expire in bulk the
// paced continuation deletes the rest between ticks, in short slices while clients are busy.

import { describe, expect, it } from 'vitest';
import { Keyspace, stringEntry } from '../../../src/store/keyspace.js';
import { ActiveExpiry } from '../../../src/store/active-expire.js';
import { BusyPacer } from '../../../src/util/busy-pace.js';

const NOW = 1_000_000;

function filled(keys: number, expiresAt: number): Keyspace {
  const db = new Keyspace(0, { keyspaceHits: 0, keyspaceMisses: 0, expiredKeys: 0, dirty: 0 });
  for (let i = 0; i < keys; i++) db.set(`k${i}`, stringEntry(Buffer.from('sealed-bytes'), expiresAt, NOW), 'set');
  return db;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  for (const start = Date.now(); !check(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() - start > ms) throw new Error('timed out');
  }
}

describe('active expiry', () => {
  it('deletes a bulk of expired keys after one tick, without waiting for more ticks', async () => {
    const db = filled(200_000, NOW + 10);
    const flushed: number[] = [];
    const expiry = new ActiveExpiry({
      databases: () => [db], commands: () => 0, clock: () => NOW + 20, afterSlice: () => flushed.push(db.size), stopping: () => false,
    });
    expiry.tick();
    // One tick's 2 ms cannot delete 200 k keys; the continuation does, tick or no tick.
    expect(db.size).toBeGreaterThan(0);
    await until(() => db.size === 0, 30_000);
    expect(expiry.slices).toBeGreaterThan(0);
    expect(flushed.length).toBe(expiry.slices);
    expect(db.volatileCount).toBe(0);
  });

  it('leaves keys that have not expired, and stops when the server stops', async () => {
    const db = filled(50_000, NOW + 10);
    for (let i = 0; i < 1000; i++) db.set(`live${i}`, stringEntry(Buffer.from('x'), NOW + 1_000_000, NOW), 'set');
    let stopping = false;
    const expiry = new ActiveExpiry({ databases: () => [db], commands: () => 0, clock: () => NOW + 20, afterSlice: () => {}, stopping: () => stopping });
    expiry.tick();
    await until(() => db.size === 1000, 30_000);
    expect(db.volatileCount).toBe(1000);

    const more = filled(200_000, NOW + 10);
    const second = new ActiveExpiry({ databases: () => [more], commands: () => 0, clock: () => NOW + 20, afterSlice: () => (stopping = true), stopping: () => stopping });
    second.tick();
    await new Promise((r) => setTimeout(r, 50));
    // One slice ran, then the continuation saw the server stopping.
    expect(second.slices).toBe(1);
    expect(more.size).toBeGreaterThan(0);
  });
});

describe('BusyPacer', () => {
  it('gives whole slices while idle and an eighth of the time between turns while busy', async () => {
    let commands = 0;
    const pacer = new BusyPacer(() => commands, { idleMs: 2 });
    // The slice length, bounded by clock readings taken just before and after begin().
    const slice = (): [number, number] => {
      const before = performance.now();
      const deadline = pacer.begin();
      return [deadline - performance.now(), deadline - before];
    };
    let [low, high] = slice();
    expect(pacer.busy).toBe(false);
    expect(high).toBeGreaterThanOrEqual(2);
    expect(low).toBeLessThanOrEqual(2);
    await pacer.pause();
    const paused = performance.now();
    commands += 10;
    // A timer may fire a little early by performance.now() (libuv measures from the loop's cached
    // time): wait until 8 ms have surely passed since the slice ended.
    while (performance.now() - paused < 8) await new Promise((r) => setTimeout(r, 1));
    [low, high] = slice();
    expect(pacer.busy).toBe(true);
    // At least 8 ms since the last turn: a slice of at least 1 ms, at most idleMs.
    expect(high).toBeGreaterThanOrEqual(1);
    expect(low).toBeLessThanOrEqual(2);
    await pacer.pause();
    commands++;
    [low] = slice();
    expect(low).toBeLessThanOrEqual(2);
  });

  it('caps busy slices at busyMaxMs', async () => {
    let commands = 0;
    const pacer = new BusyPacer(() => commands, { idleMs: 2, busyMaxMs: 0.25 });
    pacer.begin();
    await pacer.pause();
    commands++;
    await new Promise((r) => setTimeout(r, 20));
    const deadline = pacer.begin();
    expect(pacer.busy).toBe(true);
    expect(deadline - performance.now()).toBeLessThanOrEqual(0.25);
  });
});
