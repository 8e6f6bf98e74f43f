// Read commands answered from a small collection packed at rest (store/types/packed.ts) without
// unpacking it. Unpacking opens the blob and then seals and digests every element again, and
// leaves a structure for the cron to pack once more; the first read of a cold 5-member set cost
// ~20 µs of CPU that way. Here the blob is opened once into the packer's scratch (wiped before
// Packer.read returns), the reply is written from it, and the collection stays packed. A count
// opens nothing: the packed form keeps its element count. Writes to a collection in use unpack it
// (Keyspace.mutate; most writes to one at rest are made in its blob: commands/values/at-rest.ts), and so
// do the reads not answered here. Access time, LFU counter and keyspace hits are those
// of any read (Keyspace.readPacked). A packed hash is its pairs blob as the hash keeps it: hash
// reads read it where it lies (hash-entries.ts readHash).

import { Errors } from '../../protocol/errors.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import type { EntryOf } from '../../store/types/index.js';
import { PACK_MAX_ELEMENTS, type FlatZSet, type PackableKind } from '../../store/types/packed.js';
import { replyOpened } from './sealing.js';
import { replyPlain } from '../sets/set-entries.js';
import type { Session } from '../types.js';

/**
 * key's collection of `kind` for a read that can answer from a packed blob: the packed form as
 * it rests, or the usual entry; undefined when missing, null after replying WRONGTYPE.
 */
export function readPackedOf<K extends PackableKind>(ctx: Session, key: string, kind: K): EntryOf<K> | PackedForm | undefined | null {
  const entry = ctx.db.readPacked(key, ctx.now);
  if (entry === undefined) return undefined;
  if (entry.kind !== kind) {
    ctx.reply.error(Errors.wrongType);
    return null;
  }
  return isPackedForm(entry) ? entry : (entry as EntryOf<K>);
}

/**
 * The collection readPackedOf() found packed, unpacked for a read it cannot answer from the blob
 * (already counted as a hit and touched: not again).
 */
export function unpackedOf<K extends PackableKind>(ctx: Session, key: string, kind: K): EntryOf<K> {
  const entry = ctx.db.get(key, ctx.now);
  if (entry?.kind !== kind) throw new Error('unpackedOf: the key no longer holds what readPackedOf found');
  return entry as EntryOf<K>;
}

/** Whether bytes[start, start + length) equals `member`. */
export function sameBytes(bytes: Buffer, start: number, length: number, member: Uint8Array): boolean {
  if (length !== member.length) return false;
  for (let i = 0; i < length; i++) if (bytes[start + i] !== member[i]) return false;
  return true;
}

/** LRANGE of a packed list: elements first..last (an in-range span from normalizeRange). */
export function replyPackedList(ctx: Session, key: string, packed: PackedForm, first: number, last: number): void {
  replyOpened(ctx, () => {
    ctx.reply.arrayLen(last - first + 1);
    let i = 0;
    ctx.db.readPackedElements(key, packed, (bytes, start, length) => {
      if (i >= first) replyPlain(ctx, bytes, start, length);
      return ++i <= last;
    });
  });
}

/**
 * Whether a packed set can answer SMEMBERS in its own order: any set but an intset kept with
 * tagged members (integers past the deltas form's 15 digits), whose members Redis orders by value.
 */
export function membersInOrder(packed: PackedForm): boolean {
  return !packed.flag || packed.intDeltas;
}

/** SMEMBERS of a packed set (membersInOrder): an intset's members come ascending from the deltas form. */
export function replyPackedMembers(ctx: Session, key: string, packed: PackedForm): void {
  replyOpened(ctx, () => {
    ctx.reply.setLen(packed.count);
    ctx.db.readPackedElements(key, packed, (bytes, start, length) => replyPlain(ctx, bytes, start, length));
  });
}

/** The score of the member packedIndexOf() last found in a sorted set. */
let foundScore = NaN;

/**
 * Where `member` is in a packed set or sorted set (its rank in a sorted set; its score then in
 * packedScoreFound()): -1 when not there, null after replying the seal error.
 */
export function packedIndexOf(ctx: Session, key: string, packed: PackedForm, member: Uint8Array): number | null {
  let found = -1;
  let i = 0;
  foundScore = NaN;
  const ok = replyOpened(ctx, () => {
    ctx.db.readPackedElements(key, packed, (bytes, start, length, score) => {
      if (!sameBytes(bytes, start, length, member)) return void i++;
      found = i;
      foundScore = score;
      return false;
    });
  });
  return ok ? found : null;
}

/** The score of the member packedIndexOf() last found in a sorted set. */
export function packedScoreFound(): number {
  return foundScore;
}

/**
 * Which of `members` a packed set holds (SMISMEMBER): found[i] is 1 for members[i] there; one
 * open, every member compared with each one asked. Null after replying the seal error.
 */
export function packedMembership(ctx: Session, key: string, packed: PackedForm, members: readonly Uint8Array[]): Uint8Array | null {
  const found = new Uint8Array(members.length);
  const ok = replyOpened(ctx, () => {
    ctx.db.readPackedElements(key, packed, (bytes, start, length) => {
      for (let i = 0; i < members.length; i++) if (found[i] === 0 && sameBytes(bytes, start, length, members[i]!)) found[i] = 1;
    });
  });
  return ok ? found : null;
}

/** LINDEX of a packed list: element `index` (in range) as a bulk string. */
export function replyPackedElement(ctx: Session, key: string, packed: PackedForm, index: number): void {
  let i = 0;
  replyOpened(ctx, () => {
    ctx.db.readPackedElements(key, packed, (bytes, start, length) => {
      if (i++ < index) return true;
      replyPlain(ctx, bytes, start, length);
      return false;
    });
  });
}

/** The opened sorted set laid flat: member k at bytes[starts[k], starts[k] + lengths[k]) with scores[k]. */
const opened = {
  bytes: Buffer.alloc(0) as Buffer,
  starts: new Int32Array(PACK_MAX_ELEMENTS),
  lengths: new Int32Array(PACK_MAX_ELEMENTS),
  scores: new Float64Array(PACK_MAX_ELEMENTS),
  count: 0,
};
const NOTHING = opened.bytes;

/**
 * Opens a packed sorted set once and runs `use` on its members laid flat, inside the open (the
 * bytes are the opened plaintext, wiped when the open ends: nothing of them may outlive `use`).
 * False after replying the seal error (what `use` replied is dropped).
 */
export function withOpenedZSet(ctx: Session, key: string, packed: PackedForm, use: (flat: FlatZSet) => void): boolean {
  opened.count = 0;
  try {
    return replyOpened(ctx, () => {
      ctx.db.readPackedElements(key, packed, (bytes, start, length, score) => {
        const k = opened.count++;
        opened.starts[k] = start;
        opened.lengths[k] = length;
        opened.scores[k] = score;
        // The last member: every one lies in the opened plaintext now.
        if (opened.count === packed.count) {
          opened.bytes = bytes;
          use(opened);
        }
      });
      if (opened.count !== packed.count) throw new Error('withOpenedZSet: the blob holds another count than its entry');
    });
  } finally {
    opened.bytes = NOTHING;
    opened.count = 0;
  }
}

/**
 * Ranks [start, end) of a sorted set laid flat, forward or from end - 1 down, with scores when
 * asked (RESP3: [member, score] pairs): replyRange's reply.
 */
export function replyFlatRanks(ctx: Session, flat: FlatZSet, start: number, end: number, reverse: boolean, withScores: boolean): void {
  const n = Math.max(0, end - start);
  replyFlatLength(ctx, n, withScores);
  for (let i = 0; i < n; i++) replyFlatMember(ctx, flat, reverse ? end - 1 - i : start + i, withScores);
}

/** The given ranks of a sorted set laid flat, in that order (ZRANDMEMBER with a count): replyMembers' reply. */
export function replyFlatPicks(ctx: Session, flat: FlatZSet, ranks: readonly number[], withScores: boolean): void {
  replyFlatLength(ctx, ranks.length, withScores);
  for (const k of ranks) replyFlatMember(ctx, flat, k, withScores);
}

function replyFlatLength(ctx: Session, n: number, withScores: boolean): void {
  ctx.reply.arrayLen(withScores && ctx.reply.protocol !== 3 ? n * 2 : n);
}

function replyFlatMember(ctx: Session, flat: FlatZSet, k: number, withScores: boolean): void {
  if (withScores && ctx.reply.protocol === 3) ctx.reply.arrayLen(2);
  replyPlain(ctx, flat.bytes, flat.starts[k]!, flat.lengths[k]!);
  if (withScores) ctx.reply.double(flat.scores[k]!);
}

/** Ranks [start, end) of a packed sorted set (replyFlatRanks); an empty span opens nothing. */
export function replyPackedRanks(ctx: Session, key: string, packed: PackedForm, start: number, end: number, reverse: boolean, withScores: boolean): void {
  if (end <= start) return ctx.reply.arrayLen(0);
  withOpenedZSet(ctx, key, packed, (flat) => replyFlatRanks(ctx, flat, start, end, reverse, withScores));
}

/** Where `member` is among a sorted set laid flat, or -1. */
export function flatIndexOf(flat: FlatZSet, member: Uint8Array): number {
  for (let k = 0; k < flat.count; k++) if (sameBytes(flat.bytes, flat.starts[k]!, flat.lengths[k]!, member)) return k;
  return -1;
}

/** Where each element matched (LPOS), in list order. */
const matched = new Uint8Array(PACK_MAX_ELEMENTS);

/**
 * LPOS of `element` in a packed list (at rest or not: a read), as List.positions finds them: the
 * |rank|-th match on, from the head (rank > 0) or the tail, up to `count` (0: all) among the
 * first `maxlen` elements walked (0: all). Null after replying the seal error.
 */
export function packedPositions(ctx: Session, key: string, packed: PackedForm, element: Buffer, rank: number, count: number, maxlen: number): number[] | null {
  let size = 0;
  const ok = replyOpened(ctx, () => {
    ctx.db.readPackedElements(key, packed, (bytes, start, length) => {
      matched[size++] = sameBytes(bytes, start, length, element) ? 1 : 0;
    });
  });
  const out: number[] = [];
  if (!ok) return null;
  const fromTail = rank < 0;
  let skip = Math.abs(rank) - 1;
  const walked = maxlen > 0 ? Math.min(maxlen, size) : size;
  for (let i = 0; i < walked; i++) {
    const index = fromTail ? size - 1 - i : i;
    if (matched[index] === 0) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push(index);
    if (count !== 0 && out.length >= count) break;
  }
  matched.fill(0, 0, size);
  return out;
}
