// replica-serve-stale-data no, beside redis-server 7.0: a replica whose link to its primary is
// down answers MASTERDOWN to every command without Redis's `stale` flag (inside MULTI too, where
// the refusal dooms the transaction), scripts run only with the allow-stale flag and may then
// call only `stale` commands. Both servers point at the same dead port and get the same
// commands; every reply must be the same bytes (RESP2 and RESP3). Then, on sealkv alone, a
// replica with a live link serves normally and starts answering MASTERDOWN when its primary dies.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { freePort, startInProcess, type InProcessServer, type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';

const LIB = '#!lua name=stale\n' +
  "redis.register_function{function_name='plain', callback=function() return 'hello' end, flags={'no-writes'}}\n" +
  "redis.register_function{function_name='fresh', callback=function() return 'hello' end, flags={'allow-stale', 'no-writes'}}\n" +
  "redis.register_function{function_name='reads', callback=function() return redis.call('get', 'x') end, flags={'allow-stale', 'no-writes'}}\n" +
  "redis.register_function{function_name='echoes', callback=function() return redis.call('echo', 'e') end, flags={'allow-stale', 'no-writes'}}";

const ECHO_SCRIPT = "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')";
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

const CASES: Record<string, string[][]> = {
  'data commands are refused': [['GET', 'k'], ['SET', 'k', 'v'], ['DBSIZE'], ['EXISTS', 'k'], ['KEYS', '*'], ['SCAN', '0'], ['TTL', 'k'], ['DEL', 'k'], ['FLUSHALL']],
  'PING is refused, ECHO and the connection commands are not': [['PING'], ['PING', 'x'], ['ECHO', 'x'], ['SELECT', '1'], ['SELECT', '0'], ['CLIENT', 'SETNAME', 'n'], ['CLIENT', 'GETNAME']],
  'configuration and pub/sub still answer': [['CONFIG', 'GET', 'replica-serve-stale-data'], ['CONFIG', 'GET', 'slave-serve-stale-data'], ['PUBLISH', 'c', 'm'], ['PUBSUB', 'NUMSUB', 'c']],
  'arity and unknown commands are checked first': [['GET'], ['NOSUCH'], ['CONFIG', 'NOSUCH']],
  'a refused command dooms the transaction': [['MULTI'], ['GET', 'k'], ['ECHO', 'a'], ['EXEC']],
  'a transaction of stale commands runs': [['MULTI'], ['ECHO', 'a'], ['SELECT', '0'], ['EXEC']],
  'PING inside MULTI': [['MULTI'], ['PING'], ['EXEC'], ['DISCARD']],
  'WATCH and UNWATCH answer': [['WATCH', 'k'], ['UNWATCH']],
  'scripts need allow-stale': [
    ['EVAL', "return redis.call('get','x')", '1', 'x'],
    ['EVAL', '#!lua flags=no-writes\nreturn 1', '0'],
    ['EVAL', '#!lua flags=allow-stale,no-writes\nreturn 1', '0'],
    ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", '1', 'x'],
    ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", '0'],
    ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.pcall('ping')", '0'],
    ['EVAL_RO', '#!lua flags=allow-stale,no-writes\nreturn 2', '0'],
    ['SCRIPT', 'LOAD', ECHO_SCRIPT],
    ['EVALSHA', sha1(ECHO_SCRIPT), '0'],
    ['EVALSHA', sha1('unknown'), '0'],
  ],
  'functions need allow-stale': [['FCALL', 'plain', '0'], ['FCALL', 'fresh', '0'], ['FCALL', 'reads', '0'], ['FCALL_RO', 'echoes', '0'], ['FUNCTION', 'LOAD', LIB]],
  'serving again once replica-serve-stale-data is yes': [
    ['CONFIG', 'SET', 'replica-serve-stale-data', 'yes'], ['GET', 'k'], ['EVAL', 'return 1', '0'], ['PING'],
    ['CONFIG', 'SET', 'replica-serve-stale-data', 'no'], ['GET', 'k'],
  ],
};

describe.skipIf(!hasRedisServer)('replica-serve-stale-data no on a replica whose primary is gone, beside redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;

  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
    // Nothing listens there: both replicas stay in "connect" for the whole file.
    const dead = String(await freePort());
    for (const port of [redis.port, sealkv.port]) {
      const c = await ReplyConnection.open(port);
      // The library is loaded while the node is still a primary (FUNCTION LOAD is not `stale`).
      expect(await c.send(['FUNCTION', 'LOAD', LIB])).toBe('$5\r\nstale\r\n');
      expect(await c.send(['CONFIG', 'SET', 'replica-serve-stale-data', 'no'])).toBe('+OK\r\n');
      expect(await c.send(['REPLICAOF', '127.0.0.1', dead])).toBe('+OK\r\n');
      c.close();
    }
  });

  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  async function replies(port: number, protocol: 2 | 3, commands: string[][]): Promise<string[]> {
    const c = await ReplyConnection.open(port);
    try {
      if (protocol === 3) expect((await c.send(['HELLO', '3']))[0]).toBe('%');
      const out: string[] = [];
      for (const cmd of commands) out.push(await c.send(cmd));
      return out;
    } finally {
      c.close();
    }
  }

  for (const protocol of [2, 3] as const) {
    for (const [name, commands] of Object.entries(CASES)) {
      it(`RESP${protocol}: ${name}`, async () => {
        const expected = await replies(redis.port, protocol, commands);
        const actual = await replies(sealkv.port, protocol, commands);
        const show = (r: string[]) => commands.map((c, i) => `${c.join(' ').slice(0, 60)} -> ${JSON.stringify(r[i])}`);
        expect(show(actual)).toEqual(show(expected));
      });
    }
  }

  it('INFO and ROLE answer (both `stale`); the refusal is exactly Redis\'s text', async () => {
    const c = await ReplyConnection.open(sealkv.port);
    try {
      expect(await c.send(['INFO', 'replication'])).toContain('role:slave');
      expect((await c.send(['ROLE'])).startsWith('*5\r\n$5\r\nslave\r\n')).toBe(true);
      expect(await c.send(['GET', 'k'])).toBe("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
      const call = await c.send(['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", '1', 'x']);
      expect(call.startsWith('-ERR Can not execute the command on a stale replica')).toBe(true);
    } finally {
      c.close();
    }
  });
});

describe('replica-serve-stale-data no follows the link', () => {
  const key = newMasterKey();
  let primary: SpawnedServer;
  let replica: SpawnedServer;

  beforeAll(async () => {
    primary = await startNode(key);
    replica = await startNode(key, ['--replica-serve-stale-data', 'no', '--repl-timeout', '2'], { host: '127.0.0.1', port: primary.port });
    await linkUp(replica.port);
  }, 30000);

  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
  });

  it('serves while the link is up, answers MASTERDOWN once the primary is gone, and serves again after REPLICAOF NO ONE', async () => {
    const p = await ReplyConnection.open(primary.port);
    expect(await p.send(['SET', 'k', 'v'])).toBe('+OK\r\n');
    p.close();
    const r = await ReplyConnection.open(replica.port);
    try {
      await waitFor('the write on the replica', async () => (await r.send(['GET', 'k'])) === '$1\r\nv\r\n');
      expect(await r.send(['PING'])).toBe('+PONG\r\n');
      await primary.stop();
      await waitFor('the link to drop', async () => (await info(replica.port)).master_link_status === 'down');
      expect(await r.send(['GET', 'k'])).toBe("-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n");
      expect(await r.send(['INFO', 'replication'])).toContain('master_link_status:down');
      expect(await r.send(['REPLICAOF', 'NO', 'ONE'])).toBe('+OK\r\n');
      expect(await r.send(['GET', 'k'])).toBe('$1\r\nv\r\n');
    } finally {
      r.close();
    }
  }, 30000);
});
