// SORT and SORT_RO (redis sort.c) over lists, sets and sorted sets: BY (a key pattern with `*`,
// optionally `->field` of a hash; a pattern without `*` means no sorting), GET (`#` or patterns),
// LIMIT, ASC/DESC, ALPHA, STORE (the result is a list). The elements are opened only while the
// command runs, into buffers wiped before it returns; stored results are re-sealed for the
// destination list.

import { mayRunReadingAllKeys } from '../../acl/permissions.js';
import { HashAccess } from '../hashes/hash-fields.js';
import { int64, keyOf, word } from '../args.js';
import { sealFailed } from '../values/sealing.js';
import { Errors } from '../../protocol/errors.js';
import { Sealer, SealError } from '../../seal/sealer.js';
import { Purpose } from '../../seal/values.js';
import { Kind, listEntry, type Entry, type ListEntry, type ZSetEntry } from '../../store/keyspace.js';
import type { SetEntry } from '../../store/entry.js';
import { plainBuffer } from '../../util/bytes.js';
import { hexFloat } from '../../util/double-text.js';
import { isPackedForm, PackedRecord, type PackedForm } from '../../store/packed-record.js';
import { at, keySpec, KeyFlag, UNKNOWN_BEGIN, UNKNOWN_FIND, type KeyRef } from '../key-specs.js';
import { compareIntegers, setCodec } from '../sets/set-entries.js';
import { listCodec } from '../lists/list-entries.js';
import { sealedView } from '../zsets/zset-entries.js';
import type { CommandSpec, Session } from '../types.js';

// ---- patterns ----

/** The plaintext a BY or GET pattern names for one element (the caller wipes it), or null (lookupKeyByPattern). */
function lookupPattern(ctx: Session, pattern: Buffer, element: Buffer): Buffer | null {
  // Patterns are C strings in Redis: they end at a NUL.
  const nul = pattern.indexOf(0);
  const spat = nul < 0 ? pattern : pattern.subarray(0, nul);
  if (spat.length === 1 && spat[0] === 0x23) return Buffer.from(element);
  const star = spat.indexOf(0x2a);
  if (star < 0) return null;
  const arrow = spat.indexOf('->', star + 1, 'latin1');
  const hasField = arrow >= 0 && arrow + 2 < spat.length;
  const postfixEnd = hasField ? arrow : spat.length;
  const keyBytes = plainBuffer(star + element.length + (postfixEnd - star - 1));
  spat.copy(keyBytes, 0, 0, star);
  element.copy(keyBytes, star);
  spat.copy(keyBytes, star + element.length, star + 1, postfixEnd);
  const key = keyOf(ctx, keyBytes);
  keyBytes.fill(0);
  const entry: Entry | undefined = ctx.db.read(key, ctx.now);
  if (entry === undefined) return null;
  if (hasField) {
    if (entry.kind !== Kind.Hash) return null;
    // The hash's plaintext scratch is wiped by done(): the value is copied out first.
    const h = new HashAccess(ctx, key, entry.fields);
    try {
      if (!h.find(spat.subarray(arrow + 2))) return null;
      const value = h.pairs.value();
      const out = plainBuffer(value.length);
      out.set(value);
      return out;
    } finally {
      h.done();
    }
  }
  if (entry.kind !== Kind.String) return null;
  const sealed = entry.value;
  const length = Sealer.plainLength(sealed);
  const out = plainBuffer(length);
  if (length > 0) ctx.server.values.openValueRange(ctx.db.uid, key, sealed, 0, length, out, 0);
  return out;
}

// ---- weights ----

const HEX = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?$/;
const MIN_NORMAL = 2.2250738585072014e-308;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Whether bytes[at..end) spell `word` case-insensitively. */
function spells(bytes: Buffer, at: number, end: number, word: string): boolean {
  if (end - at !== word.length) return false;
  for (let i = 0; i < word.length; i++) if ((bytes[at + i]! | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * strtod on the C string as SORT checks it (the whole text a number, no ERANGE, no NaN): the
 * double, or null. Read from the bytes: an element that is no number never becomes a string, and
 * a decimal of up to 15 digits (times a power of ten up to 22) is computed without one either.
 */
function sortScore(bytes: Buffer): number | null {
  const nul = bytes.indexOf(0);
  const end = nul < 0 ? bytes.length : nul;
  if (end === 0) return 0;
  let i = 0;
  while (i < end && isSpace(bytes[i]!)) i++;
  if (i === end) return null;
  const start = i;
  let negative = false;
  if (bytes[i] === 0x2b || bytes[i] === 0x2d) negative = bytes[i++] === 0x2d;
  if (spells(bytes, i, end, 'inf') || spells(bytes, i, end, 'infinity')) return negative ? -Infinity : Infinity;
  if (i + 1 < end && bytes[i] === 0x30 && (bytes[i + 1]! | 0x20) === 0x78) {
    if (end - start > 4096) return null;
    const text = bytes.toString('latin1', start, end);
    return HEX.test(text) ? checkRange(hexFloat(text), text) : null;
  }
  // Decimal: digits [. digits] [e [sign] digits], with at least one mantissa digit.
  let mantissa = 0;
  let significant = 0;
  let scale = 0;
  let digits = 0;
  let nonzero = false;
  for (; i < end && isDigit(bytes[i]!); i++, digits++) {
    const d = bytes[i]! - 0x30;
    if (significant > 0 || d !== 0) {
      if (significant < 15) mantissa = mantissa * 10 + d;
      else scale++;
      significant++;
      if (d !== 0) nonzero = true;
    }
  }
  if (i < end && bytes[i] === 0x2e) {
    for (i++; i < end && isDigit(bytes[i]!); i++, digits++) {
      const d = bytes[i]! - 0x30;
      if (significant > 0 || d !== 0) {
        if (significant < 15) {
          mantissa = mantissa * 10 + d;
          scale--;
        }
        significant++;
        if (d !== 0) nonzero = true;
      } else {
        scale--;
      }
    }
  }
  if (digits === 0) return null;
  let exponent = 0;
  if (i < end && (bytes[i]! | 0x20) === 0x65) {
    let j = i + 1;
    let expNegative = false;
    if (j < end && (bytes[j] === 0x2b || bytes[j] === 0x2d)) expNegative = bytes[j++] === 0x2d;
    if (j === end || !isDigit(bytes[j]!)) return null;
    for (; j < end && isDigit(bytes[j]!); j++) exponent = Math.min(exponent * 10 + (bytes[j]! - 0x30), 1e6);
    if (expNegative) exponent = -exponent;
    i = j;
  }
  if (i !== end) return null;
  if (mantissa === 0) return nonzero ? null : negative ? -0 : 0;
  const e = scale + exponent;
  if (significant <= 15 && Math.abs(e) <= 22) {
    const v = e >= 0 ? mantissa * POW10[e]! : mantissa / POW10[-e]!;
    return negative ? -v : v;
  }
  if (end - start > 4096) return null;
  const text = bytes.toString('latin1', start, end);
  return checkRange(Number(text), text);
}

/** strtod's ERANGE: overflow, or underflow to zero or a subnormal. */
function checkRange(value: number, text: string): number | null {
  if (!Number.isFinite(value) || (value !== 0 && Math.abs(value) < MIN_NORMAL)) return null;
  if (value === 0 && /[1-9a-fA-F]/.test(text.replace(/^[+-]?0[xX]/, '').split(/[eEpP]/)[0]!)) return null;
  return value;
}


// ---- loading the elements ----

function openList(ctx: Session, key: string, list: ListEntry, first: number, last: number, out: Buffer[]): void {
  if (last < first) return;
  // A copy of each element's plaintext (the caller wipes them): the list's view is gone after the visit.
  list.range(first, last, (bytes, start, length) => {
    const plain = plainBuffer(length);
    bytes.copy(plain, 0, start, start + length);
    out.push(plain);
  }, listCodec(ctx, key));
}

function openSet(ctx: Session, key: string, set: SetEntry, out: Buffer[]): void {
  set.forEachPlain(setCodec(ctx, key), (plain, start, length) => {
    const copy = plainBuffer(length);
    plain.copy(copy, 0, start, start + length);
    out.push(copy);
  });
  // Redis walks an intset in integer order.
  if (set.intset) out.sort(compareIntegers);
}

/**
 * Every element of a small collection packed at rest, opened once from its blob (it stays
 * packed), in the order its unpacked form gives: a list's, a sorted set's by score, a set's as
 * stored (an intset's in integer order).
 */
function openPacked(ctx: Session, key: string, packed: PackedForm, out: Buffer[]): void {
  ctx.db.readPackedElements(key, packed, (bytes, start, length) => {
    const plain = plainBuffer(length);
    bytes.copy(plain, 0, start, start + length);
    out.push(plain);
  });
  // The integer-deltas form holds an intset ascending already.
  if (packed.kind === Kind.Set && packed.flag && !packed.intDeltas) out.sort(compareIntegers);
}

/**
 * Redis converts a sorted set it sorts, SORT_RO too, to a skiplist for good (sort.c:
 * "Destructively convert encoded sorted sets"): OBJECT ENCODING says so from then on, and a
 * later ZADD keeps a -0 score as -0. A sorted set packed at rest takes the flag where it lies.
 */
function convertToSkiplist(entry: ZSetEntry): void {
  if (!isPackedForm(entry)) entry.skiplist = true;
  else if (entry instanceof PackedRecord) entry.reshape(entry.count, true, entry.intDeltas);
  else entry.flag = true;
}

function openZSet(ctx: Session, key: string, zset: ZSetEntry, start: number, end: number, reverse: boolean, out: Buffer[]): void {
  zset.zset.each(start, end, reverse, (sealed) => {
    out.push(ctx.server.values.openElement(Purpose.ZSetMember, ctx.db.uid, key, sealedView(sealed)));
  });
}

interface Item {
  el: Buffer;
  score: number;
  /**
   * ALPHA: the bytes compared (the BY value, null where the pattern names nothing; else the
   * element), cut at the first NUL when not storing (cString).
   */
  cmp: Buffer | null;
}

/**
 * Redis compares with strcoll when SORT ... ALPHA does not STORE: in the C locale that is the
 * bytes up to the first NUL ("a\0b" ties with "a", and the tie keeps the load order).
 */
function cString(b: Buffer): Buffer {
  const nul = b.indexOf(0);
  return nul < 0 ? b : b.subarray(0, nul);
}

// ---- the command ----

function sortGeneric(ctx: Session, args: Buffer[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let storeArg: Buffer | null = null;
  let by: Buffer | null = null;
  let dontsort = false;
  const gets: Buffer[] = [];
  const cluster = ctx.server.cluster !== null;
  // BY and GET read keys the ACL never sees: some selector must allow SORT and every key (as Redis).
  const fullAccess = () => mayRunReadingAllKeys(ctx.aclUser, readonly ? 'sort_ro' : 'sort', args);
  for (let j = 2; j < args.length; j++) {
    const left = args.length - j - 1;
    const w = word(args[j]!);
    if (w === 'asc') desc = false;
    else if (w === 'desc') desc = true;
    else if (w === 'alpha') alpha = true;
    else if (w === 'limit' && left >= 2) {
      const s = int64(args[j + 1]!);
      const c = s === null ? null : int64(args[j + 2]!);
      if (s === null || c === null) return ctx.reply.error(Errors.notInteger);
      limitStart = Number(s);
      limitCount = Number(c);
      j += 2;
    } else if (!readonly && w === 'store' && left >= 1) {
      storeArg = args[++j]!;
    } else if (w === 'by' && left >= 1) {
      by = args[j + 1]!;
      const nul = by.indexOf(0);
      if ((nul < 0 ? by : by.subarray(0, nul)).indexOf(0x2a) < 0) {
        dontsort = true;
      } else {
        if (cluster) return ctx.reply.error('ERR BY option of SORT denied in Cluster mode.');
        if (!fullAccess()) return ctx.reply.error('ERR BY option of SORT denied due to insufficient ACL permissions.');
      }
      j++;
    } else if (w === 'get' && left >= 1) {
      if (cluster) return ctx.reply.error('ERR GET option of SORT denied in Cluster mode.');
      if (!fullAccess()) return ctx.reply.error('ERR GET option of SORT denied due to insufficient ACL permissions.');
      gets.push(args[++j]!);
    } else {
      return ctx.reply.error(Errors.syntax);
    }
  }
  const key = keyOf(ctx, args[1]!);
  // Counted and touched as any read; a small collection at rest stays packed (openPacked).
  const entry = ctx.db.readPacked(key, ctx.now);
  if (entry !== undefined && entry.kind !== Kind.List && entry.kind !== Kind.Set && entry.kind !== Kind.ZSet) {
    return ctx.reply.error(Errors.wrongType);
  }
  if (entry?.kind === Kind.ZSet) convertToSkiplist(entry);
  // An unsorted set stored, or returned to a script, has to come out in a stable order (redis
  // sort.c: replicas and scripts must see what the primary saw): sort it by its elements.
  if (dontsort && entry?.kind === Kind.Set && (storeArg !== null || ctx.scripted)) {
    dontsort = false;
    alpha = true;
    by = null;
  }
  const total = entry === undefined ? 0 : isPackedForm(entry) ? entry.count : entry.kind === Kind.List ? entry.length : entry.kind === Kind.Set ? entry.size : entry.zset.size;
  let start = Math.min(Math.max(limitStart, 0), total);
  limitCount = Math.min(Math.max(limitCount, -1), total);
  let end = limitCount < 0 ? total - 1 : start + limitCount - 1;
  if (start >= total) {
    start = total - 1;
    end = total - 2;
  }
  if (end >= total) end = total - 1;

  const plains: Buffer[] = [];
  const extra: Buffer[] = [];
  // Where the reply starts: a GET value failing to open midway drops what was written of it.
  let mark = -1;
  try {
    // Lists and sorted sets left unsorted load just the range LIMIT selects.
    if (entry !== undefined && isPackedForm(entry)) {
      const all: Buffer[] = [];
      try {
        openPacked(ctx, key, entry, all);
      } catch (err) {
        for (const p of all) p.fill(0);
        throw err;
      }
      // As the unpacked list or sorted set loads: LIMIT's range, reversed for DESC (the rest wiped with `extra`).
      if (dontsort && entry.kind !== Kind.Set) {
        if (end >= start) {
          const first = desc ? total - end - 1 : start;
          const last = desc ? total - start - 1 : end;
          all.forEach((plain, k) => (k >= first && k <= last ? plains : extra).push(plain));
          if (desc) plains.reverse();
        } else {
          extra.push(...all);
        }
        if (end >= start || entry.kind === Kind.ZSet) {
          end -= start;
          start = 0;
        }
      } else {
        plains.push(...all);
      }
    } else if (entry !== undefined && entry.kind === Kind.List) {
      if (dontsort) {
        if (end >= start) {
          if (desc) {
            openList(ctx, key, entry, total - end - 1, total - start - 1, plains);
            plains.reverse();
          } else {
            openList(ctx, key, entry, start, end, plains);
          }
          end -= start;
          start = 0;
        }
      } else {
        openList(ctx, key, entry, 0, total - 1, plains);
      }
    } else if (entry !== undefined && entry.kind === Kind.Set) {
      openSet(ctx, key, entry, plains);
    } else if (entry !== undefined && entry.kind === Kind.ZSet) {
      if (dontsort) {
        if (end >= start) {
          if (desc) openZSet(ctx, key, entry, total - end - 1, total - start, true, plains);
          else openZSet(ctx, key, entry, start, end + 1, false, plains);
        }
        end -= start;
        start = 0;
      } else {
        openZSet(ctx, key, entry, 0, total, false, plains);
      }
    }
    const items: Item[] = plains.map((el) => ({ el, score: 0, cmp: null }));
    let conversionError = false;
    if (!dontsort) {
      for (const item of items) {
        let byval: Buffer | null;
        if (by !== null) {
          byval = lookupPattern(ctx, by, item.el);
          if (byval === null) continue;
          extra.push(byval);
        } else {
          byval = item.el;
        }
        if (alpha) {
          item.cmp = storeArg === null ? cString(byval) : byval;
        } else {
          const score = sortScore(byval);
          if (score === null) conversionError = true;
          else item.score = score;
        }
      }
      const sign = desc ? -1 : 1;
      const byPattern = by !== null;
      items.sort((a, b) => {
        let cmp: number;
        if (!alpha) {
          cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : Buffer.compare(a.el, b.el);
        } else if (byPattern) {
          if (a.cmp === null || b.cmp === null) cmp = a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1;
          else cmp = Buffer.compare(a.cmp, b.cmp);
        } else {
          cmp = Buffer.compare(a.cmp!, b.cmp!);
        }
        return sign * cmp;
      });
    }
    const count = end - start + 1;
    const outputLength = gets.length > 0 ? gets.length * count : count;
    if (conversionError) return ctx.reply.error("ERR One or more scores can't be converted into double");
    if (storeArg === null) {
      mark = ctx.reply.size;
      ctx.reply.arrayLen(outputLength);
      for (let j = start; j <= end; j++) {
        const el = items[j]!.el;
        if (gets.length === 0) ctx.reply.bulk(el);
        for (const pattern of gets) {
          const val = lookupPattern(ctx, pattern, el);
          ctx.reply.bulk(val);
          val?.fill(0);
        }
      }
      return;
    }
    const dst = keyOf(ctx, storeArg);
    const out = listEntry(ctx.now);
    const stored: Buffer[] = [];
    const looked: Buffer[] = [];
    try {
      for (let j = start; j <= end; j++) {
        const el = items[j]!.el;
        if (gets.length === 0) stored.push(el);
        for (const pattern of gets) {
          const val = lookupPattern(ctx, pattern, el) ?? Buffer.alloc(0);
          stored.push(val);
          looked.push(val);
        }
      }
      if (outputLength > 0) {
        out.pushMany(stored, 0, false, listCodec(ctx, dst));
        ctx.db.set(dst, out, 'sortstore');
      } else {
        ctx.db.delete(dst, 'del');
      }
    } finally {
      for (const val of looked) val.fill(0);
    }
    ctx.reply.integer(outputLength);
  } catch (err) {
    if (!(err instanceof SealError)) throw err;
    if (mark >= 0) ctx.reply.truncate(mark);
    sealFailed(ctx, err);
  } finally {
    for (const p of plains) p.fill(0);
    for (const p of extra) p.fill(0);
  }
}

const sort = (ctx: Session, args: Buffer[]): void => sortGeneric(ctx, args, false);
const sortRo = (ctx: Session, args: Buffer[]): void => sortGeneric(ctx, args, true);

/** redis sortGetKeys: the sorted key, and the last STORE's destination. */
function sortKeys(args: readonly Buffer[]): KeyRef[] {
  const keys: KeyRef[] = [{ pos: 1, flags: KeyFlag.RO | KeyFlag.ACCESS }];
  let store = -1;
  for (let i = 2; i < args.length; i++) {
    const w = word(args[i]!);
    if (w === 'limit') i += 2;
    else if (w === 'get' || w === 'by') i += 1;
    else if (w === 'store' && i + 1 < args.length) store = i + 1;
  }
  if (store > 0) keys.push({ pos: store, flags: KeyFlag.OW | KeyFlag.UPDATE });
  return keys;
}

const sortRoKeys = (): KeyRef[] => [{ pos: 1, flags: KeyFlag.RO | KeyFlag.ACCESS }];

const BY_GET_NOTE = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";
const STORE_NOTE = "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array";
const COMPLEXITY =
  'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).';

export const sortCommands: CommandSpec[] = [
  {
    name: 'sort', arity: -2, flags: ['write', 'denyoom'],
    keySpecs: [at(1, 'RO', 'ACCESS'), keySpec(UNKNOWN_BEGIN, UNKNOWN_FIND, ['RO', 'ACCESS'], BY_GET_NOTE), keySpec(UNKNOWN_BEGIN, UNKNOWN_FIND, ['OW', 'UPDATE'], STORE_NOTE)],
    findKeys: sortKeys, categories: ['@write', '@set', '@sortedset', '@list', '@slow', '@dangerous'],
    summary: 'Sort the elements in a list, set or sorted set', since: '1.0.0', group: 'generic', complexity: COMPLEXITY, handler: sort,
  },
  {
    name: 'sort_ro', arity: -2, flags: ['readonly'],
    keySpecs: [at(1, 'RO', 'ACCESS'), keySpec(UNKNOWN_BEGIN, UNKNOWN_FIND, ['RO', 'ACCESS'], BY_GET_NOTE)],
    findKeys: sortRoKeys, categories: ['@read', '@set', '@sortedset', '@list', '@slow', '@dangerous'],
    summary: 'Sort the elements in a list, set or sorted set. Read-only variant of SORT.', since: '7.0.0', group: 'generic', complexity: COMPLEXITY, handler: sortRo,
  },
];
