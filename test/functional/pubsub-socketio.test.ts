// The real library: two socket.io servers sharing rooms through sealkv with
// @socket.io/redis-adapter (PSUBSCRIBE + PUBLISH, PUBSUB NUMSUB for the server count), over
// ioredis, and its sharded adapter (SSUBSCRIBE + SPUBLISH) over node-redis. A message emitted to
// a room on one server reaches the room's client on the other.

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, nodeRedis } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

interface Node {
  io: Server;
  http: HttpServer;
  port: number;
  close(): Promise<void>;
}

async function listen(io: Server, close: () => Promise<void>): Promise<Node> {
  const http = createServer();
  io.attach(http);
  // Every connection joins the shared room.
  io.on('connection', (socket) => void socket.join('room'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    io,
    http,
    port: (http.address() as AddressInfo).port,
    close: async () => {
      io.close();
      await close();
    },
  };
}

function connectTo(node: Node): Promise<ClientSocket> {
  const socket = connectClient(`http://127.0.0.1:${node.port}`, { transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function nextEvent(socket: ClientSocket, event: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${event}' within 5 s`)), 5000);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

describe('socket.io servers sharing rooms through sealkv', () => {
  let sealkv: InProcessServer;
  beforeAll(async () => {
    sealkv = await startInProcess();
  });
  afterAll(async () => {
    await sealkv?.stop();
  });

  it('@socket.io/redis-adapter over ioredis: a room broadcast on one server reaches the other', async () => {
    const nodes: Node[] = [];
    for (let i = 0; i < 2; i++) {
      const pub = ioredis(sealkv.port);
      const sub = pub.duplicate();
      const io = new Server({ adapter: createAdapter(pub, sub) });
      nodes.push(await listen(io, async () => (pub.disconnect(), sub.disconnect())));
    }
    const [a, b] = [await connectTo(nodes[0]!), await connectTo(nodes[1]!)];
    try {
      // Both servers see each other (PUBSUB NUMSUB on the adapter's request channel).
      expect(await nodes[0]!.io.of('/').adapter.serverCount()).toBe(2);
      const onB = nextEvent(b, 'news');
      const onA = nextEvent(a, 'news');
      nodes[0]!.io.to('room').emit('news', 'from server one', { n: 1 });
      expect(await onB).toEqual(['from server one', { n: 1 }]);
      expect(await onA).toEqual(['from server one', { n: 1 }]);
      // Requests and responses across servers: every socket of the room, wherever it is.
      const sockets = await nodes[1]!.io.in('room').fetchSockets();
      expect(sockets.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      // A binary payload survives the trip.
      const bin = nextEvent(a, 'bin');
      nodes[1]!.io.to('room').emit('bin', Buffer.from([0, 1, 2, 255]));
      const [got] = await bin;
      expect(Buffer.from(got as ArrayBuffer)).toEqual(Buffer.from([0, 1, 2, 255]));
    } finally {
      a.disconnect();
      b.disconnect();
      for (const n of nodes) await n.close();
    }
  });

  it('the sharded adapter over node-redis (SSUBSCRIBE / SPUBLISH)', async () => {
    const nodes: Node[] = [];
    for (let i = 0; i < 2; i++) {
      const pub = await nodeRedis(sealkv.port);
      const sub = pub.duplicate();
      sub.on('error', () => {});
      await sub.connect();
      const io = new Server({ adapter: createShardedAdapter(pub, sub) });
      nodes.push(await listen(io, async () => void (await Promise.allSettled([pub.close(), sub.close()]))));
    }
    const [a, b] = [await connectTo(nodes[0]!), await connectTo(nodes[1]!)];
    try {
      // The sharded adapter learns of the other server from its heartbeat; a room broadcast needs none.
      const onB = nextEvent(b, 'shard-news');
      nodes[0]!.io.to('room').emit('shard-news', 'via spublish');
      expect(await onB).toEqual(['via spublish']);
      const onA = nextEvent(a, 'back');
      nodes[1]!.io.emit('back', 42);
      expect(await onA).toEqual([42]);
    } finally {
      a.disconnect();
      b.disconnect();
      for (const n of nodes) await n.close();
    }
  });
});
