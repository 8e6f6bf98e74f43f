// The record arena: off-heap blocks named by 32-bit handles, size-class free lists, frees that
// only take effect at release() (end of the event-loop turn), and large blocks on slabs of their own.

import { describe, expect, it } from 'vitest';
import { OFFSET_MASK, RecordArena } from '../../../src/store/record-arena.js';
import { prng } from '../../helpers/prng.js';

interface Block {
  handle: number;
  size: number;
  fill: number;
}

function view(arena: RecordArena, handle: number, size: number): Buffer {
  const at = RecordArena.offset(handle);
  return arena.bytes[RecordArena.slab(handle)]!.subarray(at, at + size);
}

function isZero(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** Checks a block is usable: not a reserved handle, inside its slab, zeroed, and the double view lines up. */
function checkFresh(arena: RecordArena, handle: number, size: number): void {
  expect(handle).not.toBe(0);
  expect(handle).not.toBe(1);
  const slab = RecordArena.slab(handle);
  const at = RecordArena.offset(handle);
  expect(at % 8).toBe(0);
  expect(at + size).toBeLessThanOrEqual(arena.bytes[slab]!.length);
  expect(isZero(view(arena, handle, size))).toBe(true);
}

/** No two live blocks share a byte (block extents rounded up to 8, as the arena hands them out). */
function expectDisjoint(blocks: Iterable<Block>): void {
  const sorted = [...blocks]
    .map((b) => ({ slab: RecordArena.slab(b.handle), start: RecordArena.offset(b.handle), end: RecordArena.offset(b.handle) + ((b.size + 7) & ~7) }))
    .sort((x, y) => x.slab - y.slab || x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.slab === cur.slab) expect(cur.start, `blocks overlap in slab ${cur.slab}`).toBeGreaterThanOrEqual(prev.end);
  }
}

describe('RecordArena', () => {
  it('never hands out handles 0 and 1, which the key table uses for empty and deleted slots', () => {
    const arena = new RecordArena();
    const handles = new Set<number>();
    for (let i = 0; i < 1000; i++) handles.add(arena.alloc(1 + (i % 8)));
    // Freed and recycled blocks must not come back as 0 or 1 either.
    for (const h of handles) arena.free(h, 8);
    arena.release();
    for (let i = 0; i < 1000; i++) handles.add(arena.alloc(8));
    expect(handles.has(0)).toBe(false);
    expect(handles.has(1)).toBe(false);
    // The very first block sits right after the two reserved 8-byte slots.
    expect(new RecordArena().alloc(1)).toBe(2);
  });

  it('gives zeroed, 8-byte aligned blocks that never overlap, for random sizes up to past 64 KiB', () => {
    const rand = prng(0x5eed);
    const arena = new RecordArena();
    const live = new Map<number, Block>();
    let fill = 0;
    const allocate = (size: number): void => {
      const handle = arena.alloc(size);
      checkFresh(arena, handle, size);
      expect(live.has(handle), `handle ${handle} handed out twice`).toBe(false);
      fill = (fill % 254) + 1;
      view(arena, handle, size).fill(fill);
      live.set(handle, { handle, size, fill });
    };
    const randomSize = (): number => {
      const r = rand();
      // Mostly record-sized blocks, a fair share of anything up to 70000 (> 64 KiB: own slab).
      if (r < 0.5) return 1 + Math.floor(rand() * 256);
      if (r < 0.7) return 1 + Math.floor(rand() * 4096);
      return 1 + Math.floor(rand() * 70000);
    };

    let large = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 400; i++) {
        const size = randomSize();
        if (size > 64 * 1024) large++;
        allocate(size);
      }
      // Free about half, recycle them, and allocate again so free-list blocks are checked too.
      for (const block of [...live.values()]) {
        if (rand() < 0.5) {
          arena.free(block.handle, block.size);
          live.delete(block.handle);
        }
      }
      arena.release();
      for (const block of live.values()) {
        const bytes = view(arena, block.handle, block.size);
        // A block freed or recycled on top of a live one would change its pattern.
        expect(bytes.every((b) => b === block.fill), `block ${block.handle} (${block.size} bytes) was clobbered`).toBe(true);
      }
      expectDisjoint(live.values());
    }
    expect(large).toBeGreaterThan(10);
    // The handle's offset part is also the block's index in the slab's Float64Array.
    for (const block of live.values()) {
      if (block.size < 8) continue;
      const slab = RecordArena.slab(block.handle);
      arena.doubles[slab]![block.handle & OFFSET_MASK] = 1.5;
      expect(view(arena, block.handle, 8).readDoubleLE(0)).toBe(1.5);
    }
  });

  it('does not reuse a freed block until release() runs, then reuses it for the same size', () => {
    const arena = new RecordArena();
    const a = arena.alloc(40);
    arena.free(a, 40);
    // A command may still read the record it just deleted within the same turn.
    const b = arena.alloc(40);
    expect(b).not.toBe(a);
    arena.release();
    expect(arena.alloc(40)).toBe(a);
    // Size classes are per 8 bytes: 33..40 share a class, 48 does not.
    arena.free(b, 40);
    arena.release();
    expect(arena.alloc(48)).not.toBe(b);
    expect(arena.alloc(33)).toBe(b);
  });

  it('zeroes freed bytes on release, and only those', () => {
    const arena = new RecordArena();
    const before = arena.alloc(24);
    const freed = arena.alloc(100);
    const after = arena.alloc(24);
    for (const [h, n] of [[before, 24], [freed, 100], [after, 24]] as const) view(arena, h, n).fill(0xab);
    arena.free(freed, 100);
    // Still readable until the turn is over.
    expect(view(arena, freed, 100).every((b) => b === 0xab)).toBe(true);
    arena.release();
    // 100 rounds up to 104, all zero: no free-list link is kept in a free block.
    expect(isZero(view(arena, freed, 104))).toBe(true);
    expect(view(arena, before, 24).every((b) => b === 0xab)).toBe(true);
    expect(view(arena, after, 24).every((b) => b === 0xab)).toBe(true);
  });

  it('hands a recycled block back fully zeroed, free-list link included', () => {
    const arena = new RecordArena();
    const blocks = [arena.alloc(64), arena.alloc(64), arena.alloc(64)];
    for (const h of blocks) {
      view(arena, h, 64).fill(0xcd);
      arena.free(h, 64);
    }
    arena.release();
    // Three blocks of one class: all but the last on the list hold a link to the next.
    const again = [arena.alloc(64), arena.alloc(64), arena.alloc(64)];
    expect(new Set(again)).toEqual(new Set(blocks));
    for (const h of again) expect(isZero(view(arena, h, 64))).toBe(true);
  });

  it('counts live bytes on alloc and release (not on free), and slab bytes as slabs come and go', () => {
    const arena = new RecordArena();
    expect(arena.liveBytes).toBe(0);
    expect(arena.slabBytes).toBe(1 << 20);
    const small = arena.alloc(13);
    expect(arena.liveBytes).toBe(16);
    const big = arena.alloc(70001);
    expect(arena.liveBytes).toBe(16 + 70008);
    expect(arena.slabBytes).toBe((1 << 20) + 70008);
    arena.free(small, 13);
    arena.free(big, 70001);
    expect(arena.liveBytes).toBe(16 + 70008);
    arena.release();
    expect(arena.liveBytes).toBe(0);
    expect(arena.slabBytes).toBe(1 << 20);
    // Filling the first slab takes a second one.
    for (let i = 0; i < 16; i++) arena.alloc(64 * 1024);
    expect(arena.slabBytes).toBe(2 << 20);
    expect(arena.liveBytes).toBe(16 * 64 * 1024);
  });

  it('gives a block over 64 KiB a slab of its own, drops it on release and reuses its index', () => {
    const arena = new RecordArena();
    const big = arena.alloc(70000);
    const slab = RecordArena.slab(big);
    expect(slab).toBeGreaterThan(0);
    expect(RecordArena.offset(big)).toBe(0);
    expect(arena.bytes[slab]!.length).toBe(70000);
    view(arena, big, 70000).fill(7);
    const small = arena.alloc(32);
    expect(RecordArena.slab(small)).not.toBe(slab);

    arena.free(big, 70000);
    expect(arena.bytes[slab]!.length).toBe(70000);
    arena.release();
    expect(arena.bytes[slab]!.length).toBe(0);
    expect(arena.words[slab]!.length).toBe(0);
    expect(arena.doubles[slab]!.length).toBe(0);
    expect(arena.slabBytes).toBe(1 << 20);

    const next = arena.alloc(100000);
    expect(RecordArena.slab(next)).toBe(slab);
    expect(arena.bytes.length).toBe(slab + 1);
    checkFresh(arena, next, 100000);
    expect(arena.bytes[slab]!.length).toBe(100000);
  });

  it('gives every slab back once no block is live, and starts over with one', () => {
    const arena = new RecordArena();
    const blocks = Array.from({ length: 30000 }, (_, i) => arena.alloc(72 + (i % 5) * 8));
    const big = arena.alloc(100000);
    expect(arena.slabBytes).toBeGreaterThan(3 * (1 << 20));
    blocks.slice(1).forEach((h, i) => arena.free(h, 72 + ((i + 1) % 5) * 8));
    arena.free(big, 100000);
    arena.release();
    // One block still live: the slabs stay.
    expect(arena.slabBytes).toBeGreaterThan(2 * (1 << 20));
    arena.free(blocks[0]!, 72);
    arena.release();
    expect(arena.liveBytes).toBe(0);
    expect(arena.slabBytes).toBe(1 << 20);
    expect(arena.bytes).toHaveLength(1);
    // A fresh start: the first block is handle 2 again, zeroed.
    const first = arena.alloc(40);
    expect(first).toBe(2);
    checkFresh(arena, first, 40);
  });
});
