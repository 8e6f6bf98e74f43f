import { BIT_LUA } from './lua-bit.js';
import { CJSON_LUA } from './lua-cjson.js';
import { CMSGPACK_LUA } from './lua-cmsgpack.js';
import { STRUCT_LUA } from './lua-struct.js';

// The libraries Redis gives scripts, written in Lua for the Lua 5.4 VM: cjson, cmsgpack, bit and
// struct (one file each), with the behaviour and the errors of Redis's C versions. One chunk,
// loaded once as '=libs': the shared locals here, then each library. Called with the JSON null
// (a light userdata); returns the four tables.

const SHARED = String.raw`
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
-- a C function (pcall) called it. A tail call ('return cjson.decode(x)' in a function) leaves no
-- caller's frame in 5.4, where 5.1 kept it for its C libraries: there the error has no position
-- (an EVAL script's own chunk is compiled without tail calls, engine.ts).
local getinfo = debug.getinfo
local function raise(msg)
  local level, i = 3, getinfo(3, 'Sl')
  while i and i.source == '=libs' do level = level + 1 i = getinfo(level, 'Sl') end
  if i and i.what ~= 'C' and i.source:sub(1, 1) ~= '=' and i.currentline > 0 then msg = i.short_src .. ':' .. i.currentline .. ': ' .. msg end
  error(msg, 0)
end

`;

export const LIBS = [SHARED, CJSON_LUA, CMSGPACK_LUA, BIT_LUA, STRUCT_LUA, 'return {cjson = cjson, cmsgpack = cmsgpack, bit = bit, struct = struct}\n'].join('\n');
