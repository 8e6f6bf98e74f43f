// How a list lays out its nodes (store/types/list.ts): loose entries as
//   [length, LEB128][sealed bytes][length again, LEB128 written backwards]
// (read from either end), a sealed node's plaintext as [varint length][bytes] per element, and
// the scratch buffers plaintext passes through (wiped after each use). Also the types the list
// shares with its callers: the codec that seals for it, visitors, predicates, sinks.

/** Scratch buffers larger than this are dropped after use (after wiping). */
const KEEP_SCRATCH = 256 * 1024;

/** Seals and opens for one list (its database and key); see src/seal/list-codec.ts. */
export interface ListCodec {
  /** Bytes a seal adds to its plaintext. */
  readonly overhead: number;
  /** Node limits: plaintext bytes and elements (list-max-listpack-size). */
  readonly nodeBytes: number;
  readonly nodeCount: number;
  /** Seals one element on its own into out at `at` (overhead + plain.length bytes). */
  sealElement(plain: Uint8Array, out: Buffer, at: number): void;
  /** Opens an element sealed on its own into out at `at`; throws the codec's error. */
  openElement(src: Buffer, start: number, length: number, out: Buffer, at: number): void;
  /** Seals a node's plaintext, bound to its id. */
  sealNode(id: number, plain: Uint8Array, out: Buffer, at: number): void;
  /** Opens a node's blob; throws the codec's error. */
  openNode(id: number, src: Buffer, start: number, length: number, out: Buffer, at: number): void;
  /** Throws the codec's authentication error (nodes out of order). */
  broken(what: string): never;
  /**
   * Told after the rest timer sealed waiting nodes (their blocks shrank), outside any command:
   * whoever counts the list's memory recounts it (else maxmemory keeps the loose size).
   */
  rested?(): void;
}

/** Looks at one element's plaintext (do not keep it); false stops a walk. */
export type ElementVisitor = (bytes: Buffer, start: number, length: number) => boolean | void;
/**
 * Decides about one element's plaintext. `plainLength`, when set, is the only plaintext length that
 * can match: elements sealed on their own with another length are skipped unopened.
 */
export type ElementPredicate = ((bytes: Buffer, start: number, length: number) => boolean) & { plainLength?: number };

/**
 * Where elements go straight to (a reply): begin() gives the buffer to write `length` bytes of
 * plaintext into at `at`, end() takes them. An element sealed on its own opens straight into it,
 * with no scratch copy (LRANGE, pops).
 */
export interface ElementSink {
  begin(length: number): Buffer;
  readonly at: number;
  end(length: number): void;
}

/** A visitor or a sink. */
export type ElementTarget = ElementVisitor | ElementSink;

/** Where a sealed element or node lies, for the type-blind paths (rotation, RENAME, memory scans). */
export type SealedVisitor = (bytes: Buffer, start: number, length: number, node: number | undefined) => void;

/** What pushMany reads its elements from: an array of buffers or a command's argument list. */
export interface Elements {
  readonly length: number;
  at(index: number): Uint8Array | undefined;
  /** Element index's length and bytes without a view per element (a long command's arguments). */
  byteLength?(index: number): number;
  copyInto?(index: number, out: Buffer, at: number): number;
}

export function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Bytes an element of `length` (sealed) takes in a loose node. */
export function entryBytes(length: number): number {
  return length + 2 * varintBytes(length);
}

/** Bytes an element of `length` (plaintext) takes in a sealed node's plaintext. */
export function plainEntryBytes(length: number): number {
  return length + varintBytes(length);
}

/** Set by readForward/readBackward: the length prefix's size. */
export let lastVarint = 0;

export function readForward(buf: Buffer, p: number): number {
  let n = 0;
  let mult = 1;
  let i = 0;
  for (;;) {
    const b = buf[p + i++]!;
    n += (b & 0x7f) * mult;
    if (b < 0x80) break;
    mult *= 128;
  }
  lastVarint = i;
  return n;
}

/** The length stored just before `q`. */
export function readBackward(buf: Buffer, q: number): number {
  let n = 0;
  let mult = 1;
  let i = 0;
  for (;;) {
    const b = buf[q - 1 - i++]!;
    n += (b & 0x7f) * mult;
    if (b < 0x80) break;
    mult *= 128;
  }
  lastVarint = i;
  return n;
}

export function writeVarint(buf: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    buf[p++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[p++] = n;
  return p;
}

/** Writes a loose entry's two length copies around `length` bytes at p; returns where its bytes start. */
export function writeLengths(buf: Buffer, p: number, length: number): number {
  if (length < 0x80) {
    buf[p] = length;
    buf[p + 1 + length] = length;
    return p + 1;
  }
  const v = varintBytes(length);
  let n = length;
  for (let i = 0; i < v; i++) {
    const group = n % 128;
    n = Math.floor(n / 128);
    buf[p + i] = i < v - 1 ? group | 0x80 : group;
    // The backward copy: least significant group last, continuation bit on all but the first.
    buf[p + 2 * v + length - 1 - i] = i < v - 1 ? group | 0x80 : group;
  }
  return p + v;
}

/** Writes one loose entry (sealed bytes given) at p; returns where it ends. */
export function writeEntry(buf: Buffer, p: number, el: Uint8Array, elStart = 0, length = el.length): number {
  const at = writeLengths(buf, p, length);
  if (length <= 64) for (let i = 0; i < length; i++) buf[at + i] = el[elStart + i]!;
  else buf.set(el.subarray(elStart, elStart + length), at);
  return at + length + varintBytes(length);
}

/** Seals plain as a loose entry at p; returns where it ends. */
export function writeSealedEntry(buf: Buffer, p: number, plain: Uint8Array, c: ListCodec): number {
  const length = plain.length + c.overhead;
  const at = writeLengths(buf, p, length);
  c.sealElement(plain, buf, at);
  return at + length + varintBytes(length);
}

/** A plaintext buffer that grows, and is wiped after each use. */
export class Scratch {
  buf: Buffer = Buffer.alloc(0);

  room(n: number, keep = 0): Buffer {
    if (n > this.buf.length) {
      const next = Buffer.allocUnsafeSlow(Math.max(n, this.buf.length * 2, 1024));
      this.buf.copy(next, 0, 0, keep);
      next.fill(0, keep);
      this.buf.fill(0);
      this.buf = next;
    }
    return this.buf;
  }

  wipe(n: number): void {
    this.buf.fill(0, 0, Math.min(n, this.buf.length));
    if (this.buf.length > KEEP_SCRATCH) this.buf = Buffer.alloc(0);
  }
}

/** An opened node; an edited node's new plaintext; a bulk push's plaintext; one element's. */
export const opened = new Scratch();
export const edited = new Scratch();
export const building = new Scratch();
export const element = new Scratch();

/** Plaintext runs cut from a sequence of entries: [start, end, count] triples. */
export function cutRuns(buf: Buffer, length: number, c: ListCodec): number[] {
  const runs: number[] = [];
  let start = 0;
  let count = 0;
  for (let p = 0; p < length; ) {
    const n = readForward(buf, p);
    const size = lastVarint + n;
    if (count > 0 && (p + size - start > c.nodeBytes || count >= c.nodeCount)) {
      runs.push(start, p, count);
      start = p;
      count = 0;
    }
    count++;
    p += size;
  }
  if (count > 0) runs.push(start, length, count);
  return runs;
}

/** Hands one element's plaintext (in an opened node) to a visitor or copies it into a sink. */
export function emitPlain(plain: Buffer, start: number, length: number, t: ElementTarget): boolean | void {
  if (typeof t === 'function') return t(plain, start, length);
  const out = t.begin(length);
  const at = t.at;
  if (length <= 32) for (let i = 0; i < length; i++) out[at + i] = plain[start + i]!;
  else plain.copy(out, at, start, start + length);
  t.end(length);
  return true;
}

/** A sealed copy of one element (for the loose node paths that move sealed entries). */
export function sealedCopy(el: Uint8Array, c: ListCodec): Buffer {
  const out = Buffer.allocUnsafe(el.length + c.overhead);
  c.sealElement(el, out, 0);
  return out;
}

/** Offsets of the `count` entries of an opened node. */
export function entryStarts(plain: Buffer, count: number): Int32Array {
  const starts = new Int32Array(count);
  let p = 0;
  for (let i = 0; i < count; i++) {
    starts[i] = p;
    p += readForward(plain, p) + lastVarint;
  }
  return starts;
}
