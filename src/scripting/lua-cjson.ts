// Redis's cjson (Lua CJSON 2.1.0) in Lua for the 5.4 VM: its encoder's rules and its tokenizer's errors.
// A part of the libraries' Lua chunk (libs.ts joins them): it uses the chunk's shared locals
// (raise, num, NULL, fmt, ...) and defines the local `cjson`.

export const CJSON_LUA = String.raw`
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
`;
