// What every set command shares: finding the set, the member digest (the set's index), sealing
// and opening members, and replying with members straight from their sealed bytes. A member is
// sealed for its set's database and key (Purpose.SetMember), so a member that moves to another
// key (SMOVE, SINTERSTORE...) is opened and sealed again for the new key.

import { readOf, mutateOf } from './typed-entries.js';
import { sealFailed } from './sealing.js';
import { Purpose } from '../seal/values.js';
import { OVERHEAD, Sealer } from '../seal/sealer.js';
import { Kind, SetEntry, type Entry } from '../store/entry.js';
import type { KeyEvent } from '../store/key-events.js';
import { DIGEST_BYTES, type MemberId, type SealedSet } from '../store/types/set.js';
import { INTSET_MAX_ENTRIES } from '../store/types/set-ops.js';
import { at, type KeySpec } from './key-specs.js';
import type { CommandSpec, Session } from './types.js';

/** The digest of the member being looked up: one per process, commands run one at a time. */
const digest = Buffer.alloc(DIGEST_BYTES);

/** The keyed digest of a member's plaintext, in a buffer reused by the next call. */
export function memberDigest(ctx: Session, plain: Uint8Array): Buffer {
  ctx.server.members.digestInto(plain, digest, 0);
  return digest;
}

/** The set for a read command: undefined when missing, null after replying WRONGTYPE. */
export function readSet(ctx: Session, key: string): SetEntry | undefined | null {
  return readOf(ctx, key, Kind.Set);
}

/** A set write (Keyspace.mutate); false after replying WRONGTYPE (change not called). */
export function writeSet(ctx: Session, key: string, event: KeyEvent, change: (set: SetEntry) => boolean): boolean {
  return mutateOf(ctx, key, Kind.Set, event, change);
}

/** Whether an entry that may be missing is a set (missing counts as one). */
export function isSetOrMissing(entry: Entry | undefined): entry is SetEntry | undefined {
  return entry === undefined || entry.kind === Kind.Set;
}

const INT64_MAX_DIGITS = Buffer.from('9223372036854775807');
const INT64_MIN_DIGITS = Buffer.from('9223372036854775808');

/**
 * Redis's isSdsRepresentableAsLongLong (string2ll): a canonical 64-bit integer. Read from the
 * bytes alone, so a member's value never becomes a JS number or BigInt.
 */
export function isIntegerMember(plain: Uint8Array): boolean {
  const negative = plain[0] === 0x2d;
  const start = negative ? 1 : 0;
  const digits = plain.length - start;
  if (digits === 0 || digits > 19) return false;
  if (plain[start] === 0x30) return digits === 1 && !negative;
  for (let i = start; i < plain.length; i++) if (plain[i]! < 0x30 || plain[i]! > 0x39) return false;
  if (digits < 19) return true;
  return Buffer.compare(plain.subarray(start), negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS) <= 0;
}

/** Orders two canonical integers (isIntegerMember) by value, comparing their bytes. */
export function compareIntegers(a: Uint8Array, b: Uint8Array): number {
  const na = a[0] === 0x2d;
  const nb = b[0] === 0x2d;
  if (na !== nb) return na ? -1 : 1;
  // Same sign: more digits is larger in magnitude; equal lengths compare as text.
  const magnitude = a.length !== b.length ? a.length - b.length : Buffer.compare(a, b);
  return na ? -magnitude : magnitude;
}

/**
 * Adds a member given as plaintext (SADD): digest, then seal only when it is new. Keeps the
 * encoding Redis would have (an intset turns into a hashtable for good on its first
 * non-integer member or past set-max-intset-entries).
 */
export function addPlain(ctx: Session, key: string, set: SetEntry, plain: Uint8Array): boolean {
  const d = memberDigest(ctx, plain);
  if (set.has(d)) return false;
  set.add(d, ctx.server.values.sealElement(Purpose.SetMember, ctx.db.uid, key, plain));
  if (set.intset && (set.size > INTSET_MAX_ENTRIES || !isIntegerMember(plain))) set.intset = false;
  return true;
}

/** A member of some set, with the key it is sealed for. */
export interface MemberRef {
  set: SealedSet;
  key: string;
  id: MemberId;
}

/** The member's plaintext in a fresh buffer (the caller wipes it); null after replying the seal error. */
export function openMember(ctx: Session, ref: MemberRef): Buffer | null {
  try {
    return ctx.server.values.openElement(Purpose.SetMember, ctx.db.uid, ref.key, ref.set.sealedOf(ref.id));
  } catch (err) {
    return sealFailed(ctx, err);
  }
}

/**
 * Adds a member of another set to `to` (key `toKey`): opened, sealed for the new key, wiped.
 * False after replying the seal error.
 */
export function copyMember(ctx: Session, ref: MemberRef, toKey: string, to: SetEntry): boolean {
  const plain = openMember(ctx, ref);
  if (plain === null) return false;
  try {
    addPlain(ctx, toKey, to, plain);
  } finally {
    plain.fill(0);
  }
  return true;
}

/** Opens every ref (null after replying the error, with what was opened wiped). */
export function openAll(ctx: Session, refs: readonly MemberRef[]): Buffer[] | null {
  const out: Buffer[] = [];
  for (const ref of refs) {
    const plain = openMember(ctx, ref);
    if (plain === null) {
      wipeAll(out);
      return null;
    }
    out.push(plain);
  }
  return out;
}

export function wipeAll(plains: readonly Buffer[]): void {
  for (const p of plains) p.fill(0);
}

/** Redis's order for an intset: ascending by value (the plaintexts are canonical integers). */
function sortIntegers(plains: Buffer[]): void {
  plains.sort(compareIntegers);
}

/** How a reply orders members: as stored, or in integer order when Redis would hold them in an intset. */
export type Ordering = 'stored' | 'intset' | 'intset-if-integers';

/**
 * Replies with members as a set (RESP3 `~`) or an array. With 'intset', or with
 * 'intset-if-integers' when every member is an integer and there are at most
 * set-max-intset-entries of them (a result Redis builds as an intset), the members come in
 * integer order as Redis sends them; otherwise each is opened straight into the reply buffer.
 * A member that fails to open drops the whole reply for the seal error.
 */
export function replyMembers(ctx: Session, refs: readonly MemberRef[], shape: 'set' | 'array', ordering: Ordering): boolean {
  const header = () => (shape === 'set' ? ctx.reply.setLen(refs.length) : ctx.reply.arrayLen(refs.length));
  if (ordering !== 'stored' && refs.length <= INTSET_MAX_ENTRIES && refs.length > 1) {
    const plains = openAll(ctx, refs);
    if (plains === null) return false;
    if (ordering === 'intset' || plains.every(isIntegerMember)) sortIntegers(plains);
    header();
    for (const p of plains) ctx.reply.bulk(p);
    wipeAll(plains);
    return true;
  }
  const mark = ctx.reply.size;
  header();
  for (const ref of refs) {
    const failure = replyMemberBulk(ctx, ref);
    if (failure !== undefined) {
      ctx.reply.truncate(mark);
      sealFailed(ctx, failure);
      return false;
    }
  }
  return true;
}

/**
 * One member as a bulk string, opened straight into the reply buffer. Returns what opening
 * threw (the bulk is dropped), undefined when it went well.
 */
function replyMemberBulk(ctx: Session, ref: MemberRef): unknown {
  const set = ref.set;
  const length = set.sealedLength(ref.id);
  const mark = ctx.reply.size;
  const at = ctx.reply.beginBulk(length - OVERHEAD);
  try {
    ctx.server.values.openElementAt(Purpose.SetMember, ctx.db.uid, ref.key, set.slabOf(ref.id), set.sealedStart(ref.id), length, ctx.reply.staging, at);
  } catch (err) {
    ctx.reply.truncate(mark);
    return err;
  }
  ctx.reply.endBulk(length - OVERHEAD);
  return undefined;
}

/** One member as a bulk reply (SPOP, SRANDMEMBER without a count); false after replying the error. */
export function replyMember(ctx: Session, ref: MemberRef): boolean {
  const failure = replyMemberBulk(ctx, ref);
  if (failure === undefined) return true;
  sealFailed(ctx, failure);
  return false;
}

/** The plaintext length of a member, from its sealed header. */
export function memberLength(set: SealedSet, id: MemberId): number {
  return Sealer.plainLength(set.sealedOf(id));
}

type Access = 'read' | 'write' | 'write-grow';

/** A set command's table entry; `keys` are its key specs (one key at position 1 unless given). */
export function setSpec(
  cmd: string, arity: number, access: Access, fast: boolean, keys: readonly KeySpec[] | KeySpec, summary: string, since: string,
  handler: CommandSpec['handler'], more: Pick<CommandSpec, 'tips' | 'complexity'> = {},
): CommandSpec {
  const rw = access === 'read' ? 'readonly' : 'write';
  const flags: CommandSpec['flags'] = [rw, ...(access === 'write-grow' ? (['denyoom'] as const) : []), ...(fast ? (['fast'] as const) : [])];
  return {
    name: cmd, arity, flags, keySpecs: Array.isArray(keys) ? keys : [keys as KeySpec],
    categories: [access === 'read' ? '@read' : '@write', '@set', fast ? '@fast' : '@slow'],
    summary, since, group: 'set', handler, ...more,
  };
}

export { at };
