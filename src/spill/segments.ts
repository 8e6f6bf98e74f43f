// Append-only segment files on tmpfs holding sealed values (dragonfly tiering's small-bins idea,
// kept simple). A record is
//   u32 BE sealed length | u32 BE crc32 of the sealed bytes | sealed bytes
// so a truncated or altered record is caught before it reaches the AEAD. Nothing else is
// written: no key names, no plaintext; which entry owns a record is known only in memory.
//
// The crc and the AEAD do not tell an older sealed copy of the same key from the current one
// (same key, same binding): whoever can write the spill directory could roll a value back. So
// each entry's reference also keeps the digest of the record written for it (Sealer.digest, the
// value's AEAD tag: 16 bytes in memory per spilled value), and a record read back must match it.
//
// Writes are synchronous and batched: tmpfs is RAM, a batch is one writev of at most a quarter
// segment, and the entry flips to "spilled" atomically with the write. Reads are asynchronous
// (libuv threadpool) so a client waiting for a spilled value never blocks the others.
//
// Quota: the files' total size (headers included) never exceeds `quota`. New spills stop one
// segment short of it, so compaction (which copies live records before deleting a segment)
// always has room to run.

import { closeSync, ftruncateSync, openSync, read, readSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DIGEST_BYTES, Sealer } from '../seal/sealer.js';
import { stringEntry, type SpillRef, type StringEntry } from '../store/keyspace.js';

/** A reference to a record of `sealed` at offset in segment, carrying its digest. */
function refTo(segment: number, offset: number, sealed: Buffer): SpillRef {
  const d = Sealer.digest(sealed);
  const word = (i: number) => ((d[i]! << 24) | (d[i + 1]! << 16) | (d[i + 2]! << 8) | d[i + 3]!) | 0;
  return { segment, offset, length: sealed.length, d0: word(0), d1: word(4), d2: word(8), d3: word(12) };
}

/** Whether sealed is the record ref was taken from (its digest matches). */
function isRecordOf(ref: SpillRef, sealed: Buffer): boolean {
  const d = Sealer.digest(sealed);
  if (d.length !== DIGEST_BYTES) return false;
  const view = Buffer.from(d.buffer, d.byteOffset, DIGEST_BYTES);
  return view.readInt32BE(0) === ref.d0 && view.readInt32BE(4) === ref.d1 && view.readInt32BE(8) === ref.d2 && view.readInt32BE(12) === ref.d3;
}

export const RECORD_HEADER = 8;
/** Compaction rewrites a segment once at least this share of it is garbage. */
const COMPACT_RATIO = 0.5;

interface Segment {
  id: number;
  fd: number;
  path: string;
  /** File size: every record ever appended. */
  size: number;
  liveBytes: number;
  /** The entries whose records live here, each with the id of the key that sealed its value. */
  live: Map<StringEntry, number>;
  /** Asynchronous reads in flight: the file is neither compacted nor deleted meanwhile. */
  reading: number;
}

export interface ReadBack {
  sealed: Buffer;
  /** False when the record was truncated, altered or unreadable. */
  intact: boolean;
}

export class SegmentStore {
  /** Bytes of all segment files. */
  used = 0;
  liveBytes = 0;
  liveRecords = 0;
  recordsWritten = 0;
  reads = 0;
  compactions = 0;
  /** The filesystem answered ENOSPC (a tmpfs smaller than the quota): no writes until space is freed. */
  full = false;
  /** Live records per id of the key that sealed them (SEAL STATUS, key rotation). */
  readonly byKeyId = new Map<number, number>();
  readonly segmentSize: number;

  private segments = new Map<number, Segment>();
  private active: Segment | null = null;
  private nextId = 1;

  constructor(
    private readonly dir: string,
    readonly quota: number,
  ) {
    this.segmentSize = Math.max(64 * 1024, Math.min(1024 * 1024, Math.floor(quota / 8)));
  }

  /** Bytes a new batch may take: the quota minus one segment kept back for compaction. */
  room(): number {
    return this.full ? 0 : Math.max(0, Math.min(this.quota - this.segmentSize - this.used, this.segmentSize / 4));
  }

  /**
   * Appends the sealed values of `entries` in one write and points each entry at its record
   * (entry.spilled). Returns how many were stored: all of them, or 0 when the filesystem is full
   * (the values then simply stay in memory).
   */
  append(entries: readonly StringEntry[]): number {
    let bytes = 0;
    for (const e of entries) bytes += RECORD_HEADER + e.value.length;
    if (bytes === 0 || bytes > this.quota - this.used) return 0;
    let seg = this.active;
    if (seg === null || seg.size + bytes > this.segmentSize) seg = this.roll();
    if (seg === null) return 0;
    const headers = Buffer.allocUnsafe(RECORD_HEADER * entries.length);
    const parts: Buffer[] = [];
    entries.forEach((e, i) => {
      headers.writeUInt32BE(e.value.length, i * RECORD_HEADER);
      headers.writeUInt32BE(crc32(e.value), i * RECORD_HEADER + 4);
      parts.push(headers.subarray(i * RECORD_HEADER, (i + 1) * RECORD_HEADER), e.value);
    });
    if (!this.write(seg, parts, bytes)) return 0;
    let offset = seg.size;
    for (const e of entries) {
      const sealed = e.value;
      e.spilled = refTo(seg.id, offset, sealed);
      const keyId = Sealer.keyId(sealed);
      seg.live.set(e, keyId);
      this.countKeyId(keyId, 1);
      offset += RECORD_HEADER + e.value.length;
    }
    seg.size += bytes;
    seg.liveBytes += bytes;
    this.used += bytes;
    this.liveBytes += bytes;
    this.liveRecords += entries.length;
    this.recordsWritten += entries.length;
    return entries.length;
  }

  /** The id of the key that sealed a spilled entry's value, or undefined if it is not spilled here. */
  keyIdOf(entry: StringEntry): number | undefined {
    const ref = entry.spilled;
    return ref === undefined ? undefined : this.segments.get(ref.segment)?.live.get(entry);
  }

  /**
   * Replaces a spilled entry's record with a new one holding `sealed` (key rotation re-sealing
   * it). All or nothing: false, with the old record kept, when the batch room cannot take it.
   */
  rewrite(entry: StringEntry, sealed: Buffer): boolean {
    if (entry.spilled === undefined || RECORD_HEADER + sealed.length > this.room()) return false;
    // append() points the entries it is given at their new records: a stand-in takes the new
    // record until the old one is freed, then hands it over to the entry.
    const standIn = stringEntry(sealed, entry.expiresAt, entry.touchedAt);
    if (this.append([standIn]) === 0) return false;
    this.free(entry);
    const ref = standIn.spilled!;
    const seg = this.segments.get(ref.segment)!;
    seg.live.set(entry, seg.live.get(standIn)!);
    seg.live.delete(standIn);
    entry.spilled = ref;
    return true;
  }

  /**
   * Reads a spilled entry's record asynchronously and checks it against its header and the
   * digest kept in ref: anything but the record written for this reference is not intact.
   */
  read(ref: SpillRef): Promise<ReadBack> {
    const seg = this.segments.get(ref.segment);
    const record = Buffer.allocUnsafeSlow(RECORD_HEADER + ref.length);
    const sealed = record.subarray(RECORD_HEADER);
    if (seg === undefined) return Promise.resolve({ sealed, intact: false });
    seg.reading++;
    this.reads++;
    return new Promise((resolve) => {
      read(seg.fd, record, 0, record.length, ref.offset, (err, n) => {
        seg.reading--;
        this.reclaimIfEmpty(seg);
        resolve({ sealed, intact: !err && n === record.length && checkRecord(record, ref.length) && isRecordOf(ref, sealed) });
      });
    });
  }

  /**
   * read() done synchronously (a snapshot serializing a spilled value mid-slice): on tmpfs a
   * read is a memory copy.
   */
  readNow(ref: SpillRef): ReadBack {
    const seg = this.segments.get(ref.segment);
    const record = Buffer.allocUnsafeSlow(RECORD_HEADER + ref.length);
    const sealed = record.subarray(RECORD_HEADER);
    if (seg === undefined) return { sealed, intact: false };
    this.reads++;
    let n = 0;
    try {
      n = readSync(seg.fd, record, 0, record.length, ref.offset);
    } catch {
      return { sealed, intact: false };
    }
    return { sealed, intact: n === record.length && checkRecord(record, ref.length) && isRecordOf(ref, sealed) };
  }

  /** The entry's record becomes garbage (overwritten, deleted, expired or read back). */
  free(entry: StringEntry): void {
    const ref = entry.spilled;
    if (ref === undefined) return;
    entry.spilled = undefined;
    const seg = this.segments.get(ref.segment);
    const keyId = seg?.live.get(entry);
    if (seg === undefined || keyId === undefined) return;
    seg.live.delete(entry);
    this.countKeyId(keyId, -1);
    const bytes = RECORD_HEADER + ref.length;
    seg.liveBytes -= bytes;
    this.liveBytes -= bytes;
    this.liveRecords--;
    this.reclaimIfEmpty(seg);
  }

  /**
   * One bounded step of compaction: the segment with the most garbage (at least half) has its
   * live records copied to the active segment and is deleted. At most one segment per call.
   */
  compactStep(): void {
    let victim: Segment | null = null;
    for (const seg of this.segments.values()) {
      if (seg.reading > 0 || seg.size === 0) continue;
      if ((seg.size - seg.liveBytes) / seg.size < COMPACT_RATIO) continue;
      if (victim === null || seg.liveBytes / seg.size < victim.liveBytes / victim.size) victim = seg;
    }
    if (victim === null) return;
    // The active segment qualifies too (a quiet server would otherwise keep its garbage): new
    // records then go to a fresh segment.
    if (victim === this.active) this.active = null;
    if (victim.live.size === 0) return this.reclaim(victim);
    if (this.used + victim.liveBytes > this.quota) return;
    let target = this.active;
    if (target === null || target.size + victim.liveBytes > this.segmentSize) target = this.roll();
    if (target === null) return;
    // Records are copied as they are, header included: a damaged one stays detectably damaged.
    const moved = [...victim.live.keys()];
    const parts: Buffer[] = [];
    for (const e of moved) {
      const ref = e.spilled!;
      const record = Buffer.allocUnsafe(RECORD_HEADER + ref.length);
      readSync(victim.fd, record, 0, record.length, ref.offset);
      parts.push(record);
    }
    if (!this.write(target, parts, victim.liveBytes)) return;
    let offset = target.size;
    for (const e of moved) {
      const { length, d0, d1, d2, d3 } = e.spilled!;
      e.spilled = { segment: target.id, offset, length, d0, d1, d2, d3 };
      target.live.set(e, victim.live.get(e)!);
      offset += RECORD_HEADER + length;
    }
    target.size += victim.liveBytes;
    target.liveBytes += victim.liveBytes;
    this.used += victim.liveBytes;
    victim.live.clear();
    victim.liveBytes = 0;
    this.compactions++;
    this.reclaim(victim);
  }

  /** Closes and deletes every segment (shutdown). */
  close(): void {
    for (const seg of [...this.segments.values()]) this.reclaim(seg, true);
    this.active = null;
  }

  private roll(): Segment | null {
    if (this.active !== null && this.active.live.size === 0 && this.active.reading === 0) this.reclaim(this.active, true);
    const id = this.nextId++;
    const path = join(this.dir, `seg-${id}.bin`);
    let fd: number;
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch {
      this.full = true;
      return null;
    }
    const seg: Segment = { id, fd, path, size: 0, liveBytes: 0, live: new Map(), reading: 0 };
    this.segments.set(id, seg);
    this.active = seg;
    return seg;
  }

  /** One writev at the segment's end; on ENOSPC or a short write the file is cut back and we are "full". */
  private write(seg: Segment, parts: Buffer[], bytes: number): boolean {
    let written = 0;
    try {
      written = writevSync(seg.fd, parts, seg.size);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
    if (written === bytes) return true;
    this.full = true;
    try {
      ftruncateSync(seg.fd, seg.size);
    } catch {
      // Best effort: the bytes past seg.size are never referenced either way.
    }
    return false;
  }

  private reclaimIfEmpty(seg: Segment): void {
    if (seg.live.size === 0 && seg !== this.active) this.reclaim(seg);
  }

  private reclaim(seg: Segment, force = false): void {
    if (this.segments.get(seg.id) !== seg || (seg.reading > 0 && !force)) return;
    closeSync(seg.fd);
    try {
      unlinkSync(seg.path);
    } catch {
      // Already gone (the directory was wiped by hand): nothing left to free.
    }
    this.segments.delete(seg.id);
    this.used -= seg.size;
    this.liveBytes -= seg.liveBytes;
    this.liveRecords -= seg.live.size;
    for (const [e, keyId] of seg.live) {
      e.spilled = undefined;
      this.countKeyId(keyId, -1);
    }
    if (this.active === seg) this.active = null;
    this.full = false;
  }

  private countKeyId(keyId: number, delta: number): void {
    const n = (this.byKeyId.get(keyId) ?? 0) + delta;
    if (n === 0) this.byKeyId.delete(keyId);
    else this.byKeyId.set(keyId, n);
  }
}

function checkRecord(record: Buffer, length: number): boolean {
  if (record.readUInt32BE(0) !== length) return false;
  return record.readUInt32BE(4) === crc32(record.subarray(RECORD_HEADER));
}
