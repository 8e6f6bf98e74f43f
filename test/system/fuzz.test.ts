// Hostile clients against the spawned server: random and mutated RESP, slow-loris writers,
// many idle connections and half-written commands. The server must never crash, a client
// connected throughout keeps working, and the server's RSS stays under a bound.
//
// Bounded by default: FUZZ_COUNT inputs (2,000) from a fixed FUZZ_SEED (set it to explore). `npm run
// fuzz` runs a longer one (FUZZ_COUNT=100000 unless set). The fuzzed connections run as the
// default user without @dangerous/@admin commands (no SHUTDOWN, CONFIG SET, FLUSHALL by chance);
// the checks use an admin user.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';
import { prng } from '../helpers/prng.js';

const COUNT = Number(process.env.FUZZ_COUNT ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
/** Parallel fuzzing connections. */
const PARALLEL = 16;
/** The spawned server's resident memory must stay below this (measured peaks: about 95 MiB). */
const RSS_LIMIT = 256 * 1024 * 1024;
/** Generous wall-clock bound on the whole run: about 15 ms per input, at least a minute. */
const FUZZ_TIMEOUT = Math.max(60_000, COUNT * 15);

const CORPUS: string[][] = [
  ['SET', 'k', 'v'], ['GET', 'k'], ['SET', 'k', 'v', 'EX', '100', 'GET'], ['MGET', 'a', 'b', 'k'], ['MSET', 'a', '1', 'b', '2'],
  ['INCR', 'n'], ['INCRBYFLOAT', 'f', '1.5'], ['APPEND', 'k', 'xyz'], ['GETRANGE', 'k', '0', '-1'], ['SETRANGE', 'k', '5', 'zz'],
  ['HSET', 'h', 'f', 'v', 'g', 'w'], ['HGETALL', 'h'], ['HINCRBY', 'h', 'c', '3'], ['HSCAN', 'h', '0', 'COUNT', '5'],
  ['DEL', 'a', 'b'], ['EXISTS', 'k', 'h'], ['EXPIRE', 'k', '100'], ['TTL', 'k'], ['PERSIST', 'k'], ['TYPE', 'h'],
  ['SCAN', '0', 'MATCH', '*', 'COUNT', '10'], ['KEYS', '*'], ['RENAME', 'k', 'k2'], ['COPY', 'h', 'h2'],
  ['MULTI'], ['EXEC'], ['DISCARD'], ['WATCH', 'k'], ['SELECT', '3'], ['PING'], ['ECHO', 'hello'],
  ['HELLO', '3'], ['HELLO', '2'], ['CLIENT', 'SETNAME', 'fuzz'], ['CLIENT', 'INFO'], ['ACL', 'WHOAMI'], ['ACL', 'CAT'],
  ['AUTH', 'nobody', 'x'], ['COMMAND', 'INFO', 'get'], ['OBJECT', 'ENCODING', 'k'], ['DBSIZE'], ['TIME'],
];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)]!;
}

/** One hostile input: random bytes, or valid commands mutated in RESP-aware and blind ways. */
function makeInput(rnd: () => number): Buffer {
  const kind = rnd();
  if (kind < 0.2) return Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 512) }, () => Math.floor(rnd() * 256)));
  const cmds = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => pick(rnd, CORPUS));
  let text = cmds.map((c) => (rnd() < 0.2 ? c.join(' ') + '\r\n' : encodeCommand(c).toString('latin1'))).join('');
  const mutations = Math.floor(rnd() * 4);
  for (let m = 0; m < mutations && text.length > 0; m++) {
    const at = Math.floor(rnd() * text.length);
    const op = rnd();
    if (op < 0.25) text = text.slice(0, at) + String.fromCharCode(Math.floor(rnd() * 256)) + text.slice(at + 1);
    else if (op < 0.45) text = text.slice(0, at); // truncated: a half-written command
    else if (op < 0.6) text = text.slice(0, at) + pick(rnd, ['-1', '0', '99999999999', '2147483648', '-5', '\r\n', '*', '$', '"', '\x00']) + text.slice(at);
    else if (op < 0.75) text = text.replace(/\$(\d+)/, () => '$' + Math.floor(rnd() * 100000));
    else if (op < 0.9) text = text.replace(/\*(\d+)/, () => '*' + Math.floor(rnd() * 1_000_000));
    else text = text + text.slice(at);
  }
  return Buffer.from(text, 'latin1');
}

/** Sends one input, maybe in pieces, then leaves: at once, after a moment, or after the reply. */
function deliver(port: number, input: Buffer, rnd: () => number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 5 + Math.floor(rnd() * 40));
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => {});
    socket.on('connect', () => {
      const pieces = rnd() < 0.5 ? 1 : 1 + Math.floor(rnd() * 4);
      const size = Math.ceil(input.length / pieces);
      for (let i = 0; i < input.length; i += size) socket.write(input.subarray(i, i + size));
      if (rnd() < 0.3) socket.end();
    });
  });
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

describe('hostile clients against the spawned server', () => {
  let dir: string;
  let server: SpawnedServer;
  let admin: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealkv-fuzz-'));
    const acl = join(dir, 'users.acl');
    writeFileSync(acl, 'user default on nopass ~* &* +@all -@dangerous -@admin\nuser admin on >admin-pw ~* &* +@all\n');
    server = await spawnServer(['--aclfile', acl, '--maxclients', '2000']);
    admin = new Redis({ port: server.port, host: '127.0.0.1', username: 'admin', password: 'admin-pw', maxRetriesPerRequest: 1 });
    await admin.set('witness', 'still here');
  });

  afterAll(async () => {
    admin?.disconnect();
    console.log(`fuzz: server peak RSS seen ${(peakRss / 1024 / 1024).toFixed(1)} MiB (limit ${RSS_LIMIT / 1024 / 1024} MiB)`);
    const code = await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    // A clean exit after everything above: the fuzz never brought the server down.
    expect(code).toBe(0);
  });

  let peakRss = 0;
  async function healthy(): Promise<void> {
    expect(server.process.exitCode).toBeNull();
    expect(await admin.get('witness')).toBe('still here');
    const rss = rssOf(server.process.pid!);
    peakRss = Math.max(peakRss, rss);
    expect(rss).toBeLessThan(RSS_LIMIT);
  }

  it(`survives ${COUNT} random and mutated RESP inputs (seed ${SEED})`, async () => {
    console.log(`fuzz: ${COUNT} inputs, FUZZ_SEED=${SEED}`);
    const rnd = prng(SEED);
    const inputs = () => makeInput(rnd);
    let next = 0;
    const bystander = await openSocket(server.port);
    // Rounds of 500 inputs over PARALLEL connections, with a health check after each.
    while (next < COUNT) {
      const target = Math.min(COUNT, next + 500);
      await Promise.all(Array.from({ length: PARALLEL }, async () => {
        while (next < target) {
          next++;
          await deliver(server.port, inputs(), rnd);
        }
      }));
      await healthy();
    }
    // A connection open through the whole run still gets its answers.
    const reply = await new Promise<string>((resolve) => {
      bystander.once('data', (d) => resolve(d.toString()));
      bystander.write(encodeCommand(['GET', 'witness']));
    });
    expect(reply).toBe('$10\r\nstill here\r\n');
    bystander.destroy();
  }, FUZZ_TIMEOUT);

  it('slow-loris writers (one byte at a time) do not hold anyone else up, and are answered correctly', async () => {
    const cmd = encodeCommand(['SET', 'slow', 'x'.repeat(40)]);
    const writers = await Promise.all(Array.from({ length: 20 }, () => openSocket(server.port)));
    const answers = writers.map((s) => new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.endsWith('\r\n')) resolve(got);
      });
    }));
    for (let i = 0; i < cmd.length; i++) {
      for (const s of writers) s.write(cmd.subarray(i, i + 1));
      if (i % 10 === 0) expect(await admin.ping()).toBe('PONG');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(answers)).toEqual(writers.map(() => '+OK\r\n'));
    for (const s of writers) s.destroy();
    await healthy();
  });

  it('500 idle connections and half-written commands leave the server serving', async () => {
    const idle = await Promise.all(Array.from({ length: 500 }, () => openSocket(server.port)));
    // Half-written commands: some stay open mid-command, some hang up mid-command.
    const half = encodeCommand(['SET', 'half', 'never-complete']).subarray(0, 20);
    const hanging = await Promise.all(Array.from({ length: 50 }, () => openSocket(server.port)));
    for (const s of hanging) s.write(half);
    for (let i = 0; i < 50; i++) await deliver(server.port, half, () => 0.9);
    const clients = String(await admin.info('clients'));
    expect(Number(/connected_clients:(\d+)/.exec(clients)![1])).toBeGreaterThanOrEqual(551);
    await healthy();
    expect(await admin.exists('half')).toBe(0);
    for (const s of [...idle, ...hanging]) s.destroy();
  });
});
