// Sorted-set members a range reply opened, kept in plaintext until the event-loop turn ends (the
// one end-of-turn hook, turn-end.ts, wipes them), so the turn's next range replies copy them
// instead of opening them again: 16 pipelined ZRANGEs of a leaderboard's top 10, or many clients
// reading the same top 10 in one turn, open each member once per turn rather than once per
// reply. One bounded scratch for the whole process (KEPT_BYTES, KEPT_MEMBERS); past it, members
// are opened as before and not kept.
//
// A member is looked up by its sealed form (the string the set holds; its nonce bytes are the
// hash) AND the database and key it was opened for: the plaintext kept is exactly what the AEAD
// returned for those bytes under that binding, so a hit can only give what an open would. A
// member removed, re-sealed (SEAL ROTATE, RENAME, COPY, MOVE) or replaced has another sealed
// string, which the set no longer hands out; a sealed string copied under another key or
// database misses and is opened (and refused) as before. A retired data key drops everything
// kept: bytes sealed under it must fail to open, not hit.

import { copyBytes } from '../util/bytes.js';

/** Plaintext bytes kept per turn at most. */
const KEPT_BYTES = 16 * 1024;
/** Members kept per turn at most. */
const KEPT_MEMBERS = 256;
/**
 * Open-addressing table of slots, four times KEPT_MEMBERS (a power of two): at most a quarter
 * full, so a member not kept (every one, where ranges read many sets at random) probes about 1.4
 * slots; half full it took 2.5, ~7 ns more per member in a micro benchmark.
 */
const TABLE = KEPT_MEMBERS * 4;
/** Where the nonce starts in a sealed member (after the version byte and the key id): random, so a fine hash. */
const NONCE_AT = 5;

const plain = Buffer.allocUnsafeSlow(KEPT_BYTES).fill(0);
let used = 0;
let count = 0;
/** Per table slot: the sealed member ('' when free), the database, the key, where its plaintext starts. */
const sealedAt: string[] = new Array<string>(TABLE).fill('');
const dbAt = new Float64Array(TABLE);
const keyAt: string[] = new Array<string>(TABLE).fill('');
const startAt = new Int32Array(TABLE);
/** Table slots in use, to clear them at the turn's end without walking the table. */
const taken = new Int32Array(KEPT_MEMBERS);
/** What the kept members were opened with (a server's SealedValues): tests run several servers in one process. */
let owner: object | null = null;

/** The table slot of `sealed` for (db, key), or of the free slot where it would go (then sealedAt[slot] is ''). */
function slotOf(sealed: string, db: number, key: string): number {
  let i = (sealed.charCodeAt(NONCE_AT) | (sealed.charCodeAt(NONCE_AT + 1) << 8)) & (TABLE - 1);
  for (;;) {
    const s = sealedAt[i]!;
    if (s === '' || (s === sealed && dbAt[i] === db && keyAt[i] === key)) return i;
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
  if (count === 0 || sealed.length <= NONCE_AT + 1) return false;
  const slot = slotOf(sealed, db, key);
  if (sealedAt[slot] === '') return false;
  copyBytes(plain, startAt[slot]!, target, at, length);
  return true;
}

/**
 * Keeps src[at, at + length), just opened from `sealed` for db and key, until the turn ends;
 * nothing when the scratch is full.
 */
export function keepTurnOpen(sealed: string, db: number, key: string, src: Uint8Array, at: number, length: number): void {
  if (count === KEPT_MEMBERS || used + length > KEPT_BYTES || sealed.length <= NONCE_AT + 1) return;
  const slot = slotOf(sealed, db, key);
  if (sealedAt[slot] !== '') return;
  copyBytes(src, at, plain, used, length);
  sealedAt[slot] = sealed;
  dbAt[slot] = db;
  keyAt[slot] = key;
  startAt[slot] = used;
  taken[count++] = slot;
  used += length;
}

/**
 * Wipes every member kept this turn: at the turn's end (turn-end.ts), and when a data key is
 * retired (net/server.ts), since bytes sealed under it must then fail to open, not be found here.
 */
export function settleTurnOpens(): void {
  plain.fill(0, 0, used);
  for (let k = 0; k < count; k++) {
    const slot = taken[k]!;
    sealedAt[slot] = '';
    keyAt[slot] = '';
  }
  used = 0;
  count = 0;
}

/** Members kept now (tests). */
export function turnOpenCount(): number {
  return count;
}
