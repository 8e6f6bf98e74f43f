// What crosses the replication link. Redis sends the command text of each write; here that text
// would carry plaintext values, so the stream carries effects instead: after each write, per key
// it changed, the key's whole new state (its value serialized by the DUMP codecs and sealed as a
// whole under the transport key, src/seal/transport.ts) or its deletion, with the expiry as an
// absolute time. Database-wide events (FLUSHDB/FLUSHALL, SWAPDB, SEAL ROTATE) carry no data.
//
// Each record is a RESP multibulk command, so offsets count bytes as Redis's do:
//   SKV.KEY <sealed>       the sealed plaintext is: version, op (set | del), db index, lookup
//                          name, then for set: expiry (unix ms, 0 = none), the key's name when
//                          --seal-keys is on (the lookup name is then a keyed hash), the value.
//   SKV.FLUSH <db | -1>    SKV.SWAP <a> <b>    SKV.ROTATE    PING    REPLCONF GETACK *
//   SKV.FUNCS <sealed>     every function library (FUNCTION DUMP's payload): a replica replaces its own
// A record says what a key IS, never how it changed, so applying one twice or late is harmless:
// the full copy walks the keyspace while writes go on and the records sent after it settle it.

import type { Server } from '../commands/types.js';
import { PAYLOAD_VERSION, PayloadReader, PayloadWriter, type OpenElement, type RestoreTools, type SealElement } from '../persistence/payload.js';
import { readValue, writeValue } from '../persistence/codecs.js';
import { SealedKeyNames } from '../seal/key-names.js';
import { Sealer } from '../seal/sealer.js';
import { Purpose } from '../seal/values.js';
import { Kind, stringEntry, type Entry, type Keyspace } from '../store/keyspace.js';
import { opsOf } from '../store/types/index.js';

const RECORD_VERSION = 1;
const OP_SET = 1;
const OP_DEL = 2;

export class LinkError extends Error {}

/** A RESP multibulk of the given parts. */
export function command(...parts: (string | Buffer)[]): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`, 'latin1')];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    chunks.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, CRLF);
  }
  return Buffer.concat(chunks);
}

const CRLF = Buffer.from('\r\n');

function hashLimits(server: Server): { entries: number; value: number } {
  return { entries: server.config.number('hash-max-listpack-entries'), value: server.config.number('hash-max-listpack-value') };
}

/**
 * Writes key of db (its present state, or its deletion when absent) into out; false when the
 * value cannot be read right now (a spilled value whose record does not read back intact).
 */
function writeEntry(server: Server, out: PayloadWriter, dbIndex: number, db: Keyspace, key: string): boolean {
  const entry = db.peek(key);
  out.u8(entry === undefined ? OP_DEL : OP_SET);
  out.u32(dbIndex);
  out.latin1(key);
  if (entry === undefined) return true;
  let value: Entry = entry;
  if (entry.kind === Kind.String && entry.spilled !== undefined) {
    // A spilled value: its sealed bytes are read back from tmpfs (synchronously: memory).
    const back = server.spill?.store.readNow(entry.spilled);
    if (back === undefined || !back.intact) return false;
    value = stringEntry(back.sealed, entry.expiresAt, entry.touchedAt);
  }
  out.f64(entry.expiresAt);
  const names = server.names;
  if (names instanceof SealedKeyNames && entry.sealedName !== undefined) {
    const plain = Buffer.from(new ArrayBuffer(Sealer.plainLength(entry.sealedName)));
    names.openInto(key, entry.sealedName, plain, 0);
    out.opened(plain);
  } else {
    out.u32(0);
  }
  const values = server.values;
  const uid = db.uid;
  const open: OpenElement = (sealed, purpose, bind) =>
    purpose === Purpose.StringValue
      ? values.openValue(uid, key, sealed)
      : values.openElement(purpose as Parameters<typeof values.openElement>[0], uid, key, sealed, bind);
  writeValue(value, out, open, { ctx: { server, db: { uid } }, key, hashLimits: hashLimits(server) }, PAYLOAD_VERSION);
  return true;
}

/** Plaintext of a batch past this size is sealed as a record of its own. */
const BATCH_BYTES = 256 * 1024;

/**
 * The keys one flush changed, as SKV.KEY records: each key's entry length-prefixed, many keys
 * sealed together (one seal per flush rather than per key), so the replica applies them together.
 */
export class RecordBatch {
  private out: PayloadWriter | null = null;
  private readonly sealed: Buffer[] = [];

  constructor(private readonly server: Server) {}

  /** Adds key's record; false when its value cannot be read now (retried at the next flush). */
  add(dbIndex: number, db: Keyspace, key: string): boolean {
    const entry = new PayloadWriter();
    try {
      try {
        if (!writeEntry(this.server, entry, dbIndex, db, key)) return false;
      } catch (err) {
        // A value that does not open (damaged in memory): the replicas keep what they had of
        // this key rather than the primary stopping; the seal failure is counted and logged.
        this.server.stats.sealFailures++;
        this.server.log.error({ db: dbIndex, err: (err as Error).name }, 'a changed value could not be opened for the replication stream; replicas keep their copy');
        return true;
      }
      if (this.out === null) {
        this.out = new PayloadWriter(Math.max(256, entry.length + 16));
        this.out.u8(RECORD_VERSION);
      }
      this.out.bytes(entry.view());
    } finally {
      entry.wipe();
    }
    if (this.out.length > BATCH_BYTES) this.seal();
    return true;
  }

  private seal(): void {
    if (this.out === null) return;
    try {
      this.sealed.push(command('SKV.KEY', this.server.transport.seal(this.out.view())));
    } finally {
      this.out.wipe();
      this.out = null;
    }
  }

  /** The records, sealed. */
  take(): Buffer[] {
    this.seal();
    return this.sealed.splice(0);
  }
}

/**
 * Applies one SKV.KEY record to the databases (the replica side). Throws LinkError when the
 * record does not open (another master key, or damage): the link is then dropped.
 */
export function applyKeyRecord(server: Server, sealed: Buffer, now: number): void {
  const plain = server.transport.open(sealed);
  if (plain === null) throw new LinkError('a replication record does not open: the master uses another master key, or the stream is damaged');
  try {
    const input = new PayloadReader(plain);
    if (input.u8() !== RECORD_VERSION) throw new LinkError('replication record of an unknown version');
    // The master's writes: keys it gives a TTL are for it to delete (Keyspace.fromMaster).
    for (const db of server.databases) db.fromMaster = true;
    while (!input.done) applyEntry(server, new PayloadReader(input.bytes()), now);
  } finally {
    for (const db of server.databases) db.fromMaster = false;
    plain.fill(0);
  }
}

/** One key's entry of an SKV.KEY record. */
function applyEntry(server: Server, input: PayloadReader, now: number): void {
  const op = input.u8();
  const dbIndex = input.u32();
  const key = input.latin1();
  const db = server.databases[dbIndex];
  if (db === undefined) throw new LinkError(`replication record for database ${dbIndex}, which this server does not have`);
  if (op === OP_DEL) {
    db.delete(key, 'del');
    return;
  }
  if (op !== OP_SET) throw new LinkError('replication record of an unknown kind');
  const expiresAt = input.f64();
  const name = input.bytes();
  const values = server.values;
  const uid = db.uid;
  const seal: SealElement = (p, purpose, bind) =>
    purpose === Purpose.StringValue
      ? values.sealValue(uid, key, p)
      : values.sealElement(purpose as Parameters<typeof values.sealElement>[0], uid, key, p, bind);
  const tools: RestoreTools = {
    seal,
    home: { ctx: { server, db: { uid } }, key, hashLimits: hashLimits(server) },
    digest: (member, out, at) => server.members.digestInto(member, out, at),
    now,
    streamLimits: { maxEntries: server.config.number('stream-node-max-entries'), maxBytes: server.config.number('stream-node-max-bytes') },
  };
  const sealedName = server.names.sealed && name.length > 0 ? values.sealName(key, name) : undefined;
  const entry = readValue(input, tools, PAYLOAD_VERSION);
  entry.expiresAt = expiresAt;
  entry.touchedAt = now;
  if (sealedName !== undefined) entry.sealedName = sealedName;
  else if (server.names.sealed) {
    opsOf(entry).release?.(entry);
    throw new LinkError('replication record without a key name while seal-keys is on (the master runs without --seal-keys?)');
  }
  db.set(key, entry, 'restore');
}
