// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] (redis t_string.c lcsCommand):
// the longest common subsequence of two string values, by Redis's dynamic-programming table and
// the same walk back through it, so ties resolve the same way and the same string and match
// ranges come out. The table is bounded like Redis's (its bytes may not pass
// proto-max-bulk-len); LEN alone needs only two rows of it. The two plaintexts, the table
// (which mirrors where they agree) and the result are wiped before the command returns.

import { freemem } from 'node:os';
import { int64, keyOf, word } from '../args.js';
import { openValue } from '../values/sealing.js';
import { span } from '../key-specs.js';
import { Errors } from '../../protocol/errors.js';
import { Sealer } from '../../seal/sealer.js';
import { Kind } from '../../store/keyspace.js';
import { plainBuffer } from '../../util/bytes.js';
import type { CommandSpec, Session } from '../types.js';

interface Options {
  len: boolean;
  idx: boolean;
  withMatchLen: boolean;
  minMatchLen: number;
}

/** Options after the keys, or null after replying with the error. */
function parseOptions(ctx: Session, args: Buffer[]): Options | null {
  const opts: Options = { len: false, idx: false, withMatchLen: false, minMatchLen: 0 };
  for (let j = 3; j < args.length; j++) {
    const opt = word(args[j]!);
    const more = args.length - 1 - j;
    if (opt === 'idx') opts.idx = true;
    else if (opt === 'len') opts.len = true;
    else if (opt === 'withmatchlen') opts.withMatchLen = true;
    else if (opt === 'minmatchlen' && more > 0) {
      const n = int64(args[++j]!);
      if (n === null) {
        ctx.reply.error(Errors.notInteger);
        return null;
      }
      opts.minMatchLen = n < 0n ? 0 : n > 2n ** 32n ? 2 ** 32 : Number(n);
    } else {
      ctx.reply.error(Errors.syntax);
      return null;
    }
  }
  if (opts.len && opts.idx) {
    ctx.reply.error(Errors.lcsLenAndIdx);
    return null;
  }
  return opts;
}

/** A match: [a start, a end, b start, b end, length]. */
type Match = [number, number, number, number, number];

function lcs(ctx: Session, args: Buffer[]): void {
  const keyA = keyOf(ctx, args[1]!);
  const keyB = keyOf(ctx, args[2]!);
  const entryA = ctx.db.read(keyA, ctx.now);
  const entryB = ctx.db.read(keyB, ctx.now);
  if ((entryA && entryA.kind !== Kind.String) || (entryB && entryB.kind !== Kind.String)) {
    return ctx.reply.error(Errors.lcsNotStrings);
  }
  const opts = parseOptions(ctx, args);
  if (opts === null) return;
  const alen = entryA ? Sealer.plainLength(entryA.value) : 0;
  const blen = entryB ? Sealer.plainLength(entryB.value) : 0;
  // Redis sizes the whole table (uint32 cells) even for LEN, and refuses it past the bulk limit.
  const tableBytes = (alen + 1) * (blen + 1) * 4;
  if (tableBytes > ctx.server.config.number('proto-max-bulk-len')) return ctx.reply.error(Errors.lcsTooBig);
  // Where Redis's malloc would fail. Node may hand out more than there is (the pages are only
  // touched later), so a table beyond the free memory is refused before it is made.
  if (tableBytes > freemem()) return ctx.reply.error(Errors.lcsAllocFailed);
  const a = entryA ? openValue(ctx, keyA, entryA.value) : plainBuffer(0);
  if (a === null) return;
  const b = entryB ? openValue(ctx, keyB, entryB.value) : plainBuffer(0);
  if (b === null) {
    a.fill(0);
    return;
  }
  try {
    if (opts.len) return ctx.reply.integer(lengthOnly(a, b));
    let table: Uint32Array;
    try {
      table = new Uint32Array((alen + 1) * (blen + 1));
    } catch (err) {
      if (err instanceof RangeError) return ctx.reply.error(Errors.lcsAllocFailed);
      throw err;
    }
    try {
      fillTable(table, a, b);
      walkBack(ctx, table, a, b, opts);
    } finally {
      table.fill(0);
    }
  } finally {
    a.fill(0);
    b.fill(0);
  }
}

/** LCS(i, j) for every prefix pair, row by row: table[j + (blen + 1) * i]. */
function fillTable(table: Uint32Array, a: Buffer, b: Buffer): void {
  const width = b.length + 1;
  for (let i = 1; i <= a.length; i++) {
    const row = i * width;
    const up = row - width;
    const ai = a[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      if (ai === b[j - 1]) table[row + j] = table[up + j - 1]! + 1;
      else {
        const l1 = table[up + j]!;
        const l2 = table[row + j - 1]!;
        table[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
}

/** The LCS length with two rows of the table. */
function lengthOnly(a: Buffer, b: Buffer): number {
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      if (ai === b[j - 1]) cur[j] = prev[j - 1]! + 1;
      else cur[j] = prev[j]! > cur[j - 1]! ? prev[j]! : cur[j - 1]!;
    }
    [prev, cur] = [cur, prev];
  }
  const n = prev[b.length]!;
  prev.fill(0);
  cur.fill(0);
  return n;
}

/** Redis's walk from (alen, blen) back to the start: the LCS string and, for IDX, the match ranges. */
function walkBack(ctx: Session, table: Uint32Array, a: Buffer, b: Buffer, opts: Options): void {
  const alen = a.length;
  const width = b.length + 1;
  const total = table[alen * width + b.length]!;
  const result = opts.idx ? plainBuffer(0) : plainBuffer(total);
  const matches: Match[] = [];
  let idx = total;
  // alen marks "no range open".
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = b.length;
  try {
    while (i > 0 && j > 0) {
      let emit = false;
      if (a[i - 1] === b[j - 1]) {
        if (!opts.idx) result[idx - 1] = a[i - 1]!;
        if (aStart === alen) {
          aStart = i - 1;
          aEnd = i - 1;
          bStart = j - 1;
          bEnd = j - 1;
        } else if (aStart === i && bStart === j) {
          // Contiguous with the open range: extend it backwards.
          aStart--;
          bStart--;
        } else {
          emit = true;
        }
        if (aStart === 0 || bStart === 0) emit = true;
        idx--;
        i--;
        j--;
      } else {
        const l1 = table[(i - 1) * width + j]!;
        const l2 = table[i * width + j - 1]!;
        if (l1 > l2) i--;
        else j--;
        if (aStart !== alen) emit = true;
      }
      if (emit) {
        const matchLen = aEnd - aStart + 1;
        if (opts.minMatchLen === 0 || matchLen >= opts.minMatchLen) matches.push([aStart, aEnd, bStart, bEnd, matchLen]);
        aStart = alen;
      }
    }
    if (!opts.idx) return ctx.reply.bulk(result);
    ctx.reply.mapLen(2);
    ctx.reply.bulkText('matches');
    ctx.reply.arrayLen(matches.length);
    for (const [as, ae, bs, be, len] of matches) {
      ctx.reply.arrayLen(opts.withMatchLen ? 3 : 2);
      ctx.reply.arrayLen(2);
      ctx.reply.integer(as);
      ctx.reply.integer(ae);
      ctx.reply.arrayLen(2);
      ctx.reply.integer(bs);
      ctx.reply.integer(be);
      if (opts.withMatchLen) ctx.reply.integer(len);
    }
    ctx.reply.bulkText('len');
    ctx.reply.integer(total);
  } finally {
    result.fill(0);
  }
}

export const lcsCommands: CommandSpec[] = [
  { name: 'lcs', group: 'string', arity: -3, flags: ['readonly'], keySpecs: [span(1, 1, 1, 'RO', 'ACCESS')], categories: ['@read', '@string', '@slow'],
    summary: 'Find longest common substring', since: '7.0.0', complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively', handler: lcs },
];
