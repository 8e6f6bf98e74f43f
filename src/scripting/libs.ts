// The libraries Redis gives scripts, written in Lua for the Lua 5.4 VM: cjson, cmsgpack, bit and
// struct, with the behaviour scripts written for Redis depend on (cjson's escaping of "/" and
// its number format, MessagePack's smallest-encoding rules, LuaBitOp's 32-bit signed results,
// struct's formats mapped onto string.pack). Called with the JSON null (a light userdata).

export const LIBS = String.raw`
local NULL = ...
local type, pairs, ipairs, tostring, tonumber, error, select = type, pairs, ipairs, tostring, tonumber, error, select
local floor, huge, tointeger, mathtype = math.floor, math.huge, math.tointeger, math.type
local char, byte, fmt, concat, spack, sunpack = string.char, string.byte, string.format, table.concat, string.pack, string.unpack

-- Lua 5.1 had only floats: a decoded whole number is an integer here, so it prints as 3, not 3.0.
local function num(n)
  local i = tointeger(n)
  if i ~= nil and mathtype(n) == 'float' and n == n and n ~= huge and n ~= -huge then return i end
  return n
end

-- luaL_error's position: the line of the script that called the library function, none when
-- a C function (pcall) called it. A tail call ('return cjson.decode(x)') leaves no script frame
-- in 5.4, where 5.1 kept it for its C libraries: there the error has no position.
local getinfo = debug.getinfo
local function raise(msg)
  local level, i = 3, getinfo(3, 'Sl')
  while i and i.source == '=libs' do level = level + 1 i = getinfo(level, 'Sl') end
  if i and i.what ~= 'C' and i.source:sub(1, 1) ~= '=' and i.currentline > 0 then msg = i.short_src .. ':' .. i.currentline .. ': ' .. msg end
  error(msg, 0)
end

---------------------------------------------------------------- cjson
local cjson = {null = NULL, _NAME = 'cjson', _VERSION = '2.1.0'}
local enc_depth, dec_depth, enc_invalid = 1000, 1000, false
local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function escape(s)
  return '"' .. s:gsub('[%c"\\/]', function(c) return escapes[c] or fmt('\\u%04x', byte(c)) end) .. '"'
end
local encode
local function encode_table(t, depth, out)
  if depth > enc_depth then raise('Cannot serialise, excessive nesting (' .. depth .. ')') end
  local max, count, isarray = 0, 0, true
  for k in pairs(t) do
    if type(k) == 'number' and k > 0 and floor(k) == k then
      if k > max then max = k end
      count = count + 1
    else isarray = false break end
  end
  if isarray and max > 0 and max > count * 2 and max > 10 then
    raise('Cannot serialise table: excessively sparse array')
  end
  if isarray and max > 0 then
    out[#out + 1] = '['
    for i = 1, max do
      if i > 1 then out[#out + 1] = ',' end
      encode(t[i], depth + 1, out)
    end
    out[#out + 1] = ']'
    return
  end
  out[#out + 1] = '{'
  local first = true
  for k, v in pairs(t) do
    local tk = type(k)
    if tk ~= 'string' and tk ~= 'number' then raise('Cannot serialise ' .. tk .. ': table key must be a number or string') end
    if not first then out[#out + 1] = ',' end
    first = false
    out[#out + 1] = escape(tk == 'number' and fmt('%.14g', k) or k)
    out[#out + 1] = ':'
    encode(v, depth + 1, out)
  end
  out[#out + 1] = '}'
end
encode = function(v, depth, out)
  local t = type(v)
  if t == 'string' then out[#out + 1] = escape(v)
  elseif t == 'number' then
    if v ~= v or v == huge or v == -huge then
      if not enc_invalid then raise('Cannot serialise number: must not be NaN or Inf') end
      out[#out + 1] = v ~= v and 'nan' or (v > 0 and 'inf' or '-inf')
    else out[#out + 1] = fmt('%.14g', v) end
  elseif t == 'boolean' then out[#out + 1] = tostring(v)
  elseif t == 'nil' or v == NULL then out[#out + 1] = 'null'
  elseif t == 'table' then encode_table(v, depth, out)
  else raise('Cannot serialise ' .. t .. ': type not supported') end
end
function cjson.encode(...)
  if select('#', ...) ~= 1 then error('bad argument #1 to \'encode\' (expected 1 argument)', 2) end
  local out = {}
  encode((...), 1, out)
  return concat(out)
end

local function utf8char(c)
  if c < 0x80 then return char(c) end
  if c < 0x800 then return char(0xC0 | (c >> 6), 0x80 | (c & 0x3F)) end
  if c < 0x10000 then return char(0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)) end
  return char(0xF0 | (c >> 18), 0x80 | ((c >> 12) & 0x3F), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F))
end
local unescapes = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}
local SINGLE = {['{'] = 'T_OBJ_BEGIN', ['}'] = 'T_OBJ_END', ['['] = 'T_ARR_BEGIN', [']'] = 'T_ARR_END', [','] = 'T_COMMA', [':'] = 'T_COLON'}
local NAN = -(0/0) -- strtod's "nan" has no sign bit; 0/0 has it on x86

-- What strtod reads at d[pos]: the number and the position after it, or nil (cjson hands
-- anything starting with a digit, '-', '+', "inf" or "nan" to strtod, hex and leading zeros too).
local function strtod(d, pos)
  local sign, at = d:match('^([-+]?)()', pos)
  local neg = sign == '-'
  local word = d:sub(at, at + 7):lower()
  if word == 'infinity' then return neg and -huge or huge, at + 8 end
  if word:sub(1, 3) == 'inf' then return neg and -huge or huge, at + 3 end
  if word:sub(1, 3) == 'nan' then
    local close = d:match('^%([%w_]*%)()', at + 3)
    return neg and -NAN or NAN, close or at + 3
  end
  local hex = d:match('^0[xX]()', at)
  if hex then
    local mant, after = d:match('^(%x*%.?%x*)()', hex)
    if mant:find('%x') then
      local e, stop = d:match('^[pP]([-+]?%d+)()', after)
      return tonumber(sign .. '0x' .. mant .. 'p' .. (e or '0')), stop or after
    end
    return neg and -0.0 or 0.0, at + 1
  end
  local digits, after = d:match('^(%d*%.?%d*)()', at)
  if not digits:find('%d') then return nil end
  local e, stop = d:match('^([eE][-+]?%d+)()', after)
  local n = tonumber(sign .. digits .. (e or '')) + 0.0
  return (neg and n == 0) and -0.0 or n, stop or after
end

-- Lua CJSON's tokenizer and parser, step for step, so that malformed input fails with its
-- texts ("Expected value but found T_END at character 1") at the same character.
local jd, jpos
local function hex4(at)
  local h = jd:sub(at, at + 3)
  return #h == 4 and not h:find('%X') and tonumber(h, 16) or nil
end
-- The token at jpos: its type, its value (for T_ERROR the error's text) and its 0-based index.
local function next_token()
  jpos = jd:find('[^ \t\r\n]', jpos) or #jd + 1
  local at = jpos
  if at > #jd then return 'T_END', nil, at - 1 end
  local c = jd:sub(at, at)
  local single = SINGLE[c]
  if single then jpos = at + 1 return single, nil, at - 1 end
  if c == '"' then
    local out, i = {}, at + 1
    while true do
      local j = jd:find('["\\]', i)
      if not j then return 'T_ERROR', 'unexpected end of string', #jd end
      out[#out + 1] = jd:sub(i, j - 1)
      if jd:sub(j, j) == '"' then jpos = j + 1 return 'T_STRING', concat(out), at - 1 end
      local e = jd:sub(j + 1, j + 1)
      if e == 'u' then
        local cp, len = hex4(j + 2), 6
        if cp and cp & 0xF800 == 0xD800 then
          local lo = cp & 0x400 == 0 and jd:sub(j + 6, j + 7) == '\\u' and hex4(j + 8)
          if lo and lo & 0xFC00 == 0xDC00 then cp, len = (((cp & 0x3FF) << 10) | (lo & 0x3FF)) + 0x10000, 12 else cp = nil end
        end
        if not cp then return 'T_ERROR', 'invalid unicode escape code', j - 1 end
        out[#out + 1] = utf8char(cp)
        i = j + len
      elseif unescapes[e] then out[#out + 1] = unescapes[e] i = j + 2
      else return 'T_ERROR', 'invalid escape code', j - 1 end
    end
  end
  if c == '-' or c:find('%d') then
    local n, stop = strtod(jd, at)
    if not n then return 'T_ERROR', 'invalid number', at - 1 end
    jpos = stop
    return 'T_NUMBER', n, at - 1
  end
  if jd:find('^true', at) then jpos = at + 4 return 'T_BOOLEAN', true, at - 1 end
  if jd:find('^false', at) then jpos = at + 5 return 'T_BOOLEAN', false, at - 1 end
  if jd:find('^null', at) then jpos = at + 4 return 'T_NULL', NULL, at - 1 end
  local lower = jd:sub(at, at + 3):lower()
  if c == '+' or lower:find('^[-+]?inf') or lower:find('^[-+]?nan') then
    local n, stop = strtod(jd, at)
    if not n then return 'T_ERROR', 'invalid number', at - 1 end
    jpos = stop
    return 'T_NUMBER', n, at - 1
  end
  return 'T_ERROR', 'invalid token', at - 1
end
local function parse_error(what, kind, v, index)
  raise(fmt('Expected %s but found %s at character %d', what, kind == 'T_ERROR' and v or kind, index + 1))
end
local parse_value
local function descend(depth)
  if depth > dec_depth then raise(fmt('Found too many nested data structures (%d) at character %d', depth, jpos - 1)) end
end
local function parse_object(depth)
  descend(depth)
  local t = {}
  local kind, v, index = next_token()
  if kind == 'T_OBJ_END' then return t end
  while true do
    if kind ~= 'T_STRING' then parse_error('object key string', kind, v, index) end
    local key = v
    kind, v, index = next_token()
    if kind ~= 'T_COLON' then parse_error('colon', kind, v, index) end
    t[key] = parse_value(depth, next_token())
    kind, v, index = next_token()
    if kind == 'T_OBJ_END' then return t end
    if kind ~= 'T_COMMA' then parse_error('comma or object end', kind, v, index) end
    kind, v, index = next_token()
  end
end
local function parse_array(depth)
  descend(depth)
  local t, n = {}, 0
  local kind, v, index = next_token()
  if kind == 'T_ARR_END' then return t end
  while true do
    n = n + 1
    t[n] = parse_value(depth, kind, v, index)
    kind, v, index = next_token()
    if kind == 'T_ARR_END' then return t end
    if kind ~= 'T_COMMA' then parse_error('comma or array end', kind, v, index) end
    kind, v, index = next_token()
  end
end
parse_value = function(depth, kind, v, index)
  if kind == 'T_STRING' or kind == 'T_BOOLEAN' or kind == 'T_NULL' then return v end
  if kind == 'T_NUMBER' then return (v == 0 and 1 / v < 0) and v or num(v) end
  if kind == 'T_OBJ_BEGIN' then return parse_object(depth + 1) end
  if kind == 'T_ARR_BEGIN' then return parse_array(depth + 1) end
  parse_error('value', kind, v, index)
end
function cjson.decode(...)
  if select('#', ...) ~= 1 then raise("bad argument #1 to 'decode' (expected 1 argument)") end
  local s = ...
  if type(s) == 'number' then s = fmt('%.14g', s)
  elseif type(s) ~= 'string' then raise("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ')') end
  if #s >= 2 and (byte(s, 1) == 0 or byte(s, 2) == 0) then raise('JSON parser does not support UTF-16 or UTF-32') end
  -- The C parser reads a C string: a NUL ends the input.
  local z = s:find('\0', 1, true)
  jd, jpos = z and s:sub(1, z - 1) or s, 1
  local v = parse_value(0, next_token())
  local kind, e, index = next_token()
  jd = nil
  if kind ~= 'T_END' then parse_error('the end', kind, e, index) end
  return v
end
function cjson.encode_max_depth(n) if n then enc_depth = n end return enc_depth end
function cjson.decode_max_depth(n) if n then dec_depth = n end return dec_depth end
function cjson.encode_keep_buffer() return true end
function cjson.encode_invalid_numbers(on) if on ~= nil then enc_invalid = on == true or on == 'on' end return enc_invalid end
function cjson.decode_invalid_numbers() return true end
function cjson.encode_sparse_array() return false, 2, 10 end
function cjson.encode_number_precision() return 14 end
function cjson.new() return cjson end

---------------------------------------------------------------- cmsgpack
local cmsgpack = {_NAME = 'cmsgpack', _VERSION = 'lua-cmsgpack 0.4.0'}
local function is_array(t)
  local max, count = 0, 0
  for k in pairs(t) do
    if type(k) ~= 'number' or k <= 0 or floor(k) ~= k then return false end
    if k > max then max = k end
    count = count + 1
  end
  return max == count, max
end
local pack_value
local function pack_table(t, out, depth)
  local arr, n = is_array(t)
  if arr then
    if n < 16 then out[#out + 1] = char(0x90 | n)
    elseif n < 65536 then out[#out + 1] = spack('>BI2', 0xdc, n)
    else out[#out + 1] = spack('>BI4', 0xdd, n) end
    for i = 1, n do pack_value(t[i], out, depth + 1) end
    return
  end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  if count < 16 then out[#out + 1] = char(0x80 | count)
  elseif count < 65536 then out[#out + 1] = spack('>BI2', 0xde, count)
  else out[#out + 1] = spack('>BI4', 0xdf, count) end
  for k, v in pairs(t) do pack_value(k, out, depth + 1) pack_value(v, out, depth + 1) end
end
local function pack_int(n, out)
  if n >= 0 then
    if n < 128 then out[#out + 1] = char(n)
    elseif n < 256 then out[#out + 1] = spack('>BB', 0xcc, n)
    elseif n < 65536 then out[#out + 1] = spack('>BI2', 0xcd, n)
    elseif n < 4294967296 then out[#out + 1] = spack('>BI4', 0xce, n)
    else out[#out + 1] = spack('>Bi8', 0xcf, n) end
  else
    if n >= -32 then out[#out + 1] = spack('b', n)
    elseif n >= -128 then out[#out + 1] = spack('>Bb', 0xd0, n)
    elseif n >= -32768 then out[#out + 1] = spack('>Bi2', 0xd1, n)
    elseif n >= -2147483648 then out[#out + 1] = spack('>Bi4', 0xd2, n)
    else out[#out + 1] = spack('>Bi8', 0xd3, n) end
  end
end
pack_value = function(v, out, depth)
  local t = type(v)
  if t == 'string' then
    local n = #v
    if n < 32 then out[#out + 1] = char(0xa0 | n)
    elseif n < 256 then out[#out + 1] = spack('>BB', 0xd9, n)
    elseif n < 65536 then out[#out + 1] = spack('>BI2', 0xda, n)
    else out[#out + 1] = spack('>BI4', 0xdb, n) end
    out[#out + 1] = v
  elseif t == 'number' then
    local i = tointeger(v)
    if i ~= nil and v == v then pack_int(i, out)
    elseif spack('f', v) and sunpack('f', spack('f', v)) == v then out[#out + 1] = spack('>Bf', 0xca, v)
    else out[#out + 1] = spack('>Bd', 0xcb, v) end
  elseif t == 'boolean' then out[#out + 1] = char(v and 0xc3 or 0xc2)
  elseif t == 'table' and depth <= 16 then pack_table(v, out, depth)
  else out[#out + 1] = char(0xc0) end
end
function cmsgpack.pack(...)
  local n = select('#', ...)
  if n == 0 then raise("bad argument #0 to 'pack' (MessagePack pack needs input.)") end
  local out = {}
  for i = 1, n do pack_value((select(i, ...)), out, 1) end
  return concat(out)
end

local unpack_value
local function missing() raise('Missing bytes in input.') end
local function take(s, pos, f, n) if pos + n > #s then missing() end return (sunpack(f, s, pos + 1)), pos + 1 + n end
local function strof(s, n, at) if at + n - 1 > #s then missing() end return s:sub(at, at + n - 1), at + n end
local function tbl(s, n, at, map)
  local t = {}
  for i = 1, n do
    if map then
      local k, v
      k, at = unpack_value(s, at)
      v, at = unpack_value(s, at)
      if k ~= nil then t[k] = v end
    else t[i], at = unpack_value(s, at) end
  end
  return t, at
end
unpack_value = function(s, pos)
  if pos > #s then missing() end
  local c = byte(s, pos)
  if c < 0x80 then return c, pos + 1 end
  if c >= 0xe0 then return c - 256, pos + 1 end
  if c >= 0xa0 and c <= 0xbf then return strof(s, c - 0xa0, pos + 1) end
  if c >= 0x90 and c <= 0x9f then return tbl(s, c - 0x90, pos + 1, false) end
  if c >= 0x80 and c <= 0x8f then return tbl(s, c - 0x80, pos + 1, true) end
  if c == 0xc0 then return nil, pos + 1 end
  if c == 0xc2 then return false, pos + 1 end
  if c == 0xc3 then return true, pos + 1 end
  if c == 0xcc then return take(s, pos, '>B', 1) end
  if c == 0xcd then return take(s, pos, '>I2', 2) end
  if c == 0xce then return take(s, pos, '>I4', 4) end
  -- Redis's cmsgpack pushes a uint 64 through lua_pushinteger: past 2^63 it is negative.
  if c == 0xcf then return take(s, pos, '>i8', 8) end
  if c == 0xd0 then return take(s, pos, '>b', 1) end
  if c == 0xd1 then return take(s, pos, '>i2', 2) end
  if c == 0xd2 then return take(s, pos, '>i4', 4) end
  if c == 0xd3 then return take(s, pos, '>i8', 8) end
  if c == 0xca then local v, p = take(s, pos, '>f', 4) return num(v), p end
  if c == 0xcb then local v, p = take(s, pos, '>d', 8) return num(v), p end
  -- No bin 8/16/32 (0xc4-0xc6): Redis's cmsgpack predates them and refuses them.
  if c == 0xd9 then local n = take(s, pos, '>B', 1) return strof(s, n, pos + 2) end
  if c == 0xda then local n = take(s, pos, '>I2', 2) return strof(s, n, pos + 3) end
  if c == 0xdb then local n = take(s, pos, '>I4', 4) return strof(s, n, pos + 5) end
  if c == 0xdc then local n = take(s, pos, '>I2', 2) return tbl(s, n, pos + 3, false) end
  if c == 0xdd then local n = take(s, pos, '>I4', 4) return tbl(s, n, pos + 5, false) end
  if c == 0xde then local n = take(s, pos, '>I2', 2) return tbl(s, n, pos + 3, true) end
  if c == 0xdf then local n = take(s, pos, '>I4', 4) return tbl(s, n, pos + 5, true) end
  raise('Bad data format in input.')
end
local function unpack_many(s, limit, offset)
  local out, n, pos = {}, 0, (offset or 0) + 1
  while pos <= #s and (limit == 0 or n < limit) do
    local v
    v, pos = unpack_value(s, pos)
    n = n + 1
    out[n] = v
  end
  return out, n, pos
end
function cmsgpack.unpack(s)
  if type(s) ~= 'string' then error('bad argument #1 to \'unpack\' (string expected)', 2) end
  local out, n = unpack_many(s, 0, 0)
  return table.unpack(out, 1, n)
end
local function limited(s, limit, offset)
  offset = offset or 0
  if offset < 0 or offset > #s then raise('Start offset ' .. offset .. ' greater than input length ' .. #s .. '.') end
  local out, n, pos = unpack_many(s, limit, offset)
  local next_offset = pos > #s and -1 or pos - 1
  return next_offset, table.unpack(out, 1, n)
end
function cmsgpack.unpack_one(s, offset) return limited(s, 1, offset) end
function cmsgpack.unpack_limit(s, limit, offset) return limited(s, limit, offset) end

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

---------------------------------------------------------------- struct
-- Roberto Ierusalimschy's struct library as Redis builds it (x86-64: long and size_t of 8 bytes,
-- alignment up to 8, little-endian by default), step for step: its own formats ('c0' takes the
-- length from the string or from the previous value, 's' ends at a NUL, integers up to 32
-- bytes wrap as C's casts do) and its own errors.
local MAXINTSIZE, MAXALIGN = 32, 8
local SIZES = {b = 1, B = 1, h = 2, H = 2, l = 8, L = 8, T = 8, f = 4, d = 8, x = 1}

-- Argument n of the call (count arguments in all): luaL_checklstring / luaL_checknumber.
local function struct_string(v, name, n, count)
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return fmt('%.14g', v) end
  raise(fmt("bad argument #%d to '%s' (string expected, got %s)", n, name, n > count and 'no value' or t))
end
local function struct_number(v, name, n, count)
  local x = type(v) == 'number' and v or type(v) == 'string' and tonumber(v)
  if not x then raise(fmt("bad argument #%d to '%s' (number expected, got %s)", n, name, n > count and 'no value' or type(v))) end
  return x
end
-- A format reader: the next option, its size and the number after it, as optsize/getnum.
local function getnum(f, i, default)
  local digits = f:match('^%d+', i)
  if not digits then return default, i end
  if #digits > 9 and tonumber(digits) > 0x7fffffff then raise('integral size overflow') end
  return tonumber(digits), i + #digits
end
local function optsize(opt, f, i)
  local size = SIZES[opt]
  if size then return size, i end
  if opt == 'c' then return getnum(f, i, 1) end
  if opt == 'i' or opt == 'I' then
    local n
    n, i = getnum(f, i, 4)
    if n > MAXINTSIZE then raise(fmt('integral size %d is larger than limit of %d', n, MAXINTSIZE)) end
    return n, i
  end
  return 0, i
end
local function toalign(len, h, opt, size)
  if size == 0 or opt == 'c' then return 0 end
  if size > h.align then size = h.align end
  return (size - (len & (size - 1))) & (size - 1)
end
local function control(opt, f, i, h, name)
  if opt == ' ' then return i end
  if opt == '>' then h.little = false return i end
  if opt == '<' then h.little = true return i end
  if opt == '!' then
    local a
    a, i = getnum(f, i, MAXALIGN)
    if a <= 0 or a & (a - 1) ~= 0 then raise(fmt('alignment %d is not a power of 2', a)) end
    h.align = a
    return i
  end
  raise(fmt("bad argument #1 to '%s' (invalid format option '%s')", name, opt))
end
-- C's (unsigned long)(long)n for n < 0, else (unsigned long)n, as x86-64 computes them.
local function to_u64(n)
  if n ~= n then return 0 end
  if n < 0 then return n > -2^63 and tointeger(n < 0 and -floor(-n) or n) or math.mininteger end
  n = floor(n)
  if n < 2^63 then return tointeger(n) end
  if n < 2^64 then return tointeger(n - 2^64) end
  return 0
end
local function int_bytes(v, size, little)
  local out = {}
  for k = 1, size do out[k] = char(v & 0xff) v = v >> 8 end
  local s = concat(out)
  return little and s or s:reverse()
end

local function struct_pack(...)
  local count = select('#', ...)
  local f = struct_string((...), 'pack', 1, count)
  -- b_pack pushes a nil after its arguments: a missing one just past them is that nil.
  count = count + 1
  local h, out, total, arg, i = {little = true, align = 1}, {}, 0, 2, 1
  while i <= #f do
    local opt = f:sub(i, i)
    local size
    size, i = optsize(opt, f, i + 1)
    local pad = toalign(total, h, opt, size)
    total = total + pad
    if pad > 0 then out[#out + 1] = ('\0'):rep(pad) end
    if opt:find('^[bBhHlLTiI]$') then
      out[#out + 1] = int_bytes(to_u64(struct_number((select(arg, ...)), 'pack', arg, count)), size, h.little)
      arg = arg + 1
    elseif opt == 'x' then out[#out + 1] = '\0'
    elseif opt == 'f' or opt == 'd' then
      out[#out + 1] = spack((h.little and '<' or '>') .. opt, struct_number((select(arg, ...)), 'pack', arg, count) + 0.0)
      arg = arg + 1
    elseif opt == 'c' or opt == 's' then
      local v = struct_string((select(arg, ...)), 'pack', arg, count)
      arg = arg + 1
      if size == 0 then size = #v end
      if #v < size then raise(fmt("bad argument #%d to 'pack' (string too short)", arg)) end
      out[#out + 1] = v:sub(1, size)
      if opt == 's' then out[#out + 1] = '\0' size = size + 1 end
    else i = control(opt, f, i, h, 'pack') end
    total = total + size
  end
  return concat(out)
end

local function unsigned_number(v) return v < 0 and (v & 0x7fffffffffffffff) + 2^63 or v end
local function struct_unpack(...)
  local count = select('#', ...)
  local f = struct_string((...), 'unpack', 1, count)
  local data = struct_string((select(2, ...)), 'unpack', 2, count)
  local pos = select(3, ...)
  if pos == nil then pos = 1 else pos = struct_number(pos, 'unpack', 3, count) pos = pos < 0 and -floor(-pos) or floor(pos) end
  if pos == 0 then raise("bad argument #3 to 'unpack' (offset must be 1 or greater)") end
  -- size_t: a negative offset is past any data.
  pos = pos < 0 and huge or pos - 1
  local h, r, i, ld = {little = true, align = 1}, {n = 0}, 1, #data
  local function push(v) r.n = r.n + 1 r[r.n] = v end
  local function short(size) if size > ld or pos > ld - size then raise("bad argument #2 to 'unpack' (data string too short)") end end
  while i <= #f do
    local opt = f:sub(i, i)
    local size
    size, i = optsize(opt, f, i + 1)
    pos = pos + toalign(pos == huge and 0 or pos, h, opt, size)
    short(size)
    if opt:find('^[bBhHlLTiI]$') then
      local v, bytes = 0, data:sub(pos + 1, pos + size)
      if h.little then bytes = bytes:reverse() end
      for k = 1, size do v = (v << 8) | byte(bytes, k) end
      if opt:find('%l') then
        local bits = (size * 8 - 1) % 64
        local mask = ~0 << bits
        if v & mask ~= 0 then v = v | mask end
        push(num(v + 0.0))
      else push(num(unsigned_number(v) + 0.0)) end
    elseif opt == 'f' or opt == 'd' then
      push(num((sunpack((h.little and '<' or '>') .. opt, data, pos + 1))))
    elseif opt == 'c' then
      if size == 0 then
        local prev = r[r.n]
        if r.n == 0 or not (type(prev) == 'number' or type(prev) == 'string' and tonumber(prev)) then raise("format 'c0' needs a previous size") end
        size = tonumber(prev)
        r[r.n] = nil
        r.n = r.n - 1
        short(size)
      end
      push(data:sub(pos + 1, pos + size))
    elseif opt == 's' then
      local e = data:find('\0', pos + 1, true)
      if not e then raise('unfinished string in data') end
      size = e - pos
      push(data:sub(pos + 1, e - 1))
    elseif opt ~= 'x' then i = control(opt, f, i, h, 'unpack') end
    pos = pos + size
  end
  push(pos + 1)
  return table.unpack(r, 1, r.n)
end

local function struct_size(...)
  local f = struct_string((...), 'size', 1, select('#', ...))
  local h, pos, i = {little = true, align = 1}, 0, 1
  while i <= #f do
    local opt = f:sub(i, i)
    local size
    size, i = optsize(opt, f, i + 1)
    pos = pos + toalign(pos, h, opt, size)
    if opt == 's' then raise("bad argument #1 to 'size' (option 's' has no fixed size)")
    elseif opt == 'c' and size == 0 then raise("bad argument #1 to 'size' (option 'c0' has no fixed size)") end
    if not opt:find('%w') then i = control(opt, f, i, h, 'size') end
    pos = pos + size
  end
  return pos
end
local struct = {pack = struct_pack, unpack = struct_unpack, size = struct_size}

return {cjson = cjson, cmsgpack = cmsgpack, bit = bit, struct = struct}
`;
