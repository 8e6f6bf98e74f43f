// Express sessions in Redis, the way most Express apps keep them: express-session with
// connect-redis over node-redis, against sealkv. A session is written as JSON with a TTL from
// the cookie's maxAge, read back on the next request, touched (TTL renewed), listed, and
// destroyed.

import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

declare module 'express-session' {
  interface SessionData {
    user: { name: string; visits: number };
  }
}

let server: SpawnedServer;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  server = await spawnServer();
  client = createClient({ socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

/** Calls a connect-redis method that takes a callback, as express-session does. */
function viaCallback<T>(call: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value as T))));
}

describe('connect-redis with express-session on sealkv', () => {
  it('sets, reads, touches, lists and destroys a session', async () => {
    const store = new RedisStore({ client, prefix: 'sess:' });
    const app = express();
    app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false, cookie: { maxAge: 30_000 } }));
    app.get('/login', (req, res) => {
      req.session.user = { name: 'ada', visits: 1 };
      res.send('in');
    });
    app.get('/me', (req, res) => res.json(req.session.user ?? null));
    app.get('/logout', (req, res) => req.session.destroy(() => res.send('out')));
    const listener = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const l = app.listen(0, '127.0.0.1', () => resolve(l));
    });
    try {
      const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      const login = await fetch(`${base}/login`);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const keys = await client.keys('sess:*');
      expect(keys).toHaveLength(1);
      const key = keys[0]!;
      const sid = key.slice('sess:'.length);
      const stored = JSON.parse((await client.get(key))!);
      expect(stored).toMatchObject({ user: { name: 'ada', visits: 1 } });
      // express-session's cookie works originalMaxAge out from its expiry when it is saved: a
      // millisecond may pass between the two.
      expect(stored.cookie.originalMaxAge).toBeGreaterThan(29_000);
      expect(stored.cookie.originalMaxAge).toBeLessThanOrEqual(30_000);
      expect(await client.pTTL(key)).toBeGreaterThan(25_000);
      expect(await client.pTTL(key)).toBeLessThanOrEqual(30_000);

      // Read back on the next request.
      expect(await (await fetch(`${base}/me`, { headers: { cookie } })).json()).toEqual({ name: 'ada', visits: 1 });
      expect(await (await fetch(`${base}/me`)).json()).toBeNull();

      // touch() moves the expiry to the cookie's new one.
      await viaCallback((done) => store.touch(sid, { cookie: { expires: new Date(Date.now() + 60_000) } } as never, done));
      expect(await client.pTTL(key)).toBeGreaterThan(55_000);

      expect(await viaCallback<number>((done) => store.length(done))).toBe(1);
      expect(await viaCallback<string[]>((done) => store.ids(done))).toEqual([sid]);
      const all = await viaCallback<{ id: string; user: unknown }[]>((done) => store.all(done));
      expect(all.map(({ id, user }) => ({ id, user }))).toEqual([{ id: sid, user: { name: 'ada', visits: 1 } }]);

      expect(await (await fetch(`${base}/logout`, { headers: { cookie } })).text()).toBe('out');
      expect(await client.exists(key)).toBe(0);
      expect(await (await fetch(`${base}/me`, { headers: { cookie } })).json()).toBeNull();
    } finally {
      listener.close();
    }
  });

  it('clear() removes every session under the prefix and nothing else', async () => {
    const store = new RedisStore({ client, prefix: 'sess2:' });
    for (const sid of ['a', 'b', 'c']) await viaCallback((done) => store.set(sid, { cookie: { originalMaxAge: 10_000 } } as never, done));
    await client.set('unrelated', 'x');
    expect((await client.keys('sess2:*')).sort()).toEqual(['sess2:a', 'sess2:b', 'sess2:c']);
    await viaCallback((done) => store.clear(done));
    expect(await client.keys('sess2:*')).toEqual([]);
    expect(await client.get('unrelated')).toBe('x');
  });
});
