// Loads a sealed snapshot (format: snapshot-format.ts) all or nothing:
//   1. verify: header (magic, format version, master key id), every record's framing and the
//      hash chain, the trailer's counts and the MAC, all before anything is opened;
//   2. stage: open each record and build its keys' values, sealed for their new home, in
//      maps of our own (nothing in the keyspace yet); any failure releases them all;
//   3. swap: only now are the databases emptied and filled from the staging maps.
// A SnapshotError names what is wrong for the operator; the keyspace is untouched by a failure.

import { timingSafeEqual } from 'node:crypto';
import { listpackLimits } from '../commands/hashes/hash-fields.js';
import { SealError } from '../seal/sealer.js';
import { CHAIN_BYTES, type SnapshotSealer } from '../seal/snapshot.js';
import { Purpose } from '../seal/values.js';
import { opsOf, type Entry } from '../store/keyspace.js';
import { readValue } from './codecs.js';
import { PAYLOAD_VERSION, PayloadError, PayloadReader, type RestoreTools, type SealElement } from './payload.js';
import {
  FLAG_SEALED_NAMES, FORMAT_VERSION, HEADER_BYTES, MAC_OFFSET, MAX_RECORD_BYTES, Op, readHeader, RECORD_HEAD, SnapshotError,
  TAG_RECORD, TAG_TRAILER, TRAILER_BYTES, TRAILER_MACED, type SnapshotHeader,
} from './snapshot-format.js';
import type { SnapshotServer } from './snapshot-writer.js';

export interface LoadSummary {
  /** Keys now in the keyspace. */
  keys: number;
  /** Keys of the snapshot already expired, not loaded. */
  expired: number;
  records: number;
  bytes: number;
  createdAt: number;
}

/** A verified snapshot: where each record's sealed body lies. */
interface Verified {
  header: SnapshotHeader;
  records: [start: number, length: number][];
  keys: number;
}

/**
 * Verifies the whole snapshot, then replaces the databases' contents with it (all or nothing).
 * `source`: the file's bytes, or the chunks of a stream (a full sync), gathered first. Throws
 * SnapshotError; then the keyspace is as it was.
 */
export async function loadSnapshot(server: SnapshotServer, source: Buffer | AsyncIterable<Buffer>): Promise<LoadSummary> {
  if (Buffer.isBuffer(source)) return loadSnapshotSync(server, source);
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return loadSnapshotSync(server, Buffer.concat(chunks));
}

/** loadSnapshot() of bytes in hand, synchronously (start-up). */
export function loadSnapshotSync(server: SnapshotServer, bytes: Buffer): LoadSummary {
  return runAll(loadSteps(server, bytes));
}

/**
 * loadSnapshot() of bytes in hand, a slice of records per event-loop turn (a replica loading its
 * full copy keeps answering, with LOADING, meanwhile). Each slice runs for about `sliceMs`;
 * `aborted()` is asked before each one: when it says so the staged keys are released and null
 * is returned, the keyspace untouched. The swap into the databases comes last, in slices too,
 * and once begun it is completed.
 */
export async function loadSnapshotSliced(
  server: SnapshotServer,
  bytes: Buffer,
  opts: { sliceMs: number; aborted: () => boolean; progress?: (loadedBytes: number) => void },
): Promise<LoadSummary | null> {
  const steps = loadSteps(server, bytes);
  // Once the swap has begun (its steps report the whole length) it is finished whatever happens:
  // giving up then would leave the databases half filled.
  let swapping = false;
  for (;;) {
    if (!swapping && opts.aborted()) {
      steps.return(undefined as never);
      return null;
    }
    const end = performance.now() + opts.sliceMs;
    for (;;) {
      const step = steps.next();
      if (step.done === true) return step.value;
      if (step.value === bytes.length) swapping = true;
      if (performance.now() >= end) {
        opts.progress?.(step.value);
        break;
      }
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Work done in steps (one record each), each yielding how far into the snapshot's bytes the
 * load is (0 while verifying: only opening records counts as loading). The synchronous paths
 * run them all at once.
 */
type Steps<T> = Generator<number, T, void>;

function runAll<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** Keys moved into the databases per step of the swap. */
const SWAP_STEP_KEYS = 2048;

function* loadSteps(server: SnapshotServer, bytes: Buffer): Steps<LoadSummary> {
  const verified = yield* verifySteps(server.persistence.sealer, bytes);
  const now = server.clock();
  const staged = yield* stageSteps(server, bytes, verified, now);
  // Step 3, the swap: every database emptied first, then filled (in steps too: a sliced load
  // answers LOADING to data commands meanwhile, so nobody reads a half-filled keyspace).
  for (let i = 0; i < staged.maps.length; i++) {
    const db = server.databases[i]!;
    if (db.size > 0) db.clear();
  }
  let keys = 0;
  for (let i = 0; i < staged.maps.length; i++) {
    const db = server.databases[i]!;
    for (const { key, entry } of staged.maps[i]!.values()) {
      db.set(key, entry, 'restore');
      if (++keys % SWAP_STEP_KEYS === 0) yield bytes.length;
    }
  }
  return { keys, expired: staged.expired, records: verified.records.length, bytes: bytes.length, createdAt: verified.header.createdAt };
}

/**
 * Checks a snapshot's first bytes (at least HEADER_BYTES) before the rest arrives: a sealkv
 * snapshot, of a format this build reads, written under this server's master key. Throws
 * SnapshotError with the reason (a full sync refuses a primary with another master key here).
 */
export function checkSnapshotHeader(server: SnapshotServer, first: Buffer): SnapshotHeader {
  return checkHeader(server.persistence.sealer, first);
}

function checkHeader(sealer: SnapshotSealer, bytes: Buffer): SnapshotHeader {
  const header = readHeader(bytes);
  if (header.formatVersion > FORMAT_VERSION) {
    throw new SnapshotError(`snapshot format version ${header.formatVersion} is newer than this sealkv reads (${FORMAT_VERSION}): upgrade sealkv to load it`);
  }
  if (header.formatVersion < 1) throw new SnapshotError(`snapshot format version ${header.formatVersion} is not a valid version`);
  if (header.payloadVersion > PAYLOAD_VERSION) {
    throw new SnapshotError(`snapshot value layout ${header.payloadVersion} is newer than this sealkv reads (${PAYLOAD_VERSION})`);
  }
  if (!header.keyId.equals(sealer.keyId)) {
    throw new SnapshotError(
      `snapshot was written under another master key (its key id ${header.keyId.toString('hex').slice(0, 16)}, ours ${sealer.keyId.toString('hex').slice(0, 16)}): start with the master key that wrote it`,
    );
  }
  return header;
}

/** Step 1: framing, chain, counts and MAC. Nothing is opened. */
export function verifySnapshot(sealer: SnapshotSealer, bytes: Buffer): Verified {
  return runAll(verifySteps(sealer, bytes));
}

function* verifySteps(sealer: SnapshotSealer, bytes: Buffer): Steps<Verified> {
  const header = checkHeader(sealer, bytes);
  const link = Buffer.alloc(CHAIN_BYTES);
  sealer.link(bytes.subarray(0, HEADER_BYTES), link, 0);
  let scratch = Buffer.allocUnsafeSlow(64 * 1024);
  const records: [number, number][] = [];
  let pos = HEADER_BYTES;
  try {
    for (;;) {
      if (pos >= bytes.length) throw new SnapshotError(`snapshot is truncated at ${bytes.length} bytes (no trailer after ${records.length} records)`);
      const tag = bytes[pos];
      if (tag === TAG_TRAILER) break;
      if (tag !== TAG_RECORD) throw new SnapshotError(`snapshot is damaged: no record starts at offset ${pos}`);
      if (pos + RECORD_HEAD > bytes.length) throw new SnapshotError(`snapshot is truncated inside record ${records.length}`);
      const body = bytes.readUInt32BE(pos + 1);
      const end = pos + RECORD_HEAD + body;
      if (body > MAX_RECORD_BYTES || end > bytes.length) throw new SnapshotError(`snapshot is truncated inside record ${records.length}`);
      const linked = CHAIN_BYTES + RECORD_HEAD + body;
      if (linked > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(linked, scratch.length * 2));
      link.copy(scratch, 0);
      bytes.copy(scratch, CHAIN_BYTES, pos, end);
      sealer.link(scratch.subarray(0, linked), link, 0);
      records.push([pos + RECORD_HEAD, body]);
      pos = end;
      yield 0;
    }
  } finally {
    scratch = Buffer.alloc(0);
  }
  if (bytes.length - pos < TRAILER_BYTES) throw new SnapshotError('snapshot is truncated inside its trailer');
  if (bytes.length - pos > TRAILER_BYTES) throw new SnapshotError(`snapshot has ${bytes.length - pos - TRAILER_BYTES} unexpected bytes after its trailer`);
  const trailer = bytes.subarray(pos);
  const mac = Buffer.alloc(CHAIN_BYTES);
  sealer.mac(Buffer.concat([bytes.subarray(0, HEADER_BYTES), trailer.subarray(0, TRAILER_MACED)]), mac, 0);
  if (!timingSafeEqual(mac, trailer.subarray(MAC_OFFSET))) {
    throw new SnapshotError('snapshot does not authenticate (MAC mismatch): its header or trailer was altered, or it was cut short');
  }
  if (!timingSafeEqual(link, trailer.subarray(25, 25 + CHAIN_BYTES))) {
    throw new SnapshotError('snapshot records were altered, reordered, dropped or replayed (hash chain mismatch)');
  }
  const count = Number(trailer.readBigUInt64BE(1));
  const keys = Number(trailer.readBigUInt64BE(9));
  const before = Number(trailer.readBigUInt64BE(17));
  if (count !== records.length || before !== pos) {
    throw new SnapshotError(`snapshot counts do not match its records (${count} announced, ${records.length} found)`);
  }
  return { header, records, keys };
}

/**
 * Staged keys of one database by the name the WRITER filed them under (its lookup string: the
 * name, or with --seal-keys its keyed hash), which is how DEL operations name them; each with
 * the lookup string of this server and the entry built for it.
 */
type StageMap = Map<string, { key: string; entry: Entry }>;

interface Staged {
  maps: StageMap[];
  expired: number;
}

function release(entry: Entry): void {
  opsOf(entry).release?.(entry);
}

function releaseAll(maps: StageMap[]): void {
  for (const map of maps) {
    for (const staged of map.values()) release(staged.entry);
    map.clear();
  }
}

/**
 * Step 2: every record opened and its operations applied to staging maps, one per database.
 * Whatever ends it early (an error, or the sliced loader giving up) releases what was staged.
 */
function* stageSteps(server: SnapshotServer, bytes: Buffer, verified: Verified, now: number): Steps<Staged> {
  const sealer = server.persistence.sealer;
  const maps: StageMap[] = server.databases.map(() => new Map());
  const writerSealed = (verified.header.flags & FLAG_SEALED_NAMES) !== 0;
  let expired = 0;
  const hashLimits = listpackLimits({ server } as unknown as Parameters<typeof listpackLimits>[0]);
  const streamLimits = { maxEntries: server.config.number('stream-node-max-entries'), maxBytes: server.config.number('stream-node-max-bytes') };
  const values = server.values;
  const dbIndex = (input: PayloadReader): number => {
    const index = input.u32();
    if (index >= maps.length) {
      throw new SnapshotError(`snapshot holds database ${index}, but this server has ${maps.length} (raise databases)`);
    }
    return index;
  };
  const drop = (map: StageMap, filed: string): void => {
    const old = map.get(filed);
    if (old !== undefined) {
      release(old.entry);
      map.delete(filed);
    }
  };
  let complete = false;
  try {
    for (let index = 0; index < verified.records.length; index++) {
      const [start, length] = verified.records[index]!;
      const plain = sealer.openRecord(bytes, start, length, verified.header.fileId, index);
      if (plain === null) throw new SnapshotError(`snapshot record ${index} does not authenticate`);
      try {
        const input = new PayloadReader(plain);
        while (!input.done) {
          const op = input.u8();
          if (op === Op.Reset) {
            releaseAll(maps);
            continue;
          }
          const db = dbIndex(input);
          const map = maps[db]!;
          if (op === Op.Flush) {
            for (const staged of map.values()) release(staged.entry);
            map.clear();
            continue;
          }
          if (op === Op.Del) {
            // The writer's lookup string: a name hash with --seal-keys, else the name's bytes
            // (filed here as this server files them, so no name becomes a string under --seal-keys).
            const raw = input.bytes();
            drop(map, writerSealed ? raw.toString('latin1') : server.names.lookupOf(raw));
            continue;
          }
          if (op !== Op.Key) throw new PayloadError('unknown operation');
          const expiresAt = input.f64();
          const name = input.bytes();
          const key = server.names.lookupOf(name);
          const filed = writerSealed && !server.names.sealed ? sealer.nameHash(name) : key;
          const value = input.bytes();
          drop(map, filed);
          if (expiresAt !== 0 && expiresAt <= now) {
            expired++;
            continue;
          }
          const uid = server.databases[db]!.uid;
          const seal: SealElement = (p, purpose, bind) => {
            if (purpose === Purpose.StringValue) return values.sealValue(uid, key, p);
            return values.sealElement(purpose as Parameters<typeof values.sealElement>[0], uid, key, p, bind);
          };
          const tools: RestoreTools = {
            seal,
            home: { ctx: { server, db: { uid } }, key, hashLimits },
            digest: (member, out, at) => server.members.digestInto(member, out, at),
            now,
            streamLimits,
          };
          const entry = readValue(new PayloadReader(value), tools, verified.header.payloadVersion);
          entry.expiresAt = expiresAt;
          if (server.names.sealed) entry.sealedName = values.sealName(key, name);
          map.set(filed, { key, entry });
        }
      } finally {
        plain.fill(0);
      }
      yield start + length;
    }
    complete = true;
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    if (err instanceof PayloadError || err instanceof RangeError) throw new SnapshotError(`snapshot content is malformed (${err.message})`);
    if (err instanceof SealError) throw new SnapshotError(`a snapshot value failed to seal or open (${err.message})`);
    throw err;
  } finally {
    if (!complete) releaseAll(maps);
  }
  return { maps, expired };
}
