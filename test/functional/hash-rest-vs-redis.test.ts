// A write to a small hash packed at rest is made in its key's record (commands/hashes/hash-entries.ts
// writeAtRest), one to a hash in use on the hash unpacked: both must answer as redis-server 7.0
// does. Random sequences of hash commands go to both servers; before most commands the sealkv
// clock moves on and its keyspace packs whatever rests (as the cron would), so the next write
// meets its hash at rest, while the others meet it in use. Replies compared byte for byte, in
// RESP2 and RESP3; HGETALL/HKEYS/HVALS sorted where Redis holds a hashtable (its own order).
// Skipped (with a message) where redis-server is not installed.

import { afterAll, beforeAll, describe } from 'vitest';
import { compareWithRedis, hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { fromEnv, int, pick, type Rnd } from '../helpers/differential.js';
import { itRestingSequences } from '../helpers/at-rest-differential.js';

// REST_COUNT / REST_SEED (or DIFF_COUNT / DIFF_SEED) for longer runs.
const SEQUENCES = fromEnv(['REST_COUNT', 'DIFF_COUNT'], 40, 'count');
const SEED = fromEnv(['REST_SEED', 'DIFF_SEED'], 20261207, 'seed');
const LENGTH = 25;
const KEYS = ['h1', 'h2', 'str'];
const FIELDS = ['f1', 'f2', 'f3', 'n', 'x', '', 'field-with-a-longer-name', 'caf\u00e9'];
const VALUES = ['v', '', '1', '-7', '10.5', 'value-1-0', 'a longer value of some bytes', 'y'.repeat(70), '9223372036854775807'];

function randomCommand(r: Rnd): string[] {
  const k = () => pick(r, KEYS);
  const f = () => pick(r, FIELDS);
  const pairs = (n: number) => Array.from({ length: n }, () => [f(), pick(r, VALUES)]).flat();
  switch (int(r, 0, 15)) {
    case 0: case 1: case 2: return ['HSET', k(), ...pairs(int(r, 1, 3))];
    case 3: return ['HSET', k(), ...Array.from({ length: 130 }, (_, i) => [`many${i}`, 'v']).flat()];
    case 4: return ['HMSET', k(), ...pairs(int(r, 1, 2))];
    case 5: return ['HSETNX', k(), f(), pick(r, VALUES)];
    case 6: return ['HINCRBY', k(), f(), pick(r, ['1', '-3', '9223372036854775807', 'x'])];
    case 7: return ['HINCRBYFLOAT', k(), f(), pick(r, ['1.5', '-0.25', '1e308', 'x'])];
    case 8: case 9: return ['HDEL', k(), ...Array.from({ length: int(r, 1, 3) }, f)];
    case 10: return ['HGET', k(), f()];
    case 11: return [pick(r, ['HGETALL', 'HKEYS', 'HVALS']), k()];
    case 12: return ['HLEN', k()];
    case 13: return ['OBJECT', 'ENCODING', k()];
    case 14: return ['HSTRLEN', k(), f()];
    default: return pick(r, [['SET', 'str', 'v'], ['DEL', k()], ['HEXISTS', k(), f()], ['HMGET', k(), f(), f()]]);
  }
}

const WHOLE = new Set(['hgetall', 'hkeys', 'hvals']);

describe.skipIf(!hasRedisServer)('writes to small hashes at rest and in use, against redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;

  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  itRestingSequences(() => [sealkv, redis], {
    sequences: SEQUENCES, length: LENGTH, seed: SEED, command: randomCommand,
    keyOf: (args) => args[1]!,
    unordered: (args) => WHOLE.has(args[0]!.toLowerCase()),
  });
});

const long = 'y'.repeat(70);
compareWithRedis('hash writes that change nothing, against redis-server 7.0', {
  // HSETNX of a present field with a value past hash-max-listpack-value: Redis 7.0 converts only when it sets.
  'HSETNX of a present field keeps a listpack': [
    ['HSET', 'k', 'a', '1'], ['HSETNX', 'k', 'a', long], ['OBJECT', 'ENCODING', 'k'], ['HGETALL', 'k'],
    ['HSETNX', 'k', 'b', long], ['OBJECT', 'ENCODING', 'k'], ['HLEN', 'k'],
  ],
}, () => startInProcess());
