// Redis's struct (Roberto Ierusalimschy's library) in Lua for the 5.4 VM, as Redis's x86-64 build behaves.
// A part of the libraries' Lua chunk (libs.ts joins them): it uses the chunk's shared locals
// (raise, num, NULL, fmt, ...) and defines the local `struct`.

export const STRUCT_LUA = String.raw`
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
`;
