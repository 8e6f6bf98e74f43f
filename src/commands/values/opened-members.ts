// The members of small sets and sorted sets opened into one plaintext scratch for the length of
// a command: the set algebra (sets-algebra.ts), SSCAN (sets-random.ts) and ZRANGESTORE
// (zsets-ranges.ts) of collections packed at rest read them there, compared by their bytes, so
// no packed key is unpacked (an open, then a seal and a digest per member, and the cron packing
// it again) and no live one's members are digested. Only small sets come here (at most
// PACK_MAX_ELEMENTS members each): a member is found in a set by comparing it with each of that
// set's in turn. A sorted set's members keep their scores, so one opened alone is a FlatZSet.
// wipe() zeroes every byte opened.

import type { SetEntry } from '../../store/entry.js';
import type { PackedForm } from '../../store/packed-record.js';
import { plainBuffer } from '../../util/bytes.js';
import { setCodec } from '../sets/set-entries.js';
import type { Session } from '../types.js';

const INT64_MAX_DIGITS = Buffer.from('9223372036854775807');
const INT64_MIN_DIGITS = Buffer.from('9223372036854775808');

export class OpenedMembers {
  /** Members' bytes, one after the other. */
  bytes = plainBuffer(4096);
  private used = 0;
  starts = new Int32Array(256);
  lengths = new Int32Array(256);
  /** A sorted set's member's score (NaN for a set's). */
  scores = new Float64Array(256);
  /** Members opened so far. */
  count = 0;
  /** Set s holds the members [from[s], from[s + 1]). */
  private from = new Int32Array(17);
  /** Sets opened so far. */
  sets = 0;

  /** Opens a packed set's or sorted set's members after the ones opened before, as set `sets - 1`. Throws SealError. */
  openPacked(ctx: Session, key: string, packed: PackedForm): void {
    this.beginSet();
    ctx.db.readPackedElements(key, packed, (bytes, start, length, score) => this.add(bytes, start, length, score));
    this.endSet();
  }

  /** Opens a live set's members (each node once), as the next set. Throws SealError. */
  openLive(ctx: Session, key: string, set: SetEntry): void {
    this.beginSet();
    set.forEachPlain(setCodec(ctx, key), (bytes, start, length) => this.add(bytes, start, length, NaN));
    this.endSet();
  }

  /** Set s's members: [first(s), end(s)). */
  first(s: number): number {
    return this.from[s]!;
  }

  end(s: number): number {
    return this.from[s + 1]!;
  }

  size(s: number): number {
    return this.from[s + 1]! - this.from[s]!;
  }

  /** Whether set s holds member m (of any set). */
  holds(s: number, m: number): boolean {
    return this.indexIn(s, m) >= 0;
  }

  /** The member of set s with m's bytes, or -1. */
  indexIn(s: number, m: number): number {
    for (let k = this.from[s]!, end = this.from[s + 1]!; k < end; k++) if (this.same(k, m)) return k;
    return -1;
  }

  /** Whether members a and b have the same bytes. */
  same(a: number, b: number): boolean {
    const n = this.lengths[a]!;
    if (n !== this.lengths[b]) return false;
    const bytes = this.bytes;
    for (let i = 0, x = this.starts[a]!, y = this.starts[b]!; i < n; i++) if (bytes[x + i] !== bytes[y + i]) return false;
    return true;
  }

  /** Redis's isSdsRepresentableAsLongLong of member m (as set-entries.ts isIntegerMember). */
  isInteger(m: number): boolean {
    const bytes = this.bytes;
    const at = this.starts[m]!;
    const end = at + this.lengths[m]!;
    // An empty member's first byte would be the next member's: a "-" there is not its sign.
    if (end === at) return false;
    const start = bytes[at] === 0x2d ? at + 1 : at;
    const digits = end - start;
    if (digits === 0 || digits > 19) return false;
    if (bytes[start] === 0x30) return digits === 1 && start === at;
    for (let i = start; i < end; i++) if (bytes[i]! < 0x30 || bytes[i]! > 0x39) return false;
    if (digits < 19) return true;
    const limit = start === at ? INT64_MAX_DIGITS : INT64_MIN_DIGITS;
    return bytes.compare(limit, 0, 19, start, end) <= 0;
  }

  /** Orders two integer members (isInteger) by value, as set-entries.ts compareIntegers. */
  compareIntegers(a: number, b: number): number {
    const bytes = this.bytes;
    const x = this.starts[a]!;
    const y = this.starts[b]!;
    const na = bytes[x] === 0x2d;
    const nb = bytes[y] === 0x2d;
    if (na !== nb) return na ? -1 : 1;
    let magnitude = this.lengths[a]! - this.lengths[b]!;
    for (let i = 0, n = this.lengths[a]!; magnitude === 0 && i < n; i++) magnitude = bytes[x + i]! - bytes[y + i]!;
    return na ? -magnitude : magnitude;
  }

  /**
   * Pushes to `out`, in the order opened, each member whose bytes no member before it has (a
   * union): found through a table of member indexes by a hash of their bytes, zeroed after.
   */
  distinct(out: number[]): void {
    let size = 16;
    while (size < this.count * 2) size *= 2;
    if (this.table.length < size) this.table = new Int32Array(size);
    const table = this.table;
    const mask = size - 1;
    const bytes = this.bytes;
    try {
      for (let m = 0; m < this.count; m++) {
        // FNV-1a of the member's bytes.
        let h = 0x811c9dc5;
        for (let i = this.starts[m]!, end = i + this.lengths[m]!; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
        let slot = h & mask;
        let seen = false;
        for (; table[slot] !== 0; slot = (slot + 1) & mask) {
          if (this.same(table[slot]! - 1, m)) {
            seen = true;
            break;
          }
        }
        if (seen) continue;
        table[slot] = m + 1;
        out.push(m);
      }
    } finally {
      table.fill(0, 0, size);
    }
  }

  private table = new Int32Array(0);

  /** Member m as a view of the scratch (valid until wipe()). */
  view(m: number): Buffer {
    return this.bytes.subarray(this.starts[m]!, this.starts[m]! + this.lengths[m]!);
  }

  /** Zeroes what was opened; the scratch is empty again. */
  wipe(): void {
    this.bytes.fill(0, 0, this.used);
    this.scores.fill(0, 0, this.count);
    this.used = 0;
    this.count = 0;
    this.sets = 0;
  }

  private beginSet(): void {
    if (this.sets + 2 > this.from.length) this.from = grown(this.from, this.from.length * 2);
    this.from[this.sets] = this.count;
  }

  private endSet(): void {
    this.from[++this.sets] = this.count;
  }

  private add(bytes: Buffer, start: number, length: number, score: number): void {
    if (this.used + length > this.bytes.length) {
      const larger = plainBuffer(Math.max(this.bytes.length * 2, this.used + length));
      this.bytes.copy(larger, 0, 0, this.used);
      this.bytes.fill(0, 0, this.used);
      this.bytes = larger;
    }
    if (this.count === this.starts.length) {
      this.starts = grown(this.starts, this.count * 2);
      this.lengths = grown(this.lengths, this.count * 2);
      const scores = new Float64Array(this.count * 2);
      scores.set(this.scores);
      this.scores = scores;
    }
    bytes.copy(this.bytes, this.used, start, start + length);
    this.starts[this.count] = this.used;
    this.scores[this.count] = score;
    this.lengths[this.count++] = length;
    this.used += length;
  }
}

function grown(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const out = new Int32Array(length);
  out.set(a);
  return out;
}

/** The one scratch: commands run one at a time, and each wipes it before it returns. */
export const openedMembers = new OpenedMembers();
