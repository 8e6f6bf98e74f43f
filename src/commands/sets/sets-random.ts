// SPOP, SRANDMEMBER and SSCAN (redis t_set.c spopCommand, srandmemberCommand, db.c
// scanGenericCommand): sampling a set and walking it with a stateless cursor. Members are
// drawn by id from the set's dense index; only the nodes of drawn ones are opened, and their
// members copied into the reply. SSCAN's MATCH opens the members of the step it returns, only while the command runs.

import { parseElementScanOptions } from '../scan-options.js';
import { int64, keyOf, sameKeyAt } from '../args.js';
import { takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import {
  at, compareIntegers, isIntegerMember, openAll, replyMember, replyMembers, replyPlain, setCodec, setSpec, wipeAll, writeSet, type MemberRef,
} from './set-entries.js';
import { Errors } from '../../protocol/errors.js';
import { sealFailed, sealFailedSince } from '../values/sealing.js';
import { openedMembers } from '../values/opened-members.js';
import { nextBucket } from '../../util/scan-order.js';
import { bucketsAfterAdding, DIGEST_BYTES } from '../../store/types/set-index.js';
import type { PackedForm } from '../../store/packed-record.js';
import { setAtRest, spopAtRest, srandmemberPacked } from './set-rest.js';
import { readPackedOf } from '../values/packed-reads.js';
import { isPackedForm } from '../../store/packed-record.js';
import { Kind, type SetEntry } from '../../store/entry.js';
import { parseCursor } from '../../store/scan.js';
import type { MemberId } from '../../store/types/set.js';
import { INTSET_MAX_ENTRIES } from '../../store/types/set-ops.js';
import { globMatchBytes } from '../../util/glob.js';
import type { CommandSpec, Session } from '../types.js';

const LONG_MAX = 2n ** 63n - 1n;
/**
 * Largest repeat count served for SRANDMEMBER with a negative count. Redis 7.0 tries to build
 * any reply it is asked for; sealkv refuses larger counts with "value is out of range" (as
 * HRANDFIELD does here) rather than build a reply of gigabytes.
 */
const MAX_REPEATS = 16_777_216;
/** Redis's SPOP_MOVE_STRATEGY_MUL: past it, SPOP keeps the few members left as a new set. */
const SPOP_MOVE_STRATEGY_MUL = 5;

const refsOf = (set: SetEntry, key: string, ids: readonly MemberId[]): MemberRef[] => ids.map((id) => ({ set, key, id }));

// ---- SPOP ----

/**
 * SPOP's change to its set, without closures per call (as SADD's in sets.ts): what it needs is
 * set just before writeSet() calls it; nothing runs in between, and it does not re-enter.
 */
let popCtx: Session | null = null;
let popKey = '';

function replyPopped(plain: Buffer, start: number, length: number): void {
  replyPlain(popCtx!, plain, start, length);
}

function popOne(set: SetEntry): boolean {
  const ctx = popCtx!;
  const id = set.randomMember();
  if (id === 0) {
    ctx.reply.nullBulk();
    return false;
  }
  // One open of the member's node: the reply, then the node sealed again without it.
  try {
    set.takeId(id, setCodec(ctx, popKey), replyPopped);
  } catch (err) {
    sealFailed(ctx, err);
    return false;
  }
  return true;
}

/** Its arguments may be RawArgs (raw-args.ts): read through at() and sameKeyAt() alone. */
function spop(ctx: Session, args: ArgList): void {
  if (args.length > 3) return ctx.reply.error(Errors.syntax);
  const key = sameKeyAt(ctx, args, 1);
  if (args.length === 3) return spopCount(ctx, key, args.at(2)!);
  // A small set at rest pops from its blob and stays packed (set-rest.ts).
  const atRest = setAtRest(ctx, ctx.db.getStored(key, ctx.now));
  if (atRest !== undefined) return spopAtRest(ctx, key, atRest, -1);
  popCtx = ctx;
  popKey = key;
  try {
    writeSet(ctx, key, 'spop', popOne);
  } finally {
    popCtx = null;
  }
}

/** The count is checked before the key; a missing key is an empty set reply. */
function spopCount(ctx: Session, key: string, arg: Buffer): void {
  // Redis's getPositiveLongFromObjectOrReply: one message for a non-number and a negative one.
  const n = int64(arg);
  if (n === null || n < 0n) return ctx.reply.error(Errors.valueMustBePositive);
  const stored = ctx.db.getStored(key, ctx.now);
  const atRest = setAtRest(ctx, stored);
  if (atRest !== undefined && n === 0n) {
    // Nothing to pop: the key looked up for a write (touched, as Redis's lookupKeyWrite), not unpacked.
    ctx.db.touch(stored!, ctx.now);
    return ctx.reply.setLen(0);
  }
  if (atRest !== undefined) return spopAtRest(ctx, key, atRest, n > BigInt(atRest.count) ? atRest.count : Number(n));
  writeSet(ctx, key, 'spop', (set) => {
    const size = set.size;
    if (size === 0 || n === 0n) {
      ctx.reply.setLen(0);
      return false;
    }
    // All of it: the members as SUNION of the one key sends them, and the key goes.
    if (n >= BigInt(size)) {
      const ids: MemberId[] = [];
      set.forEach((id) => {
        ids.push(id);
      });
      if (!replyMembers(ctx, refsOf(set, key, ids), 'set', 'intset-if-integers')) return false;
      set.clear();
      return true;
    }
    const count = Number(n);
    const ids = set.sample(count);
    if (!replyMembers(ctx, refsOf(set, key, ids), 'set', 'stored')) return false;
    set.removeIds(ids, setCodec(ctx, key));
    // Redis keeps the few members left as a new set, built member by member: an intset again
    // if they are all integers.
    const remaining = size - count;
    if (remaining * SPOP_MOVE_STRATEGY_MUL <= count) set.intset = remainingAreIntegers(ctx, set, key);
    return true;
  });
}

/** Whether every member is an integer (they are few here); a member that fails to open counts as not. */
function remainingAreIntegers(ctx: Session, set: SetEntry, key: string): boolean {
  if (set.size > INTSET_MAX_ENTRIES) return false;
  const refs: MemberRef[] = [];
  set.forEach((id) => {
    refs.push({ set, key, id });
  });
  const mark = ctx.reply.size;
  const plains = openAll(ctx, refs);
  if (plains === null) {
    // The pop itself succeeded and was replied: keep that reply, drop the error.
    ctx.reply.truncate(mark);
    return false;
  }
  const all = plains.every(isIntegerMember);
  wipeAll(plains);
  return all;
}

// ---- SRANDMEMBER ----

function srandmember(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.syntax);
  const key = keyOf(ctx, args[1]!);
  if (args.length === 2) {
    const set = readPackedOf(ctx, key, Kind.Set);
    if (set === null) return;
    if (set === undefined) return ctx.reply.nullBulk();
    // A small set packed at rest answers from its blob and stays packed (set-rest.ts), as below.
    if (isPackedForm(set)) return srandmemberPacked(ctx, key, set, null);
    replyMember(ctx, { set, key, id: set.randomMember() });
    return;
  }
  const n = int64(args[2]!);
  if (n === null) return ctx.reply.error(Errors.notInteger);
  if (n < -LONG_MAX) return ctx.reply.error(Errors.valueOutOfLongRange);
  if (n < -BigInt(MAX_REPEATS)) return ctx.reply.error(Errors.valueOutOfRange);
  const set = readPackedOf(ctx, key, Kind.Set);
  if (set === null) return;
  if (set === undefined || n === 0n) return ctx.reply.arrayLen(0);
  if (isPackedForm(set)) return srandmemberPacked(ctx, key, set, n > BigInt(set.count) ? set.count : Number(n));
  // A negative count (or 1) draws with repetition, in random order.
  if (n < 0n || n === 1n) {
    replyMembers(ctx, refsOf(set, key, set.sampleWithRepetition(Number(n < 0n ? -n : n))), 'array', 'stored');
    return;
  }
  if (n >= BigInt(set.size)) {
    const ids: MemberId[] = [];
    set.forEach((id) => {
      ids.push(id);
    });
    replyMembers(ctx, refsOf(set, key, ids), 'array', set.intset ? 'intset' : 'stored');
    return;
  }
  replyMembers(ctx, refsOf(set, key, set.sample(Number(n))), 'array', 'stored');
}

// ---- SSCAN ----


/**
 * Cursor first, then the key, then the options. An intset-sized set of integers comes whole in
 * integer order with cursor 0, as Redis scans an intset; other sets step through their buckets.
 */
function sscan(ctx: Session, args: Buffer[]): void {
  const cursor = parseCursor(args[2]!);
  if (cursor === null) return ctx.reply.error(Errors.invalidCursor);
  const key = keyOf(ctx, args[1]!);
  const set = readPackedOf(ctx, key, Kind.Set);
  if (set === null) return;
  if (set === undefined) {
    ctx.reply.arrayLen(2);
    ctx.reply.bulkLatin1('0');
    return ctx.reply.arrayLen(0);
  }
  const opts = parseElementScanOptions(args);
  if (typeof opts === 'string') return ctx.reply.error(opts);
  if (isPackedForm(set)) return sscanPacked(ctx, key, set, cursor, opts.count, opts.pattern);
  const refs: MemberRef[] = [];
  let next = 0;
  if (set.intset) set.forEach((id) => void refs.push({ set, key, id }));
  else next = set.scan(cursor, opts.count, (id) => refs.push({ set, key, id }));
  const plains = openAll(ctx, refs);
  if (plains === null) return;
  const kept = opts.pattern === null ? plains : plains.filter((p) => globMatchBytes(opts.pattern!, p));
  if (set.intset) kept.sort(compareIntegers);
  ctx.reply.arrayLen(2);
  ctx.reply.bulkLatin1(String(next));
  ctx.reply.arrayLen(kept.length);
  for (const p of kept) ctx.reply.bulk(p);
  wipeAll(plains);
}

/** A member's digest (sscanPacked: its bucket). */
const digest = Buffer.alloc(DIGEST_BYTES);
/** The members sscanPacked replies with: indexes into openedMembers. */
const stepped: number[] = [];

/**
 * SSCAN of a small set packed at rest, as the set unpacked from its blob would answer (so a scan
 * goes on across packing and unpacking), without making it: its members opened once into
 * openedMembers, in the blob's order (the order unpacking adds them in). An intset's come whole in
 * integer order, as do a set's of up to 8 members (no buckets); past that each member's bucket
 * is its digest's first word masked to the bucket count unpacking would give
 * (bucketsAfterAdding), a chain holding its members the last added first, walked as
 * SetIndex.scan walks them.
 */
function sscanPacked(ctx: Session, key: string, packed: PackedForm, cursor: number, count: number, pattern: Buffer | null): void {
  const plains = openedMembers;
  const mark = ctx.reply.size;
  let next = 0;
  try {
    plains.openPacked(ctx, key, packed);
    const size = plains.count;
    const buckets = packed.flag ? 0 : bucketsAfterAdding(size);
    if (buckets === 0) {
      for (let m = 0; m < size; m++) stepped.push(m);
      if (packed.flag && !packed.intDeltas) stepped.sort((a, b) => plains.compareIntegers(a, b));
    } else {
      const mask = buckets - 1;
      const bucketOf = new Int32Array(size);
      for (let m = 0; m < size; m++) {
        ctx.server.members.digestRangeInto(plains.bytes, plains.starts[m]!, plains.lengths[m]!, digest, 0);
        bucketOf[m] = digest.readUInt32LE(0) & mask;
      }
      let v = cursor >>> 0;
      let budget = Math.max(1, count) * 10;
      let seen = 0;
      do {
        const bucket = v & mask;
        for (let m = size - 1; m >= 0; m--) {
          if (bucketOf[m] !== bucket) continue;
          stepped.push(m);
          seen++;
        }
        v = nextBucket(v, mask);
      } while (v !== 0 && seen < count && --budget > 0);
      next = v;
    }
    let kept = stepped.length;
    if (pattern !== null) {
      kept = 0;
      for (const m of stepped) if (globMatchBytes(pattern, plains.view(m))) stepped[kept++] = m;
    }
    ctx.reply.arrayLen(2);
    ctx.reply.bulkLatin1(String(next));
    ctx.reply.arrayLen(kept);
    for (let i = 0; i < kept; i++) {
      const m = stepped[i]!;
      replyPlain(ctx, plains.bytes, plains.starts[m]!, plains.lengths[m]!);
    }
  } catch (err) {
    sealFailedSince(ctx, mark, err);
  } finally {
    stepped.length = 0;
    plains.wipe();
    digest.fill(0);
  }
}

// ---- table ----

export const setRandomCommands: CommandSpec[] = [
  setSpec('srandmember', -2, 'read', false, at(1, 'RO', 'ACCESS'), 'Get one or multiple random members from a set', '1.0.0', srandmember, { tips: ['nondeterministic_output'], complexity: 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.' }),
  setSpec('spop', -2, 'write', true, at(1, 'RW', 'ACCESS', 'DELETE'), 'Remove and return one or multiple random members from a set', '1.0.0', takesRawArgs(spop), { tips: ['nondeterministic_output'], complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.' }),
  setSpec('sscan', -3, 'read', false, at(1, 'RO', 'ACCESS'), 'Incrementally iterate Set elements', '2.8.0', sscan, { tips: ['nondeterministic_output'], complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..' }),
];

