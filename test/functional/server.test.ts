// Server commands against the real server: INFO CONFIG FLUSHDB FLUSHALL TIME MEMORY SHUTDOWN
// SCRIPT FUNCTION SAVE BGSAVE LASTSAVE DEBUG MODULE. Error texts checked against redis-server 7.0.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { REDIS_COMPAT_VERSION, VERSION } from '../../src/version.js';
import { encodeCommand, ioredis, nodeRedis, rawExchange, redisCli, redisCliMissing, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { compareWithRedis, hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cmds = (...list: string[][]) => Buffer.concat(list.map((c) => encodeCommand(c)));

/** INFO text -> section title -> field -> value; fails on any line that is not `field:value`. */
function parseInfo(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  expect(text.endsWith('\r\n')).toBe(true);
  for (const line of text.split('\r\n').slice(0, -1)) {
    if (line === '') continue;
    if (line.startsWith('# ')) {
      current = new Map();
      sections.set(line.slice(2), current);
      continue;
    }
    // Subcommands are named with a bar, as in Redis's cmdstat_client|list.
    expect(line).toMatch(/^[A-Za-z0-9_|]+:[^\r\n]*$/);
    const colon = line.indexOf(':');
    current!.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return sections;
}

const DEFAULT_SECTIONS = ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Errorstats', 'Cluster', 'Keyspace', 'Sealkv', 'Spill'];
/** INFO all / everything add the sections Redis leaves out of the default. */
const ALL_SECTIONS = ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Commandstats', 'Errorstats', 'Latencystats', 'Cluster', 'Keyspace', 'Sealkv', 'Spill'];

describe('server commands', () => {
  let server: InProcessServer;
  let client: Redis;
  let run: ReturnType<typeof runner>;
  beforeAll(async () => {
    server = await startInProcess({ maxmemory: '1mb', dbfilename: 'other.rdb', rdbcompression: 'no' });
    client = ioredis(server.port);
    run = runner(client);
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  describe('INFO', () => {
    it('has every default section, in Redis order, each line field:value', async () => {
      const info = parseInfo((await run(['info'])) as string);
      expect([...info.keys()]).toEqual(DEFAULT_SECTIONS);
      const s = info.get('Server')!;
      expect(s.get('redis_version')).toBe(REDIS_COMPAT_VERSION);
      expect(s.get('redis_mode')).toBe('standalone');
      expect(s.get('tcp_port')).toBe(String(server.port));
      expect(s.get('run_id')).toMatch(/^[0-9a-f]{40}$/);
      expect(s.get('process_id')).toBe(String(process.pid));
      expect(info.get('Persistence')!.get('loading')).toBe('0');
      expect(info.get('Replication')!.get('role')).toBe('master');
      expect(info.get('Replication')!.get('connected_slaves')).toBe('0');
      expect(info.get('Cluster')!.get('cluster_enabled')).toBe('0');
      expect(info.get('Clients')!.get('connected_clients')).toBe('1');
      expect(Number(info.get('Memory')!.get('used_memory'))).toBeGreaterThan(0);
      expect(info.get('Memory')!.get('maxmemory')).toBe(String(1024 * 1024));
      expect(info.get('Memory')!.get('maxmemory_human')).toBe('1.00M');
      expect(info.get('CPU')!.get('used_cpu_user')).toMatch(/^\d+\.\d{6}$/);
    });

    it('has the Sealkv section: cipher, backend, key source and id, settings not applied', async () => {
      const sealkv = parseInfo((await run(['info', 'sealkv'])) as string).get('Sealkv')!;
      expect(sealkv.get('sealkv_version')).toBe(VERSION);
      expect(sealkv.get('seal_cipher')).toBe('xchacha20poly1305-ietf');
      // The same name the server logged at start: sodium-native when it loads, else WASM.
      expect(sealkv.get('seal_backend')).toBe(server.running.state.sealBackend);
      expect(sealkv.get('seal_backend')).toMatch(/^(sodium-native|libsodium-wrappers \(wasm\))$/);
      expect(sealkv.get('key_source')).toBe('ephemeral');
      expect(sealkv.get('key_id')).toBe(server.running.state.keyId.toString(16).padStart(8, '0'));
      expect(sealkv.get('seal_failures')).toBe('0');
      expect(sealkv.get('config_not_applied')).toBe('rdbcompression');
    });

    it('counts keys and expiring keys per database in Keyspace', async () => {
      const c = ioredis(server.port, { db: 5 });
      try {
        await c.set('ks:a', '1');
        await c.set('ks:b', '2', 'EX', 100);
        const keyspace = parseInfo(await c.info('keyspace'));
        expect(keyspace.get('Keyspace')!.get('db5')).toBe('keys=2,expires=1,avg_ttl=0');
        await c.flushdb();
        expect(await c.info('keyspace')).not.toContain('db5:');
      } finally {
        c.disconnect();
      }
    });

    it('answers only the sections asked for, in Redis order, and nothing for unknown ones', async () => {
      expect(await run(['info', 'bogus'])).toBe('');
      const two = (await run(['info', 'keyspace', 'CPU'])) as string;
      expect([...parseInfo(two).keys()]).toEqual(['CPU', 'Keyspace']);
      expect(two).toMatch(/^# CPU\r\n(\w+:[\d.]+\r\n)+\r\n# Keyspace\r\n/);
      expect([...parseInfo((await run(['info', 'all'])) as string).keys()]).toEqual(ALL_SECTIONS);
      expect([...parseInfo((await run(['info', 'everything'])) as string).keys()]).toEqual(ALL_SECTIONS);
      expect([...parseInfo((await run(['info', 'default'])) as string).keys()]).toEqual(DEFAULT_SECTIONS);
    });

    it('counts error replies by code in Errorstats; CONFIG RESETSTAT zeroes the counters', async () => {
      await run(['select', 'x']);
      await run(['nosuchcommand']);
      const before = parseInfo((await run(['info', 'errorstats', 'stats'])) as string);
      expect(Number(before.get('Errorstats')!.get('errorstat_ERR')!.replace('count=', ''))).toBeGreaterThanOrEqual(2);
      expect(Number(before.get('Stats')!.get('total_error_replies'))).toBeGreaterThanOrEqual(2);
      expect(await run(['config', 'resetstat'])).toBe('OK');
      const after = parseInfo((await run(['info', 'errorstats', 'stats'])) as string);
      expect(after.get('Errorstats')!.size).toBe(0);
      expect(after.get('Stats')!.get('total_error_replies')).toBe('0');
      expect(after.get('Stats')!.get('total_commands_processed')).toBe('1');
    });

    it('is a RESP3 verbatim string after HELLO 3 and a bulk string in RESP2', async () => {
      const { data } = await rawExchange(server.port, cmds(['info', 'cluster'], ['hello', '3'], ['info', 'cluster']));
      const text = data.toString();
      const body = '# Cluster\r\ncluster_enabled:0\r\n';
      expect(text.startsWith(`$${body.length}\r\n${body}\r\n`)).toBe(true);
      expect(text.endsWith(`=${body.length + 4}\r\ntxt:${body}\r\n`)).toBe(true);
    });
  });

  describe('CONFIG', () => {
    it('GET answers name/value pairs for names and globs, without repeats', async () => {
      expect(await run(['config', 'get', 'maxclients'])).toEqual(['maxclients', '10000']);
      expect(await run(['config', 'get', 'MAXCLIENTS'])).toEqual(['MAXCLIENTS', '10000']);
      expect(await run(['config', 'get', 'nosuch'])).toEqual([]);
      const many = (await run(['config', 'get', 'maxmemory*', 'maxmemory', 'hz'])) as string[];
      expect(many).toEqual([
        'maxmemory', '1048576', 'maxmemory-policy', 'noeviction', 'maxmemory-samples', '5',
        'maxmemory-eviction-tenacity', '10', 'maxmemory-clients', '0', 'hz', '10',
      ]);
    });

    it('GET save and appendonly work, so redis-benchmark can read them', async () => {
      expect(await run(['config', 'get', 'save'])).toEqual(['save', '']);
      expect(await run(['config', 'get', 'appendonly'])).toEqual(['appendonly', 'no']);
    });

    it('GET is a RESP3 map after HELLO 3', async () => {
      const { data } = await rawExchange(server.port, cmds(['hello', '3'], ['config', 'get', 'appendonly']));
      expect(data.toString().endsWith('%1\r\n$10\r\nappendonly\r\n$2\r\nno\r\n')).toBe(true);
    });

    it('SET changes one or several settings at once', async () => {
      expect(await run(['config', 'set', 'hz', '20', 'timeout', '300'])).toBe('OK');
      expect(await run(['config', 'get', 'hz', 'timeout'])).toEqual(['hz', '20', 'timeout', '300']);
      expect(await run(['config', 'set', 'hz', '10', 'timeout', '0'])).toBe('OK');
    });

    it('SET errors read as Redis, and a failed SET changes nothing', async () => {
      expect(await run(['config', 'set', 'foo', 'bar'])).toEqual({ error: "ERR Unknown option or number of arguments for CONFIG SET - 'foo'" });
      expect(await run(['config', 'set', 'maxclients', 'abc'])).toEqual({
        error: "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
      });
      expect(await run(['config', 'set', 'maxmemory-policy', 'foo'])).toEqual({
        error:
          "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
      });
      expect(await run(['config', 'set', 'unixsocket', '/tmp/x'])).toEqual({ error: "ERR CONFIG SET failed (possibly related to argument 'unixsocket') - can't set immutable config" });
      expect(await run(['config', 'set', 'hz', '10', 'HZ', '11'])).toEqual({ error: "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter" });
      expect(await run(['config', 'set', 'hz', '30', 'foo', '1', 'port', '1'])).toEqual({ error: "ERR Unknown option or number of arguments for CONFIG SET - 'foo'" });
      expect(await run(['config', 'set', 'hz', '30', 'maxclients', 'x'])).toEqual({
        error: "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
      });
      expect(await run(['config', 'get', 'hz'])).toEqual(['hz', '10']);
      expect(await run(['config', 'set', 'hz', '10', 'maxclients'])).toEqual({ error: 'ERR syntax error' });
      expect(await run(['config', 'set', 'hz'])).toEqual({ error: "ERR wrong number of arguments for 'config|set' command" });
      expect(await run(['config', 'get'])).toEqual({ error: "ERR wrong number of arguments for 'config|get' command" });
      expect(await run(['config', 'resetstat', 'x'])).toEqual({ error: "ERR wrong number of arguments for 'config|resetstat' command" });
    });

    it('REWRITE says there is no config file to rewrite; HELP lists the subcommands', async () => {
      expect(await run(['config', 'rewrite'])).toEqual({ error: 'ERR The server is running without a config file' });
      const help = (await run(['config', 'help'])) as string[];
      expect(help[0]).toBe('CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
      expect(help.at(-2)).toBe('HELP');
      expect(await run(['config', 'bogus'])).toEqual({ error: "ERR unknown subcommand 'bogus'. Try CONFIG HELP." });
    });
  });

  it('CONFIG REWRITE writes the running values into the config file; INFO names the file', async () => {
    // What main.ts hands to startServer when started with --config.
    const state = server.running.state;
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-rewrite-'));
    const file = join(dir, 'sealkv.conf');
    writeFileSync(file, '# kept comment\nmaxmemory-policy allkeys-lru\nslave-read-only yes\nhz 10\nhz 11\n', { mode: 0o640 });
    state.configFile = file;
    try {
      expect(await run(['config', 'set', 'maxmemory-policy', 'volatile-lru'])).toBe('OK');
      expect(await run(['config', 'set', 'notify-keyspace-events', 'KEA'])).toBe('OK');
      expect(await run(['config', 'rewrite'])).toBe('OK');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('# kept comment\n');
      expect(text).toContain('\nmaxmemory-policy volatile-lru\n');
      // An alias line becomes the setting's name; a repeated setting keeps one line.
      expect(text).toContain('\nreplica-read-only yes\n');
      expect(text.match(/^hz /gm)).toHaveLength(1);
      expect(text).toContain('# Generated by CONFIG REWRITE\n');
      expect(text).toMatch(/\nnotify-keyspace-events \w+\n/);
      expect(statSync(file).mode & 0o777).toBe(0o640);
      expect(await run(['info', 'server'])).toContain(`\r\nconfig_file:${file}\r\n`);
      await run(['config', 'set', 'notify-keyspace-events', '']);
      state.configFile = join(dir, 'missing', 'sealkv.conf');
      expect(await run(['config', 'rewrite'])).toEqual({ error: 'ERR Rewriting config file: No such file or directory' });
    } finally {
      state.configFile = null;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await run(['info', 'server'])).toContain('\r\nconfig_file:\r\n');
  });

  describe('FLUSHDB and FLUSHALL', () => {
    it('FLUSHDB empties the selected database only; FLUSHALL empties all', async () => {
      const c0 = ioredis(server.port, { db: 6 });
      const c1 = ioredis(server.port, { db: 7 });
      try {
        await c0.set('fl:a', '1');
        await c1.set('fl:b', '2');
        expect(await c0.call('flushdb')).toBe('OK');
        expect(await c0.get('fl:a')).toBeNull();
        expect(await c1.get('fl:b')).toBe('2');
        await c0.set('fl:a', '1');
        expect(await c0.call('flushall', 'ASYNC')).toBe('OK');
        expect(await c0.get('fl:a')).toBeNull();
        expect(await c1.get('fl:b')).toBeNull();
        await c1.set('fl:b', '2');
        expect(await c1.call('flushdb', 'sync')).toBe('OK');
        expect(await c1.get('fl:b')).toBeNull();
      } finally {
        c0.disconnect();
        c1.disconnect();
      }
    });

    it('refuses anything but ASYNC or SYNC', async () => {
      expect(await run(['flushdb', 'foo'])).toEqual({ error: 'ERR syntax error' });
      expect(await run(['flushall', 'async', 'sync'])).toEqual({ error: 'ERR syntax error' });
    });
  });

  it('TIME reads the server clock: seconds and microseconds', async () => {
    server.advance(3_600_000);
    const [secs, micros] = (await run(['time'])) as [string, string];
    const now = server.running.state.clock();
    expect(Number(secs)).toBe(Math.floor(now / 1000));
    expect(Number(micros)).toBe((now % 1000) * 1000);
    expect(await run(['time', 'x'])).toEqual({ error: "ERR wrong number of arguments for 'time' command" });
  });

  describe('MEMORY USAGE', () => {
    it('estimates key, sealed value and overhead; nil for a missing key', async () => {
      await run(['set', 'mem:small', 'x']);
      await run(['set', 'mem:big', 'y'.repeat(10_000)]);
      const small = (await run(['memory', 'usage', 'mem:small'])) as number;
      const big = (await run(['memory', 'usage', 'mem:big', 'SAMPLES', '0'])) as number;
      // The sealed copy is longer than the plaintext (nonce and tag), so the estimate is too.
      expect(small).toBeGreaterThan('mem:small'.length + 1 + 40);
      // Sealing adds the same bytes to every value: the difference is the key and value lengths'.
      expect(big - small).toBe('mem:big'.length - 'mem:small'.length + 10_000 - 1);
      expect(await run(['memory', 'usage', 'mem:none'])).toBeNull();
    });

    it('errors read as Redis', async () => {
      expect(await run(['memory', 'usage', 'k', 'samples', 'abc'])).toEqual({ error: 'ERR value is not an integer or out of range' });
      expect(await run(['memory', 'usage', 'k', 'samples', '-1'])).toEqual({ error: 'ERR syntax error' });
      expect(await run(['memory', 'usage', 'k', 'foo'])).toEqual({ error: 'ERR syntax error' });
      expect(await run(['memory', 'usage'])).toEqual({ error: "ERR wrong number of arguments for 'memory|usage' command" });
      expect(((await run(['memory', 'help'])) as string[])[0]).toBe('MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    });
  });

  it('SCRIPT FLUSH and FUNCTION FLUSH say OK and check their mode', async () => {
    expect(await run(['script', 'flush'])).toBe('OK');
    expect(await run(['script', 'flush', 'async'])).toBe('OK');
    expect(await run(['function', 'flush', 'SYNC'])).toBe('OK');
    expect(await run(['script', 'flush', 'foo'])).toEqual({ error: 'ERR SCRIPT FLUSH only support SYNC|ASYNC option' });
    expect(await run(['script', 'flush', 'a', 'b'])).toEqual({ error: 'ERR SCRIPT FLUSH only support SYNC|ASYNC option' });
    expect(await run(['function', 'flush', 'foo'])).toEqual({ error: 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option' });
    expect(await run(['function', 'flush', 'a', 'b'])).toEqual({
      error: "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.",
    });
    expect(await run(['script', 'load', 'return 1'])).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
  });

  it('SAVE and BGSAVE refuse a dir that is not on tmpfs; LASTSAVE answers the start time; DEBUG and MODULE LOAD are refused', async () => {
    expect(await run(['save'])).toEqual({ error: expect.stringMatching(/^ERR dir .* is not on tmpfs \(filesystem type 0x[0-9a-f]+\): sealkv writes snapshots only to memory-backed storage$/) });
    expect(await run(['bgsave'])).toEqual({ error: expect.stringMatching(/^ERR dir .* is not on tmpfs/) });
    expect(await run(['bgsave', 'foo'])).toEqual({ error: 'ERR syntax error' });
    const lastsave = await run(['lastsave']);
    expect(typeof lastsave).toBe('number');
    expect(Math.abs((lastsave as number) - Date.now() / 1000)).toBeLessThan(600);
    expect(await run(['debug', 'object', 'k'])).toEqual({ error: Errors.debugUnsupported });
    expect(await run(['debug'])).toEqual({ error: "ERR wrong number of arguments for 'debug' command" });
    expect(await run(['module', 'load', '/tmp/x.so'])).toEqual({ error: Errors.moduleNotAllowed });
  });

  it('ioredis (INFO ready check) and node-redis connect with their defaults', async () => {
    const io = ioredis(server.port, { enableReadyCheck: true });
    try {
      await new Promise<void>((resolve) => io.once('ready', () => resolve()));
      expect(io.status).toBe('ready');
      expect(await io.info('persistence')).toContain('\r\nloading:0\r\n');
    } finally {
      io.disconnect();
    }
    const nr = await nodeRedis(server.port);
    try {
      expect(await nr.info('server')).toContain(`redis_version:${REDIS_COMPAT_VERSION}\r\n`);
      expect(await nr.configGet('maxclients')).toEqual({ maxclients: '10000' });
    } finally {
      await nr.quit();
    }
  });

  describe.skipIf(redisCliMissing)('redis-cli', () => {
    it('prints INFO', async () => {
      const out = await redisCli(server.port, ['INFO']);
      expect(out).toContain('# Server\r\n');
      expect(out).toContain(`redis_version:${REDIS_COMPAT_VERSION}`);
      expect(out).toContain('# Sealkv\r\n');
    });

    it("prints CONFIG GET '*' as name/value lines", async () => {
      const lines = (await redisCli(server.port, ['CONFIG', 'GET', '*'])).split('\n');
      const at = lines.indexOf('maxclients');
      expect(at % 2).toBe(0);
      expect(lines[at + 1]).toBe('10000');
      expect(lines).toContain('requirepass');
    });
  });
});

describe('SHUTDOWN', () => {
  it('refuses bad options and a SAVE that fails, then stops the server without a reply', async () => {
    const server = await startInProcess();
    const run = runner(ioredis(server.port));
    expect(await run(['shutdown', 'foo'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['shutdown', 'nosave', 'save'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['shutdown', 'abort', 'now'])).toEqual({ error: 'ERR syntax error' });
    expect(await run(['shutdown', 'abort'])).toEqual({ error: 'ERR No shutdown in progress.' });
    // The save fails (dir is not on tmpfs): Redis's error, and the server stays up.
    expect(await run(['shutdown', 'save'])).toEqual({ error: Errors.shutdownFailed });
    const other = ioredis(server.port, { retryStrategy: () => null });
    await other.ping();
    const otherClosed = new Promise<void>((resolve) => other.once('end', () => resolve()));
    const { data, closed } = await rawExchange(server.port, cmds(['shutdown', 'nosave'], ['ping']), 2000);
    expect(data.length).toBe(0);
    expect(closed).toBe(true);
    await server.running.closed;
    await otherClosed;
  });
});

describe('INFO memory: script and function counts, as redis-server 7.0 counts them', () => {
  // Redis suite, scripting.tcl "SCRIPTING FLUSH ASYNC": number_of_cached_scripts after SCRIPT LOAD and SCRIPT FLUSH ASYNC.
  let server: InProcessServer;
  let redis: ReferenceRedis | null = null;
  beforeAll(async () => {
    server = await startInProcess();
    if (hasRedisServer) redis = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
    await redis?.stop();
  });
  const LIB = "#!lua name=infolib\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)";
  const counts = async (c: Redis) => {
    const memory = parseInfo(await c.info('memory')).get('Memory')!;
    return ['number_of_cached_scripts', 'number_of_functions', 'number_of_libraries'].map((f) => `${f}:${memory.get(f)}`);
  };
  const steps: [string, (c: Redis) => Promise<unknown>][] = [
    ['nothing loaded', async () => undefined],
    ['three SCRIPT LOADs and one EVAL', async (c) => {
      for (let j = 0; j < 3; j++) await c.script('LOAD', `return ${j}`);
      await c.eval('return 10', 0);
    }],
    ['a library of two functions', (c) => c.function('LOAD', LIB)],
    ['SCRIPT FLUSH ASYNC', (c) => c.script('FLUSH', 'ASYNC')],
    ['FUNCTION FLUSH', (c) => c.function('FLUSH')],
  ];

  it('number_of_cached_scripts, number_of_functions and number_of_libraries follow loads and flushes', async () => {
    const ours = ioredis(server.port);
    const theirs = redis ? ioredis(redis.port) : null;
    try {
      const seen: string[][] = [];
      for (const [title, step] of steps) {
        await step(ours);
        const got = await counts(ours);
        seen.push([title, ...got]);
        if (theirs) {
          await step(theirs);
          expect(got, title).toEqual(await counts(theirs));
        }
      }
      expect(seen.map((r) => r.slice(1).map((f) => f.split(':')[1]).join(' '))).toEqual(['0 0 0', '4 0 0', '4 2 1', '0 2 1', '0 0 0']);
    } finally {
      ours.disconnect();
      theirs?.disconnect();
    }
  });
});

// node-redis has MODULE LIST, and clients of Redis Stack call it to see which modules are there.
compareWithRedis('MODULE against redis-server 7.0 (enable-module-command no, both defaults)', {
  'LIST is empty, HELP, and LOAD/LOADEX/UNLOAD are refused': [
    ['MODULE', 'LIST'], ['MODULE', 'HELP'], ['MODULE', 'LOAD', '/tmp/x.so'], ['MODULE', 'LOADEX', '/tmp/x.so', 'ARGS', 'a'],
    ['MODULE', 'UNLOAD', 'x'], ['MODULE'], ['MODULE', 'NOPE'], ['MODULE', 'LIST', 'x'], ['MODULE', 'UNLOAD'],
  ],
}, () => startInProcess());

describe('MODULE where enable-module-command allows it', () => {
  it('answers Redis\'s failures: sealkv has no module to load or unload', async () => {
    const server = await startInProcess({ 'enable-module-command': 'local' });
    const c = ioredis(server.port);
    try {
      const run = runner(c);
      expect(await run(['module', 'load', '/tmp/x.so'])).toEqual({ error: Errors.moduleLoadFailed });
      expect(await run(['module', 'loadex', '/tmp/x.so', 'ARGS', 'a'])).toEqual({ error: Errors.moduleLoadFailed });
      expect(await run(['module', 'unload', 'x'])).toEqual({ error: Errors.moduleUnloadMissing });
      expect(await run(['module', 'list'])).toEqual([]);
    } finally {
      c.disconnect();
      await server.stop();
    }
  });
});
