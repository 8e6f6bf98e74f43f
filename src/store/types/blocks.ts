// Where the collection structures keep their bytes: blocks of the record arena (off the V8 heap,
// 8-byte size classes with free lists), named by 32-bit handles. A list node or a set entry is
// then one block and a few numbers, not a Buffer object (~100 bytes of heap each) per element.
// Freed blocks are recycled only after the current event-loop turn (record-arena.ts), so views
// handed out by a structure stay readable until the command's batch is done, even if the
// structure moved the bytes to another block.

import { OFFSET_MASK, RecordArena } from '../record-arena.js';

/** What the structures need of an arena; RecordArena is one. */
export interface BlockArena {
  readonly bytes: Buffer[];
  readonly words: Uint32Array[];
  /** A zeroed block of at least `size` bytes. */
  alloc(size: number): number;
  /** Gives a block back (after the current turn). */
  free(handle: number, size: number): void;
}

let shared: RecordArena | undefined;

/** One arena for every collection unless a caller passes its own (tests, benchmarks). */
export function collectionArena(): BlockArena {
  shared ??= new RecordArena();
  return shared;
}

/** Byte offset of a handle's block in its slab. */
export function offsetOf(handle: number): number {
  return (handle & OFFSET_MASK) * 8;
}

/** Bytes a block of `size` really takes (8-byte size classes). */
export function blockBytes(size: number): number {
  return (size + 7) & ~7;
}
