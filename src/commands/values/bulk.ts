// Commands with a great many elements (SADD, HSET, ZADD, MSET... of a million arguments) must not
// freeze other clients while each element is sealed and digested on its own (issue 14, stalls).
// Such a command is prepared across event-loop turns, a few milliseconds of work per turn:
//   1. its arguments are copied (the parser wipes the request's bytes once its read is handled);
//   2. repeats are folded, where the command's outcome cannot tell: SADD k a a a is SADD k a,
//      HSET h f 1 f 2 is HSET h f 2 (the field keeps its first place), MSET too unless keyspace
//      notifications are on (Redis sends one per pair); members and fields are compared by
//      their bytes through a table of argument indexes (no copy or hash of them is kept);
//   3. each remaining member's / field's keyed digest is made, and what the command will seal
//      (each member, each field with its value, each value) is sealed ahead.
// Then the command runs as it always does, in one synchronous step (dispatch's execute: its
// reply, keyspace events, WATCH, replication, MONITOR and stats are those of that one run), with
// seal/prepared.ts handing it the digests and seals made ahead. Nothing is visible to other
// clients before that step, and what changed in between is handled there: a key deleted,
// flushed, swapped to another database or sealed under a new data key (SEAL ROTATE) simply finds
// no prepared seal that fits its context, and seals as usual. Later commands of the same
// connection wait behind it, as behind any command that waits; if the connection ends first,
// the prepared work is dropped and its buffers wiped. Inside MULTI/EXEC and scripts, commands
// run as they are (never here): Redis is atomic there too; so do commands in cluster mode.

import { randomBytes } from 'node:crypto';
import { isListHandler, type ArgList } from '../../protocol/arg-list.js';
import { LongArgs } from '../../protocol/long-args.js';
import { PreparedDigests, type PreparedSeals } from '../../seal/prepared.js';
import { CHUNK_PLAIN, OVERHEAD } from '../../seal/sealer.js';
import { Purpose, type Bind } from '../../seal/values.js';
import type { NameHasher } from '../../seal/name-hash.js';
import { fieldBytes, writeField } from '../../store/types/hash-pairs.js';
import { holdIfPaused } from '../connection/pause.js';
import { parseScore } from '../zsets/zset-entries.js';
import type { CommandSpec, Session } from '../types.js';

/**
 * Commands whose handlers take an array, yet whose long requests come as a vector (the parser's
 * keepWhole, outside MULTI): their views are made here a slice per turn, with the rest.
 */
export const WHOLE_FOR_BULK: ReadonlySet<string> = new Set(['zadd', 'zrem', 'zmscore']);

/** Commands with fewer arguments run at once: their crypto takes well under a millisecond per thousand. */
export const BULK_MIN_ARGS = 4096;
/** Work per event-loop turn. */
const SLICE_MS = 3;
const DIGEST = 16;

type Execute = (ctx: Session, spec: CommandSpec, args: ArgList, shown: ArgList) => void | Promise<void>;
type SealPurpose = Purpose.SetMember | Purpose.ZSetMember | Purpose.HashFieldName | Purpose.StringValue;

/**
 * Where a command's elements are and what is made for each. A unit is one element (step 1:
 * SADD's member) or a pair (step 2: HSET's field and value, ZADD's score and member, MSET's key
 * and value); its subject (the member, field or key) is at `subjectAt` within it, the value at
 * the other place.
 */
interface Plan {
  first: number;
  step: 1 | 2;
  subjectAt: 0 | 1;
  /** 'none': nothing to make but the views (a ZADD with options). */
  subject: 'digest' | 'key' | 'none';
  dedupe: boolean;
  seal: SealPurpose | null;
  /** ZADD: every score must parse, else the command is left to answer its error as it is. */
  scores: boolean;
  /** HSET: an overwritten value longer than this would still have changed the hash's encoding. */
  valueLimit: number;
}

function planOf(ctx: Session, name: string, args: ArgList): Plan | null {
  const base = { first: 2, step: 1, subjectAt: 0, subject: 'digest', dedupe: true, seal: null, scores: false, valueLimit: Infinity } as const;
  switch (name) {
    case 'sadd':
      // A set seals its members a node at a time (store/types/set.ts): only the digests are made ahead.
      return { ...base };
    case 'srem':
    case 'hdel':
    case 'zrem':
      return { ...base };
    case 'smismember':
    case 'hmget':
    case 'zmscore':
      return { ...base, dedupe: false };
    case 'hset':
    case 'hmset':
      if (args.length % 2 !== 0) return null;
      return { ...base, step: 2, seal: Purpose.HashFieldName, valueLimit: ctx.server.config.number('hash-max-listpack-value') };
    case 'zadd':
      // Options (NX, XX, GT, LT, CH, INCR) change what repeats mean: only the plain form.
      if (args.length % 2 !== 0 || parseScore(args.at(2)!) === null) return null;
      return { ...base, step: 2, subjectAt: 1, seal: Purpose.ZSetMember, scores: true };
    case 'mset':
    case 'msetnx':
      if (args.length % 2 !== 1) return null;
      return { ...base, first: 1, step: 2, subject: 'key', seal: Purpose.StringValue, dedupe: ctx.server.config.get('notify-keyspace-events') === '' };
    default:
      return null;
  }
}

/**
 * Prepares and then runs a command with very many elements (see the header); undefined when the
 * command is not one of them (it then runs at once, as usual).
 */
export function runPrepared(ctx: Session, spec: CommandSpec, args: ArgList, execute: Execute): Promise<void> | undefined {
  // Cluster mode keeps the synchronous path: a slot could move away while a command prepared.
  if (args.length < BULK_MIN_ARGS || ctx.atomic > 0 || ctx.scripted || ctx.multi !== null || ctx.server.cluster !== null) return undefined;
  let plan = planOf(ctx, spec.name, args);
  if (plan === null) {
    // A vector for a handler that takes an array (WHOLE_FOR_BULK): its views, a slice per turn.
    if (Array.isArray(args) || isListHandler(spec.handler)) return undefined;
    plan = { first: 1, step: 1, subjectAt: 0, subject: 'none', dedupe: false, seal: null, scores: false, valueLimit: Infinity };
  }
  const run = new BulkRun(ctx, spec, LongArgs.adopt(args), plan);
  return run.start(execute);
}

class BulkRun implements PreparedSeals {
  private readonly units: number;
  private readonly db: number;
  /** The collection's lookup string (SADD's key), or '' for MSET, whose keys are per unit. */
  private readonly key: string;
  /** Per unit: -1 when folded into an earlier one, else the unit whose value it takes (its last repeat). */
  private keep: Int32Array;
  /** Open-addressing table of units (unit + 1) by their subject's bytes, for folding repeats. */
  private table: Int32Array | null = null;
  /** The same by digest over the folded units, for finding a field's unit (HSET). */
  private fieldTable: Int32Array | null = null;
  /** The arguments the command runs with: the adopted ones, or their folded copy. */
  private reduced: LongArgs | null = null;
  private reducedDigests: Uint8Array | null = null;
  private reducedKeys: string[] | null = null;
  private reducedUnits = 0;
  private sealed: Buffer | null = null;
  private sealedUsed = 0;
  private sealAt: Float64Array | null = null;
  private sealLength: Uint32Array | null = null;
  private scratch = Buffer.alloc(0);
  private stage = 0;
  private cursor = 0;
  private sealHint = 0;
  private digestHint = 0;

  constructor(
    private readonly ctx: Session,
    private readonly spec: CommandSpec,
    private readonly args: LongArgs,
    private readonly plan: Plan,
  ) {
    this.units = Math.floor((args.length - plan.first) / plan.step);
    this.db = ctx.db.uid;
    this.key = plan.first === 2 ? ctx.server.names.lookupOf(args.at(1)!) : '';
    this.keep = new Int32Array(this.units);
  }

  start(execute: Execute): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const turn = () => {
        try {
          if (this.ctx.closed || this.ctx.server.shuttingDown) {
            this.wipe();
            return resolve();
          }
          const until = performance.now() + SLICE_MS;
          while (this.stage < STAGES) {
            if (this.work(until)) this.next();
            else return void setImmediate(turn);
          }
          const pending = this.finish(execute);
          if (pending === undefined) return resolve();
          pending.then(resolve, reject);
        } catch (err) {
          this.wipe();
          reject(err);
        }
      };
      setImmediate(turn);
    });
  }

  private next(): void {
    this.stage++;
    this.cursor = 0;
  }

  /** Runs the current stage until `until`; true once it is done. */
  private work(until: number): boolean {
    switch (this.stage) {
      case 0:
        return this.each(this.units, until, (u) => this.subjectOf(u));
      case 1:
        return this.each(this.units, until, (u) => this.fold(u));
      case 2:
        return this.build(until);
      case 3:
        return this.each(this.reducedUnits, until, (r) => this.digest(r));
      case 4:
        return this.materialize(until);
      default:
        return this.each(this.reducedUnits, until, (r) => this.seal(r));
    }
  }

  /** Calls fn for units from the cursor on, checking the clock every 256; true once all are done. */
  private each(count: number, until: number, fn: (u: number) => boolean | void): boolean {
    while (this.cursor < count) {
      const end = Math.min(count, this.cursor + 256);
      for (let u = this.cursor; u < end; u++) {
        if (fn(u) === false) {
          this.cursor = count;
          return true;
        }
      }
      this.cursor = end;
      if (performance.now() >= until) return this.cursor >= count;
    }
    return true;
  }

  private subjectAt(u: number): number {
    return this.plan.first + u * this.plan.step + this.plan.subjectAt;
  }

  private valueAt(u: number): number {
    return this.plan.first + u * 2 + (1 - this.plan.subjectAt);
  }

  // ---- stage 0: ZADD's scores checked ----

  private subjectOf(u: number): boolean {
    const plan = this.plan;
    if (!plan.scores) return false;
    const score = this.args.at(this.valueAt(u))!;
    if (!isDigits(score) && parseScore(score) === null) {
      // The command answers its error without any change: nothing to prepare but the run.
      this.plan.dedupe = false;
      this.plan.seal = null;
      this.plan.subject = 'none';
      return false;
    }
    return true;
  }

  // ---- stage 1: repeats folded ----

  private fold(u: number): boolean {
    if (this.plan.subject === 'none') {
      for (let k = 0; k < this.units; k++) this.keep[k] = k;
      return false;
    }
    if (!this.plan.dedupe) {
      this.keep[u] = u;
      return true;
    }
    // Keys too: two names are the same key exactly when their bytes are the same.
    const first = this.firstByBytes(u);
    if (first < 0) {
      // Too many collisions in the table (crafted arguments?): no folding, every unit stays.
      for (let k = 0; k < this.units; k++) this.keep[k] = k;
      this.plan.dedupe = false;
      this.plan.seal = this.plan.seal === Purpose.HashFieldName ? null : this.plan.seal;
      return false;
    }
    if (first === u) {
      this.keep[u] = u;
      return true;
    }
    this.keep[u] = -1;
    // HSET: a long value overwritten later still turned the hash into a hashtable in Redis.
    const was = this.keep[first]!;
    if (this.plan.valueLimit !== Infinity && this.args.byteLength(this.valueAt(was)) > this.plan.valueLimit) this.plan.dedupe = false;
    this.keep[first] = u;
    if (this.plan.dedupe) return true;
    // Folding is off after all: every unit stays, and a field is no longer one unit (each
    // repeat is sealed by the command itself).
    for (let k = 0; k < this.units; k++) this.keep[k] = k;
    this.plan.seal = null;
    return false;
  }

  /**
   * The first unit whose subject has u's bytes (u itself when new, then filed in the table), or
   * -1 past MAX_PROBES collisions: the hash is seeded per process, and the cut bounds the work
   * arguments crafted to collide anyway could cause.
   */
  private firstByBytes(u: number): number {
    const table = (this.table ??= new Int32Array(tableSize(this.units)));
    const mask = table.length - 1;
    const args = this.args;
    const subject = this.subjectAt(u);
    let slot = args.hashOf(subject, SEED) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++) {
      const held = table[slot]!;
      if (held === 0) {
        table[slot] = u + 1;
        return u;
      }
      if (args.sameBytes(subject, this.subjectAt(held - 1))) return held - 1;
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  // ---- stage 2: the arguments the command runs with ----

  private build(until: number): boolean {
    const plan = this.plan;
    let folded = false;
    if (this.cursor === 0) {
      for (let u = 0; u < this.units && !folded; u++) folded = this.keep[u] !== u;
      if (!folded) {
        this.reduced = this.args;
        this.reducedUnits = this.units;
        return true;
      }
      const r = (this.reduced = new LongArgs());
      for (let i = 0; i < plan.first; i++) add(r, this.args.at(i)!);
    }
    return this.each(this.units, until, (u) => {
      const value = this.keep[u]!;
      if (value < 0) return;
      this.reducedUnits++;
      const out = this.reduced!;
      if (plan.step === 1) add(out, this.args.at(this.subjectAt(u))!);
      else if (plan.subjectAt === 0) {
        add(out, this.args.at(this.subjectAt(u))!);
        add(out, this.args.at(this.valueAt(value))!);
      } else {
        add(out, this.args.at(this.valueAt(value))!);
        add(out, this.args.at(this.subjectAt(u))!);
      }
    });
  }

  // ---- stage 3: digests of the folded members / fields, or MSET's key strings ----

  private digest(r: number): boolean {
    if (this.plan.subject === 'key') {
      (this.reducedKeys ??= new Array<string>(this.reducedUnits))[r] = this.ctx.server.names.lookupOf(this.reduced!.at(this.plan.first + r * 2)!);
      return true;
    }
    if (this.plan.subject !== 'digest') return false;
    const digests = (this.reducedDigests ??= new Uint8Array(this.reducedUnits * DIGEST));
    this.ctx.server.members.digestInto(this.reduced!.at(this.plan.first + r * this.plan.step + this.plan.subjectAt)!, digests, r * DIGEST);
    // A field is found by its digest when the hash seals it (fields are unique once folded).
    if (this.plan.seal === Purpose.HashFieldName) this.fileField(r);
    return true;
  }

  private fileField(r: number): void {
    const table = (this.fieldTable ??= new Int32Array(tableSize(this.reducedUnits)));
    const mask = table.length - 1;
    const d = this.reducedDigests!;
    const at = r * DIGEST;
    let slot = (d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = r + 1;
  }

  // ---- stage 4: views for a handler that takes an array, made a slice at a time ----

  private materialize(until: number): boolean {
    if (isListHandler(this.spec.handler)) return true;
    const r = this.reduced!;
    while (!r.materialize(16 * 1024)) if (performance.now() >= until) return false;
    return true;
  }

  // ---- stage 5: seals ----

  private seal(r: number): boolean {
    const purpose = this.plan.seal;
    if (purpose === null) return false;
    if (this.sealAt === null) {
      this.sealAt = new Float64Array(this.reducedUnits).fill(-1);
      this.sealLength = new Uint32Array(this.reducedUnits);
    }
    const args = this.reduced!;
    const values = this.ctx.server.values;
    const base = this.plan.first + r * this.plan.step;
    const subject = args.at(base + this.plan.subjectAt)!;
    const value = this.plan.step === 2 ? args.at(base + 1 - this.plan.subjectAt)! : subject;
    let plain: Uint8Array = purpose === Purpose.StringValue ? value : subject;
    if (purpose === Purpose.StringValue && plain.length > CHUNK_PLAIN) return true;
    let length = plain.length;
    if (purpose === Purpose.HashFieldName) {
      length = fieldBytes(subject.length, value.length);
      if (this.scratch.length < length) this.scratch = Buffer.alloc(Math.max(length, 2 * this.scratch.length));
      writeField(this.scratch, 0, subject, value);
      plain = this.scratch.subarray(0, length);
    }
    const size = OVERHEAD + length;
    const out = this.room(size);
    const at = this.sealedUsed;
    try {
      if (purpose === Purpose.StringValue) values.sealValueAt(this.db, this.reducedKeys![r]!, plain, out, at);
      else if (purpose === Purpose.HashFieldName) values.sealElementAt(purpose, this.db, this.key, plain, out, at, this.reducedDigests!.subarray(r * DIGEST, r * DIGEST + DIGEST));
      else values.sealElementAt(purpose, this.db, this.key, plain, out, at);
    } finally {
      if (purpose === Purpose.HashFieldName) this.scratch.fill(0, 0, length);
    }
    this.sealAt![r] = at;
    this.sealLength![r] = size;
    this.sealedUsed += size;
    return true;
  }

  private room(size: number): Buffer {
    const have = this.sealed;
    if (have !== null && this.sealedUsed + size <= have.length) return have;
    let next = Math.max(64 * 1024, (have?.length ?? 0) * 2);
    while (next < this.sealedUsed + size) next *= 2;
    const grown = Buffer.alloc(next);
    if (have !== null) have.copy(grown, 0, 0, this.sealedUsed);
    this.sealed = grown;
    return grown;
  }

  // ---- the run ----

  /**
   * Runs the command now, or once a CLIENT PAUSE (or a failover's or migration's hold) that
   * began while it prepared is over: it has not taken effect yet, so it waits like any command
   * arriving now (only the name and first key are copied for the hold: all it looks at).
   */
  private finish(execute: Execute): void | Promise<void> {
    const probe = [this.args.at(0)!, this.args.at(1)!];
    const held = holdIfPaused(this.ctx, this.spec, this.spec.name, probe, () => this.apply(execute));
    if (held === undefined) return this.apply(execute);
    // A connection that ends while held never gets to apply: its prepared work goes here.
    return held.finally(() => this.wipe());
  }

  private apply(execute: Execute): void | Promise<void> {
    const ctx = this.ctx;
    const server = ctx.server as { members: NameHasher } & Session['server'];
    const members = server.members;
    const values = server.values;
    if (this.reducedDigests !== null) server.members = new PreparedDigests(members, this.reducedDigests, (name) => this.digestOf(name));
    if (this.sealAt !== null) values.prepared = this;
    let pending: void | Promise<void>;
    try {
      // The command is timed from here (other clients' commands ran in between).
      server.observer.mark = Number.NaN;
      pending = execute(ctx, this.spec, this.reduced ?? this.args, this.args);
    } finally {
      server.members = members;
      values.prepared = null;
    }
    if (pending === undefined) return this.wipe();
    const done = () => this.wipe();
    return pending.then(done, (err: unknown) => {
      done();
      throw err;
    });
  }

  /** Where the digest of a prepared subject argument is, or -1 (PreparedDigests). */
  private digestOf(name: Uint8Array): number {
    const r = this.unitOf(name, this.digestHint, this.plan.subjectAt);
    if (r < 0) return -1;
    this.digestHint = this.plan.first + (r + 1) * this.plan.step + this.plan.subjectAt;
    return r * DIGEST;
  }

  /** The reduced unit whose argument at `place` within it `arg` is a view of, or -1. */
  private unitOf(arg: Uint8Array, hint: number, place: number): number {
    const i = this.reduced!.indexOf(arg, hint);
    const rel = i - this.plan.first;
    if (i < 0 || rel < 0) return -1;
    const r = Math.floor(rel / this.plan.step);
    return rel - r * this.plan.step === place && r < this.reducedUnits ? r : -1;
  }

  find(purpose: Purpose, db: number, key: string, plain: Uint8Array, bind: Bind | undefined): Uint8Array | null {
    if (purpose !== this.plan.seal || db !== this.db || this.sealAt === null) return null;
    let r: number;
    if (purpose === Purpose.HashFieldName) {
      if (key !== this.key || !(bind instanceof Uint8Array) || bind.length !== DIGEST) return null;
      r = this.unitOfField(bind);
      if (r < 0 || !this.sameField(r, plain)) return null;
    } else {
      if (bind !== undefined) return null;
      const place = purpose === Purpose.StringValue ? 1 : this.plan.subjectAt;
      r = this.unitOf(plain, this.sealHint, place);
      if (r < 0) return null;
      this.sealHint = this.plan.first + (r + 1) * this.plan.step + place;
      if (key !== (this.reducedKeys === null ? this.key : this.reducedKeys[r])) return null;
    }
    const at = this.sealAt[r]!;
    return at < 0 ? null : this.sealed!.subarray(at, at + this.sealLength![r]!);
  }

  /** The reduced unit of the field whose digest is `bind` (fields are unique once folded), or -1. */
  private unitOfField(bind: Uint8Array): number {
    const table = this.fieldTable;
    if (table === null || !this.plan.dedupe) return -1;
    const mask = table.length - 1;
    let slot = (bind[0]! | (bind[1]! << 8) | (bind[2]! << 16) | (bind[3]! << 24)) & mask;
    for (;;) {
      const held = table[slot]!;
      if (held === 0) return -1;
      if (sameDigest(this.reducedDigests!, (held - 1) * DIGEST, bind, 0)) return held - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** Whether plain is exactly field and value of reduced unit r as the hash seals them. */
  private sameField(r: number, plain: Uint8Array): boolean {
    const base = this.plan.first + r * 2;
    const name = this.reduced!.at(base)!;
    const value = this.reduced!.at(base + 1)!;
    const length = fieldBytes(name.length, value.length);
    if (plain.length !== length) return false;
    if (this.scratch.length < length) this.scratch = Buffer.alloc(Math.max(length, 2 * this.scratch.length));
    writeField(this.scratch, 0, name, value);
    const same = Buffer.compare(this.scratch.subarray(0, length), plain) === 0;
    this.scratch.fill(0, 0, length);
    return same;
  }

  /** Drops everything prepared; the copied arguments are zeroed (the rest holds no plaintext). */
  private wipe(): void {
    if (this.reduced !== null && this.reduced !== this.args) this.reduced.wipe();
    this.args.wipe();
    this.scratch.fill(0);
    this.sealed?.fill(0, 0, this.sealedUsed);
    this.sealed = this.reducedDigests = this.table = this.fieldTable = this.sealAt = null;
    this.reducedKeys = null;
    this.reduced = null;
  }
}

const STAGES = 6;
/** Collisions a fold looks past before it gives up folding (see firstByBytes). */
const MAX_PROBES = 64;
const SEED = randomBytes(4).readUInt32LE(0);

/** A power of two at least twice `units`. */
function tableSize(units: number): number {
  let size = 16;
  while (size < units * 2) size *= 2;
  return size;
}

/** 1 to 15 decimal digits: a valid score without parsing it (the common case, cheaply). */
function isDigits(arg: Uint8Array): boolean {
  if (arg.length === 0 || arg.length > 15) return false;
  for (let i = 0; i < arg.length; i++) if (arg[i]! < 0x30 || arg[i]! > 0x39) return false;
  return true;
}

function add(out: LongArgs, arg: Buffer): void {
  out.add(arg, 0, arg.length);
}

function sameDigest(a: Uint8Array, at: number, b: Uint8Array, bt: number): boolean {
  for (let i = 0; i < DIGEST; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}
