// Differential run of Lua scripting against redis-server 7 (Lua 5.1; sealkv runs Lua 5.4 with a
// 5.1 prelude, src/scripting): random scripts from a grammar of what real scripts do go to both
// servers through EVAL, EVALSHA (after SCRIPT LOAD), EVAL_RO and FCALL (after FUNCTION LOAD of
// generated libraries), in RESP2 and RESP3, and each reply must be the same bytes. The scripts
// convert Lua values to replies (numbers, booleans, nil, tables with holes and string keys, ok/err
// tables, RESP3 double/map/set/big_number tables, errors raised every way), turn every family's
// replies into Lua values (also after redis.setresp(3)) and look at them (type, #, tostring,
// string.format), read KEYS/ARGV (binary too, numkeys out of range), and use cjson, cmsgpack,
// bit, struct, redis.sha1hex and the string, table and math libraries.
//
// The grammar stays away from what docs/scripting.md lists as deliberately different (Lua 5.4
// not 5.1): a float with a fraction where 5.1 cut it toward zero (string.sub/rep/byte/char,
// '%d'), floats turned into text by C code ('..', table.concat: 5.4 prints 5.0), '%q', integers
// past 2^53 (5.4's are 64-bit: INCRBY near the limits, tonumber of 17-digit strings kept exact,
// integer arguments of redis.call sent whole), `error(12)` (no line in 5.4), `unpack` of a
// non-table, tostring of a table or function (an address), 5.4's grammar (`//`, goto), a literal -0 (5.1's compiler shared the constant
// with 0: `1/0` after `-0` in a script is -inf there), SMEMBERS of a set past its intset (Redis's
// hash order), and `error({})` (crashes redis-server 7.0.15).
// Also kept away from, as 5.4's VM decides them (listed in docs/scripting.md): '%' of floats
// (fmod, where 5.1 computed a - floor(a/b)*b), '#' of a table with holes (another border),
// __len on a table (5.1 ignored it), an error raised by a library written in Lua in a FUNCTION's
// `return f(x)` (a tail call: no line; EVAL's own chunk keeps it), tonumber of 'inf'/'nan'
// (5.1's strtod took them), and string.format('%s') of a string with a NUL (5.1 stopped there)
// or of a boolean (5.1 refused it): both stay 5.4's C functions, for their speed.
// Functions and set members are kept where Redis's order is defined (intsets, listpacks).
//
// Bounded (DIFF_SCRIPTING_COUNT sequences, 300 by default, of 25 commands, per protocol;
// DIFF_SEED fixed): ~10 s. DIFF_SCALE multiplies the count, DIFF_SEAL_KEYS=yes seals key names too.

import { createHash } from 'node:crypto';
import { describeDifferential, fromEnv, int, pick, type Rnd } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_SCRIPTING_COUNT', 'DIFF_COUNT'], 300, 'count');
const SEED = fromEnv(['DIFF_SEED'], 20261207, 'seed');

// ---------------------------------------------------------------------------------------------
// Data of every family, set before each sequence.

const DATA: string[][] = [
  ['SET', 's', 'hello'],
  ['SET', 'n', '42'],
  ['SET', 'f', '3.5'],
  ['SET', 'neg', '-17'],
  ['SET', 'bin', 'a\u0000b\u00e9\u0001'],
  ['SET', 'e', ''],
  ['HSET', 'h', 'a', '1', 'b', '2.5', 'c', 'x\u0000y'],
  ['RPUSH', 'l', 'a', 'b', 'c', '1', '-2'],
  ['SADD', 'st', '1', '2', '3', '-5'],
  ['ZADD', 'z', '1', 'a', '2.5', 'b', '-inf', 'c', '10', 'd'],
  ['XADD', 'x', '1-1', 'f', 'v'],
  ['XADD', 'x', '2-1', 'g', 'w', 'h', '7'],
];
const KEYS = ['s', 'n', 'f', 'neg', 'bin', 'e', 'h', 'l', 'st', 'z', 'x', 'missing'];

// ---------------------------------------------------------------------------------------------
// Lua literals and small expressions.

/** A Lua string literal of `s` (bytes as decimal escapes where needed). */
function lstr(s: string): string {
  let out = "'";
  for (const b of Buffer.from(s)) out += b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`;
  return out + "'";
}

const NUMBERS = [
  '0', '1', '-1', '3', '3.0', '3.7', '-3.7', '-0.5', '0.1', '1e20', '-1e20', '2^53', '2^53+1', '2^31', '-2^31', '2^32+5',
  '1/0', '-1/0', '100', '123456789', '1e15', '1e14', '12345678901234', '0.30000000000000004', '1/3', '7/2', '(7 % 3)',
  '(-7 % 3)', '(7.5 % 2)', '2^10', '10 - 3.5', 'math.pi', 'math.huge', '-math.huge', '255', '-255', '65535', '0x10', '0xff',
  '1e308', '5e-324',
]; // no '-0.0' or '-0': see the top
/** Numbers whose value is a whole number that fits a double exactly (safe for '%d', bit ops). */
const WHOLE = ['0', '1', '-1', '3', '3.0', '-7', '100', '255', '-255', '65535', '0x7fffffff', '-2147483648', '2^31', '2^32', '2^32+5', '123456789', '-1e9', '4294967295', '0x10', '2^40'];
/** Numbers for bit and struct: whole ones, and fractions LuaBitOp rounds half to even and struct cuts. */
const BITS = [...WHOLE, '2.5', '3.5', '-2.5', '0.5', '-0.5', '2^52+0.5', '1e20', '-1e20', '2^53+2', "'12'", "'0x10'"];
const STRINGS = ['', 'abc', 'hello world', 'a\u0000b', '\u00ff\u0001', '123', '-4.5', '  12  ', '0x1A', '1e3', '10', 'x,y,z', 'ÿé', 'Hello'];
/** Strings for '%s' (5.1's string.format stops at a NUL and refuses booleans: left different). */
const PLAIN = ['', 'abc', 'hello world', '123', '-4.5', 'x,y,z', 'ÿé'];
const JSON_TEXTS = [
  '[1,2,3]', '{"a":1}', '[]', '{}', '"\\u00e9\\u0041"', '[1.5,-0,1e300,0.1]', '[null,true,false]', '"\\ud83d\\ude00"',
  '{', '[1,]', 'nul', '123456789012', '-1.5e-7', '[[[[1]]]]', '{"a":[1,{"b":null}]}', '"a\\u0000b"', '  7  ', '[1,2', '"\\x"',
  '{"a":1,"a":2}', '[1e400]', '0x10', '"\\/"', 'true', '', '[' + '1,'.repeat(20) + '1]',
];

const num = (r: Rnd) => pick(r, NUMBERS);
const whole = (r: Rnd) => pick(r, WHOLE);
const str = (r: Rnd) => (r() < 0.8 ? lstr(pick(r, STRINGS)) : pick(r, ['KEYS[1]', 'ARGV[1]', "(ARGV[2] or 'none')", "string.rep('ab', 3)", "string.char(72, 0, 255)"]));

/** A table constructor of what scripts return: arrays, holes, string keys, nesting. */
function table(r: Rnd, depth = 0): string {
  const el = () => (depth < 2 && r() < 0.25 ? table(r, depth + 1) : scalar(r));
  switch (int(r, 0, 9)) {
    case 0: return '{}';
    case 1: return `{${el()}, nil, ${el()}}`;
    case 2: return `{nil, ${el()}}`;
    case 3: return `{a = ${el()}, b = ${el()}}`;
    case 4: return `{${el()}, ${el()}, x = ${el()}}`;
    case 5: return `{${el()}, false, ${el()}}`;
    default: return `{${Array.from({ length: int(r, 1, 4) }, el).join(', ')}}`;
  }
}

function scalar(r: Rnd): string {
  switch (int(r, 0, 6)) {
    case 0: case 1: return num(r);
    case 2: case 3: return str(r);
    case 4: return pick(r, ['true', 'false']);
    case 5: return 'nil';
    default: return pick(r, ["{ok='fine'}", "{err='ERR custom'}", "{err='bad thing'}", "{ok=''}", "redis.status_reply('QUEUED')", "redis.error_reply('MY err')"]);
  }
}

/** What a script can return: every Lua -> reply conversion. */
function value(r: Rnd): string {
  switch (int(r, 0, 11)) {
    case 0: case 1: return num(r);
    case 2: return str(r);
    case 3: return pick(r, ['true', 'false', 'nil']);
    case 4: case 5: return table(r);
    case 6: return pick(r, ["{ok='OK'}", "{err='ERR x'}", "{err='-ERR dash'}", "{err='WRONGTYPE made up'}", "{err=''}", "{ok='a\\r\\nb'}", "{err='line\\nbreak'}", "{ok=3}", "{err=3.5}", "{ok=true}", "{ok={1}}", "{err={}}", "{err='x', ok='y'}"]);
    case 7: return pick(r, ["redis.status_reply('FINE')", "redis.error_reply('ERR nope')", "redis.error_reply('no code')", "redis.error_reply('')", "redis.status_reply('')", 'redis.status_reply(3)', "redis.error_reply('-E x')"]);
    case 8: return pick(r, [`{double=${num(r)}}`, "{double='3.25'}", "{double='abc'}", `{big_number=${lstr(pick(r, ['123', '-99999999999999999999', '1.5', 'abc', '']))}}`, '{big_number=12}',
      `{map={a=${scalar(r)}, b=${scalar(r)}}}`, '{map={}}', `{set={a=true, b=true}}`, '{set={}}', `{map={[1]='x', [2]=${num(r)}}}`, `{set={[3]=true}}`, '{map=3}', '{set={1,2}}',
      `{map={a={map={b=1}}}}`, '{double=1/0}', '{double=-1/0}']);
    case 9: return `KEYS`;
    case 10: return pick(r, ['ARGV', '{KEYS[1], ARGV[1], #KEYS, #ARGV}', '{unpack(ARGV)}', '#ARGV']);
    // No '%' of floats: 5.4 computes it with fmod, 5.1 as a - floor(a/b)*b (the last bits differ).
    // The left operand a float: 5.1 computed in doubles where 5.4's integers wrap at 2^63.
    default: return `(${num(r)} + 0.0) ${pick(r, ['+', '-', '*', '/'])} ${num(r)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// redis.call commands of every family, as Lua argument lists.

function arg(r: Rnd): string {
  switch (int(r, 0, 9)) {
    case 0: return pick(r, ['3', '-3', '0', '42', '3.5', '-0.5', '1e3', '100']);
    case 1: return 'ARGV[1]';
    default: return lstr(pick(r, ['v', '1', '2', 'abc', '', 'a\u0000b', '7', '-1', '2.5']));
  }
}

function callArgs(r: Rnd): string {
  const k = () => (r() < 0.2 ? 'KEYS[1]' : lstr(pick(r, KEYS)));
  const q = (xs: (string | (() => string))[]) => xs.map((x) => (typeof x === 'string' ? lstr(x) : x())).join(', ');
  const cmds: (() => string)[] = [
    () => q(['GET', k]), () => q(['SET', k, () => arg(r)]), () => q(['INCR', k]), () => q(['INCRBY', k, () => arg(r)]),
    () => q(['INCRBYFLOAT', k, () => pick(r, ["'1.5'", "'-0.25'", '2', "'abc'"])]), () => q(['DEL', k]), () => q(['EXISTS', k, k]),
    () => q(['TYPE', k]), () => q(['STRLEN', k]), () => q(['APPEND', k, () => arg(r)]), () => q(['GETRANGE', k, '0', '2']),
    () => q(['MGET', k, k, 'missing']), () => q(['GETDEL', k]),
    () => q(['HGET', 'h', () => lstr(pick(r, ['a', 'b', 'c', 'zz']))]), () => q(['HGETALL', k]), () => q(['HMGET', 'h', 'a', 'zz', 'c']),
    () => q(['HSET', 'h', () => lstr(pick(r, ['a', 'd'])), () => arg(r)]), () => q(['HINCRBYFLOAT', 'h', 'a', '0.5']), () => q(['HKEYS', 'h']),
    () => q(['HLEN', k]), () => q(['HEXISTS', 'h', 'b']), () => q(['HINCRBY', 'h', () => lstr(pick(r, ['a', 'b'])), '2']),
    () => q(['LRANGE', k, '0', '-1']), () => q(['LPUSH', 'l', () => arg(r)]), () => q(['LPOP', k]), () => q(['LPOP', 'l', '2']),
    () => q(['LINDEX', 'l', () => pick(r, ["'0'", "'9'", "'-1'"])]), () => q(['LLEN', k]), () => q(['LPOS', 'l', () => lstr(pick(r, ['a', 'c', 'q']))]),
    () => q(['SISMEMBER', 'st', '2']), () => q(['SMISMEMBER', 'st', '1', '9']), () => q(['SCARD', k]), () => q(['SADD', 'st', () => pick(r, ["'7'", "'-9'", '4'])]),
    () => q(['ZRANGE', 'z', '0', '-1', 'WITHSCORES']), () => q(['ZSCORE', 'z', () => lstr(pick(r, ['a', 'b', 'c', 'q']))]), () => q(['ZINCRBY', 'z', '1.5', 'a']),
    () => q(['ZRANK', 'z', 'b']), () => q(['ZADD', 'z', () => pick(r, ["'3'", "'0.1'", "'inf'"]), 'e']), () => q(['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES']),
    () => q(['ZMSCORE', 'z', 'a', 'q', 'c']), () => q(['ZPOPMIN', 'z']), () => q(['ZCARD', k]), () => q(['ZRANDMEMBER', 'missing']),
    () => q(['XRANGE', 'x', '-', '+']), () => q(['XLEN', k]), () => q(['XADD', 'x', '9-1', 'k', () => arg(r)]), () => q(['XREVRANGE', 'x', '+', '-', 'COUNT', '1']),
    () => q(['PING']), () => q(['PING', 'hi']), () => q(['ECHO', () => arg(r)]), () => q(['DBSIZE']), () => q(['EXPIRE', k, '100']), () => q(['TTL', k]),
    () => q(['NOSUCHCMD']), () => q(['GET']), () => q(['INCR', 'h']), () => q(['HSET', 'h']), () => q(['SET', 's', 'v', 'EX', '0']),
    () => q(['LPOP', 'l', '-1']), () => q(['ZADD', 'z', 'nan', 'q']), () => q(['SET', k, () => pick(r, ['true', '{}', 'nil', '3.25', '1e20'])]),
    () => q(['HELLO']), () => q(['SUBSCRIBE', 'c']), () => q(['MULTI']), () => q(['EVAL', 'return 1', '0']),
  ];
  return pick(r, cmds)();
}

/** Looks at any value in Lua and describes it as text, the way scripts inspect what they got. */
const SHOW = `local function show(v, d)
  d = d or 0
  local t = type(v)
  if t == 'table' then
    if d > 3 then return 'deep' end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. '=' .. show(v[k], d + 1) end
    -- '#' of a table with holes is any border, found otherwise by 5.4's VM: shown for sequences only.
    local n, ints = #v, 0
    for _, k in ipairs(keys) do if type(k) == 'number' then ints = ints + 1 end end
    return '{#' .. (ints == n and tostring(n) or '?') .. ' ' .. table.concat(out, ',') .. '}'
  elseif t == 'number' then
    local s = tostring(v) .. '|' .. string.format('%.17g', v) .. '|' .. string.format('%.3f', v)
    if v == math.floor(v) and v > -2^53 and v < 2^53 then s = s .. '|' .. string.format('%d', v) end
    return s
  elseif t == 'string' then
    return '"' .. v .. '"#' .. tostring(#v) .. '|' .. (v:find('[nN]') and 'n' or tostring(tonumber(v)))
  end
  return t .. ':' .. tostring(v)
end
`;

/**
 * Whether the script being made runs as EVAL's own chunk, where `return f(x)` keeps the line of
 * an error raised in f (in a FUNCTION's function it is a tail call in 5.4: docs/scripting.md).
 */
let ownChunk = true;
/** `return <call>` where the line of its error is kept, else through a local. */
const ret = (call: string) => (ownChunk ? `return ${call}` : `local v = ${call} return v`);

/** Scripts of many kinds, with KEYS and ARGV (keys and args inside functions). */
function script(r: Rnd): string {
  const resp3 = r() < 0.3 ? 'redis.setresp(3) ' : '';
  switch (int(r, 0, 24)) {
    case 0: case 1: case 2: return `${resp3}return ${value(r)}`;
    case 3: case 4: return `${resp3}return redis.call(${callArgs(r)})`;
    case 5: case 6: return `${SHOW}${resp3}local r = redis.call(${callArgs(r)}) return show(r)`;
    case 7: return `${SHOW}${resp3}local ok, e = pcall(redis.call, ${callArgs(r)}) return {tostring(ok), show(e)}`;
    case 8: return `${resp3}return redis.pcall(${callArgs(r)})`;
    case 9: return `${SHOW}${resp3}local r = redis.pcall(${callArgs(r)}) return {type(r), show(r)}`;
    case 10: return pick(r, [
      "error('plain message')", "error('no position', 0)", "error('level two', 2)", "error({err='ERR from table'})", "error({err='bare'})",
      "error({err='-ERR dashed'})", "error({err=5})", "error({err=2.5})", "error(redis.error_reply('ERR via reply'))", "assert(false, 'assertion text')", 'assert(false)', 'assert(nil)',
      "local ok, e = pcall(error, 'x') return {tostring(ok), e}", "local ok, e = pcall(error, {err='y'}) return {tostring(ok), e.err}",
      "local ok, e = pcall(function() local x = nil; return x.y end) return e", "local ok, e = pcall(function() return 'a' + 1 end) return e",
      "local ok, e = pcall(function() return #5 end) return e", "local ok, e = pcall(function() return {} .. 'x' end) return e",
      "local ok, e = pcall(function() return nil < 1 end) return e", "return ('x'):bad()", 'return nil + 1', "error('')", "error(nil)",
      "local ok, e = pcall(redis.call, 'nosuch') return e.err", "local ok, e = pcall(redis.call, 'incr', 'h') return {e.err, type(e)}",
      "return redis.call('get', {})", "return redis.call()", "return redis.call(nil)", "return redis.pcall()", "local x = redis.pcall('get') return x.err",
    ]);
    case 11: return `${SHOW}return show(cjson.decode(${lstr(pick(r, JSON_TEXTS))}))`;
    case 12: return ret(`cjson.encode(${r() < 0.5 ? table(r) : pick(r, ['{1, 2, {3}}', "{a={b={c=1}}}", '{}', "{'x', 1.5, true, false}", '{1/0}', '{[1]=1, [3]=3}', '{[20]=1}', "{[1]='a', [2]='b'}", "{['1']='s'}", '{0.1, 1e20, 2^53, 123456789012}', "{'\\0\\1\\127é\"\\\\/'}", 'function() end', "'str'", '42', 'nil', '{1, nil, 3}', '{{}, {{}}}'])})`);
    case 13: return ret(`cjson.encode(cjson.decode(${lstr(pick(r, JSON_TEXTS))}))`);
    case 14: return `${SHOW}return show(cmsgpack.unpack(cmsgpack.pack(${r() < 0.5 ? table(r) : scalar(r)})))`;
    case 15: return ret(`cmsgpack.pack(${pick(r, [num(r), str(r), table(r), 'true', 'nil', '{1, 2, 3}', "{a=1}", "string.rep('x', 40)", '2^32', '-2^31-1', '-33', '-32', '127', '128', '65536', '0.5', '3.25'])})`);
    case 16: return `return {${Array.from({ length: 3 }, () => bitOp(r)).join(', ')}}`;
    case 17: return structOp(r);
    case 18: return `return {${Array.from({ length: 3 }, () => stringOp(r)).join(', ')}}`;
    case 19: return tableOp(r);
    case 20: return `return {${Array.from({ length: 3 }, () => numberOp(r)).join(', ')}}`;
    case 21: return sandboxOp(r);
    case 22: return resp3Op(r);
    case 23: return r() < 0.5 ? moreOp(r) : msgpackOp(r);
    default: return `${SHOW}return show(${value(r)})`;
  }
}

function bitOp(r: Rnd): string {
  const w = () => pick(r, BITS);
  return pick(r, [
    `bit.band(${w()}, ${w()})`, `bit.bor(${w()}, ${w()}, ${w()})`, `bit.bxor(${w()}, ${w()})`, `bit.bnot(${w()})`, `bit.lshift(${w()}, ${int(r, 0, 40)})`,
    `bit.rshift(${w()}, ${int(r, 0, 33)})`, `bit.arshift(${w()}, ${int(r, 0, 33)})`, `bit.tohex(${w()})`, `bit.tohex(${w()}, ${pick(r, ['2', '-4', '8', '-8', '0'])})`,
    `bit.tobit(${w()})`, `bit.bswap(${w()})`, `bit.rol(${w()}, ${int(r, 0, 35)})`, `bit.ror(${w()}, ${int(r, 0, 35)})`, `bit.band()`, `bit.tohex('12')`,
  ]);
}

function structOp(r: Rnd): string {
  const [fmt, vals] = pick(r, [
    ['>I2', '513'], ['<i4', '-2'], ['>i', '1.5'], ['<i', '-1.5'], ['>I', '2^32+7'], ['<h', '-1e10'], ['B', '300'], ['c0', "'ab'"], ['Bc0', "2, 'ab'"], ['i3', '-5'], ['>I9', '1'], ['=i', '1'], ['>h', '-300'], ['B', '255'], ['b', '-1'], ['>d', '3.5'], ['<f', '0.25'], ['s', "'abc'"], ['c3', "'xyz'"],
    ['>I4I2', '70000, 7'], ['<l', '-5'], ['>L', '4294967295'], ['i', '7'], ['!4bi', '1, 2'], ['>bBhH', '-1, 200, -2, 60000'], ['x', ''],
  ] as const);
  if (r() < 0.5) return ret(`struct.pack(${lstr(fmt)}${vals ? ', ' + vals : ''})`);
  if (r() < 0.6) return `return {struct.unpack(${lstr(fmt)}, struct.pack(${lstr(fmt)}${vals ? ', ' + vals : ''}))}`;
  return `local r = ${pick(r, ["{struct.unpack('>I2', 'ab')}", "{struct.unpack('>I4', 'ab')}", "struct.size('>I4d')", "{struct.unpack('b', '\\255', 1)}", "struct.pack('y', 1)", "{struct.unpack('s', 'ab\\0c')}", "struct.pack('>I2')"])} return r`;
}

function stringOp(r: Rnd): string {
  const s = () => str(r);
  const i = () => pick(r, ['0', '1', '2', '-1', '-3', '10', '100']);
  return pick(r, [
    `string.rep(${s()}, ${pick(r, ['0', '1', '3', '-1'])})`, `string.sub(${s()}, ${i()}, ${i()})`, `string.sub(${s()}, ${i()})`, `string.byte(${s()}, ${i()}, ${i()})`,
    `string.char(${pick(r, ['65', '0', '255', '72, 105'])})`, `string.len(${s()})`, `#${s()}`, `string.upper(${s()})`, `string.lower(${s()})`, `string.reverse(${s()})`,
    `string.format('%d', ${whole(r)})`, `string.format('%5.2f', ${num(r)})`, `string.format('%.17g', ${num(r)})`, `string.format('%s', ${pick(r, [num(r), lstr(pick(r, PLAIN))])})`,
    `string.format('%x %X %o', ${pick(r, ['255', '0', '4096'])}, 255, 8)`, `string.format('%-5s|%5s', ${lstr(pick(r, PLAIN))}, 'ab')`, `string.format('%e', ${num(r)})`, `string.format('%g', ${num(r)})`,
    `string.format('%c', 65)`, `string.format('%5.1s', ${lstr(pick(r, PLAIN))})`, `string.format('%%')`,
    `string.find(${s()}, ${lstr(pick(r, ['l', 'o w', '%d+', '(%a)', '.', '']))})`, `string.match(${s()}, ${lstr(pick(r, ['%d+', '(%a+)', '^h', '%z', '(.)(.)']))})`,
    `(string.gsub(${s()}, ${lstr(pick(r, ['l', '%w', '.', '']))}, ${lstr(pick(r, ['L', '%0%0', '']))}))`, `select(2, string.gsub(${s()}, 'l', 'x'))`,
    `tostring(${pick(r, [num(r), s(), 'true', 'nil'])})`, `tonumber(${pick(r, [s(), num(r), "'0x1p4'", "' 0x10 '", "'1e'", "''", "'  '", "'10', 2", "'ff', 16", "'zz', 36", "'8', 8", "'1 2'", "'0x'", "'-0'", "'.5'", "'5.'"])})`,
    `${s()} .. ${s()}`, `${s()} == ${s()}`, `${s()} < ${s()}`, `type(${pick(r, [num(r), s(), 'nil', '{}', 'print', 'true'])})`,
  ]);
}

function tableOp(r: Rnd): string {
  return pick(r, [
    `local t = ${pick(r, ['{}', '{1, 2}', "{'a', {1}, 'c'}", '{a = 1}'])} table.insert(t, 'x') return t`, // no holes: insert finds '#' "local t = {1, 2, 3} table.insert(t, 1, 'first') return t", "local t = {'a', 'b', 'c'} local x = table.remove(t) return {x, t}",
    "local t = {'a', 'b', 'c'} local x = table.remove(t, 1) return {x, t}", "local t = {} local x = table.remove(t) return {type(x), #t}", `return table.concat({${pick(r, ["'a', 'b', 'c'", '1, 2, 3', "'x', 10, 'y'", ''])}}, ${pick(r, ["','", "''", "', '"])})`,
    "return table.concat({'a', 'b', 'c', 'd'}, '-', 2, 3)", "return table.concat({1, {}, 3})", `local t = {${pick(r, ['5, 2, 8, 1', "'b', 'a', 'C'", '3, 1.5, -2, 10', "'10', '9', '100'"])}} table.sort(t) return t`,
    "local t = {5, 2, 8} table.sort(t, function(a, b) return a > b end) return t", "local t = {1, 'a'} table.sort(t) return t", "return table.getn({1, 2, 3})", "return table.maxn({1, 2, [10] = 3})",
    `return {unpack({1, 2, 3, 4}, ${pick(r, ['2', '2, 3', '-1, 1', '3, 2', '1, 6', '0'])})}`, "return select('#', unpack({1, nil, 3}))", "return {select(2, 'a', 'b', 'c')}", "return select('#')", "return select(-1, 'a', 'b')",
    "local t = {} t[1] = 1 t[2] = 2 t[4] = 4 return t", "local t = {n = 1, 1, 2} return {#t, t.n}", "return {ipairs({})}~=nil", `local n = 0 for k, v in ipairs(${table(r)}) do n = n + 1 end return n`,
    "return next({})", "local k, v = next({10}) return {k, v}", "return rawequal({}, {})", "return rawget({5}, 1)",
  ]);
}

function numberOp(r: Rnd): string {
  const n = () => num(r);
  return pick(r, [
    `math.floor(${n()})`, `math.ceil(${n()})`, `math.abs(${n()})`, `math.sqrt(${pick(r, ['16', '2', '0'])})`, `math.max(${n()}, ${n()}, ${n()})`, `math.min(${n()}, ${n()})`,
    `math.fmod(${pick(r, ['7', '-7', '7.5'])}, ${pick(r, ['3', '-3', '2.5'])})`, `tostring(math.fmod(7, 3))`, `math.modf(${n()})`, `tostring(math.modf(3.7))`, `math.pow(2, ${pick(r, ['10', '0.5', '-1'])})`,
    `math.exp(0)`, `tostring(math.exp(1))`, `tostring(math.log(10))`, `math.log10(1000)`, `tostring(math.sin(1))`, `math.deg(math.pi)`, `tostring(math.rad(180))`,
    `tostring(${n()})`, `tostring(-${pick(r, NUMBERS.filter((x) => x !== '0'))})`, // 5.4's -0 is the integer 0 `${n()} == ${n()}`, `${n()} < ${n()}`, `type(${n()})`, `tostring(${n()} + 0)`, `string.format('%.14g', ${n()})`,
    `tonumber('${pick(r, ['9007199254740992', '1e20', '123', '-0', '0.1', '  5', '5  ', '3.0', '1e500', '-1e500', '0x7fffffff', '0X10', '1E2'])}')`,
    `'10' + ${pick(r, ['1', '1.5', "'2'"])}`, `'3' * '4'`, `'2' ^ 2`, `-'3'`, `10 / ${pick(r, ['4', '2', '0'])}`, `math.huge == 1/0`, `(0/0) ~= (0/0)`,
  ]);
}

function sandboxOp(r: Rnd): string {
  return pick(r, [
    'x = 1', '_G.x = 1', "rawset(_G, 'y', 1)", 'return os.time()', 'return os', 'return io', "return require('x')", 'return dofile', 'return loadfile', 'return print ~= nil',
    "return loadstring('return 1 + 1')()", "local f = loadstring('return ...') return f('a', 'b')", "local f, e = loadstring('return +') return {type(f), e}",
    "local f = loadstring('x = 5') return pcall(f)", "return type(loadstring)", "return type(setfenv)", "return type(getfenv)", "return type(newproxy)", 'return _G.KEYS[1]',
    'local t = redis return t.nosuch', 'redis.call = nil', 'redis.x = 1', 'string.myfn = 1', "local t = {} setmetatable(t, {__index = function(t, k) return k .. '!' end}) return t.abc",
    "return redis.sha1hex('')", "return redis.sha1hex('abc')", 'return redis.sha1hex(12)', 'return redis.sha1hex()', "return redis.sha1hex('a', 'b')", "return redis.sha1hex('a\\0b')",
    "return redis.REDIS_VERSION_NUM > 0", "return type(redis.REDIS_VERSION)", 'return redis.setresp(4)', 'return redis.setresp()', 'redis.log(redis.LOG_WARNING, "x") return 1',
    'redis.log(99, "x")', 'return redis.set_repl(redis.REPL_ALL)', 'return redis.replicate_commands()', "return redis.setresp('3')", 'return math.random(1, 1)',
  ]);
}

/** Lua's own corners that scripts meet: patterns, coercions, comparisons, sorting, shebangs. */
function moreOp(r: Rnd): string {
  return pick(r, [
    "return {string.find('hello', 'l', 10), string.find('a.b', '.', 1, true), string.find('(x)', '%b()'), string.find('THE (quick) fox', '%f[%a]%a+', 5)}",
    "return {string.gsub('hello world', '(%w+)', '<%1>')}", "return {string.gsub('abc', '%w', {a = '1', b = true})}", "return {string.gsub('abc', '.', function(c) if c == 'b' then return 'B' end end, 2)}",
    "return {string.match('key:123', '(%a+):(%d+)')}", "return {string.match('  x  ', '^%s*(.-)%s*$')}", "local out = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do out[#out + 1] = k .. v end return out",
    "return string.len(123)", "return ('x'):rep(3)", "return ('%d items'):format(3)", 'return 10 .. 20', "return 1 < 'x'", "return {} < {}", "return 'a' < 1", "return nil .. 'x'",
    "return select('#', nil, nil)", 'return select(0)', "return {select(-2, 'a', 'b', 'c')}", 'return tostring(nil)', 'return tostring(true)', "return {tostring(1e100), tostring(-1e-100), tostring(2^63), tostring(-2^63)}",
    "local t = {3, 1, 2} table.sort(t, function(a, b) return true end) return t", "local t = {3, 'a'} table.sort(t) return t", "local t = {} table.insert(t, 1, 'a') table.insert(t, 'b') return t",
    "return table.concat({1, 2, 3}, ', ', 2)", "return table.concat({}, 'x')", "return {string.byte('abc', -1), string.byte('abc', 0), string.byte('', 1)}", "return string.sub('hello', -3, -2)",
    "return string.format('%5.2s|%-10d|%+d|%#x|% d|%05d', 'abc', 42, 5, 255, 7, -3)", "return string.format('%10.4f|%-8.3e|%G', 3.14159, 12345.678, 1e-10)", "return string.format('%c%c%c', 76, 117, 97)",
    "return #string.format('%099d', 1)", "return math.floor(-3.5)", "return {math.max(3), math.min(-1, -5, 2)}", 'return math.abs(-2^31)',
    "local ok, e = pcall(error) return {tostring(ok), tostring(e)}", "local ok, e = pcall(error, nil) return {tostring(ok), type(e)}", "return {pcall(function() return 1, 2 end)}",
    "return {xpcall(function() error('x') end, function(m) return 'handled: ' .. m end)}", "local ok, e = xpcall(function() return redis.call('nosuch') end, function(m) return m end) return {tostring(ok), type(e), type(e) == 'table' and e.err or e}",
    "local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return {co(1), co(10)}", "return type(coroutine.create(function() end))",
    "#!lua flags=no-writes\nreturn redis.call('GET', 's')", "#!lua flags=no-writes\nreturn redis.call('SET', 's', 'x')", "#!lua\nreturn redis.call('SET', 's', 'y')", "#!lua name=x\nreturn 1", "#!lua flags=bogus\nreturn 1",
    "#!lua flags=allow-oom,no-writes\nreturn 2", "#!lu\nreturn 1", "#!lua flags=no-writes\nreturn redis.pcall('INCR', 'n')", '#!lua flags=\"no-writes\"\nreturn 3', '#!lua \"x\nreturn 3', "#! lua\nreturn 3",
    'local t = setmetatable({}, {__index = function(t, k) return k * 2 end}) return t[21]', "local t = setmetatable({}, {__tostring = function() return 'T!' end}) return tostring(t)",
    "local t = setmetatable({}, {__call = function(self, x) return x + 1 end}) return t(41)",
  ]);
}

/** MessagePack: every size class of numbers, strings, arrays and maps, and broken input. */
function msgpackOp(r: Rnd): string {
  const v = pick(r, [
    '0', '-1', '-32', '-33', '-128', '-129', '-32768', '-32769', '-2147483648', '-2147483649', '127', '128', '255', '256', '65535', '65536', '4294967295', '4294967296', '2^53',
    '0.5', '3.25', '1/3', '1e300', '1/0', "''", "string.rep('a', 31)", "string.rep('a', 32)", "string.rep('b', 255)", "string.rep('c', 256)", "string.rep('d', 65536)",
    '{}', "{1, 2, 3}", "{a = 1}", "{[1] = 'x', [3] = 'y'}", '{{{}}}', 'true', 'false', 'nil', "{1, 'two', {three = 3}, 4.5}",
  ]);
  return pick(r, [
    `local p = cmsgpack.pack(${v}) return {#p, p}`,
    `local p = cmsgpack.pack(${v}, ${v}) return {cmsgpack.unpack(p)}`,
    `${SHOW}return show({cmsgpack.unpack(cmsgpack.pack(${v}))})`,
    `local x = {cmsgpack.unpack(${lstr(pick(r, ['', '\u00c1', '\u0091', '\u00cc', '\u00d9\u0005ab', '\u0093\u0001\u0002', '\u00a3abc\u0001', '\u00c0\u00c2\u00c3', '\u00ca\u0040\u0049\u000f\u00db']))})} return x`,
    `local x = {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))} return x`, `local x = {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)} return x`, 'local x = cmsgpack.pack() return x',
  ]);
}

function resp3Op(r: Rnd): string {
  return pick(r, [
    `redis.setresp(3) return redis.call(${callArgs(r)})`, `redis.setresp(3) local v = redis.call(${callArgs(r)}) return {type(v), v}`,
    `${SHOW}redis.setresp(3) return show(redis.call(${callArgs(r)}))`, "redis.setresp(3) local m = redis.call('HGETALL', 'h') return m.map and {m.map.a, m.map.b} or 'no map'",
    "redis.setresp(3) local d = redis.call('ZSCORE', 'z', 'b') return {type(d), d.double and tostring(d.double)}", "redis.setresp(3) return redis.call('SMISMEMBER', 'st', '1', 'x')",
    "redis.setresp(3) local v = redis.call('GET', 'missing') return {type(v), tostring(v)}", "redis.setresp(3) local v = redis.call('SISMEMBER', 'st', '1') return {type(v), tostring(v)}",
    "redis.setresp(3) return redis.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')", "redis.setresp(2) return redis.call('HGETALL', 'h')", "redis.setresp(3) redis.setresp(2) return redis.call('ZSCORE', 'z', 'a')",
    `redis.setresp(3) return ${value(r)}`, "redis.setresp(3) return {map={redis.call('HGETALL', 'h')}}", "redis.setresp(3) return {1, {double=0.5}, {big_number='1'}}",
  ]);
}

// ---------------------------------------------------------------------------------------------
// Commands: EVAL / EVALSHA / EVAL_RO / FCALL and the loading of scripts and libraries.

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
let loaded: string[] = [];
let functions: { name: string; ro: boolean }[] = [];

function keysAndArgs(r: Rnd): string[] {
  const keys = Array.from({ length: int(r, 0, 2) }, () => pick(r, KEYS));
  const args = Array.from({ length: int(r, 0, 3) }, () => pick(r, ['v', '1', '2.5', '-3', '', 'a\u0000b', 'é', '9007199254740992', 'x'.repeat(50)])); // not 2^53+1: 5.4's tonumber keeps it exact (64-bit integers, documented)
  if (r() < 0.08) return [pick(r, ['-1', String(keys.length + args.length + 1), 'abc', '1.5', ' 1', '', '01', '-0', '+1', '99999999999999999999']), ...keys, ...args];
  return [String(keys.length), ...keys, ...args];
}

function library(r: Rnd): string[] {
  const lib = `lib${int(r, 1, 3)}`;
  const count = int(r, 1, 3);
  let body = `#!lua name=${lib}\n`;
  const made: { name: string; ro: boolean }[] = [];
  for (let j = 1; j <= count; j++) {
    const name = `${lib}f${j}`;
    ownChunk = false;
    const code = script(r).replace(/\bKEYS\b/g, 'keys').replace(/\bARGV\b/g, 'args');
    ownChunk = true;
    const ro = r() < 0.3;
    body += ro
      ? `redis.register_function{function_name='${name}', callback=function(keys, args) ${code}\nend, flags={'no-writes'}}\n`
      : r() < 0.8
        ? `redis.register_function('${name}', function(keys, args) ${code}\nend)\n`
        : `redis.register_function{Function_Name='${name}', CALLBACK=function(keys, args) ${code}\nend, description=${pick(r, ['1', "'d'", '2.5'])}}\n`;
    made.push({ name, ro });
  }
  if (r() < 0.1) body += pick(r, ['x = 1\n', "redis.register_function('bad name!', function() end)\n", "redis.call('PING')\n", "redis.register_function{function_name='z', callback=function() end, flags={'nosuch'}}\n"]);
  // A failed load leaves the names behind: FCALL of them then fails alike on both servers.
  functions = functions.filter((f) => !f.name.startsWith(`${lib}f`)).concat(made);
  return ['FUNCTION', 'LOAD', ...(r() < 0.8 ? ['REPLACE'] : []), body];
}

function command(r: Rnd): string[] {
  const roll = r();
  if (roll < 0.6) return [r() < 0.9 ? 'EVAL' : 'EVAL_RO', script(r), ...keysAndArgs(r)];
  if (roll < 0.68) {
    const body = script(r);
    loaded.push(body);
    return ['SCRIPT', 'LOAD', body];
  }
  if (roll < 0.8) {
    const body = loaded.length && r() < 0.9 ? pick(r, loaded) : script(r);
    const sha = r() < 0.1 ? sha1(body).toUpperCase() : sha1(body);
    return [r() < 0.9 ? 'EVALSHA' : 'EVALSHA_RO', sha, ...keysAndArgs(r)];
  }
  if (roll < 0.86) return library(r);
  if (roll < 0.97) {
    const f = functions.length && r() < 0.95 ? pick(r, functions) : { name: 'nosuch', ro: false };
    return [f.ro && r() < 0.7 ? 'FCALL_RO' : 'FCALL', f.name, ...keysAndArgs(r)];
  }
  return pick(r, [['SCRIPT', 'EXISTS', sha1('return 1'), ...loaded.slice(0, 2).map(sha1)], ['FUNCTION', 'DELETE', 'lib1'], ['GET', 's'], ['HGETALL', 'h'], ['LRANGE', 'l', '0', '-1']]);
}

describeDifferential('Lua scripts and functions: differential run against redis-server 7', [
  {
    what: 'script sequences',
    count: COUNT,
    seed: SEED,
    length: 25,
    setup() {
      loaded = [];
      functions = [];
      return [['FUNCTION', 'FLUSH'], ['SCRIPT', 'FLUSH'], ...DATA];
    },
    command,
  },
]);
