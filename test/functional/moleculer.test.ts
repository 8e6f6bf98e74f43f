// moleculer 0.14 (a microservices framework) with its Redis transporter and Redis cacher, both on
// ioredis: two brokers find each other through the transporter's pub/sub channels (DISCOVER,
// INFO, heartbeats), one calls the other's actions and both receive emitted and broadcast events;
// the cacher stores an action's result (SETEX under a prefixed key, JSON), serves the repeat call
// from the cache, cleans keys by pattern (SCAN MATCH then DEL) and lets entries expire by TTL.
// The same scenario runs on redis-server, with the same readings.

import { Redis } from 'ioredis';
import { ServiceBroker, type Context } from 'moleculer';
import { afterAll, describe, expect, it } from 'vitest';
import { sealkvBesideRedis, until } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();
const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function broker(port: number, nodeID: string): ServiceBroker {
  const redis = { host: '127.0.0.1', port };
  const b = new ServiceBroker({
    nodeID,
    namespace: 'test',
    logger: false,
    transporter: { type: 'Redis', options: redis },
    // redlock: false, as the project's redlock is v5 and moleculer 0.14 takes v4 (for lock()).
    cacher: { type: 'Redis', options: { prefix: 'MOL', ttl: 30, redis, redlock: false } },
    skipProcessEventRegistration: true,
  });
  cleanups.push(() => b.stop());
  return b;
}

async function scenario(port: number) {
  const raw = new Redis({ port, host: '127.0.0.1' });
  cleanups.push(() => raw.disconnect());
  await raw.flushall();

  const events: string[] = [];
  let computed = 0;
  const worker = broker(port, 'worker');
  worker.createService({
    name: 'math',
    actions: {
      add: {
        cache: { keys: ['a', 'b'] },
        handler: (ctx: Context<{ a: number; b: number }>) => {
          computed++;
          return { sum: ctx.params.a + ctx.params.b, by: ctx.nodeID };
        },
      },
      shortLived: { cache: { keys: ['id'], ttl: 1 }, handler: (ctx: Context<{ id: string }>) => `made ${ctx.params.id}` },
    },
    events: {
      'user.created': (ctx: Context<{ name: string }>) => {
        events.push(`worker got ${ctx.eventName} ${ctx.params.name} from ${ctx.nodeID}`);
      },
    },
  });
  const api = broker(port, 'api');
  api.createService({
    name: 'audit',
    events: { 'user.*': (ctx: Context<{ name: string }>) => void events.push(`api got ${ctx.eventName} ${ctx.params.name}`) },
  });
  await Promise.all([worker.start(), api.start()]);
  await api.waitForServices(['math'], 5000);

  const seen: Record<string, unknown> = {};
  seen.calls = [await api.call('math.add', { a: 2, b: 3 }), await api.call('math.add', { a: 2, b: 3 }), await api.call('math.add', { a: 5, b: 5 })];
  seen.computed = computed;
  const keys = (await raw.keys('MOL*')).sort();
  seen.cacheKeys = keys;
  seen.cached = JSON.parse((await raw.get(keys[0]!))!);
  const ttl = await raw.ttl(keys[0]!);
  seen.ttl = ttl > 25 && ttl <= 30;

  await api.emit('user.created', { name: 'ann' });
  await api.broadcast('user.created', { name: 'bob' });
  await until(() => events.length === 4, 'four events');
  seen.events = events.sort();

  await api.call('math.shortLived', { id: 'x' });
  const pttl = await raw.pttl('MOL-math.shortLived:x');
  seen.shortTtl = pttl > 0 && pttl <= 1000;
  await until(async () => (await raw.exists('MOL-math.shortLived:x')) === 0, 'the 1 s entry to expire', 3000);
  await api.call('math.add', { a: 7, b: 7 });

  await raw.set('MOL-math.other', 'not matched by the pattern');
  await worker.cacher!.clean('math.add*');
  seen.afterClean = (await raw.keys('MOL*')).sort();
  await api.call('math.add', { a: 2, b: 3 });
  seen.computedAfterClean = computed;
  await worker.cacher!.clean();
  seen.afterCleanAll = await raw.keys('MOL*');
  // The transporter's own traffic went over pub/sub channels named by namespace and node.
  seen.channels = (await raw.pubsub('CHANNELS', 'MOL-test.*')).map(String).filter((c) => !c.includes('.PONG.')).sort();

  await Promise.all([worker.stop(), api.stop()]);
  return seen;
}

describe('moleculer Redis transporter and cacher on sealkv', () => {
  it('two brokers call and notify each other; the cacher caches, cleans by pattern and expires', async () => {
    const seen = await scenario(servers.sealkv.port);
    expect(seen).toEqual({
      calls: [{ sum: 5, by: 'api' }, { sum: 5, by: 'api' }, { sum: 10, by: 'api' }],
      computed: 2,
      cacheKeys: ['MOL-math.add:2|3', 'MOL-math.add:5|5'],
      cached: { sum: 5, by: 'api' },
      ttl: true,
      events: ['api got user.created ann', 'api got user.created bob', 'worker got user.created ann from api', 'worker got user.created bob from api'],
      shortTtl: true,
      afterClean: ['MOL-math.other'],
      computedAfterClean: 4,
      afterCleanAll: [],
      channels: ['DISCONNECT', 'DISCOVER', 'DISCOVER.api', 'DISCOVER.worker', 'EVENT.api', 'EVENT.worker', 'HEARTBEAT', 'INFO', 'INFO.api', 'INFO.worker', 'PING', 'PING.api', 'PING.worker', 'REQ.api', 'REQ.worker', 'RES.api', 'RES.worker'].map((c) => `MOL-test.${c}`),
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
