// Redis's cmsgpack in Lua for the 5.4 VM: MessagePack's smallest encodings, the types Redis's version reads.
// A part of the libraries' Lua chunk (libs.ts joins them): it uses the chunk's shared locals
// (raise, num, NULL, fmt, ...) and defines the local `cmsgpack`.

export const CMSGPACK_LUA = String.raw`
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
`;
