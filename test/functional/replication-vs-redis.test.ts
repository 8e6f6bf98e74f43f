// REPLICAOF, ROLE, WAIT, REPLCONF and INFO replication beside redis-server 7.0: the argument
// errors and master-side replies byte for byte (RESP2 and RESP3; ROLE's offset is left out:
// redis-server counts the harness's FLUSHALL in it, sealkv keeps no stream without a replica),
// and, on a primary with one
// replica of each server, the shape of ROLE and the field names of INFO replication in order
// (offsets, ports and ids differ by nature), and the READONLY refusal.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { compareWithRedis, hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';
import { redisCli } from '../helpers/clients.js';

const CASES: Record<string, string[][]> = {
  'REPLICAOF NO ONE on a master': [['REPLICAOF', 'NO', 'ONE'], ['SLAVEOF', 'no', 'one'], ['replicaof', 'No', 'One']],
  'REPLICAOF argument errors': [['REPLICAOF', '127.0.0.1', '70000'], ['REPLICAOF', '127.0.0.1', 'x'], ['REPLICAOF', '127.0.0.1', '-1'], ['REPLICAOF', 'a'], ['SLAVEOF', 'a', 'b', 'c']],
  'WAIT on a master without replicas': [['WAIT', '0', '0'], ['WAIT', '1', '10'], ['SET', 'k', 'v'], ['WAIT', '1', '10'], ['WAIT', '0', '100']],
  'WAIT argument errors': [['WAIT', 'x', '0'], ['WAIT', '1', 'x'], ['WAIT', '1', '-1'], ['WAIT', '1'], ['WAIT', '1', '1.5']],
  'WAIT and REPLICAOF inside MULTI': [['MULTI'], ['SET', 'k', 'v'], ['WAIT', '5', '0'], ['REPLICAOF', 'NO', 'ONE'], ['EXEC']],
  'REPLCONF options': [['REPLCONF', 'listening-port', '1234'], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], ['REPLCONF', 'listening-port', 'x'], ['REPLCONF', 'nosuch', 'x'], ['REPLCONF', 'capa'], ['REPLCONF']],
  'PSYNC and SYNC are refused inside MULTI': [['MULTI'], ['PSYNC', '?', '-1'], ['SYNC'], ['EXEC']],
  // Redis suite, scripting.tcl "not enough good replicas": a script that declares flags without
  // no-writes is a write command for min-replicas-to-write, whatever it does.
  'min-replicas-to-write unmet: scripts and functions that may write are refused': [
    ['SET', 'x', 'some value'], ['CONFIG', 'SET', 'min-replicas-to-write', '1'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get','x')", '1', 'x'],
    ['EVAL', "return redis.call('get','x')", '1', 'x'],
    ['EVAL', "#!lua\nreturn redis.call('get','x')", '1', 'x'],
    ['EVAL', "return redis.call('set','x',1)", '1', 'x'],
    ['EVAL_RO', "#!lua\nreturn 1", '0'],
    ['EVAL_RO', "#!lua flags=no-writes\nreturn 1", '0'],
    ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=mr\nredis.register_function('w', function() return 1 end)\nredis.register_function{function_name='r', callback=function() return 2 end, flags={'no-writes'}}"],
    ['FCALL', 'w', '0'], ['FCALL', 'r', '0'], ['FCALL_RO', 'w', '0'], ['FCALL_RO', 'r', '0'],
    ['CONFIG', 'SET', 'min-replicas-to-write', '0'], ['FCALL', 'w', '0'], ['FUNCTION', 'FLUSH'],
  ],
  // The same server-state refusals over maxmemory (a key first: sealkv counts the dataset only).
  'over maxmemory: scripts and functions that may write are refused with the command OOM error': [
    ['SET', 'filler', 'x'], ['CONFIG', 'SET', 'maxmemory', '1'],
    ['EVAL', '#!lua\nreturn 1', '0'], ['EVAL_RO', '#!lua\nreturn 1', '0'],
    ['EVAL', '#!lua flags=allow-oom\nreturn 1', '0'], ['EVAL_RO', '#!lua flags=allow-oom\nreturn 1', '0'],
    ['EVAL', '#!lua flags=no-writes\nreturn 2', '0'], ['EVAL', 'return 3', '0'],
    ['CONFIG', 'SET', 'maxmemory', '0'],
    ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=mo\nredis.register_function('w', function() return 1 end)"],
    ['CONFIG', 'SET', 'maxmemory', '1'], ['FCALL', 'w', '0'], ['FCALL_RO', 'w', '0'],
    ['CONFIG', 'SET', 'maxmemory', '0'], ['FUNCTION', 'FLUSH'],
  ],
};

compareWithRedis('replication commands vs redis-server 7.0', CASES, () => startInProcess());

/** RESP reply with numbers, ids and ports replaced by placeholders: its shape. */
function shape(reply: string): string {
  return reply
    .replace(/[0-9a-f]{40}/g, '<id>')
    .replace(/:-?\d+\r\n/g, ':<n>\r\n')
    .replace(/\$\d+\r\n\d+\r\n/g, '$<len>\r\n<n>\r\n');
}

function fieldNames(fields: Record<string, string>): string[] {
  return Object.keys(fields).map((k) => k.replace(/^slave\d+$/, 'slaveN'));
}

describe.skipIf(!hasRedisServer)('a primary with a replica, beside redis-server 7.0', () => {
  const key = newMasterKey();
  let redisPrimary: ReferenceRedis;
  let redisReplica: ReferenceRedis;
  let primary: SpawnedServer;
  let replica: SpawnedServer;
  let dir: string;

  beforeAll(async () => {
    // A Redis replica writes the RDB it receives into its dir: a temporary one, not the checkout.
    dir = mkdtempSync(join(tmpdir(), 'sealkv-repl-redis-'));
    redisPrimary = await startRedis(['--dir', dir]);
    redisReplica = await startRedis(['--dir', dir]);
    const c = await ReplyConnection.open(redisReplica.port);
    await c.send(['REPLICAOF', '127.0.0.1', String(redisPrimary.port)]);
    c.close();
    primary = await startNode(key);
    replica = await startNode(key, [], { host: '127.0.0.1', port: primary.port });
    await linkUp(replica.port);
    await linkUp(redisReplica.port);
    // Both primaries have seen an acknowledgement, so their slave0 lines say online.
    await waitFor('acks', async () => (await info(redisPrimary.port)).slave0?.includes('state=online') === true && (await info(primary.port)).slave0?.includes('state=online') === true);
  }, 30000);

  afterAll(async () => {
    await Promise.all([redisPrimary?.stop(), redisReplica?.stop(), primary?.stop(), replica?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('INFO replication has Redis\'s fields in Redis\'s order, on the primary and on the replica', async () => {
    expect(fieldNames(await info(primary.port))).toEqual(fieldNames(await info(redisPrimary.port)));
    expect(fieldNames(await info(replica.port))).toEqual(fieldNames(await info(redisReplica.port)));
    const s = await info(primary.port, 'stats');
    expect(s).toHaveProperty('sync_full', '1');
  });

  // Found by Redis's integration/shutdown unit (connected_clients:4 where Redis says 3).
  it('connected_clients leaves replica connections out and counts a replica\'s link to its master, as Redis', async () => {
    const count = async (port: number) => Number((await info(port, 'clients')).connected_clients);
    // redis-cli's own connection is the only other client on each server.
    await waitFor('the same counts', async () =>
      (await count(primary.port)) === (await count(redisPrimary.port)) && (await count(replica.port)) === (await count(redisReplica.port)));
    expect(await count(primary.port)).toBe(1);
    expect(await count(replica.port)).toBe(2);
  });

  // Found by Redis's integration/replication-psync unit, which breaks the link from the replica
  // with CLIENT KILL <master address>: sealkv's link was no client, so nothing was killed.
  it('the replica link is a client on both sides: flags=S on the primary, CLIENT KILL TYPE master / its address on the replica resume with a partial resync', async () => {
    const flagsOn = async (port: number) => (await redisCli(port, ['client', 'list', 'type', 'replica'])).match(/flags=(\S+)/)?.[1];
    expect(await flagsOn(primary.port)).toBe('S');
    expect(await flagsOn(redisPrimary.port)).toBe('S');
    const partial = async (port: number) => Number((await info(port, 'stats')).sync_partial_ok);
    // The same steps on sealkv's pair, then on redis-server's.
    for (const [ours, up] of [[replica.port, primary.port], [redisReplica.port, redisPrimary.port]] as const) {
      const before = await partial(up);
      const full = (await info(up, 'stats')).sync_full;
      // TYPE master chooses the link (and nothing on a primary); the old form takes its address.
      expect((await redisCli(ours, ['client', 'kill', 'type', 'master'])).trim()).toBe('1');
      expect((await redisCli(up, ['client', 'kill', 'type', 'master'])).trim()).toBe('0');
      await waitFor('the partial resync', async () => (await partial(up)) === before + 1 && (await info(ours)).master_link_status === 'up');
      const master = `127.0.0.1:${up}`;
      expect((await redisCli(ours, ['client', 'kill', master])).trim()).toBe('OK');
      await waitFor('the second partial resync', async () => (await partial(up)) === before + 2 && (await info(ours)).master_link_status === 'up');
      expect((await info(up, 'stats')).sync_full).toBe(full);
    }
  }, 30000);

  it('ROLE has the same shape on the primary and on the replica', async () => {
    for (const [ours, theirs] of [[primary.port, redisPrimary.port], [replica.port, redisReplica.port]] as const) {
      const a = await ReplyConnection.open(ours);
      const b = await ReplyConnection.open(theirs);
      try {
        for (const protocol of [2, 3]) {
          if (protocol === 3) {
            await a.send(['HELLO', '3']);
            await b.send(['HELLO', '3']);
          }
          expect(shape(await a.send(['ROLE']))).toBe(shape(await b.send(['ROLE'])));
        }
      } finally {
        a.close();
        b.close();
      }
    }
  });

  it('writes on the read-only replica get the same error, WAIT on a replica too', async () => {
    for (const cmd of [['SET', 'k', 'v'], ['WAIT', '1', '0'], ['MULTI'], ['SET', 'k', 'v'], ['EXEC'], ['EVAL', "return redis.call('set','k','v')", '0']]) {
      const a = await ReplyConnection.open(replica.port);
      const b = await ReplyConnection.open(redisReplica.port);
      try {
        const ra = await a.send(cmd);
        const rb = await b.send(cmd);
        // Redis words a script's error with the script's location; compare the error itself.
        expect(ra.replace(/ script: .*$/s, '')).toBe(rb.replace(/ script: .*$/s, ''));
      } finally {
        a.close();
        b.close();
      }
    }
    const a = await ReplyConnection.open(replica.port);
    const b = await ReplyConnection.open(redisReplica.port);
    try {
      const seq = [['MULTI'], ['SET', 'k', 'v'], ['GET', 'k'], ['EXEC']];
      const ra: string[] = [];
      const rb: string[] = [];
      for (const c of seq) {
        ra.push(await a.send(c));
        rb.push(await b.send(c));
      }
      expect(ra).toEqual(rb);
    } finally {
      a.close();
      b.close();
    }
  });

  it('REPLICAOF to the master already followed, then NO ONE, as Redis answers', async () => {
    const a = await ReplyConnection.open(replica.port);
    const b = await ReplyConnection.open(redisReplica.port);
    try {
      expect(await a.send(['REPLICAOF', '127.0.0.1', String(primary.port)])).toBe(await b.send(['REPLICAOF', '127.0.0.1', String(redisPrimary.port)]));
      expect(await a.send(['REPLICAOF', 'NO', 'ONE'])).toBe(await b.send(['REPLICAOF', 'NO', 'ONE']));
      expect(fieldNames(await info(replica.port))).toEqual(fieldNames(await info(redisReplica.port)));
    } finally {
      a.close();
      b.close();
    }
  });
});
