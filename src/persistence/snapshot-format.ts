// The sealed snapshot format: what a snapshot file holds, and what a full sync streams (the same
// bytes). Everything after the header is ciphertext or authenticated counts.
//
//   header (64 bytes, in clear, authenticated by the chain and the MAC):
//     0  magic "SEALKVSN" (8)       8  format version (u16)    10 flags (u16, bit 0: seal-keys)
//     12 payload version (u8) + 3 zero bytes                   16 master key id (16)
//     32 file id (16, random)       48 created at (f64, unix ms)   56 zero (8)
//   records, each:   0x01 | body length (u32) | nonce (24) | ciphertext + tag (plain + 16)
//   trailer:         0xFF | records (u64) | keys (u64) | bytes before the trailer (u64)
//                    | last chain link (16) | MAC (16) over header || trailer up to the MAC
//
// A record's plaintext is a run of operations, applied in order by the loader:
//   KEY    db (u32) | expires at (f64, 0: none) | name (u32 length + bytes) | value (u32 length
//          + a DUMP payload's plaintext: payload version, kind, the type's codec layout)
//   DEL    db (u32) | name (u32 + bytes): the key was removed after it was written
//   FLUSH  db (u32): the database was emptied (FLUSHDB / FLUSHALL) while the snapshot ran
//   RESET  everything before is void (SWAPDB while the snapshot ran: it starts over)
// Only a snapshot taken while clients write has DEL, FLUSH, RESET or a key twice (the later one
// wins): see snapshot-writer.ts for why the snapshot is consistent all the same.
// Integers are big-endian.

export const MAGIC = Buffer.from('SEALKVSN', 'latin1');
/** The format this build writes; a file of a newer format is refused, never guessed at. */
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;
export const TAG_RECORD = 0x01;
export const TAG_TRAILER = 0xff;
/** Tag and body length before each record's body. */
export const RECORD_HEAD = 5;
/** Tag, three counts, the last link and the MAC. */
export const TRAILER_BYTES = 1 + 24 + 16 + 16;
/** The trailer bytes the MAC covers after the header: tag, counts and link. */
export const TRAILER_MACED = 1 + 24 + 16;
/** Where the MAC sits in the trailer. */
export const MAC_OFFSET = TRAILER_MACED;
export const FLAG_SEALED_NAMES = 1;

/** Operations inside a record's plaintext. */
export const enum Op {
  Key = 1,
  Del = 2,
  Flush = 3,
  Reset = 4,
}

/** A record's plaintext is sealed once it reaches this size (or at the end of a time slice). */
export const RECORD_TARGET_BYTES = 64 * 1024;
/** The largest record body a loader accepts (a single huge value is one record: 512 MB strings, and more). */
export const MAX_RECORD_BYTES = 2 ** 31 - 1;

/** A snapshot that cannot be loaded or written; the message is for the operator (and the log). */
export class SnapshotError extends Error {}

export interface SnapshotHeader {
  formatVersion: number;
  flags: number;
  payloadVersion: number;
  keyId: Buffer;
  fileId: Buffer;
  createdAt: number;
}

export function writeHeader(h: SnapshotHeader): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(out, 0);
  out.writeUInt16BE(h.formatVersion, 8);
  out.writeUInt16BE(h.flags, 10);
  out[12] = h.payloadVersion;
  h.keyId.copy(out, 16, 0, 16);
  h.fileId.copy(out, 32, 0, 16);
  out.writeDoubleBE(h.createdAt, 48);
  return out;
}

/** The header's fields; SnapshotError when it is not a sealkv snapshot at all. */
export function readHeader(bytes: Buffer): SnapshotHeader {
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotError('not a sealkv snapshot (bad magic or shorter than a header)');
  }
  return {
    formatVersion: bytes.readUInt16BE(8),
    flags: bytes.readUInt16BE(10),
    payloadVersion: bytes[12]!,
    keyId: Buffer.from(bytes.subarray(16, 32)),
    fileId: Buffer.from(bytes.subarray(32, 48)),
    createdAt: bytes.readDoubleBE(48),
  };
}
