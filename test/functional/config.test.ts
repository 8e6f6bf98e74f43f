// The configuration surface against the real server, side by side with redis-server 7.0 when it
// is installed: every setting x a list of absurd values through CONFIG SET (the server must stay
// up and answer what Redis answers), several pairs at once, several GET patterns, a stock
// redis.conf, include and rename-command, the config file as first argument, --help.

import { createHash } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config, ConfigError, SETTINGS } from '../../src/config.js';
import { encodeCommand } from '../helpers/clients.js';
import { freePort, spawnServer, type SpawnedServer } from '../helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) console.warn('redis-server not found: CONFIG replies are checked for crashes only, not compared with Redis');

type Reply = string | null | Reply[];

/**
 * One connection that survives the server closing it (a tiny output-buffer or client-memory
 * limit does that): a call on a closed line answers 'CLOSED' and the next call reconnects.
 */
class Line {
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private waiting: ((r: Reply) => void) | null = null;

  constructor(private readonly port: number) {}

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      let connected = false;
      const s = connect(this.port, '127.0.0.1', () => {
        connected = true;
        resolve();
      });
      s.on('error', (err) => {
        if (!connected) {
          this.socket = null;
          reject(err);
        }
      });
      s.on('close', () => {
        if (this.socket === s) this.drop();
      });
      s.on('data', (d) => {
        this.buffer = Buffer.concat([this.buffer, d]);
        this.deliver();
      });
      this.socket = s;
      this.buffer = Buffer.alloc(0);
    });
  }

  private drop(): void {
    this.socket?.destroy();
    this.socket = null;
    const w = this.waiting;
    this.waiting = null;
    w?.('CLOSED');
  }

  private deliver(): void {
    if (!this.waiting) return;
    const parsed = parse(this.buffer, 0);
    if (!parsed) return;
    this.buffer = this.buffer.subarray(parsed[1]);
    const w = this.waiting;
    this.waiting = null;
    w(parsed[0]);
  }

  async call(...args: string[]): Promise<Reply> {
    if (!this.socket) await this.open();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${args.join(' ').slice(0, 80)}`)), 10_000);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.socket!.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

/** RESP2 reply at `at`: [value, next offset], or null when incomplete. Errors come back as "-ERR ...". */
function parse(buf: Buffer, at: number): [Reply, number] | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const head = buf.toString('latin1', at, eol);
  const rest = eol + 2;
  switch (head[0]) {
    case '+':
    case ':':
      return [head.slice(1), rest];
    case '-':
      return [head, rest];
    case '$': {
      const n = Number(head.slice(1));
      if (n < 0) return [null, rest];
      if (buf.length < rest + n + 2) return null;
      return [buf.toString('utf8', rest, rest + n), rest + n + 2];
    }
    case '*': {
      const n = Number(head.slice(1));
      const out: Reply[] = [];
      let next = rest;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next);
        if (!item) return null;
        out.push(item[0]);
        next = item[1];
      }
      return [out, next];
    }
    default:
      throw new Error(`unexpected reply ${head}`);
  }
}

/** redis-server 7.0 on a free port, or null when it is not installed. */
async function startRedis(dir: string): Promise<{ port: number; child: ChildProcess } | null> {
  if (!hasRedisServer) return null;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    try {
      const line = new Line(port);
      await line.call('PING');
      line.close();
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error('redis-server did not start');
}

const LONG = 'x'.repeat(300);
/** Values a careless or hostile operator might send, for every setting. */
const ABSURD = [
  '', ' ', '0', '1', '-1', '-0', '+1', '01', '1.5', '-1.5', '1e99', '1e3', '0x10', '010', '0777', 'abc', 'yes', 'no', 'YES', 'Nothing',
  '99999999999999999999999', '-99999999999999999999999', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
  '18446744073709551615', '18446744073709551616', '2147483647', '2147483648', '-2147483649', '4294967296', '1k', '1kb', '1KB',
  '1m', '1gb', '5tb', '99999999999999999999999k', '1 2', '1  2', ' 1', '1 ', '10%', '-10%', '101%', '0%', 'inf', 'nan', '\t1',
  'normal 99999999999999999999999 0 0', 'normal 1mb 1k 99999999999', 'normal 0 0 0 bogus 1 1 1', 'master 1 1 1', 'pubsub -1 0 0',
  'replica 1gb 1gb 1 pubsub 1 1 1', 'normal 0 0', '900 1 300', '1 -1', '0 1', '3600 99999999999', 'KEA', 'Ag$lshzxeKEtmdn', 'An',
  'yes no', 'nosave now', 'default save', 'now', '50 99.9', '101', '0x1p3', '{title}', '{title} {nosuch}', '{{', 'a/b',
  'no one', 'host 6379', '127.0.0.1 -::1', '\u00e9', LONG, '*', '-2000 0 2000', '1 2 3',
];

/**
 * Settings where sealkv answers differently from redis-server on purpose, and why. For these
 * only the server's survival (and its own answer's sanity) is checked.
 */
const DIFFERENT: Record<string, string> = {
  // Compared in test/system/relisten.test.ts, one server at a time: side by side both would
  // reach for the same port, and only one can have it.
  port: 'both servers would listen on the same port',
  bind: 'both servers would listen on the same addresses',
  'tls-port': 'both servers would listen on the same port',
  'tls-cert-file': 'the TLS context is built once at start',
  'tls-key-file': 'the TLS context is built once at start',
  'tls-ca-cert-file': 'the TLS context is built once at start',
  'tls-auth-clients': 'the TLS context is built once at start',
  maxclients: "redis-server resizes its event loop and file limit to the value (2147483647 stalls it); sealkv keeps no such table",
  databases: 'sealkv bounds the database count at 1000',
};

/** Settings whose CONFIG GET shows the password's digest instead of the password. */
const DIGEST_SHOWN = new Set(['requirepass', 'masterauth']);

/** A redis-server answer sealkv does not copy: Redis failed to do something sealkv does not do. */
function redisSideEffect(name: string, reply: Reply): boolean {
  const r = String(reply);
  return (
    /Unable to update TLS configuration|Failed to set current oom_score_adj|Active defragmentation cannot be enabled|Failed to bind/.test(r) ||
    (name === 'loglevel' && r.includes('must be one of')) // sealkv also takes "nothing" (Redis 7.2's)
  );
}

/** Canonical names and aliases, hidden ones included. */
const NAMES = SETTINGS.flatMap((s) => (s.alias ? [s.name, s.alias] : [s.name]));
/** sealkv's own settings, unknown to redis-server. */
const OWN = new Set(['master-key-file', 'master-key-file-permissive', 'tls-handshake-timeout', 'master-key-env', 'seal-keys', 'seal-backend', 'spill-dir', 'spill-max-bytes', 'spill-min-value-size', 'log-format', 'admin-port', 'admin-bind', 'admin-token', 'cluster-node-id', 'snapshot-max-bytes', 'seal-workers', 'seal-worker-min-bytes']);

describe('CONFIG against redis-server 7.0', () => {
  let sealkv: SpawnedServer;
  let redis: { port: number; child: ChildProcess } | null;
  let s: Line;
  let r: Line | null;
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-config-'));

  beforeAll(async () => {
    sealkv = await spawnServer();
    redis = await startRedis(dir);
    s = new Line(sealkv.port);
    r = redis ? new Line(redis.port) : null;
  });
  afterAll(async () => {
    s?.close();
    r?.close();
    redis?.child.kill('SIGKILL');
    await sealkv?.stop();
  });

  it('knows every setting redis-server 7.0 knows, with its defaults', async () => {
    const ours = new Map<string, string>();
    const got = (await s.call('CONFIG', 'GET', '*')) as string[];
    for (let i = 0; i < got.length; i += 2) ours.set(got[i]!, got[i + 1]!);
    expect(ours.size).toBe(NAMES.length - SETTINGS.filter((x) => x.hidden).length);
    if (!r) return;
    const theirs = (await r.call('CONFIG', 'GET', '*')) as string[];
    // Values that differ by design: the port and directory of this run, and sealkv's own defaults.
    const byDesign = new Set(['port', 'dir', 'save', 'bind', 'appendonly']);
    for (let i = 0; i < theirs.length; i += 2) {
      const name = theirs[i]!;
      expect(ours.has(name), `sealkv lacks ${name}`).toBe(true);
      if (!byDesign.has(name)) expect(`${name} ${ours.get(name)}`).toBe(`${name} ${theirs[i + 1]}`);
    }
    expect(ours.size - theirs.length / 2).toBe(OWN.size);
  });

  it('hidden settings answer by their exact name only, as in Redis', async () => {
    for (const line of r ? [s, r] : [s]) {
      expect(await line.call('CONFIG', 'GET', 'key-load-delay')).toEqual(['key-load-delay', '0']);
      expect(await line.call('CONFIG', 'GET', 'key-load-del*')).toEqual([]);
    }
  });

  it('never crashes on CONFIG SET and answers what Redis answers, for every setting x absurd value', async () => {
    const mismatches: string[] = [];
    let compared = 0;
    for (const name of NAMES) {
      const before = (await s.call('CONFIG', 'GET', name)) as string[];
      const redisBefore = r && !OWN.has(name) ? ((await r.call('CONFIG', 'GET', name)) as string[]) : null;
      for (const value of ABSURD) {
        const ours = await s.call('CONFIG', 'SET', name, value);
        expect(await s.call('PING'), `sealkv died on CONFIG SET ${name} ${JSON.stringify(value)}`).toBe('PONG');
        expect(typeof ours === 'string' && (ours === 'OK' || ours === 'CLOSED' || ours.startsWith('-ERR '))).toBe(true);
        if (ours === 'OK' && !['port', 'bind', 'tls-port'].includes(name)) {
          // Accepted values behave: a new client is served under them (where the listeners did not just move).
          const fresh = new Line(sealkv.port);
          expect(await fresh.call('PING')).toMatch(/^(PONG|-NOAUTH.*|CLOSED|-ERR max number of clients reached)$/);
          fresh.close();
        }
        if (r && redisBefore && !DIFFERENT[name]) {
          const theirs = await r.call('CONFIG', 'SET', name, value);
          if (!redisSideEffect(name, theirs)) {
            compared++;
            if (ours !== theirs) mismatches.push(`${name} ${JSON.stringify(value)}: sealkv ${String(ours)} / redis ${String(theirs)}`);
            else if (ours === 'OK') {
              const a = await s.call('CONFIG', 'GET', name);
              let b = await r.call('CONFIG', 'GET', name);
              // Passwords: sealkv shows the SHA-256 of what Redis shows (README, deliberate differences).
              if (DIGEST_SHOWN.has(name) && Array.isArray(b) && b[1] !== '') b = [b[0], '#' + createHash('sha256').update(String(b[1])).digest('hex')];
              if (name !== 'dir' && JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`${name} ${JSON.stringify(value)}: GET sealkv ${JSON.stringify(a)} / redis ${JSON.stringify(b)}`);
            }
          }
          if (theirs === 'OK' || theirs === 'CLOSED') await r.call('CONFIG', 'SET', name, redisBefore[1]!);
        }
        if (ours === 'OK' || ours === 'CLOSED') expect(await s.call('CONFIG', 'SET', name, before[1]!)).toBe('OK');
      }
    }
    expect(mismatches.slice(0, 40)).toEqual([]);
    if (r) expect(compared).toBeGreaterThan(5000);
  }, 300_000);

  it('a setting sealkv does not act on is accepted, logged once as such and listed in INFO', async () => {
    expect(await s.call('CONFIG', 'SET', 'appendonly', 'yes', 'zset-max-ziplist-entries', '1')).toBe('OK');
    expect(await sealkv.waitForOutput('"setting":"zset-max-listpack-entries"')).toBe(true);
    expect(sealkv.output()).toMatch(/"setting":"appendonly","msg":"setting accepted but sealkv does not act on it"/);
    const info = (await s.call('INFO', 'sealkv')) as string;
    expect(info).toContain('config_not_applied:appendonly,zset-max-listpack-entries\r\n');
    expect(await s.call('CONFIG', 'SET', 'appendonly', 'no', 'zset-max-listpack-entries', '128')).toBe('OK');
  });

  it('client-output-buffer-limit "normal 99999999999999999999999 0 0" is accepted and the server keeps serving large replies', async () => {
    expect(await s.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 99999999999999999999999 0 0')).toBe('OK');
    expect(await s.call('CONFIG', 'GET', 'client-output-buffer-limit')).toEqual([
      'client-output-buffer-limit',
      'normal 18446744073709551615 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    ]);
    expect(await s.call('SET', 'big', 'v'.repeat(1 << 20))).toBe('OK');
    expect(((await s.call('GET', 'big')) as string).length).toBe(1 << 20);
    expect(await s.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0')).toBe('OK');
  });

  it('CONFIG SET with several pairs: all or nothing, Redis 7 errors', async () => {
    const cases: string[][] = [
      ['hz', '20', 'timeout', '30'],
      ['hz', '21', 'timeout', 'x'],
      ['hz', '22', 'nosuch', '1', 'port', 'x'],
      ['port', 'x', 'hz', '23', 'nosuch', '1'],
      ['hz', '24', 'HZ', '25'],
      ['hz', '26', 'daemonize', 'yes', 'hz', '27'],
      ['dir', '/tmp', 'hz', 'x'],
      ['hz', 'x', 'dir', '/tmp'],
      ['maxmemory', '1mb', 'hash-max-ziplist-value', 'x'],
      ['slave-read-only', 'no', 'replica-read-only', 'yes'],
      ['hz'],
      ['hz', '1', 'maxmemory'],
    ];
    for (const c of cases) {
      const ours = await s.call('CONFIG', 'SET', ...c);
      const state = await s.call('CONFIG', 'GET', 'hz', 'timeout', 'maxmemory', 'replica-read-only');
      if (r) {
        expect(ours, c.join(' ')).toEqual(await r.call('CONFIG', 'SET', ...c));
        const theirs = await r.call('CONFIG', 'GET', 'hz', 'timeout', 'maxmemory', 'replica-read-only');
        expect(new Set(state as string[]), c.join(' ')).toEqual(new Set(theirs as string[]));
      }
    }
    expect(await s.call('CONFIG', 'GET', 'hz', 'timeout')).toEqual(['hz', '20', 'timeout', '30']);
    for (const line of r ? [s, r] : [s]) await line.call('CONFIG', 'SET', 'hz', '10', 'timeout', '0', 'maxmemory', '0');
  });

  it('CONFIG GET * fed back to CONFIG SET is accepted (Redis suite "CONFIG sanity"), Redis-immutable ones still refused', async () => {
    // Redis's test skips its own immutable settings by name; sealkv's start-up-only ones (TLS
    // files, sealing) take the value they already have and refuse any other.
    const redisImmutable = new Set(['daemonize', 'databases', 'tcp-backlog', 'unixsocket', 'unixsocketperm', 'socket-mark-id', 'aclfile',
      'enable-protected-configs', 'enable-debug-command', 'enable-module-command', 'pidfile', 'supervised', 'logfile', 'syslog-enabled',
      'syslog-ident', 'syslog-facility', 'always-show-logo', 'set-proc-title', 'io-threads', 'io-threads-do-reads', 'disable-thp',
      'rdbchecksum', 'appendfilename', 'appenddirname', 'replicaof', 'slaveof', 'cluster-enabled', 'cluster-config-file', 'cluster-port',
      'requirepass', 'dir', 'dbfilename', 'oom-score-adj', 'oom-score-adj-values', 'server_cpulist', 'bio_cpulist', 'aof_rewrite_cpulist',
      'bgsave_cpulist']);
    const all = (await s.call('CONFIG', 'GET', '*')) as string[];
    const refused: string[] = [];
    for (let i = 0; i < all.length; i += 2) {
      if (redisImmutable.has(all[i]!)) continue;
      const reply = await s.call('CONFIG', 'SET', all[i]!, all[i + 1]!);
      if (reply !== 'OK') refused.push(`${all[i]} ${String(reply)}`);
    }
    expect(refused).toEqual([]);
    expect(await s.call('CONFIG', 'GET', '*')).toEqual(all);
    expect(await s.call('CONFIG', 'SET', 'port', String(sealkv.port), 'hz', '11')).toBe('OK');
    expect(await s.call('CONFIG', 'SET', 'hz', '12', 'seal-keys', 'yes')).toBe("-ERR CONFIG SET failed (possibly related to argument 'seal-keys') - can't set immutable config");
    expect(await s.call('CONFIG', 'GET', 'hz')).toEqual(['hz', '11']);
    // Redis's own immutable settings answer as redis-server does, same value or not.
    for (const line of r ? [s, r] : [s]) {
      expect(await line.call('CONFIG', 'SET', 'daemonize', 'no')).toBe("-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config");
    }
    await s.call('CONFIG', 'SET', 'hz', '10');
  });

  it('CONFIG GET with several patterns: each setting once, aliases by their own name', async () => {
    const pairs = (reply: Reply) => {
      const a = reply as string[];
      const out: string[] = [];
      for (let i = 0; i < a.length; i += 2) out.push(`${a[i]}=${a[i + 1]}`);
      return out.sort();
    };
    const cases = [
      ['port', 'PORT'],
      ['maxmemory*', 'maxmemory', 'hz'],
      ['slaveof', 'replicaof', 'replica-pri*'],
      ['*max*entries*', 'hash-max-ziplist-entries'],
      ['P*'],
      ['nosuch', 'hz', 'h?'],
      ['*ziplist*'],
      ['[a-c]*'],
    ];
    for (const c of cases) {
      const ours = pairs(await s.call('CONFIG', 'GET', ...c)).filter((p) => !p.startsWith('port=') && !p.startsWith('PORT='));
      expect(new Set(ours).size, c.join(' ')).toBe(ours.length);
      if (r) {
        const theirs = pairs(await r.call('CONFIG', 'GET', ...c)).filter((p) => !p.startsWith('port=') && !p.startsWith('PORT='));
        expect(ours.filter((p) => !p.startsWith('bind=') && !p.startsWith('appendonly=') && !OWN.has(p.slice(0, p.indexOf('=')))), c.join(' ')).toEqual(
          theirs.filter((p) => !p.startsWith('bind=') && !p.startsWith('appendonly=')),
        );
      }
    }
  });
});

/** redis-server's verdict on one start-up line: 'OK', or its reason (the last line of a fatal config error). */
function redisStartVerdict(name: string, value: string, cwd: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('redis-server', ['--port', '0', '--save', '', '--daemonize', 'no', `--${name}`, value], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    // A valid port or bind may leave it listening: that is an accepted value.
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('close', () => {
      clearTimeout(timer);
      if (!out.includes('FATAL CONFIG FILE ERROR')) return resolve('OK');
      const lines = out.trim().split('\n');
      resolve(lines[lines.length - 1]!.trim());
    });
  });
}

function sealkvStartVerdict(name: string, value: string): string {
  try {
    new Config().load(name, [value]);
    return 'OK';
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

describe.skipIf(!hasRedisServer)('start-up values against redis-server 7.0', () => {
  // Settings fixed at start (CONFIG SET cannot reach them) and those sealkv fixes, x values.
  const VALUES = ['', 'abc', 'yes', 'NO', '-1', '01', '1.5', '99999999999999999999999', '2147483648', '0777', 'a/b', 'local'];
  // Not compared: files and sockets redis-server opens or connects at start (logfile, aclfile,
  // unixsocket, cluster mode, replication), and sealkv's bound on databases.
  const SKIP = new Set(['logfile', 'aclfile', 'unixsocket', 'cluster-enabled', 'replicaof', 'slaveof', 'databases', 'bind']);
  const names = SETTINGS.filter((x) => (!x.mutable || DIFFERENT[x.name]) && !OWN.has(x.name) && !SKIP.has(x.name)).map((x) => x.name);

  it('every start-up-only setting refuses or accepts what redis-server does, with its reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-start-'));
    const jobs = names.flatMap((name) => VALUES.map((value) => [name, value] as const));
    const mismatches: string[] = [];
    for (let i = 0; i < jobs.length; i += 6) {
      await Promise.all(
        jobs.slice(i, i + 6).map(async ([name, value]) => {
          const theirs = await redisStartVerdict(name, value, dir);
          const ours = sealkvStartVerdict(name, value);
          if (ours !== theirs && !(name === 'loglevel' && value === 'nothing')) mismatches.push(`${name} ${JSON.stringify(value)}: sealkv ${ours} / redis ${theirs}`);
        }),
      );
    }
    expect(mismatches).toEqual([]);
  }, 240_000);
});

/** Runs the CLI as a user would; resolves once ready (with the port) or once it exits. */
function runCli(args: string[], cwd?: string): Promise<{ ready: boolean; code: number | null; output: string; child: ChildProcess }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('"sealkv ready"')) resolve({ ready: true, code: null, output, child });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ready: false, code, output, child });
    });
  });
}

async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  await closed;
}

describe('starting from config files', () => {
  it("starts from Debian's stock /etc/redis/redis.conf given as the first argument", async () => {
    if (!existsSync('/etc/redis/redis.conf')) return console.warn('no /etc/redis/redis.conf: skipped');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-stock-'));
    const pidfile = join(dir, 'sealkv.pid');
    // The file's own pidfile (/run/redis/...) would be written when its directory exists; a test
    // must not touch a real Redis's pid file, nor its log file (logfile: stdout instead). "-::1"
    // (optional bind) is the listeners' part.
    const run = await runCli(['/etc/redis/redis.conf', '--port', String(port), '--pidfile', pidfile, '--bind', '127.0.0.1', '--logfile', '']);
    try {
      expect(run.output).not.toContain('problem');
      expect(run.ready).toBe(true);
      // main writes it once the server is up, just after the ready line.
      for (let i = 0; i < 100 && !existsSync(pidfile); i++) await new Promise((res) => setTimeout(res, 20));
      expect(readFileSync(pidfile, 'utf8')).toBe(`${run.child.pid}\n`);
      const line = new Line(port);
      expect(await line.call('CONFIG', 'GET', 'daemonize')).toEqual(['daemonize', 'yes']);
      expect(await line.call('CONFIG', 'GET', 'client-output-buffer-limit')).toEqual([
        'client-output-buffer-limit',
        'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
      ]);
      const info = (await line.call('INFO', 'sealkv')) as string;
      const listed = /config_not_applied:(.*)\r\n/.exec(info)![1]!.split(',');
      expect(listed).toEqual(expect.arrayContaining(['daemonize']));
      expect(listed).not.toContain('logfile');
      expect(listed).not.toContain('port');
      // Listed once, in the ready line, not one warning per setting.
      expect(run.output.match(/"notApplied":\[/g)).toHaveLength(1);
      line.close();
    } finally {
      await stopCli(run.child);
    }
    expect(existsSync(pidfile)).toBe(false);
  });

  it('follows a relative include from the working directory and applies rename-command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-include-'));
    writeFileSync(join(dir, 'main.conf'), 'include extra.conf\nrename-command FLUSHALL wipe-everything\nrename-command CONFIG ""\n');
    writeFileSync(join(dir, 'extra.conf'), 'hz 33\nsave 900 1\nsave 300 10\n');
    const port = await freePort();
    const run = await runCli(['main.conf', '--port', String(port), '--bind', '127.0.0.1'], dir);
    try {
      expect(run.ready, run.output).toBe(true);
      const line = new Line(port);
      expect(await line.call('CONFIG', 'GET', 'hz')).toBe("-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'hz' ");
      expect(await line.call('FLUSHALL')).toBe("-ERR unknown command 'FLUSHALL', with args beginning with: ");
      expect(await line.call('SET', 'k', 'v')).toBe('OK');
      expect(await line.call('wipe-everything')).toBe('OK');
      expect(await line.call('DBSIZE')).toBe('0');
      const server = (await line.call('INFO', 'server')) as string;
      expect(server).toContain('configured_hz:33');
      expect(server).toContain(`config_file:${join(dir, 'main.conf')}\r\n`);
      line.close();
    } finally {
      await stopCli(run.child);
    }
  });

  it('declares ACL users from user lines, and refuses them beside an aclfile, as Redis does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-users-'));
    writeFileSync(join(dir, 'users.conf'), 'user alice on >alice-pw ~app:* +get +set\nuser default on nopass ~* +@all\n');
    const port = await freePort();
    const run = await runCli([join(dir, 'users.conf'), '--port', String(port), '--bind', '127.0.0.1']);
    try {
      expect(run.ready, run.output).toBe(true);
      const line = new Line(port);
      expect(await line.call('AUTH', 'alice', 'wrong')).toBe('-WRONGPASS invalid username-password pair or user is disabled.');
      expect(await line.call('AUTH', 'alice', 'alice-pw')).toBe('OK');
      expect(await line.call('SET', 'app:1', 'v')).toBe('OK');
      expect(String(await line.call('SET', 'other', 'v'))).toMatch(/^-NOPERM/);
      // As redis-server 7.0 lists them: a `user default` line resets the existing default user
      // first, and reset sets sanitize-payload; a new user starts without it.
      const admin = new Line(port);
      expect(await admin.call('ACL', 'LIST')).toEqual([
        `user alice on #${createHash('sha256').update('alice-pw').digest('hex')} ~app:* resetchannels -@all +get +set`,
        'user default on nopass sanitize-payload ~* resetchannels +@all',
      ]);
      admin.close();
      line.close();
    } finally {
      await stopCli(run.child);
    }
    writeFileSync(join(dir, 'users.acl'), 'user default on nopass ~* +@all\n');
    const both = await runCli([join(dir, 'users.conf'), '--aclfile', join(dir, 'users.acl'), '--port', String(await freePort())]);
    expect(both.code).toBe(1);
    expect(both.output).toContain('Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid.');
    // A user declared twice stops the start, as in Redis (its acl unit, from the command line).
    for (const name of ['foo', 'default']) {
      const twice = await runCli(['--port', String(await freePort()), '--user', name, '--user', name]);
      expect(twice.code, twice.output).toBe(1);
      expect(twice.output).toContain(`Error in user declaration '${name}': Duplicate user found. A user can only be defined once in config files`);
    }
  });

  it('refuses to start on bad directives, listing them all at once, and on bad renames', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealkv-bad-'));
    writeFileSync(join(dir, 'bad.conf'), 'port x\nbogus-directive 1\nmaxmemory 1zb\ninclude bad.conf\n');
    const bad = await runCli([join(dir, 'bad.conf')], dir);
    expect(bad.ready).toBe(false);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('4 problems');
    expect(bad.output).toContain("'bogus-directive 1': Bad directive or wrong number of arguments");
    expect(bad.output).toContain('include cycle refused');
    writeFileSync(join(dir, 'rename.conf'), 'rename-command nosuch x\n');
    const rename = await runCli([join(dir, 'rename.conf'), '--port', String(await freePort())], dir);
    expect(rename.code).toBe(1);
    expect(rename.output).toContain('No such command in rename-command');
    writeFileSync(join(dir, 'rename2.conf'), 'rename-command get set\n');
    const clash = await runCli([join(dir, 'rename2.conf'), '--port', String(await freePort())], dir);
    expect(clash.code).toBe(1);
    expect(clash.output).toContain('Target command name already exists');
  });

  it('--help lists every setting, grouped, with its default and whether sealkv acts on it', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const spec of SETTINGS) if (!spec.hidden) expect(run.output).toContain(` ${spec.name} `);
    expect(run.output).toMatch(/Memory, eviction and the spill tier:\n/);
    expect(run.output).toMatch(/^ {4}maxmemory +bytes +default 0$/m);
    expect(run.output).toMatch(/^ {2}- daemonize +yes\|no +default no$/m);
  });
});
