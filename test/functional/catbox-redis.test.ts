// @hapi/catbox with @hapi/catbox-redis (its own ioredis 5), as hapi apps cache with it: two
// partitions keep the same segment and id apart (partition:segment:id, URI-encoded), set stores a
// JSON envelope with PSETEX, get reads it back with its remaining ttl, drop deletes, an entry is
// gone after its ttl, and a Policy caches what its generateFunc makes (a second get is served
// from the cache, a stale one is regenerated in the background). The same scenario runs on
// redis-server, with the same readings.

import { Client, Policy, type ClientOptions, type PolicyOptions } from '@hapi/catbox';
import { Engine as CatboxRedis } from '@hapi/catbox-redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { sealkvBesideRedis, sleep, until } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();
const stops: (() => unknown)[] = [];

afterAll(async () => {
  for (const stop of stops) await stop();
});

async function cache(port: number, partition: string): Promise<Client<unknown>> {
  const client = new Client<unknown>(CatboxRedis, { partition, host: '127.0.0.1', port } as ClientOptions);
  await client.start();
  stops.push(() => client.stop());
  return client;
}

async function scenario(port: number) {
  const raw = new Redis({ port, host: '127.0.0.1' });
  stops.push(() => raw.disconnect());
  await raw.flushall();
  const a = await cache(port, 'app_a');
  const b = await cache(port, 'app-b');
  const seen: Record<string, unknown> = {};
  const key = { segment: 'users/v1', id: 'id 7' };

  await a.set(key, { name: 'ann', tags: ['x'] }, 60_000);
  await b.set(key, 'b-value', 60_000);
  seen.keys = (await raw.keys('*')).sort();
  const got = await a.get(key);
  seen.getA = [got?.item, got!.ttl > 59_000 && got!.ttl <= 60_000];
  seen.getB = (await b.get(key))?.item;
  const pttl = await raw.pttl('app_a:users%2Fv1:id%207');
  seen.pttl = pttl > 59_000 && pttl <= 60_000;
  seen.envelope = Object.keys(JSON.parse((await raw.get('app-b:users%2Fv1:id%207'))!)).sort();

  await a.drop(key);
  seen.afterDrop = [await a.get(key), (await b.get(key))?.item];

  await a.set({ segment: 's', id: 'short' }, 'soon gone', 150);
  seen.beforeExpiry = (await a.get({ segment: 's', id: 'short' }))?.item;
  await until(async () => (await raw.exists('app_a:s:short')) === 0, 'the short entry to expire', 3000);
  seen.afterExpiry = await a.get({ segment: 's', id: 'short' });

  let made = 0;
  const policy = new Policy<string, PolicyOptions<string>>(
    { expiresIn: 2000, staleIn: 300, staleTimeout: 50, generateTimeout: 500, generateFunc: async (id: unknown) => {
      const n = ++made;
      if (n > 1) await sleep(150);
      return `made ${String(id)} #${n}`;
    } },
    a as Client<string>,
    'generated',
  );
  seen.policy = [await policy.get('x'), await policy.get('x'), made];
  await sleep(350);
  // Stale, and the new value takes longer than staleTimeout: the cached one is returned, the new
  // one is made meanwhile, stored, and served next.
  seen.stale = [await policy.get('x'), await sleep(250).then(() => policy.get('x')), made];
  seen.generatedTtl = (await raw.pttl('app_a:generated:x')) > 1500;
  return seen;
}

describe('@hapi/catbox-redis on sealkv', () => {
  it('partitions, set/get/drop with ttl, expiry and a stale-while-regenerate Policy', async () => {
    const seen = await scenario(servers.sealkv.port);
    expect(seen).toEqual({
      keys: ['app-b:users%2Fv1:id%207', 'app_a:users%2Fv1:id%207'],
      getA: [{ name: 'ann', tags: ['x'] }, true],
      getB: 'b-value',
      pttl: true,
      envelope: ['item', 'stored', 'ttl'],
      afterDrop: [null, 'b-value'],
      beforeExpiry: 'soon gone',
      afterExpiry: null,
      policy: ['made x #1', 'made x #1', 1],
      stale: ['made x #1', 'made x #2', 2],
      generatedTtl: true,
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
