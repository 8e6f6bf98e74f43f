// The collections after a burst (src/observe/idle-collect.ts): once per burst, only after a
// second of quiet and a minor collection per quiet tick, never for a trickle of requests; and
// V8's own gc() reached without --expose-gc, freeing what a burst left behind.

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
  it('after a burst, runs a minor collection per quiet tick, then one full collection once a second has passed', () => {
    const { c, read, full, minor } = collector();
    read(BURST_BYTES);
    c.tick(0);
    for (let t = 100; t <= 1000; t += 100) c.tick(t);
    expect(minor()).toBe(10);
    expect(full()).toBe(0);
    c.tick(1100);
    expect(minor()).toBe(IDLE_MINORS);
    expect(full()).toBe(0);
    c.tick(1200);
    expect(full()).toBe(1);
    for (let t = 1300; t < 5000; t += 100) c.tick(t);
    expect(full()).toBe(1);
    expect(minor()).toBe(IDLE_MINORS);
    expect(c.collections).toBe(1);
  });

  it('spaces the minor collections a tick apart, however often it is called', () => {
    const { c, read, full, minor } = collector();
    read(BURST_BYTES);
    c.tick(0);
    // At most one per 90 ms (a tick at hz 10, less slack): at 90, 180, ... 450.
    for (let t = 2; t <= 500; t += 2) c.tick(t);
    expect(minor()).toBe(5);
    expect(full()).toBe(0);
  });

  it('waits while requests keep coming, and again for the next burst', () => {
    const { c, read, full, minor } = collector();
    for (let t = 0; t < 3000; t += 100) {
      read(BURST_BYTES);
      c.tick(t);
    }
    expect(full() + minor()).toBe(0);
    // The last requests came at 2900.
    for (let t = 3000; t <= 3900; t += 100) c.tick(t);
    expect(full()).toBe(0);
    c.tick(4000);
    c.tick(4100);
    expect(full()).toBe(1);
    // A trickle after it is not a burst: no collection for it.
    read(10);
    for (let t = 5000; t < 9000; t += 100) c.tick(t);
    expect(full()).toBe(1);
    expect(minor()).toBe(IDLE_MINORS);
    read(BURST_BYTES);
    for (let t = 9100; t <= 10_400; t += 100) c.tick(t);
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
    for (let t = 0; t <= 1200; t += 100) c.tick(t);
    expect(c.collections).toBe(1);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 4_000_000);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
