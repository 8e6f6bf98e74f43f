// Hostile single commands, each measured on sealkv and on redis-server holding the same data:
// the longest a second client's PING waited while the command ran (the PING client runs in a
// worker thread, one PING a millisecond after each answer, so parsing a big reply here does not
// delay it), the command's own time to its whole reply, the server's CPU for it (every thread,
// /proc/PID/task/*/schedstat), its peak resident memory growth (VmHWM after clear_refs 5), and
// whether the server still answers afterwards. The data: 1 M-element list, set, sorted set, hash,
// geo set, a 200 k-entry stream with a 200 k-entry PEL, 1 M string keys, a 512 MB string,
// 1,000 HyperLogLogs, two LCS strings, 5,000 idle clients.
//
//   npm run build && node dist/bench/stalls.js [--ports 7430,7431] [--only REGEX] [--small]
//     [--servers sealkv,redis] [--json out.json]
//   (--small: 100 k elements instead of 1 M, for a quick run; --only: cases whose label matches)
//
// A case whose reply does not come within --timeout seconds (default 60) is counted as a stall
// of that length; a server that stops answering PING ends its column ("DOWN").

import { writeFileSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { crc64Into } from '../src/seal/transport.js';
import { cpuNanos, startRedis, startSealkv, type BenchServer } from './lib/servers.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Counts whole RESP replies as bytes stream in, without joining chunks (a 512 MB bulk is skipped,
 * not gathered); keeps the first bytes of each reply to show.
 */
class ReplyCounter {
  replies = 0;
  heads: string[] = [];
  private stack: number[] = [];
  private skip = 0;
  private line = '';
  private head = '';

  feed(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        if (this.head.length < 80) this.head += chunk.toString('latin1', i, i + Math.min(n, 80));
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.done();
        continue;
      }
      const nl = chunk.indexOf(0x0a, i);
      if (nl < 0) {
        this.line += chunk.toString('latin1', i);
        return;
      }
      const text = (this.line + chunk.toString('latin1', i, nl)).replace(/\r$/, '');
      this.line = '';
      i = nl + 1;
      if (this.head.length < 80) this.head += text.slice(0, 80) + ' ';
      const type = text[0];
      const n = Number(text.slice(1));
      if ((type === '$' || type === '=' || type === '!') && n >= 0) this.skip = n + 2;
      else if ((type === '*' || type === '%' || type === '~' || type === '>') && n > 0) this.stack.push(type === '%' ? 2 * n : n);
      else this.done();
    }
  }

  private done(): void {
    while (this.stack.length > 0) {
      const top = this.stack.length - 1;
      if (--this.stack[top]! > 0) return;
      this.stack.pop();
    }
    this.replies++;
    this.heads.push(this.head.trim().slice(0, 70));
    this.head = '';
  }
}

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends frames on a connection and resolves with the replies once `expect` have come (or on timeout/close). */
async function send(port: number, frames: Buffer, expect: number, timeoutMs: number): Promise<{ counter: ReplyCounter; ms: number; timedOut: boolean }> {
  const s = await rawConnect(port);
  const counter = new ReplyCounter();
  const t0 = performance.now();
  const result = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), timeoutMs);
    s.on('data', (d: Buffer) => {
      counter.feed(d);
      if (counter.replies >= expect) {
        clearTimeout(timer);
        resolve(false);
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
    s.on('error', () => undefined);
    s.write(frames);
  });
  const ms = performance.now() - t0;
  s.destroy();
  return { counter, ms, timedOut: result };
}

// ---- the PING client, in a worker thread ----

const PINGER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const s = net.connect({ port: workerData.port, host: '127.0.0.1' });
let sentAt = 0, max = 0, waiting = false;
const ping = () => { sentAt = performance.now(); waiting = true; s.write('PING\\r\\n'); };
s.on('connect', ping);
s.on('data', () => { max = Math.max(max, performance.now() - sentAt); waiting = false; setTimeout(ping, 1); });
s.on('error', () => {});
parentPort.on('message', (m) => {
  const now = Math.max(max, waiting ? performance.now() - sentAt : 0);
  if (m === 'reset') max = 0;
  if (m === 'stop') s.destroy();
  parentPort.postMessage(now);
  if (m === 'stop') parentPort.close();
});
`;

class Pinger {
  private worker: Worker;
  private pending: ((v: number) => void)[] = [];
  constructor(port: number) {
    this.worker = new Worker(PINGER, { eval: true, workerData: { port } });
    this.worker.on('message', (v: number) => this.pending.shift()?.(v));
  }
  private ask(m: string): Promise<number> {
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.worker.postMessage(m);
    });
  }
  reset = () => this.ask('reset');
  peek = () => this.ask('peek');
  stop = () => this.ask('stop');
}

// ---- the data ----

interface Sizes {
  big: number;
  stream: number;
  keys: number;
}

/** Pipelined in batches of `per` commands, each awaited. */
async function load(port: number, total: number, per: number, make: (i: number) => (string | Buffer)[]): Promise<void> {
  for (let at = 0; at < total; at += per) {
    const frames: Buffer[] = [];
    const n = Math.min(per, total - at);
    for (let i = 0; i < n; i++) frames.push(encode(make(at + i)));
    const r = await send(port, Buffer.concat(frames), n, 600_000);
    if (r.timedOut) throw new Error('load timed out');
  }
}

/** Variadic commands of 1,000 elements each. */
function batched(total: number, head: string[], element: (i: number) => string[]): (i: number) => string[] {
  return (b: number) => {
    const args = [...head];
    for (let i = b * 1000; i < Math.min(total, (b + 1) * 1000); i++) args.push(...element(i));
    return args;
  };
}

async function fill(port: number, s: Sizes): Promise<void> {
  await load(port, 1, 1, () => ['FLUSHALL']);
  const batches = Math.ceil(s.big / 1000);
  await load(port, batches, 50, batched(s.big, ['RPUSH', 'biglist'], (i) => [String(i)]));
  await load(port, batches, 50, batched(s.big, ['SADD', 'bigset'], (i) => [`m${i}`]));
  await load(port, batches, 50, batched(s.big, ['ZADD', 'bigzset'], (i) => [String(i), `m${i}`]));
  await load(port, batches, 50, batched(s.big, ['HSET', 'bighash'], (i) => [`f${i}`, `v${i}`]));
  await load(port, batches, 50, batched(s.big, ['GEOADD', 'biggeo'], (i) => [String(-170 + (i % 3400) / 10), String(-80 + Math.floor(i / 3400) % 1600 / 10), `m${i}`]));
  await load(port, Math.ceil(s.keys / 1000), 50, batched(s.keys, ['MSET'], (i) => [`key:${i}`, 'v']));
  await load(port, s.stream, 5000, (i) => ['XADD', 'bigstream', `${i + 1}-0`, 'f', 'v']);
  await load(port, 1, 1, () => ['XGROUP', 'CREATE', 'bigstream', 'g', '0']);
  await load(port, 1, 1, () => ['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', String(s.stream), 'STREAMS', 'bigstream', '>']);
  await load(port, 1000, 500, (i) => ['PFADD', `hll:${i}`, `a${i}`, `b${i}`, `c${i}`]);
  await load(port, 1, 1, () => ['RPUSH', 'small', 'a', 'b', 'c']);
  await load(port, 1, 1, () => ['SADD', 'smallset', 'a', 'b', 'c']);
  await load(port, 1, 1, () => ['ZADD', 'smallzset', '1', 'a', '2', 'b']);
  await load(port, 1, 1, () => ['HSET', 'smallhash', 'a', '1', 'b', '2']);
  await load(port, 1, 1, () => ['SETRANGE', 'bigstr', '536870911', 'x']);
  await load(port, 1, 1, () => ['SET', 'lcs5a', 'ab'.repeat(2500)]);
  await load(port, 1, 1, () => ['SET', 'lcs5b', 'ba'.repeat(2500)]);
  await load(port, 1, 1, () => ['SET', 'mid', Buffer.alloc(128 * 1024 * 1024, 0x61)]);
}

// ---- the cases ----

interface Case {
  label: string;
  /** The frames sent on one connection; the case's reply is the last of `expect` replies. */
  frames: () => Buffer;
  expect?: number;
  /** Frames that never complete: the window is this long, then the connection is closed. */
  windowMs?: number;
  /** Before the measured window (not timed), e.g. opening 5,000 clients. */
  before?: (port: number) => Promise<() => void>;
}

const c = (...args: string[]) => () => encode(args);

/** A DUMP-like payload: RDB type byte, body, RDB version 10, CRC64 (as Redis checks it). */
function rdbPayload(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length + 10);
  body.copy(out);
  out.writeUInt16LE(10, body.length);
  crc64Into(out, 0, body.length + 2, out, body.length + 2);
  return out;
}

function cases(s: Sizes): Case[] {
  const LONG_MAX = '9223372036854775807';
  const LONG_MIN = '-9223372036854775808';
  const multi = (n: number, cmd: string[]) => () => {
    const one = encode(cmd);
    return Buffer.concat([encode(['MULTI']), Buffer.alloc(one.length * n).fill(one), encode(['EXEC'])]);
  };
  return [
    { label: 'PING (baseline)', frames: c('PING') },
    { label: 'BITFIELD k SET u8 4294967288 1 (missing key)', frames: c('BITFIELD', 'bf1', 'SET', 'u8', '4294967288', '1') },
    { label: 'BITFIELD k SET u8 #536870911 1 (missing key)', frames: c('BITFIELD', 'bf2', 'SET', 'u8', '#536870911', '1') },
    { label: 'BITFIELD k INCRBY i64 4294967232 1 (short key)', frames: () => Buffer.concat([encode(['SET', 'bf3', 'abc']), encode(['BITFIELD', 'bf3', 'INCRBY', 'i64', '4294967232', '1'])]), expect: 2 },
    { label: 'BITFIELD_RO k GET u8 4294967288 (missing)', frames: c('BITFIELD_RO', 'bf4', 'GET', 'u8', '4294967288') },
    { label: 'SETRANGE k 536870911 x inside MULTI', frames: () => Buffer.concat([encode(['MULTI']), encode(['SETRANGE', 'mr1', '536870911', 'x']), encode(['EXEC'])]), expect: 3 },
    { label: 'SETBIT k 4294967295 1 inside MULTI', frames: () => Buffer.concat([encode(['MULTI']), encode(['SETBIT', 'mr2', '4294967295', '1']), encode(['EXEC'])]), expect: 3 },
    { label: "EVAL redis.call('SETRANGE', k, 536870911, 'x')", frames: c('EVAL', "return redis.call('SETRANGE', KEYS[1], 536870911, 'x')", '1', 'ev1') },
    { label: 'SETRANGE k 536870911 x on a 128 MB value', frames: c('SETRANGE', 'mid', '536870911', 'x') },
    { label: 'APPEND 10 bytes to a 512 MB value', frames: c('APPEND', 'bigstr', '0123456789') },
    { label: 'SETRANGE 4 bytes inside a 512 MB value', frames: c('SETRANGE', 'bigstr', '300000000', 'abcd') },
    { label: 'BITCOUNT over 512 MB', frames: c('BITCOUNT', 'bigstr') },
    { label: 'BITPOS 512 MB 1', frames: c('BITPOS', 'bigstr', '1') },
    { label: 'BITOP NOT of 512 MB', frames: c('BITOP', 'NOT', 'bitopdst', 'bigstr') },
    { label: 'GETRANGE 512 MB 0 -1', frames: c('GETRANGE', 'bigstr', '0', '-1') },
    { label: 'STRLEN / GETRANGE 512 MB LONG_MIN LONG_MAX', frames: c('GETRANGE', 'bigstr', LONG_MIN, LONG_MAX) },
    { label: 'LCS of two 5 KB strings', frames: c('LCS', 'lcs5a', 'lcs5b') },
    { label: `LRANGE small 0 LONG_MAX`, frames: c('LRANGE', 'small', '0', LONG_MAX) },
    { label: `LRANGE list(${s.big}) 0 -1`, frames: c('LRANGE', 'biglist', '0', '-1') },
    { label: `LPOS list(${s.big}) nomatch COUNT 0`, frames: c('LPOS', 'biglist', 'nomatch', 'COUNT', '0') },
    { label: `LPOS list RANK LONG_MIN`, frames: c('LPOS', 'biglist', 'x', 'RANK', LONG_MIN) },
    { label: `LINDEX list(${s.big}) ${s.big / 2}`, frames: c('LINDEX', 'biglist', String(s.big / 2)) },
    { label: `SORT list(${s.big})`, frames: c('SORT', 'biglist') },
    { label: `SORT list LIMIT 0 1`, frames: c('SORT', 'biglist', 'LIMIT', '0', '1') },
    { label: `SORT small LIMIT LONG_MIN LONG_MAX`, frames: c('SORT', 'small', 'ALPHA', 'LIMIT', LONG_MIN, LONG_MAX) },
    { label: `SORT list BY nokey GET # LIMIT 0 10`, frames: c('SORT', 'biglist', 'BY', 'nokey', 'GET', '#', 'LIMIT', '0', '10') },
    { label: `SRANDMEMBER small -10000000`, frames: c('SRANDMEMBER', 'smallset', '-10000000') },
    { label: `SRANDMEMBER small LONG_MIN`, frames: c('SRANDMEMBER', 'smallset', LONG_MIN) },
    { label: `SRANDMEMBER set(${s.big}) ${s.big}`, frames: c('SRANDMEMBER', 'bigset', String(s.big)) },
    { label: `SRANDMEMBER set(${s.big}) -${s.big}`, frames: c('SRANDMEMBER', 'bigset', `-${s.big}`) },
    { label: `ZRANDMEMBER small -10000000 WITHSCORES`, frames: c('ZRANDMEMBER', 'smallzset', '-10000000', 'WITHSCORES') },
    { label: `ZRANDMEMBER zset(${s.big}) ${s.big}`, frames: c('ZRANDMEMBER', 'bigzset', String(s.big)) },
    { label: `HRANDFIELD small -10000000 WITHVALUES`, frames: c('HRANDFIELD', 'smallhash', '-10000000', 'WITHVALUES') },
    { label: `HRANDFIELD hash(${s.big}) ${s.big}`, frames: c('HRANDFIELD', 'bighash', String(s.big)) },
    { label: `HGETALL hash(${s.big})`, frames: c('HGETALL', 'bighash') },
    { label: `SMEMBERS set(${s.big})`, frames: c('SMEMBERS', 'bigset') },
    { label: `SUNIONSTORE dst set set(${s.big})`, frames: c('SUNIONSTORE', 'sdst', 'bigset', 'bigset') },
    { label: `SINTERCARD 2 set set LIMIT 0`, frames: c('SINTERCARD', '2', 'bigset', 'bigset', 'LIMIT', '0') },
    { label: `SDIFF set set`, frames: c('SDIFF', 'bigset', 'bigset') },
    { label: `ZRANGESTORE dst zset(${s.big}) 0 -1`, frames: c('ZRANGESTORE', 'zdst', 'bigzset', '0', '-1') },
    { label: `ZRANGE zset 0 -1 WITHSCORES`, frames: c('ZRANGE', 'bigzset', '0', '-1', 'WITHSCORES') },
    { label: `ZRANGEBYSCORE zset -inf +inf LIMIT 0 LONG_MAX`, frames: c('ZRANGEBYSCORE', 'bigzset', '-inf', '+inf', 'LIMIT', '0', LONG_MAX) },
    { label: `ZUNIONSTORE dst 2 zset zset`, frames: c('ZUNIONSTORE', 'zdst2', '2', 'bigzset', 'bigzset') },
    { label: `ZREMRANGEBYSCORE zset copy -inf +inf`, frames: () => Buffer.concat([encode(['COPY', 'bigzset', 'zcopy']), encode(['ZREMRANGEBYSCORE', 'zcopy', '-inf', '+inf'])]), expect: 2 },
    { label: `SPOP set-copy ${s.big}`, frames: () => Buffer.concat([encode(['SUNIONSTORE', 'popset', 'bigset']), encode(['SPOP', 'popset', String(s.big)])]), expect: 2 },
    { label: `SPOP small LONG_MAX`, frames: c('SPOP', 'smallset', LONG_MAX) },
    { label: `GEOSEARCH geo(${s.big}) radius 50000 km`, frames: c('GEOSEARCH', 'biggeo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '50000', 'km') },
    { label: `GEOSEARCH geo radius 50000 km COUNT 1 ASC`, frames: c('GEOSEARCH', 'biggeo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '50000', 'km', 'COUNT', '1', 'ASC') },
    { label: `GEORADIUS geo 0 0 50000 km STORE`, frames: c('GEORADIUS', 'biggeo', '0', '0', '50000', 'km', 'STORE', 'geodst') },
    { label: `XRANGE stream(${s.stream}) - +`, frames: c('XRANGE', 'bigstream', '-', '+') },
    { label: `XRANGE stream - + COUNT LONG_MAX`, frames: c('XRANGE', 'bigstream', '-', '+', 'COUNT', LONG_MAX) },
    { label: `XPENDING stream g - + 1000000000`, frames: c('XPENDING', 'bigstream', 'g', '-', '+', '1000000000') },
    { label: `XAUTOCLAIM stream g c2 0 0-0 COUNT 1000000`, frames: c('XAUTOCLAIM', 'bigstream', 'g', 'c2', '0', '0-0', 'COUNT', '1000000') },
    { label: `XINFO STREAM stream FULL COUNT 0`, frames: c('XINFO', 'STREAM', 'bigstream', 'FULL', 'COUNT', '0') },
    { label: `KEYS * (${s.keys + 20} keys)`, frames: c('KEYS', '*') },
    { label: `SCAN 0 COUNT LONG_MAX`, frames: c('SCAN', '0', 'COUNT', LONG_MAX) },
    { label: `SCAN 0 MATCH nomatch* COUNT 1000000000`, frames: c('SCAN', '0', 'MATCH', 'nomatch*', 'COUNT', '1000000000') },
    { label: `HSCAN hash 0 COUNT LONG_MAX`, frames: c('HSCAN', 'bighash', '0', 'COUNT', LONG_MAX) },
    { label: `MEMORY USAGE set SAMPLES 0`, frames: c('MEMORY', 'USAGE', 'bigset', 'SAMPLES', '0') },
    { label: `MEMORY USAGE hash SAMPLES 0`, frames: c('MEMORY', 'USAGE', 'bighash', 'SAMPLES', '0') },
    { label: `OBJECT ENCODING/FREQ set`, frames: c('OBJECT', 'ENCODING', 'bigset') },
    { label: `DUMP set(${s.big})`, frames: c('DUMP', 'bigset') },
    { label: `PFCOUNT 1,000 HLLs`, frames: c('PFCOUNT', ...Array.from({ length: 1000 }, (_, i) => `hll:${i}`)) },
    { label: `PFMERGE dst 1,000 HLLs`, frames: c('PFMERGE', 'hlldst', ...Array.from({ length: 1000 }, (_, i) => `hll:${i}`)) },
    { label: `DEL of 100,000 missing keys`, frames: c('DEL', ...Array.from({ length: 100_000 }, (_, i) => `nokey:${i}`)) },
    { label: `MULTI + 100,000 queued INCR + EXEC`, frames: multi(100_000, ['INCR', 'counter']), expect: 100_002 },
    { label: `MULTI + 20 SUNIONSTORE dst set + EXEC`, frames: multi(20, ['SUNIONSTORE', 'mdst', 'bigset']), expect: 22 },
    { label: `EVAL table of 10 M integers`, frames: c('EVAL', 'local t = {} for i = 1, 10000000 do t[i] = i end return #t', '0') },
    { label: `EVAL string.rep 100 MB`, frames: c('EVAL', "return #string.rep('x', 100000000)", '0') },
    { label: `EVAL unpack of 1 M`, frames: c('EVAL', 'local t = {} for i = 1, 1000000 do t[i] = i end return redis.call("RPUSH", "luapush", unpack(t, 1, 7999))', '0') },
    { label: `FUNCTION RESTORE garbage`, frames: c('FUNCTION', 'RESTORE', '\xf5\x00garbage\xff\xff\xff\xff') },
    { label: `RESTORE string len 2^32-1`, frames: () => encode(['RESTORE', 'rs1', '0', rdbPayload(Buffer.from([0, 0x80, 0xff, 0xff, 0xff, 0xff, 0x61]))]) },
    { label: `RESTORE set of 2^32-1 members`, frames: () => encode(['RESTORE', 'rs2', '0', rdbPayload(Buffer.from([2, 0x80, 0xff, 0xff, 0xff, 0xff, 1, 0x61]))]) },
    { label: `RESTORE garbage`, frames: c('RESTORE', 'rs3', '0', 'garbage-payload-xxxxxxxx') },
    { label: `CLIENT LIST with 5,000 clients`, frames: c('CLIENT', 'LIST'), before: openClients(5000) },
    { label: `CONFIG SET maxmemory-samples 2147483647, back`, frames: () => Buffer.concat([encode(['CONFIG', 'SET', 'maxmemory-samples', '2147483647']), encode(['CONFIG', 'SET', 'maxmemory-samples', '5'])]), expect: 2 },
    { label: `*2147483647 multibulk header, then nothing`, frames: () => Buffer.from('*2147483647\r\n'), windowMs: 500 },
    { label: `*1048576 then $536870912 bulk header`, frames: () => Buffer.from('*1048576\r\n$536870912\r\n'), windowMs: 500 },
    { label: `$536870912 bulk that never completes`, frames: () => Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nabc'), windowMs: 500 },
    { label: `FLUSHALL (everything above)`, frames: c('FLUSHALL') },
  ];
}

function openClients(n: number): (port: number) => Promise<() => void> {
  return async (port) => {
    const sockets: Socket[] = [];
    for (let i = 0; i < n; i++) sockets.push(await rawConnect(port));
    await sleep(200);
    return () => sockets.forEach((s) => s.destroy());
  };
}

// ---- measuring ----

function hwmKb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

interface Row {
  label: string;
  server: string;
  stallMs: number;
  commandMs: number;
  cpuMs: number;
  peakMB: number;
  reply: string;
  alive: boolean;
}

async function alive(port: number): Promise<boolean> {
  try {
    const r = await send(port, encode(['PING']), 1, 20_000);
    return !r.timedOut && r.counter.replies === 1;
  } catch {
    return false;
  }
}

async function measure(server: BenchServer, k: Case, timeoutMs: number): Promise<Row> {
  const undo = k.before ? await k.before(server.port) : null;
  const pinger = new Pinger(server.port);
  await sleep(100);
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const before = hwmKb(server.pid);
  const cpu0 = cpuNanos(server.pid);
  await pinger.reset();
  let reply = '';
  let commandMs = 0;
  try {
    if (k.windowMs !== undefined) {
      const s = await rawConnect(server.port);
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => (reply += d.toString('latin1', 0, 60)));
      const t0 = performance.now();
      s.write(k.frames());
      await sleep(k.windowMs);
      commandMs = performance.now() - t0;
      s.destroy();
    } else {
      const r = await send(server.port, k.frames(), k.expect ?? 1, timeoutMs);
      commandMs = r.ms;
      reply = r.timedOut ? `TIMEOUT after ${r.counter.replies} replies` : (r.counter.heads.at(-1) ?? 'closed');
    }
  } catch (err) {
    reply = `error: ${(err as Error).message}`;
  }
  const stallMs = await pinger.peek();
  await pinger.stop();
  const up = await alive(server.port);
  const cpuMs = up ? (cpuNanos(server.pid) - cpu0) / 1e6 : NaN;
  const peakMB = up ? Math.max(0, (hwmKb(server.pid).hwm - before.rss) / 1024) : NaN;
  undo?.();
  return { label: k.label, server: server.name, stallMs, commandMs, cpuMs, peakMB, reply: reply.replace(/\s+/g, ' ').slice(0, 60), alive: up };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const ports = (opt('ports') ?? '7430,7431').split(',').map(Number);
  const which = (opt('servers') ?? 'sealkv,redis').split(',');
  const only = opt('only') ? new RegExp(opt('only')!, 'i') : null;
  const timeoutMs = Number(opt('timeout') ?? 60) * 1000;
  const small = argv.includes('--small');
  const sizes: Sizes = small ? { big: 100_000, stream: 20_000, keys: 100_000 } : { big: 1_000_000, stream: 200_000, keys: 1_000_000 };
  const servers: BenchServer[] = [];
  try {
    if (which.includes('sealkv')) servers.push(await startSealkv(['--maxclients', '10000'], undefined, undefined, ports[0]));
    if (which.includes('redis')) servers.push(await startRedis(['--maxclients', '10000'], ports[1]));
    for (const srv of servers) {
      const t = performance.now();
      await fill(srv.port, sizes);
      console.error(`${srv.name}: data loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const rows: Row[] = [];
    const down = new Set<string>();
    console.log(`| command | ${servers.map((s) => `${s.name} stall ms | cmd ms | CPU ms | peak MB`).join(' | ')} | reply (${servers[0]?.name}) |`);
    console.log(`|---|${servers.map(() => '---:|---:|---:|---:').join('|')}|---|`);
    for (const k of cases(sizes)) {
      if (only !== null && !only.test(k.label)) continue;
      const line: Row[] = [];
      for (const srv of servers) {
        if (down.has(srv.name)) continue;
        const row = await measure(srv, k, timeoutMs);
        if (!row.alive) down.add(srv.name);
        line.push(row);
        rows.push(row);
      }
      const cell = (r: Row | undefined) =>
        r === undefined ? 'DOWN | | |' : `${r.stallMs.toFixed(1)} | ${r.commandMs.toFixed(1)} | ${r.cpuMs.toFixed(0)} | ${r.peakMB.toFixed(0)}${r.alive ? '' : ' DOWN'}`;
      console.log(`| ${k.label} | ${servers.map((s) => cell(line.find((r) => r.server === s.name))).join(' | ')} | ${line[0]?.reply ?? ''} |`);
    }
    if (opt('json')) writeFileSync(opt('json')!, JSON.stringify(rows, null, 1));
  } finally {
    for (const srv of servers) await srv.stop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
