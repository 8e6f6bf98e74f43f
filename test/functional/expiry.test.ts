// Expiry commands against the real server. The server's clock is moved with advance(ms) instead
// of sleeping, so every TTL below is exact. Replies and error texts match redis-server 7.0.15.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, nodeRedis } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

/** A fixed start time on a whole second, so EXPIRETIME results are exact. */
const START = 1_700_000_000_000;

const { server, client, run } = withServer({}, START);

/** Milliseconds the test clock has moved since START. */
const elapsed = () => server.running.state.clock() - START;

describe('EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT', () => {
  it('EXPIRE sets a TTL in seconds that TTL, PTTL and EXPIRETIME report exactly', async () => {
    await run(['set', 'k', 'v']);
    const base = elapsed();
    expect(await run(['expire', 'k', '100'])).toBe(1);
    expect(await run(['ttl', 'k'])).toBe(100);
    expect(await run(['pttl', 'k'])).toBe(100_000);
    expect(await run(['expiretime', 'k'])).toBe(Math.floor((START + base) / 1000) + 100);
    expect(await run(['pexpiretime', 'k'])).toBe(START + base + 100_000);
  });

  it('PEXPIRE sets a TTL in milliseconds', async () => {
    await run(['set', 'k', 'v']);
    expect(await run(['pexpire', 'k', '1234'])).toBe(1);
    expect(await run(['pttl', 'k'])).toBe(1234);
    server.advance(234);
    expect(await run(['pttl', 'k'])).toBe(1000);
  });

  it('EXPIREAT and PEXPIREAT take absolute unix times', async () => {
    await run(['set', 'a', 'v']);
    await run(['set', 'b', 'v']);
    const nowS = Math.floor((START + elapsed()) / 1000);
    expect(await run(['expireat', 'a', String(nowS + 50)])).toBe(1);
    expect(await run(['expiretime', 'a'])).toBe(nowS + 50);
    expect(await run(['pexpiretime', 'a'])).toBe((nowS + 50) * 1000);
    const at = START + elapsed() + 777;
    expect(await run(['pexpireat', 'b', String(at)])).toBe(1);
    expect(await run(['pexpiretime', 'b'])).toBe(at);
    expect(await run(['pttl', 'b'])).toBe(777);
  });

  it('the key disappears once its time has come, not a millisecond before', async () => {
    await run(['set', 'k', 'v']);
    await run(['pexpire', 'k', '1000']);
    server.advance(999);
    expect(await run(['get', 'k'])).toBe('v');
    expect(await run(['pttl', 'k'])).toBe(1);
    server.advance(1);
    expect(await run(['get', 'k'])).toBeNull();
    expect(await run(['ttl', 'k'])).toBe(-2);
    expect(await run(['exists', 'k'])).toBe(0);
  });

  it('a negative or past time deletes the key and replies 1', async () => {
    for (const k of ['a', 'b', 'c', 'd', 'e']) await run(['set', k, 'v']);
    expect(await run(['expire', 'a', '-1'])).toBe(1);
    expect(await run(['pexpire', 'b', '0'])).toBe(1);
    expect(await run(['expireat', 'c', '1'])).toBe(1);
    expect(await run(['pexpireat', 'd', String(START + elapsed())])).toBe(1);
    expect(await run(['pexpire', 'e', '-9223372036854775808'])).toBe(1);
    expect(await run(['exists', 'a', 'b', 'c', 'd', 'e'])).toBe(0);
    expect(await run(['dbsize'])).toBe(0);
  });

  it('answers 0 for a missing key', async () => {
    expect(await run(['expire', 'nokey', '10'])).toBe(0);
    expect(await run(['pexpire', 'nokey', '-10'])).toBe(0);
    expect(await run(['expireat', 'nokey', '10'])).toBe(0);
    expect(await run(['pexpireat', 'nokey', '10'])).toBe(0);
  });

  it('NX, XX, GT and LT decide as in Redis, no TTL counting as infinite', async () => {
    await run(['set', 't', 'v']);
    expect(await run(['expire', 't', '100', 'xx'])).toBe(0);
    expect(await run(['expire', 't', '100', 'gt'])).toBe(0);
    expect(await run(['ttl', 't'])).toBe(-1);
    expect(await run(['expire', 't', '100', 'lt'])).toBe(1);
    expect(await run(['ttl', 't'])).toBe(100);
    expect(await run(['expire', 't', '50', 'GT'])).toBe(0);
    expect(await run(['expire', 't', '100', 'gt'])).toBe(0);
    expect(await run(['expire', 't', '200', 'gt'])).toBe(1);
    expect(await run(['ttl', 't'])).toBe(200);
    expect(await run(['expire', 't', '200', 'lt'])).toBe(0);
    expect(await run(['expire', 't', '10', 'nx'])).toBe(0);
    expect(await run(['expire', 't', '10', 'xx', 'lt'])).toBe(1);
    expect(await run(['ttl', 't'])).toBe(10);
    expect(await run(['persist', 't'])).toBe(1);
    expect(await run(['expire', 't', '30', 'NX', 'nx'])).toBe(1);
    expect(await run(['ttl', 't'])).toBe(30);
    expect(await run(['pexpire', 't', '-1', 'gt'])).toBe(0);
    expect(await run(['pexpire', 't', '-1', 'lt'])).toBe(1);
    expect(await run(['exists', 't'])).toBe(0);
  });

  it('rejects bad arguments with Redis errors, options checked before the time', async () => {
    await run(['set', 'a', 'v']);
    expect(await run(['expire', 'a', 'x'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['expire', 'a', '1.5'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['expire', 'a', '10', 'foo'])).toEqual({ error: 'ERR Unsupported option foo' });
    expect(await run(['expire', 'a', 'x', 'foo'])).toEqual({ error: 'ERR Unsupported option foo' });
    const nxMixed = { error: 'ERR NX and XX, GT or LT options at the same time are not compatible' };
    expect(await run(['expire', 'a', '10', 'nx', 'xx'])).toEqual(nxMixed);
    expect(await run(['pexpire', 'a', '10', 'nx', 'gt'])).toEqual(nxMixed);
    expect(await run(['expireat', 'a', '10', 'lt', 'nx'])).toEqual(nxMixed);
    expect(await run(['expire', 'a', '10', 'gt', 'lt'])).toEqual({
      error: 'ERR GT and LT options at the same time are not compatible',
    });
    expect(await run(['expire', 'a'])).toEqual({ error: "ERR wrong number of arguments for 'expire' command" });
    expect(await run(['ttl', 'a'])).toBe(-1);
  });

  it('sets the same expiry on either side of 2^53 ms (the plain form is computed in doubles, the rest in 64 bits)', async () => {
    await run(['set', 'k', 'v']);
    expect(await run(['pexpireat', 'k', '9007199254740991'])).toBe(1);
    // As text: ioredis reads integers past 2^53 - 2 inexactly (and Lua 5.1's tostring prints %.14g).
    expect(await run(['eval', "return string.format('%d', redis.call('PEXPIRETIME', KEYS[1]))", '1', 'k'])).toBe('9007199254740991');
    // 9,007,199,254,740 s from now passes 2^53 ms only once the clock is added.
    const base = elapsed();
    expect(await run(['expire', 'k', '9007199254740'])).toBe(1);
    expect(await run(['expiretime', 'k'])).toBe(9_007_199_254_740 + Math.floor((START + base) / 1000));
    expect(await run(['pexpire', 'k', '-0'])).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(await run(['eval', "return redis.call('PEXPIRE', KEYS[1], ARGV[1])", '1', 'k', '1500'])).toBe(1);
    expect(await run(['pttl', 'k'])).toBe(1500);
  });

  it('reports overflow with the name of the command that overflowed', async () => {
    await run(['set', 'a', 'v']);
    const cases: [string, string][] = [
      ['expire', '9223372036854775807'],
      ['expire', '9223372036854775'],
      ['expire', '9223372036854776'],
      ['expire', '-9223372036854775808'],
      ['pexpire', '9223372036854775807'],
      ['pexpire', '9223372036854775806'],
      ['expireat', '9223372036854775807'],
      ['expireat', '-9223372036854776'],
    ];
    for (const [cmd, amount] of cases) {
      expect(await run([cmd, 'a', amount]), `${cmd} ${amount}`).toEqual({
        error: `ERR invalid expire time in '${cmd}' command`,
      });
    }
    expect(await run(['pexpireat', 'a', '9223372036854775808'])).toEqual({
      error: 'ERR value is not an integer or out of range',
    });
    expect(await run(['ttl', 'a'])).toBe(-1);
  });

  it('accepts the largest times Redis accepts', async () => {
    await run(['set', 'a', 'v']);
    await run(['set', 'b', 'v']);
    expect(await run(['pexpireat', 'a', '9223372036854775807'])).toBe(1);
    expect(await run(['expireat', 'b', '9223372036854775'])).toBe(1);
    expect(await run(['exists', 'a', 'b'])).toBe(2);
    // Beyond 2^53 ms (year 287,396) times are kept to the nearest double: within 2 s here.
    const ttl = (await client.call('ttl', 'b')) as number;
    expect(Math.abs(ttl - (9223372036854775 - (START + elapsed()) / 1000))).toBeLessThan(2);
    server.advance(10 * 365 * 24 * 3600 * 1000);
    expect(await run(['exists', 'a', 'b'])).toBe(2);
  });

  it('keeps exact times up to 2^53 ms', async () => {
    await run(['set', 'a', 'v']);
    expect(await run(['pexpireat', 'a', '9007199254740991'])).toBe(1);
    // stringNumbers: the reply's digits as sent, not rounded by the client.
    const exact = ioredis(server.port, { stringNumbers: true });
    try {
      expect(await exact.call('pexpiretime', 'a')).toBe('9007199254740991');
      expect(await exact.call('expiretime', 'a')).toBe('9007199254740');
    } finally {
      exact.disconnect();
    }
  });
});

describe('TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST', () => {
  it('TTL rounds to the nearest second like Redis', async () => {
    await run(['set', 'k', 'v']);
    await run(['pexpire', 'k', '1500']);
    expect(await run(['ttl', 'k'])).toBe(2);
    await run(['pexpire', 'k', '1499']);
    expect(await run(['ttl', 'k'])).toBe(1);
    await run(['pexpire', 'k', '499']);
    expect(await run(['ttl', 'k'])).toBe(0);
    expect(await run(['pttl', 'k'])).toBe(499);
  });

  it('answers -2 for a missing key and -1 for a key without TTL', async () => {
    await run(['set', 'k', 'v']);
    for (const cmd of ['ttl', 'pttl', 'expiretime', 'pexpiretime']) {
      expect(await run([cmd, 'nokey']), cmd).toBe(-2);
      expect(await run([cmd, 'k']), cmd).toBe(-1);
    }
  });

  it('PERSIST removes a TTL once', async () => {
    await run(['set', 'k', 'v']);
    expect(await run(['persist', 'k'])).toBe(0);
    await run(['expire', 'k', '10']);
    expect(await run(['persist', 'k'])).toBe(1);
    expect(await run(['ttl', 'k'])).toBe(-1);
    expect(await run(['persist', 'k'])).toBe(0);
    expect(await run(['persist', 'nokey'])).toBe(0);
    server.advance(20_000);
    expect(await run(['get', 'k'])).toBe('v');
  });

  it('works through node-redis with its own reply types', async () => {
    const nr = await nodeRedis(server.port);
    try {
      await nr.set('nr', 'v');
      expect(await nr.expire('nr', 60, 'NX')).toBe(1);
      expect(await nr.ttl('nr')).toBe(60);
      expect(await nr.pExpireTime('nr')).toBe(START + elapsed() + 60_000);
      expect(await nr.persist('nr')).toBe(1);
      expect(await nr.ttl('nr')).toBe(-1);
    } finally {
      nr.destroy();
    }
  });
});

describe('expiry cycles', () => {
  it('reading an expired key removes it (lazy expiry)', async () => {
    // CONFIG SET hz restarts the cron: its next tick (and active expiry) is a second away, so
    // only the GET can remove the key in between.
    await run(['config', 'set', 'hz', '1']);
    try {
      await run(['set', 'k', 'v']);
      await run(['set', 'stay', 'v']);
      await run(['pexpire', 'k', '10']);
      server.advance(10);
      expect(await run(['dbsize'])).toBe(2);
      expect(await run(['get', 'k'])).toBeNull();
      expect(await run(['dbsize'])).toBe(1);
    } finally {
      await run(['config', 'set', 'hz', '10']);
    }
  });

  it('the active cycle removes expired keys nobody reads', async () => {
    for (let i = 0; i < 200; i++) await run(['set', `gone:${i}`, 'v']);
    for (let i = 0; i < 200; i++) await run(['pexpire', `gone:${i}`, String(100 + i)]);
    for (let i = 0; i < 10; i++) await run(['set', `kept:${i}`, 'v']);
    await run(['set', 'later', 'v']);
    await run(['expire', 'later', '3600']);
    const expiredBefore = server.running.state.stats.expiredKeys;
    // hz 1 holds the next tick a second away while DBSIZE counts the keys not yet reclaimed.
    await run(['config', 'set', 'hz', '1']);
    server.advance(1000);
    expect(await run(['dbsize'])).toBe(211);
    // Back at hz 10: the cron ticks; only DBSIZE is asked, no key is touched.
    await run(['config', 'set', 'hz', '10']);
    for (const start = Date.now(); Date.now() - start < 5000 && (await run(['dbsize'])) !== 11; ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await run(['dbsize'])).toBe(11);
    expect(server.running.state.stats.expiredKeys - expiredBefore).toBe(200);
    expect(await run(['ttl', 'later'])).toBe(3599);
  });

  it('expired keys are invisible to EXISTS, TYPE, TTL and EXPIRE', async () => {
    await run(['set', 'k', 'v']);
    await run(['pexpire', 'k', '5']);
    server.advance(5);
    expect(await run(['exists', 'k'])).toBe(0);
    expect(await run(['type', 'k'])).toBe('none');
    expect(await run(['pttl', 'k'])).toBe(-2);
    expect(await run(['expire', 'k', '100'])).toBe(0);
    expect(await run(['persist', 'k'])).toBe(0);
  });

  it('TTLs survive RENAME, COPY and MOVE and still expire there', async () => {
    await run(['set', 'k', 'v']);
    await run(['pexpire', 'k', '3000']);
    await run(['rename', 'k', 'r']);
    await run(['copy', 'r', 'c']);
    await run(['copy', 'r', 'm']);
    await run(['move', 'm', '1']);
    const db1 = ioredis(server.port, { db: 1 });
    try {
      expect(await db1.pttl('m')).toBe(3000);
      expect(await run(['pttl', 'r'])).toBe(3000);
      expect(await run(['pttl', 'c'])).toBe(3000);
      server.advance(3000);
      expect(await run(['exists', 'r', 'c'])).toBe(0);
      expect(await db1.exists('m')).toBe(0);
    } finally {
      db1.disconnect();
    }
  });
});

describe('the time a command runs at, on the real clock', () => {
  let real: SpawnedServer;
  beforeAll(async () => {
    real = await spawnServer();
  });
  afterAll(async () => {
    await real.stop();
  });

  // A read's commands take their unix time from the monotonic clock their timing reads (Observer.wallAt):
  // it must agree with Date.now() as the client sees it, never before the request was sent nor after the reply came.
  it('is between the sending of a pipeline and its replies, for every command of it, and never goes back', async () => {
    const c = ioredis(real.port);
    try {
      for (let round = 0; round < 20; round++) {
        const p = c.pipeline();
        for (let i = 0; i < 32; i++) p.set(`t${i}`, 'v', 'PX', 100_000).pexpiretime(`t${i}`);
        const sent = Date.now();
        const replies = await p.exec();
        const done = Date.now();
        const times = replies!.filter((_, i) => i % 2 === 1).map(([err, at]) => {
          expect(err).toBeNull();
          return (at as number) - 100_000;
        });
        for (let i = 0; i < times.length; i++) {
          expect(times[i]).toBeGreaterThanOrEqual(sent);
          expect(times[i]).toBeLessThanOrEqual(done);
          if (i > 0) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]!);
        }
      }
    } finally {
      c.disconnect();
    }
  });
});
