// CLUSTER's replies and errors, and cluster mode's refusals, byte for byte against a one-node
// redis-server 7.0 cluster (skipped with a message when redis-server is not installed). Both
// start with no slot; the same commands then claim all 16384 slots and use keys. Replies that
// carry node ids or epochs (MYID, NODES, BUMPEPOCH) differ by nature and are tested elsewhere.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { freePort, spawnOn, type SpawnedServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'sealkv-cluster-vs-redis-'));
let redis: ReferenceRedis;
let sealkv: SpawnedServer;

if (!hasRedisServer) console.warn('cluster-vs-redis: redis-server is not installed, comparisons skipped');

beforeAll(async () => {
  if (!hasRedisServer) return;
  const port = await freePort();
  const layout = join(dir, 'layout.conf');
  writeFileSync(layout, `${randomBytes(20).toString('hex')} 127.0.0.1:${port}\n`);
  [redis, sealkv] = await Promise.all([
    startRedis(['--cluster-enabled', 'yes', '--dir', dir, '--cluster-config-file', 'redis-nodes.conf']),
    spawnOn(port, ['--cluster-enabled', 'yes', '--cluster-config-file', layout]),
  ]);
}, 20_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), sealkv?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function replies(port: number, commands: string[][], protocol: 2 | 3 = 2): Promise<string[]> {
  const c = await ReplyConnection.open(port);
  try {
    if (protocol === 3) await c.send(['HELLO', '3']);
    const out: string[] = [];
    for (const cmd of commands) out.push(await c.send(cmd));
    return out;
  } finally {
    c.close();
  }
}

/** Epochs differ by design (sealkv numbers nodes from the layout: node i has epoch i + 1). */
const withoutEpochs = (r: string) => r.replace(/cluster_(current|my)_epoch:\d+\r\n/g, '').replace(/^[$=]\d+\r\n/, '');

async function same(commands: string[][], protocol: 2 | 3 = 2): Promise<void> {
  const expected = (await replies(redis.port, commands, protocol)).map(withoutEpochs);
  const actual = (await replies(sealkv.port, commands, protocol)).map(withoutEpochs);
  const show = (r: string[]) => commands.map((c, i) => `${c.join(' ')} -> ${JSON.stringify(r[i])}`);
  expect(show(actual)).toEqual(show(expected));
}

describe.skipIf(!hasRedisServer)('cluster mode against redis-server 7.0', () => {
  it('slot administration: arguments, ownership and its errors', async () => {
    await same([
      ['cluster', 'addslots', 'abc'], ['cluster', 'addslots', '16384'], ['cluster', 'addslots', '-1'],
      ['cluster', 'addslots', '7', '7'], ['cluster', 'addslotsrange', '9', '3'], ['cluster', 'addslotsrange', '1'],
      ['cluster', 'addslotsrange', '1', '2', '3'], ['cluster', 'delslots', '5'], ['cluster', 'delslotsrange', '0', '10'],
      ['cluster', 'countkeysinslot', 'abc'], ['cluster', 'countkeysinslot', '-1'], ['cluster', 'countkeysinslot', '16384'],
      ['cluster', 'getkeysinslot', '100', '-1'], ['cluster', 'getkeysinslot', 'abc', '1'], ['cluster', 'getkeysinslot', '16384', '1'],
      ['cluster', 'keyslot', 'foo'], ['cluster', 'keyslot', '{user1000}.following'], ['cluster', 'keyslot', ''], ['cluster', 'keyslot', '{}x'],
      ['set', 'foo', 'bar'], ['get', 'foo'],
      ['cluster', 'addslotsrange', '0', '16383'], ['cluster', 'addslots', '5'], ['cluster', 'delslots', '5'],
      ['cluster', 'delslots', '5'], ['cluster', 'addslots', '5'],
      ['cluster', 'setslot', '5'], ['cluster', 'setslot', '5', 'bogus'], ['cluster', 'setslot', '5', 'migrating'],
      ['cluster', 'setslot', 'x', 'stable'], ['cluster', 'setslot', '5', 'node', 'deadbeef'],
      ['cluster', 'setslot', '5', 'migrating', 'deadbeef'], ['cluster', 'setslot', '5', 'stable'],
      ['cluster', 'links'], ['cluster', 'count-failure-reports', 'deadbeef'],
      ['cluster', 'nosuch'], ['readonly'], ['readwrite'], ['asking'],
    ]);
  });

  it('keys: routing inside one node, multi-key rules, one database only', async () => {
    // Redis takes a moment to call a freshly covered cluster "ok".
    for (let i = 0; i < 100; i++) {
      const info = (await replies(redis.port, [['cluster', 'info']]))[0]!;
      if (info.includes('cluster_state:ok')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const protocol of [2, 3] as const) {
      await same([
        ['flushall'],
        ['set', 'foo', 'bar'], ['get', 'foo'], ['mset', '{t}a', '1', '{t}b', '2'], ['mget', '{t}a', '{t}b'],
        ['mget', 'foo', 'bar'], ['del', 'foo', 'zap'], ['exists', '{t}a', '{t}b'],
        ['cluster', 'countkeysinslot', '15495'], ['cluster', 'getkeysinslot', '15495', '10'],
        ['cluster', 'getkeysinslot', '15495', '0'],
        ['select', '1'], ['select', '0'], ['move', '{t}a', '1'], ['swapdb', '0', '1'],
        ['copy', '{t}a', '{t}c'], ['copy', '{t}a', '{t}d', 'db', '1'], ['copy', '{t}a', 'other'],
        ['multi'], ['set', '{t}x', '1'], ['set', 'y', '2'], ['exec'], ['exists', '{t}x'],
        ['multi'], ['set', '{t}x', '1'], ['get', '{t}a'], ['exec'],
        ['cluster', 'flushslots'],
        ['cluster', 'info'],
      ], protocol);
    }
  });
});

it('a standalone server refuses CLUSTER, READONLY and ASKING as Redis does', async () => {
  if (!hasRedisServer) return;
  const plain = await startRedis();
  const mine = await spawnOn(await freePort(), []);
  try {
    const commands = [['cluster', 'info'], ['cluster', 'slots'], ['cluster', 'keyslot', 'x'], ['readonly'], ['readwrite'], ['asking'], ['cluster', 'help']];
    const show = (r: string[]) => commands.map((c, i) => `${c.join(' ')} -> ${JSON.stringify(r[i])}`);
    expect(show(await replies(mine.port, commands))).toEqual(show(await replies(plain.port, commands)));
  } finally {
    await Promise.all([plain.stop(), mine.stop()]);
  }
});
