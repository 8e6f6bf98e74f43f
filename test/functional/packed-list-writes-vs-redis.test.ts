// Pushes, pops, LSET, LINSERT, LREM and LTRIM on a small list packed at rest are made in its blob (commands/lists/lists-packed.ts).
// Here sealkv's clock moves 150 ms each time it is read, so every command meets its list at rest
// (untouched for over 100 ms, packed as the turn that made it ended or by the cron): replies
// compared byte for byte with redis-server 7.0 in RESP2 and RESP3, ending with the whole list.

import pino from 'pino';
import { Config } from '../../src/config.js';
import { startServer } from '../../src/net/server.js';
import { compareWithRedis } from '../helpers/reference-redis.js';
import { freePort } from '../helpers/server.js';

const all = (key: string) => ['LRANGE', key, '0', '-1'];

const CASES: Record<string, string[][]> = {
  'pushes, at either end, one or many, X forms': [
    ['RPUSH', 'l', 'a', 'bb', '', 'dddd'],
    ['LPUSH', 'l', 'x'], all('l'), ['RPUSH', 'l', 'y', 'z', ''], all('l'), ['LPUSH', 'l', '1', '2', '3'], all('l'),
    ['LPUSHX', 'l', 'hx'], ['RPUSHX', 'l', 'tx', 'ty'], all('l'), ['LLEN', 'l'],
    ['LPUSHX', 'nope', 'a'], ['RPUSHX', 'nope', 'a'], ['EXISTS', 'nope'],
    ['RPUSH', 'long', 'v'.repeat(200)], ['LPUSH', 'long', 'w'.repeat(300), 'u'.repeat(130)], all('long'),
    ['SADD', 's', 'm'], ['LPUSH', 's', 'a'], ['RPUSHX', 's', 'a'], ['SET', 'str', 'v'], ['RPUSH', 'str', 'a'],
  ],
  'pops of one and of many, from either end, down to the last element': [
    ['RPUSH', 'l', 'a', 'bb', '', 'dddd', 'e', 'f'],
    ['LPOP', 'l'], ['RPOP', 'l'], all('l'), ['LPOP', 'l', '2'], all('l'), ['RPOP', 'l', '1'], ['LPOP', 'l', '0'], ['RPOP', 'l', '0'], all('l'),
    ['RPUSH', 'l', 'g', 'h'], ['RPOP', 'l', '2'], ['LPOP', 'l', '5'], ['EXISTS', 'l'], ['LPOP', 'l'], ['LPOP', 'l', '2'],
    ['RPUSH', 'one', 'x'], ['RPOP', 'one'], ['EXISTS', 'one'], ['RPUSH', 'two', 'x', 'y'], ['LPOP', 'two', '-1'], ['LPOP', 'two', 'x'], ['LPOP', 'two', '1', '2'],
    ['SADD', 's', 'm'], ['LPOP', 's'], ['RPOP', 's', '0'],
  ],
  'LSET at every index, values growing and shrinking, errors in Redis order': [
    ['RPUSH', 'l', 'a', 'bb', 'ccc', 'dddd', 'e'],
    ['LSET', 'l', '0', 'first'], ['LSET', 'l', '-1', ''], ['LSET', 'l', '2', 'x'.repeat(300)], all('l'), ['LSET', 'l', '2', 'y'], ['LSET', 'l', '-5', 'z'], all('l'),
    ['LSET', 'l', '5', 'v'], ['LSET', 'l', '-6', 'v'], ['LSET', 'l', 'x', 'v'], ['LSET', 'nope', '0', 'v'], ['LSET', 'nope', 'x', 'v'],
    ['SADD', 's', 'm'], ['LSET', 's', '0', 'v'], ['LSET', 's', 'x', 'v'], all('l'), ['LLEN', 'l'],
  ],
  'LINSERT, LREM and LTRIM: found and not, counts of every sign, down to the last element': [
    ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b'],
    ['LINSERT', 'l', 'BEFORE', 'a', 'x'], all('l'), ['LINSERT', 'l', 'after', 'b', 'y'.repeat(200)], all('l'), ['LINSERT', 'l', 'AFTER', 'nope', 'z'],
    ['LINSERT', 'l', 'AFTER', 'b', ''], ['LINSERT', 'l', 'middle', 'a', 'z'], ['LINSERT', 'nope', 'BEFORE', 'a', 'z'], all('l'),
    ['LREM', 'l', '1', 'a'], all('l'), ['LREM', 'l', '-1', 'b'], all('l'), ['LREM', 'l', '0', 'a'], all('l'), ['LREM', 'l', '0', 'nope'],
    ['LREM', 'l', '-5', ''], ['LREM', 'l', 'x', 'a'], ['LREM', 'nope', '0', 'a'], all('l'),
    ['RPUSH', 'same', 'v', 'v', 'v'], ['LREM', 'same', '0', 'v'], ['EXISTS', 'same'],
    ['RPUSH', 't', '0', '1', '2', '3', '4', '5', '6'], ['LTRIM', 't', '1', '-2'], all('t'), ['LTRIM', 't', '0', '-1'], all('t'),
    ['LTRIM', 't', '-2', '100'], all('t'), ['LTRIM', 't', '1', '0'], ['EXISTS', 't'], ['LTRIM', 'nope', '0', '1'], ['LTRIM', 'l', 'x', '1'],
    ['SADD', 's', 'm'], ['LINSERT', 's', 'BEFORE', 'm', 'x'], ['LREM', 's', '0', 'm'], ['LTRIM', 's', '0', '1'],
  ],
};

compareWithRedis('writes to small lists packed at rest, against redis-server 7.0', CASES, async () => {
  let now = Date.now();
  const port = await freePort();
  const settings = { port: String(port), bind: '127.0.0.1', ...(process.env.SEALKV_TEST_SEAL_KEYS === 'yes' ? { 'seal-keys': 'yes' } : {}) };
  const running = await startServer(new Config(Object.entries(settings)), { clock: () => (now += 150), log: pino({ level: 'silent' }) });
  return { port, stop: () => running.close() };
});
