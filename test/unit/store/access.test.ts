import { describe, expect, it } from 'vitest';
import { AccessClock, LFU_INIT_VAL } from '../../../src/store/access.js';

const T = 1_800_000_000_000;
const MINUTE = 60_000;

function lfuClock(random: () => number, now = () => T): AccessClock {
  const clock = new AccessClock(now, random);
  clock.lfu = true;
  return clock;
}

describe('AccessClock', () => {
  it('keeps the access time under LRU, and ranks by it', () => {
    const clock = new AccessClock();
    expect(clock.touched(5, T)).toBe(T);
    expect(clock.rank(T)).toBe(T);
  });

  it('reads an access time (or a new key) as the initial counter under LFU', () => {
    const clock = lfuClock(() => 0.99);
    expect(clock.frequency(T, T)).toBe(LFU_INIT_VAL);
  });

  it('raises the counter with probability 1 / ((counter - 5) * factor + 1), as LFULogIncr', () => {
    // A draw just under the threshold raises it, one at the threshold does not.
    for (const counter of [5, 6, 10, 100]) {
      const p = 1 / (Math.max(0, counter - LFU_INIT_VAL) * 10 + 1);
      const start = lfuClock(() => 0).withFrequency(counter, T);
      expect(lfuClock(() => p * 0.999).frequency(lfuClock(() => p * 0.999).touched(start, T), T)).toBe(counter + 1);
      expect(lfuClock(() => p).frequency(lfuClock(() => p).touched(start, T), T)).toBe(counter);
    }
    const top = lfuClock(() => 0).withFrequency(255, T);
    expect(lfuClock(() => 0).frequency(lfuClock(() => 0).touched(top, T), T)).toBe(255);
  });

  it('decays one per lfu-decay-time minutes, to no less than 0, across the 16-bit minute wrap', () => {
    const clock = lfuClock(() => 1);
    const at = clock.withFrequency(20, T);
    expect(clock.frequency(at, T + 7 * MINUTE)).toBe(13);
    clock.decayTime = 3;
    expect(clock.frequency(at, T + 7 * MINUTE)).toBe(18);
    clock.decayTime = 0;
    expect(clock.frequency(at, T + 1000 * MINUTE)).toBe(20);
    clock.decayTime = 1;
    expect(clock.frequency(at, T + 100 * MINUTE)).toBe(0);
    // Minutes are kept mod 65536: 65,530 minutes later still reads as 65,530 elapsed.
    expect(clock.frequency(clock.withFrequency(255, T), T + 65_530 * MINUTE)).toBe(0);
  });

  it('a value written over another inherits the old counter, touched', () => {
    const clock = lfuClock(() => 0);
    expect(clock.frequency(clock.inherited(clock.withFrequency(9, T), T), T)).toBe(10);
  });
});
