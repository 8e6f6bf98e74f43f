// Opening and sealing values for handlers: binds each value to the current database and key,
// and turns a value that fails authentication into that command's error (counted in INFO)
// instead of a crash.

import { Errors } from '../../protocol/errors.js';
import { CHUNKED, OVERHEAD, SealError, Sealer } from '../../seal/sealer.js';
import { stringEntry, type KeyEvent, type StringEntry } from '../../store/keyspace.js';
import { StoredString } from '../../store/stored-string.js';
import type { Piece } from '../../seal/chunked.js';
import type { Session } from '../types.js';

export function sealValue(ctx: Session, key: string, plain: Uint8Array): Buffer {
  return ctx.server.values.sealValue(ctx.db.uid, key, plain);
}

/** The plaintext (caller wipes it when done), or null after replying with the error. */
export function openValue(ctx: Session, key: string, sealed: Buffer): Buffer | null {
  try {
    return ctx.server.values.openValue(ctx.db.uid, key, sealed);
  } catch (err) {
    return sealFailed(ctx, err);
  }
}

/** Replies with the seal error and counts it; rethrows anything that is not a SealError. */
export function sealFailed(ctx: Session, err: unknown): null {
  if (!(err instanceof SealError)) throw err;
  ctx.server.stats.sealFailures++;
  ctx.server.log.warn({ client: ctx.id, db: ctx.dbIndex }, 'sealed value failed authentication');
  ctx.reply.error(Errors.sealOpenFailed);
  return null;
}

/** sealFailed() after dropping what the reply gained since `mark`: a reply cut short by an element that failed to open. */
export function sealFailedSince(ctx: Session, mark: number, err: unknown): false {
  ctx.reply.truncate(mark);
  sealFailed(ctx, err);
  return false;
}

/**
 * Runs a reply-building step that opens sealed elements into the reply; if one fails to open,
 * what the step wrote is dropped and the seal error replied instead. Whether it went through.
 */
export function replyOpened(ctx: Session, write: () => void): boolean {
  const mark = ctx.reply.size;
  try {
    write();
    return true;
  } catch (err) {
    return sealFailedSince(ctx, mark, err);
  }
}

/**
 * Replies with a string value opened straight into the reply buffer (which is wiped after the
 * write), so no separate plaintext buffer exists: the GET path. A value in the arena is opened
 * where it lies. On a value that fails authentication the half-built reply is dropped and the
 * error replied instead.
 */
export function replyValue(ctx: Session, key: string, entry: StringEntry): void {
  // A value is stored in the arena when it is small, but an APPEND or SETRANGE that grows it past
  // a chunk re-seals it chunked where it lies: only version-1 bytes are opened in place.
  if (entry instanceof StoredString && entry.slabBytes[entry.valueStart] !== CHUNKED) {
    replySealed(ctx, key, entry.slabBytes, entry.valueStart, entry.size);
  } else {
    const sealed = entry.value;
    if (!Sealer.isChunked(sealed)) replySealed(ctx, key, sealed, 0, sealed.length);
    else if (deferTo !== null && Sealer.plainLength(sealed) >= deferMin) {
      const defer = deferTo;
      deferTo = null; // one value per command: the reply is written when it is opened
      defer(key, sealed);
    } else replyRange(ctx, key, sealed, 0, Sealer.plainLength(sealed));
  }
}

let deferTo: ((key: string, sealed: Buffer) => void) | null = null;
let deferMin = Infinity;

/**
 * Until stopDeferringOpens(), the first chunked value of at least `minBytes` that replyValue()
 * meets is handed to `defer` instead of being opened: it writes that reply later (a seal
 * worker opens it, commands/values/offload.ts). GET only: it has one reply. No closure is made: GET
 * comes this way every time while seal workers are on.
 */
export function deferLargeOpens(minBytes: number, defer: (key: string, sealed: Buffer) => void): void {
  deferTo = defer;
  deferMin = minBytes;
}

export function stopDeferringOpens(): void {
  deferTo = null;
  deferMin = Infinity;
}

/**
 * Replies with plaintext bytes [from, to) of a sealed string value, opened straight into the
 * reply buffer (a chunked value: only the chunks they lie in). GETRANGE, and GET of a chunked value.
 */
export function replyRange(ctx: Session, key: string, sealed: Buffer, from: number, to: number, db = ctx.db.uid): void {
  const mark = ctx.reply.size;
  const at = ctx.reply.beginBulk(to - from);
  try {
    ctx.server.values.openValueRange(db, key, sealed, from, to, ctx.reply.staging, at);
  } catch (err) {
    sealFailedSince(ctx, mark, err);
    return;
  }
  ctx.reply.endBulk(to - from);
}

/**
 * Writes bytes at offset into a chunked string value, re-sealing only the chunks they touch
 * (SETRANGE, APPEND on a large value), keeps the entry's TTL and signals `event`. False after replying with
 * the seal error. A value lent by the spill tier is edited in a copy, so its record is seen to
 * be stale (SpillManager.settle).
 */
export function editValue(ctx: Session, key: string, entry: StringEntry, offset: number, bytes: Uint8Array, event: KeyEvent): boolean {
  try {
    entry.value = ctx.server.values.editValue(ctx.db.uid, key, entry.value, offset, bytes, entry.spilled === undefined);
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  }
  ctx.db.touch(entry, ctx.now);
  ctx.db.changed(key, event);
  return true;
}

function replySealed(ctx: Session, key: string, src: Buffer, start: number, size: number): void {
  const length = size - OVERHEAD;
  const mark = ctx.reply.size;
  const at = ctx.reply.beginBulk(Math.max(0, length));
  try {
    ctx.server.values.openValueAt(ctx.db.uid, key, src, start, size, ctx.reply.staging, at);
  } catch (err) {
    ctx.reply.truncate(mark);
    sealFailed(ctx, err);
    return;
  }
  ctx.reply.endBulk(length);
}

/**
 * Seals plain as key's string value and stores it in place of whatever key held, signalling
 * `event`: SET and friends. A plain string is sealed straight into its new record; the rest
 * goes through set().
 */
export function storeValue(ctx: Session, key: string, plain: Uint8Array, expiresAt: number, event: KeyEvent): void {
  const db = ctx.db;
  const handle = db.newString(key, plain.length + OVERHEAD, expiresAt, ctx.now);
  if (handle === 0) return db.set(key, stringEntry(sealValue(ctx, key, plain), expiresAt, ctx.now), event);
  try {
    ctx.server.values.sealValueAt(db.uid, key, plain, db.valueSlab(handle), db.valueOffset(handle));
  } catch (err) {
    db.abandon(handle);
    throw err;
  }
  db.install(key, handle, event);
}

/**
 * Whether a seal worker sealed `length` zeros for key ahead of this command (offload.ts): a
 * chunked value growing that far is then rewritten whole over them (storeSparse) instead of
 * having its gap sealed here.
 */
export function zerosReady(ctx: Session, key: string, length: number): boolean {
  return ctx.server.values.hasZerosFor(ctx.db.uid, key, length);
}

/**
 * Stores a string value of `length` (> CHUNK_PLAIN) bytes, zeros but for `pieces`, as key's
 * value (a new key has no TTL, an entry keeps its own), signalling `event`: SETRANGE and SETBIT
 * far past the end of a short or missing value, without making a plaintext of that length.
 */
export function storeSparse(ctx: Session, key: string, entry: StringEntry | undefined, length: number, pieces: readonly Piece[], event: KeyEvent): void {
  const sealed = ctx.server.values.sealSparseValue(ctx.db.uid, key, length, pieces);
  // A new entry, not entry.value = sealed: a short string lives in a record, and that setter
  // would copy the whole value into the arena (~0.3 s for 512 MB).
  ctx.db.set(key, stringEntry(sealed, entry?.expiresAt ?? 0, ctx.now), event);
}

/** Writes a plaintext as a bulk reply and wipes it: it must not outlive the command. */
export function replyAndWipe(ctx: Session, plain: Buffer): void {
  ctx.reply.bulk(plain);
  plain.fill(0);
}
