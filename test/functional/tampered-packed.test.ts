// Every command that opens a small collection packed at rest answers the seal error when its
// blob fails authentication, whether it reads the blob where it lies or unpacks it first; none
// leaves its client without a reply, and the server goes on serving. Before, the commands that
// unpack (SSCAN, the set and sorted-set algebra, SORT, RENAME, COPY, DUMP, OBJECT ENCODING,
// GEOPOS...) let the error escape the socket's data handler: no reply in process, and a crash
// of the real server.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';

const FAILED = 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with';

let server: InProcessServer;
let client: Redis;
beforeAll(async () => {
  server = await startInProcess({});
  client = new Redis({ port: server.port, host: server.host });
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});

const db = () => server.running.state.databases[0]!;
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

/**
 * [the key tampered with, the command]. (SINTER of it and a missing key answers empty without
 * opening it, as Redis returns at the missing key: SINTER s s opens it. OBJECT ENCODING reads a
 * packed key's flag, never its blob: packed-collections checks it answers.)
 */
const CASES: [string, string[]][] = [
  ['s', ['SSCAN', 's', '0']], ['s', ['SUNION', 's', 's2']], ['s', ['SINTER', 's', 's']], ['s', ['SDIFF', 's', 's2']],
  ['s', ['SINTERCARD', '1', 's']], ['s', ['SUNIONSTORE', 'd', 's']], ['s', ['SMEMBERS', 's']], ['s', ['SISMEMBER', 's', 'a']],
  ['s', ['SMOVE', 's', 's2', 'a']], ['s', ['SORT', 's', 'ALPHA']], ['s', ['RENAME', 's', 'r']], ['s', ['COPY', 's', 'c']],
  ['s', ['DUMP', 's']], ['s', ['SREM', 's', 'a']], ['s', ['SADD', 's', 'q']],
  ['s', ['SPOP', 's']], ['s', ['SRANDMEMBER', 's', '-3']],
  ['z', ['ZRANGESTORE', 'd', 'z', '0', '-1']], ['z', ['ZUNIONSTORE', 'd', '1', 'z']], ['z', ['ZINTER', '1', 'z']],
  ['z', ['ZDIFF', '1', 'z']], ['z', ['ZSCAN', 'z', '0']], ['z', ['ZRANGE', 'z', '0', '-1']], ['z', ['ZRANK', 'z', 'a']],
  ['z', ['ZSCORE', 'z', 'a']], ['z', ['ZPOPMIN', 'z']], ['z', ['ZREMRANGEBYRANK', 'z', '0', '0']], ['z', ['GEOPOS', 'z', 'a']],
  ['z', ['ZRANGEBYSCORE', 'z', '-inf', '+inf']], ['z', ['ZRANDMEMBER', 'z', '2']], ['z', ['SORT', 'z']], ['z', ['ZMSCORE', 'z', 'a']],
  ['l', ['LRANGE', 'l', '0', '-1']], ['l', ['LINDEX', 'l', '0']], ['l', ['LPOS', 'l', 'a']], ['l', ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT']],
  ['l', ['SORT', 'l', 'ALPHA']], ['l', ['LPUSH', 'l', 'x']], ['l', ['RPOP', 'l']], ['l', ['BLPOP', 'l', '0.1']],
  ['l', ['LSET', 'l', '0', 'x']], ['l', ['LINSERT', 'l', 'BEFORE', 'a', 'x']], ['l', ['RENAME', 'l', 'r']],
  ['h', ['HGETALL', 'h']], ['h', ['HSCAN', 'h', '0']], ['h', ['HRANDFIELD', 'h', '2']], ['h', ['HDEL', 'h', 'a']],
  ['h', ['HKEYS', 'h']], ['h', ['RENAME', 'h', 'r']], ['h', ['COPY', 'h', 'c']],
];

it('answers the seal error for every command on a packed key whose blob was tampered with, and keeps serving', async () => {
  const answers: string[] = [];
  for (const [key, command] of CASES) {
    await client.flushall();
    await client.sadd('s', 'a', 'b', 'c');
    await client.zadd('z', '1', 'a', '2', 'b', '3', 'c');
    await client.rpush('l', 'a', 'b', 'c');
    await client.hset('h', 'a', '1', 'b', '2');
    await settle();
    server.advance(10_000);
    const flipped = db().renewPacked(storedKey(server, key), (sealed: Buffer) => {
      const copy = Buffer.from(sealed);
      copy[copy.length - 1]! ^= 1;
      return copy;
    });
    expect(flipped, key).not.toBeNull();
    const reply = await Promise.race([
      client.call(command[0]!, ...command.slice(1)).then((r) => JSON.stringify(r), (e: Error) => e.message),
      new Promise<string>((r) => setTimeout(() => r('no reply'), 2000)),
    ]);
    answers.push(`${command.join(' ')}: ${reply}`);
    if (reply === 'no reply') {
      // The connection lost its reply: a new one for the next case.
      client.disconnect();
      client = new Redis({ port: server.port, host: server.host });
    }
  }
  expect(answers).toEqual(CASES.map(([, command]) => `${command.join(' ')}: ${FAILED}`));
  expect(await client.ping()).toBe('PONG');
  // Nothing was changed by a command that failed: the source keys are all there.
  expect(await client.exists('s', 'z', 'l', 'h')).toBe(4);
}, 120_000);
