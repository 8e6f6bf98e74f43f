// `maxmemory 1` over an empty dataset, sent to redis-server 7 and to sealkv over raw sockets in
// RESP2 and RESP3, each reply compared byte for byte. Redis's used_memory includes its clients,
// so a 1-byte limit refuses writes before any key exists; Redis's own units (scripting.tcl
// "Script - disallow write on OOM", functions.tcl, multi.tcl, pubsub.tcl) rely on it. sealkv
// counts a fixed cost per connected client (src/store/memory.ts CLIENT_BYTES) for the same effect.
// Every case ends at maxmemory 0, so the next starts clean.

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const LIMIT = ['CONFIG', 'SET', 'maxmemory', '1'];
const UNLIMIT = ['CONFIG', 'SET', 'maxmemory', '0'];
const LIBRARY = "#!lua name=oomlib\nredis.register_function('put', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n" +
  "redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";

const CASES: Record<string, string[][]> = {
  'a plain write is refused over an empty dataset; reads and DEL work': [
    LIMIT, ['SET', 'k', 'v'], ['INCR', 'n'], ['LPUSH', 'l', 'a'], ['GET', 'k'], ['DEL', 'k'], ['EXISTS', 'k'], ['DBSIZE'], UNLIMIT, ['SET', 'k', 'v'],
  ],
  'keys written before the limit stay readable and deletable': [
    ['SET', 'k', 'v'], ['HSET', 'h', 'f', 'v'], LIMIT, ['SET', 'k2', 'v'], ['APPEND', 'k', 'x'], ['GET', 'k'], ['HGET', 'h', 'f'],
    ['EXPIRE', 'k', '100'], ['DEL', 'h'], ['DEL', 'k'], ['SET', 'k', 'v'], UNLIMIT,
  ],
  'EVAL: a write inside the script is refused, a read goes through': [
    LIMIT, ['EVAL', "return redis.call('set', KEYS[1], 'v')", '1', 'k'], ['EVAL', "return redis.pcall('set', KEYS[1], 'v')", '1', 'k'],
    ['EVAL', "return redis.call('get', KEYS[1])", '1', 'k'], ['EVAL', 'return 1', '0'],
    ['EVAL', "#!lua\nreturn redis.call('get', KEYS[1])", '1', 'k'], ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", '1', 'k'],
    ['EVAL', "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 'v')", '1', 'k'], UNLIMIT,
  ],
  'MULTI/EXEC: a queued write dooms the transaction, reads run': [
    LIMIT, ['MULTI'], ['SET', 'k', 'v'], ['EXEC'], ['MULTI'], ['GET', 'k'], ['DEL', 'k'], ['EXEC'], UNLIMIT,
  ],
  'FCALL: a function that writes is refused, a no-writes one runs': [
    ['FUNCTION', 'LOAD', 'REPLACE', LIBRARY], LIMIT, ['FCALL', 'put', '1', 'k', 'v'], ['FCALL_RO', 'peek', '1', 'k'], ['FCALL', 'peek', '1', 'k'],
    ['FUNCTION', 'LOAD', 'REPLACE', LIBRARY], ['FUNCTION', 'DELETE', 'oomlib'], UNLIMIT, ['FUNCTION', 'FLUSH'],
  ],
};

compareWithRedis('maxmemory 1 against redis-server 7', CASES, () => startInProcess());
