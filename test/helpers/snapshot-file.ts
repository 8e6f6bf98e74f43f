// Takes a sealed snapshot file apart along its framing (src/persistence/snapshot-format.ts) and
// puts it back together, so tests can reorder, drop or replay whole records without knowing
// anything that is sealed.

const HEADER = 64;
const RECORD_HEAD = 5;
const TRAILER = 57;

export interface SnapshotParts {
  header: Buffer;
  /** Each record as it is in the file, framing included: [start, end). */
  records: { start: number; end: number }[];
  trailer: Buffer;
}

export function readSnapshotRecords(file: Buffer): SnapshotParts {
  const records: { start: number; end: number }[] = [];
  let pos = HEADER;
  while (file[pos] === 0x01) {
    const end = pos + RECORD_HEAD + file.readUInt32BE(pos + 1);
    records.push({ start: pos, end });
    pos = end;
  }
  if (file[pos] !== 0xff || file.length - pos !== TRAILER) throw new Error('not a well-framed snapshot');
  return { header: file.subarray(0, HEADER), records, trailer: file.subarray(pos) };
}

/** A file of the given header, records and trailer (the trailer's byte count fixed to fit, then `edit`ed). */
export function writeSnapshotParts(parts: SnapshotParts, records: Buffer[], edit?: (trailer: Buffer) => void): Buffer {
  const trailer = Buffer.from(parts.trailer);
  edit?.(trailer);
  return Buffer.concat([parts.header, ...records, trailer]);
}
