// A hash's fields as stored, in one of two forms (redis t_hash.c: listpack, then dict):
//   - small: every pair sealed together as one blob (hash-pairs.ts "packed"), kept as a latin1
//     string of the sealed bytes. No index: a command opens the blob and reads the pairs, as
//     Redis walks a listpack. One seal per hash instead of one per field is what makes a hash
//     of a few fields cost about what Redis's listpack does (a seal is 45 bytes).
//   - table: a FieldTable, each field (name and value together) sealed on its own and filed
//     under the keyed digest of its name.
// A hash starts small and moves to a table for good once it passes PACKED_MAX_BYTES of
// plaintext or once Redis would convert its listpack (hash-max-listpack-entries/-value). What
// OBJECT ENCODING says follows Redis's rule alone (`listpack`), so it matches Redis's answer
// even where the two forms part (a small-valued hash over PACKED_MAX_BYTES is a table here and
// still a listpack there). No plaintext name or value is ever kept: opening is the commands'
// business (src/commands/hashes/hash-fields.ts).

import type { FieldTable } from './field-table.js';

/**
 * Most plaintext bytes a small hash holds: every read opens, and every write re-seals, the
 * whole blob, so this bounds what a command on a small hash costs (a few microseconds).
 */
export const PACKED_MAX_BYTES = 2048;

export class HashFields {
  /** The small form's sealed blob, as a latin1 string of its bytes; '' for the table form (or empty). */
  packed = '';
  /** The table form; null while small. */
  table: FieldTable | null = null;
  /** Fields held. */
  size = 0;
  /** Whether Redis 7.0 would still keep this hash as a listpack (it never converts back). */
  listpack = true;
}

/**
 * The one small hash whose `packed` blob may lag its pairs until the turn ends (the commands
 * hold it open: src/commands/hashes/hash-turn.ts), the length its blob will have, and how to seal it
 * now. The store stays free of sealing: it only calls settle().
 */
export const heldHash = { lagging: null as HashFields | null, sealedLength: 0, settle: (): void => {} };

/** Makes f.packed current (seals f's held pairs if they changed): call before reading the blob. */
export function sealedNow(f: HashFields): void {
  if (heldHash.lagging === f) heldHash.settle();
}

/** Bytes of f's small-form blob, current or lagging (memory accounting; 0 for none). */
export function packedLength(f: HashFields): number {
  return heldHash.lagging === f ? heldHash.sealedLength : f.packed.length;
}

/** Seals whatever small hash is held open and wipes its plaintext (the turn's end, a retired data key). */
export function settleHeldHash(): void {
  heldHash.settle();
}

/** Buffer's latin1 helpers exist at run time but are missing from @types/node. */
type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string; latin1Write(text: string, offset: number): number };

/** Sealed bytes as the string a hash keeps them in. */
export function sealedString(bytes: Buffer, start = 0, end = bytes.length): string {
  return (bytes as Latin1Buffer).latin1Slice(start, end);
}

/** A kept sealed string's bytes, written into out at `at` (out needs sealed.length bytes there). */
export function writeSealed(sealed: string, out: Buffer, at: number): void {
  (out as Latin1Buffer).latin1Write(sealed, at);
}

/** A kept sealed string's bytes in a new buffer. */
export function sealedBuffer(sealed: string): Buffer {
  return Buffer.from(sealed, 'latin1');
}
