// Sorted-set members a range reply opened, kept in plaintext until the event-loop turn ends (the
// one end-of-turn hook, turn-end.ts, wipes them), so the turn's next range replies copy them
// instead of opening them again: 16 pipelined ZRANGEs of a leaderboard's top 10, or many clients
// reading the same top 10 in one turn, open each member once per turn rather than once per
// reply. The member order's tie-breaks (a lex range's bound, a ZADD among equal scores) keep what
// they open here too, in a share of their own, so a turn's descents through the same upper nodes
// of a set open each member they compare once per turn, and cannot crowd out the ranges' members.
// One bounded scratch for the whole process (KEPT_BYTES + COMPARED_BYTES, KEPT_MEMBERS +
// COMPARED_MEMBERS); past a share's bound, members are opened as before and not kept.
//
// A member is looked up by its sealed form (the string the set holds; its nonce bytes are the
// hash) AND the database and key it was opened for: the plaintext kept is exactly what the AEAD
// returned for those bytes under that binding, so a hit can only give what an open would. A
// member removed, re-sealed (SEAL ROTATE, RENAME, COPY, MOVE) or replaced has another sealed
// string, which the set no longer hands out; a sealed string copied under another key or
// database misses and is opened (and refused) as before. A retired data key drops everything
// kept: bytes sealed under it must fail to open, not hit.

import { copyBytes } from '../../util/bytes.js';

/** Plaintext bytes range replies keep per turn at most. */
const KEPT_BYTES = 16 * 1024;
/** Members range replies keep per turn at most. */
const KEPT_MEMBERS = 256;
/**
 * The member order's share (members compared, kept after KEPT_BYTES in the same scratch): a
 * descent compares ~log2 n members, the first few the same for every descent of the set.
 */
const COMPARED_BYTES = 16 * 1024;
const COMPARED_MEMBERS = 1024;
/**
 * Open-addressing table of slots, at least four times the members kept (a power of two): at
 * most a quarter full, so a member not kept (every one, where ranges read many sets at random)
 * probes about 1.4 slots; half full it took 2.5, ~7 ns more per member in a micro benchmark.
 * A probe reads a 16-bit tag per slot first (tagAt, 16 KiB): reading the sealed strings' slots
 * (64 KiB each for the strings and keys) cost a cache miss per member where every range missed.
 */
const TABLE = 8192;
/** Where the nonce starts in a sealed member (after the version byte and the key id): random, so a fine hash. */
const NONCE_AT = 5;

const plain = Buffer.allocUnsafeSlow(KEPT_BYTES + COMPARED_BYTES).fill(0);
/** Bytes used of each share: the ranges' from 0, the comparisons' from KEPT_BYTES. */
let used = 0;
let comparedUsed = 0;
/** Members kept, both shares; of them compared. */
let count = 0;
let compared = 0;
/** Per table slot: a tag of the sealed member (0 when free; more nonce bytes), the member, the database, the key, where its plaintext starts. */
const tagAt = new Uint16Array(TABLE);
const sealedAt: string[] = new Array<string>(TABLE).fill('');
const dbAt = new Float64Array(TABLE);
const keyAt: string[] = new Array<string>(TABLE).fill('');
const startAt = new Int32Array(TABLE);
/** Table slots in use, to clear them at the turn's end without walking the table. */
const taken = new Int32Array(KEPT_MEMBERS + COMPARED_MEMBERS);
/** What the kept members were opened with (a server's SealedValues): tests run several servers in one process. */
let owner: object | null = null;

/** The slot tag of a sealed member: never 0 (a free slot). */
function tagOf(sealed: string): number {
  return sealed.charCodeAt(NONCE_AT + 2) | (sealed.charCodeAt(NONCE_AT + 3) << 8) | 1;
}

/** The table slot of `sealed` (tag `tag`) for (db, key), or of the free slot where it would go (then tagAt[slot] is 0). */
function slotOf(sealed: string, tag: number, db: number, key: string): number {
  let i = (sealed.charCodeAt(NONCE_AT) | (sealed.charCodeAt(NONCE_AT + 1) << 8)) & (TABLE - 1);
  for (;;) {
    const t = tagAt[i]!;
    if (t === 0 || (t === tag && sealedAt[i] === sealed && dbAt[i] === db && keyAt[i] === key)) return i;
    i = (i + 1) & (TABLE - 1);
  }
}

/** Makes the kept members those of `values` (a server's sealer): members kept for another one are wiped first. */
export function useTurnOpens(values: object): void {
  if (owner !== values) {
    settleTurnOpens();
    owner = values;
  }
}

/**
 * Copies the plaintext kept for `sealed` (opened for db and key this turn), `length` bytes, to
 * target at `at`; false when none is kept.
 */
export function copyTurnOpen(sealed: string, db: number, key: string, length: number, target: Uint8Array, at: number): boolean {
  if (count === 0 || sealed.length <= NONCE_AT + 3) return false;
  const slot = slotOf(sealed, tagOf(sealed), db, key);
  if (tagAt[slot] === 0) return false;
  copyBytes(plain, startAt[slot]!, target, at, length);
  return true;
}

/**
 * Keeps src[at, at + length), just opened from `sealed` for db and key, until the turn ends, in
 * the ranges' share or (`forOrder`) the member order's; nothing when that share is full.
 */
export function keepTurnOpen(sealed: string, db: number, key: string, src: Uint8Array, at: number, length: number, forOrder = false): void {
  if (sealed.length <= NONCE_AT + 3) return;
  if (forOrder ? compared === COMPARED_MEMBERS || comparedUsed + length > COMPARED_BYTES : count - compared === KEPT_MEMBERS || used + length > KEPT_BYTES) return;
  const tag = tagOf(sealed);
  const slot = slotOf(sealed, tag, db, key);
  if (tagAt[slot] !== 0) return;
  const start = forOrder ? KEPT_BYTES + comparedUsed : used;
  copyBytes(src, at, plain, start, length);
  tagAt[slot] = tag;
  sealedAt[slot] = sealed;
  dbAt[slot] = db;
  keyAt[slot] = key;
  startAt[slot] = start;
  taken[count++] = slot;
  if (forOrder) {
    compared++;
    comparedUsed += length;
  } else {
    used += length;
  }
}

/**
 * Wipes every member kept this turn: at the turn's end (turn-end.ts), and when a data key is
 * retired (net/server.ts), since bytes sealed under it must then fail to open, not be found here.
 */
export function settleTurnOpens(): void {
  plain.fill(0, 0, used);
  plain.fill(0, KEPT_BYTES, KEPT_BYTES + comparedUsed);
  for (let k = 0; k < count; k++) {
    const slot = taken[k]!;
    tagAt[slot] = 0;
    sealedAt[slot] = '';
    keyAt[slot] = '';
  }
  used = 0;
  comparedUsed = 0;
  count = 0;
  compared = 0;
}

/** Members kept now (tests). */
export function turnOpenCount(): number {
  return count;
}
