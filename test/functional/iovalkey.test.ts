// iovalkey (Valkey's fork of ioredis) as apps use it: a named connection with a keyPrefix, plain
// commands and binary values, hgetall as an object, a pipeline with an error inside, MULTI/EXEC,
// WATCH losing to another client's write, a defineCommand script (EVALSHA, EVAL on NOSCRIPT),
// scanStream and hscanStream, BRPOP and XREAD BLOCK woken by another client, pub/sub with
// patterns and Buffer messages; and its Cluster against a 3-node sealkv cluster (slot routing,
// MGET on one hash tag, MULTI, a script, scanStream on each master). The standalone scenario runs
// on redis-server too, with the same readings.

import { Cluster, Redis, type RedisOptions } from 'iovalkey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealkvBesideRedis, until } from '../helpers/beside-redis.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { drainScan } from '../helpers/clients.js';

const servers = sealkvBesideRedis();
const clients: (Redis | Cluster)[] = [];
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

function open(port: number, options: RedisOptions = {}): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, ...options });
  clients.push(c);
  return c;
}

async function scenario(port: number) {
  const admin = open(port);
  await admin.flushall();
  await admin.script('FLUSH');
  const c = open(port, { connectionName: 'iovalkey-app', keyPrefix: 'app:' });
  c.defineCommand('bump', { numberOfKeys: 1, lua: "local n = redis.call('INCRBY', KEYS[1], ARGV[1]); return {KEYS[1], n}" });
  const seen: Record<string, unknown> = {};
  const info = Object.fromEntries(String(await c.client('INFO')).trim().split(' ').map((kv) => kv.split('=')));
  seen.client = [info.name, info.db, info.resp];
  // iovalkey 0.4 sends no CLIENT SETINFO; sealkv shows Redis 7.2's empty lib-name, 7.0 no field.
  seen.lib = info['lib-name'] ?? 'none';

  seen.strings = [
    await c.set('s', 'v', 'EX', 100),
    await c.set('s', 'w', 'GET'),
    await c.ttl('s'),
    await c.incrbyfloat('f', '1.25'),
    await c.setnx('s', 'x'),
    await c.getrange('s', 0, 0),
  ];
  const binary = Buffer.from([0, 255, 13, 10, 0x80]);
  await c.set('bin', binary);
  seen.binary = (await c.getBuffer('bin'))!.equals(binary);
  await c.hset('h', { a: '1', b: '2' });
  seen.hash = [await c.hgetall('h'), await c.hincrby('h', 'a', 5), await c.hgetall('missing')];
  seen.keys = (await admin.keys('app:*')).sort();

  seen.pipeline = (await c.pipeline().set('p', '1').incr('p').hget('p', 'x').get('p').exec())!.map(([err, v]) => (err ? `error: ${err.message}` : v));
  seen.multi = await c.multi().incr('m').incr('m').get('m').exec();

  await c.watch('w');
  await admin.set('app:w', 'other');
  seen.watchLost = await c.multi().set('w', 'mine').exec();
  seen.watched = await c.get('w');

  seen.script = [await (c as unknown as { bump(k: string, n: number): Promise<unknown> }).bump('counter', 2), await (c as unknown as { bump(k: string, n: number): Promise<unknown> }).bump('counter', 3)];
  const stats = String(await admin.info('commandstats'));
  seen.scriptCalls = stats.split('\r\n').filter((l) => /^cmdstat_(eval|evalsha):/.test(l)).map((l) => l.replace(/usec=[\d.]+,usec_per_call=[\d.]+,/, '')).sort();

  for (let i = 0; i < 120; i++) await admin.set(`scan:${i}`, i);
  seen.scan = (await drainScan(admin.scanStream({ match: 'scan:1*', count: 20 }))).length;
  await admin.hset('bigh', Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`])));
  seen.hscan = (await drainScan(admin.hscanStream('bigh', { count: 30 }))).length;

  const blocked = open(port);
  const popped = blocked.brpop('queue', 2);
  await until(async () => String(await admin.client('LIST')).includes('cmd=brpop'), 'BRPOP to block');
  await admin.lpush('queue', 'job');
  seen.brpop = await popped;
  const reader = blocked.xread('BLOCK', 2000, 'STREAMS', 'events', '$');
  await until(async () => String(await admin.client('LIST')).includes('cmd=xread'), 'XREAD to block');
  await admin.xadd('events', '5-1', 'kind', 'signup');
  seen.xread = await reader;

  const sub = open(port);
  const got: string[] = [];
  sub.on('messageBuffer', (channel: Buffer, message: Buffer) => got.push(`${channel}|${message.toString('hex')}`));
  sub.on('pmessage', (pattern: string, channel: string, message: string) => got.push(`${pattern}|${channel}|${message}`));
  seen.subscribed = [await sub.subscribe('news', 'alerts'), await sub.psubscribe('user.*')];
  seen.published = [await admin.publish('news', binary), await admin.publish('user.7', 'hi'), await admin.publish('none', 'x')];
  await until(() => got.length === 2, 'two messages');
  seen.got = got.sort();
  seen.inSubscribeMode = await sub.ping().catch((err: Error) => err.message);
  await sub.unsubscribe('news', 'alerts');
  await sub.punsubscribe('user.*');
  seen.afterUnsubscribe = await sub.ping();
  return seen;
}

describe('iovalkey on sealkv', () => {
  it('commands, pipeline, MULTI/WATCH, scripts, scans, blocking reads and pub/sub', async () => {
    const seen = await scenario(servers.sealkv.port);
    expect(seen).toEqual({
      client: ['iovalkey-app', '0', '2'],
      lib: '',
      strings: ['OK', 'v', -1, '1.25', 0, 'w'],
      binary: true,
      hash: [{ a: '1', b: '2' }, 6, {}],
      keys: ['app:bin', 'app:f', 'app:h', 'app:s'],
      pipeline: ['OK', 2, 'error: WRONGTYPE Operation against a key holding the wrong kind of value', '2'],
      multi: [[null, 1], [null, 2], [null, '2']],
      watchLost: null,
      watched: 'other',
      script: [['app:counter', 2], ['app:counter', 5]],
      // iovalkey sends EVAL the first time on a connection, EVALSHA after.
      scriptCalls: ['cmdstat_eval:calls=1,rejected_calls=0,failed_calls=0', 'cmdstat_evalsha:calls=1,rejected_calls=0,failed_calls=0'],
      scan: 31,
      hscan: 400,
      brpop: ['queue', 'job'],
      xread: [['events', [['5-1', ['kind', 'signup']]]]],
      subscribed: [2, 3],
      published: [1, 1, 0],
      got: ['news|00ff0d0a80', 'user.*|user.7|hi'],
      inSubscribeMode: ['pong', ''],
      afterUnsubscribe: 'PONG',
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual({ ...seen, lib: 'none' });
  }, 20_000);
});

describe('iovalkey Cluster on a 3-node sealkv cluster', () => {
  it('routes by slot, MGET on one hash tag, MULTI, a script and a scan on every master', async () => {
    const c = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], { redisOptions: { maxRetriesPerRequest: 2 } });
    clients.push(c);
    c.defineCommand('swap', { numberOfKeys: 2, lua: "local a = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], redis.call('GET', KEYS[2])); redis.call('SET', KEYS[2], a); return 'swapped'" });
    const keys = Array.from({ length: 90 }, (_, i) => `key:${i}`);
    await Promise.all(keys.map((k, i) => c.set(k, String(i))));
    expect(await Promise.all(keys.map((k) => c.get(k)))).toEqual(keys.map((_, i) => String(i)));
    await c.mset('{t}a', '1', '{t}b', '2');
    expect(await c.mget('{t}a', '{t}b')).toEqual(['1', '2']);
    expect(await (c as unknown as { swap(a: string, b: string): Promise<string> }).swap('{t}a', '{t}b')).toBe('swapped');
    expect(await c.multi().incr('{t}a').get('{t}b').exec()).toEqual([[null, 3], [null, '1']]);
    await expect(c.mget('key:0', 'key:1')).rejects.toThrow("CROSSSLOT Keys in request don't hash to the same slot");
    const masters = c.nodes('master');
    expect(masters).toHaveLength(3);
    const perNode = await Promise.all(masters.map((m) => drainScan(m.scanStream({ match: 'key:*', count: 20 }))));
    expect(perNode.every((found) => found.length > 0)).toBe(true);
    expect(perNode.flat().sort()).toEqual([...keys].sort());
  }, 20_000);
});
