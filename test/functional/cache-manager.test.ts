// cache-manager 7 with its Redis store (Keyv with @keyv/redis, which talks node-redis), against
// sealkv: values of several JSON shapes set and read back, TTLs as absolute expiry times, mget
// with misses, mset, del and mdel, wrap() computing once, an expired entry gone, and clear()
// removing the namespace.

import KeyvRedis from '@keyv/redis';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('cache-manager with @keyv/redis on sealkv', () => {
  it('get, set, ttl, mget, mset, del, mdel, wrap, expiry and clear', async () => {
    const store = new KeyvRedis(`redis://127.0.0.1:${server.port}`);
    const cache = createCache({ stores: [new Keyv({ store, namespace: 'cm' })], ttl: 10_000 });
    const raw = ioredis(server.port);
    try {
      expect(await cache.set('obj', { x: 1, nested: ['a', null] })).toEqual({ x: 1, nested: ['a', null] });
      await cache.set('short', 'two', 1000);
      const shortSetAt = Date.now();
      await cache.set('list', [1, 2, 3]);
      expect(await cache.get('obj')).toEqual({ x: 1, nested: ['a', null] });
      expect(await cache.get('short')).toBe('two');
      expect(await cache.get('missing')).toBeUndefined();

      // ttl() answers the expiry time; the key carries the matching PTTL.
      const objTtl = (await cache.ttl('obj'))! - Date.now();
      expect(objTtl).toBeGreaterThan(8000);
      expect(objTtl).toBeLessThanOrEqual(10_000);
      expect(await raw.pttl('cm::cm:obj')).toBeGreaterThan(8000);
      expect(await cache.ttl('missing')).toBeUndefined();

      expect(await cache.mget(['obj', 'short', 'list', 'missing'])).toEqual([{ x: 1, nested: ['a', null] }, 'two', [1, 2, 3], undefined]);
      await cache.mset([{ key: 'd', value: 4 }, { key: 'e', value: 5, ttl: 5000 }]);
      expect(await cache.mget(['d', 'e'])).toEqual([4, 5]);
      // The entry's own TTL, not the cache's default.
      const eTtl = await raw.pttl('cm::cm:e');
      expect(eTtl).toBeGreaterThan(0);
      expect(eTtl).toBeLessThanOrEqual(5000);

      expect(await cache.del('obj')).toBe(true);
      expect(await cache.get('obj')).toBeUndefined();
      expect(await cache.mdel(['list', 'd'])).toBe(true);
      expect(await cache.mget(['list', 'd'])).toEqual([undefined, undefined]);

      let computed = 0;
      const compute = async () => `computed ${++computed}`;
      expect(await cache.wrap('w', compute, 5000)).toBe('computed 1');
      expect(await cache.wrap('w', compute, 5000)).toBe('computed 1');

      await new Promise((r) => setTimeout(r, Math.max(0, shortSetAt + 1100 - Date.now())));
      expect(await cache.get('short')).toBeUndefined();
      expect((await raw.keys('cm::*')).sort()).toEqual(['cm::cm:e', 'cm::cm:w']);

      await raw.set('outside', 'stays');
      await cache.clear();
      expect(await raw.keys('cm::*')).toEqual([]);
      expect(await raw.get('outside')).toBe('stays');
    } finally {
      raw.disconnect();
      await cache.disconnect();
    }
  });
});
