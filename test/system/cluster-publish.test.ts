// Cluster-wide PUBLISH (src/cluster/publish-fanout.ts): in cluster mode a PUBLISH sent to any
// node reaches the channel and pattern subscribers of every node, as over Redis's cluster bus,
// with cluster clients as apps use them (ioredis Cluster, node-redis createCluster, socket.io's
// redis adapter), from MULTI, scripts and functions too; the reply counts the receiving node's
// subscribers only, as redis-server 7.0 in a 3-node cluster answers. The link between nodes is
// checked from outside: a TCP relay between two nodes captures no plaintext, its bytes replayed
// by a client are refused, and a plain client cannot inject a forwarded message; ACL channel
// rules still bind the publisher; a node that is down neither stalls PUBLISH on the others nor
// holds its messages (dropped and counted).

import { createServer as createHttp } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdapter } from '@socket.io/redis-adapter';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { Server as IoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster } from '../../bench/cluster.js';
import { keySlot } from '../../src/cluster/routing.js';
import { Errors } from '../../src/protocol/errors.js';
import { until } from '../helpers/beside-redis.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { hasRedisServer, ReplyConnection } from '../helpers/reference-redis.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { freePort, spawnOn, type SpawnedServer } from '../helpers/server.js';
import { keyProven } from '../helpers/replication.js';
import { Keyring } from '../../src/seal/keyring.js';
import { TransportSealer } from '../../src/seal/transport.js';

let cluster: TestCluster;
const closers: (() => unknown)[] = [];

beforeAll(async () => {
  cluster = await startCluster(3);
}, 30_000);
afterAll(async () => {
  // Clients are closed without waiting: those of the stopped node would wait for it.
  for (const close of closers.reverse()) void close();
  await cluster?.stop();
});

function direct(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  closers.push(() => c.disconnect());
  return c;
}

/** A subscriber on one node recording "pattern|channel|message" (pattern '' for a channel subscription). */
async function listener(port: number, channels: string[], patterns: string[]): Promise<{ got: string[]; conn: Redis }> {
  const conn = direct(port);
  const got: string[] = [];
  conn.on('message', (ch: string, msg: string) => got.push(`|${ch}|${msg}`));
  conn.on('pmessage', (p: string, ch: string, msg: string) => got.push(`${p}|${ch}|${msg}`));
  if (channels.length > 0) await conn.subscribe(...channels);
  if (patterns.length > 0) await conn.psubscribe(...patterns);
  return { got, conn };
}

const info = async (port: number, field: string): Promise<number> => {
  const c = direct(port);
  const text = (await c.info('sealkv')) as string;
  c.disconnect();
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
};

/** A key (channel name) whose slot the given node serves. */
function ownedBy(node: number, prefix: string): string {
  const n = cluster.nodes[node]!;
  for (let i = 0; ; i++) {
    const name = `${prefix}${i}`;
    const slot = keySlot(Buffer.from(name));
    if (slot >= n.first && slot <= n.last) return name;
  }
}

describe('PUBLISH across a 3-node sealkv cluster', () => {
  it('a subscriber on node A hears PUBLISH sent to B and C, channel and pattern; the reply counts local receivers', async () => {
    const [a, b, c] = cluster.nodes.map((n) => n.port) as [number, number, number];
    const onA = await listener(a, ['news'], ['ev.*']);
    const replies = [
      await direct(b).publish('news', 'from B'),
      await direct(c).publish('news', 'from C'),
      await direct(b).publish('ev.x', 'pattern from B'),
      await direct(c).publish('ev.y', 'pattern from C'),
      await direct(a).publish('news', 'from A'),
    ];
    await until(() => onA.got.length === 5, 'five messages on A');
    // Order holds per sending node (one link each), not between nodes.
    expect(onA.got.sort()).toEqual(['ev.*|ev.x|pattern from B', 'ev.*|ev.y|pattern from C', '|news|from A', '|news|from B', '|news|from C']);
    // Redis 7.0 in cluster mode answers the receivers of the node that got the PUBLISH.
    expect(replies).toEqual([0, 0, 0, 0, 1]);
  });

  it('RESP3 subscribers get the forwarded message as a push', async () => {
    const [a, b] = cluster.nodes.map((n) => n.port) as [number, number];
    const sub = await ReplyConnection.open(b);
    closers.push(() => sub.close());
    expect(await sub.send(['HELLO', '3'])).toContain('proto');
    expect(await sub.send(['SUBSCRIBE', 'r3'])).toBe('>3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n');
    expect(await sub.send(['PSUBSCRIBE', 'r*'])).toBe('>3\r\n$10\r\npsubscribe\r\n$2\r\nr*\r\n:2\r\n');
    expect(await direct(a).publish('r3', 'pushed')).toBe(0);
    expect(await sub.sendRaw(Buffer.alloc(0))).toBe('>3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$6\r\npushed\r\n');
    expect(await sub.sendRaw(Buffer.alloc(0))).toBe('>4\r\n$8\r\npmessage\r\n$2\r\nr*\r\n$2\r\nr3\r\n$6\r\npushed\r\n');
  });

  it('an ioredis Cluster subscriber hears messages published on every node (it subscribes on one of them)', async () => {
    const sub = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    const pub = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[2]!.port }]);
    for (const c of [sub, pub]) c.on('error', () => {});
    closers.push(() => sub.disconnect(), () => pub.disconnect());
    const got: string[] = [];
    sub.on('message', (ch: string, msg: string) => got.push(`${ch}:${msg}`));
    sub.on('pmessage', (_p: string, ch: string, msg: string) => got.push(`p ${ch}:${msg}`));
    await sub.subscribe('io-news');
    await sub.psubscribe('io-ev.*');
    for (const n of cluster.nodes) await direct(n.port).publish('io-news', String(n.port));
    for (const n of cluster.nodes) await direct(n.port).publish('io-ev.1', String(n.port));
    await pub.publish('io-news', 'via cluster client');
    await until(() => got.length === 7, 'seven messages');
    expect(got.sort()).toEqual([
      ...cluster.nodes.map((n) => `io-news:${n.port}`), ...cluster.nodes.map((n) => `p io-ev.1:${n.port}`), 'io-news:via cluster client',
    ].sort());
  });

  it('node-redis createCluster subscribers hear messages published on every node', async () => {
    const client = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.nodes[1]!.port}` }] });
    client.on('error', () => {});
    await client.connect();
    try {
      const got: string[] = [];
      await client.subscribe('nr-news', (msg, ch) => got.push(`${ch}:${msg}`));
      await client.pSubscribe('nr-ev.*', (msg, ch) => got.push(`p ${ch}:${msg}`));
      for (const n of cluster.nodes) await direct(n.port).publish('nr-news', String(n.port));
      for (const n of cluster.nodes) await direct(n.port).publish('nr-ev.2', String(n.port));
      await client.publish('nr-news', 'via cluster client');
      await until(() => got.length === 7, 'seven messages');
      expect(got.sort()).toEqual([
        ...cluster.nodes.map((n) => `nr-news:${n.port}`), ...cluster.nodes.map((n) => `p nr-ev.2:${n.port}`), 'nr-news:via cluster client',
      ].sort());
    } finally {
      await client.quit();
    }
  });

  it('PUBLISH from MULTI/EXEC, a script and a function is forwarded; keyspace notifications are not', async () => {
    const [a, b] = cluster.nodes.map((n) => n.port) as [number, number];
    const onB = await listener(b, [], ['tx:*', '__key*__:*']);
    const pa = direct(a);
    await pa.config('SET', 'notify-keyspace-events', 'KEA');
    await direct(b).config('SET', 'notify-keyspace-events', 'KEA');
    expect(await pa.multi().publish('tx:multi', '1').exec()).toEqual([[null, 0]]);
    expect(await pa.eval("return redis.call('publish', 'tx:script', ARGV[1])", 0, '2')).toBe(0);
    await pa.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=fanout\nredis.register_function('pub', function(keys, args) return redis.call('publish', args[1], args[2]) end)");
    expect(await pa.call('FCALL', 'pub', '0', 'tx:function', '3')).toBe(0);
    // A write on A makes keyspace events on A only; the last message shows nothing came between.
    await pa.set(ownedBy(0, 'kn:'), 'v');
    await pa.publish('tx:done', '4');
    await until(() => onB.got.length === 4, 'four messages on B');
    expect(onB.got).toEqual(['tx:*|tx:multi|1', 'tx:*|tx:script|2', 'tx:*|tx:function|3', 'tx:*|tx:done|4']);
  });

  it('ACL channel rules still bind the publisher', async () => {
    const [a, b] = cluster.nodes.map((n) => n.port) as [number, number];
    const onB = await listener(b, [], ['acl:*']);
    await direct(a).acl('SETUSER', 'narrow', 'on', '>pw', '+@all', '~*', 'resetchannels', '&acl:allowed*');
    const narrow = direct(a);
    await narrow.auth('narrow', 'pw');
    await expect(narrow.publish('acl:secret', 'leak')).rejects.toThrow('NOPERM');
    expect(await narrow.publish('acl:allowed', 'fine')).toBe(0);
    await until(() => onB.got.length === 1, 'one message on B');
    expect(onB.got).toEqual(['acl:*|acl:allowed|fine']);
  });

  it('CLUSTER INFO and CLUSTER LINKS show the links and the messages', async () => {
    const a = direct(cluster.nodes[0]!.port);
    const text = (await a.cluster('INFO')) as string;
    expect(Number(/cluster_stats_messages_publish_sent:(\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(Number(/cluster_stats_messages_publish_received:(\d+)/.exec(text)?.[1])).toBeGreaterThan(0);
    const links = (await a.call('CLUSTER', 'LINKS')) as unknown[][];
    expect(links.map((l) => l[3]).sort()).toEqual([cluster.nodes[1]!.id, cluster.nodes[2]!.id].sort());
    expect(links[0]!.filter((_, i) => i % 2 === 0)).toEqual(['direction', 'node', 'create-time', 'events', 'send-buffer-allocated', 'send-buffer-used']);
  });

  it('socket.io servers on two nodes share a room through @socket.io/redis-adapter', async () => {
    const servers: { io: IoServer; port: number }[] = [];
    for (const node of cluster.nodes.slice(0, 2)) {
      const pub = direct(node.port);
      const sub = direct(node.port);
      const io = new IoServer({ adapter: createAdapter(pub, sub) });
      const http = createHttp();
      io.attach(http);
      io.on('connection', (s) => void s.join('room'));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      closers.push(() => io.close());
      servers.push({ io, port: (http.address() as AddressInfo).port });
    }
    // Each adapter's pattern subscription is in place on its node before anything is emitted.
    for (const node of cluster.nodes.slice(0, 2)) {
      const admin = direct(node.port);
      await until(async () => Number(await admin.call('PUBSUB', 'NUMPAT')) >= 1, `the adapter's subscription on ${node.port}`);
    }
    const client = ioClient(`http://127.0.0.1:${servers[1]!.port}`, { transports: ['websocket'], reconnection: false });
    closers.push(() => client.close());
    await new Promise<void>((resolve, reject) => (client.once('connect', resolve), client.once('connect_error', reject)));
    const heard = new Promise<unknown[]>((resolve) => client.once('news', (...args: unknown[]) => resolve(args)));
    servers[0]!.io.to('room').emit('news', 'from the server on node A');
    expect(await heard).toEqual(['from the server on node A']);
  });

  it('a plain client cannot send a forwarded message', async () => {
    const b = await ReplyConnection.open(cluster.nodes[1]!.port);
    closers.push(() => b.close());
    expect(await b.send(['REPLCONF', 'sealkv-challenge', 'publish'])).toBe(`-${Errors.publishLinkUnproven}\r\n`);
    const c = await ReplyConnection.open(cluster.nodes[1]!.port);
    closers.push(() => c.close());
    expect(await c.send(['REPLCONF', 'sealkv-publish', 'not sealed'])).toBe(`-${Errors.publishLinkUnproven}\r\n`);
    expect(await c.send(['PING'])).toBe('<closed>');
  });

  it.skipIf(!hasRedisServer)('each node answers its own receivers, as redis-server 7.0 in a 3-node cluster (redis-cli --cluster create)', async () => {
    async function counts(ports: number[]): Promise<number[]> {
      const subs = [await listener(ports[0]!, ['cnt'], []), await listener(ports[1]!, ['cnt'], ['c*'])];
      const replies = [];
      for (const p of ports) replies.push(await direct(p).publish('cnt', String(p)));
      await until(() => subs[0]!.got.length === 3 && subs[1]!.got.length === 6, 'every message on both subscribed nodes');
      for (const s of subs) s.conn.disconnect();
      return replies;
    }
    const redis = await startRedisCluster(3);
    try {
      const theirs = await counts(redis.ports);
      expect(theirs).toEqual([1, 2, 0]);
      expect(await counts(cluster.nodes.map((n) => n.port))).toEqual(theirs);
    } finally {
      await redis.stop();
    }
  }, 60_000);

  it('a peer that stops reading costs bounded memory: over cluster-link-sendbuf-limit its messages are dropped, in order otherwise', async () => {
    const [a, b, c] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0], TestCluster['nodes'][0]];
    const onB = await listener(b.port, ['slow'], []);
    const onC = await listener(c.port, ['slow'], []);
    const pa = direct(a.port);
    await pa.config('SET', 'cluster-link-sendbuf-limit', String(256 * 1024));
    const exceeded = async () => Number(/total_cluster_links_buffer_limit_exceeded:(\d+)/.exec((await pa.cluster('INFO')) as string)?.[1]);
    expect(await exceeded()).toBe(0);
    // Both links open first (a link still in its handshake holds messages up to the limit too).
    await pa.publish('slow', '-1:warm');
    await until(() => onB.got.length === 1 && onC.got.length === 1, 'the first message on B and C');
    onB.got.length = 0;
    onC.got.length = 0;
    c.server.process.kill('SIGSTOP');
    try {
      const body = 'x'.repeat(1024);
      for (let round = 0; round < 4; round++) {
        const pipeline = pa.pipeline();
        for (let i = 0; i < 5000; i++) pipeline.publish('slow', `${round * 5000 + i}:${body}`);
        expect((await pipeline.exec())!.every(([err]) => err === null)).toBe(true);
      }
      await until(() => onB.got.length === 20_000, 'all 20000 on B', 30_000);
      expect(await exceeded()).toBeGreaterThan(0);
      const links = (await pa.call('CLUSTER', 'LINKS')) as unknown[][];
      const toC = links.find((l) => l[3] === c.id)!;
      expect(toC[11] as number).toBeLessThanOrEqual(256 * 1024);
    } finally {
      c.server.process.kill('SIGCONT');
      await pa.config('SET', 'cluster-link-sendbuf-limit', '0');
    }
    // C hears what was not dropped, in the order it was published.
    await pa.publish('slow', 'last');
    await until(() => onC.got.at(-1) === '|slow|last', 'the last message on C', 30_000);
    const seq = onC.got.slice(0, -1).map((m) => Number(m.split('|')[2]!.split(':')[0]));
    expect(seq.length).toBeLessThan(20_000);
    expect(seq.every((n, i) => i === 0 || n > seq[i - 1]!)).toBe(true);
    onB.conn.disconnect();
    onC.conn.disconnect();
  }, 120_000);

  // Last: it stops node C.
  it('a node that is down does not stall PUBLISH on the others; its messages are dropped and counted', async () => {
    const [a, b] = cluster.nodes.map((n) => n.port) as [number, number];
    const onB = await listener(b, ['down'], []);
    const before = await info(a, 'cluster_publish_dropped');
    const c = cluster.nodes[2]!.server;
    await c.stop();
    const pa = direct(a);
    const pipeline = pa.pipeline();
    for (let i = 0; i < 200; i++) pipeline.publish('down', `m${i}`);
    const replies = await pipeline.exec();
    expect(replies!.every(([err, n]) => err === null && n === 0)).toBe(true);
    await until(() => onB.got.length === 200, 'all 200 on B');
    expect(onB.got).toEqual(Array.from({ length: 200 }, (_, i) => `|down|m${i}`));
    expect(await info(a, 'cluster_publish_dropped')).toBeGreaterThan(before);
    const log = cluster.nodes[0]!.server;
    expect(await log.waitForOutput('dropping PUBLISH messages for a cluster peer')).toBe(true);
    expect(log.output()).not.toContain('m199');
  });
});


describe('nodes with requirepass', () => {
  let locked: TestCluster;
  beforeAll(async () => {
    locked = await startCluster(2, ['--requirepass', 'node-pw']);
  }, 30_000);
  afterAll(async () => {
    await locked?.stop();
  });

  it('the link logs in with the master-key proof, not the password', async () => {
    const [a, b] = locked.nodes.map((n) => n.port) as [number, number];
    const sub = new Redis({ port: b, host: '127.0.0.1', password: 'node-pw' });
    const pub = new Redis({ port: a, host: '127.0.0.1', password: 'node-pw' });
    try {
      const got: string[] = [];
      sub.on('message', (ch: string, msg: string) => got.push(`${ch}:${msg}`));
      await sub.subscribe('locked');
      expect(await pub.publish('locked', 'through')).toBe(0);
      await until(() => got.length === 1, 'one message');
      expect(got).toEqual(['locked:through']);
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
  });
});

/**
 * Two nodes where A reaches B through a TCP relay: the layout gives B the relay's port (B finds
 * its line by cluster-node-id), so everything A sends B crosses the relay and is recorded.
 */
describe('the link between two nodes, seen from the wire', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-publish-wire-'));
  const captured: Buffer[] = [];
  let relay: NetServer;
  let a: SpawnedServer;
  let b: SpawnedServer;
  const sockets: Socket[] = [];

  const keyFile = join(dir, 'master.key');

  beforeAll(async () => {
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const [pa, pb, pr] = [await freePort(), await freePort(), await freePort()];
    const [ida, idb] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
    const layout = join(dir, 'layout.conf');
    writeFileSync(layout, `${ida} 127.0.0.1:${pa} 0-8191\n${idb} 127.0.0.1:${pr} 8192-16383\n`);
    relay = createServer((inbound) => {
      const outbound = connect(pb, '127.0.0.1');
      sockets.push(inbound, outbound);
      inbound.on('data', (d: Buffer) => captured.push(Buffer.from(d)));
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(pr, '127.0.0.1', resolve));
    const common = ['--cluster-enabled', 'yes', '--cluster-config-file', layout, '--master-key-file', keyFile];
    [a, b] = await Promise.all([spawnOn(pa, common), spawnOn(pb, [...common, '--cluster-node-id', idb])]);
  }, 30_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    relay?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const MARKER = 'plaintext-marker-7f3a';

  it('carries the channel and message sealed: the capture holds no plaintext', async () => {
    const onB = await listener(b.port, [`${MARKER}-channel`], []);
    for (let i = 0; i < 3; i++) expect(await direct(a.port).publish(`${MARKER}-channel`, `${MARKER}-message-${i}`)).toBe(0);
    await until(() => onB.got.length === 3, 'three messages on B');
    expect(onB.got).toEqual([0, 1, 2].map((i) => `|${MARKER}-channel|${MARKER}-message-${i}`));
    const wire = Buffer.concat(captured);
    expect(wire.includes('sealkv-publish')).toBe(true);
    expect(wire.includes(MARKER)).toBe(false);
    expect(a.output() + b.output()).not.toContain(MARKER);
  });

  it('leaves no forwarded message in either node\'s memory once delivered', async () => {
    const messages = makeMarkers(200, 'SKVFWD-');
    const onB = await listener(b.port, ['mem-channel'], []);
    const pub = direct(a.port);
    for (const m of messages) await pub.publish('mem-channel', m);
    await until(() => onB.got.length === messages.length, 'every marker message on B');
    onB.conn.disconnect();
    // The channel name is kept in plaintext without --seal-keys while subscribed: the control.
    const control = await listener(b.port, ['SKVCONTROL-channel-name'], []);
    closers.push(() => control.conn.disconnect());
    expectNoPlaintext(b.process.pid!, messages, { marker: Buffer.from('SKVCONTROL-channel-name'), what: 'a subscribed channel name' });
    expectNoPlaintext(a.process.pid!, messages);
  }, 60_000);

  it('refuses the recorded link replayed by a client, and a recorded message sent alone', async () => {
    const onB = await listener(b.port, [], ['*']);
    const wire = Buffer.concat(captured);
    // The recording: key challenge, key proof and publish challenge, hello, then the three messages.
    // Replayed whole, the proof answers another connection's challenge: the connection proved
    // nothing, so its publish link is refused (these nodes have no password: a client is logged in).
    const replay = await ReplyConnection.open(b.port);
    closers.push(() => replay.close());
    expect(await replay.sendRaw(wire)).toMatch(/^\+[0-9a-f]{32}\r\n$/);
    expect(await replay.sendRaw(Buffer.alloc(0))).toBe(`-${Errors.replicaKeyDiffers}\r\n`);
    expect(await replay.sendRaw(Buffer.alloc(0))).toBe(`-${Errors.publishLinkUnproven}\r\n`);
    // A recorded message on a connection that did prove the key (a node's own), without a hello of its own.
    const frames = splitCommands(wire);
    const message = frames.find((f) => f.includes('sealkv-publish'))!;
    const transport = new TransportSealer(await Keyring.create({ file: keyFile }));
    const alone = await keyProven(b.port, transport);
    closers.push(() => alone.socket.destroy());
    alone.socket.write(Buffer.concat([alone.proof, message]));
    await until(() => alone.received().split('\r\n').length > 2, 'two replies');
    expect(alone.received()).toBe(`+OK\r\n-${Errors.publishLinkRefused}\r\n`);
    // Nothing reached B's subscribers; a real message still does, after them.
    expect(await direct(a.port).publish('after', 'real')).toBe(0);
    await until(() => onB.got.length === 1, 'one message on B');
    expect(onB.got).toEqual(['*|after|real']);
    expect(await info(b.port, 'cluster_publish_refused')).toBe(2);
  });
});

/** The RESP commands in a recorded byte stream, each as its own bytes. */
function splitCommands(wire: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < wire.length) {
    const start = at;
    const lf = wire.indexOf('\n', at);
    const n = Number(wire.toString('latin1', at + 1, lf - 1));
    at = lf + 1;
    for (let i = 0; i < n; i++) {
      const l = wire.indexOf('\n', at);
      at = l + 1 + Number(wire.toString('latin1', at + 1, l - 1)) + 2;
    }
    out.push(wire.subarray(start, at));
  }
  return out;
}
