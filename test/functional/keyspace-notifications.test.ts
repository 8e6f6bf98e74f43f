// Keyspace notifications (notify-keyspace-events): the messages a pattern subscriber receives
// from sealkv and from redis-server 7 for the same commands and settings, compared in order;
// CONFIG SET validation and canonical form beside Redis's; 'expired' from a read and from the
// active cycle, 'evicted', 'new'; and with seal-keys the messages still carry the key names.

import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, runner } from '../helpers/clients.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

const MARK = 'zz-end-of-case';

/** A pattern subscriber on `*` that records "channel message" until told to stop at MARK. */
async function listener(port: number): Promise<{ client: Redis; heard: string[]; settle(pub: Redis): Promise<void> }> {
  const client = ioredis(port);
  const heard: string[] = [];
  let marks = 0;
  client.on('pmessageBuffer', (_p: Buffer, ch: Buffer, msg: Buffer) => {
    if (ch.toString('latin1') === MARK) marks++;
    else heard.push(`${ch.toString('latin1')} ${msg.toString('latin1')}`);
  });
  await client.psubscribe('*');
  return {
    client,
    heard,
    // Everything published before the mark has arrived once the mark has.
    async settle(pub: Redis) {
      const want = marks + 1;
      await pub.publish(MARK, 'x');
      for (const start = Date.now(); marks < want; await new Promise((r) => setTimeout(r, 5))) {
        if (Date.now() - start > 5000) throw new Error('the end-of-case mark did not arrive');
      }
    },
  };
}

const CASES: Record<string, { flags: string; steps: string[][] }> = {
  'everything (KEA): strings, hashes, generic': {
    flags: 'KEA',
    steps: [
      ['set', 'a', '1'], ['set', 'a', '2', 'ex', '100'], ['append', 'a', 'x'], ['setrange', 'a', '0', 'y'], ['incr', 'n'], ['incrbyfloat', 'n', '1.5'],
      ['hset', 'h', 'f', 'v'], ['hincrby', 'h', 'i', '1'], ['hdel', 'h', 'f', 'i'], ['persist', 'a'], ['expire', 'a', '100'], ['rename', 'a', 'b'],
      ['copy', 'b', 'c'], ['move', 'c', '1'], ['del', 'b', 'n'], ['getdel', 'none'], ['set', 'x', '1'], ['getdel', 'x'],
    ],
  },
  'keyspace channel only (K$)': { flags: 'K$', steps: [['set', 'a', '1'], ['hset', 'h', 'f', 'v'], ['del', 'a']] },
  'keyevent channel only, generic class (Eg)': { flags: 'Eg', steps: [['set', 'a', '1'], ['expire', 'a', '10'], ['del', 'a'], ['hset', 'h', 'f', 'v'], ['unlink', 'h']] },
  'hash class only (Kh)': { flags: 'Kh', steps: [['set', 'a', '1'], ['hset', 'h', 'f', 'v'], ['hsetnx', 'h', 'g', 'w'], ['hdel', 'h', 'f', 'g']] },
  'new keys (En), not overwrites': { flags: 'En', steps: [['set', 'foo', 'bar'], ['set', 'foo', 'baz'], ['set', 'bar', 'bar'], ['hset', 'h', 'f', 'v'], ['hset', 'h', 'g', 'v']] },
  'MSET and MSETNX naming a key twice: one set per pair, new at its first (KEA, then En)': {
    flags: 'KEA',
    steps: [['set', 'b', '0'], ['mset', 'a', '1', 'b', '2', 'a', '3'], ['mset', 'c', 'x', 'c', 'y', 'c', 'z'], ['msetnx', 'd', '1', 'e', '2', 'd', '3'], ['mget', 'a', 'c', 'd']],
  },
  'MSET of new and old keys (En)': { flags: 'En', steps: [['set', 'b', '0'], ['mset', 'a', '1', 'b', '2', 'a', '3', 'f', '4']] },
  'a class without K or E sends nothing': { flags: 'g$', steps: [['set', 'a', '1'], ['del', 'a']] },
  'the database index is the selected one': { flags: 'KEA', steps: [['select', '3'], ['set', 'k3', 'v'], ['del', 'k3'], ['select', '0']] },
  'binary key names': { flags: 'KE$', steps: [['set', 'k\u0000\u00ff\r\n', 'v']] },
  'geo and SORT (KEA)': {
    flags: 'KEA',
    steps: [
      ['geoadd', 'g', '13.36', '38.11', 'p', '15.08', '37.5', 'c'], ['geosearchstore', 'd', 'g', 'frommember', 'p', 'byradius', '300', 'km'],
      ['georadius', 'g', '13', '38', '100', 'km', 'store', 'd2'], ['georadiusbymember', 'g', 'p', '1', 'km', 'storedist', 'd3'],
      ['geosearchstore', 'd', 'g', 'fromlonlat', '0', '0', 'byradius', '1', 'km'], ['rpush', 'l', '2', '1'], ['sort', 'l', 'store', 's'],
      ['sort', 'l', 'limit', '0', '0', 'store', 's'], ['sort', 'nokey', 'store', 'nothing'],
    ],
  },
  'sorted sets (KEA): a ZADD or ZINCRBY that leaves every score as it is sends nothing': {
    flags: 'KEA',
    steps: [
      ['zadd', 'z', '1', 'a'], ['zadd', 'z', '1', 'a'], ['zadd', 'z', '0', 'b'], ['zadd', 'z', '-0', 'b'], ['zadd', 'z', '2', 'a'],
      ['zadd', 'z', '2', 'a', '0', 'b'], ['zadd', 'z', 'ch', '2', 'a'], ['zincrby', 'z', '0', 'a'], ['zadd', 'z', '3', 'c'], ['zadd', 'z', '3', 'c'],
    ],
  },
  'SORT ... STORE is in the list class (El), geo stores in the zset class (Ez)': {
    flags: 'Elz', steps: [['rpush', 'l', '2', '1'], ['sort', 'l', 'store', 's'], ['geoadd', 'g', '1', '1', 'm'], ['geosearchstore', 'd', 'g', 'frommember', 'm', 'byradius', '1', 'm']],
  },
};

describe.skipIf(!hasRedisServer)('keyspace notifications beside redis-server', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  const open: Redis[] = [];
  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  async function heardFor(port: number, flags: string, steps: string[][]): Promise<string[]> {
    const c = ioredis(port);
    open.push(c);
    await c.flushall();
    await c.config('SET', 'notify-keyspace-events', flags);
    const l = await listener(port);
    open.push(l.client);
    const run = runner(c);
    for (const s of steps) await run(s);
    await l.settle(c);
    await c.config('SET', 'notify-keyspace-events', '');
    return l.heard;
  }

  for (const [name, { flags, steps }] of Object.entries(CASES)) {
    it(name, async () => {
      const expected = await heardFor(redis.port, flags, steps);
      const actual = await heardFor(sealkv.port, flags, steps);
      expect(actual).toEqual(expected);
    });
  }

  it('CONFIG SET validates the classes and CONFIG GET shows them as Redis does', async () => {
    const values = ['gKE', '$lshzxeKE', 'KA', 'EA', 'AKEm', 'Agn', 'ntE', '', 'KEQ', 'A$', 'xxK', 'dE'];
    for (const port of [redis.port, sealkv.port]) {
      const c = ioredis(port);
      open.push(c);
      const run = runner(c);
      const out: unknown[] = [];
      for (const v of values) out.push(await run(['config', 'set', 'notify-keyspace-events', v]), await run(['config', 'get', 'notify-keyspace-events']));
      await run(['config', 'set', 'notify-keyspace-events', '']);
      if (port === redis.port) (CASES as unknown as Record<string, unknown>)['__redis'] = out;
      else expect(out).toEqual((CASES as unknown as Record<string, unknown>)['__redis']);
    }
  });
});

describe('keyspace notifications in sealkv alone', () => {
  let server: InProcessServer;
  const open: Redis[] = [];
  beforeAll(async () => {
    server = await startInProcess({ 'notify-keyspace-events': 'KEA' });
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const client = () => {
    const c = ioredis(server.port);
    open.push(c);
    return c;
  };

  it('acts on notify-keyspace-events from the start-up settings (config file or flags)', async () => {
    const c = client();
    expect(await c.config('GET', 'notify-keyspace-events')).toEqual(['notify-keyspace-events', 'AKE']);
    const l = await listener(server.port);
    open.push(l.client);
    await c.set('boot', '1');
    await l.settle(c);
    expect(l.heard).toEqual(['__keyspace@0__:boot set', '__keyevent@0__:set boot']);
  });

  it("'expired' from a read (lazy) and from the active expiry cycle", async () => {
    const c = client();
    const l = await listener(server.port);
    open.push(l.client);
    // hz 1 holds the cron's next tick a second away, so only the GET can expire 'lazy'.
    await c.config('SET', 'hz', '1');
    await c.set('lazy', 'v', 'PX', 100);
    await c.set('active', 'v', 'PX', 100);
    server.advance(1000);
    expect(await c.get('lazy')).toBeNull();
    await c.config('SET', 'hz', '10');
    // The active cycle runs on the server's timer (hz 10) against the advanced clock.
    for (const start = Date.now(); !l.heard.includes('__keyevent@0__:expired active'); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() - start > 5000) break;
    }
    await l.settle(c);
    expect(l.heard.filter((h) => h.includes('expired'))).toEqual([
      '__keyspace@0__:lazy expired', '__keyevent@0__:expired lazy', '__keyspace@0__:active expired', '__keyevent@0__:expired active',
    ]);
  });

  it("'evicted' when maxmemory forces keys out", async () => {
    const c = client();
    await c.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const l = await listener(server.port);
    open.push(l.client);
    await c.set('victim', 'v');
    await c.config('SET', 'maxmemory', '1');
    await c.config('SET', 'maxmemory', '0');
    await c.config('SET', 'maxmemory-policy', 'noeviction');
    await l.settle(c);
    expect(l.heard).toContain('__keyevent@0__:evicted victim');
    expect(l.heard).toContain('__keyspace@0__:victim evicted');
  });

  it('a key name is carried whole, with or without seal-keys', async () => {
    const c = client();
    const l = await listener(server.port);
    open.push(l.client);
    const name = 'user:\u00e9:\u0000:42';
    await c.hset(name, 'f', 'v');
    await c.del(name);
    await l.settle(c);
    const key = Buffer.from(name).toString('latin1');
    expect(l.heard).toEqual([`__keyspace@0__:${key} hset`, `__keyevent@0__:hset ${key}`, `__keyspace@0__:${key} del`, `__keyevent@0__:del ${key}`]);
  });

  it('turning notifications off stops them', async () => {
    const c = client();
    await c.config('SET', 'notify-keyspace-events', '');
    const l = await listener(server.port);
    open.push(l.client);
    await c.set('quiet', '1');
    await l.settle(c);
    expect(l.heard).toEqual([]);
    await c.config('SET', 'notify-keyspace-events', 'KEA');
  });
});
