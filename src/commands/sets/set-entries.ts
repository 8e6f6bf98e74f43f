// What every set command shares: finding the set, the member digest (the set's index), adding
// members and opening them (readers that open each node once), and replying with members. A
// set's nodes are sealed for its database and key (Purpose.SetNode, seal/set-codec.ts), so a
// member that moves to another key (SMOVE, SINTERSTORE...) is opened and sealed again there.

import { readOf, mutateOf } from '../values/typed-entries.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { SetSealing } from '../../seal/set-codec.js';
import { plainBuffer } from '../../util/bytes.js';
import { Kind, SetEntry } from '../../store/entry.js';
import type { KeyEvent } from '../../store/key-events.js';
import { DIGEST_BYTES, type MemberId, type SealedSet, type SetReader } from '../../store/types/set.js';
import { INTSET_MAX_ENTRIES } from '../../store/types/set-ops.js';
import { at, type KeySpec } from '../key-specs.js';
import { settleAfterTurn } from '../values/turn-end.js';
import type { CommandSpec, Session } from '../types.js';
import { RawArgs } from '../../protocol/raw-args.js';
import type { ArgList } from '../../protocol/arg-list.js';

/** The digest of the member being looked up: one per process, commands run one at a time. */
const digest = Buffer.alloc(DIGEST_BYTES);

/** The keyed digest of a member's plaintext, in a buffer reused by the next call. */
export function memberDigest(ctx: Session, plain: Uint8Array): Buffer {
  ctx.server.members.digestInto(plain, digest, 0);
  return digest;
}

/** memberDigest() of argument i, read where it lies when the arguments are RawArgs (no Buffer view made). */
export function memberDigestAt(ctx: Session, args: ArgList, i: number): Buffer {
  if (args instanceof RawArgs) ctx.server.members.digestRangeInto(args.bytes, args.starts[i]!, args.lengths[i]!, digest, 0);
  else ctx.server.members.digestInto(args.at(i)!, digest, 0);
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

/** The codec that seals and opens the nodes of the set at `key` in the current database. */
export function setCodec(ctx: Session, key: string): SetSealing {
  const values = ctx.server.values;
  const db = ctx.db.uid;
  // The last one made again when it fits (immutable): SADDs to one set make it once, not per command.
  const last = lastCodec;
  if (last !== null && lastKey === key && lastDb === db && lastValues === values) return last;
  lastValues = values;
  lastDb = db;
  lastKey = key;
  return (lastCodec = new SetSealing(values, db, key));
}

let lastCodec: SetSealing | null = null;
let lastValues: unknown = null;
let lastDb = -1;
let lastKey = '';

/**
 * Adds members given as plaintext (SADD): each digested, and appended to the set's tail node
 * when new; the tail is sealed once at the end. Keeps the encoding Redis would have (an intset
 * turns into a hashtable for good on its first non-integer member or past
 * set-max-intset-entries). Returns how many were new.
 */
export function addPlains(ctx: Session, key: string, set: SetEntry, count: number, plainAt: (i: number) => Uint8Array): number {
  settleAfterTurn();
  if (count === 1) {
    // The common SADD of one member, without the batch's closures.
    const plain = plainAt(0);
    if (!set.add(memberDigest(ctx, plain), plain, setCodec(ctx, key), true)) return 0;
    if (set.intset && (set.size > INTSET_MAX_ENTRIES || !isIntegerMember(plain))) set.intset = false;
    return 1;
  }
  let added = 0;
  set.adding(setCodec(ctx, key), (add) => {
    for (let i = 0; i < count; i++) {
      const plain = plainAt(i);
      if (!add(memberDigest(ctx, plain), plain)) continue;
      added++;
      if (set.intset && (set.size > INTSET_MAX_ENTRIES || !isIntegerMember(plain))) set.intset = false;
    }
  }, true);
  return added;
}

/**
 * addPlains() of the members raw[from..] of a RawArgs command (SADD), each digested and appended
 * where it lies in the read: no Buffer view per member (a view was ~100 B of garbage per SADD).
 */
export function addRawMembers(ctx: Session, key: string, set: SetEntry, raw: RawArgs, from: number): number {
  settleAfterTurn();
  const members = ctx.server.members;
  const codec = setCodec(ctx, key);
  const bytes = raw.bytes;
  let added = 0;
  for (let i = from; i < raw.length; i++) {
    const start = raw.starts[i]!;
    const length = raw.lengths[i]!;
    members.digestRangeInto(bytes, start, length, digest, 0);
    if (!set.addRange(digest, bytes, start, length, codec, true)) continue;
    added++;
    if (set.intset && (set.size > INTSET_MAX_ENTRIES || !isIntegerMember(raw.at(i)!))) set.intset = false;
  }
  return added;
}

// Adds leave their set's tail node open (SealedSet.add's keepOpen) for the rest of the turn:
// settleAfterTurn (turn-end.ts) seals it when the turn's reads are done.

/** Adds one member given as plaintext; false when it was in already. */
export function addPlain(ctx: Session, key: string, set: SetEntry, plain: Uint8Array): boolean {
  return addPlains(ctx, key, set, 1, () => plain) === 1;
}

/** A member of some set, with the key it is sealed for. */
export interface MemberRef {
  set: SealedSet;
  key: string;
  id: MemberId;
}

/**
 * Readers for the sets a command opens members of (one per set, each keeping the node it last
 * opened); close() wipes everything they opened.
 */
export class MemberReaders {
  private readonly open = new Map<SealedSet, SetReader>();

  constructor(private readonly ctx: Session) {}

  /** Opens the member; its plaintext is the returned reader's plain[start, start + length). Throws SealError. */
  read(ref: MemberRef): SetReader {
    let r = this.open.get(ref.set);
    if (r === undefined) this.open.set(ref.set, (r = ref.set.reader(setCodec(this.ctx, ref.key))));
    r.open(ref.id);
    return r;
  }

  close(): void {
    for (const r of this.open.values()) r.close();
    this.open.clear();
  }
}

/** Opens every ref into fresh buffers (the caller wipes them); null after replying the error, with what was opened wiped. */
export function openAll(ctx: Session, refs: readonly MemberRef[]): Buffer[] | null {
  const out: Buffer[] = [];
  const readers = new MemberReaders(ctx);
  try {
    for (const ref of refs) {
      const r = readers.read(ref);
      out.push(Buffer.from(r.plain.subarray(r.start, r.start + r.length)));
    }
    return out;
  } catch (err) {
    wipeAll(out);
    return sealFailed(ctx, err);
  } finally {
    readers.close();
  }
}

/** The member's plaintext in a fresh buffer (the caller wipes it); null after replying the seal error. */
export function openMember(ctx: Session, ref: MemberRef): Buffer | null {
  return openAll(ctx, [ref])?.[0] ?? null;
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

/**
 * Adds every ref's member to `to` (key `toKey`), each source node opened once and the tail
 * sealed once (SINTERSTORE...). False after replying the seal error.
 */
export function copyMembers(ctx: Session, refs: readonly MemberRef[], toKey: string, to: SetEntry): boolean {
  const readers = new MemberReaders(ctx);
  try {
    addPlains(ctx, toKey, to, refs.length, (i) => {
      const r = readers.read(refs[i]!);
      return r.plain.subarray(r.start, r.start + r.length);
    });
    return true;
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  } finally {
    readers.close();
  }
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
 * integer order as Redis sends them; otherwise each is copied from its opened node straight
 * into the reply buffer. A member that fails to open drops the whole reply for the seal error.
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
  return replyMembersBare(ctx, refs, mark);
}

/** One opened member as a bulk string, copied into the reply buffer. */
export function replyPlain(ctx: Session, plain: Buffer, start: number, length: number): void {
  const at = ctx.reply.beginBulk(length);
  plain.copy(ctx.reply.staging, at, start, start + length);
  ctx.reply.endBulk(length);
}

/** One member as a bulk reply (SPOP, SRANDMEMBER without a count); false after replying the error. */
export function replyMember(ctx: Session, ref: MemberRef): boolean {
  return replyMembersBare(ctx, [ref]);
}

/**
 * Members as consecutive bulk strings, no header; false after replying the seal error (the reply
 * cut back to `mark` first: the bulks, and a header the caller wrote before them).
 */
function replyMembersBare(ctx: Session, refs: readonly MemberRef[], mark = ctx.reply.size): boolean {
  const readers = new MemberReaders(ctx);
  try {
    for (const ref of refs) {
      const r = readers.read(ref);
      replyPlain(ctx, r.plain, r.start, r.length);
    }
    return true;
  } catch (err) {
    return sealFailedSince(ctx, mark, err);
  } finally {
    readers.close();
  }
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

/**
 * Every member's plaintext in a fresh buffer each (the caller wipes them), the nodes opened one
 * at a time (ZUNIONSTORE and the like reading a set). Throws SealError.
 */
export function openSetMembers(ctx: Session, key: string, set: SealedSet, take: (plain: Buffer) => void): void {
  set.forEachPlain(setCodec(ctx, key), (plain, start, length) => {
    const copy = plainBuffer(length);
    plain.copy(copy, 0, start, start + length);
    take(copy);
  });
}
