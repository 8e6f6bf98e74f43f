// One request with ~2 M arguments for a command that seals or digests each element (SADD,
// MSET, HSET, ZADD) must not freeze the other clients (issue 14, stalls): the command prepares
// its crypto a slice per event-loop turn and then runs in one step (src/commands/values/bulk.ts). A
// second client PINGs every 10 ms meanwhile; the longest it waited is asserted under a generous
// bound (the target is 50 ms; CI machines are shared) and logged with redis-server's figures
// beside, measured in the same run where it is installed (Redis blocks for its whole command).
// Then what may happen while a command prepares: a disconnect, DEL / FLUSHALL / SEAL ROTATE of
// its key from another client, commands pipelined behind it.

import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { MB, cpuSeconds, pingProbe, rawConnect, rssBytes, sideBySide, sleep, writeAll, type Target } from '../helpers/hostile.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';

const ARGS = 2_000_000;
/** Generous for a shared CI machine; measured 15-25 ms on an idle 2-core one (the goal: 50 ms). */
const PING_BOUND_MS = 250;

/** `*N` then each argument as a bulk, built without a JS object per argument. */
function request(head: string[], unit: string[], units: number, name: (i: number) => string | null = () => null): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${head.length + unit.length * units}\r\n`), encodeArgs(head)];
  let chunk = '';
  for (let i = 0; i < units; i++) {
    for (const u of unit) {
      const a = u === '%' ? name(i)! : u;
      chunk += `$${a.length}\r\n${a}\r\n`;
    }
    if (chunk.length > 1 << 20) {
      parts.push(Buffer.from(chunk, 'latin1'));
      chunk = '';
    }
  }
  parts.push(Buffer.from(chunk, 'latin1'));
  return Buffer.concat(parts);
}

function encodeArgs(args: string[]): Buffer {
  return Buffer.from(args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
}

/** Reads replies off a socket: next() resolves the next whole one (simple, error, integer or bulk). */
function replies(s: Socket): { next(): Promise<string> } {
  let buf = Buffer.alloc(0);
  const waiting: ((r: string) => void)[] = [];
  const ready: string[] = [];
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = oneReply(buf);
      if (end < 0) break;
      const r = buf.subarray(0, end).toString('latin1');
      buf = buf.subarray(end);
      const w = waiting.shift();
      if (w) w(r);
      else ready.push(r);
    }
  });
  return { next: () => (ready.length > 0 ? Promise.resolve(ready.shift()!) : new Promise((r) => waiting.push(r))) };
}

/** End of the first whole reply in buf (arrays of bulks too), or -1. */
function oneReply(buf: Buffer, at = 0): number {
  const nl = buf.indexOf('\r\n', at);
  if (nl < 0) return -1;
  const type = String.fromCharCode(buf[at]!);
  const n = Number(buf.toString('latin1', at + 1, nl));
  if (type === '$') return n < 0 ? nl + 2 : buf.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
  if (type === '*') {
    let p = nl + 2;
    for (let i = 0; i < n; i++) {
      p = oneReply(buf, p);
      if (p < 0) return -1;
    }
    return p;
  }
  return nl + 2;
}

async function command(port: number, args: string[]): Promise<string> {
  const s = await rawConnect(port);
  const r = replies(s);
  s.write(encodeCommand(args));
  const out = await r.next();
  s.destroy();
  return out;
}

interface Measured {
  reply: string;
  pingMs: number;
  cpu: number;
  rssMB: number;
  ms: number;
}

/** Sends the request from one client while another PINGs every 10 ms. */
async function measure(t: Target, req: Buffer): Promise<Measured> {
  const s = await rawConnect(t.port);
  const r = replies(s);
  const probe = await pingProbe(t.port, 10);
  await sleep(30);
  const cpu0 = cpuSeconds(t.pid);
  const rss0 = rssBytes(t.pid);
  let rssPeak = rss0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssBytes(t.pid))), 10);
  const t0 = performance.now();
  await writeAll(s, req);
  const reply = await r.next();
  const ms = performance.now() - t0;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, rssBytes(t.pid));
  const { maxMs } = await probe.stop();
  const cpu = cpuSeconds(t.pid) - cpu0;
  s.destroy();
  return { reply, pingMs: maxMs, cpu, rssMB: (rssPeak - rss0) / MB, ms };
}

describe('one request of 2 M arguments that seal or digest each element, beside redis-server', () => {
  const run = sideBySide();

  const show = (m: Measured) => `PING max ${m.pingMs.toFixed(0)} ms, ${m.ms.toFixed(0)} ms, cpu ${m.cpu.toFixed(2)} s, +${m.rssMB.toFixed(0)} MB`;

  const cases: [string, Buffer, string[], string][] = [
    ['SADD k a a ...', request(['SADD', 'bulk:set'], ['a'], ARGS - 2), ['SCARD', 'bulk:set'], ':1\r\n'],
    ['MSET a a ...', request(['MSET'], ['a', 'a'], ARGS / 2), ['GET', 'a'], '$1\r\na\r\n'],
    ['HSET h a a ...', request(['HSET', 'bulk:hash'], ['a', 'a'], ARGS / 2 - 1), ['HLEN', 'bulk:hash'], ':1\r\n'],
    ['ZADD z 1 a ...', request(['ZADD', 'bulk:zset'], ['1', 'a'], ARGS / 2 - 1), ['ZCARD', 'bulk:zset'], ':1\r\n'],
  ];
  for (const [title, req, check, expected] of cases) {
    it(`${title}: other clients answered meanwhile, the result whole`, async () => {
      const reference = run.theirs ? await measure(run.theirs, req) : null;
      const got = await measure(run.ours, req);
      const ratio = reference ? ` (time ${(got.ms / reference.ms).toFixed(1)}x, cpu ${(got.cpu / Math.max(reference.cpu, 0.01)).toFixed(1)}x, memory ${(got.rssMB / Math.max(reference.rssMB, 1)).toFixed(1)}x)` : '';
      console.log(`${title} (${ARGS.toLocaleString('en')} args): sealkv ${show(got)}` + (reference ? ` | redis-server ${show(reference)}${ratio}` : ''));
      if (reference) expect(got.reply).toBe(reference.reply);
      expect(await command(run.ours.port, check)).toBe(expected);
      if (run.theirs) expect(await command(run.ours.port, check)).toBe(await command(run.theirs.port, check));
      expect(got.pingMs).toBeLessThan(PING_BOUND_MS);
    }, 120_000);
  }

  it('distinct members and fields: every one stored and readable, the last value of a repeated field wins', async () => {
    const n = 200_000;
    const member = (i: number) => `m${i}`;
    for (const t of [run.ours, ...(run.theirs ? [run.theirs] : [])]) {
      await command(t.port, ['DEL', 'd:set', 'd:hash', 'd:zset']);
      const sadd = await measure(t, request(['SADD', 'd:set'], ['%'], n, member));
      expect(sadd.reply, t.name).toBe(`:${n}\r\n`);
      // Each field twice: first with "old", then with its own value.
      const hset = await measure(t, request(['HSET', 'd:hash'], ['%', 'old'], n / 2, member));
      expect(hset.reply, t.name).toBe(`:${n / 2}\r\n`);
      const again = await measure(t, request(['HSET', 'd:hash'], ['%', '%'], n / 2, member));
      expect(again.reply, t.name).toBe(':0\r\n');
      const zadd = await measure(t, request(['ZADD', 'd:zset'], ['%', '%'], n / 20, (i) => String(i)));
      expect(zadd.reply, t.name).toBe(`:${n / 20}\r\n`);
    }
    for (const args of [['SCARD', 'd:set'], ['SISMEMBER', 'd:set', 'm199999'], ['HLEN', 'd:hash'], ['HGET', 'd:hash', 'm4242'], ['ZSCORE', 'd:zset', '777'], ['ZCARD', 'd:zset']]) {
      const mine = await command(run.ours.port, args);
      if (run.theirs) expect(mine, args.join(' ')).toBe(await command(run.theirs.port, args));
    }
    expect(await command(run.ours.port, ['HGET', 'd:hash', 'm4242'])).toBe('$5\r\nm4242\r\n');
    expect(await command(run.ours.port, ['SRANDMEMBER', 'd:set'])).toMatch(/^\$\d+\r\nm\d+\r\n$/);
    await command(run.ours.port, ['DEL', 'd:set', 'd:hash', 'd:zset']);
  }, 240_000);

  it('the connection ends while its command prepares: nothing is applied, others go on', async () => {
    const s = await rawConnect(run.ours.port);
    await writeAll(s, request(['SADD', 'gone:set'], ['%'], 500_000, (i) => `g${i}`));
    s.destroy();
    await sleep(1500);
    expect(await command(run.ours.port, ['EXISTS', 'gone:set'])).toBe(':0\r\n');
    expect(await command(run.ours.port, ['PING'])).toBe('+PONG\r\n');
  }, 60_000);

  it('commands pipelined behind it wait for it; DEL, FLUSHALL and SEAL ROTATE from others in between leave nothing stale', async () => {
    for (const meddle of [['DEL', 'p:set'], ['FLUSHALL'], ['SEAL', 'ROTATE']]) {
      await command(run.ours.port, ['SADD', 'p:set', 'before']);
      const s = await rawConnect(run.ours.port);
      const r = replies(s);
      const other = await rawConnect(run.ours.port);
      const otherReplies = replies(other);
      const big = request(['SADD', 'p:set'], ['%'], 300_000, (i) => `p${i}`);
      // The big command, then two more on the same connection, in one write.
      await writeAll(s, Buffer.concat([big, encodeCommand(['SCARD', 'p:set']), encodeCommand(['SRANDMEMBER', 'p:set', '3'])]));
      const order: string[] = [];
      other.write(encodeCommand(meddle));
      const meddled = otherReplies.next().then((x) => (order.push('meddle'), x));
      const added = await r.next().then((x) => (order.push('sadd'), x));
      await meddled;
      const label = meddle.join(' ');
      // The meddling command ran while the SADD prepared (it was answered first) ...
      expect(order, label).toEqual(['meddle', 'sadd']);
      expect(added, label).toBe(':300000\r\n');
      // ... and the pipelined commands saw the SADD's whole result.
      const before = meddle[0] === 'SEAL' ? 1 : 0;
      expect(await r.next(), label).toBe(`:${300_000 + before}\r\n`);
      expect(await r.next(), label).toMatch(/^\*3\r\n(\$\d+\r\n\w+\r\n){3}$/);
      s.destroy();
      other.destroy();
      // Every member opens under the keys now in use (a stale seal would fail here).
      const all = await rawConnect(run.ours.port);
      const allReplies = replies(all);
      all.write(encodeCommand(['SMEMBERS', 'p:set']));
      const members = await allReplies.next();
      all.destroy();
      expect(members.startsWith(`*${300_000 + before}\r\n`), label).toBe(true);
      expect(members, label).not.toContain('-ERR');
      await command(run.ours.port, ['DEL', 'p:set']);
    }
    expect(run.server.output()).not.toContain('failed authentication');
  }, 240_000);

  it('no member, field or value of a bulk command stays in process memory, nor of one dropped while it prepares', async () => {
    const markers = makeMarkers(4500 + 4400 + 4200 + 4500, 'SKVBULK-');
    const m = markers.map((b) => b.toString('latin1'));
    const keyMarker = makeMarkers(1, 'SKVBULKKEY-')[0]!;
    const keyName = keyMarker.toString('latin1');
    const s = await rawConnect(run.ours.port);
    const r = replies(s);
    const send = (args: string[]) => writeAll(s, encodeCommand(args)).then(() => r.next());
    expect(await send(['SADD', keyName, ...m.slice(0, 4500)])).toBe(':4500\r\n');
    expect(await send(['HSET', 'bm:hash', ...m.slice(4500, 8900)])).toBe(':2200\r\n');
    expect(await send(['MSET', ...m.slice(8900, 13100).map((v, i) => (i % 2 === 0 ? `bm:${i}` : v))])).toBe('+OK\r\n');
    // Read back through the server: every one opens.
    expect((await send(['SMEMBERS', keyName])).split('SKVBULK-').length - 1).toBe(4500);
    expect((await send(['HGETALL', 'bm:hash'])).split('SKVBULK-').length - 1).toBe(4400);
    // A connection that leaves while its command prepares: 200 k distinct fillers after the
    // markers keep it preparing (a few ms per turn) well past the moment the close is seen; with
    // the markers alone it could finish, and run, first.
    const gone = await rawConnect(run.ours.port);
    const fillers = Array.from({ length: 200_000 }, (_, i) => `filler-${i}`);
    await writeAll(gone, encodeCommand(['SADD', 'bm:gone', ...m.slice(13100), ...fillers]));
    gone.destroy();
    await sleep(500);
    expect(await send(['EXISTS', 'bm:gone'])).toBe(':0\r\n');
    expectNoPlaintext(run.ours.pid, markers, { marker: keyMarker, what: 'the plaintext key name' });
    await send(['DEL', keyName, 'bm:hash', ...m.slice(8900, 13100).flatMap((_, i) => (i % 2 === 0 ? [`bm:${i}`] : []))]);
    s.destroy();
  }, 120_000);

  it('CLIENT PAUSE WRITE from another client while it prepares: it takes effect only after the pause', async () => {
    const s = await rawConnect(run.ours.port);
    const r = replies(s);
    let answeredAt = 0;
    const added = r.next().then((x) => ((answeredAt = performance.now()), x));
    await writeAll(s, request(['SADD', 'pause:set'], ['%'], 100_000, (i) => `q${i}`));
    // Once CLIENT LIST shows it dispatched (cmd=sadd), it is preparing: pause then.
    for (let i = 0; i < 500 && !/cmd=sadd/.test(await command(run.ours.port, ['CLIENT', 'LIST'])); i++) await sleep(5);
    const pausedAt = performance.now();
    expect(await command(run.ours.port, ['CLIENT', 'PAUSE', '4000', 'WRITE'])).toBe('+OK\r\n');
    // No write while paused: the set is not there for anyone, though its preparing ends meanwhile.
    for (let i = 0; i < 30; i++) {
      expect(await command(run.ours.port, ['EXISTS', 'pause:set'])).toBe(':0\r\n');
      await sleep(100);
    }
    expect(await added).toBe(':100000\r\n');
    expect(answeredAt - pausedAt).toBeGreaterThan(3900);
    expect(await command(run.ours.port, ['SCARD', 'pause:set'])).toBe(':100000\r\n');
    s.destroy();
    await command(run.ours.port, ['DEL', 'pause:set']);
  }, 60_000);

  // The narrow case, a rotation ending between a seal made ahead and the run, is pinned down
  // in test/unit/seal/prepared.test.ts; here the whole path, end to end.
  it('a key rotation that ends while a command arrives and prepares: everything it stores is under a live key', async () => {
    const s = await rawConnect(run.ours.port);
    const r = replies(s);
    let answered = false;
    const added = r.next().then((x) => ((answered = true), x));
    await writeAll(s, request(['SADD', 'rot:set'], ['%'], 1_000_000, (i) => `r${i}`));
    expect(await command(run.ours.port, ['SEAL', 'ROTATE'])).toMatch(/^\$8\r\n/);
    // The keyspace is small: the rotation is over (its old key wiped) before 1 M members are in.
    let status = '';
    for (let i = 0; i < 200; i++) {
      status = await command(run.ours.port, ['SEAL', 'STATUS']);
      if (/rotation_in_progress\r\n:0\r\n/.test(status)) break;
      await sleep(10);
    }
    expect(answered).toBe(false);
    expect(status).toMatch(/rotation_in_progress\r\n:0\r\n/);
    expect(await added).toBe(':1000000\r\n');
    s.destroy();
    // Every value is under a key still known (a seal made before the rotation would count here).
    expect(await command(run.ours.port, ['SEAL', 'STATUS'])).toMatch(/values_unknown_key\r\n:0\r\n/);
    expect(await command(run.ours.port, ['SISMEMBER', 'rot:set', 'r999999'])).toBe(':1\r\n');
    expect(await command(run.ours.port, ['SRANDMEMBER', 'rot:set'])).toMatch(/^\$\d+\r\nr\d+\r\n$/);
    await command(run.ours.port, ['DEL', 'rot:set']);
  }, 120_000);
});
