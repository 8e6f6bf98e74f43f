// MIGRATE holds the other clients while it waits for its target, as Redis's MIGRATE blocks the
// whole server: a write to the key sent meanwhile runs only after the key was restored there
// and deleted here, so it is never lost between the two (a reshard under load relies on it:
// test/system/cluster-reshard-load.test.ts). The target here is a slow stand-in that answers
// +OK to SELECT and RESTORE after a delay; the server under test is the real one.

import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withServer } from '../helpers/fixture.js';
import { ioredis } from '../helpers/clients.js';

const { server, client } = withServer();
const DELAY = 400;
let target: NetServer;
let targetPort = 0;
let requests = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  target = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let answered = false;
    socket.on('data', () => {
      if (answered) return;
      answered = true;
      requests++;
      // SELECT, then one RESTORE: two replies.
      setTimeout(() => socket.end('+OK\r\n+OK\r\n'), DELAY);
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => target.close(resolve));
});

describe('MIGRATE and the other clients', () => {
  it('holds another client\'s write to the key until the key is gone here, then runs it', async () => {
    await client.set('moving', 'old');
    const other = ioredis(server.port);
    try {
      const order: string[] = [];
      const started = performance.now();
      const migrated = client.migrate('127.0.0.1', targetPort, 'moving', 0, 5000).then((r) => (order.push('migrate'), r));
      await new Promise((r) => setTimeout(r, 50));
      const written = other.set('moving', 'new').then((r) => (order.push('set'), r));
      const pinged = other.ping().then((r) => (order.push('ping'), r));
      expect(await migrated).toBe('OK');
      expect(await written).toBe('OK');
      expect(await pinged).toBe('PONG');
      expect(order).toEqual(['migrate', 'set', 'ping']);
      expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY - 20);
      // The held SET ran after MIGRATE deleted the old value: it made the key anew.
      expect(await client.get('moving')).toBe('new');
      expect(requests).toBe(1);
    } finally {
      other.disconnect();
    }
  });

  it('lets the other clients go when the target never answers (IOERR after the timeout)', async () => {
    const silent = createServer(() => {});
    const open = new Set<Socket>();
    silent.on('connection', (s) => open.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const other = ioredis(server.port);
    try {
      await client.set('stuck', 'v');
      const migrated = client.migrate('127.0.0.1', port, 'stuck', 0, 300).catch((e: Error) => e.message);
      await new Promise((r) => setTimeout(r, 50));
      const read = other.get('stuck');
      expect(await migrated).toMatch(/^IOERR /);
      expect(await read).toBe('v');
    } finally {
      other.disconnect();
      for (const s of open) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
