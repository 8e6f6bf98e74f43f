// Valkey GLIDE's cluster client (GlideClusterClient) against a 3-node sealkv cluster, and the same
// scenario against a one-node redis-server 7.0 cluster holding every slot, with the same readings:
// GLIDE learns the slots (CLUSTER SLOTS), routes each key to its node, splits MSET/MGET/DEL/EXISTS
// over slots and joins the answers, scans the whole cluster with its ClusterScanCursor (one SCAN
// per node until each is done), runs an atomic ClusterBatch on one hash tag and a non-atomic one
// spread over nodes, a Script on one slot (EVALSHA, loaded on NOSCRIPT on that node), sums DBSIZE
// over the primaries, and delivers PUBLISH and sharded SPUBLISH to clients subscribed at connect.
// A pattern subscriber hears a PUBLISH sent to another node: the nodes forward it to each other.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterBatch, ClusterScanCursor, GlideClusterClient, Logger, GlideClusterClientConfiguration, Script, type GlideString, type PubSubMsg } from '@valkey/valkey-glide';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/cluster/routing.js';
import { until } from '../helpers/beside-redis.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';

// The Rust core logs every error reply it passes on (NOSCRIPT, CROSSSLOT) to stdout.
Logger.setLoggerConfig('off');
let cluster: TestCluster;
let redis: ReferenceRedis | undefined;
const dir = mkdtempSync(join(tmpdir(), 'sealkv-glide-cluster-'));
const clients: GlideClusterClient[] = [];

/** A one-node redis-server cluster that owns all 16384 slots. */
async function redisCluster(): Promise<ReferenceRedis> {
  const r = await startRedis(['--cluster-enabled', 'yes', '--dir', dir, '--cluster-config-file', `nodes-${randomBytes(4).toString('hex')}.conf`]);
  const c = await ReplyConnection.open(r.port);
  await c.send(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
  await until(async () => (await c.send(['CLUSTER', 'INFO'])).includes('cluster_state:ok'), 'redis cluster ok');
  c.close();
  return r;
}

beforeAll(async () => {
  [cluster, redis] = await Promise.all([startCluster(3), hasRedisServer ? redisCluster() : undefined]);
}, 30_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all([cluster?.stop(), redis?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function open(port: number, extra: Partial<GlideClusterClientConfiguration> = {}): Promise<GlideClusterClient> {
  const c = await GlideClusterClient.createClient({ addresses: [{ host: '127.0.0.1', port }], requestTimeout: 3000, ...extra });
  clients.push(c);
  return c;
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString() : x)));
const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

async function scenario(port: number) {
  const c = await open(port);
  await c.flushall();
  const seen: Record<string, unknown> = {};
  const keys = range(200, (i) => `k:${i}`);
  seen.mset = await c.mset(Object.fromEntries(keys.map((k, i) => [k, String(i)])));
  seen.mget = plain(await c.mget(['k:0', 'k:1', 'k:2', 'k:3', 'missing', 'k:199']));
  seen.exists = await c.exists(['k:0', 'k:50', 'missing', 'k:150']);
  seen.dbsize = await c.dbsize();

  const found: string[] = [];
  let cursor = new ClusterScanCursor();
  let rounds = 0;
  while (!cursor.isFinished()) {
    let batch: GlideString[];
    [cursor, batch] = await c.scan(cursor, { match: 'k:1*', count: 25 });
    found.push(...batch.map(String));
    rounds++;
  }
  seen.scan = [...new Set(found)].sort();
  seen.scanNoRepeats = found.length === new Set(found).size;
  expect(rounds).toBeGreaterThan(1);

  seen.del = await c.del(keys.slice(100));
  seen.dbsizeAfterDel = await c.dbsize();

  const tx = new ClusterBatch(true).set('{user:1}:name', 'ann').hset('{user:1}:h', { a: '1' }).incr('{user:1}:visits').get('{user:1}:name').hgetall('{user:1}:h');
  seen.transaction = plain(await c.exec(tx, true));
  const pipe = new ClusterBatch(false).set('p:a', '1').set('p:b', '2').get('p:a').incr('p:b').lpush('p:a', ['x']).get('p:b');
  seen.pipeline = (await c.exec(pipe, false))!.map((r) => (r instanceof Error ? `error: ${r.message}` : plain(r)));

  const script = new Script("return {redis.call('INCRBY', KEYS[1], ARGV[1]), redis.call('EXISTS', KEYS[2])}");
  seen.script = plain([
    await c.invokeScript(script, { keys: ['{s}:n', '{s}:other'], args: ['5'] }),
    await c.invokeScript(script, { keys: ['{s}:n', '{s}:other'], args: ['7'] }),
  ]);
  script.release();

  let crossSlot = '';
  try {
    await c.customCommand(['RENAME', 'k:0', 'k:1']);
  } catch (err) {
    crossSlot = (err as Error).message;
  }
  seen.crossSlot = crossSlot;
  return seen;
}

async function pubsubScenario(port: number) {
  const got: string[] = [];
  const { Exact, Sharded } = GlideClusterClientConfiguration.PubSubChannelModes;
  const record = (msg: PubSubMsg) => got.push(`${String(msg.channel)}|${String(msg.message)}`);
  // GLIDE subscribes an exact or sharded channel on the node that owns the channel's slot, where
  // it also sends PUBLISH/SPUBLISH for it.
  await open(port, { pubsubSubscriptions: { channelsAndPatterns: { [Exact]: new Set(['news']), [Sharded]: new Set(['orders:{1}', 'orders:{2}']) }, callback: record } });
  const pub = await open(port);
  const receivers = [
    await pub.publish('hello', 'news'),
    await pub.publish('one', 'orders:{1}', true),
    await pub.publish('two', 'orders:{2}', true),
    await pub.publish('nobody', 'orders:{3}', true),
  ];
  await until(() => got.length === 3, 'three messages');
  return { receivers, got: got.sort() };
}

/** A pattern subscriber lands on some node; PUBLISH goes to the node owning the channel's slot. */
async function patternAcrossNodes(port: number): Promise<string[]> {
  const got: string[] = [];
  const { Pattern } = GlideClusterClientConfiguration.PubSubChannelModes;
  await open(port, { pubsubSubscriptions: { channelsAndPatterns: { [Pattern]: new Set(['ev.*']) }, callback: (msg) => got.push(`${String(msg.pattern)}|${String(msg.channel)}|${String(msg.message)}`) } });
  const pub = await open(port);
  for (const channel of ['ev.a', 'ev.b', 'ev.c', 'ev.d', 'ev.e', 'ev.f']) await pub.publish('fired', channel);
  await until(() => got.length === 6, 'six pattern messages', 2000);
  return got.sort();
}

describe('valkey-glide GlideClusterClient on a 3-node sealkv cluster', () => {
  it('spreads keys over the nodes', () => {
    // The scenario's keys really land on more than one node, else it shows nothing about routing.
    const owners = new Set(range(200, (i) => `k:${i}`).map((k) => cluster.nodes.findIndex((n) => keySlot(Buffer.from(k)) >= n.first && keySlot(Buffer.from(k)) <= n.last)));
    expect(owners.size).toBe(3);
    expect(keySlot(Buffer.from('orders:{1}'))).not.toBe(keySlot(Buffer.from('orders:{2}')));
  });

  it('multi-key commands split by slot, cluster scan, batches and a script', async () => {
    const seen = await scenario(cluster.nodes[0]!.port);
    expect(seen).toEqual({
      mset: 'OK',
      mget: ['0', '1', '2', '3', null, '199'],
      exists: 3,
      dbsize: 200,
      scan: ['k:1', ...range(10, (i) => `k:1${i}`), ...range(100, (i) => `k:1${String(i).padStart(2, '0')}`)].sort(),
      scanNoRepeats: true,
      del: 100,
      dbsizeAfterDel: 100,
      transaction: ['OK', 1, 1, 'ann', [{ key: 'a', value: '1' }]],
      pipeline: ['OK', 'OK', '1', 3, 'error: WRONGTYPE: Operation against a key holding the wrong kind of value', '3'],
      script: [[5, 0], [12, 0]],
      crossSlot: "An error was signalled by the server: - CrossSlot: Keys in request don't hash to the same slot",
    });
    if (redis) expect(await scenario(redis.port)).toEqual(seen);
  }, 20_000);

  it('PUBLISH and sharded SPUBLISH reach clients subscribed while connecting', async () => {
    const seen = await pubsubScenario(cluster.nodes[1]!.port);
    expect(seen).toEqual({ receivers: [1, 1, 1, 0], got: ['news|hello', 'orders:{1}|one', 'orders:{2}|two'] });
    if (redis) expect(await pubsubScenario(redis.port)).toEqual(seen);
  }, 20_000);

  // Redis Cluster broadcasts every PUBLISH over its cluster bus, so a pattern subscriber on any
  // node hears channels whose slots live elsewhere; sealkv forwards it to every node of the
  // layout (src/cluster/publish-fanout.ts).
  it('a pattern subscriber hears PUBLISH sent to the other nodes', async () => {
    if (redis) expect(await patternAcrossNodes(redis.port)).toHaveLength(6);
    expect(await patternAcrossNodes(cluster.nodes[0]!.port)).toHaveLength(6);
  }, 20_000);
});
