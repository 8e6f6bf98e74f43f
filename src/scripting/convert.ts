// Type conversion both ways, as Redis does it (script_lua.c): a command's RESP reply, captured
// in a buffer, becomes Lua values; a script's Lua result becomes the caller's reply.
//
// RESP -> Lua (RESP2): integer -> number, bulk -> string, null -> false, status -> {ok=},
// error -> {err=}, array -> table. With redis.setresp(3) also: null -> nil, map -> {map={}},
// set -> {set={m=true}}, double -> {double=n}, boolean -> boolean, big number -> {big_number=},
// verbatim -> {verbatim_string={format=,string=}}; attributes are skipped.
// Lua -> RESP: string -> bulk, number -> integer (truncated), boolean -> 1/null (RESP3 script:
// boolean), table -> {err=} error, {ok=} status, {double=}, {big_number=}, {map=}, {set=},
// {verbatim_string=}, else an array up to the first nil; anything else -> null.

import type { ReplyWriter } from '../protocol/reply.js';
import { copyOutOfHeap, type LuaVm, LuaType } from './vm.js';

const CR = 0x0d;
/** How deep a returned table may nest before the reply says "reached lua stack limit". */
const MAX_DEPTH = 1000;

/**
 * Reads one RESP value from `buf` at `at` and pushes it as Lua; returns where the next value
 * starts. `nested` false: the whole reply of a redis.call, pushed on the emptied stack of a C
 * function, where Lua guarantees LUA_MINSTACK (20) free slots, more than one value takes before
 * it nests, so the stack is checked only below the top level.
 */
export function pushReply(vm: LuaVm, buf: Buffer, at: number, L = vm.L, nested = true): number {
  const kind = buf[at]!;
  let eol = at + 1;
  while (buf[eol] !== CR && eol < buf.length) eol++; // a short scan beats Buffer.indexOf's call into C++
  let next = eol + 2;
  if (nested && !vm.checkStack(4, L)) throw new Error('reached lua stack limit');
  switch (kind) {
    case 0x2b: // + status
      vm.newTable(0, 1, L);
      vm.pushRange(buf, at + 1, eol, L);
      vm.rawSetField(-2, 'ok', L);
      return next;
    case 0x2d: // - error
      pushErrorTable(vm, buf.subarray(at, eol), L);
      vm.pushBoolean(true, L);
      vm.rawSetField(-2, 'ignore_error_stats_update', L);
      return next;
    case 0x3a: // : integer
      vm.pushInteger(eol - at <= 16 ? lengthAt(buf, at + 1, eol) : BigInt(buf.toString('latin1', at + 1, eol)), L);
      return next;
    case 0x24: // $ bulk
    case 0x3d: { // = verbatim
      const n = lengthAt(buf, at + 1, eol);
      if (n < 0) {
        vm.pushBoolean(false, L);
        return next;
      }
      if (kind === 0x24) vm.pushRange(buf, next, next + n, L);
      else {
        const body = buf.subarray(next, next + n);
        vm.newTable(0, 1, L);
        vm.newTable(0, 2, L);
        vm.pushBytes(body.subarray(0, 3), L);
        vm.rawSetField(-2, 'format', L);
        vm.pushBytes(body.subarray(4), L);
        vm.rawSetField(-2, 'string', L);
        vm.rawSetField(-2, 'verbatim_string', L);
      }
      return next + n + 2;
    }
    case 0x2a: // * array
    case 0x3e: { // > push
      const n = lengthAt(buf, at + 1, eol);
      if (n < 0) {
        vm.pushBoolean(false, L);
        return next;
      }
      vm.newTable(n, 0, L);
      let holes = false;
      for (let i = 1; i <= n; i++) {
        if (buf[next] === 0x5f) holes = true;
        next = pushReply(vm, buf, next, L);
        vm.rawSetI(-2, i, L);
      }
      if (holes) refillGrown(vm, n, L);
      return next;
    }
    case 0x5f: // _ null
      vm.pushNil(L);
      return next;
    case 0x23: // # boolean
      vm.pushBoolean(buf[at + 1] === 0x74, L);
      return next;
    case 0x2c: { // , double
      vm.newTable(0, 1, L);
      const text = buf.toString('latin1', at + 1, eol);
      vm.pushNumber(text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(text), L);
      vm.rawSetField(-2, 'double', L);
      return next;
    }
    case 0x28: // ( big number
      vm.newTable(0, 1, L);
      vm.pushBytes(buf.subarray(at + 1, eol), L);
      vm.rawSetField(-2, 'big_number', L);
      return next;
    case 0x25: // % map
    case 0x7e: { // ~ set
      const n = Number(buf.toString('latin1', at + 1, eol));
      vm.newTable(0, 1, L);
      vm.newTable(0, n, L);
      for (let i = 0; i < n; i++) {
        next = pushReply(vm, buf, next, L);
        if (kind === 0x25) next = pushReply(vm, buf, next, L);
        else vm.pushBoolean(true, L);
        vm.rawSet(-3, L);
      }
      vm.rawSetField(-2, kind === 0x25 ? 'map' : 'set', L);
      return next;
    }
    case 0x7c: { // | attribute: skipped, the value follows
      const n = Number(buf.toString('latin1', at + 1, eol));
      const scratch = vm.top(L);
      for (let i = 0; i < 2 * n; i++) next = pushReply(vm, buf, next, L);
      vm.setTop(scratch, L);
      return pushReply(vm, buf, next, L);
    }
    default:
      throw new Error(`unexpected reply byte ${kind}`);
  }
}

/** The decimal number in buf[from, to) (a length or a short integer: at most 15 digits). */
function lengthAt(buf: Buffer, from: number, to: number): number {
  const negative = buf[from] === 0x2d;
  let n = 0;
  for (let i = negative ? from + 1 : from; i < to; i++) n = n * 10 + buf[i]! - 0x30;
  return negative ? -n : n;
}

/**
 * Pushes Redis's error table {err="CODE message"} (luaPushErrorBuff): a leading '-' names the
 * code, otherwise it is ERR; CR/LF trimmed from the ends.
 */
export function pushErrorTable(vm: LuaVm, message: Uint8Array | string, L = vm.L): void {
  vm.newTable(0, 2, L);
  vm.pushBytes(Buffer.from(errorText(message)), L);
  vm.rawSetField(-2, 'err', L);
}

export function errorText(message: Uint8Array | string): string {
  let text = typeof message === 'string' ? message : Buffer.from(message).toString('utf8');
  let code = 'ERR';
  if (text.startsWith('-')) {
    const sp = text.indexOf(' ');
    if (sp < 0) text = text.slice(1);
    else {
      code = text.slice(1, sp);
      text = text.slice(sp + 1);
    }
  }
  return `${code} ${text.replace(/^[\r\n]+|[\r\n]+$/g, '')}`;
}

/**
 * Writes a script's result (the value on top of the stack) as the reply, and may leave it there
 * (the caller's cleanup sets the stack's top): a string, number, boolean or nil as LuaVm.runTop
 * read it (`type` its type), a table through writeLuaValue. `resp3`: the script called redis.setresp(3).
 */
export function writeResult(vm: LuaVm, reply: ReplyWriter, resp3: boolean, type: LuaType): void {
  switch (type) {
    case LuaType.String: {
      const n = vm.length;
      const at = reply.beginBulk(n);
      copyOutOfHeap(reply.staging, at, vm.heapBytes(), vm.topPointer, n);
      reply.endBulk(n);
      return;
    }
    case LuaType.Number: {
      const d = vm.topNumber;
      if (!vm.topFlag) reply.integer(truncate(d));
      else reply.integer(Number.isSafeInteger(d) ? d : vm.toInteger(-1));
      return;
    }
    case LuaType.Boolean:
      if (resp3) reply.boolean(vm.topFlag);
      else if (vm.topFlag) reply.integer(1);
      else reply.nullBulk();
      return;
    case LuaType.Table:
      writeLuaValue(vm, reply, resp3); // pops it: the caller's cleanup sets the stack's top anyway
      return;
    default:
      reply.nullBulk();
  }
}

/** Writes the Lua value on top of the stack as the reply and pops it. `resp3`: the script called redis.setresp(3). */
export function writeLuaValue(vm: LuaVm, reply: ReplyWriter, resp3: boolean, depth = 0): void {
  // Redis stops where the Lua stack runs out; here the JS stack would run out first (a table that contains itself).
  if (depth > MAX_DEPTH || !vm.checkStack(4)) {
    reply.error('ERR reached lua stack limit');
    vm.pop();
    return;
  }
  switch (vm.type(-1)) {
    case LuaType.String: {
      // Copied from the Lua heap straight into the reply (no view of the heap made per script).
      const p = vm.stringAt(-1);
      const n = vm.length;
      const at = reply.beginBulk(n);
      copyOutOfHeap(reply.staging, at, vm.heapBytes(), p, n);
      reply.endBulk(n);
      break;
    }
    case LuaType.Boolean: {
      const b = vm.toBoolean(-1);
      if (resp3) reply.boolean(b);
      else if (b) reply.integer(1);
      else reply.nullBulk();
      break;
    }
    case LuaType.Number:
      reply.integer(vm.isInteger(-1) ? integerAt(vm, -1) : truncate(vm.toNumber(-1)));
      break;
    case LuaType.Table:
      writeTable(vm, reply, resp3, depth);
      break;
    default:
      reply.nullBulk();
  }
  vm.pop();
}

/**
 * The Lua integer at idx: a number when it is a safe integer (the writer's shared replies for 0
 * and 1 match numbers only), else a bigint. Read as a double first: exact for every safe integer,
 * and no BigInt is made for them (two per integer otherwise: the i64 and its asIntN).
 */
function integerAt(vm: LuaVm, idx: number, L = vm.L): bigint | number {
  const d = vm.toNumber(idx, L);
  return Number.isSafeInteger(d) ? d : vm.toInteger(idx, L);
}

/** (long long) of a double, as C truncates it (out-of-range values saturate to LLONG_MIN as on x86). */
function truncate(d: number): bigint | number {
  if (!Number.isFinite(d) || Math.abs(d) >= 9.223372036854776e18) return -9223372036854775808n;
  const t = Math.trunc(d);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

/** Whether the error table on top was counted where it arose (a redis.call's error: ignore_error_stats_update). */
export function countedAlready(vm: LuaVm): boolean {
  const counted = vm.rawGetField(-1, 'ignore_error_stats_update') === LuaType.Boolean && vm.toBoolean(-1);
  vm.pop();
  return counted;
}

function writeTable(vm: LuaVm, reply: ReplyWriter, resp3: boolean, depth: number): void {
  if (vm.rawGetField(-1, 'err') === LuaType.String) {
    const msg = vm.toText(-1)!;
    vm.pop();
    reply.error(msg, !countedAlready(vm));
    return;
  }
  vm.pop();
  if (vm.rawGetField(-1, 'ok') === LuaType.String) {
    reply.simple(vm.toText(-1)!);
    vm.pop();
    return;
  }
  vm.pop();
  if (vm.rawGetField(-1, 'double') === LuaType.Number) {
    reply.double(vm.toNumber(-1));
    vm.pop();
    return;
  }
  vm.pop();
  if (vm.rawGetField(-1, 'big_number') === LuaType.String) {
    const text = vm.toText(-1)!.replace(/[\r\n]/g, ' ');
    vm.pop();
    if (reply.protocol === 3) reply.raw(Buffer.from(`(${text}\r\n`));
    else reply.bulkText(text);
    return;
  }
  vm.pop();
  if (vm.rawGetField(-1, 'verbatim_string') === LuaType.Table) {
    const f = vm.rawGetField(-1, 'format');
    const s = vm.rawGetField(-2, 'string');
    if (f === LuaType.String && s === LuaType.String) {
      const body = vm.toBytes(-1)!;
      const format = vm.toText(-2)!;
      vm.pop(3);
      if (reply.protocol === 3) {
        reply.raw(Buffer.from(`=${body.length + 4}\r\n${format.slice(0, 3).padEnd(3, ' ')}:`));
        reply.raw(body);
        reply.raw(Buffer.from('\r\n'));
      } else reply.bulk(body);
      body.fill(0);
      return;
    }
    vm.pop(2);
  }
  vm.pop();
  for (const kind of ['map', 'set'] as const) {
    if (vm.rawGetField(-1, kind) === LuaType.Table) {
      let n = 0;
      vm.pushNil();
      while (vm.next(-2)) {
        vm.pop();
        n++;
      }
      if (kind === 'map') reply.mapLen(n);
      else reply.setLen(n);
      vm.pushNil();
      while (vm.next(-2)) {
        if (kind === 'map') {
          vm.pushValue(-2);
          writeLuaValue(vm, reply, resp3, depth + 1);
          writeLuaValue(vm, reply, resp3, depth + 1);
        } else {
          vm.pop();
          vm.pushValue(-1);
          writeLuaValue(vm, reply, resp3, depth + 1);
        }
      }
      vm.pop();
      return;
    }
    vm.pop();
  }
  let n = 0;
  while (vm.rawGetI(-1, n + 1) !== LuaType.Nil) {
    vm.pop();
    n++;
  }
  vm.pop();
  reply.arrayLen(n);
  for (let i = 1; i <= n; i++) {
    vm.rawGetI(-1, i);
    writeLuaValue(vm, reply, resp3, depth + 1);
  }
}

/** Redis's "%.17g" for a number argument of redis.call (integers print as integers). */
export function formatArgNumber(vm: LuaVm, idx: number, L = vm.L): string {
  if (vm.isInteger(idx, L)) return String(integerAt(vm, idx, L));
  return g17(vm.toNumber(idx, L));
}

/** glibc prints a NaN with its sign: 0/0 is -nan on x86 (the sign survives into the JS double). */
const nanBits = new DataView(new ArrayBuffer(8));
function nanText(d: number): string {
  nanBits.setFloat64(0, d);
  return nanBits.getUint8(0) & 0x80 ? '-nan' : 'nan';
}

export function g17(d: number): string {
  if (Number.isNaN(d)) return nanText(d);
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(d)));
  if (exp < -4 || exp >= 17) {
    const [m, e] = d.toExponential(16).split('e');
    const mant = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  const p = d.toPrecision(17);
  return p.includes('.') && !p.includes('e') ? p.replace(/0+$/, '').replace(/\.$/, '') : p;
}

/**
 * A RESP3 null leaves a hole in the array table, and the border '#' finds in a table with holes
 * depends on how it was built: Redis fills a table grown key by key (no array part sized in
 * advance), so '#' of {1, nil, 3} from a reply is 1 there. The presized table at the top of the
 * stack is replaced by one filled that way (only for arrays with nulls, which are rare).
 */
function refillGrown(vm: LuaVm, n: number, L: number): void {
  vm.newTable(0, 0, L);
  for (let i = 1; i <= n; i++) {
    if (vm.rawGetI(-2, i, L) === LuaType.Nil) vm.pop(1, L);
    else vm.rawSetI(-2, i, L);
  }
  vm.insert(-2, L);
  vm.pop(1, L);
}
