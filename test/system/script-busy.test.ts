// A script past busy-reply-threshold (issue #16 deliver 4): it runs on, every other client gets
// BUSY except the commands Redis lets through, SCRIPT KILL / FUNCTION KILL stop a script that
// has not written (UNKILLABLE once it has), SHUTDOWN NOSAVE ends the process, and all links stay
// usable afterwards. A spawned server: the script holds the server's thread, so the clients must
// live in another process. Each scenario runs against redis-server 7 too, and the transcripts
// must be the same bytes (FUNCTION STATS's duration masked); the sealkv side is also checked
// against the error catalogue, so the file means something where redis-server is missing.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, redisCliMissing } from '../helpers/clients.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { freePort, spawnServer, type SpawnedServer } from '../helpers/server.js';
import { Errors } from '../../src/protocol/errors.js';

const LOOP = 'local a = 0 while true do a = a + 1 end';
const THRESHOLD = '50';

interface Target {
  name: 'sealkv' | 'redis';
  port: number;
  pid: number;
}

/** Stops a server even when a script still holds it (SIGTERM waits for the script, in Redis too). */
async function hardStop(pid: number, exited: Promise<unknown>): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000);
  await exited;
  clearTimeout(timer);
}

async function startBoth(args: string[] = []): Promise<{ targets: Target[]; stop(): Promise<void>; sealkv: SpawnedServer }> {
  const sealkv = await spawnServer(args);
  const sealkvExited = new Promise<void>((resolve) => (sealkv.process.exitCode !== null ? resolve() : sealkv.process.once('exit', () => resolve())));
  let redis: ReferenceRedis | null = null;
  if (hasRedisServer) redis = await startRedis();
  const targets: Target[] = [{ name: 'sealkv', port: sealkv.port, pid: sealkv.process.pid! }];
  if (redis !== null) targets.push({ name: 'redis', port: redis.port, pid: redis.pid });
  return {
    targets,
    sealkv,
    stop: async () => {
      await hardStop(sealkv.process.pid!, sealkvExited);
      if (redis !== null) {
        const r = redis;
        await Promise.race([r.stop(), new Promise((resolve) => setTimeout(resolve, 3000))]);
        try {
          process.kill(r.pid, 'SIGKILL');
        } catch {
          /* stopped */
        }
      }
    },
  };
}

/** Sends PING until it meets BUSY (the script has passed the threshold); the BUSY reply. */
async function waitBusy(c: ReplyConnection): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const reply = await c.send(['PING'], 10_000);
    if (reply.startsWith('-BUSY')) return reply;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the script never became busy');
}

/** Opens `n` connections, with the threshold set, before any script runs (a busy server accepts none). */
async function connections(port: number, n: number): Promise<ReplyConnection[]> {
  const out: ReplyConnection[] = [];
  for (let i = 0; i < n; i++) out.push(await ReplyConnection.open(port));
  expect(await out[0]!.send(['CONFIG', 'SET', 'busy-reply-threshold', THRESHOLD])).toBe('+OK\r\n');
  return out;
}

const maskDuration = (reply: string): string => reply.replace(/duration_ms\r\n:\d+/, 'duration_ms\r\n:<ms>');

/** Scenarios: each returns its transcript (one line per reply), the same bytes for both servers. */
const scenarios: Record<string, (port: number) => Promise<string[]>> = {
  async 'EVAL: BUSY to others, allowed commands, FUNCTION KILL refused, SCRIPT KILL stops it, links usable'(port) {
    const [caller, other, piped] = await connections(port, 3);
    const t: string[] = [];
    // The caller pipelines a PING behind its script: answered after the killed script's error.
    const first = caller!.sendRaw(Buffer.concat([encodeCommand(['EVAL', LOOP, '0']), encodeCommand(['PING'])]), 10_000);
    t.push(await waitBusy(other!));
    for (const cmd of [['GET', 'x'], ['NOSUCH'], ['GET'], ['FUNCTION', 'KILL'], ['FUNCTION', 'STATS'], ['SHUTDOWN'], ['SHUTDOWN', 'SAVE'], ['WATCH', 'x'], ['UNWATCH'], ['AUTH', 'wrong'], ['RESET']]) {
      t.push(`${cmd.join(' ')} -> ${await other!.send(cmd)}`);
    }
    // A pipeline sent whole while the script is busy: MULTI passes, the rest is refused, EXEC aborts.
    t.push(`pipeline -> ${await piped!.sendRaw(Buffer.concat([encodeCommand(['MULTI']), encodeCommand(['SET', 'x', '1']), encodeCommand(['EXEC'])]))}`);
    t.push(`  ${await piped!.sendRaw(Buffer.alloc(0))}`);
    t.push(`  ${await piped!.sendRaw(Buffer.alloc(0))}`);
    t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
    t.push(`caller -> ${await first}`);
    t.push(`caller -> ${await caller!.sendRaw(Buffer.alloc(0))}`);
    t.push(`PING -> ${await other!.send(['PING'])}`);
    t.push(`GET x -> ${await piped!.send(['GET', 'x'])}`);
    t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
    for (const c of [caller, other, piped]) c!.close();
    return t;
  },

  async 'FCALL: BUSY names FUNCTION KILL, SCRIPT KILL refused, FUNCTION STATS shows it, FUNCTION KILL stops it'(port) {
    const [caller, other] = await connections(port, 2);
    const t: string[] = [];
    t.push(await caller!.send(['FUNCTION', 'LOAD', 'REPLACE', `#!lua name=busylib\nredis.register_function('spin', function() ${LOOP} end)`]));
    const first = caller!.send(['FCALL', 'spin', '0'], 10_000);
    t.push(await waitBusy(other!));
    t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
    t.push(`FUNCTION STATS -> ${maskDuration(await other!.send(['FUNCTION', 'STATS']))}`);
    t.push(`FUNCTION KILL -> ${await other!.send(['FUNCTION', 'KILL'])}`);
    t.push(`caller -> ${await first}`);
    t.push(`PING -> ${await caller!.send(['PING'])}`);
    t.push(`FUNCTION STATS -> ${await other!.send(['FUNCTION', 'STATS'])}`);
    t.push(await other!.send(['FUNCTION', 'DELETE', 'busylib']));
    caller!.close();
    other!.close();
    return t;
  },

  async 'pcall cannot swallow SCRIPT KILL'(port) {
    const [caller, other] = await connections(port, 2);
    const t: string[] = [];
    const first = caller!.send(['EVAL', "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end", '0'], 10_000);
    t.push(await waitBusy(other!));
    t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
    t.push(`caller -> ${await first}`);
    t.push(`PING -> ${await caller!.send(['PING'])}`);
    caller!.close();
    other!.close();
    return t;
  },

  async 'a script that ends by itself after the threshold: its reply, then everyone is served'(port) {
    const [caller, other] = await connections(port, 2);
    const t: string[] = [];
    // Busy for a second of wall time (TIME in a script is the real time, as in Redis 7.0); a loop
    // of fixed length may end before the first poll on a loaded machine.
    const body = "local t0 = redis.call('TIME') repeat local t = redis.call('TIME') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= 1000000 redis.call('SET', KEYS[1], 'done') return 'finished'";
    const first = caller!.send(['EVAL', body, '1', 'k'], 20_000);
    t.push(await waitBusy(other!));
    t.push(`caller -> ${await first}`);
    t.push(`GET k -> ${await other!.send(['GET', 'k'])}`);
    t.push(`PING -> ${await caller!.send(['PING'])}`);
    caller!.close();
    other!.close();
    return t;
  },

  async 'a client blocked in BLPOP with a pipeline behind it: not served mid-script, then its pop and the rest'(port) {
    const [caller, other, blocked] = await connections(port, 3);
    const t: string[] = [];
    const popped = blocked!.sendRaw(Buffer.concat([encodeCommand(['BLPOP', 'q', '0']), encodeCommand(['PING'])]), 10_000);
    for (let i = 0; i < 100; i++) {
      const info = await other!.send(['INFO', 'clients']);
      if (/blocked_clients:1\r\n/.test(info)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Busy for a second of wall time however fast the machine runs it (a loop of fixed length
    // ended before the first poll on a loaded CI machine).
    const script = "redis.call('RPUSH', KEYS[1], 'a', 'b') local t0 = redis.call('TIME') repeat local t = redis.call('TIME') until (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) >= 1000000 return redis.call('LLEN', KEYS[1])";
    const first = caller!.send(['EVAL', script, '1', 'q'], 20_000);
    t.push(await waitBusy(other!));
    t.push(`LLEN q -> ${await other!.send(['LLEN', 'q'])}`);
    t.push(`caller -> ${await first}`);
    t.push(`BLPOP -> ${await popped}`);
    t.push(`PING -> ${await blocked!.sendRaw(Buffer.alloc(0))}`);
    t.push(`LRANGE -> ${await other!.send(['LRANGE', 'q', '0', '-1'])}`);
    t.push(await other!.send(['DEL', 'q']));
    for (const c of [caller, other, blocked]) c!.close();
    return t;
  },

  async 'refusals that come before BUSY: NOPERM, and the pub/sub context of RESP2'(port) {
    const [caller, other, limited, subscriber] = await connections(port, 4);
    const t: string[] = [];
    t.push(await other!.send(['ACL', 'SETUSER', 'busyuser', 'on', '>pw', '-@all', '+auth', '+ping']));
    t.push(await limited!.send(['AUTH', 'busyuser', 'pw']));
    t.push(await subscriber!.send(['SUBSCRIBE', 'ch']));
    const first = caller!.send(['EVAL', LOOP, '0'], 10_000);
    t.push(await waitBusy(other!));
    t.push(`limited GET -> ${await limited!.send(['GET', 'x'])}`);
    t.push(`limited PING -> ${await limited!.send(['PING'])}`);
    t.push(`limited SCRIPT KILL -> ${await limited!.send(['SCRIPT', 'KILL'])}`);
    t.push(`subscriber GET -> ${await subscriber!.send(['GET', 'x'])}`);
    t.push(`subscriber PING -> ${await subscriber!.send(['PING'])}`);
    t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
    t.push(`caller -> ${await first}`);
    t.push(`limited PING -> ${await limited!.send(['PING'])}`);
    t.push(await other!.send(['ACL', 'DELUSER', 'busyuser']));
    for (const c of [caller, other, limited, subscriber]) c!.close();
    return t;
  },

  async 'MULTI/EXEC holding a long EVAL: others get BUSY, the kill error sits in the EXEC reply'(port) {
    const [caller, other] = await connections(port, 2);
    const t: string[] = [];
    t.push(await caller!.send(['MULTI']));
    t.push(await caller!.send(['SET', 'before', '1']));
    t.push(await caller!.send(['EVAL', LOOP, '0']));
    t.push(await caller!.send(['INCR', 'after']));
    const exec = caller!.send(['EXEC'], 10_000);
    t.push(await waitBusy(other!));
    t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
    t.push(`EXEC -> ${await exec}`);
    t.push(`MGET -> ${await other!.send(['MGET', 'before', 'after'])}`);
    caller!.close();
    other!.close();
    return t;
  },
};

describe('a script past busy-reply-threshold', () => {
  let servers: Awaited<ReturnType<typeof startBoth>>;
  beforeAll(async () => {
    servers = await startBoth();
  });
  afterAll(async () => {
    await servers?.stop();
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const transcripts: Record<string, string[]> = {};
      for (const target of servers.targets) transcripts[target.name] = await scenario(target.port);
      const sealkv = transcripts.sealkv!.join('\n');
      // The sealkv side on its own: the catalogue's texts where Redis has them.
      expect(sealkv).toContain('-BUSY Redis is busy running a script.');
      expect(sealkv).not.toContain('<timeout>');
      if (transcripts.redis !== undefined) expect(transcripts.sealkv).toEqual(transcripts.redis);
    }, 60_000);
  }

  it('the texts are the catalogue entries', async () => {
    const [caller, other] = await connections(servers.sealkv.port, 2);
    const first = caller!.send(['EVAL', LOOP, '0'], 10_000);
    expect(await waitBusy(other!)).toBe(`-${Errors.busyEval}\r\n`);
    expect(await other!.send(['FUNCTION', 'KILL'])).toBe(`-${Errors.busyEval}\r\n`);
    expect(await other!.send(['SCRIPT', 'KILL'])).toBe('+OK\r\n');
    expect(await first).toMatch(new RegExp(`^-${Errors.scriptKilled.replace(/\./g, '\\.')} script: [0-9a-f]{40}, on @user_script:1\\.\r\n$`));
    expect(await other!.send(['SCRIPT', 'KILL'])).toBe(`-${Errors.notBusy}\r\n`);
    await caller!.send(['FUNCTION', 'LOAD', 'REPLACE', `#!lua name=busylib2\nredis.register_function('spin2', function() ${LOOP} end)`]);
    const second = caller!.send(['FCALL', 'spin2', '0'], 10_000);
    expect(await waitBusy(other!)).toBe(`-${Errors.busyFunction}\r\n`);
    expect(await other!.send(['FUNCTION', 'KILL'])).toBe('+OK\r\n');
    expect(await second).toContain(Errors.scriptKilled);
    caller!.close();
    other!.close();
  }, 60_000);

  it('TIME inside a script is the real time, so a script can wait on it (Redis 7.0)', async () => {
    const wait = "local t0 = redis.call('TIME') local ms = 0 repeat local t = redis.call('TIME') ms = (t[1] - t0[1]) * 1000 + math.floor((t[2] - t0[2]) / 1000) until ms >= 30 return ms";
    for (const target of servers.targets) {
      const [c] = await connections(target.port, 1);
      expect(await c!.send(['EVAL', wait, '0'], 10_000)).toMatch(/^:(3\d|[4-9]\d|\d{3,})\r\n$/);
      c!.close();
    }
  }, 30_000);

  it('ioredis, redis-cli and a Unix socket client are answered BUSY, and served normally after the kill', async () => {
    const [caller, other] = await connections(servers.sealkv.port, 2);
    const client = ioredis(servers.sealkv.port);
    expect(await client.ping()).toBe('PONG');
    // redis-cli connected before the script, fed its commands line by line.
    const cli = redisCliMissing ? null : spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(servers.sealkv.port)], { stdio: ['pipe', 'pipe', 'ignore'] });
    let cliOut = '';
    cli?.stdout!.on('data', (d: Buffer) => (cliOut += d.toString()));
    const until = async (cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    if (cli !== null) {
      cli.stdin!.write('PING\n');
      await until(() => cliOut.includes('PONG'));
    }
    const first = caller!.send(['EVAL', LOOP, '0'], 10_000);
    await waitBusy(other!);
    await expect(client.get('x')).rejects.toThrow(Errors.busyEval);
    if (cli !== null) {
      cli.stdin!.write('GET x\n');
      await until(() => cliOut.includes('BUSY'));
      expect(cliOut).toContain(Errors.busyEval);
    }
    expect(await other!.send(['SCRIPT', 'KILL'])).toBe('+OK\r\n');
    expect(await first).toContain(Errors.scriptKilled);
    expect(await client.set('x', 'y')).toBe('OK');
    expect(await client.get('x')).toBe('y');
    if (cli !== null) {
      cli.stdin!.end('GET x\n');
      await new Promise((r) => cli.once('close', r));
      expect(cliOut.trim().split('\n').at(-1)).toBe('y');
    }
    client.disconnect();
    caller!.close();
    other!.close();
  }, 60_000);
});

describe('over a Unix socket, and TLS waiting for the script', () => {
  let dir: string;
  let sealkv: SpawnedServer | null = null;
  afterEach(async () => {
    if (sealkv !== null) await hardStop(sealkv.process.pid!, new Promise((r) => (sealkv!.process.exitCode !== null ? r(null) : sealkv!.process.once('exit', r))));
    sealkv = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a Unix socket client gets BUSY and may SCRIPT KILL', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-busy-'));
    const path = join(dir, 'sealkv.sock');
    sealkv = await spawnServer(['--unixsocket', path]);
    const [caller] = await connections(sealkv.port, 1);
    const unix = await new Promise<Socket>((resolve, reject) => {
      const s = connect(path, () => resolve(s));
      s.once('error', reject);
    });
    let data = '';
    unix.on('data', (d: Buffer) => (data += d.toString('latin1')));
    const ask = async (args: string[]): Promise<string> => {
      data = '';
      unix.write(encodeCommand(args));
      for (let i = 0; i < 400 && !data.endsWith('\r\n'); i++) await new Promise((r) => setTimeout(r, 25));
      return data;
    };
    expect(await ask(['PING'])).toBe('+PONG\r\n');
    const first = caller!.send(['EVAL', LOOP, '0'], 10_000);
    let reply = '';
    // The Lua VM loads with the first script (asynchronously): PINGs are answered until it runs.
    for (const until = Date.now() + 20_000; Date.now() < until && !reply.startsWith('-BUSY'); ) reply = await ask(['PING']);
    expect(reply).toBe(`-${Errors.busyEval}\r\n`);
    expect(await ask(['SCRIPT', 'KILL'])).toBe('+OK\r\n');
    expect(await first).toContain(Errors.scriptKilled);
    expect(await ask(['PING'])).toBe('+PONG\r\n');
    unix.destroy();
    caller!.close();
  }, 60_000);

  const opensslMissing = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0;
  it.skipIf(opensslMissing)('a TLS client is not served while the script is busy (documented): its PING is answered once the script ends', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-busy-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.key', '-out', 'c.crt', '-days', '2', '-subj', '/CN=localhost'], { cwd: dir, stdio: 'pipe' });
    const tlsPort = await freePort();
    sealkv = await spawnServer(['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'c.crt'), '--tls-key-file', join(dir, 'k.key'), '--tls-auth-clients', 'no']);
    const [caller, other] = await connections(sealkv.port, 2);
    const secure = await new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false }, () => resolve(s));
      s.once('error', reject);
    });
    let data = '';
    secure.on('data', (d: Buffer) => (data += d.toString('latin1')));
    secure.write(encodeCommand(['PING']));
    for (let i = 0; i < 200 && data === ''; i++) await new Promise((r) => setTimeout(r, 25));
    expect(data).toBe('+PONG\r\n');
    data = '';
    const first = caller!.send(['EVAL', LOOP, '0'], 10_000);
    await waitBusy(other!);
    secure.write(encodeCommand(['PING']));
    await new Promise((r) => setTimeout(r, 300));
    expect(await other!.send(['PING'])).toBe(`-${Errors.busyEval}\r\n`);
    expect(data).toBe('');
    expect(await other!.send(['SCRIPT', 'KILL'])).toBe('+OK\r\n');
    expect(await first).toContain(Errors.scriptKilled);
    for (let i = 0; i < 200 && data === ''; i++) await new Promise((r) => setTimeout(r, 25));
    expect(data).toBe('+PONG\r\n');
    secure.destroy();
    caller!.close();
    other!.close();
  }, 60_000);
});

describe('UNKILLABLE, then SHUTDOWN NOSAVE', () => {
  it('a script that wrote cannot be killed; SHUTDOWN NOSAVE ends the server, the caller gets no reply', async () => {
    const servers = await startBoth();
    try {
      const transcripts: Record<string, string[]> = {};
      for (const target of servers.targets) {
        const [caller, other] = await connections(target.port, 2);
        const t: string[] = [];
        const first = caller!.send(['EVAL', `redis.call('SET', KEYS[1], 'v') ${LOOP}`, '1', 'k'], 10_000);
        t.push(await waitBusy(other!));
        t.push(`SCRIPT KILL -> ${await other!.send(['SCRIPT', 'KILL'])}`);
        t.push(`FUNCTION KILL -> ${await other!.send(['FUNCTION', 'KILL'])}`);
        t.push(`SHUTDOWN -> ${await other!.send(['SHUTDOWN'])}`);
        t.push(`SHUTDOWN NOSAVE -> ${await other!.send(['SHUTDOWN', 'NOSAVE'])}`);
        t.push(`caller -> ${await first}`);
        transcripts[target.name] = t;
        // The process is gone: nothing listens on its port any more.
        let refused = false;
        for (let i = 0; i < 100 && !refused; i++) {
          refused = await new Promise<boolean>((resolve) => {
            const s = connect(target.port, '127.0.0.1', () => (s.destroy(), resolve(false)));
            s.once('error', () => resolve(true));
          });
          if (!refused) await new Promise((r) => setTimeout(r, 50));
        }
        t.push(`refused: ${refused}`);
      }
      expect(transcripts.sealkv).toEqual([
        `-${Errors.busyEval}\r\n`,
        `SCRIPT KILL -> -${Errors.unkillable}\r\n`,
        `FUNCTION KILL -> -${Errors.unkillable}\r\n`,
        `SHUTDOWN -> -${Errors.busyEval}\r\n`,
        'SHUTDOWN NOSAVE -> <closed>',
        'caller -> <closed>',
        'refused: true',
      ]);
      if (transcripts.redis !== undefined) expect(transcripts.sealkv).toEqual(transcripts.redis);
      expect(await servers.sealkv.waitForOutput('"msg":"stopped"', 5000)).toBe(true);
    } finally {
      await servers.stop();
    }
  }, 60_000);
});
