// Byte-range access to sealed string values for the commands that treat a string as an array
// of bits or registers (bitmaps, HyperLogLog, LCS): open only the bytes a command needs (a
// chunked value: only the chunks they lie in), walk a large value a window at a time so the
// plaintext in memory stays small, and write a changed value back. Plaintext buffers handed out
// are the caller's to wipe; windows are wiped here.

import { CHUNK_PLAIN, Sealer } from '../../seal/sealer.js';
import { plainBuffer } from '../../util/bytes.js';
import type { KeyEvent, StringEntry } from '../../store/keyspace.js';
import { sealFailed, sealValue } from '../values/sealing.js';
import type { Session } from '../types.js';

/** The value's plaintext length, read from its sealed header. */
export function lengthOf(entry: StringEntry): number {
  return Sealer.plainLength(entry.value);
}

/**
 * Plaintext bytes [from, to) of a sealed value (to is clipped to its length) in a fresh buffer
 * the caller wipes, or null after replying with the seal error.
 */
export function openRange(ctx: Session, key: string, sealed: Buffer, from: number, to: number): Buffer | null {
  const end = Math.min(to, Sealer.plainLength(sealed));
  const out = plainBuffer(Math.max(0, end - from));
  if (end <= from) return out;
  try {
    ctx.server.values.openValueRange(ctx.db.uid, key, sealed, from, end, out, 0);
  } catch (err) {
    return sealFailed(ctx, err);
  }
  return out;
}

/**
 * Calls visit(window, start) over plaintext bytes [from, to) of a sealed value, one window of at
 * most a chunk at a time for a chunked value (the whole range at once otherwise), until visit
 * returns false. Each window is wiped after its visit. False after replying with the seal error.
 */
export function forEachWindow(
  ctx: Session, key: string, sealed: Buffer, from: number, to: number,
  visit: (window: Buffer, start: number) => boolean,
): boolean {
  const end = Math.min(to, Sealer.plainLength(sealed));
  if (end <= from) return true;
  const step = Sealer.isChunked(sealed) ? CHUNK_PLAIN : end - from;
  const scratch = plainBuffer(Math.min(step, end - from));
  try {
    for (let at = from; at < end; at += step) {
      const size = Math.min(step, end - at);
      const window = scratch.subarray(0, size);
      try {
        ctx.server.values.openValueRange(ctx.db.uid, key, sealed, at, at + size, window, 0);
      } catch (err) {
        sealFailed(ctx, err);
        return false;
      }
      if (!visit(window, at)) break;
    }
  } finally {
    scratch.fill(0);
  }
  return true;
}

/**
 * Seals plain as key's new value in place of the old (TTL kept), wipes plain and signals
 * `event`: a small value's read-modify-write.
 */
export function replaceString(ctx: Session, key: string, entry: StringEntry, plain: Buffer, event: KeyEvent): void {
  try {
    entry.value = sealValue(ctx, key, plain);
  } finally {
    plain.fill(0);
  }
  ctx.db.touch(entry, ctx.now);
  ctx.db.changed(key, event);
}

/**
 * Writes bytes at offset into a chunked value, re-sealing only the chunks they touch (gaps
 * past the end zero-filled), without signalling: a command making several edits signals once.
 * False after replying with the seal error.
 */
export function editChunked(ctx: Session, key: string, entry: StringEntry, offset: number, bytes: Uint8Array): boolean {
  try {
    entry.value = ctx.server.values.editValue(ctx.db.uid, key, entry.value, offset, bytes, entry.spilled === undefined);
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  }
  ctx.db.touch(entry, ctx.now);
  return true;
}
