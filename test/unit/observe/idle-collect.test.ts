// The collections after a burst (src/observe/idle-collect.ts): once per burst, only after a
// second of quiet, minor collections a tick apart and then a full one, never for a trickle of
// requests nor for pauses shorter than a second; and V8's own gc() reached without --expose-gc,
// freeing what a burst left behind.

import { describe, expect, it } from 'vitest';
import { BURST_BYTES, IDLE_MINORS, IdleCollector } from '../../../src/observe/idle-collect.js';

function collector(): { c: IdleCollector; read: (n: number) => void; full: () => number; minor: () => number } {
  let bytes = 0;
  let full = 0;
  let minor = 0;
  const c = new IdleCollector(
    () => bytes,
    (isMinor) => void (isMinor ? minor++ : full++),
  );
  return { c, read: (n) => void (bytes += n), full: () => full, minor: () => minor };
}

describe('IdleCollector', () => {
  it('after a burst and a second of quiet, runs a minor collection per tick, then one full collection', () => {
    const { c, read, full, minor } = collector();
    read(BURST_BYTES);
    c.tick(0);
    for (let t = 100; t < 1000; t += 100) c.tick(t);
    expect(minor() + full()).toBe(0);
    for (let t = 1000; t <= 2000; t += 100) c.tick(t);
    expect(minor()).toBe(IDLE_MINORS);
    expect(full()).toBe(0);
    c.tick(2100);
    expect(full()).toBe(1);
    for (let t = 2200; t < 6000; t += 100) c.tick(t);
    expect(full()).toBe(1);
    expect(minor()).toBe(IDLE_MINORS);
    expect(c.collections).toBe(1);
  });

  it('spaces the collections a tick apart, however often it is called', () => {
    const { c, read, full, minor } = collector();
    read(BURST_BYTES);
    c.tick(0);
    // At most one per 90 ms (a tick at hz 10, less slack) from 1000 on: 1000, 1090, ... 1450.
    for (let t = 2; t <= 1500; t += 2) c.tick(t);
    expect(minor()).toBe(6);
    expect(full()).toBe(0);
  });

  it('runs nothing for pauses shorter than a second, and waits again for the next burst', () => {
    const { c, read, full, minor } = collector();
    for (let t = 0; t < 3000; t += 100) {
      read(BURST_BYTES);
      c.tick(t);
    }
    // Requests every 900 ms: a trickle, but the burst before it is still uncollected.
    for (let t = 3000; t < 6000; t += 100) {
      if (t % 900 === 0) read(10);
      c.tick(t);
    }
    expect(full() + minor()).toBe(0);
    // The last request came at 5400.
    for (let t = 6000; t <= 7500; t += 100) c.tick(t);
    expect(full()).toBe(1);
    expect(minor()).toBe(IDLE_MINORS);
    // A trickle after it is not a burst: no collection for it.
    read(10);
    for (let t = 7600; t < 12_000; t += 100) c.tick(t);
    expect(full()).toBe(1);
    read(BURST_BYTES);
    for (let t = 12_000; t <= 14_100; t += 100) c.tick(t);
    expect(full()).toBe(2);
    expect(minor()).toBe(2 * IDLE_MINORS);
  });

  it('reaches V8 gc() without --expose-gc and frees what a burst left', () => {
    let read = 0;
    const c = new IdleCollector(() => read);
    // Garbage a burst leaves: objects promoted to the old generation, then dropped.
    let kept: object[] | null = [];
    for (let i = 0; i < 200_000; i++) kept.push({ i, s: `x${i}` });
    kept = null;
    const before = process.memoryUsage().heapUsed;
    read = BURST_BYTES;
    for (let t = 0; t <= 2100; t += 100) c.tick(t);
    expect(c.collections).toBe(1);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 4_000_000);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
