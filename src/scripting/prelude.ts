// The Lua side of the sandbox, run once when the state is created with the full standard
// library: it builds the `redis` table around the host functions, hides what scripts may not
// use (io, os, require, dofile, loadfile, print, debug...), makes the globals and the library
// tables read-only with Redis's error texts, and adds what Redis's Lua 5.1 scripts expect from
// a Lua 5.4 VM (unpack, loadstring, math.pow, table.getn, 5.1-style printing of floats by
// tostring and string.format('%s')).
//
// Called with (host, libraries) and returns the script environment, the error handler, the
// table of tables that must stay read-only, the FUNCTION libraries' environment and the switch
// between its two phases; see engine.ts.

export const PRELUDE = String.raw`
local H, LIBS = ...
local G = _G
local getinfo, dgetmetatable = debug.getinfo, debug.getmetatable
local rawsetmetatable, rawgetmetatable, rawrawset, rawget = setmetatable, getmetatable, rawset, rawget
local type, tostring0, error, select, pairs, next, mathtype = type, tostring, error, select, pairs, next, math.type
local fmt, gsub = string.format, string.gsub
local floor, exp, log, abs, huge = math.floor, math.exp, math.log, math.abs, math.huge
local rawload = load
local tonumber, collectgarbage = tonumber, collectgarbage

local READONLY = setmetatable({}, {__mode = 'k'})
local function readonly_error() error('Attempt to modify a readonly table', 2) end
-- Redis's rawset/setmetatable raise it in C, where no line is added.
local function readonly_error_caller() error('Attempt to modify a readonly table', 0) end

-- A read-only view of t: reads, # and pairs reach t; writes raise Redis's error.
local function protect(t)
  local view = {}
  local mt = {__index = t, __newindex = readonly_error, __len = function() return #t end,
              __pairs = function() return next, t, nil end}
  mt.__metatable = rawsetmetatable({}, {__index = mt, __newindex = readonly_error})
  READONLY[mt.__metatable] = true
  rawsetmetatable(view, mt)
  READONLY[view] = true
  return view
end

local function errtab(msg)
  local code, text = 'ERR', msg
  if msg:sub(1, 1) == '-' then
    local sp = msg:find(' ', 1, true)
    if sp then code, text = msg:sub(2, sp - 1), msg:sub(sp + 1) else text = msg:sub(2) end
  end
  text = text:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. text}
end

local redis = {}
redis.call = H.call
redis.pcall = H.pcall
redis.sha1hex = H.sha1hex
redis.setresp = H.setresp
redis.set_repl = H.set_repl
redis.replicate_commands = function() return true end
-- Redis's debugger (LDB) calls; without SCRIPT DEBUG YES, which sealkv has not, they do nothing.
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = H.acl_check_cmd
redis.log = H.log
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = H.version
redis.REDIS_VERSION_NUM = H.version_num
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then return errtab('wrong number or type of arguments') end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return errtab(e)
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return errtab('wrong number or type of arguments') end
  return {ok = s}
end
H.errtab = errtab

-- Lua 5.4 words some run-time errors otherwise than Redis's Lua 5.1, and scripts and tests
-- match on the 5.1 text: "attempt to call a nil value (field 'f')" was "attempt to call field
-- 'f' (a nil value)" (a constant was not named), arithmetic on a string "attempt to perform
-- arithmetic on a string value".
local function arith51(a, b) return 'attempt to perform arithmetic on a ' .. (a ~= 'number' and a or b) .. ' value' end
-- 5.1's unpack checked that it got a table; 5.4's takes the length of anything, and a wrapper
-- costs every call ~0.1 us. A length error raised in C (no position: the script's own '#x' has
-- one) can only be unpack's, so it is reworded instead.
local function unpack_error(err)
  local t = err:match('^attempt to get length of an? (%a+) value$')
  return t and "bad argument #1 to 'unpack' (table expected, got " .. t .. ')'
end
-- A width or precision of three digits: 5.1 named the fault, 5.4 quotes the specification.
local function format_spec51(m)
  if m:find('%d%d%d') then return 'invalid format (width or precision too long)' end
end
local function msg51(err)
  err = unpack_error(err) or err
  -- 5.4 names a constant integer key ('ARGV[1]'), 5.1 did not.
  err = gsub(err, "%(field 'integer index'%)", "(field '?')")
  err = gsub(err, "attempt to (%a[%a ]-) an? (%a+) value %(constant '[^']*'%)", "attempt to %1 a %2 value")
  err = gsub(err, "attempt to (%a[%a ]-) an? (%a+) value %((%a+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)")
  err = gsub(err, "attempt to %a+ a '(%a+)' with a '(%a+)'", arith51)
  err = gsub(err, "invalid conversion '%%[^']-(.)' to 'format'", "invalid option '%%%1' to 'format'")
  err = gsub(err, "invalid conversion specification: '%%[-+ #0]*%d*%.?%d*%a'", format_spec51)
  -- 5.1 checked pairs' argument; 5.4's next meets it in the loop.
  err = gsub(err, "bad argument #1 to 'for iterator' %(table expected", "bad argument #1 to 'pairs' (table expected")
  return (gsub(err, 'invalid capture index %%%d+', 'invalid capture index'))
end

-- redis.pcall-style error objects from pcall: a table error becomes its message (Redis 7).
local rawpcall, pack, unpack = pcall, table.pack, table.unpack
local function redis_pcall(f, ...)
  local r = pack(rawpcall(f, ...))
  if r[1] then return unpack(r, 1, r.n) end
  local e = r[2]
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  elseif type(e) == 'string' then
    e = msg51(e)
  end
  return false, e
end

-- Where the error happened, as Redis's __redis__err__handler records it.
local function err_handler(err)
  -- The first frame of the script's own code (frames of C and of this prelude are skipped).
  local level, i = 2, getinfo(2, 'nSl')
  while i and (i.what == 'C' or i.source:sub(1, 1) == '=') do level = level + 1 i = getinfo(level, 'nSl') end
  if type(err) == 'string' then
    -- An error raised in C gets the position of the script's line that called it.
    local u = unpack_error(err)
    if u and i then err = i.short_src .. ':' .. i.currentline .. ': ' .. u end
    err = msg51(err)
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring0(err)} end
  if i then err.source = i.source; err.line = i.currentline end
  return err
end

-- Lua 5.1 printed numbers (all doubles) with %.14g: 3 not 3.0, 1e+14 not 100000000000000;
-- scripts written for Redis rely on it. 5.4's integers print the same below 1e14.
local function number51(v)
  if mathtype(v) == 'float' then
    -- NaN prints as the C library prints it: 0/0 is -nan on x86, as in Redis.
    return fmt('%.14g', v)
  end
  if v < 1e14 and v > -1e14 then return fmt('%d', v) end
  return fmt('%.14g', v)
end
-- cjson.null is a NULL light userdata in Redis, which glibc's %p prints as (nil).
local JSON_NULL = LIBS.cjson.null
local function tostring51(...)
  local v = ...
  if mathtype(v) then return number51(v) end
  if v == JSON_NULL then return 'userdata: (nil)' end
  if v == nil and select('#', ...) == 0 then error("bad argument #1 to 'tostring' (value expected)", 2) end
  return tostring0(v)
end

-- The same for string.format('%s', x), which asks a number's __tostring (tostring0 of a number
-- comes here too). table.concat and '..' print numbers in C, unreached.
-- getmetatable(0) answers false (Redis: nil; a script cannot reach this table either way).
debug.setmetatable(0, {__tostring = number51, __metatable = false})

-- Redis replaces math.random/randomseed with its own lrand48 (one sequence for the server's
-- life, the same on every machine), so a script's random numbers are Redis's.
local rand48 = 0x1234ABCD330E
local function lrand48()
  rand48 = (rand48 * 0x5DEECE66D + 0xB) & 0xFFFFFFFFFFFF
  return rand48 >> 17
end
local function int51(n) return n >= 0 and floor(n) or -floor(-n) end
local function checkint(n, i)
  local x = tonumber(n)
  if x == nil then error('bad argument #' .. i .. " to 'random' (number expected, got " .. (n == nil and 'no value' or type(n)) .. ')', 3) end
  return int51(x)
end
local function random51(...)
  local r = (lrand48() % 0x7FFFFFFF) / 0x7FFFFFFF
  local n = select('#', ...)
  if n == 0 then return r end
  local a, b = ...
  if n == 1 then
    local u = checkint(a, 1)
    if u < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
    return floor(r * u) + 1
  elseif n == 2 then
    local l, u = checkint(a, 1), checkint(b, 2)
    if l > u then error("bad argument #2 to 'random' (interval is empty)", 2) end
    return floor(r * (u - l + 1)) + l
  end
  error('wrong number of arguments', 2)
end
local function randomseed51(s)
  rand48 = ((checkint(s, 1) & 0xFFFFFFFF) << 16) | 0x330E
end

-- 5.1's frexp: x = m * 2^e with 0.5 <= |m| < 1.
local function frexp(x)
  if x == 0 or x ~= x or x == huge or x == -huge then return x, 0 end
  local e = floor(log(abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if abs(m) >= 1 then m, e = m / 2, e + 1 elseif abs(m) < 0.5 then m, e = m * 2, e - 1 end
  return m, e
end

local ENV
local function loadstring(s, name)
  if type(s) ~= 'string' then error('bad argument #1 to \'loadstring\' (string expected)', 2) end
  return rawload(s, name or s, 't', ENV)
end

local allowed = {
  'xpcall', 'setmetatable', 'next', 'assert', 'tonumber', 'rawequal', 'collectgarbage',
  'getmetatable', 'rawset', 'coroutine', 'type', 'select', 'pairs', 'rawget', 'ipairs', '_VERSION',
  'error', 'rawlen', 'string', 'math', 'table',
}
local keep = {}
for _, name in ipairs(allowed) do keep[name] = G[name] end
for name in pairs(G) do rawrawset(G, name, nil) end
for name, v in pairs(keep) do rawrawset(G, name, v) end

G.tostring = tostring51
G.pcall = redis_pcall
G.unpack = unpack
G.gcinfo = function() return floor(collectgarbage('count')) end
G.loadstring = loadstring
G.load = function(chunk, name, mode, env) return rawload(chunk, name, 't', env or ENV) end
-- The wrappers check what the C functions would, so that the error names the script's line and
-- the function the script called (not this prelude's line and the local name).
local function expect_table(t, name)
  if type(t) ~= 'table' then error("bad argument #1 to '" .. name .. "' (table expected, got " .. type(t) .. ')', 3) end
end
G.rawset = function(t, k, v)
  if READONLY[t] then readonly_error_caller() end
  expect_table(t, 'rawset')
  return rawrawset(t, k, v)
end
G.setmetatable = function(t, mt)
  if READONLY[t] then readonly_error_caller() end
  expect_table(t, 'setmetatable')
  if mt ~= nil and type(mt) ~= 'table' then error("bad argument #2 to 'setmetatable' (nil or table expected)", 2) end
  local old = dgetmetatable(t)
  if old and rawget(old, '__metatable') ~= nil then error('cannot change a protected metatable', 2) end
  return rawsetmetatable(t, mt)
end
G.math.pow = function(a, b) return a ^ b end
G.math.mod = math.fmod
G.math.log = function(x) return log(x) end -- 5.1's took no base
G.math.log10 = function(x) return log(x, 10) end
G.math.ldexp = function(m, e) return m * 2.0 ^ e end
G.math.frexp = frexp
G.math.atan2 = math.atan
G.math.cosh = function(x) return (exp(x) + exp(-x)) / 2 end
G.math.sinh = function(x) return (exp(x) - exp(-x)) / 2 end
G.math.tanh = function(x) local a, b = exp(x), exp(-x) return (a - b) / (a + b) end
G.math.random = random51
G.math.randomseed = randomseed51
G.table.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end end
G.table.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end
G.table.setn = function() error("'setn' is obsolete", 2) end
G.table.getn = function(t) return #t end
G.table.maxn = function(t) local n = 0 for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end return n end
G.string.gfind = string.gmatch
G.redis = redis
for name, lib in pairs(LIBS) do G[name] = lib end

-- Functions get Redis's API without what eval.c adds for EVAL alone (the debugger's calls and
-- replicate_commands): there 'redis.replicate_commands()' calls a nil value.
local function_redis = {}
for k, v in pairs(redis) do function_redis[k] = v end
function_redis.breakpoint, function_redis.debug, function_redis.replicate_commands = nil, nil, nil
function_redis = protect(function_redis)

-- Every table reachable from the globals becomes read-only for scripts.
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'redis', 'cjson', 'cmsgpack', 'bit', 'struct'}) do
  if G[name] ~= nil then G[name] = protect(G[name]) end
end
local strmeta = rawgetmetatable('')
strmeta.__index = G.string
strmeta.__metatable = protect({__index = G.string})

-- The scripts' environment: reads fall through to G, unknown names are an error, writes refused.
ENV = {}
local envmeta = {__index = G, __newindex = readonly_error}
envmeta.__metatable = protect({__index = G, __newindex = readonly_error})
rawsetmetatable(ENV, envmeta)
READONLY[ENV] = true
READONLY[G] = true
rawrawset(G, '_G', ENV)
-- Level 2: the script's line that read the name (level 3 through strict below), as Redis's
-- luaProtectedTableError gives it.
local function missing(_, k, level)
  error("Script attempted to access nonexistent global variable '" .. tostring0(k) .. "'", level or 2)
end
rawsetmetatable(G, {__index = missing, __newindex = readonly_error, __metatable = envmeta.__metatable})

-- A read-only view of t where an absent name is an error too.
local function strict(t)
  local view = {}
  local mt = {__index = function(_, k) local v = t[k] if v == nil then missing(nil, k, 3) end return v end,
              __newindex = readonly_error}
  mt.__metatable = protect({})
  rawsetmetatable(view, mt)
  READONLY[view] = true
  return view
end

-- FUNCTION libraries see one environment in two phases, as Redis 7.0's function engine gives
-- them: while FUNCTION LOAD runs the body, nothing but redis.register_function, redis.log and
-- the version constants; when a function runs, the globals scripts get. Functions defined at
-- load keep the same environment, so the names they use resolve in the phase they run in.
local LIBRARY_API = strict({redis = strict({
  register_function = H.register_function, log = H.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = H.version, REDIS_VERSION_NUM = H.version_num,
})})
-- The run phase: the scripts' globals, with the functions' own redis table.
local FUNCTION_G = rawsetmetatable({redis = function_redis}, {__index = G})
local FENV = {}
local fenvmeta = {__index = FUNCTION_G, __newindex = readonly_error}
fenvmeta.__metatable = envmeta.__metatable
rawsetmetatable(FENV, fenvmeta)
READONLY[FENV] = true
local function loading(on) fenvmeta.__index = on and LIBRARY_API or FUNCTION_G end
return ENV, err_handler, G, FENV, loading
`;
