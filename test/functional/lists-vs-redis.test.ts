// List commands sent to redis-server 7.0 and to sealkv side by side, in RESP2 and RESP3, every
// reply compared byte for byte: replies, nils, empty arrays and the exact error texts, in the
// order Redis checks its arguments.

import { compareWithRedis } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const ABC = ['RPUSH', 'l', 'a', 'b', 'c', 'b', 'a', 'b'];

const CASES: Record<string, string[][]> = {
  // Nodes of 4 elements (most sealed whole): every command that reaches into a node.
  'many small nodes (list-max-listpack-size 4), read and changed across them': [
    ['CONFIG', 'SET', 'list-max-listpack-size', '4'], ['RPUSH', 'big', 'e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11', 'e12', 'e13', 'e14', 'e15', 'e16', 'e17', 'e18', 'e19', 'e20', 'e21', 'e22', 'e23', 'e24', 'e25', 'e26', 'e27', 'e28', 'e29', 'e30', 'e31', 'e32', 'e33', 'e34', 'e35', 'e36', 'e37', 'e38', 'e39', 'e40', 'e41', 'e42', 'e43', 'e44', 'e45', 'e46', 'e47', 'e48', 'e49', 'e50', 'e51', 'e52', 'e53', 'e54', 'e55', 'e56', 'e57', 'e58', 'e59'], ['LPUSH', 'big', 'h1', 'h2', 'h3'],
    ['LRANGE', 'big', '0', '-1'], ['LRANGE', 'big', '5', '17'], ['LRANGE', 'big', '-9', '-2'], ['LINDEX', 'big', '30'], ['LINDEX', 'big', '-31'],
    ['LSET', 'big', '33', 'changed'], ['LSET', 'big', '34', 'a much longer element than the others'], ['LINSERT', 'big', 'BEFORE', 'e40', 'in'],
    ['LINSERT', 'big', 'AFTER', 'e3', 'in'], ['LREM', 'big', '0', 'in'], ['LREM', 'big', '-1', 'e50'], ['LPOS', 'big', 'e45'], ['LPOS', 'big', 'e7', 'RANK', '-1'],
    ['LTRIM', 'big', '2', '-3'], ['LPOP', 'big', '7'], ['RPOP', 'big', '6'], ['LMOVE', 'big', 'big', 'LEFT', 'RIGHT'], ['LRANGE', 'big', '0', '-1'],
    ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
  ],
  'pushes answer the length, X forms only on an existing list': [
    ['LPUSH', 'l', 'a', 'b'], ['RPUSH', 'l', 'c'], ['LPUSHX', 'l', 'z'], ['RPUSHX', 'l', 'y', 'x'], ['LPUSHX', 'none', 'a'], ['RPUSHX', 'none', 'a'],
    ['EXISTS', 'none'], ['LRANGE', 'l', '0', '-1'], ['LPUSH', 'l'],
  ],
  'pops with and without a count': [
    ABC, ['LPOP', 'l'], ['RPOP', 'l'], ['LPOP', 'l', '2'], ['RPOP', 'l', '0'], ['RPOP', 'l', '10'], ['EXISTS', 'l'],
    ['LPOP', 'l'], ['LPOP', 'l', '1'], ['RPOP', 'l', '3'], ['LPOP', 'l', '-1'], ['LPOP', 'l', 'x'], ['LPOP', 'l', '1', '2'],
    ['SET', 's', 'v'], ['LPOP', 's'], ['LPOP', 's', '0'], ['LPOP', 's', '-1'],
  ],
  'LLEN, LINDEX, LRANGE': [
    ABC, ['LLEN', 'l'], ['LLEN', 'none'], ['LINDEX', 'l', '0'], ['LINDEX', 'l', '-1'], ['LINDEX', 'l', '6'], ['LINDEX', 'l', '-7'],
    ['LINDEX', 'l', 'x'], ['LINDEX', 'none', 'x'], ['LRANGE', 'l', '1', '3'], ['LRANGE', 'l', '-100', '100'], ['LRANGE', 'l', '5', '2'],
    ['LRANGE', 'l', '-2', '-1'], ['LRANGE', 'l', '0', '-7'], ['LRANGE', 'l', 'a', '1'], ['LRANGE', 'none', '0', '-1'],
    ['LRANGE', 'l', '0', '9223372036854775807'], ['LRANGE', 'l', '-9223372036854775808', '1'], ['LRANGE', 'l', '0', '9223372036854775808'],
  ],
  'LSET: no such key, then the index, then the range': [
    ABC, ['LSET', 'l', '0', 'A'], ['LSET', 'l', '-1', 'B'], ['LSET', 'l', '6', 'x'], ['LSET', 'l', 'x', 'y'], ['LSET', 'none', 'x', 'y'],
    ['LSET', 'l', '2', 'a longer element than before'], ['LRANGE', 'l', '0', '-1'], ['SET', 's', 'v'], ['LSET', 's', '0', 'x'],
  ],
  'LINSERT before and after a pivot': [
    ABC, ['LINSERT', 'l', 'BEFORE', 'b', 'X'], ['LINSERT', 'l', 'after', 'c', 'Y'], ['LINSERT', 'l', 'before', 'nope', 'Z'],
    ['LINSERT', 'none', 'before', 'a', 'Z'], ['LINSERT', 'l', 'middle', 'a', 'Z'], ['LINSERT', 'none', 'middle', 'a', 'Z'], ['LRANGE', 'l', '0', '-1'],
  ],
  'LREM from the head, the tail, and all': [
    ABC, ['LREM', 'l', '1', 'b'], ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '-1', 'b'], ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '0', 'a'],
    ['LRANGE', 'l', '0', '-1'], ['LREM', 'l', '0', 'nope'], ['LREM', 'l', 'x', 'a'], ['LREM', 'none', '0', 'a'], ['LREM', 'l', '0', 'b'],
    ['LREM', 'l', '0', 'c'], ['EXISTS', 'l'],
  ],
  'LTRIM keeps a range, an empty range deletes the key': [
    ABC, ['LTRIM', 'l', '1', '-2'], ['LRANGE', 'l', '0', '-1'], ['LTRIM', 'l', '0', '100'], ['LTRIM', 'l', '-2', '-1'], ['LRANGE', 'l', '0', '-1'],
    ['LTRIM', 'l', '5', '1'], ['EXISTS', 'l'], ['LTRIM', 'none', '0', '1'], ['LTRIM', 'l', 'x', '1'],
  ],
  'LPOS with RANK, COUNT and MAXLEN': [
    ABC, ['LPOS', 'l', 'b'], ['LPOS', 'l', 'b', 'RANK', '2'], ['LPOS', 'l', 'b', 'RANK', '-1'], ['LPOS', 'l', 'b', 'RANK', '-2', 'COUNT', '0'],
    ['LPOS', 'l', 'b', 'COUNT', '0'], ['LPOS', 'l', 'b', 'COUNT', '2'], ['LPOS', 'l', 'b', 'COUNT', '0', 'MAXLEN', '4'], ['LPOS', 'l', 'b', 'RANK', '5'],
    ['LPOS', 'l', 'b', 'RANK', '5', 'COUNT', '1'], ['LPOS', 'l', 'nope'], ['LPOS', 'none', 'a'], ['LPOS', 'none', 'a', 'COUNT', '1'],
    ['LPOS', 'l', 'b', 'RANK', '0'], ['LPOS', 'l', 'b', 'COUNT', '-1'], ['LPOS', 'l', 'b', 'MAXLEN', '-1'], ['LPOS', 'l', 'b', 'RANK'],
    ['LPOS', 'l', 'b', 'FOO', '1'], ['LPOS', 'l', 'b', 'RANK', 'x'], ['LPOS', 'l', 'b', 'MAXLEN', '1'], ['LPOS', 'l', 'a', 'RANK', '-1', 'MAXLEN', '1'],
    ['LPOS', 'none', 'a', 'RANK', '0'],
    // RANK LONG_MIN: Redis negates it to walk from the tail, and the negation overflows back to
    // LONG_MIN, so every match counts and COUNT never ends the walk.
    ['LPOS', 'l', 'b', 'RANK', '-9223372036854775808'], ['LPOS', 'l', 'b', 'RANK', '-9223372036854775808', 'COUNT', '1'],
    ['LPOS', 'l', 'b', 'RANK', '-9223372036854775808', 'COUNT', '0', 'MAXLEN', '4'], ['LPOS', 'l', 'b', 'RANK', '-9223372036854775807'],
    ['LPOS', 'l', 'b', 'RANK', '-9223372036854775807', 'COUNT', '0'], ['LPOS', 'l', 'b', 'RANK', '9223372036854775807'],
  ],
  'LMOVE and RPOPLPUSH between lists and within one': [
    ['RPUSH', 'a', '1', '2', '3'], ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'], ['LMOVE', 'a', 'b', 'right', 'left'], ['LRANGE', 'b', '0', '-1'],
    ['LMOVE', 'b', 'b', 'LEFT', 'RIGHT'], ['LRANGE', 'b', '0', '-1'], ['RPOPLPUSH', 'a', 'a'], ['RPOPLPUSH', 'a', 'c'], ['EXISTS', 'a'],
    ['RPOPLPUSH', 'a', 'c'], ['LMOVE', 'none', 'b', 'LEFT', 'LEFT'], ['LMOVE', 'b', 'c', 'UP', 'LEFT'], ['LMOVE', 'b', 'c', 'LEFT', 'DOWN'],
    ['SET', 's', 'v'], ['LMOVE', 'b', 's', 'LEFT', 'LEFT'], ['LMOVE', 's', 'b', 'LEFT', 'LEFT'], ['LMOVE', 'none', 's', 'LEFT', 'LEFT'],
    ['LRANGE', 'b', '0', '-1'], ['LRANGE', 'c', '0', '-1'],
  ],
  'LMPOP from the first non-empty list': [
    ['RPUSH', 'b', '1', '2', '3'], ['LMPOP', '2', 'a', 'b', 'LEFT'], ['LMPOP', '2', 'a', 'b', 'RIGHT', 'COUNT', '10'], ['LMPOP', '1', 'b', 'LEFT'],
    ['LMPOP', '0', 'a', 'LEFT'], ['LMPOP', '-1', 'a', 'LEFT'], ['LMPOP', 'x', 'a', 'LEFT'], ['LMPOP', '2', 'a', 'LEFT'], ['LMPOP', '1', 'a', 'MIDDLE'],
    ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '0'], ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '2'], ['LMPOP', '1', 'a', 'LEFT', 'COUNT'],
    ['SET', 's', 'v'], ['RPUSH', 'c', 'x'], ['LMPOP', '2', 's', 'c', 'LEFT'], ['LMPOP', '2', 'c', 's', 'LEFT'],
  ],
  'the type of a key holding a list, and list commands on other types': [
    ABC, ['TYPE', 'l'], ['OBJECT', 'ENCODING', 'l'], ['INCR', 'l'], ['GET', 'l'], ['HSET', 'l', 'f', 'v'], ['SET', 's', '1'],
    ['RPUSH', 's', 'x'], ['LRANGE', 's', '0', '-1'], ['LLEN', 's'], ['LINDEX', 's', '0'], ['LINSERT', 's', 'before', 'a', 'b'], ['LREM', 's', '0', 'a'],
    ['LTRIM', 's', '0', '1'], ['LPOS', 's', 'a'], ['RPOPLPUSH', 's', 'l'], ['LMPOP', '1', 's', 'LEFT'], ['LPUSHX', 's', 'a'],
    ['SCAN', '0', 'TYPE', 'list'], ['RENAME', 'l', 'm'], ['LRANGE', 'm', '0', '-1'], ['COPY', 'm', 'n'], ['LRANGE', 'n', '0', '-1'],
    ['EXPIRE', 'n', '100'], ['TTL', 'n'], ['DEL', 'm', 'n'],
  ],
  'binary and empty elements': [
    ['RPUSH', 'l', '', 'a\r\nb', '\u0000\u00ff'], ['LRANGE', 'l', '0', '-1'], ['LPOS', 'l', ''], ['LREM', 'l', '0', ''], ['LLEN', 'l'],
  ],
  'blocking pops do not block inside MULTI': [
    ['MULTI'], ['BLPOP', 'none', '0'], ['BRPOP', 'none', '0'], ['BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0'], ['BRPOPLPUSH', 'none', 'x', '0'],
    ['BLMPOP', '0', '1', 'none', 'LEFT'], ['RPUSH', 'l', 'a', 'b'], ['BLPOP', 'l', '0'], ['EXEC'],
  ],
  'blocking pops serve at once from a list that has elements': [
    ['RPUSH', 'l', 'a', 'b', 'c', 'd'], ['BLPOP', 'none', 'l', '1'], ['BRPOP', 'l', '1'], ['BLMOVE', 'l', 'm', 'LEFT', 'RIGHT', '1'],
    ['BRPOPLPUSH', 'l', 'm', '1'], ['BLMPOP', '1', '2', 'none', 'm', 'RIGHT', 'COUNT', '5'], ['EXISTS', 'l', 'm'],
  ],
  'blocking pops that time out': [
    ['BLPOP', 'none', '0.01'], ['BRPOP', 'none', 'other', '0.02'], ['BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0.01'], ['BRPOPLPUSH', 'none', 'x', '0.01'],
    ['BLMPOP', '0.01', '1', 'none', 'LEFT'], ['EXISTS', 'x'],
  ],
  'blocking pop argument errors': [
    ['BLPOP', 'l', '-1'], ['BLPOP', 'l', 'x'], ['BRPOP', 'l', 'inf'], ['BLMOVE', 'a', 'b', 'UP', 'LEFT', '0'], ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', 'x'],
    ['BRPOPLPUSH', 'a', 'b', '-1'], ['BLMPOP', '0', '0', 'a', 'LEFT'], ['BLMPOP', 'x', '1', 'a', 'LEFT'], ['BLMPOP', '-1', '1', 'a', 'LEFT'],
    ['BLMPOP', '0', '1', 'a', 'UP'], ['BLMPOP', '0', '1', 'a', 'LEFT', 'COUNT', '0'], ['SET', 's', 'v'], ['BLPOP', 's', '0'], ['BLMOVE', 's', 'b', 'LEFT', 'LEFT', '0'],
  ],
};

compareWithRedis('list commands, byte for byte with redis-server', CASES, () => startInProcess());
