import { describe, expect, it } from 'vitest';
import { loadSodiumNative } from '../../../src/seal/native-aead.js';
import { giveShared, takeShared, wipeShared } from '../../../src/util/shared-pool.js';

describe('shared memory pool', () => {
  it('takes a 1 MiB value with its CRLF from memory an eighth larger at most, not a power of two above', () => {
    const view = takeShared((1 << 20) + 2);
    expect(view.length).toBe((1 << 20) + 2);
    expect(view.buffer.byteLength).toBe((1 << 20) + (1 << 17));
    giveShared(view, 0);
  });

  it('hands the memory it was given back, wiped, to the next view of the same size class', () => {
    const a = takeShared(300_000);
    a.fill(7);
    const memory = a.buffer;
    giveShared(a);
    const b = takeShared(310_000); // both in the 320 KiB class
    expect(b.buffer).toBe(memory);
    expect(new Uint8Array(memory).every((x) => x === 0)).toBe(true);
    giveShared(b, 0);
  });

  it('when full, drops memory of other sizes to keep the size in use now', () => {
    // 64 MiB kept at most: fill it with 2 MiB memory, then give back 1 MiB views.
    const big = Array.from({ length: 32 }, () => takeShared(2 << 20));
    for (const v of big) giveShared(v, 0);
    const small = Array.from({ length: 8 }, () => takeShared(1 << 20));
    const memories = small.map((v) => v.buffer);
    for (const v of small) giveShared(v, 0);
    const again = Array.from({ length: 8 }, () => takeShared(1 << 20));
    expect(again.map((v) => v.buffer).sort()).toEqual(memories.sort());
    expect(again.every((v) => memories.includes(v.buffer))).toBe(true);
    for (const v of again) giveShared(v, 0);
  });

  it.each([
    ['word by word', false],
    ['by sodium_memzero once sodium-native loads', true],
  ])('wipes shared memory whatever its length and offset, %s', (_how, native) => {
    if (native) expect(loadSodiumNative()).not.toBeNull();
    const view = takeShared(100_000);
    for (const [from, length] of [[0, 100_000], [3, 5000], [1, 17], [0, 1023], [5, 1025]] as const) {
      view.fill(9);
      const sub = view.subarray(from);
      wipeShared(sub, length);
      expect(sub.subarray(0, length).every((x) => x === 0)).toBe(true);
      if (from + length < view.length) expect(view[from + length]).toBe(9);
      if (from > 0) expect(view[from - 1]).toBe(9);
    }
    giveShared(view);
  });
});
