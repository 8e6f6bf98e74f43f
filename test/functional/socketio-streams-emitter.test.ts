// socket.io's other two Redis packages, as apps deploy them, against sealkv and redis-server:
// - @socket.io/redis-streams-adapter over node-redis and over ioredis: two socket.io servers share one Redis
//   stream (XADD with MAXLEN ~, each server reading it in XREAD BLOCK), answer each other's
//   requests over pub/sub, and recover a client's session after a lost connection (the session
//   kept with SET PX and taken back with GETDEL, the missed packets read with XRANGE);
// - @socket.io/redis-emitter over ioredis: a process with no socket.io server emits to rooms,
//   joins sockets to rooms and disconnects them, through two servers on @socket.io/redis-adapter.
// Each scenario's readings must be the same on both servers.

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter as createPubSubAdapter } from '@socket.io/redis-adapter';
import { Emitter } from '@socket.io/redis-emitter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { nodeRedis } from '../helpers/clients.js';
import { sealkvBesideRedis, sleep } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();

interface Node {
  io: Server;
  http: HttpServer;
  port: number;
}

async function listen(io: Server): Promise<Node> {
  const http = createServer();
  io.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, http, port: (http.address() as AddressInfo).port };
}

function connectTo(node: Node, reconnection = false): Promise<ClientSocket> {
  const socket = connectClient(`http://127.0.0.1:${node.port}`, { transports: ['websocket'], reconnection, reconnectionDelay: 50 });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Polls `probe` on its own connection until it returns true (a library's subscriptions or reads in place). */
async function untilServer(port: number, probe: (admin: Redis) => Promise<boolean>, what: string): Promise<void> {
  const admin = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  try {
    for (const start = Date.now(); !(await probe(admin)); await sleep(20)) {
      if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}`);
    }
  } finally {
    admin.disconnect();
  }
}

const blockedClients = async (admin: Redis) => Number(/blocked_clients:(\d+)/.exec(await admin.info('clients'))?.[1]);

function nextEvent(socket: ClientSocket, event: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${event}' within 5 s`)), 5000);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(t);
      resolve(args);
    });
  });
}

async function streamsScenario(port: number, library: 'node-redis' | 'ioredis') {
  const closers: (() => Promise<unknown>)[] = [];
  const nodes: Node[] = [];
  const sockets: ClientSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      let client: unknown;
      if (library === 'node-redis') {
        const c = await nodeRedis(port);
        closers.push(() => c.close());
        client = c;
      } else {
        const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
        closers.push(async () => c.disconnect());
        client = c;
      }
      const io = new Server({
        adapter: createStreamsAdapter(client, { maxLen: 1000, blockTimeInMs: 1000 }),
        connectionStateRecovery: { maxDisconnectionDuration: 10_000 },
      });
      io.on('connection', (socket) => {
        void socket.join('room');
        socket.on('whoami', (ack: (n: number) => void) => ack(i));
      });
      nodes.push(await listen(io));
    }
    const [n0, n1] = nodes as [Node, Node];
    // Each adapter reads the stream from '$': wait until both reads are blocked in XREAD.
    await untilServer(port, async (admin) => (await blockedClients(admin)) >= 2, 'both XREAD BLOCK');
    const a = await connectTo(n0, true);
    const b = await connectTo(n1);
    sockets.push(a, b);
    const seen: Record<string, unknown> = {};
    const onB = nextEvent(b, 'news');
    n0.io.to('room').emit('news', 'through the stream', { n: 1 });
    // With session recovery on, each packet ends with its offset: the stream entry's ID.
    const [text, data, offset] = await onB;
    seen.broadcast = [text, data, /^\d+-\d+$/.test(String(offset))];
    seen.fetched = (await n1.io.in('room').fetchSockets()).map((s) => s.id === a.id || s.id === b.id);
    seen.serverCount = await n0.io.of('/').adapter.serverCount();
    const bin = nextEvent(a, 'bin');
    n1.io.to('room').emit('bin', Buffer.from([0, 1, 2, 255]));
    seen.binary = [...Buffer.from((await bin)[0] as ArrayBuffer)];

    // The connection drops; what was sent meanwhile comes with the recovered session.
    // The client reconnects by itself; the server emits before it is back.
    a.io.reconnectionDelay(300);
    const gone = new Promise<string>((resolve) => a.once('disconnect', resolve));
    const back = new Promise<void>((resolve) => a.once('connect', () => resolve()));
    a.io.engine.close();
    seen.disconnect = await gone;
    await sleep(50);
    n1.io.to('room').emit('missed', 'while away');
    const missed = nextEvent(a, 'missed');
    await back;
    const [missedText, missedOffset] = await missed;
    seen.recovered = [a.recovered, missedText, String(missedOffset) > String(offset)];
    seen.ack = await a.emitWithAck('whoami');
    return seen;
  } finally {
    for (const s of sockets) s.disconnect();
    for (const n of nodes) n.io.close();
    await Promise.allSettled(closers.map((close) => close()));
  }
}

async function emitterScenario(port: number) {
  const redisClients: Redis[] = [];
  const open = () => {
    const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    redisClients.push(c);
    return c;
  };
  const nodes: Node[] = [];
  const sockets: ClientSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const pub = open();
      const io = new Server({ adapter: createPubSubAdapter(pub, open()) });
      io.on('connection', (socket) => void socket.join(`joined-${i}`));
      nodes.push(await listen(io));
    }
    const [a, b] = [await connectTo(nodes[0]!), await connectTo(nodes[1]!)];
    sockets.push(a, b);
    const heard: string[] = [];
    for (const node of nodes) node.io.on('ops', (what: string) => heard.push(what));
    const emitter = new Emitter(open());
    // The adapters subscribe on start: wait until both have (NUMPAT counts distinct patterns).
    await untilServer(port, async (admin) => Number(await admin.pubsub('NUMPAT')) === 1 && Number((await admin.pubsub('NUMSUB', 'socket.io-request#/#'))[1]) === 2, 'both adapters to subscribe');
    const seen: Record<string, unknown> = {};
    const toAll = Promise.all([nextEvent(a, 'hello'), nextEvent(b, 'hello')]);
    emitter.emit('hello', 'everyone', { n: 1 });
    seen.all = await toAll;
    const onB = nextEvent(b, 'only');
    emitter.to('joined-1').emit('only', 'server two');
    seen.room = await onB;
    emitter.in('joined-0').socketsJoin('vip');
    for (let i = 0; i < 250 && !nodes[0]!.io.of('/').sockets.get(a.id!)?.rooms.has('vip'); i++) await sleep(20);
    const vip = nextEvent(a, 'vip');
    emitter.to('vip').except('joined-1').emit('vip', 'members');
    seen.vip = await vip;
    seen.rooms = [...(nodes[0]!.io.of('/').sockets.get(a.id!)?.rooms ?? [])].filter((r) => r !== a.id!).sort();
    emitter.serverSideEmit('ops', 'reindex');
    for (let i = 0; i < 100 && heard.length < 2; i++) await sleep(10);
    seen.serverSide = heard;
    const dropped = new Promise<string>((resolve) => b.once('disconnect', resolve));
    emitter.in('joined-1').disconnectSockets(true);
    seen.dropped = await dropped;
    return seen;
  } finally {
    for (const s of sockets) s.disconnect();
    for (const n of nodes) n.io.close();
    for (const c of redisClients) c.disconnect();
  }
}

describe('socket.io Redis packages on sealkv', () => {
  it.each(['node-redis', 'ioredis'] as const)('@socket.io/redis-streams-adapter over %s: broadcasts, requests and a recovered session', async (library) => {
    const seen = await streamsScenario(servers.sealkv.port, library);
    expect(seen).toEqual({
      broadcast: ['through the stream', { n: 1 }, true],
      fetched: [true, true],
      serverCount: 2,
      binary: [0, 1, 2, 255],
      disconnect: 'forced close',
      recovered: [true, 'while away', true],
      ack: 0,
    });
    if (servers.redis) expect(await streamsScenario(servers.redis.port, library)).toEqual(seen);
  }, 30_000);

  it('@socket.io/redis-emitter: emits, joins and disconnects sockets on two servers', async () => {
    const seen = await emitterScenario(servers.sealkv.port);
    expect(seen).toEqual({
      all: [['everyone', { n: 1 }], ['everyone', { n: 1 }]],
      room: ['server two'],
      vip: ['members'],
      rooms: ['joined-0', 'vip'],
      serverSide: ['reindex', 'reindex'],
      dropped: 'io server disconnect',
    });
    if (servers.redis) expect(await emitterScenario(servers.redis.port)).toEqual(seen);
  }, 30_000);
});
