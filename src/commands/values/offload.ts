// GET and SET of large string values, and SETRANGE / SETBIT's far gaps, with their AEAD work on
// a seal worker (seal/seal-workers.ts), so a 1 MiB value does not hold other clients' replies
// back for the ~0.6 ms its cipher takes.
//
// SET k v (v of at least seal-worker-min-bytes): v, which the parser gathered in shared memory,
// is taken over from it (else copied there: the parser wipes the request's bytes once its read
// is handled) and sealed by a worker; then the command
// runs as it always does, in one synchronous step (dispatch's execute, as commands/values/bulk.ts does
// for prepared commands), and its seal is taken from the worker's result when it still fits:
// same database, key and value, and the data key still current (a SEAL ROTATE in between makes
// it seal again on the spot). Options (NX, XX, GET, EX, KEEPTTL...) are judged in that step, so
// the value is committed before the reply, and nothing is visible to other clients before it.
//
// GET k: runs at once (lookup, expiry, stats); if the value is a large chunked one, its sealed
// bytes as of that moment (copied into shared memory unless a worker sealed them there) wait
// for the worker to open them into shared memory, which is then written to the socket as it
// is (Client.sendSharedBulk) and wiped once sent. The answer is the value as of
// when the GET ran, whatever happens to the key meanwhile.
//
// SETRANGE k offset v / SETBIT k bit v / BITFIELD k SET|INCRBY ... far past the end of a missing
// or much shorter value (a 512 MB gap is ~0.5 s of AEAD): a worker seals the zeros first; the
// command then runs in one step as usual and seals again only the chunks its bytes and the old
// value fall in (zerosOffloaded).
//
// Either way the connection's later commands wait behind it (a command that returns a promise),
// so replies keep request order. Commands inside MULTI/EXEC, scripts and cluster mode never come
// here: they stay synchronous; an EXEC whose queue holds a far SETRANGE / SETBIT / BITFIELD has
// the first one's zeros sealed by a worker before the transaction starts. If a worker cannot do the job (it died, or a key was retired meanwhile) the work
// is done on the event loop instead when that still gives the right answer, else the command
// answers an error; a value that fails to authenticate answers the usual seal error.

import type { ArgList } from '../../protocol/arg-list.js';
import { plainBuffer } from '../../util/bytes.js';
import { SealWorkerError, type SealWorkers } from '../../seal/seal-workers.js';
import { markWorkerRead } from '../../seal/worker-reads.js';
import { giveShared, takeShared } from '../../util/shared-pool.js';
import { CHUNK_PLAIN, Sealer } from '../../seal/sealer.js';
import { Kind } from '../../store/keyspace.js';
import { Purpose, type Bind } from '../../seal/values.js';
import { argLength } from '../args.js';
import { bitfieldReach } from '../strings/bit-args.js';
import { deferLargeOpens, replyRange, stopDeferringOpens } from './sealing.js';
import type { CommandSpec, Session } from '../types.js';

type Execute = (ctx: Session, spec: CommandSpec, args: ArgList, shown: ArgList) => void | Promise<void>;

/** Copies bytes into shared memory (a worker reads them there); giveShared() when done. */
function shared(bytes: Uint8Array): Buffer {
  const out = takeShared(bytes.length);
  out.set(bytes);
  return out;
}

/** Runs the command: GET or SET of a large value with its AEAD work on a seal worker, anything else as usual. */
export function runOffloaded(ctx: Session, spec: CommandSpec, args: ArgList, execute: Execute): void | Promise<void> {
  const workers = ctx.server.sealWorkers;
  if (spec.name === 'exec' && workers !== null && ctx.multi !== null && ctx.atomic === 0 && !ctx.scripted && ctx.server.cluster === null) {
    // A transaction runs in one step: the zeros of its first far write are sealed before it starts.
    for (const { spec: queued, args: qargs } of ctx.multi) {
      if (!farWrite(queued.name, qargs.length)) continue;
      const length = farLength(ctx, queued.name as FarWrite, qargs, workers);
      if (length > 0) return zerosOffloaded(ctx, spec, args, execute, workers, ctx.server.names.lookupOf(qargs[1]!), length);
    }
  }
  if (workers === null || ctx.atomic > 0 || ctx.scripted || ctx.multi !== null || ctx.server.cluster !== null) return execute(ctx, spec, args, args);
  if (spec.name === 'get') return getOffloaded(ctx, spec, args, execute, workers);
  // argLength: RawArgs (a plain SET) make no view to be asked.
  if (spec.name === 'set' && args.length >= 3 && argLength(args, 2) >= workers.minBytes && argLength(args, 2) > CHUNK_PLAIN) {
    return setOffloaded(ctx, spec, args, execute, workers);
  }
  if (farWrite(spec.name, args.length)) {
    const length = farLength(ctx, spec.name as FarWrite, Array.from({ length: args.length }, (_, i) => args.at(i)!), workers);
    if (length > 0) return zerosOffloaded(ctx, spec, args, execute, workers, ctx.server.names.lookupOf(args.at(1)!), length);
  }
  return execute(ctx, spec, args, args);
}

/**
 * The length SETRANGE k offset v (SETBIT k bit v, BITFIELD's writes) will give a missing key
 * when the offset is far enough for the gap's AEAD to be worth a worker (past a chunk and seal-worker-min-bytes), else
 * 0. Only for a key missing now or holding a string under a quarter of the new length: a longer
 * one's own edit seals its gap on the event loop (seal/chunked.ts). An argument the command will
 * refuse makes a job that is dropped.
 */
function farLength(ctx: Session, name: FarWrite, args: readonly Buffer[], workers: SealWorkers): number {
  const maxBulkLen = ctx.server.config.number('proto-max-bulk-len');
  const length = name === 'bitfield' ? bitfieldReach(args, maxBulkLen) : grownLength(name, args);
  if (length <= Math.max(workers.minBytes, CHUNK_PLAIN) || length > maxBulkLen) return 0;
  const entry = ctx.db.peek(ctx.server.names.lookupOf(args[1]!));
  // A chunked value is opened whole and sealed again over the zeros (a fresh value id): worth it
  // while the gap is most of the new length.
  const small = entry === undefined || (entry.kind === Kind.String && entry.spilled === undefined && (!Sealer.isChunked(entry.value) || Sealer.plainLength(entry.value) * 4 <= length));
  return small ? length : 0;
}

type FarWrite = 'setrange' | 'setbit' | 'bitfield';

/** Whether a command of this name and argument count may write far past a value's end. */
function farWrite(name: string, count: number): boolean {
  return ((name === 'setrange' || name === 'setbit') && count === 4) || (name === 'bitfield' && count >= 6);
}

/** The length SETRANGE k offset v / SETBIT k bit v give a missing key, 0 for an offset they refuse. */
function grownLength(name: 'setrange' | 'setbit', args: readonly Buffer[]): number {
  const text = args[2]!;
  if (text.length === 0 || text.length > 15 || args[3]!.length === 0) return 0;
  for (const c of text) if (c < 0x30 || c > 0x39) return 0;
  const offset = Number(text.toString('latin1'));
  return name === 'setrange' ? offset + args[3]!.length : Math.floor(offset / 8) + 1;
}

/**
 * SETRANGE / SETBIT / BITFIELD far past the end (farLength): a worker seals `length` zeros for the key
 * first, then the command runs as it always does, in one step, and takes that value if it still
 * fits (Values.sealSparseValue: only the chunks the new bytes and the old value fall in are
 * sealed again on the event loop); otherwise it is dropped. Replies keep request order as for SET.
 */
function zerosOffloaded(ctx: Session, spec: CommandSpec, args: ArgList, execute: Execute, workers: SealWorkers, key: string, length: number): Promise<void> {
  const own: Buffer[] = [];
  for (let i = 0; i < args.length; i++) own.push(plainCopy(args.at(i)!));
  const db = ctx.db.uid;
  const wipe = () => {
    for (const a of own) a.fill(0);
  };
  const run = (sealed: Buffer | null): void | Promise<void> => {
    const values = ctx.server.values;
    values.preparedZeros = sealed === null ? null : { db, key, sealed };
    let ran: void | Promise<void> = undefined;
    try {
      ran = execute(ctx, spec, own, own);
    } finally {
      values.preparedZeros = null;
      if (ran === undefined) wipe();
    }
    return ran === undefined ? undefined : ran.finally(wipe);
  };
  return workers.sealZeros({ op: 'zeros', db, key, keyId: ctx.server.values.currentKeyId, length }).then(
    (sealed) => (ctx.server.shuttingDown ? wipe() : run(sealed)),
    (err: unknown) => {
      if (!(err instanceof SealWorkerError) || ctx.server.shuttingDown) {
        wipe();
        if (err instanceof SealWorkerError) return;
        throw err;
      }
      // The worker could not seal it: the command seals on the event loop, as it would without workers.
      return run(null);
    },
  );
}

/**
 * The GET getOffloaded() is running, for deferOpen(): module state rather than a closure per
 * GET (every GET goes this way while seal workers are on, and nearly none meets a large value).
 * GET runs no other command, so this is never re-entered.
 */
let getCtx: Session | null = null;
let getSpec: CommandSpec | null = null;
let getArgs: ArgList | null = null;
let getExecute: Execute | null = null;
let getWorkers: SealWorkers | null = null;
let getDeferred: Promise<void> | null = null;

function deferOpen(key: string, sealed: Buffer): void {
  const ctx = getCtx!;
  // A reply past the hard output limit is never sent: the connection is closed now, as Redis
  // closes it while the reply is built, rather than once a worker has opened the value.
  if (ctx.reply.overflowsWith(Sealer.plainLength(sealed))) return;
  const spec = getSpec!;
  const args = getArgs!;
  const execute = getExecute!;
  // Kept for running the GET again on the event loop if a key it needs was retired meanwhile.
  // Own copies (wiped after): with seal-keys the key name is as secret as a value.
  const again = [plainCopy(args.at(0)!), plainCopy(args.at(1)!)];
  const wipe = () => {
    for (const a of again) a.fill(0);
  };
  getDeferred = openLater(ctx, getWorkers!, key, sealed, () => execute(ctx, spec, again, again)).finally(wipe);
}

function getOffloaded(ctx: Session, spec: CommandSpec, args: ArgList, execute: Execute, workers: SealWorkers): void | Promise<void> {
  getCtx = ctx;
  getSpec = spec;
  getArgs = args;
  getExecute = execute;
  getWorkers = workers;
  getDeferred = null;
  deferLargeOpens(workers.minBytes, deferOpen);
  let ran: void | Promise<void>;
  try {
    ran = execute(ctx, spec, args, args);
  } finally {
    stopDeferringOpens();
    getCtx = getSpec = getArgs = getExecute = null;
    getWorkers = null;
  }
  const deferred = getDeferred;
  getDeferred = null;
  if (deferred === null) return ran;
  return ran === undefined ? deferred : Promise.all([ran, deferred]).then(() => undefined);
}

/** The reply to a GET of a large value: opened by a worker, then copied into the reply and wiped. */
async function openLater(ctx: Session, workers: SealWorkers, key: string, value: Buffer, again: () => void | Promise<void>): Promise<void> {
  const db = ctx.db.uid;
  // A value a worker sealed is in shared memory already: handed over as it is. An edit in place
  // meanwhile (SETRANGE, a rotation renewing its chunks) can only make it fail to open there;
  // it is then opened here, as it is by then.
  const own = !(value.buffer instanceof SharedArrayBuffer);
  const sealed = own ? shared(value) : value;
  // The stored value's memory is read until the end here (the fallback below opens it too):
  // a SET replacing it meanwhile must not hand it to the next seal (seal/sealed-outputs.ts).
  const reading = own ? null : markWorkerRead(sealed);
  const length = Sealer.plainLength(sealed);
  let target: Buffer | null = null;
  let sent = false;
  try {
    target = await workers.open({ op: 'open', db, key, sealed });
    if (ctx.closed) return;
    // Written from where the worker opened it, not copied into the reply first.
    if ((sent = ctx.sendSharedBulk?.(target) === true)) return;
    const at = ctx.reply.beginBulk(length);
    ctx.reply.staging.set(target, at);
    ctx.reply.endBulk(length);
  } catch (err) {
    if (!(err instanceof SealWorkerError)) throw err;
    if (ctx.closed) return;
    // A key it was sealed under was retired meanwhile (SEAL ROTATE renewed the value and
    // finished): the GET runs again, now, on the renewed value.
    if (err.message === 'key') return again();
    // Not opened there (the worker died, or it does not authenticate): open the same sealed
    // copy here, which answers the seal error if it must.
    replyRange(ctx, key, sealed, 0, length, db);
  } finally {
    reading?.();
    if (target !== null && !sent) giveShared(target);
    // Sealed bytes hold no plaintext: nothing to wipe.
    if (own) giveShared(sealed, 0);
  }
}

/** The sealed value a string key holds in memory now (not spilled), or null. */
function storedValue(ctx: Session, key: string): Buffer | null {
  const entry = ctx.db.peek(key);
  return entry === undefined || entry.kind !== Kind.String || entry.spilled !== undefined ? null : entry.value;
}

function plainCopy(bytes: Uint8Array): Buffer {
  const out = plainBuffer(bytes.length);
  out.set(bytes);
  return out;
}

function setOffloaded(ctx: Session, spec: CommandSpec, args: ArgList, execute: Execute, workers: SealWorkers): Promise<void> {
  // The request's bytes are wiped once its read is handled: the command keeps its own copy of
  // each argument but the value, which the parser gathered in shared memory and hands over
  // (the worker seals it where it is; wiped after the command), else a copy of it there too.
  const own: Buffer[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args.at(i)!;
    own.push(i !== 2 ? plainCopy(arg) : ctx.claimArg?.(arg) === true ? arg : shared(arg));
  }
  const value = own[2]!;
  const db = ctx.db.uid;
  const key = ctx.server.names.lookupOf(own[1]!);
  const keyId = ctx.server.values.currentKeyId;
  const wipe = () => {
    for (const a of own) if (a !== value) a.fill(0);
    giveShared(value);
  };
  return workers.seal({ op: 'seal', db, key, keyId, plain: value }).then(
    (made) => {
      // A client that sent its SET and hung up still has it stored, as Redis would; not once the
      // server is stopping (its keys are gone by then).
      if (ctx.server.shuttingDown) return wipe();
      const values = ctx.server.values;
      const before = values.prepared;
      values.prepared = {
        find: (purpose: Purpose, fdb: number, fkey: string, plain: Uint8Array, bind: Bind | undefined) =>
          purpose === Purpose.StringValue && fdb === db && fkey === key && plain === value && bind === undefined ? made : null,
      };
      const replaced = storedValue(ctx, key);
      let ran: void | Promise<void> = undefined;
      try {
        ran = execute(ctx, spec, own, own);
      } finally {
        values.prepared = before;
        if (ran === undefined) wipe();
      }
      if (ran !== undefined) return ran.finally(wipe);
      // Ran in this one step: whichever of the old value and the new one the key does not hold
      // now (the SET replaced it, or NX/XX kept it) is no value's any more; its memory takes a
      // later seal (seal/sealed-outputs.ts).
      const now = ctx.db.peek(key);
      for (const sealed of [replaced, made]) {
        if (sealed !== null && (now === undefined || now.kind !== Kind.String || !now.holds(sealed))) workers.outputs.give(sealed);
      }
    },
    (err: unknown) => {
      if (!(err instanceof SealWorkerError) || ctx.server.shuttingDown) {
        wipe();
        if (err instanceof SealWorkerError) return;
        throw err;
      }
      // The worker could not seal it: the command seals on the event loop, as it would without workers.
      let ran: void | Promise<void> = undefined;
      try {
        ran = execute(ctx, spec, own, own);
      } finally {
        if (ran === undefined) wipe();
      }
      return ran === undefined ? undefined : ran.finally(wipe);
    },
  );
}
