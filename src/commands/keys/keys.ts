// Generic key commands: DEL, EXISTS, TYPE, RENAME, KEYS, SCAN, COPY, MOVE, OBJECT...
//
// A sealed value is bound to (database uid, key name), so anything that gives a value a new
// home (RENAME, RENAMENX, COPY, MOVE) re-seals it. Re-sealing happens before any change to the
// keyspace: a value that fails to open leaves both keys exactly as they were.

import { int64, keyAt, keyOf, word } from '../args.js';
import { KeyLister, replyKeyName } from './key-listing.js';
import { openValue, sealFailed } from '../values/sealing.js';
import { Errors } from '../../protocol/errors.js';
import { Sealer } from '../../seal/values.js';
import { Kind, opsOf, typeName, type Entry, type Keyspace } from '../../store/keyspace.js';
import { parseCursor } from '../../store/scan.js';
import { at, span } from '../key-specs.js';
import type { CommandSpec, Session } from '../types.js';
import { takesArgList, takesRawArgs, type ArgList } from '../../protocol/arg-list.js';
import { LAZYFREE_THRESHOLD, freeEffort } from '../../store/lazyfree.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';

/**
 * Looks a key up the way Redis's LOOKUP_NOTOUCH does (EXISTS, TYPE, TTL, OBJECT): counts the
 * keyspace hit or miss but leaves the access time alone, so OBJECT IDLETIME stays truthful.
 * A miss is a keymiss notification unless `notify` is false (OBJECT: LOOKUP_NONOTIFY).
 */
export function lookupNoTouch(ctx: Session, key: string, notify = true): Entry | undefined {
  return ctx.db.readNoTouch(key, ctx.now, notify);
}

function del(ctx: Session, args: ArgList): void {
  removeKeys(ctx, args, ctx.server.config.get('lazyfree-lazy-user-del') === 'yes');
}

function unlink(ctx: Session, args: ArgList): void {
  removeKeys(ctx, args, true);
}

/**
 * DEL and UNLINK; `lazy` counts the large values Redis would free in the background (store/lazyfree.ts).
 * They may come as RawArgs (a socket's short request, a script's redis.call): no Buffer view per key.
 */
function removeKeys(ctx: Session, args: ArgList, lazy: boolean): void {
  let removed = 0;
  const nodeEntries = lazy ? Number(ctx.server.config.get('stream-node-max-entries')) : 0;
  for (let i = 1; i < args.length; i++) {
    const key = keyAt(ctx, args, i);
    // Looked up first: a key whose time has passed is expired, not counted as deleted. A small
    // collection packed at rest is not unpacked to be dropped: one blob, freed at once.
    const entry = ctx.db.getStored(key, ctx.now);
    if (entry === undefined) continue;
    const effort = lazy && !isPackedForm(entry) ? freeEffort(entry, opsOf(entry).elements(entry), nodeEntries) : 0;
    if (!ctx.db.delete(key, 'del')) continue;
    removed++;
    if (effort > LAZYFREE_THRESHOLD) ctx.server.stats.lazyfreedObjects++;
  }
  ctx.reply.integer(removed);
}

function exists(ctx: Session, args: ArgList): void {
  let found = 0;
  for (let i = 1; i < args.length; i++) if (lookupNoTouch(ctx, keyOf(ctx, args.at(i)!))) found++;
  ctx.reply.integer(found);
}

function touch(ctx: Session, args: ArgList): void {
  let found = 0;
  // readPacked: touched and counted as any read, a small collection at rest left packed.
  for (let i = 1; i < args.length; i++) if (ctx.db.readPacked(keyOf(ctx, args.at(i)!), ctx.now)) found++;
  ctx.reply.integer(found);
}

function type(ctx: Session, args: Buffer[]): void {
  const entry = lookupNoTouch(ctx, keyOf(ctx, args[1]!));
  ctx.reply.simple(entry === undefined ? 'none' : typeName(entry));
}

function dbsize(ctx: Session): void {
  ctx.reply.integer(ctx.db.size);
}

/** The pattern argument of KEYS or SCAN MATCH; null when it is `*` (every key). */
function patternOf(arg: Buffer): Buffer | null {
  return arg.length === 1 && arg[0] === 0x2a ? null : arg;
}

/**
 * Beyond Redis (redis/redis#8152): KEYS, SCAN and RANDOMKEY only name keys the user may read.
 * Returns the key list, or null after replying with the error of a sealed name that failed to open.
 */
function listKeys(ctx: Session, candidates: Iterable<string>, lister: KeyLister, type: string | null = null): [string, Entry][] | null {
  const found: [string, Entry][] = [];
  try {
    for (const key of candidates) {
      // Kind and sealed name only: packed collections stay packed.
      const entry = ctx.db.getStored(key, ctx.now);
      if (entry === undefined || (type !== null && typeName(entry) !== type)) continue;
      if (lister.accepts(key, entry)) found.push([key, entry]);
    }
  } catch (err) {
    sealFailed(ctx, err);
    return null;
  }
  return found;
}

function randomkey(ctx: Session): void {
  const key = ctx.db.randomKey(ctx.now);
  if (key === null) return ctx.reply.nullBulk();
  const lister = new KeyLister(ctx, null);
  let listed = listKeys(ctx, [key], lister);
  // A user confined to a few patterns: pick among the keys it may read.
  if (listed !== null && listed.length === 0) listed = listKeys(ctx, ctx.db.keys(), lister);
  if (listed === null) return;
  if (listed.length === 0) return ctx.reply.nullBulk();
  const [chosen, entry] = listed[Math.floor(Math.random() * listed.length)]!;
  try {
    replyKeyName(ctx, chosen, entry);
  } catch (err) {
    sealFailed(ctx, err);
  }
}

function keys(ctx: Session, args: Buffer[]): void {
  const found = listKeys(ctx, ctx.db.keys(), new KeyLister(ctx, patternOf(args[1]!)));
  if (found !== null) replyKeys(ctx, found);
}

/** A name that fails to open becomes an error element, so the array stays well formed. */
function replyKeys(ctx: Session, list: [string, Entry][]): void {
  ctx.reply.arrayLen(list.length);
  for (const [key, entry] of list) {
    try {
      replyKeyName(ctx, key, entry);
    } catch (err) {
      sealFailed(ctx, err);
    }
  }
}

// ---- SCAN ----

interface ScanOptions {
  count: number;
  pattern: Buffer | null;
  type: string | null;
}

/** SCAN's options after the cursor, or an error message. */
function parseScanOptions(args: Buffer[]): ScanOptions | string {
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = 2; i < args.length; i += 2) {
    if (i + 1 >= args.length) return Errors.syntax;
    const opt = word(args[i]!);
    const value = args[i + 1]!;
    if (opt === 'count') {
      const n = int64(value);
      if (n === null) return Errors.notInteger;
      if (n < 1n) return Errors.syntax;
      opts.count = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
    } else if (opt === 'match') {
      opts.pattern = patternOf(value);
    } else if (opt === 'type') {
      opts.type = word(value);
    } else {
      return Errors.syntax;
    }
  }
  return opts;
}

function scan(ctx: Session, args: Buffer[]): void {
  const cursor = parseCursor(args[1]!);
  if (cursor === null) return ctx.reply.error(Errors.invalidCursor);
  const opts = parseScanOptions(args);
  if (typeof opts === 'string') return ctx.reply.error(opts);
  const visited: string[] = [];
  const next = ctx.db.scan(cursor, opts.count, (key) => visited.push(key));
  const found = listKeys(ctx, visited, new KeyLister(ctx, opts.pattern), opts.type);
  if (found === null) return;
  ctx.reply.arrayLen(2);
  ctx.reply.bulkLatin1(String(next));
  replyKeys(ctx, found);
}

// ---- RENAME, COPY, MOVE ----

/** Where a value is going: the database it lands in and its key name there. */
interface Home {
  db: Keyspace;
  key: string;
}

/**
 * A copy of entry sealed for its new home, or null after replying with the seal error (the
 * keyspace is untouched, the failure counted). Plaintext lives only inside SealedValues.resealAny.
 * With seal-keys the copy gets the new key's sealed name when it is stored (Keyspace.set).
 */
function resealed(ctx: Session, entry: Entry, from: Home, to: Home, touchedAt: number): Entry | null {
  const values = ctx.server.values;
  try {
    if (isPackedForm(entry)) {
      // A small list, set or sorted set packed at rest moves as its one blob, opened once and
      // sealed for the new home (it was unpacked: a seal and a digest per element, twice); a
      // packed hash is unpacked (that opens nothing) and moves as any hash.
      if (entry.kind !== Kind.Hash) return from.db.packer!.moveTo(from.db.uid, from.key, entry, to.db.uid, to.key, touchedAt) as unknown as Entry;
      entry = from.db.get(from.key, ctx.now)!;
    }
    return opsOf(entry).reseal(entry, (sealed, purpose, bind) =>
      values.resealAny(purpose, from.db.uid, from.key, to.db.uid, to.key, sealed, bind), touchedAt);
  } catch (err) {
    return sealFailed(ctx, err);
  }
}

/** Moves the entry at `from` to `to` (replacing whatever is there), keeping its TTL. */
function relocate(ctx: Session, entry: Entry, from: Home, to: Home): boolean {
  const moved = resealed(ctx, entry, from, to, entry.touchedAt);
  if (moved === null) return false;
  from.db.delete(from.key, from.db === to.db ? 'rename_from' : 'move_from');
  to.db.set(to.key, moved, from.db === to.db ? 'rename_to' : 'move_to');
  return true;
}

function renameGeneric(ctx: Session, args: Buffer[], onlyIfNew: boolean): void {
  const from: Home = { db: ctx.db, key: keyOf(ctx, args[1]!) };
  const to: Home = { db: ctx.db, key: keyOf(ctx, args[2]!) };
  // Through getStored: a packed collection stays packed (resealed moves its blob).
  const entry = ctx.db.getStored(from.key, ctx.now);
  if (entry === undefined) return ctx.reply.error(Errors.noSuchKey);
  // Redis 7: renaming a key to itself succeeds without doing anything.
  if (from.key === to.key) return onlyIfNew ? ctx.reply.integer(0) : ctx.reply.ok();
  if (onlyIfNew && ctx.db.getStored(to.key, ctx.now) !== undefined) return ctx.reply.integer(0);
  if (!relocate(ctx, entry, from, to)) return;
  if (onlyIfNew) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function rename(ctx: Session, args: Buffer[]): void {
  renameGeneric(ctx, args, false);
}

function renamenx(ctx: Session, args: Buffer[]): void {
  renameGeneric(ctx, args, true);
}

/** databases[n] for a DB argument, or an error message (Redis getIntFromObject + selectDb). */
function database(ctx: Session, arg: Buffer): Keyspace | string {
  const n = int64(arg);
  if (n === null) return Errors.notInteger;
  if (n < -(2n ** 31n) || n >= 2n ** 31n) return Errors.valueOutOfIntRange;
  return ctx.server.databases[Number(n)] ?? Errors.dbIndexOutOfRange;
}

function copy(ctx: Session, args: Buffer[]): void {
  const from: Home = { db: ctx.db, key: keyOf(ctx, args[1]!) };
  const to: Home = { db: ctx.db, key: keyOf(ctx, args[2]!) };
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    const opt = word(args[i]!);
    if (opt === 'replace') replace = true;
    else if (opt === 'db' && i + 1 < args.length) {
      const db = database(ctx, args[++i]!);
      if (typeof db === 'string') return ctx.reply.error(db);
      to.db = db;
    } else return ctx.reply.error(Errors.syntax);
  }
  if (ctx.server.cluster !== null && (ctx.dbIndex !== 0 || to.db !== ctx.server.databases[0])) {
    return ctx.reply.error(Errors.notInClusterMode('Copying to another database'));
  }
  if (from.db === to.db && from.key === to.key) return ctx.reply.error(Errors.sameObject);
  const entry = ctx.db.readPacked(from.key, ctx.now);
  if (entry === undefined) return ctx.reply.integer(0);
  if (to.db.getStored(to.key, ctx.now) !== undefined && !replace) return ctx.reply.integer(0);
  const dup = resealed(ctx, entry, from, to, ctx.now);
  if (dup === null) return;
  to.db.set(to.key, dup, 'copy_to');
  ctx.reply.integer(1);
}

function move(ctx: Session, args: Buffer[]): void {
  if (ctx.server.cluster !== null) return ctx.reply.error(Errors.notInClusterMode('MOVE'));
  const key = keyOf(ctx, args[1]!);
  const target = database(ctx, args[2]!);
  if (typeof target === 'string') return ctx.reply.error(target);
  if (target === ctx.db) return ctx.reply.error(Errors.sameObject);
  const entry = ctx.db.getStored(key, ctx.now);
  if (entry === undefined || target.getStored(key, ctx.now) !== undefined) return ctx.reply.integer(0);
  if (relocate(ctx, entry, { db: ctx.db, key }, { db: target, key })) ctx.reply.integer(1);
}

// ---- OBJECT ----

/** Redis shares the integers 0..9999 between keys; OBJECT REFCOUNT shows them as INT_MAX. */
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

const INT64_MAX_DIGITS = Buffer.from('9223372036854775807');
const INT64_MIN_DIGITS = Buffer.from('9223372036854775808');

/**
 * The value of a canonical signed 64-bit integer text (what Redis string2ll accepts), read
 * straight from the bytes so the plaintext never becomes a JS string. Only what matters for
 * shared integers is exact: 0..9999 as themselves, larger values as some n >= 10000, negative
 * values as -1. null when the text is not such an integer.
 */
function canonicalInt(bytes: Buffer): number | null {
  const negative = bytes[0] === 0x2d;
  const digits = bytes.subarray(negative ? 1 : 0);
  if (digits.length === 0 || digits.length > 19) return null;
  if (digits[0] === 0x30) return digits.length === 1 && !negative ? 0 : null;
  let small = 0;
  for (const c of digits) {
    if (c < 0x30 || c > 0x39) return null;
    if (small < SHARED_INTEGERS) small = small * 10 + (c - 0x30);
  }
  if (digits.length === 19 && Buffer.compare(digits, negative ? INT64_MIN_DIGITS : INT64_MAX_DIGITS) > 0) return null;
  return negative ? -1 : small;
}

/**
 * What Redis would print for this entry (its type's ops): from lengths alone unless a short
 * string must be read; null after replying with the error of a value that failed to open.
 */
function encodingOf(ctx: Session, key: string, entry: Entry): string | null {
  return opsOf(entry).encoding(entry, {
    plainLength: Sealer.plainLength,
    isInteger(sealed) {
      const plain = openValue(ctx, key, sealed);
      if (plain === null) return null;
      const isInt = canonicalInt(plain) !== null;
      plain.fill(0);
      return isInt;
    },
  });
}

/** A packed collection's encoding, from its flag: what its type's ops answer once it is unpacked (the flag carried over). */
function packedEncoding(packed: PackedForm): string {
  switch (packed.kind) {
    case Kind.Set: return packed.flag ? 'intset' : 'hashtable';
    case Kind.ZSet: return packed.flag ? 'skiplist' : 'listpack';
    case Kind.Hash: return packed.flag ? 'listpack' : 'hashtable';
    default: return 'quicklist';
  }
}

function objectEncoding(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[2]!);
  const stored = lookupNoTouch(ctx, key, false);
  if (stored === undefined) return ctx.reply.nullBulk();
  // A packed collection keeps the flag its encoding is read from: it stays packed.
  if (isPackedForm(stored)) return ctx.reply.bulkText(packedEncoding(stored));
  const encoding = encodingOf(ctx, key, ctx.db.get(key, ctx.now)!);
  if (encoding !== null) ctx.reply.bulkText(encoding);
}

/**
 * Redis shares the objects of small integers (0-9999), except under maxmemory with an LRU or LFU
 * policy, where each key needs its own access time (MAXMEMORY_FLAG_NO_SHARED_INTEGERS). sealkv
 * shares nothing, but answers as Redis would for the settings in force now (Redis decides when
 * the value is written).
 */
function sharesIntegers(ctx: Session): boolean {
  const { maxmemory, policy } = ctx.server.memory.settings;
  return maxmemory === 0 || !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
}

function objectRefcount(ctx: Session, args: Buffer[]): void {
  const key = keyOf(ctx, args[2]!);
  const entry = lookupNoTouch(ctx, key, false);
  if (entry === undefined) return ctx.reply.nullBulk();
  if (entry.kind !== Kind.String || Sealer.plainLength(entry.value) > 4 || !sharesIntegers(ctx)) return ctx.reply.integer(1);
  const plain = openValue(ctx, key, entry.value);
  if (plain === null) return;
  const n = canonicalInt(plain);
  plain.fill(0);
  ctx.reply.integer(n !== null && n >= 0 && n < SHARED_INTEGERS ? SHARED_REFCOUNT : 1);
}

function objectIdletime(ctx: Session, args: Buffer[]): void {
  const entry = lookupNoTouch(ctx, keyOf(ctx, args[2]!), false);
  if (entry === undefined) return ctx.reply.nullBulk();
  if (ctx.server.access.lfu) return ctx.reply.error(Errors.lfuSelectedNoIdle);
  ctx.reply.integer(Math.max(0, Math.floor((ctx.now - entry.touchedAt) / 1000)));
}

function objectFreq(ctx: Session, args: Buffer[]): void {
  const entry = lookupNoTouch(ctx, keyOf(ctx, args[2]!), false);
  if (entry === undefined) return ctx.reply.nullBulk();
  if (!ctx.server.access.lfu) return ctx.reply.error(Errors.lfuNotSelected);
  ctx.reply.integer(ctx.server.access.frequency(entry.touchedAt, ctx.now));
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

function objectHelp(ctx: Session): void {
  ctx.reply.arrayLen(OBJECT_HELP.length);
  for (const line of OBJECT_HELP) ctx.reply.simple(line);
}

// ---- table ----

/** Keys whose existence, type or TTL the command touches, never their values (NO_VALUE). */
const DELETE_ALL = [span(1, -1, 1, 'RM', 'DELETE', 'NO_VALUE')];
const LOOK_ALL = [span(1, -1, 1, 'RO', 'NO_VALUE')];
const MULTI_SUM = ['request_policy:multi_shard', 'response_policy:agg_sum'];
const READ_FAST = ['@keyspace', '@read', '@fast'];
const WRITE_FAST = ['@keyspace', '@write', '@fast'];

const objectSub = (sub: string, summary: string, since: string, handler: CommandSpec['handler']): CommandSpec => ({
  name: sub, arity: 3, flags: ['readonly'], keySpecs: [at(2, 'RO')], tips: ['nondeterministic_output'],
  categories: ['@keyspace', '@read', '@slow'], summary, since, group: 'generic', complexity: 'O(1)', handler,
});

export const keyCommands: CommandSpec[] = [
  { name: 'del', arity: -2, flags: ['write'], keySpecs: DELETE_ALL, tips: MULTI_SUM, categories: ['@keyspace', '@write', '@slow'],
    summary: 'Delete a key', since: '1.0.0', group: 'generic', complexity: 'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
    handler: takesRawArgs(del) },
  { name: 'unlink', arity: -2, flags: ['write', 'fast'], keySpecs: DELETE_ALL, tips: MULTI_SUM, categories: WRITE_FAST,
    summary: 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
    since: '4.0.0', group: 'generic', complexity: 'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
    handler: takesRawArgs(unlink) },
  { name: 'exists', arity: -2, flags: ['readonly', 'fast'], keySpecs: LOOK_ALL, tips: MULTI_SUM, categories: READ_FAST,
    summary: 'Determine if a key exists', since: '1.0.0', group: 'generic', complexity: 'O(N) where N is the number of keys to check.',
    handler: takesArgList(exists) },
  { name: 'touch', arity: -2, flags: ['readonly', 'fast'], keySpecs: LOOK_ALL, tips: MULTI_SUM, categories: READ_FAST,
    summary: 'Alters the last access time of a key(s). Returns the number of existing keys specified.',
    since: '3.2.1', group: 'generic', complexity: 'O(N) where N is the number of keys that will be touched.',
    handler: takesArgList(touch) },
  { name: 'type', arity: 2, flags: ['readonly', 'fast'], keySpecs: [at(1, 'RO', 'NO_VALUE')], categories: READ_FAST,
    summary: 'Determine the type stored at key', since: '1.0.0', group: 'generic', complexity: 'O(1)',
    handler: type },
  { name: 'rename', arity: 3, flags: ['write'], keySpecs: [at(1, 'RW', 'ACCESS', 'DELETE'), at(2, 'OW', 'UPDATE')], categories: ['@keyspace', '@write', '@slow'],
    summary: 'Rename a key', since: '1.0.0', group: 'generic', complexity: 'O(1)',
    handler: rename },
  { name: 'renamenx', arity: 3, flags: ['write', 'fast'], keySpecs: [at(1, 'RW', 'ACCESS', 'DELETE'), at(2, 'OW', 'INSERT')], categories: WRITE_FAST,
    summary: 'Rename a key, only if the new key does not exist', since: '1.0.0', group: 'generic', complexity: 'O(1)',
    handler: renamenx },
  { name: 'copy', arity: -3, flags: ['write', 'denyoom'], keySpecs: [at(1, 'RO', 'ACCESS'), at(2, 'OW', 'UPDATE')], categories: ['@keyspace', '@write', '@slow'],
    summary: 'Copy a key', since: '6.2.0', group: 'generic', complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    handler: copy },
  { name: 'move', arity: 3, flags: ['write', 'fast'], keySpecs: [at(1, 'RW', 'ACCESS', 'UPDATE')], categories: WRITE_FAST,
    summary: 'Move a key to another database', since: '1.0.0', group: 'generic', complexity: 'O(1)',
    handler: move },
  { name: 'keys', arity: 2, flags: ['readonly'], tips: ['request_policy:all_shards', 'nondeterministic_output_order'], categories: ['@keyspace', '@read', '@slow', '@dangerous'],
    summary: 'Find all keys matching the given pattern', since: '1.0.0', group: 'generic', complexity: 'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    handler: keys },
  { name: 'scan', arity: -2, flags: ['readonly'], tips: ['nondeterministic_output', 'request_policy:special'], categories: ['@keyspace', '@read', '@slow'],
    summary: 'Incrementally iterate the keys space', since: '2.8.0', group: 'generic', complexity: 'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    handler: scan },
  { name: 'randomkey', arity: 1, flags: ['readonly'], tips: ['request_policy:all_shards', 'nondeterministic_output'], categories: ['@keyspace', '@read', '@slow'],
    summary: 'Return a random key from the keyspace', since: '1.0.0', group: 'generic', complexity: 'O(1)',
    handler: randomkey },
  { name: 'dbsize', arity: 1, flags: ['readonly', 'fast'], tips: ['request_policy:all_shards', 'response_policy:agg_sum'], categories: READ_FAST,
    summary: 'Return the number of keys in the selected database', since: '1.0.0', group: 'server', complexity: 'O(1)',
    handler: dbsize },
  {
    name: 'object', arity: -2, flags: [], categories: ['@slow'],
    summary: 'A container for object introspection commands', since: '2.2.3', group: 'generic',
    complexity: 'Depends on subcommand.',
    subcommands: [
      objectSub('encoding', 'Inspect the internal encoding of a Redis object', '2.2.3', objectEncoding),
      objectSub('freq', 'Get the logarithmic access frequency counter of a Redis object', '4.0.0', objectFreq),
      objectSub('idletime', 'Get the time since a Redis object was last accessed', '2.2.3', objectIdletime),
      objectSub('refcount', 'Get the number of references to the value of the key', '2.2.3', objectRefcount),
      { name: 'help', arity: 2, flags: ['loading', 'stale'], categories: ['@keyspace', '@slow'],
        summary: 'Show helpful text about the different subcommands', since: '6.2.0', group: 'generic', complexity: 'O(1)', handler: objectHelp },
    ],
  },
];
