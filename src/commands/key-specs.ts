// Where a command's keys are and what it does to them: Redis 7 key specs (begin-search, then
// find-keys, then flags), kept in the command tables, and keysOf, the one function every user
// of key positions calls (ACL, the OOM/spill gate, COMMAND GETKEYS; later cluster slots,
// scripts and blocking). Read: redis src/commands/*.json key_specs, db.c getKeysUsingKeySpecs.

import { parseStrictInteger } from '../protocol/parser.js';

/** Key spec flags as bits (redis CMD_KEY_*), so a key's flags are one small integer. */
export const KeyFlag = {
  RO: 1 << 0,
  RW: 1 << 1,
  OW: 1 << 2,
  RM: 1 << 3,
  ACCESS: 1 << 4,
  UPDATE: 1 << 5,
  INSERT: 1 << 6,
  DELETE: 1 << 7,
  NOT_KEY: 1 << 8,
  INCOMPLETE: 1 << 9,
  VARIABLE_FLAGS: 1 << 10,
  /**
   * sealkv only, never shown by COMMAND: the command touches the key's existence, type or TTL,
   * never its value, so a spilled value stays where it is (DEL, EXISTS, TTL, EXPIRE, WATCH...).
   */
  NO_VALUE: 1 << 16,
} as const;

export type KeyFlagName = keyof typeof KeyFlag;

/** The flags COMMAND INFO and GETKEYSANDFLAGS show, in Redis's order and spelling. */
export const KEY_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [KeyFlag.RO, 'RO'],
  [KeyFlag.RW, 'RW'],
  [KeyFlag.OW, 'OW'],
  [KeyFlag.RM, 'RM'],
  [KeyFlag.ACCESS, 'access'],
  [KeyFlag.UPDATE, 'update'],
  [KeyFlag.INSERT, 'insert'],
  [KeyFlag.DELETE, 'delete'],
  [KeyFlag.NOT_KEY, 'not_key'],
  [KeyFlag.INCOMPLETE, 'incomplete'],
  [KeyFlag.VARIABLE_FLAGS, 'variable_flags'],
];

/** Exactly one of these says how the key's data is touched (Redis requires it). */
export const ACCESS_MODE = KeyFlag.RO | KeyFlag.RW | KeyFlag.OW | KeyFlag.RM;
/** A key whose value the command reads (ACL read permission). */
export const READS = KeyFlag.ACCESS;
/** A key the command changes (ACL write permission). */
export const WRITES = KeyFlag.INSERT | KeyFlag.DELETE | KeyFlag.UPDATE;

/**
 * Where the search for keys starts: a fixed argument, or just after a keyword found by scanning
 * from startFrom (negative: from the end, backwards). 'unknown' when only the command's own key
 * finder knows (SORT BY/GET/STORE).
 */
export type BeginSearch =
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'keyword'; readonly keyword: string; readonly startFrom: number; readonly bytes: Buffer }
  | { readonly type: 'unknown' };

/**
 * Which arguments from there are keys: a range (lastKey relative to the start, or negative from
 * the end; with limit, only that fraction of what remains: XREAD's streams), or a count read
 * from an argument (EVAL numkeys: keynumIdx relative to the start, the keys from firstKey).
 */
export type FindKeys =
  | { readonly type: 'range'; readonly lastKey: number; readonly step: number; readonly limit: number }
  | { readonly type: 'keynum'; readonly keynumIdx: number; readonly firstKey: number; readonly step: number }
  | { readonly type: 'unknown' };

export interface KeySpec {
  readonly flags: number;
  readonly begin: BeginSearch;
  readonly find: FindKeys;
  /** Shown by COMMAND INFO as Redis does ("RW and ACCESS due to the optional `GET` argument"). */
  readonly notes: string | undefined;
  /**
   * The common form (a fixed position and a plain range) kept flat, so keysOf reads it without
   * looking at begin and find: the position (0 for other forms), the last key and the step.
   */
  readonly plainFirst: number;
  readonly plainLast: number;
  readonly plainStep: number;
}

/** One key argument: its position in the request (0 is the command name) and its flags. */
export interface KeyRef {
  pos: number;
  flags: number;
}

/**
 * A command's own key finder (redis getkeys_proc), for what specs cannot say: flags that depend
 * on an option (SET ... GET), or keys the specs mark unknown or incomplete (SORT ... STORE).
 */
export type KeyFinder = (args: readonly Buffer[]) => KeyRef[];

/** What keysOf needs from a command table entry. */
export interface KeyedCommand {
  readonly arity: number;
  readonly keySpecs?: readonly KeySpec[];
  readonly findKeys?: KeyFinder;
}

// ---- building specs in the tables ----

function bits(names: readonly KeyFlagName[]): number {
  let flags = 0;
  for (const n of names) flags |= KeyFlag[n];
  return flags;
}

export const index = (i: number): BeginSearch => ({ type: 'index', index: i });

export const keyword = (word: string, startFrom: number): BeginSearch => ({
  type: 'keyword',
  keyword: word,
  startFrom,
  bytes: Buffer.from(word.toLowerCase(), 'latin1'),
});

export const range = (lastKey: number, step = 1, limit = 0): FindKeys => ({ type: 'range', lastKey, step, limit });

export const keynum = (keynumIdx: number, firstKey: number, step = 1): FindKeys => ({ type: 'keynum', keynumIdx, firstKey, step });

export const UNKNOWN_BEGIN: BeginSearch = { type: 'unknown' };
export const UNKNOWN_FIND: FindKeys = { type: 'unknown' };

/** Any key spec: keySpec(keyword('STREAMS', 1), range(-1, 1, 2), ['RO', 'ACCESS']). */
export function keySpec(begin: BeginSearch, find: FindKeys, flags: readonly KeyFlagName[], notes?: string): KeySpec {
  const plain = begin.type === 'index' && find.type === 'range' && find.limit === 0;
  return {
    flags: bits(flags),
    begin,
    find,
    notes,
    plainFirst: plain ? begin.index : 0,
    plainLast: plain ? find.lastKey : 0,
    plainStep: plain ? find.step : 0,
  };
}

/** The common case, one key at a fixed position: GET is `at(1, 'RO', 'ACCESS')`. */
export function at(position: number, ...flags: KeyFlagName[]): KeySpec {
  return keySpec(index(position), range(0), flags);
}

/**
 * Keys from a fixed position: lastKey relative to it, or negative from the end, every step
 * arguments: DEL is `span(1, -1, 1, 'RM', 'DELETE')`, MSET `span(1, -1, 2, 'OW', 'UPDATE')`.
 */
export function span(position: number, lastKey: number, step: number, ...flags: KeyFlagName[]): KeySpec {
  return keySpec(index(position), range(lastKey, step), flags);
}

/** The same spec with Redis's note attached. */
export function noted(spec: KeySpec, notes: string): KeySpec {
  return { ...spec, notes };
}

// ---- finding keys in a request ----

/** Shared and frozen: no keys. */
const NO_KEYS: readonly KeyRef[] = Object.freeze([]);

/** Whether the argument equals an ASCII keyword, ignoring case, without making a string. */
function isKeyword(arg: Buffer, lower: Buffer): boolean {
  if (arg.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = arg[i]!;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower[i]) return false;
  }
  return true;
}

/**
 * The keys one spec finds: a list, or false when the spec cannot say (unknown, a keyword or count
 * that does not fit the request, or INCOMPLETE: its keys are not all of them).
 */
function applySpec(spec: KeySpec, args: readonly Buffer[]): readonly KeyRef[] | false {
  const argc = args.length;
  let first = spec.plainFirst;
  let last: number;
  let step: number;
  if (first > 0) {
    last = spec.plainLast >= 0 ? first + spec.plainLast : argc + spec.plainLast;
    step = spec.plainStep;
    // A range to the end that is empty here (PFMERGE destkey without sources) names no keys;
    // Redis gives up on the whole request instead, and so checks no key permission for destkey.
    if (spec.plainLast < 0 && first === argc) return NO_KEYS;
  } else {
    const found = searchSpec(spec, args);
    if (found === false) return false;
    // The keyword is absent: this spec names no keys in this request.
    if (found === true) return NO_KEYS;
    first = found[0];
    last = found[1];
    step = found[2];
  }
  // Out of bounds means a request the command itself will refuse (a syntax error).
  if (last >= argc || last < first || first >= argc || step < 1) return false;
  if ((spec.flags & KeyFlag.INCOMPLETE) !== 0) return false;
  // Lists made at their size: growing an empty array by push costs more than the search.
  if (first === last) return [{ pos: first, flags: spec.flags }];
  const out = new Array<KeyRef>(Math.floor((last - first) / step) + 1);
  for (let i = first, k = 0; i <= last; i += step) out[k++] = { pos: i, flags: spec.flags };
  return out;
}

/**
 * The first and last key and the step for the other forms; true when a keyword is absent (no
 * keys from this spec), false when the spec cannot say.
 */
function searchSpec(spec: KeySpec, args: readonly Buffer[]): [number, number, number] | boolean {
  const argc = args.length;
  let first = 0;
  const begin = spec.begin;
  if (begin.type === 'index') {
    first = begin.index;
  } else if (begin.type === 'keyword') {
    // Scanned as Redis does: up to (not including) the last argument, or down to (not
    // including) the first; the direction comes from where the scan starts.
    const start = begin.startFrom > 0 ? begin.startFrom : argc + begin.startFrom;
    const end = begin.startFrom > 0 ? argc - 1 : 1;
    const dir = start <= end ? 1 : -1;
    for (let i = start; i !== end; i += dir) {
      if (i >= argc || i < 1) break;
      if (isKeyword(args[i]!, begin.bytes)) {
        first = i + 1;
        break;
      }
    }
    // The keyword is absent: this spec names no keys in this request.
    if (first === 0) return true;
  } else {
    return false;
  }

  let last: number;
  let step: number;
  const find = spec.find;
  if (find.type === 'range') {
    step = find.step;
    if (find.lastKey >= 0) last = first + find.lastKey;
    else if (find.limit === 0) last = argc + find.lastKey;
    else last = first + (Math.floor((argc - first) / find.limit) + find.lastKey);
  } else if (find.type === 'keynum') {
    step = find.step;
    const at = first + find.keynumIdx;
    if (at >= argc) return false;
    const count = parseStrictInteger(args[at]!, 0, args[at]!.length);
    if (count === null || count < 0) return false;
    first += find.firstKey;
    // Zero keys leaves last before first: not for the specs to say (EVAL's finder answers).
    last = first + count - 1;
  } else {
    return false;
  }
  return [first, last, step];
}

/** The keys the specs name, or null when some spec cannot say (redis getKeysUsingKeySpecs). */
export function keysFromSpecs(specs: readonly KeySpec[], args: readonly Buffer[]): readonly KeyRef[] | null {
  let out: readonly KeyRef[] = NO_KEYS;
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    // NOT_KEY: an argument that looks like a key but is not one (a channel, say).
    if ((spec.flags & KeyFlag.NOT_KEY) !== 0) continue;
    const found = applySpec(spec, args);
    if (found === false) return null;
    if (found.length > 0) out = out.length === 0 ? found : out.concat(found);
  }
  return out;
}

/** Whether the command can have key arguments at all (redis doesCommandHaveKeys). */
export function hasKeys(cmd: KeyedCommand): boolean {
  if (cmd.findKeys !== undefined) return true;
  const specs = cmd.keySpecs;
  if (specs === undefined) return false;
  for (const s of specs) if ((s.flags & KeyFlag.NOT_KEY) === 0) return true;
  return false;
}

/**
 * The key arguments of a request (args[0] is the command name) with their flags: from the specs
 * when they say everything, else from the command's own finder (redis
 * getKeysFromCommandWithSpecs). Empty when the command has no keys or the request is malformed
 * (the command refuses it when it runs). Callers must not change the returned array.
 */
export function keysOf(cmd: KeyedCommand, args: readonly Buffer[]): readonly KeyRef[] {
  const specs = cmd.keySpecs;
  if (specs !== undefined) {
    let any = false;
    let variable = false;
    for (let i = 0; i < specs.length; i++) {
      const flags = specs[i]!.flags;
      if ((flags & KeyFlag.NOT_KEY) === 0) any = true;
      if ((flags & KeyFlag.VARIABLE_FLAGS) !== 0) variable = true;
    }
    // Specs first, when their flags hold for every request.
    if (any && !variable) {
      const found = keysFromSpecs(specs, args);
      if (found !== null) return found;
    }
  }
  if (cmd.findKeys !== undefined) return cmd.findKeys(args);
  return NO_KEYS;
}

// ---- what COMMAND INFO derives from the specs ----

export interface LegacyRange {
  firstKey: number;
  lastKey: number;
  step: number;
  /** Keys the old first/last/step cannot describe: COMMAND INFO adds the movablekeys flag. */
  movable: boolean;
}

/**
 * The pre-7 (first, last, step) triple COMMAND INFO still shows, derived from the specs the way
 * redis populateCommandLegacyRangeSpec does: the consecutive plain ranges, and movablekeys when
 * any key lies outside them.
 */
export function legacyRange(specs: readonly KeySpec[] | undefined): LegacyRange {
  const none: LegacyRange = { firstKey: 0, lastKey: 0, step: 0, movable: false };
  if (specs === undefined || specs.length === 0) return none;
  let movable = false;
  for (const s of specs) {
    if (s.begin.type !== 'index' || s.find.type !== 'range' || (s.flags & KeyFlag.INCOMPLETE) !== 0) movable = true;
  }
  const only = specs[0]!;
  if (specs.length === 1 && only.begin.type === 'index' && only.find.type === 'range') {
    const { lastKey, step } = only.find;
    return { firstKey: only.begin.index, lastKey: lastKey >= 0 ? lastKey + only.begin.index : lastKey, step, movable };
  }
  let first = Infinity;
  // Compared as unsigned, as Redis does: a negative (counted from the end) last key wins.
  let last = 0;
  const unsigned = (n: number) => (n < 0 ? 2 ** 32 + n : n);
  for (const s of specs) {
    if (s.begin.type !== 'index' || s.find.type !== 'range') continue;
    if (s.find.step !== 1 || (last !== 0 && last !== s.begin.index - 1)) return { ...none, movable: true };
    first = Math.min(first, s.begin.index);
    const absolute = s.find.lastKey >= 0 ? s.find.lastKey + s.begin.index : s.find.lastKey;
    if (unsigned(absolute) > unsigned(last)) last = absolute;
  }
  if (first === Infinity) return { ...none, movable };
  return { firstKey: first, lastKey: last, step: 1, movable };
}

/**
 * Why a table's key specs cannot be right, or null (checked at load and by the table test):
 * one access mode each, positions inside the arity, steps and counts that make sense.
 */
export function keySpecProblem(cmd: KeyedCommand): string | null {
  const minArgs = Math.abs(cmd.arity);
  for (const [n, s] of (cmd.keySpecs ?? []).entries()) {
    const modes = s.flags & ACCESS_MODE;
    if ((s.flags & KeyFlag.NOT_KEY) === 0 && (modes === 0 || (modes & (modes - 1)) !== 0)) return `key spec ${n} needs exactly one of RO, RW, OW, RM`;
    if (s.begin.type === 'index') {
      if (s.begin.index < 1) return `key spec ${n} begins before the first argument`;
      // Keys at fixed positions are among the arguments every request has.
      const lastFixed = s.begin.index + (s.find.type === 'range' && s.find.lastKey > 0 ? s.find.lastKey : 0);
      // A range to the end may start just past them and be empty (PFMERGE destkey [sourcekey ...],
      // SUNSUBSCRIBE [shardchannel ...]).
      const openEnded = s.find.type === 'range' && s.find.lastKey < 0 && s.find.limit === 0;
      if (lastFixed >= minArgs + (openEnded ? 1 : 0)) return `key spec ${n} reaches past the arity`;
    }
    if (s.begin.type === 'keyword' && (s.begin.startFrom === 0 || s.begin.keyword.length === 0)) return `key spec ${n} has no keyword or start`;
    if (s.find.type === 'range') {
      if (s.find.step < 1) return `key spec ${n} has a step below 1`;
      if (s.find.limit < 0 || (s.find.limit > 0 && s.find.lastKey !== -1)) return `key spec ${n} has a limit without lastkey -1`;
    }
    if (s.find.type === 'keynum' && (s.find.step < 1 || s.find.firstKey <= s.find.keynumIdx)) return `key spec ${n} has keys before their count`;
    if ((s.begin.type === 'unknown' || s.find.type === 'unknown' || (s.flags & (KeyFlag.INCOMPLETE | KeyFlag.VARIABLE_FLAGS)) !== 0) && cmd.findKeys === undefined) {
      return `key spec ${n} needs the command's own key finder`;
    }
  }
  return null;
}
