// Naming stored keys back to a client (KEYS, SCAN, RANDOMKEY): which keys a listing may show
// (MATCH pattern, the user's read permission) and writing their names into the reply.
//
// Plain mode works on the latin1 strings entries are filed under. With seal-keys the names
// exist only sealed: each is opened into a scratch buffer to be matched (as bytes, so neither
// the name nor a literal pattern becomes a JS string) and the scratch is wiped at once; a
// listed name is opened again straight into the reply buffer, which is wiped after the write.

import { Sealer } from '../../seal/sealer.js';
import type { Entry } from '../../store/keyspace.js';
import { globMatch, globMatchBytes } from '../../util/glob.js';
import type { Session } from '../types.js';
import { nameString } from '../../util/names.js';

/** Holds one opened name at a time; grows to the longest name seen, wiped after every use. */
let scratch = Buffer.alloc(256);

export class KeyLister {
  private readonly text: string | null;

  /** @param pattern the MATCH / KEYS pattern argument; null lists every key. */
  constructor(
    private readonly ctx: Session,
    private readonly pattern: Buffer | null,
  ) {
    this.text = pattern !== null && !ctx.server.names.sealed ? nameString(pattern) : null;
  }

  /** Whether key may be listed; throws SealError when a sealed name fails to open. */
  accepts(key: string, entry: Entry): boolean {
    const { ctx, pattern } = this;
    const user = ctx.aclUser;
    if (pattern === null && user.readsAllKeys) return true;
    const names = ctx.server.names;
    if (!names.sealed) {
      return (this.text === null || globMatch(this.text, key)) && (user.readsAllKeys || user.mayRead(key));
    }
    const sealed = entry.sealedName!;
    const length = Sealer.plainLength(sealed);
    if (length > scratch.length) {
      scratch.fill(0);
      scratch = Buffer.alloc(length * 2);
    }
    names.openInto(key, sealed, scratch, 0);
    const name = scratch.subarray(0, length);
    try {
      return (pattern === null || globMatchBytes(pattern, name)) && (user.readsAllKeys || user.mayReadBytes(name));
    } finally {
      name.fill(0);
    }
  }
}

/** Writes a stored key's name as a bulk string (throws SealError, leaving no partial reply). */
export function replyKeyName(ctx: Session, key: string, entry: Entry): void {
  const names = ctx.server.names;
  if (!names.sealed) return ctx.reply.bulkLatin1(key);
  const sealed = entry.sealedName!;
  const length = Sealer.plainLength(sealed);
  const mark = ctx.reply.size;
  const at = ctx.reply.beginBulk(length);
  try {
    names.openInto(key, sealed, ctx.reply.staging, at);
  } catch (err) {
    ctx.reply.truncate(mark);
    throw err;
  }
  ctx.reply.endBulk(length);
}
