// What the dispatcher does for maxmemory and the spill tier, so handlers stay unaware of both:
// the OOM check before a command runs or is queued (redis processCommand + performEvictions),
// and reading spilled values back before a command on their keys runs. A command that waits for
// a read returns a promise; the connection holds its later commands, so replies keep order.

import type { Entry, Keyspace, StringEntry } from '../store/keyspace.js';
import { Kind } from '../store/keyspace.js';
import { entryIdentity } from '../store/memory.js';
import type { Lent, SpilledKey } from '../spill/manager.js';
import { argArray, type ArgList } from '../protocol/arg-list.js';
import { ownArgs, wipeArgs } from '../util/bytes.js';
import { keyOf } from './args.js';
import { KeyFlag, keysOf } from './key-specs.js';
import type { Registry } from './registry.js';
import type { CommandSpec, Session } from './types.js';

/** Calls visit for each key whose value the command may need (EXEC: of every queued command, following SELECT). */
function forEachKey(ctx: Session, spec: CommandSpec, args: Buffer[], visit: (db: Keyspace, key: string) => void): void {
  if (spec.name === 'exec' && ctx.multi !== null) {
    let db = ctx.db;
    for (const q of ctx.multi) {
      if (q.spec.name === 'select' && q.args[1]!.length <= 20) db = ctx.server.databases[Number(q.args[1]!.toString('latin1'))] ?? db;
      else valueKeys(ctx, db, q.spec, q.args, visit);
    }
    return;
  }
  valueKeys(ctx, ctx.db, spec, args, visit);
}

/** The command's keys, less those it touches without their values (key flag NO_VALUE: DEL, TTL...). */
function valueKeys(ctx: Session, db: Keyspace, spec: CommandSpec, args: Buffer[], visit: (db: Keyspace, key: string) => void): void {
  for (const k of keysOf(spec, args)) {
    if ((k.flags & KeyFlag.NO_VALUE) === 0) visit(db, keyOf(ctx, args[k.pos]!));
  }
}

/** Whether running (or queueing) the command would grow memory past maxmemory (redis is_denyoom_command). */
function deniedOnOom(ctx: Session, spec: CommandSpec): boolean {
  if (spec.flags.includes('denyoom')) return true;
  if (spec.name === 'exec') return ctx.multi !== null && ctx.multi.some((q) => q.spec.flags.includes('denyoom'));
  // Queueing in MULTI also takes memory: Redis refuses it under OOM, except these.
  return ctx.multi !== null && spec.name !== 'discard' && spec.name !== 'quit' && spec.name !== 'reset';
}

/**
 * Frees memory if over maxmemory (spilling, then evicting), sparing this command's keys.
 * Returns false when the command must be refused with the OOM error.
 */
export function admit(ctx: Session, spec: CommandSpec, args: Buffer[]): boolean {
  const guard = ctx.server.memory;
  const pinned = new Set<Entry | number>();
  const now = ctx.server.clock();
  forEachKey(ctx, spec, args, (db, key) => {
    const entry = db.get(key, now);
    if (entry !== undefined) pinned.add(entryIdentity(entry));
  });
  if (guard.relieve(ctx.server.databases, pinned)) return true;
  return !deniedOnOom(ctx, spec);
}

/** The command's keys whose values are spilled; empty in the common case. */
/** Whether a key the command needs is spilled and not in memory (a script cannot wait to read it back). */
export function hasSpilledKeys(ctx: Session, spec: CommandSpec, args: ArgList): boolean {
  const spill = ctx.server.spill;
  // The views are made only when some key is spilled (a script's redis.call passes RawArgs).
  return spill !== null && spill.spilledKeys > 0 && spilledKeys(ctx, spec, argArray(args)).length > 0;
}

function spilledKeys(ctx: Session, spec: CommandSpec, args: Buffer[]): SpilledKey[] {
  const out: SpilledKey[] = [];
  forEachKey(ctx, spec, args, (db, key) => {
    const entry = db.get(key, ctx.server.clock());
    // A spilled entry whose value is in memory (lent to a running command) needs no read.
    if (entry !== undefined && entry.kind === Kind.String && entry.spilled !== undefined && entry.size === 0 && !out.some((s) => s.entry === entry)) {
      out.push({ key, entry: entry as StringEntry });
    }
  });
  return out;
}

/**
 * The spilled entries that commands still waiting their turn will need, so their reads can
 * start now (SpillManager.readAhead) instead of one after another.
 */
export function spilledAhead(ctx: Session, registry: Registry, commands: readonly Buffer[][]): StringEntry[] {
  const out: StringEntry[] = [];
  for (const args of commands) {
    const found = registry.resolve(args);
    if ('spec' in found) for (const { entry } of spilledKeys(ctx, found.spec, args)) out.push(entry);
  }
  return out;
}

/**
 * Reads back the spilled values the command needs, then runs it; undefined (run at once) when
 * none of its keys is spilled. Other clients are served while the read is in flight.
 */
export function afterPromotion(
  ctx: Session,
  spec: CommandSpec,
  argList: ArgList,
  run: (ctx: Session, spec: CommandSpec, args: Buffer[]) => void | Promise<void>,
): Promise<void> | undefined {
  const spill = ctx.server.spill;
  if (spill === null || spill.spilledKeys === 0) return undefined;
  const args = argArray(argList);
  let wanted = spilledKeys(ctx, spec, args);
  if (wanted.length === 0) return undefined;
  // The command runs after the read, when its arguments' bytes in the connection's read buffer
  // have been reused: it gets a copy of its own, zeroed once it has run.
  const owned = ownArgs(args);
  // Its keys in memory stay there while it waits: spilling (ahead of the limit, or for another
  // client's write) would otherwise move one out between the reads and the run.
  const pins: (Entry | number)[] = [];
  forEachKey(ctx, spec, args, (db, key) => {
    const entry = db.get(key, ctx.server.clock());
    if (entry !== undefined) pins.push(entryIdentity(entry));
  });
  for (const id of pins) spill.pin(id);
  const round = async (): Promise<void> => {
    const held: Entry[] = [];
    const lent: Lent[] = [];
    try {
      // Another client may free or move a record meanwhile; a few rounds settle it.
      for (let attempt = 0; wanted.length > 0 && attempt < 8; attempt++) {
        lent.push(...(await spill.promote(wanted, ctx.server.memory.settings.maxmemory)));
        for (const w of wanted) held.push(w.entry);
        wanted = spilledKeys(ctx, spec, owned);
      }
      await run(ctx, spec, owned);
    } finally {
      wipeArgs(owned);
      spill.settle(lent);
      for (const e of held) spill.held.delete(e);
      for (const id of pins) spill.unpin(id);
    }
  };
  return round();
}
