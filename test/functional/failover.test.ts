// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] as Redis 7.0 does it: the argument and
// state errors beside redis-server byte for byte (a lone primary, a primary with a replica, a
// failover kept waiting by a stopped replica), then the handover between two sealkv processes:
// writes paused, the replica's offset awaited, PSYNC ... FAILOVER, roles swapped without a full
// copy, the held writes answered READONLY, INFO master_failover_state along the way.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compareWithRedis, hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';

const LONE: Record<string, string[][]> = {
  'FAILOVER without replicas': [['FAILOVER'], ['FAILOVER', 'TIMEOUT', '100'], ['FAILOVER', 'TO', '127.0.0.1', '1'], ['FAILOVER', 'FORCE'], ['FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE', 'TIMEOUT', '10']],
  'FAILOVER ABORT with nothing to abort': [['FAILOVER', 'ABORT'], ['failover', 'abort'], ['FAILOVER', 'ABORT', 'TIMEOUT', '5'], ['FAILOVER', 'TIMEOUT', '5', 'ABORT']],
  'FAILOVER TIMEOUT errors': [
    ['FAILOVER', 'TIMEOUT', '0'], ['FAILOVER', 'TIMEOUT', '-1'], ['FAILOVER', 'TIMEOUT', 'x'], ['FAILOVER', 'TIMEOUT', '1.5'],
    ['FAILOVER', 'TIMEOUT', '99999999999999999999'], ['FAILOVER', 'TIMEOUT'], ['FAILOVER', 'TIMEOUT', '5', 'TIMEOUT', '5'],
  ],
  'FAILOVER TO errors': [
    ['FAILOVER', 'TO'], ['FAILOVER', 'TO', 'h'], ['FAILOVER', 'TO', 'h', 'x'], ['FAILOVER', 'TO', 'h', '70000'],
    ['FAILOVER', 'TO', 'h', '1', 'TO', 'h', '2'], ['FAILOVER', 'FORCE', 'FORCE'], ['FAILOVER', 'NOSUCH'], ['FAILOVER', 'to', 'h', '-5', 'force'],
  ],
  'FAILOVER inside MULTI and scripts': [['MULTI'], ['FAILOVER'], ['FAILOVER', 'ABORT'], ['EXEC'], ['EVAL', "return redis.call('failover')", '0']],
  'PSYNC FAILOVER sent to a master': [['PSYNC', '?', '-1', 'FAILOVER'], ['PSYNC', 'abc', '1', 'failover']],
  'INFO and ROLE untouched': [['CONFIG', 'GET', 'replicaof']],
};

compareWithRedis('FAILOVER on a lone primary vs redis-server 7.0', LONE, () => startInProcess());

/** One connection's replies to commands. */
async function replies(port: number, commands: string[][]): Promise<string[]> {
  const c = await ReplyConnection.open(port);
  try {
    const out: string[] = [];
    for (const cmd of commands) out.push(await c.send(cmd));
    return out;
  } finally {
    c.close();
  }
}

function infoField(reply: string, name: string): string | undefined {
  return reply.split('\r\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1);
}

describe.skipIf(!hasRedisServer)('FAILOVER with a replica, beside redis-server 7.0', () => {
  const key = newMasterKey();
  let dir: string;
  let redisPrimary: ReferenceRedis;
  let redisReplica: ReferenceRedis;
  let primary: SpawnedServer;
  let replica: SpawnedServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-failover-redis-'));
    redisPrimary = await startRedis(['--dir', dir]);
    redisReplica = await startRedis(['--dir', dir]);
    await replies(redisReplica.port, [['REPLICAOF', '127.0.0.1', String(redisPrimary.port)]]);
    primary = await startNode(key);
    replica = await startNode(key, [], { host: '127.0.0.1', port: primary.port });
    await Promise.all([linkUp(replica.port), linkUp(redisReplica.port)]);
    await waitFor('both replicas online', async () =>
      (await info(redisPrimary.port)).slave0?.includes('state=online') === true && (await info(primary.port)).slave0?.includes('state=online') === true);
  }, 30000);

  afterAll(async () => {
    for (const pid of [redisReplica?.pid]) if (pid) try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
    replica?.process.kill('SIGCONT');
    await Promise.all([redisPrimary?.stop(), redisReplica?.stop(), primary?.stop(), replica?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives Redis\'s errors for a target that is not a replica, FORCE without TO and TIMEOUT, and on the replica', async () => {
    const onPrimary = [
      ['FAILOVER', 'TO', '127.0.0.1', '1'],
      ['FAILOVER', 'TO', '10.255.255.1', '6379', 'TIMEOUT', '50'],
      ['FAILOVER', 'FORCE'],
      ['FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE'],
      ['FAILOVER', 'FORCE', 'TIMEOUT', '100'],
      ['FAILOVER', 'ABORT'],
    ];
    expect(await replies(primary.port, onPrimary)).toEqual(await replies(redisPrimary.port, onPrimary));
    const onReplica = [['FAILOVER'], ['FAILOVER', 'ABORT'], ['FAILOVER', 'TIMEOUT', '0'], ['PSYNC', '?', '-1', 'FAILOVER', 'x']];
    const theirs = await replies(redisReplica.port, onReplica);
    const ours = await replies(replica.port, onReplica);
    // PSYNC FAILOVER with a foreign replid: Redis checks the replid; sealkv first wants the
    // master-key proof a real primary gives before PSYNC (a client without it is refused).
    expect(ours.slice(0, 3)).toEqual(theirs.slice(0, 3));
    expect(theirs[3]).toBe('-ERR PSYNC FAILOVER replid must match my replid.\r\n');
    expect(ours[3]).toMatch(/^-/);
  });

  it('while waiting for a stopped replica: the same state errors, INFO waiting-for-sync, writes held, then ABORT lets them through', async () => {
    const run = async (primaryPort: number, stop: () => void, cont: () => void) => {
      // The replica stops acknowledging; the primary's offset moves past what it acknowledged.
      stop();
      const out: string[] = [];
      const c = await ReplyConnection.open(primaryPort);
      const writer = await ReplyConnection.open(primaryPort);
      try {
        out.push(await c.send(['SET', 'before', '1']));
        out.push(await c.send(['FAILOVER', 'TIMEOUT', '60000']));
        out.push(await c.send(['FAILOVER']));
        out.push(await c.send(['FAILOVER', 'TO', '127.0.0.1', '1']));
        out.push(await c.send(['REPLICAOF', '127.0.0.1', '1']));
        out.push(await c.send(['REPLICAOF', 'NO', 'ONE']));
        out.push(String(infoField(await c.send(['INFO', 'replication']), 'master_failover_state')));
        // A write is held while the failover waits; reads are not.
        out.push(await writer.send(['SET', 'held', '1'], 300));
        out.push(await c.send(['GET', 'before']));
        out.push(await c.send(['FAILOVER', 'ABORT']));
        out.push(await writer.send(['PING']));
        out.push(String(infoField(await c.send(['INFO', 'replication']), 'master_failover_state')));
        out.push(await c.send(['GET', 'held']));
        out.push(await c.send(['FAILOVER', 'ABORT']));
        return out;
      } finally {
        cont();
        c.close();
        writer.close();
      }
    };
    const theirs = await run(redisPrimary.port, () => process.kill(redisReplica.pid, 'SIGSTOP'), () => process.kill(redisReplica.pid, 'SIGCONT'));
    const ours = await run(primary.port, () => replica.process.kill('SIGSTOP'), () => replica.process.kill('SIGCONT'));
    expect(ours).toEqual(theirs);
    expect(ours[6]).toBe('waiting-for-sync');
    expect(ours[7]).toBe('<timeout>');
    // The held SET answered after ABORT, before the PING sent after it.
    expect(ours[10]).toBe('+OK\r\n');
    expect(ours[11]).toBe('no-failover');
    expect(ours[12]).toBe('$1\r\n1\r\n');
  }, 30000);

  it('TIMEOUT without FORCE gives up: the primary stays a primary and writes go on', async () => {
    replica.process.kill('SIGSTOP');
    try {
      const ours = await replies(primary.port, [['SET', 'x', '1'], ['FAILOVER', 'TIMEOUT', '300']]);
      expect(ours).toEqual(['+OK\r\n', '+OK\r\n']);
      await waitFor('the failover to time out', async () => (await replies(primary.port, [['INFO', 'replication']])).some((r) => infoField(r, 'master_failover_state') === 'no-failover'), 5000);
      expect(await replies(primary.port, [['SET', 'x', '2'], ['ROLE']])).toEqual(expect.arrayContaining(['+OK\r\n']));
      expect((await info(primary.port)).role).toBe('master');
      expect(primary.output()).toContain('Replica never caught up before timeout');
    } finally {
      replica.process.kill('SIGCONT');
    }
    await linkUp(replica.port);
  }, 20000);
});

describe('FAILOVER between two sealkv processes', () => {
  const key = newMasterKey();
  let a: SpawnedServer;
  let b: SpawnedServer;

  beforeAll(async () => {
    a = await startNode(key, ['--repl-ping-replica-period', '1']);
    b = await startNode(key, ['--repl-ping-replica-period', '1'], { host: '127.0.0.1', port: a.port });
    await linkUp(b.port);
  }, 30000);

  afterEach(() => {
    b?.process.kill('SIGCONT');
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('hands over to the replica: writes paused, PSYNC FAILOVER, roles swapped without a full copy, held writes answered READONLY', async () => {
    const before = await replies(a.port, [['SET', 'k1', 'v1'], ['SET', 'k2', 'v2'], ['WAIT', '1', '2000']]);
    expect(before).toEqual(['+OK\r\n', '+OK\r\n', ':1\r\n']);
    const fullBefore = (await info(b.port, 'stats')).sync_full;
    const writer = await ReplyConnection.open(a.port);
    // A write held by the pause is answered once the failover is over: READONLY on the new replica.
    b.process.kill('SIGSTOP');
    expect(await replies(a.port, [['SET', 'k3', 'v3'], ['FAILOVER', 'TO', '127.0.0.1', String(b.port)]])).toEqual(['+OK\r\n', '+OK\r\n']);
    const held = writer.send(['SET', 'late', 'x'], 15000);
    expect(infoField((await replies(a.port, [['INFO', 'replication']]))[0]!, 'master_failover_state')).toBe('waiting-for-sync');
    b.process.kill('SIGCONT');
    await waitFor('the roles to swap', async () => (await info(b.port)).role === 'master' && (await info(a.port)).master_link_status === 'up', 15000);
    expect(await held).toBe("-READONLY You can't write against a read only replica.\r\n");
    writer.close();
    const ai = await info(a.port);
    expect(ai.role).toBe('slave');
    expect(ai.master_port).toBe(String(b.port));
    expect(ai.master_failover_state).toBe('no-failover');
    // Everything written before the failover is on the new primary; it went on from its backlog.
    expect(await replies(b.port, [['MGET', 'k1', 'k2', 'k3', 'late']])).toEqual(['*4\r\n$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n$-1\r\n']);
    const bs = await info(b.port, 'stats');
    expect(bs.sync_full).toBe(fullBefore);
    expect(Number(bs.sync_partial_ok)).toBeGreaterThanOrEqual(1);
    // The new primary's writes reach the old one; the old one's config says whom it follows.
    expect(await replies(b.port, [['SET', 'after', 'yes'], ['WAIT', '1', '2000']])).toEqual(['+OK\r\n', ':1\r\n']);
    expect(await replies(a.port, [['GET', 'after'], ['CONFIG', 'GET', 'replicaof']])).toEqual([
      '$3\r\nyes\r\n', `*2\r\n$9\r\nreplicaof\r\n$${`127.0.0.1 ${b.port}`.length}\r\n127.0.0.1 ${b.port}\r\n`,
    ]);
    expect(a.output()).toContain('FAILOVER completed');
    expect(b.output()).toContain('MASTER MODE enabled (failover request)');
  }, 40000);

  it('and back again, to any caught-up replica (FAILOVER without TO)', async () => {
    expect(await replies(b.port, [['SET', 'k4', 'v4'], ['FAILOVER']])).toEqual(['+OK\r\n', '+OK\r\n']);
    await waitFor('the roles to swap back', async () => (await info(a.port)).role === 'master' && (await info(b.port)).master_link_status === 'up', 15000);
    expect(await replies(a.port, [['MGET', 'k1', 'k4', 'after']])).toEqual(['*3\r\n$2\r\nv1\r\n$2\r\nv4\r\n$3\r\nyes\r\n']);
    expect((await info(b.port)).master_port).toBe(String(a.port));
  }, 30000);

  it('FORCE hands over after the timeout even though the replica has not caught up', async () => {
    b.process.kill('SIGSTOP');
    expect(await replies(a.port, [['SET', 'k5', 'v5'], ['FAILOVER', 'TO', '127.0.0.1', String(b.port), 'FORCE', 'TIMEOUT', '300']])).toEqual(['+OK\r\n', '+OK\r\n']);
    await waitFor('the forced handover to start', async () => infoField((await replies(a.port, [['INFO', 'replication']]))[0]!, 'master_failover_state') === 'failover-in-progress', 5000);
    b.process.kill('SIGCONT');
    await waitFor('the roles to swap', async () => (await info(b.port)).role === 'master' && (await info(a.port)).master_link_status === 'up', 15000);
    expect(a.output()).toContain('FAILOVER time out exceeded');
    // k5 was in b's socket buffer: it reads it before the PSYNC FAILOVER.
    expect(await replies(b.port, [['GET', 'k5']])).toEqual(['$2\r\nv5\r\n']);
  }, 30000);
});
