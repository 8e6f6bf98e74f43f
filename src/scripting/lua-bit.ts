// Redis's bit (LuaBitOp) in Lua for the 5.4 VM: 32-bit signed results, arguments read as LuaBitOp reads doubles.
// A part of the libraries' Lua chunk (libs.ts joins them): it uses the chunk's shared locals
// (raise, num, NULL, fmt, ...) and defines the local `bit`.

export const BIT_LUA = String.raw`
---------------------------------------------------------------- bit (LuaBitOp: 32-bit, signed results)
-- LuaBitOp reads its arguments with luaL_checknumber: a numeric string is a number, anything
-- else is "bad argument #2 to 'band' (number expected, got string)".
-- A result as LuaBitOp gives it: the low 32 bits, signed.
local function wrap32(i)
  i = i & 0xffffffff
  if i >= 0x80000000 then i = i - 0x100000000 end
  return i
end
-- An argument as LuaBitOp reads it: a double's low 32 bits after adding 2^52+2^51 (round half
-- to even, and what that sum keeps of larger numbers); integers of 5.4 below 2^51 directly.
local function tobit(x, name, n)
  if type(x) ~= 'number' then
    local v = type(x) == 'string' and tonumber(x)
    if not v then raise(fmt("bad argument #%d to '%s' (number expected, got %s)", n, name, x == nil and 'no value' or type(x))) end
    x = v
  end
  if mathtype(x) == 'integer' and x > -2^51 and x < 2^51 then return wrap32(x) end
  return wrap32(sunpack('<I4', spack('<d', x + 6755399441055744.0)))
end
local function fold(op, name)
  return function(a, ...)
    local r = tobit(a, name, 1)
    for i = 1, select('#', ...) do r = wrap32(op(r, tobit((select(i, ...)), name, i + 1))) end
    return r
  end
end
local function shift(name, op)
  return function(a, n) return wrap32(op(tobit(a, name, 1) & 0xffffffff, tobit(n, name, 2) & 31)) end
end
local bit = {
  tobit = function(a) return tobit(a, 'tobit', 1) end,
  bnot = function(a) return wrap32(~tobit(a, 'bnot', 1)) end,
  band = fold(function(a, b) return a & b end, 'band'),
  bor = fold(function(a, b) return a | b end, 'bor'),
  bxor = fold(function(a, b) return a ~ b end, 'bxor'),
  lshift = shift('lshift', function(v, s) return v << s end),
  rshift = shift('rshift', function(v, s) return v >> s end),
  arshift = shift('arshift', function(v, s) return (v >> s) | (v >= 0x80000000 and ~(0xffffffff >> s) or 0) end),
  rol = shift('rol', function(v, s) return (v << s) | (v >> (32 - s)) end),
  ror = shift('ror', function(v, s) return (v >> s) | (v << (32 - s)) end),
  bswap = function(a) local v = tobit(a, 'bswap', 1) & 0xffffffff
    return wrap32(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24)) end,
  tohex = function(a, n)
    n = n == nil and 8 or tobit(n, 'tohex', 2)
    local upper = n < 0
    if upper then n = -n end
    if n > 8 then n = 8 end
    local v = tobit(a, 'tohex', 1) & 0xffffffff
    local h = fmt(upper and '%08X' or '%08x', v)
    return h:sub(9 - n)
  end,
}
`;
