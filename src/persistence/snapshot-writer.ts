// Writes a sealed snapshot (format: snapshot-format.ts) while the server keeps serving: no fork
// in Node, so the keyspace is walked in time slices of about a millisecond, with setImmediate
// between them (dragonfly's snapshot.cc serializes while serving in the same spirit).
//
// Consistency: the snapshot is the keyspace as it was at one instant, the "consistent point",
// which is the END of the capture, not its start. Why not copy-on-write: saving a key's old
// state before a write needs a hook BEFORE every write, and writes come from many places
// (commands, MULTI, scripts, blocked clients served, expiry, eviction, SWAPDB, replication);
// every one of them ends in the keyspace's one "key changed" signal (Keyspace.signal), which
// comes AFTER the write. So the capture listens to that signal: it walks every database (a
// KeyWalk visits every key present for the whole walk), and each key written while the capture
// runs is marked dirty and written again, in catch-up passes, as it is then (DEL when it is
// gone). Each pass has fewer keys (only what clients wrote during the previous one); when few
// are left (FINAL_KEYS), or after MAX_ROUNDS passes, the last ones are written in one
// synchronous step, in which nothing else runs: at that instant every key's latest record
// holds its value, so loading the records in order gives exactly the keyspace of that instant.
// FLUSHDB/FLUSHALL during the capture write a FLUSH operation at their place in the stream;
// SWAPDB starts the capture over behind a RESET (rare; correctness over cleverness).
// Why not a point-in-time copy of the sealed entries: copying 1 M entries at the start would
// itself be the stall BGSAVE must avoid.
//
// Values are written the DUMP way (codecs.ts): opened from their home and written in the
// record's plaintext, which is sealed as a whole under the snapshot key (seal/snapshot.ts) and
// wiped. Key names are in the sealed plaintext too (with --seal-keys opened from their sealed
// copy straight into the record buffer), so the file never holds a plaintext name or value.

import { randomFillSync } from 'node:crypto';
import { listpackLimits } from '../commands/hashes/hash-fields.js';
import type { Server } from '../commands/types.js';
import { Sealer, SealError } from '../seal/sealer.js';
import { CHAIN_BYTES, RECORD_SEAL_OVERHEAD, type SnapshotSealer } from '../seal/snapshot.js';
import { Purpose } from '../seal/values.js';
import { BoxedString, Kind, type Entry, type Keyspace, type KeyWalk } from '../store/keyspace.js';
import type { DbEvent, KeyEvent, KeyListener } from '../store/key-events.js';
import { writeValue } from './codecs.js';
import { PAYLOAD_VERSION, PayloadWriter, type OpenElement, type ValueHome } from './payload.js';
import {
  FLAG_SEALED_NAMES, FORMAT_VERSION, HEADER_BYTES, MAC_OFFSET, Op, RECORD_HEAD, RECORD_TARGET_BYTES, SnapshotError,
  TAG_RECORD, TAG_TRAILER, TRAILER_BYTES, TRAILER_MACED, writeHeader,
} from './snapshot-format.js';

/** What a snapshot needs of the server. */
export type SnapshotServer = Pick<Server, 'databases' | 'values' | 'members' | 'names' | 'config' | 'clock' | 'spill' | 'stats'> & {
  readonly persistence: { readonly sealer: SnapshotSealer };
};

export interface SnapshotOptions {
  /**
   * Called once, synchronously, at the consistent point: the snapshot holds every write made
   * before it and none made after it (replication starts its write stream there).
   */
  atPoint?: () => void;
  /** Milliseconds of work per slice between event-loop turns (default 1). */
  sliceMs?: number;
  /** Stops the capture at its next slice; the iterator then throws SnapshotError('aborted'). */
  signal?: AbortSignal;
  /** Dirty keys left at which the rest is written in one synchronous step (default 2000). */
  finalKeys?: number;
}

/** What a finished snapshot held. */
export interface SnapshotSummary {
  bytes: number;
  records: number;
  /** KEY operations written (a key written again during catch-up counts twice). */
  keys: number;
  /** Catch-up passes after the walk. */
  rounds: number;
}

/** Dirty keys left at which the rest is written in one synchronous step. */
const FINAL_KEYS = 2000;
/** Catch-up passes after which the rest is written synchronously however many are left. */
const MAX_ROUNDS = 40;
/** Keys between two looks at the clock. */
const CLOCK_EVERY = 8;

/**
 * One capture: header, records as slices produce them, trailer. Driven by snapshotChunks()
 * (cooperative) or snapshotSync() (SAVE, SHUTDOWN: one step).
 */
export class SnapshotCapture implements KeyListener {
  readonly header: Buffer;
  private readonly fileId = Buffer.allocUnsafeSlow(16);
  private readonly sealer: SnapshotSealer;
  /** Operations not sealed yet (plaintext; wiped after each record). */
  private readonly out = new PayloadWriter(RECORD_TARGET_BYTES + 4096);
  /** The chain's current link. */
  private readonly link = Buffer.alloc(CHAIN_BYTES);
  private ready: Buffer[] = [];
  private readonly dirty = new Map<Keyspace, Set<string>>();
  /** Keys of the pass being written: [db, keys] not reached yet. */
  private draining: [Keyspace, string[]][] = [];
  private walks: [Keyspace, KeyWalk][] = [];
  private walkAt = 0;
  private walking = true;
  private restart = false;
  private finished = false;
  private closed = false;
  records = 0;
  keys = 0;
  bytes = 0;
  rounds = 0;

  constructor(
    private readonly server: SnapshotServer,
    private readonly options: SnapshotOptions = {},
  ) {
    this.sealer = server.persistence.sealer;
    randomFillSync(this.fileId);
    this.header = writeHeader({
      formatVersion: FORMAT_VERSION,
      flags: server.names.sealed ? FLAG_SEALED_NAMES : 0,
      payloadVersion: PAYLOAD_VERSION,
      keyId: this.sealer.keyId,
      fileId: this.fileId,
      createdAt: server.clock(),
    });
    this.sealer.link(this.header, this.link, 0);
    this.bytes = HEADER_BYTES;
    for (const db of server.databases) db.listen(this);
    this.startWalks();
  }

  // ---- the keyspace's signal ----

  keyChanged(db: Keyspace, key: string, _event: KeyEvent, _kind: Kind): void {
    let keys = this.dirty.get(db);
    if (keys === undefined) this.dirty.set(db, (keys = new Set()));
    keys.add(key);
  }

  dbChanged(db: Keyspace, event: DbEvent): void {
    if (event === 'swap') {
      this.restart = true;
      return;
    }
    // 'flush' comes before the keys go: everything written for this database so far is void.
    const index = this.server.databases.indexOf(db);
    if (index < 0) return;
    this.out.u8(Op.Flush);
    this.out.u32(index);
    this.dirty.get(db)?.clear();
    for (const pass of this.draining) if (pass[0] === db) pass[1].length = 0;
  }

  // ---- driving ----

  /**
   * Works until `deadline` (performance.now()) or the end; returns true once the snapshot is
   * complete (the consistent point has passed). Sealed records wait in take().
   */
  step(deadline: number): boolean {
    if (this.finished) return true;
    if (this.options.signal?.aborted) throw new SnapshotError('snapshot aborted');
    let n = 0;
    for (;;) {
      if (this.restart) this.startOver();
      if (++n % CLOCK_EVERY === 0 && performance.now() >= deadline) break;
      if (this.walking) {
        if (!this.walkOne()) this.walking = false;
        continue;
      }
      if (this.drainOne()) continue;
      // A pass is over: take the keys written meanwhile as the next one, or finish.
      let left = 0;
      for (const keys of this.dirty.values()) left += keys.size;
      if (left <= (this.options.finalKeys ?? FINAL_KEYS) || this.rounds >= MAX_ROUNDS) {
        this.finish();
        break;
      }
      this.rounds++;
      this.nextPass();
    }
    this.sealPending();
    return this.finished;
  }

  /** Sealed bytes produced so far and not yet taken (header and trailer apart). */
  take(): Buffer[] {
    const chunks = this.ready;
    this.ready = [];
    return chunks;
  }

  /** The trailer; only once step() returned true. */
  trailer(): Buffer {
    if (!this.finished) throw new Error('snapshot not finished');
    const t = Buffer.alloc(TRAILER_BYTES);
    t[0] = TAG_TRAILER;
    t.writeBigUInt64BE(BigInt(this.records), 1);
    t.writeBigUInt64BE(BigInt(this.keys), 9);
    t.writeBigUInt64BE(BigInt(this.bytes), 17);
    this.link.copy(t, 25);
    const covered = Buffer.concat([this.header, t.subarray(0, TRAILER_MACED)]);
    this.sealer.mac(covered, t, MAC_OFFSET);
    return t;
  }

  get summary(): SnapshotSummary {
    return { bytes: this.bytes + (this.finished ? TRAILER_BYTES : 0), records: this.records, keys: this.keys, rounds: this.rounds };
  }

  /** Stops listening and wipes what is pending (done, aborted or abandoned). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const db of this.server.databases) db.unlisten(this);
    this.out.wipe();
    this.dirty.clear();
    this.draining = [];
    this.walks = [];
  }

  // ---- the work ----

  private startWalks(): void {
    this.walks = this.server.databases.map((db) => [db, db.walk()]);
    this.walkAt = 0;
    this.walking = true;
  }

  /** SWAPDB ran: what was written is void; walk everything again. */
  private startOver(): void {
    this.restart = false;
    this.out.u8(Op.Reset);
    this.dirty.clear();
    this.draining = [];
    this.rounds = 0;
    this.startWalks();
  }

  /** Writes the walk's next key; false when every database was walked. */
  private walkOne(): boolean {
    while (this.walkAt < this.walks.length) {
      const [db, walk] = this.walks[this.walkAt]!;
      const key = walk.next();
      if (key === undefined) {
        this.walkAt++;
        continue;
      }
      // Written now as it is: an earlier write to it is in this record already.
      this.dirty.get(db)?.delete(key);
      const entry = db.peek(key);
      if (entry !== undefined && (entry.expiresAt === 0 || entry.expiresAt > this.server.clock())) this.writeKey(db, key, entry);
      return true;
    }
    return false;
  }

  private nextPass(): void {
    for (const [db, keys] of this.dirty) if (keys.size > 0) this.draining.push([db, [...keys]]);
    this.dirty.clear();
  }

  /** Writes the next key of the current pass (or DEL when it is gone); false when the pass is over. */
  private drainOne(): boolean {
    while (this.draining.length > 0) {
      const pass = this.draining[this.draining.length - 1]!;
      const key = pass[1].pop();
      if (key === undefined) {
        this.draining.pop();
        continue;
      }
      const db = pass[0];
      this.dirty.get(db)?.delete(key);
      const entry = db.peek(key);
      if (entry !== undefined && (entry.expiresAt === 0 || entry.expiresAt > this.server.clock())) this.writeKey(db, key, entry);
      else this.writeDel(db, key);
      return true;
    }
    return false;
  }

  /** The consistent point: every dirty key written in this one synchronous step. */
  private finish(): void {
    this.nextPass();
    while (this.drainOne());
    this.finished = true;
    this.sealPending();
    for (const db of this.server.databases) db.unlisten(this);
    this.options.atPoint?.();
  }

  private writeKey(db: Keyspace, key: string, entry: Entry): void {
    const out = this.out;
    const start = out.length;
    try {
      out.u8(Op.Key);
      out.u32(this.indexOf(db));
      out.f64(entry.expiresAt);
      this.writeName(key, entry);
      const at = out.length;
      out.u32(0);
      const value = this.valueOf(key, entry);
      if (value.kind === Kind.String && !Sealer.isChunked(value.value)) {
        // The usual case, the codec's layout for a string written without a plaintext copy:
        // the value opens straight into the record buffer (wiped with it).
        const sealed = value.value;
        const values = this.server.values;
        out.u8(PAYLOAD_VERSION);
        out.u8(Kind.String);
        out.fillWith(Sealer.plainLength(sealed), (target, to) => values.openValueAt(db.uid, key, sealed, 0, sealed.length, target, to));
      } else {
        const home: ValueHome = { ctx: { server: this.server, db }, key, hashLimits: this.hashLimits() };
        writeValue(value, out, opener(this.server, db.uid, key), home, PAYLOAD_VERSION);
      }
      out.patchU32(at, out.length - at - 4);
    } catch (err) {
      if (err instanceof SealError) throw new SnapshotError(`a stored value failed to open while saving (${err.message})`);
      throw err;
    }
    this.keys++;
    if (out.length - start > 0 && out.length >= RECORD_TARGET_BYTES) this.sealPending();
  }

  private writeDel(db: Keyspace, key: string): void {
    this.out.u8(Op.Del);
    this.out.u32(this.indexOf(db));
    // A key that is gone has no sealed name left to open: with --seal-keys its lookup hash
    // (a keyed hash, no plaintext) names it; the loader files by the same hash.
    this.out.latin1(key);
  }

  private writeName(key: string, entry: Entry): void {
    if (!this.server.names.sealed) return this.out.latin1(key);
    const sealed = entry.sealedName;
    if (sealed === undefined) throw new SnapshotError('a key has no sealed name');
    const names = this.server.names;
    this.out.fillWith(Sealer.plainLength(sealed), (target, at) => names.openInto(key, sealed, target, at));
  }

  /** A spilled string's sealed bytes are on tmpfs: read back (a memory copy) for the writing. */
  private valueOf(key: string, entry: Entry): Entry {
    if (entry.kind !== Kind.String || entry.spilled === undefined) return entry;
    const spill = this.server.spill;
    if (spill === null) throw new SnapshotError('a spilled value without a spill tier');
    const back = spill.store.readNow(entry.spilled);
    if (!back.intact) throw new SnapshotError(`a spilled value could not be read back intact (key of ${key.length} bytes)`);
    return new BoxedString(back.sealed, entry.expiresAt, entry.touchedAt);
  }

  private indexOf(db: Keyspace): number {
    const index = this.server.databases.indexOf(db);
    if (index < 0) throw new SnapshotError('a database left the server while saving');
    return index;
  }

  private limits: ValueHome['hashLimits'] | null = null;

  private hashLimits(): ValueHome['hashLimits'] {
    return (this.limits ??= listpackLimits({ server: this.server } as Parameters<typeof listpackLimits>[0]));
  }

  /** Seals the pending operations as the next record. */
  private sealPending(): void {
    const plain = this.out.view();
    if (plain.length === 0) return;
    const body = RECORD_SEAL_OVERHEAD + plain.length;
    // The previous link first, so the new link hashes (previous link || record) without a copy.
    const linked = Buffer.allocUnsafeSlow(CHAIN_BYTES + RECORD_HEAD + body);
    this.link.copy(linked, 0);
    linked[CHAIN_BYTES] = TAG_RECORD;
    linked.writeUInt32BE(body, CHAIN_BYTES + 1);
    try {
      this.sealer.sealRecord(plain, this.fileId, this.records, linked, CHAIN_BYTES + RECORD_HEAD);
    } finally {
      this.out.wipe();
    }
    this.sealer.link(linked, this.link, 0);
    this.records++;
    this.bytes += linked.length - CHAIN_BYTES;
    this.ready.push(linked.subarray(CHAIN_BYTES));
  }
}

/** Opens any element of the value at key in database uid, by what it is (commands/cluster/dump.ts's opener). */
function opener(server: SnapshotServer, db: number, key: string): OpenElement {
  const values = server.values;
  return (sealed, purpose, bind) => {
    if (purpose === Purpose.StringValue) return values.openValue(db, key, sealed);
    return values.openElement(purpose as Parameters<typeof values.openElement>[0], db, key, sealed, bind);
  };
}
