// What every hash command shares: finding the hash, running a read or a write with its fields
// open (src/commands/hashes/hash-fields.ts), and the table-entry shape. A read replies as it opens;
// a blob that fails authentication part way drops what was written of the reply and answers
// one clean error instead of a torn array. Plaintext is wiped before the command returns.

import { readPackedOf } from '../values/packed-reads.js';
import { isPackedForm, PackedRecord } from '../../store/packed-record.js';
import { HashFields } from '../../store/types/hash-fields.js';
import { HashAccess } from './hash-fields.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { packedAtRest } from '../values/at-rest.js';
import { Errors } from '../../protocol/errors.js';
import { Kind, hashEntry, type Entry, type HashEntry, type KeyEvent } from '../../store/keyspace.js';
import { at, type KeyFlagName } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';

/**
 * The hash for a read command: undefined when missing, null after replying WRONGTYPE. A small
 * hash packed at rest is read where it lies: its packed form is its pairs blob as the hash keeps
 * it, so a hash made around it (not stored) reads as the hash would, and the key stays packed
 * (unpacking would only move it into an object for the cron to pack again: commands/values/packed-reads.ts).
 */
export function readHash(ctx: Session, key: string): HashEntry | undefined | null {
  const entry = readPackedOf(ctx, key, Kind.Hash);
  if (entry === undefined || entry === null || !isPackedForm(entry)) return entry;
  if (entry instanceof PackedRecord) {
    // One object for every read of a hash at rest: a command reads one key, and drops it after.
    const hash = restingView;
    hash.touchedAt = entry.touchedAt;
    hash.fields.size = entry.count;
    hash.fields.listpack = entry.flag;
    restingHash = hash;
    restingRecord = entry;
    return hash;
  }
  const hash = hashEntry(entry.touchedAt);
  hash.fields.size = entry.count;
  hash.fields.listpack = entry.flag;
  hash.fields.packed = entry.blob;
  return hash;
}

/** The hash readHash() hands out for a hash packed in its record (its count and flag only: never stored). */
const restingView = hashEntry(0);

/**
 * The hash readHash() last made for a hash packed in its record, and that record: reading()
 * opens its pairs where they lie (no copy of the blob into a string, none of its plaintext held
 * for the turn: a hash made for one read is never met again). Cleared by the reading() of it.
 */
let restingHash: HashEntry | null = null;
let restingRecord: PackedRecord | null = null;

/**
 * Runs `work` with key's fields open for reading; on a seal failure the reply `work` wrote
 * (write the whole reply in it, headers included) is dropped and the error replied instead.
 */
export function reading<A>(ctx: Session, key: string, entry: HashEntry, work: (h: HashAccess, ctx: Session, arg: A) => void, arg: A): void;
export function reading(ctx: Session, key: string, entry: HashEntry, work: (h: HashAccess) => void): void;
export function reading<A>(ctx: Session, key: string, entry: HashEntry, work: (h: HashAccess, ctx: Session, arg: A | undefined) => void, arg?: A): void {
  const mark = ctx.reply.size;
  const rest = entry === restingHash ? restingRecord : null;
  restingHash = restingRecord = null;
  const h = HashAccess.of(ctx, key, entry.fields, rest);
  try {
    work(h, ctx, arg);
  } catch (err) {
    sealFailedSince(ctx, mark, err);
  } finally {
    h.done();
  }
}

/**
 * A hash write (Keyspace.mutate): `change` gets key's fields open for writing (a new empty hash
 * when the key is missing) and returns whether it changed them; what changed is sealed, and
 * storing, deleting an emptied hash and signalling `event` follow. False after replying
 * WRONGTYPE (change not called) or the seal error (the hash left as it was).
 */
export function writeHash(ctx: Session, key: string, event: KeyEvent, change: (h: HashAccess) => boolean): boolean {
  const stored = ctx.db.getStored(key, ctx.now);
  if (stored instanceof PackedRecord && stored.kind === Kind.Hash && packedAtRest(ctx, stored, HASH_IN_USE_MS)) {
    return writeAtRest(ctx, key, stored, event, change);
  }
  const live = stored === undefined || isPackedForm(stored) ? undefined : stored;
  writeCtx = ctx;
  writeKey = key;
  writeChange = change;
  writeFailed = false;
  let ok: boolean;
  try {
    ok = ctx.db.mutate(key, Kind.Hash, event, ctx.now, changeLive, live);
  } finally {
    writeCtx = null;
    writeChange = NO_CHANGE;
  }
  if (ok) return !writeFailed;
  ctx.reply.error(Errors.wrongType);
  return false;
}

/**
 * writeHash()'s change to a live hash, without a closure per write: what it needs is set just
 * before Keyspace.mutate() calls it (nothing runs in between, and a hash write does not re-enter).
 */
let writeCtx: Session | null = null;
let writeKey = '';
let writeChange: (h: HashAccess) => boolean = () => false;
let writeFailed = false;
const NO_CHANGE = writeChange;

function changeLive(entry: HashEntry): boolean {
  const ctx = writeCtx!;
  const h = HashAccess.of(ctx, writeKey, entry.fields);
  try {
    const changed = writeChange(h);
    h.commit(true);
    return changed;
  } catch (err) {
    writeFailed = true;
    sealFailed(ctx, err);
    return false;
  } finally {
    h.done();
  }
}

/**
 * A packed hash written at rest three times in a row, each within this many ms of its last use,
 * is in use (at-rest.ts IN_USE_WRITES): its next write unpacks it as before, so that a
 * run of writes to it (a pipeline into one hash) opens and seals it once per turn (hash-turn.ts)
 * instead of once per command. Shorter than the other types' 100 (at-rest.ts): random writes over 200 k
 * hashes at ~100 k/s met a hash again within 100 ms ~5% of the time, and each such hash, boxed
 * until the cron packs it a second later, cost old-space garbage (HSET 6.29 against 5.70 us);
 * 1,000 hot hashes cost the same either way (each write opens and seals one hash).
 */
const HASH_IN_USE_MS = 10;

/**
 * writeHash() on a small hash packed at rest in its record: its pairs are opened from the
 * record, changed, and sealed back into it (Keyspace.rewritePacked), so the write makes no hash
 * object and leaves the cron nothing to pack again. A hash the write moves to its table form
 * or empties is stored as the usual path stores it (mutate, with the fields the write made).
 */
function writeAtRest(ctx: Session, key: string, record: PackedRecord, event: KeyEvent, change: (h: HashAccess) => boolean): boolean {
  const fields = restFields;
  fields.size = record.count;
  fields.listpack = record.flag;
  const h = HashAccess.of(ctx, key, fields, record);
  // The hash leaving its record (table form, or emptied), as the write made it.
  let made: HashFields;
  try {
    const changed = change(h);
    if (!changed || (fields.table === null && fields.size > 0)) {
      ctx.db.touch(record as unknown as Entry, ctx.now);
      if (changed) ctx.db.rewritePacked(key, record, h.sealedLength, fields.size, fields.listpack, event, h);
      return true;
    }
    h.commit();
    made = Object.assign(new HashFields(), fields);
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  } finally {
    h.done();
    fields.table = null;
    fields.packed = '';
  }
  return ctx.db.mutate(key, Kind.Hash, event, ctx.now, (entry) => {
    Object.assign(entry.fields, made);
    return true;
  });
}

/** writeAtRest()'s fields of the hash being written (its count and flag; a table if it converts): reset after each write. */
const restFields = new HashFields();

type Access = 'read' | 'write' | 'write-grow';

/** A hash command's table entry; `key` is its key's flags (Redis key spec, key at position 1). */
export function hashSpec(
  cmd: string, arity: number, access: Access, fast: boolean, key: readonly KeyFlagName[], summary: string, since: string,
  handler: CommandSpec['handler'], more: Pick<CommandSpec, 'tips' | 'complexity'> = {},
): CommandSpec {
  const rw = access === 'read' ? 'readonly' : 'write';
  const flags: CommandSpec['flags'] = [rw, ...(access === 'write-grow' ? (['denyoom'] as const) : []), ...(fast ? (['fast'] as const) : [])];
  return {
    name: cmd, arity, flags, keySpecs: [at(1, ...key)],
    categories: [access === 'read' ? '@read' : '@write', '@hash', fast ? '@fast' : '@slow'],
    summary, since, group: 'hash', handler, ...more,
  };
}
