// Hostile request shapes measured on the spawned server, beside redis-server 7 in the same run
// (skipped when it is not installed): CPU seconds and resident memory from /proc, and the
// longest a second client waited for PING meanwhile.
//   - one multibulk of 2,000,000 one-byte arguments: linear, others served while it arrives;
//   - the same for the variadic commands (RPUSH, SADD, HSET, MSET, DEL) and an unknown one:
//     the same answers as redis-server's;
//   - 40 connections announcing a 512 MB bulk and leaving: nearly free, as in Redis;
//   - 3,000 pipelined GETs of a 256 KB value never read: the output limit acts at its size.

import { describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import {
  MB,
  collectUntilClosed,
  cpuSeconds,
  pingProbe,
  rawConnect,
  rssBytes,
  sideBySide,
  sleep,
  writeAll,
  type Target,
} from '../helpers/hostile.js';

/** Sends a command over a raw socket and resolves its first reply bytes. */
async function command(port: number, args: string[]): Promise<string> {
  const s = await rawConnect(port);
  const reply = new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString('latin1'))));
  s.write(encodeCommand(args));
  const out = await reply;
  s.destroy();
  return out;
}

/** Samples the process's RSS every 10 ms until stop(); returns the highest seen. */
function rssPeak(pid: number): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 10);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssBytes(pid));
    },
  };
}

const ARGS = 2_000_000;

/**
 * EXISTS with 2,000,000 one-byte keys, sent in 64 KiB writes. PING latency is probed while the
 * request arrives and is parsed (everything but its last argument); the CPU and peak memory
 * cover the whole request, reply included.
 */
async function manyArguments(t: Target): Promise<{ cpu: number; rssMB: number; pingMs: number; runMs: number; reply: string }> {
  const head = Buffer.from(`*${ARGS + 1}\r\n$6\r\nEXISTS\r\n`);
  const one = Buffer.from('$1\r\nk\r\n');
  const body = Buffer.alloc(one.length * ARGS);
  for (let i = 0; i < ARGS; i++) one.copy(body, i * one.length);
  const lastArg = body.subarray(body.length - one.length);
  const s = await rawConnect(t.port);
  const reply = new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString('latin1'))));
  const cpu0 = cpuSeconds(t.pid);
  const rss = rssPeak(t.pid);
  const rss0 = rssBytes(t.pid);
  const probe = await pingProbe(t.port);
  await writeAll(s, head);
  for (let at = 0; at < body.length - one.length; at += 64 * 1024) {
    await writeAll(s, body.subarray(at, Math.min(at + 64 * 1024, body.length - one.length)));
  }
  // Let the server catch up with what was sent, still probing.
  await command(t.port, ['PING']);
  await sleep(100);
  const pingMs = probe.peek();
  s.write(lastArg);
  const answer = await reply;
  const cpu = cpuSeconds(t.pid) - cpu0;
  const peak = rss.stop();
  // Including the command itself, which blocks the server while it runs (Redis's too).
  const { maxMs } = await probe.stop();
  s.destroy();
  return { cpu, rssMB: (peak - rss0) / MB, pingMs, runMs: maxMs, reply: answer };
}

/**
 * One request of `name` followed by 2,000,000 one-byte arguments (cycling over 256 names, so
 * keys repeat as they would in a real batch), sent in 64 KiB writes. Counts the PONGs another
 * client got while it was being sent, and returns the request's first reply line.
 */
async function bigRequest(t: Target, name: string, first: string[] = []): Promise<{ reply: string; pongsWhileSent: number }> {
  const count = first.length + ARGS;
  const head = Buffer.concat([Buffer.from(`*${count + 1}\r\n`), encodeCommand([name, ...first]).subarray(`*${first.length + 1}\r\n`.length)]);
  const body = Buffer.alloc(7 * ARGS);
  for (let i = 0; i < ARGS; i++) body.write(`$1\r\n${String.fromCharCode(i & 0xff)}\r\n`, i * 7, 'latin1');
  const s = await rawConnect(t.port);
  const reply = new Promise<string>((resolve) => {
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) resolve(got.slice(0, got.indexOf('\r\n')));
    });
  });
  const probe = await pingProbe(t.port, 5);
  await writeAll(s, head);
  for (let at = 0; at < body.length; at += 64 * 1024) await writeAll(s, body.subarray(at, Math.min(at + 64 * 1024, body.length)));
  const { count: pongsWhileSent } = await probe.stop();
  const answer = await reply;
  s.destroy();
  return { reply: answer, pongsWhileSent };
}

/** 40 connections, one after the other, each announcing a 512 MB bulk, sending 64 KiB of it and leaving. */
async function bigHeaders(t: Target): Promise<{ cpu: number; pingMs: number }> {
  const probe = await pingProbe(t.port);
  const cpu0 = cpuSeconds(t.pid);
  const header = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n');
  for (let i = 0; i < 40; i++) {
    const s = await rawConnect(t.port);
    const closed = collectUntilClosed(s);
    await writeAll(s, Buffer.concat([header, Buffer.alloc(64 * 1024, 'v')]));
    s.destroy();
    await closed;
  }
  // The server handles the last close on its next turn: a PING behind it says it has.
  await command(t.port, ['PING']);
  const cpu = cpuSeconds(t.pid) - cpu0;
  const { maxMs } = await probe.stop();
  return { cpu, pingMs: maxMs };
}

/**
 * client-output-buffer-limit normal 32mb 8mb 5, a 256 KB value, and one write of 3,000 GETs of
 * it from a client that never reads: how much the server grows before it closes that client.
 */
async function unreadReplies(t: Target): Promise<{ rssMB: number; closed: boolean }> {
  await command(t.port, ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 32mb 8mb 5']);
  await command(t.port, ['SET', 'big', 'x'.repeat(256 * 1024)]);
  const get = encodeCommand(['GET', 'big']);
  const pipeline = Buffer.concat(Array.from({ length: 3000 }, () => get));
  const s = await rawConnect(t.port);
  s.pause(); // never read a byte
  let closed = false;
  s.on('error', () => (closed = true));
  s.on('close', () => (closed = true));
  s.on('end', () => (closed = true));
  const rss0 = rssBytes(t.pid);
  const rss = rssPeak(t.pid);
  s.write(pipeline);
  for (const start = Date.now(); !closed && Date.now() - start < 15_000; ) {
    await sleep(20);
    // A FIN waits behind unread data: ask the server whether it still knows the client.
    if ((await command(t.port, ['CLIENT', 'LIST'])).split('\n').length <= 2) closed = true;
  }
  await sleep(200);
  const peak = rss.stop();
  s.destroy();
  await command(t.port, ['CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0']);
  return { rssMB: (peak - rss0) / MB, closed };
}

describe('hostile requests against the spawned server, beside redis-server', () => {
  const run = sideBySide();

  it('one request of 2,000,000 arguments: linear, others answered while it arrives', async () => {
    const reference = run.theirs ? await manyArguments(run.theirs) : null;
    const got = await manyArguments(run.ours);
    const show = (r: typeof got) =>
      `cpu ${r.cpu.toFixed(2)} s, +${r.rssMB.toFixed(0)} MB, PING max ${r.pingMs.toFixed(1)} ms while it arrives, ${r.runMs.toFixed(0)} ms with the command run`;
    console.log(`2M arguments: sealkv ${show(got)}` + (reference ? ` | redis-server ${show(reference)}` : ''));
    expect(got.reply).toBe(':0\r\n');
    if (reference) expect(got.reply).toBe(reference.reply);
    // Linear now (the quadratic parser took 32 s and +533 MB for 1.2 M arguments), and with no
    // object per argument (EXISTS reads a vector over one arena: arg-list.ts) about Redis's
    // cost: measured 0.17-0.21 s and +35-40 MB against Redis's 0.15 s and +86 MB. The memory
    // bound is the (2x Redis); CPU and waits leave room for a machine shared with
    // other test workers (bench/many-args.ts measures them properly).
    expect(got.rssMB).toBeLessThan(2 * (reference?.rssMB ?? 86));
    expect(got.cpu).toBeLessThan(Math.max(4 * (reference?.cpu ?? 0.3), 1.5));
    // Target 50 ms while the request arrives; the bound leaves room for a loaded machine (154 ms
    // seen once with two other build-and-benchmark jobs on the 2 cores). A stall is seconds.
    expect(got.pingMs).toBeLessThan(Math.max(300, 3 * (reference?.pingMs ?? 0)));
  }, 120_000);

  it('40 connections announcing a 512 MB bulk and leaving cost next to nothing', async () => {
    const reference = run.theirs ? await bigHeaders(run.theirs) : null;
    const got = await bigHeaders(run.ours);
    console.log(`40 x 512 MB headers: sealkv cpu ${got.cpu.toFixed(2)} s, PING max ${got.pingMs.toFixed(1)} ms` +
      (reference ? ` | redis-server cpu ${reference.cpu.toFixed(2)} s, PING max ${reference.pingMs.toFixed(1)} ms` : ''));
    expect(got.cpu).toBeLessThan(1);
    expect(got.pingMs).toBeLessThan(150);
  }, 120_000);

  it('3,000 unread GETs of 256 KB: the output limit acts before memory grows past it', async () => {
    const reference = run.theirs ? await unreadReplies(run.theirs) : null;
    const got = await unreadReplies(run.ours);
    console.log(`3,000 unread 256 KB GETs, limit normal 32mb 8mb 5: sealkv +${got.rssMB.toFixed(0)} MB` +
      (reference ? ` | redis-server +${reference.rssMB.toFixed(0)} MB` : ''));
    expect(got.closed).toBe(true);
    expect(run.server.output()).toContain('scheduled to be closed ASAP for overcoming of output buffer limits');
    expect(got.rssMB).toBeLessThan(Math.max(100, 2 * (reference?.rssMB ?? 33) + 30));
  }, 120_000);

  it('2,000,000-argument RPUSH, SADD, HSET, MSET, DEL and an unknown command answer as redis-server does, others served while they arrive', async () => {
    const runs: [string, string[]][] = [
      ['RPUSH', ['list']],
      ['SADD', ['set']],
      ['HSET', ['hash']], // 1,000,000 pairs over 128 field names, written again and again
      ['MSET', []], // the same over 128 one-byte keys: the last value wins
      ['DEL', []], // those 128 keys, each named many times: each counts once, as Redis counts it
      ['EXISTS', []], // after DEL: none left
      ['NOSUCHCOMMAND', []],
    ];
    for (const [name, first] of runs) {
      const got = await bigRequest(run.ours, name, first);
      const reference = run.theirs ? await bigRequest(run.theirs, name, first) : null;
      console.log(`2M-argument ${name}: sealkv ${got.reply} (${got.pongsWhileSent} PONGs while it was sent)` + (reference ? ` | redis-server ${reference.reply}` : ''));
      expect(got.pongsWhileSent, name).toBeGreaterThan(0);
      if (reference) expect(got.reply, name).toBe(reference.reply);
    }
    // The stored results too: the list's length, the set's and the hash's sizes, what DEL left.
    for (const args of [['LLEN', 'list'], ['SCARD', 'set'], ['HLEN', 'hash'], ['HGET', 'hash', '\x02'], ['DBSIZE']]) {
      const mine = await command(run.ours.port, args);
      if (run.theirs) expect(mine, args.join(' ')).toBe(await command(run.theirs.port, args));
    }
    expect(await command(run.ours.port, ['LLEN', 'list'])).toBe(`:${ARGS}\r\n`);
    expect(await command(run.ours.port, ['SCARD', 'set'])).toBe(':256\r\n');
    expect(await command(run.ours.port, ['HLEN', 'hash'])).toBe(':128\r\n');
    expect(await command(run.ours.port, ['EXISTS', 'list', 'set', 'hash', '\x00', '\x02'])).toBe(':3\r\n');
    // Last in this file, and emptied: 2 M sealed elements make the collector's full passes slow
    // for whatever test would come next.
    await command(run.ours.port, ['FLUSHALL']);
  }, 300_000);
});
