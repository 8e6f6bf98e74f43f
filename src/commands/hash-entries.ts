// What every hash command shares: finding the hash, running a read or a write with its fields
// open (src/commands/hash-fields.ts), and the table-entry shape. A read replies as it opens;
// a blob that fails authentication part way drops what was written of the reply and answers
// one clean error instead of a torn array. Plaintext is wiped before the command returns.

import { readPackedOf } from './packed-reads.js';
import { isPackedForm } from '../store/packed-record.js';
import { HashAccess } from './hash-fields.js';
import { sealFailed, sealFailedSince } from './sealing.js';
import { Errors } from '../protocol/errors.js';
import { Kind, hashEntry, type HashEntry, type KeyEvent } from '../store/keyspace.js';
import { at, type KeyFlagName } from './key-specs.js';
import type { CommandSpec, Session } from './types.js';

/**
 * The hash for a read command: undefined when missing, null after replying WRONGTYPE. A small
 * hash packed at rest is read where it lies: its packed form is its pairs blob as the hash keeps
 * it, so a hash made around it (not stored) reads as the hash would, and the key stays packed
 * (unpacking would only move it into an object for the cron to pack again: commands/packed-reads.ts).
 */
export function readHash(ctx: Session, key: string): HashEntry | undefined | null {
  const entry = readPackedOf(ctx, key, Kind.Hash);
  if (entry === undefined || entry === null || !isPackedForm(entry)) return entry;
  const hash = hashEntry(entry.touchedAt);
  hash.fields.packed = entry.blob;
  hash.fields.size = entry.count;
  hash.fields.listpack = entry.flag;
  return hash;
}

/**
 * Runs `work` with key's fields open for reading; on a seal failure the reply `work` wrote
 * (write the whole reply in it, headers included) is dropped and the error replied instead.
 */
export function reading(ctx: Session, key: string, entry: HashEntry, work: (h: HashAccess) => void): void {
  const mark = ctx.reply.size;
  const h = new HashAccess(ctx, key, entry.fields);
  try {
    work(h);
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
  let failed = false;
  const ok = ctx.db.mutate(key, Kind.Hash, event, ctx.now, (entry) => {
    const h = new HashAccess(ctx, key, entry.fields);
    try {
      const changed = change(h);
      h.commit(true);
      return changed;
    } catch (err) {
      failed = true;
      sealFailed(ctx, err);
      return false;
    } finally {
      h.done();
    }
  });
  if (ok) return !failed;
  ctx.reply.error(Errors.wrongType);
  return false;
}

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
