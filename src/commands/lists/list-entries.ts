// What every list command shares: finding the list, sealing and opening its elements, comparing
// a stored element with an argument, and the table-entry shape. Elements are sealed under
// Purpose.ListElement bound to database and key, so they move inside a list (LINSERT, LREM, a
// rotation by LMOVE onto the same key) without being re-sealed; replies open them straight into
// the reply buffer, so no separate plaintext copy exists.

import { mutateOf } from '../values/typed-entries.js';
import { replyOpened, sealFailedSince } from '../values/sealing.js';
import { int64 } from '../args.js';
import { Errors } from '../../protocol/errors.js';
import { ListSealing } from '../../seal/list-codec.js';
import { Kind, type KeyEvent, type ListEntry } from '../../store/keyspace.js';
import type { Entry } from '../../store/entry.js';
import { isPackedForm } from '../../store/packed-record.js';
import type { ElementPredicate, ElementSink } from '../../store/types/list.js';
import { at, type KeyFlagName, type KeySpec } from '../key-specs.js';
// Lists' open ends are settled at the turn's end (turn-end.ts registers itself with list.ts on import).
import '../values/turn-end.js';
import type { CommandFlag, CommandSpec, Session } from '../types.js';

/**
 * The list for a write command (redis lookupKeyWrite: no hit or miss counted) from what
 * Keyspace.getStored() found for key (a packed list left packed, for writes made in its blob
 * first: lists-packed.ts): undefined when missing, null after replying WRONGTYPE; a packed list
 * is unpacked now, anything else is the live entry already, so it is not looked up again.
 */
export function writableStored(ctx: Session, key: string, stored: Entry | undefined): ListEntry | undefined | null {
  if (stored === undefined) return undefined;
  if (stored.kind !== Kind.List) {
    ctx.reply.error(Errors.wrongType);
    return null;
  }
  return isPackedForm(stored) ? (ctx.db.get(key, ctx.now) as ListEntry) : stored;
}

/**
 * A list write through Keyspace.mutate: `change` gets key's list (a new empty one when missing)
 * and says whether it changed it. False after replying WRONGTYPE (change not called). `held`:
 * key's live entry when the caller has it (not a packed form).
 */
export function writeList(ctx: Session, key: string, event: KeyEvent, change: (entry: ListEntry) => boolean, held?: Entry): boolean {
  return mutateOf(ctx, key, Kind.List, event, change, held);
}

/**
 * Files a change already made to key's list (a pop): signals `event`, recounts its memory, and
 * deletes it if it is now empty (with 'del' after `event`, as Redis notifies).
 */
export function settle(ctx: Session, key: string, event: KeyEvent): void {
  ctx.db.mutate(key, Kind.List, event, ctx.now, changedAlready);
}

/** settle()'s change: made already (one function, not a closure per pop). */
const changedAlready = (): boolean => true;

/** Sealing for key's list in this command's database, nodes sized by list-max-listpack-size. */
export function listCodec(ctx: Session, key: string): ListSealing {
  const values = ctx.server.values;
  const db = ctx.db.uid;
  const fill = ctx.server.config.number('list-max-listpack-size');
  // The last one made again when it fits (immutable): a pipeline on one list makes it once, not per command.
  const last = lastCodec;
  if (last !== null && lastKey === key && lastDb === db && lastValues === values && lastFill === fill) return last;
  lastValues = values;
  lastDb = db;
  lastKey = key;
  lastFill = fill;
  const keyspace = ctx.db;
  return (lastCodec = new ListSealing(values, db, key, fill, () => keyspace.recount(key)));
}

let lastCodec: ListSealing | null = null;
let lastValues: unknown = null;
let lastDb = -1;
let lastKey = '';
let lastFill = 0;

/** Writes one element's plaintext (a view the list hands a visitor) as a bulk reply. */
export function replyElement(ctx: Session, bytes: Buffer, start: number, length: number): void {
  const at = ctx.reply.beginBulk(length);
  // staging is read after beginBulk: reserving room may have moved the reply to a larger buffer.
  bytes.copy(ctx.reply.staging, at, start, start + length);
  ctx.reply.endBulk(length);
}

/** Elements written as bulk replies, each opened (or copied from its opened node) straight into the reply buffer. */
class ReplySink implements ElementSink {
  at = 0;

  constructor(private readonly ctx: Session) {}

  begin(length: number): Buffer {
    this.at = this.ctx.reply.beginBulk(length);
    return this.ctx.reply.staging;
  }

  end(length: number): void {
    this.ctx.reply.endBulk(length);
  }
}

/** A sink writing elements into ctx's reply as bulks (see ElementSink). */
export function replySink(ctx: Session): ElementSink {
  return new ReplySink(ctx);
}

// ---- popping ----

/**
 * Replies with `count` elements from one end (the head first for LPOP, the tail first for
 * RPOP), opened into the reply, then removes them: an element that fails to open leaves the
 * list as it was. With `keyName` the reply is [key, [elements]] (LMPOP, BLMPOP). Returns
 * whether it replied with them.
 */
export function replyPopped(ctx: Session, key: string, list: ListEntry, head: boolean, count: number, keyName?: Buffer): boolean {
  const n = Math.min(count, list.length);
  const c = listCodec(ctx, key);
  const ok = replyOpened(ctx, () => {
    if (keyName !== undefined) {
      ctx.reply.arrayLen(2);
      ctx.reply.bulk(keyName);
    }
    ctx.reply.arrayLen(n);
    list.forEach(replySink(ctx), c, !head, n);
  });
  // Cutting a sealed node seals the rest again: that cannot fail to open (it just opened).
  if (ok) list.deleteRange(head ? 0 : list.length - n, n, c);
  return ok;
}

/** Pops one element straight into a bulk reply; false (the element kept) after a seal error. */
export function replyPoppedOne(ctx: Session, key: string, list: ListEntry, head: boolean): boolean {
  // replyOpened() (commands/values/sealing.ts) without its closure, and one sink for every single pop (used only during the call).
  const mark = ctx.reply.size;
  const sink = popSink;
  sink.ctx = ctx;
  try {
    const c = listCodec(ctx, key);
    if (head) list.takeHead(sink, c);
    else list.takeTail(sink, c);
    return true;
  } catch (err) {
    return sealFailedSince(ctx, mark, err);
  } finally {
    sink.ctx = null;
  }
}

/** ReplySink for replyPoppedOne, its session set for the call. */
class PopSink implements ElementSink {
  ctx: Session | null = null;
  at = 0;

  begin(length: number): Buffer {
    this.at = this.ctx!.reply.beginBulk(length);
    return this.ctx!.reply.staging;
  }

  end(length: number): void {
    this.ctx!.reply.endBulk(length);
  }
}

const popSink = new PopSink();

/**
 * A predicate for "this element equals `wanted`" (LREM, LPOS, LINSERT's pivot), on plaintext the
 * list opened; its length lets the list skip elements sealed alone with another length unopened.
 */
export function equalTo(wanted: Uint8Array): ElementPredicate {
  const want = wanted.length;
  const match: ElementPredicate = (bytes, start, length) => {
    if (length !== want) return false;
    for (let i = 0; i < want; i++) if (bytes[start + i] !== wanted[i]) return false;
    return true;
  };
  match.plainLength = want;
  return match;
}

/**
 * Redis getLongFromObjectOrReply: a signed 64-bit integer (as a JS number: indexes and counts
 * beyond 2^53 behave alike), or null after replying "not an integer".
 */
export function longArg(ctx: Session, arg: Buffer): number | null {
  const n = int64(arg);
  if (n === null) {
    ctx.reply.error(Errors.notInteger);
    return null;
  }
  return Number(n);
}

/** LEFT or RIGHT (LMOVE, LMPOP): true for LEFT, null after a syntax error. */
export function side(ctx: Session, arg: Buffer): boolean | null {
  if (arg.length === 4 && arg.toString('latin1').toLowerCase() === 'left') return true;
  if (arg.length === 5 && arg.toString('latin1').toLowerCase() === 'right') return false;
  ctx.reply.error(Errors.syntax);
  return null;
}

type Access = 'read' | 'write' | 'write-grow' | 'block' | 'block-grow';

/** A list command's table entry; `keys` its Redis key specs (default: the key at 1 with `key` flags). */
export function listSpec(
  name: string, arity: number, access: Access, fast: boolean, keys: readonly KeyFlagName[] | readonly KeySpec[],
  summary: string, since: string, handler: CommandSpec['handler'], complexity: string,
): CommandSpec {
  const flags: CommandFlag[] = [access === 'read' ? 'readonly' : 'write'];
  if (access === 'write-grow' || access === 'block-grow') flags.push('denyoom');
  if (fast) flags.push('fast');
  const blocking = access === 'block' || access === 'block-grow';
  // BLMPOP may run in scripts (Redis 7.0 leaves noscript off it); the other blocking pops may not.
  if (blocking && name !== 'blmpop') flags.push('noscript');
  if (blocking) flags.push('blocking');
  const categories = [access === 'read' ? '@read' : '@write', '@list', fast ? '@fast' : '@slow'];
  if (blocking) categories.push('@blocking');
  const keySpecs = typeof keys[0] === 'string' ? [at(1, ...(keys as KeyFlagName[]))] : (keys as KeySpec[]);
  return { name, arity, flags, keySpecs, categories, summary, since, group: 'list', handler, complexity };
}
