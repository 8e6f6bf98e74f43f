// Sorted sets as every type-blind path sees them: a SortedSet of sealed members (each bound to
// database and key, Purpose.ZSetMember) with scores in clear. A sealed member is held as a
// latin1 string of its sealed bytes (ciphertext, never plaintext): a one-byte string costs ~20
// bytes beside its bytes where a Buffer view costs ~100 (bench/micro/zset.ts), and the one member order they all
// share. Ties in score are broken by member bytes, which means opening sealed members: the order
// asks the command layer for plaintext through an opener bound for the duration of one command
// (commands/zsets/zset-entries.ts), since only that layer may open.

import type { ZSetEntry } from '../entry.js';
import { Kind } from '../entry.js';
import { Purpose } from '../../seal/values.js';
import { OVERHEAD } from '../../seal/sealer.js';
import { SortedSet, type MemberOrder } from './zset.js';
import type { CollectionOps } from './type-ops.js';

/**
 * Opens a sealed member into scratch slot 0 or 1 and returns the buffer whose first
 * plainLength(sealed) bytes are its plaintext, valid until the next call for that slot. The
 * binder owns that plaintext and wipes it when its binding ends (the order does not: a binder
 * may hand out plaintext it keeps for the whole command).
 * Throws what opening throws (SealError).
 */
export type MemberOpener = (sealed: string, slot: 0 | 1) => Buffer;

/** A sealed member's plaintext length. */
function plainLength(sealed: string): number {
  return sealed.length - OVERHEAD;
}

/** Compares sealed members by their bytes through whatever opener is bound. */
export class SealedMemberOrder implements MemberOrder<string> {
  private opener: MemberOpener | null = null;
  /** Comparator calls, i.e. members opened in pairs or against a bound (bench and tests read it). */
  opened = 0;

  /** Binds the opener for the members of one key; returns the one bound before (to restore). */
  bind(opener: MemberOpener | null): MemberOpener | null {
    const before = this.opener;
    this.opener = opener;
    return before;
  }

  compareMembers(a: string, b: string): number {
    const open = this.need();
    this.opened++;
    return Buffer.compare(open(a, 0).subarray(0, plainLength(a)), open(b, 1).subarray(0, plainLength(b)));
  }

  compareToBound(member: string, bound: Uint8Array): number {
    this.opened++;
    return Buffer.compare(this.need()(member, 0).subarray(0, plainLength(member)), bound);
  }

  private need(): MemberOpener {
    if (this.opener === null) throw new Error('zset member order used without an opener bound');
    return this.opener;
  }
}

/** The order every sorted set uses. */
export const memberOrder = new SealedMemberOrder();

/** The set object, its digest index and root leaf (V8, 64-bit), beside SortedSet.memoryBytes(). */
export const ZSET_OVERHEAD = 96;
/** Per member: its sealed string's header beside the sealed bytes. */
export const MEMBER_OVERHEAD = 20;

/** A sealed member's bytes as the string the set keeps. */
export function sealedString(sealed: Buffer): string {
  return sealed.toString('latin1');
}

/** A sealed member's bytes back as a Buffer of its own (RENAME, rotation: not hot paths). */
export function sealedBuffer(sealed: string): Buffer {
  return Buffer.from(sealed, 'latin1');
}

/** Redis 7.0's defaults for a sorted set kept as a listpack (zset-max-listpack-entries/-value). */
export const LISTPACK_MAX_ENTRIES = 128;
export const LISTPACK_MAX_VALUE = 64;

export function zsetEntry(touchedAt: number): ZSetEntry {
  return {
    kind: Kind.ZSet, zset: new SortedSet<string>(memberOrder), sealedBytes: 0, skiplist: false, expiresAt: 0, touchedAt, accounted: 0, sealedName: undefined,
  };
}

/** Visits every member in order. */
function eachMember(entry: ZSetEntry, visit: (sealed: string, score: number) => void): void {
  entry.zset.each(0, entry.zset.size, false, (sealed, score) => {
    visit(sealed, score);
  });
}

export const zsetOps: CollectionOps<ZSetEntry> = {
  name: 'zset',
  overhead: ZSET_OVERHEAD,
  valueBytes(entry) {
    // Kept as a running sum, so a write to a large set is not a walk of it (samples unneeded).
    return entry.zset.memoryBytes() + entry.zset.size * MEMBER_OVERHEAD + entry.sealedBytes;
  },
  encoding: (entry) => (entry.skiplist ? 'skiplist' : 'listpack'),
  elements: (entry) => entry.zset.size,
  forEachSealed(entry, visit) {
    eachMember(entry, (sealed) => visit(sealedBuffer(sealed), Purpose.ZSetMember, undefined));
  },
  reseal(entry, reseal, touchedAt) {
    // Order and digests stay (same member bytes): the copy is appended in order, no comparison.
    let bytes = 0;
    const zset = entry.zset.copy((sealed) => {
      const fresh = sealedString(reseal(sealedBuffer(sealed), Purpose.ZSetMember, undefined));
      bytes += fresh.length;
      return fresh;
    });
    return { ...entry, zset, sealedBytes: bytes, touchedAt, sealedName: undefined };
  },
  create: (now) => zsetEntry(now),
  isEmpty: (entry) => entry.zset.size === 0,
  renewEach(entry, renew) {
    let renewed = 0;
    let bytes = 0;
    entry.zset.reseal((sealed) => {
      const fresh = renew(sealedBuffer(sealed), Purpose.ZSetMember, undefined);
      const kept = fresh === null ? sealed : sealedString(fresh);
      if (fresh !== null) renewed++;
      bytes += kept.length;
      return kept;
    });
    entry.sealedBytes = bytes;
    return renewed;
  },
};
