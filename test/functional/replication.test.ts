// Replication between real sealkv processes: a primary and replicas sharing a master key.
// Every kind of value, expiry, MULTI, scripts, FLUSHALL, SWAPDB and SEAL ROTATE reach the
// replicas; writes are refused on a read-only replica with Redis's text; a replica under another
// master key is refused; a 2 s cut of the link (through a relay the test controls) is resumed from
// the backlog without a full copy; WAIT counts the replicas that acknowledged.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, nodeRedis, rawExchange, redisCli, redisCliMissing } from '../helpers/clients.js';
import type { SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, TcpRelay, waitFor } from '../helpers/replication.js';

const KEY = newMasterKey();
const host = '127.0.0.1';

describe('replication: primary and two replicas', () => {
  let primary: SpawnedServer;
  let r1: SpawnedServer;
  let r2: SpawnedServer;
  let p: Redis;
  let q1: Redis;
  let q2: Redis;

  beforeAll(async () => {
    primary = await startNode(KEY);
    p = ioredis(primary.port);
    // Data written before the replicas exist arrives with the full copy.
    await p.set('before', 'copied');
    await p.rpush('list-before', 'a', 'b', 'c');
    await p.hset('hash-before', { f1: 'v1', f2: 'v2' });
    r1 = await startNode(KEY, [], { host, port: primary.port });
    r2 = await startNode(KEY);
    q1 = ioredis(r1.port);
    q2 = ioredis(r2.port);
    // One replica from its config at start, one by the command.
    expect(await q2.call('replicaof', host, String(primary.port))).toBe('OK');
    await linkUp(r1.port);
    await linkUp(r2.port);
  }, 30000);

  afterAll(async () => {
    for (const c of [p, q1, q2]) c?.disconnect();
    await Promise.all([primary, r1, r2].map((s) => s?.stop()));
  });

  /** Writes with ioredis, then waits until both replicas acknowledged (WAIT). */
  async function synced(): Promise<void> {
    expect(await p.call('wait', '2', '5000')).toBe(2);
  }

  it('copies what the primary held before the replicas came', async () => {
    for (const q of [q1, q2]) {
      expect(await q.get('before')).toBe('copied');
      expect(await q.lrange('list-before', 0, -1)).toEqual(['a', 'b', 'c']);
      expect(await q.hgetall('hash-before')).toEqual({ f1: 'v1', f2: 'v2' });
    }
  });

  it('streams writes of every type', async () => {
    await p.set('s', 'value');
    await p.append('s', '+more');
    await p.incr('n');
    await p.incrbyfloat('fl', '1.5');
    await p.sadd('set', 'x', 'y', 'z');
    await p.srem('set', 'y');
    await p.zadd('z', 1, 'one', 2, 'two');
    await p.zincrby('z', 5, 'one');
    await p.xadd('st', '1-1', 'field', 'val');
    await p.lpush('l', 'p', 'q');
    await p.lpop('l');
    await p.hincrby('h', 'count', 3);
    await p.setbit('bits', 7, 1);
    await p.pfadd('hll', 'a', 'b', 'c');
    await synced();
    for (const q of [q1, q2]) {
      expect(await q.get('s')).toBe('value+more');
      expect(await q.get('n')).toBe('1');
      expect(await q.get('fl')).toBe('1.5');
      expect((await q.smembers('set')).sort()).toEqual(['x', 'z']);
      expect(await q.call('zrange', 'z', '0', '-1', 'WITHSCORES')).toEqual(['two', '2', 'one', '6']);
      expect(await q.xrange('st', '-', '+')).toEqual([['1-1', ['field', 'val']]]);
      expect(await q.lrange('l', 0, -1)).toEqual(['p']);
      expect(await q.hget('h', 'count')).toBe('3');
      expect(await q.getbit('bits', 7)).toBe(1);
      expect(await q.pfcount('hll')).toBe(3);
    }
  });

  it('deletions, MULTI/EXEC and scripts reach the replicas as their effects', async () => {
    await p.set('gone', '1');
    await p.del('gone');
    const tx = await p.multi().set('tx1', 'a').incr('tx2').rpush('tx3', 'e').exec();
    expect(tx).toEqual([[null, 'OK'], [null, 1], [null, 1]]);
    await p.eval("redis.call('set', KEYS[1], ARGV[1]); redis.call('rpush', KEYS[2], ARGV[1]); return 1", 2, 'lua1', 'lua2', 'from-script');
    await p.rename('tx1', 'tx1-renamed');
    await synced();
    for (const q of [q1, q2]) {
      expect(await q.exists('gone')).toBe(0);
      expect(await q.get('tx1')).toBeNull();
      expect(await q.get('tx1-renamed')).toBe('a');
      expect(await q.get('tx2')).toBe('1');
      expect(await q.get('lua1')).toBe('from-script');
      expect(await q.lrange('lua2', 0, -1)).toEqual(['from-script']);
    }
  });

  it('expiry travels as an absolute time; keys the primary expires are deleted on replicas', async () => {
    await p.set('ttl', 'v', 'EX', 100);
    await p.set('short', 'v', 'PX', 300);
    await synced();
    for (const q of [q1, q2]) {
      const ttl = await q.pttl('ttl');
      expect(ttl).toBeGreaterThan(95000);
      expect(ttl).toBeLessThanOrEqual(100000);
    }
    // The replica hides a logically expired key by itself (Redis 7), and the primary's active
    // cycle sends the deletion.
    await waitFor('the primary to expire short', async () => (await p.exists('short')) === 0, 5000);
    await synced();
    await waitFor('short to leave the replica', async () => (await q1.call('dbsize')) === (await p.call('dbsize')), 5000);
    expect(await q1.exists('short')).toBe(0);
  });

  it("a consumer group's progress reaches the replicas: XREADGROUP (with and without NOACK), XACK, XCLAIM, XAUTOCLAIM (Redis's stream-cgroups unit)", async () => {
    await p.del('cg');
    for (const n of [1, 2, 3, 4, 5]) await p.xadd('cg', `${n}-1`, 'a', String(n));
    await p.xgroup('CREATE', 'cg', 'g', '0');
    // The consumers exist first: creating one is announced (and so replicated) anyway.
    for (const c of ['c1', 'c2', 'c3']) await p.xgroup('CREATECONSUMER', 'cg', 'g', c);
    // Pending entries without their idle time (it is read a moment apart).
    const pending = async (c: Redis) => ((await c.xpending('cg', 'g', '-', '+', 10)) as unknown[][]).map(([id, who, , n]) => [id, who, n]);
    const state = async (c: Redis) => [await c.xinfo('GROUPS', 'cg'), await pending(c)];
    const steps: [string, () => Promise<unknown>][] = [
      ['XREADGROUP', () => p.xreadgroup('GROUP', 'g', 'c1', 'COUNT', '2', 'STREAMS', 'cg', '>')],
      ['XACK', () => p.xack('cg', 'g', '1-1')],
      ['XREADGROUP NOACK', () => p.xreadgroup('GROUP', 'g', 'c1', 'COUNT', '1', 'NOACK', 'STREAMS', 'cg', '>')],
      ['XREADGROUP', () => p.xreadgroup('GROUP', 'g', 'c1', 'COUNT', '1', 'STREAMS', 'cg', '>')],
      ['XCLAIM', () => p.xclaim('cg', 'g', 'c2', 0, '2-1', 'JUSTID')],
      ['XAUTOCLAIM', () => p.xautoclaim('cg', 'g', 'c3', 0, '4-1', 'JUSTID')],
    ];
    for (const [name, step] of steps) {
      await step();
      await synced();
      const expected = await state(p);
      for (const q of [q1, q2]) expect([name, await state(q)]).toEqual([name, expected]);
    }
    expect(JSON.stringify(await pending(p))).toBe('[["2-1","c2",1],["4-1","c3",1]]');
  });

  it("function libraries reach the replicas: FUNCTION LOAD, DELETE, RESTORE, FLUSH, and a new replica's full copy (Redis's functions unit)", async () => {
    const lib = (name: string, reply: string) => `#!lua name=${name}\nredis.register_function{function_name='${name}', callback=function() return '${reply}' end, flags={'no-writes'}}`;
    const libraries = async (c: Redis) => JSON.stringify(await c.call('function', 'list'));
    const same = async () => {
      await synced();
      const expected = await libraries(p);
      for (const q of [q1, q2]) expect(await libraries(q)).toBe(expected);
      return expected;
    };
    await p.call('function', 'load', lib('one', 'hello'));
    expect(await same()).toContain('one');
    for (const q of [q1, q2]) expect(await q.call('fcall', 'one', '0')).toBe('hello');
    await p.call('function', 'load', 'replace', lib('one', 'again'));
    await p.call('function', 'load', lib('two', 'x'));
    await same();
    expect(await q1.call('fcall', 'one', '0')).toBe('again');
    const dump = (await p.callBuffer('function', 'dump')) as Buffer;
    await p.call('function', 'delete', 'one');
    expect(await same()).not.toContain('"one"');
    await p.call('function', 'restore', dump, 'replace');
    expect(await same()).toContain('one');
    // A replica that joins now gets them with its full copy.
    const late = await startNode(KEY, [], { host, port: primary.port });
    try {
      await linkUp(late.port);
      const l = ioredis(late.port);
      await waitFor('the late replica to hold the libraries', async () => (await libraries(l)) === (await libraries(p)));
      expect(await l.call('fcall', 'two', '0')).toBe('x');
      l.disconnect();
    } finally {
      await late.stop();
    }
    await p.call('function', 'flush');
    expect(await same()).toBe('[]');
  });

  it('FLUSHDB, SWAPDB and SELECT reach the replicas', async () => {
    await p.select(3);
    await p.set('in3', 'three');
    await p.call('swapdb', '3', '4');
    await p.select(5);
    await p.set('in5', 'five');
    await p.flushdb();
    await p.select(0);
    await synced();
    await q1.select(4);
    expect(await q1.get('in3')).toBe('three');
    await q1.select(5);
    expect(await q1.exists('in5')).toBe(0);
    await q1.select(0);
  });

  it('refuses writes on a read-only replica with Redis\'s text, also inside MULTI and scripts', async () => {
    await expect(q1.set('x', '1')).rejects.toThrow("READONLY You can't write against a read only replica.");
    // The queued SET is refused with READONLY, so EXEC aborts (as Redis does).
    const tx = q1.multi().set('x', '1');
    await expect(tx.exec()).rejects.toThrow('EXECABORT Transaction discarded because of previous errors.');
    await expect(q1.eval("return redis.call('set', 'x', '1')", 0)).rejects.toThrow(/READONLY You can't write against a read only replica/);
    // Reads work.
    expect(await q1.get('before')).toBe('copied');
  });

  it('min-replicas-to-write: writes need that many replicas acknowledging within min-replicas-max-lag, NOREPLICAS otherwise (also in MULTI and scripts)', async () => {
    try {
      expect(await p.config('SET', 'min-replicas-to-write', '2')).toBe('OK');
      await waitFor('two good replicas', async () => (await info(primary.port)).min_slaves_good_slaves === '2');
      expect(await p.set('min-replicas', '1')).toBe('OK');
      expect(await p.config('SET', 'min-replicas-to-write', '3')).toBe('OK');
      const refused = 'NOREPLICAS Not enough good replicas to write.';
      expect(await p.set('min-replicas', '2').catch((e: Error) => e.message)).toBe(refused);
      expect(await p.eval("return redis.call('set', 'min-replicas', '3')", 0).catch((e: Error) => e.message)).toContain(refused);
      expect(await p.multi().set('min-replicas', '4').exec().catch((e: Error) => e.message)).toContain('EXECABORT');
      // Reads go on, and a replica (whose writes come from its primary) is not held to it.
      expect(await p.get('min-replicas')).toBe('1');
      expect((await info(primary.port)).min_slaves_good_slaves).toBe('2');
      expect(await p.config('SET', 'min-replicas-max-lag', '0')).toBe('OK');
      expect(await p.set('min-replicas', '5')).toBe('OK');
      expect((await info(primary.port)).min_slaves_good_slaves).toBeUndefined();
    } finally {
      await p.config('SET', 'min-replicas-to-write', '0');
      await p.config('SET', 'min-replicas-max-lag', '10');
    }
  });

  it('WAIT 1 also gives the other live replica a short grace: 2 when both answer, 1 after the grace when one is frozen, at once when it has been silent past 1.5 s', async () => {
    await p.set('wait-grace', '1');
    // Both live: the write is on both when WAIT 1 answers.
    expect(await p.call('wait', '1', '5000')).toBe(2);
    r2.process.kill('SIGSTOP');
    try {
      await p.set('wait-grace', '2');
      let t = performance.now();
      expect(await p.call('wait', '1', '5000')).toBe(1);
      const graced = performance.now() - t;
      expect(graced).toBeGreaterThanOrEqual(900);
      expect(graced).toBeLessThan(3000);
      // A replica silent for longer than a second and a half is not waited for.
      await new Promise((r) => setTimeout(r, 1700));
      await p.set('wait-grace', '3');
      t = performance.now();
      expect(await p.call('wait', '1', '5000')).toBe(1);
      expect(performance.now() - t).toBeLessThan(500);
      // WAIT 0 and a timeout shorter than the grace keep Redis's meaning.
      expect(await p.call('wait', '0', '0')).toBe(1);
      expect(await p.call('wait', '2', '30')).toBe(1);
    } finally {
      r2.process.kill('SIGCONT');
    }
    await synced();
    expect(await q2.get('wait-grace')).toBe('3');
  });

  it('node-redis reads on a replica what ioredis wrote on the primary; ROLE and INFO describe the topology', async () => {
    const nr = await nodeRedis(r2.port);
    try {
      await p.set('nr', 'node-redis');
      await synced();
      expect(await nr.get('nr')).toBe('node-redis');
      const role = (await nr.sendCommand(['ROLE'])) as unknown[];
      expect(role.slice(0, 4)).toEqual(['slave', host, primary.port, 'connected']);
      expect(typeof role[4]).toBe('number');
    } finally {
      await nr.quit();
    }
    const role = (await p.call('role')) as [string, number, string[][]];
    expect(role[0]).toBe('master');
    expect(role[2].map((r) => r[1]).sort()).toEqual([String(r1.port), String(r2.port)].sort());
    const pi = await info(primary.port);
    expect(pi.role).toBe('master');
    expect(pi.connected_slaves).toBe('2');
    expect(pi.slave0).toMatch(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/);
    const ri = await info(r1.port);
    expect(ri).toMatchObject({ role: 'slave', master_host: host, master_port: String(primary.port), master_link_status: 'up', master_sync_in_progress: '0', slave_read_only: '1', slave_priority: '100', replica_announced: '1', master_replid: pi.master_replid });
  });

  it.skipIf(redisCliMissing)('redis-cli: WAIT after a write counts both replicas', async () => {
    const out = await redisCli(primary.port, [], 'set cli-key v\nwait 2 5000\n');
    expect(out.trim().split('\n')).toEqual(['OK', '2']);
    expect((await redisCli(r1.port, ['get', 'cli-key'])).trim()).toBe('v');
  });

  it('SEAL ROTATE on the primary rotates the replicas\' data keys too', async () => {
    const before = (await info(r1.port, 'sealkv')).key_id;
    await p.call('seal', 'rotate');
    await p.set('after-rotate', 'x');
    await synced();
    await waitFor('the replica to rotate', async () => (await info(r1.port, 'sealkv')).key_id !== before, 5000);
    expect((await info(r1.port, 'sealkv')).key_id).toBe((await info(primary.port, 'sealkv')).key_id);
    expect(await q1.get('before')).toBe('copied');
  });

  it('REPLICAOF NO ONE promotes a replica, which keeps its data and the old history as replid2', async () => {
    const pi = await info(primary.port);
    expect(await q2.call('replicaof', 'no', 'one')).toBe('OK');
    const ri = await info(r2.port);
    expect(ri.role).toBe('master');
    expect(ri.master_replid2).toBe(pi.master_replid);
    expect(Number(ri.second_repl_offset)).toBeGreaterThan(0);
    expect(await q2.get('before')).toBe('copied');
    await q2.set('writable-now', '1');
    // r1 follows r2 now: it continues from r2's backlog (the same history) without a full copy.
    const fullBefore = Number((await info(r2.port, 'stats')).sync_full);
    expect(await q1.call('replicaof', host, String(r2.port))).toBe('OK');
    await linkUp(r1.port);
    await waitFor('writable-now on r1', async () => (await q1.get('writable-now')) === '1');
    expect(Number((await info(r2.port, 'stats')).sync_full)).toBe(fullBefore);
    expect(Number((await info(r2.port, 'stats')).sync_partial_ok)).toBeGreaterThanOrEqual(1);
  });
});

describe('replication: refusals and partial resync', () => {
  it('a replica under another master key is refused with a clear error', async () => {
    const primary = await startNode(KEY);
    const other = await startNode(newMasterKey(), [], { host, port: primary.port });
    try {
      expect(await other.waitForOutput('master key mismatch', 8000)).toBe(true);
      expect((await info(other.port)).master_link_status).toBe('down');
      expect(primary.output()).toContain('refused a replica whose master key differs');
      expect((await info(primary.port)).connected_slaves).toBe('0');
    } finally {
      await Promise.all([primary.stop(), other.stop()]);
    }
  }, 20000);

  it('after a 2 s cut of the link the replica resumes from the backlog, without a full copy', async () => {
    const primary = await startNode(KEY);
    const relay = await new TcpRelay({ host, port: primary.port }).start();
    const replica = await startNode(KEY, [], { host, port: relay.port });
    const p = ioredis(primary.port);
    const q = ioredis(replica.port);
    try {
      await linkUp(replica.port);
      for (let i = 0; i < 200; i++) await p.set(`k${i}`, `v${i}`);
      expect(await p.call('wait', '1', '5000')).toBe(1);
      const stats0 = await info(primary.port, 'stats');
      relay.cut();
      await waitFor('the link to drop', async () => (await info(replica.port)).master_link_status === 'down');
      // Writes while the replica is away.
      for (let i = 200; i < 400; i++) await p.set(`k${i}`, `v${i}`);
      await p.del('k0');
      await new Promise((r) => setTimeout(r, 2000));
      relay.restore();
      await linkUp(replica.port);
      await waitFor('the writes made during the cut', async () => (await q.get('k399')) === 'v399');
      expect(await q.exists('k0')).toBe(0);
      expect(await q.dbsize()).toBe(399);
      const stats1 = await info(primary.port, 'stats');
      expect(Number(stats1.sync_full)).toBe(Number(stats0.sync_full));
      expect(Number(stats1.sync_partial_ok)).toBe(Number(stats0.sync_partial_ok) + 1);
    } finally {
      p.disconnect();
      q.disconnect();
      await relay.close();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }, 40000);

  it('a replica whose offset left the backlog gets a full copy instead', async () => {
    const primary = await startNode(KEY, ['--repl-backlog-size', '16384']);
    const relay = await new TcpRelay({ host, port: primary.port }).start();
    const replica = await startNode(KEY, [], { host, port: relay.port });
    const p = ioredis(primary.port);
    const q = ioredis(replica.port);
    try {
      await linkUp(replica.port);
      relay.cut();
      await waitFor('the link to drop', async () => (await info(replica.port)).master_link_status === 'down');
      // Far more than 16 KB of stream.
      for (let i = 0; i < 100; i++) await p.set(`big${i}`, 'x'.repeat(1000));
      relay.restore();
      await linkUp(replica.port);
      await waitFor('the copy', async () => (await q.dbsize()) === 100);
      expect(Number((await info(primary.port, 'stats')).sync_full)).toBe(2);
    } finally {
      p.disconnect();
      q.disconnect();
      await relay.close();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }, 40000);

  it('a primary with requirepass takes a replica that proves the master key (no password on the replica)', async () => {
    const primary = await startNode(KEY, ['--requirepass', 'pw-for-clients']);
    const replica = await startNode(KEY, [], { host, port: primary.port });
    const p = ioredis(primary.port, { password: 'pw-for-clients' });
    const q = ioredis(replica.port);
    try {
      await linkUp(replica.port);
      // The replica's port reached the primary: the key check logged it in before REPLCONF
      // listening-port (Sentinel finds replicas at the port INFO lists; it was 0 before).
      expect(await p.info('replication')).toContain(`,port=${replica.port},`);
      await p.set('auth-k', 'v');
      expect(await p.call('wait', '1', '5000')).toBe(1);
      expect(await q.get('auth-k')).toBe('v');
      // Without the proof, REPLCONF is refused like any command before AUTH.
      const { data } = await rawExchange(primary.port, encodeCommand(['REPLCONF', 'listening-port', '1']));
      expect(data.toString()).toBe('-NOAUTH Authentication required.\r\n');
    } finally {
      p.disconnect();
      q.disconnect();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }, 30000);

  it('repl-backlog-ttl: a primary left without replicas frees its backlog under a new id', async () => {
    const primary = await startNode(KEY, ['--repl-backlog-ttl', '1']);
    const replica = await startNode(KEY, [], { host, port: primary.port });
    try {
      await linkUp(replica.port);
      const before = await info(primary.port);
      expect(before.repl_backlog_active).toBe('1');
      await replica.stop();
      await waitFor('the backlog to be freed', async () => (await info(primary.port)).repl_backlog_active === '0', 10000);
      const after = await info(primary.port);
      expect(after.master_replid).not.toBe(before.master_replid);
      expect(Number(after.master_repl_offset)).toBeGreaterThanOrEqual(Number(before.master_repl_offset));
    } finally {
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }, 30000);

  it('with --seal-keys, key names replicate and stay sealed', async () => {
    const primary = await startNode(KEY, ['--seal-keys', 'yes']);
    const replica = await startNode(KEY, ['--seal-keys', 'yes'], { host, port: primary.port });
    const p = ioredis(primary.port);
    const q = ioredis(replica.port);
    try {
      await linkUp(replica.port);
      await p.set('secret-name', 'secret-value');
      await p.hset('h-name', 'f', 'v');
      expect(await p.call('wait', '1', '5000')).toBe(1);
      expect(await q.get('secret-name')).toBe('secret-value');
      expect((await q.keys('*')).sort()).toEqual(['h-name', 'secret-name']);
    } finally {
      p.disconnect();
      q.disconnect();
      await Promise.all([primary.stop(), replica.stop()]);
    }
  }, 30000);
});
