// The order in which a script walks a table with short string keys, against redis-server 7.0:
// the Lua state's string-hash seed is 0 (src/scripting/vm.ts), which makes Lua 5.4's hash of a
// string under 32 bytes the one Redis's Lua 5.1 uses, so pairs(), cjson.encode and cmsgpack.pack
// give Redis's bytes for such tables (Redis's suite: "cmsgpack can pack and unpack circular
// references?"). Replies compared byte for byte in RESP2 and RESP3.

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const hex = (pack: string) =>
  `local s = ${pack} local h = {} for i = 1, #s do h[i] = string.format('%02x', s:byte(i)) end return table.concat(h)`;

const CASES: Record<string, string[][]> = {
  'cmsgpack of a circular table, as in Redis\'s suite': [
    ['EVAL', `local a = {x=nil,y=5} local b = {x=a} a['x'] = b ${hex('cmsgpack.pack(a)')}`, '0'],
    ['EVAL', hex('cmsgpack.pack({x = 1, y = 2, z = {a = 1, b = 2}})'), '0'],
  ],
  'cjson of tables with string keys': [
    ['EVAL', "return cjson.encode({alpha=1,beta=2,gamma=3,delta=4,epsilon=5,zeta={a=1,b=2,c=3},eta='x',theta=true})", '0'],
    ['EVAL', "return cjson.encode({id='42', name='job', attempts=3, data={user='u1', email='e@x'}, opts={delay=0, priority=1}})", '0'],
    ['EVAL', "local t = {} t.first = 1 t.second = 2 t.third = 3 return cjson.encode(t)", '0'],
  ],
  'pairs over a table constructor': [
    ['EVAL', "local t = {red=1, green=2, blue=3, cyan=4, magenta=5, yellow=6, black=7} local s = {} for k in pairs(t) do s[#s + 1] = k end return table.concat(s, ',')", '0'],
  ],
};

compareWithRedis('table order in scripts, against redis-server 7.0', CASES, () => startInProcess());
