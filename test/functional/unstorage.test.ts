// unstorage (the storage layer of Nitro and Nuxt) with its redis driver on ioredis: a storage
// whose base holds glob characters (the driver escapes them for SCAN MATCH), items as strings and
// JSON, hasItem (EXISTS), getItems (MGET), removeItem (UNLINK), getKeys of a sub-base and clear
// (SCAN MATCH then UNLINK), SCAN with COUNT 2 so it takes many rounds, a default ttl and a per-item ttl (SET EX), and a second driver
// mounted under a prefix. The same scenario runs on redis-server, with the same readings.

import { Redis } from 'ioredis';
import { createStorage, type Storage } from 'unstorage';
import redisDriver from 'unstorage/drivers/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { sealkvBesideRedis } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();
const cleanups: (() => unknown)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function scenario(port: number) {
  const raw = new Redis({ port, host: '127.0.0.1' });
  cleanups.push(() => raw.disconnect());
  await raw.flushall();
  // A key outside the base that a badly escaped pattern would match too.
  await raw.set('app[1]x:users:zed', 'outside');
  await raw.set('app1:users:zed', 'outside');

  const storage: Storage = createStorage({ driver: redisDriver({ base: 'app[1]', host: '127.0.0.1', port, scanCount: 2 }) });
  storage.mount('sessions', redisDriver({ base: 'sess', host: '127.0.0.1', port, ttl: 60 }));
  cleanups.push(() => storage.dispose());
  const seen: Record<string, unknown> = {};

  await storage.setItem('users:ann', { name: 'Ann', roles: ['admin'] });
  await storage.setItem('users:bob', 'plain text');
  await storage.setItem('users:carl', 42);
  await storage.setItem('config:theme', 'dark', { ttl: 100 });
  await storage.setItem('sessions:abc', { user: 'ann' });
  seen.raw = (await raw.keys('*')).sort();
  seen.stored = await raw.get('app[1]:users:ann');
  seen.get = [await storage.getItem('users:ann'), await storage.getItem('users:bob'), await storage.getItem('users:carl'), await storage.getItem('users:none')];
  seen.has = [await storage.hasItem('users:bob'), await storage.hasItem('users:none')];
  seen.getItems = await storage.getItems(['users:ann', 'users:none', 'config:theme']);
  seen.ttls = [await raw.ttl('app[1]:config:theme'), await raw.ttl('sess:abc'), await raw.ttl('app[1]:users:ann')];
  seen.keys = (await storage.getKeys('users')).sort();
  seen.allKeys = (await storage.getKeys()).sort();
  seen.sessionKeys = await storage.getKeys('sessions');

  await storage.removeItem('users:bob');
  seen.afterRemove = [await storage.hasItem('users:bob'), (await storage.getKeys('users')).sort()];
  // unstorage 1.17.6 with ioredis 6 removes nothing for clear('users'), on redis-server as on
  // sealkv (an unstorage matter: no UNLINK reaches the server); clear() of everything works.
  await storage.clear('users');
  seen.afterClear = (await raw.keys('*')).sort();
  await storage.clear();
  seen.afterClearAll = (await raw.keys('*')).sort();
  return seen;
}

describe('unstorage redis driver on sealkv', () => {
  it('items, ttl, keys and clear under an escaped base, and a mounted driver', async () => {
    const seen = await scenario(servers.sealkv.port);
    const ann = { name: 'Ann', roles: ['admin'] };
    expect(seen).toEqual({
      raw: ['app1:users:zed', 'app[1]:config:theme', 'app[1]:users:ann', 'app[1]:users:bob', 'app[1]:users:carl', 'app[1]x:users:zed', 'sess:abc'],
      stored: JSON.stringify(ann),
      get: [ann, 'plain text', 42, null],
      has: [true, false],
      getItems: [{ key: 'users:ann', value: ann }, { key: 'users:none', value: null }, { key: 'config:theme', value: 'dark' }],
      ttls: [100, 60, -1],
      keys: ['users:ann', 'users:bob', 'users:carl'],
      allKeys: ['config:theme', 'sessions:abc', 'users:ann', 'users:bob', 'users:carl'],
      sessionKeys: ['sessions:abc'],
      afterRemove: [false, ['users:ann', 'users:carl']],
      afterClear: ['app1:users:zed', 'app[1]:config:theme', 'app[1]:users:ann', 'app[1]:users:carl', 'app[1]x:users:zed', 'sess:abc'],
      afterClearAll: ['app1:users:zed', 'app[1]x:users:zed'],
    });
    if (servers.redis) expect(await scenario(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
