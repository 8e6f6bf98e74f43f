// ZADD of many members into an empty sorted set, built in order instead of member by member.
// Members with equal scores are ordered by their bytes, and inserting one into a sealed set
// opens O(log n) members to find its place: a lex index of 100 k members with one score took
// seconds. The request holds every member in plaintext, so the batch is sorted there (score,
// then bytes) and appended: no member of the set is opened at all.

import type { ZSetEntry } from '../../store/keyspace.js';
import { LISTPACK_MAX_ENTRIES, LISTPACK_MAX_VALUE } from '../../store/types/zset-ops.js';
import { digestOf, sealMember } from './zset-entries.js';
import { storedScore } from './zsets-ranges.js';
import type { Session } from '../types.js';

/** Below this many pairs the member-by-member path is as cheap. */
export const BATCH_MIN_PAIRS = 64;

export interface BatchOptions {
  nx: boolean;
  gt: boolean;
  lt: boolean;
}

interface Pending {
  score: number;
  /** Index of the member's argument. */
  at: number;
}

/**
 * Adds `scores.length` pairs (member k at args[first + 2k + 1]) to `entry`, which is empty, with
 * what member-by-member ZADD (no XX, no INCR) would leave and count: a member repeated in the
 * request is added once, then updated as Redis's zsetAdd would (NX keeps the first score, GT/LT
 * compare with it, an equal score changes nothing).
 */
export function addBatchToEmpty(ctx: Session, key: string, entry: ZSetEntry, scores: number[], args: Buffer[], first: number, o: BatchOptions): { added: number; updated: number } {
  // Repeats found by sorting on the bytes (stable: a member's copies stay in request order).
  const byBytes: Pending[] = scores.map((score, k) => ({ score, at: first + k * 2 + 1 }));
  byBytes.sort((a, b) => Buffer.compare(args[a.at]!, args[b.at]!) || a.at - b.at);
  const pending: Pending[] = [];
  let updated = 0;
  for (const p of byBytes) {
    const seen = pending.length === 0 ? undefined : pending[pending.length - 1]!;
    if (seen === undefined || !args[seen.at]!.equals(args[p.at]!)) {
      pending.push(p);
      continue;
    }
    const score = p.score;
    if (o.nx || (o.lt && score >= seen.score) || (o.gt && score <= seen.score) || score === seen.score) continue;
    seen.score = score;
    updated++;
  }
  // Already in byte order: a stable sort on the score leaves ties in it (-0 and 0 tie, as in the set).
  pending.sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : 0));
  const zset = entry.zset;
  for (const p of pending) {
    const member = args[p.at]!;
    if (member.length > LISTPACK_MAX_VALUE) entry.skiplist = true;
    const sealed = sealMember(ctx, key, member);
    zset.append(digestOf(ctx, member), storedScore(entry, p.score), sealed);
    entry.sealedBytes += sealed.length;
  }
  if (zset.size > LISTPACK_MAX_ENTRIES) entry.skiplist = true;
  return { added: pending.length, updated };
}
