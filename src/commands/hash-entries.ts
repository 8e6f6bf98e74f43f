// What every hash command shares: finding the hash, opening several sealed field values at
// once, and the table-entry shape. Replies that carry several values open them all before
// writing the first byte, so a value that fails authentication yields one clean error instead
// of a torn array.

import { openField } from './sealing.js';
import { Errors } from '../protocol/errors.js';
import { Kind, type HashEntry, type KeyEvent } from '../store/keyspace.js';
import { at, type KeyFlagName } from './key-specs.js';
import type { CommandSpec, Session } from './types.js';

/** The hash for a read command: undefined when missing, null after replying WRONGTYPE. */
export function readHash(ctx: Session, key: string): HashEntry | undefined | null {
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined || entry.kind === Kind.Hash) return entry;
  ctx.reply.error(Errors.wrongType);
  return null;
}

/**
 * A hash write (Keyspace.mutate): `change` gets key's hash, or a new empty one when the key is
 * missing, and returns whether it changed it; storing, deleting an emptied hash and signalling
 * `event` follow from that. False after replying WRONGTYPE (change not called).
 */
export function writeHash(ctx: Session, key: string, event: KeyEvent, change: (entry: HashEntry) => boolean): boolean {
  if (ctx.db.mutate(key, Kind.Hash, event, ctx.now, change)) return true;
  ctx.reply.error(Errors.wrongType);
  return false;
}

/**
 * Opens the values of `fields` (absent names give null), or returns null after replying the
 * error and wiping whatever was already opened.
 */
export function openMany(ctx: Session, key: string, entry: HashEntry | undefined, fields: readonly string[]): (Buffer | null)[] | null {
  const out: (Buffer | null)[] = [];
  for (const field of fields) {
    const sealed = entry?.fields.get(field);
    if (sealed === undefined) {
      out.push(null);
      continue;
    }
    const plain = openField(ctx, key, field, sealed);
    if (plain === null) {
      wipeAll(out);
      return null;
    }
    out.push(plain);
  }
  return out;
}

export function wipeAll(plains: readonly (Buffer | null)[]): void {
  for (const p of plains) p?.fill(0);
}

/** Field/value pairs as a RESP3 map (flat array under RESP2); plaintexts are wiped. */
export function replyPairs(ctx: Session, fields: readonly string[], plains: readonly (Buffer | null)[]): void {
  ctx.reply.mapLen(fields.length);
  for (let i = 0; i < fields.length; i++) {
    ctx.reply.bulkLatin1(fields[i]!);
    ctx.reply.bulk(plains[i]!);
  }
  wipeAll(plains);
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
