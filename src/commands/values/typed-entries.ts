// Finding a key's value of one type for a command, the same for every type: a read (counted as a
// keyspace hit or miss), a look from a write command (not counted, redis lookupKeyWrite), and a
// write through Keyspace.mutate. Each answers WRONGTYPE itself; the per-type helpers
// (list-entries.ts, set-entries.ts ...) are these, named for their type.

import { Errors } from '../../protocol/errors.js';
import type { Entry, Kind } from '../../store/entry.js';
import type { KeyEvent } from '../../store/keyspace.js';
import type { CollectionKind, EntryOf } from '../../store/types/index.js';
import type { Session } from '../types.js';

/** key's value of `kind` for a read command: undefined when missing, null after replying WRONGTYPE. */
export function readOf<K extends Kind>(ctx: Session, key: string, kind: K): EntryOf<K> | undefined | null {
  const entry = ctx.db.read(key, ctx.now);
  if (entry === undefined || entry.kind === kind) return entry as EntryOf<K> | undefined;
  ctx.reply.error(Errors.wrongType);
  return null;
}

/** As readOf, for a key a write command looks at (no keyspace hit or miss counted). */
export function peekOf<K extends Kind>(ctx: Session, key: string, kind: K): EntryOf<K> | undefined | null {
  const entry = ctx.db.get(key, ctx.now);
  if (entry === undefined || entry.kind === kind) return entry as EntryOf<K> | undefined;
  ctx.reply.error(Errors.wrongType);
  return null;
}

/**
 * A write through Keyspace.mutate: `change` gets key's value (a new empty one when missing) and
 * says whether it changed it. False after replying WRONGTYPE (change not called). `held`: as
 * Keyspace.mutate's (key's live entry, when the caller has it).
 */
export function mutateOf<K extends CollectionKind>(ctx: Session, key: string, kind: K, event: KeyEvent, change: (entry: EntryOf<K>) => boolean, held?: Entry): boolean {
  if (ctx.db.mutate(key, kind, event, ctx.now, change, held)) return true;
  ctx.reply.error(Errors.wrongType);
  return false;
}
