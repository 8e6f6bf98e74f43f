// The collection after a burst (src/observe/idle-collect.ts): once per burst, only after a
// second of quiet, never for a trickle of commands; and V8's own gc() reached without
// --expose-gc, freeing what a burst left behind.

import { describe, expect, it } from 'vitest';
import { BURST_COMMANDS, IdleCollector } from '../../../src/observe/idle-collect.js';

function collector(): { c: IdleCollector; run: (n: number) => void; collected: () => number } {
  let commands = 0;
  let collected = 0;
  const c = new IdleCollector(
    () => commands,
    () => void collected++,
  );
  return { c, run: (n) => void (commands += n), collected: () => collected };
}

describe('IdleCollector', () => {
  it('collects once after a burst, when a second has passed with no command', () => {
    const { c, run, collected } = collector();
    run(BURST_COMMANDS);
    c.tick(0);
    c.tick(500);
    expect(collected()).toBe(0);
    c.tick(1000);
    expect(collected()).toBe(1);
    for (let t = 1100; t < 5000; t += 100) c.tick(t);
    expect(collected()).toBe(1);
    expect(c.collections).toBe(1);
  });

  it('waits while commands keep coming, and again for the next burst', () => {
    const { c, run, collected } = collector();
    for (let t = 0; t < 3000; t += 100) {
      run(BURST_COMMANDS);
      c.tick(t);
    }
    expect(collected()).toBe(0);
    // The last commands came at 2900.
    c.tick(3800);
    expect(collected()).toBe(0);
    c.tick(3900);
    expect(collected()).toBe(1);
    // A trickle after it is not a burst: no collection for it.
    run(10);
    c.tick(5000);
    c.tick(9000);
    expect(collected()).toBe(1);
    run(BURST_COMMANDS);
    c.tick(9100);
    c.tick(10_100);
    expect(collected()).toBe(2);
  });

  it('reaches V8 gc() without --expose-gc and frees what a burst left', () => {
    let ran = 0;
    const c = new IdleCollector(() => ran);
    // Garbage a burst leaves: objects promoted to the old generation, then dropped.
    let kept: object[] | null = [];
    for (let i = 0; i < 200_000; i++) kept.push({ i, s: `x${i}` });
    kept = null;
    const before = process.memoryUsage().heapUsed;
    ran = BURST_COMMANDS;
    c.tick(0);
    c.tick(1000);
    expect(c.collections).toBe(1);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 4_000_000);
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
