// No plaintext value outlives its command: thousands of random markers go in and come back out
// through a real client (strings, hash field names and values, values moved between keys, MULTI/EXEC, a
// pipeline, a value bigger than one socket read, a value large enough to be sealed in chunks
// and edited with APPEND and SETRANGE), then every readable mapping of the live
// server process is searched for them. Clients that leave mid-command or mid-transaction leave
// nothing behind either.

import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 3040;

/** Sends bytes on a fresh connection, waits for `replies` reply lines, then drops the connection. */
function sendAndDrop(port: number, bytes: Buffer, replies: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.split('\r\n').length > replies) socket.destroy();
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

const expectNoLeaks = (server: SpawnedServer, markers: Buffer[]) => expectNoPlaintext(server.process.pid!, markers);

/** Stores every marker through the commands that carry values in, and reads them all back out. */
async function exercise(client: Redis, markers: Buffer[]): Promise<void> {
  const m = markers.map((b) => b.toString('latin1'));
  let next = 0;
  const take = (n: number): string[] => m.slice(next, (next += n));

  const plain = take(600);
  for (let i = 0; i < plain.length; i++) await client.set(`s:${i}`, plain[i]!);
  const msetted = take(200);
  for (let i = 0; i < msetted.length; i += 10) {
    await client.mset(Object.fromEntries(msetted.slice(i, i + 10).map((v, j) => [`ms:${i + j}`, v])));
  }
  const setex = take(100);
  for (let i = 0; i < setex.length; i++) await client.setex(`ex:${i}`, 3600, setex[i]!);
  // APPEND: whole markers onto nothing, and markers completed from two halves.
  const appended = take(100);
  for (let i = 0; i < appended.length; i++) {
    const v = appended[i]!;
    if (i % 2 === 0) await client.append(`ap:${i}`, v);
    else {
      await client.set(`ap:${i}`, v.slice(0, 12));
      await client.append(`ap:${i}`, v.slice(12));
    }
  }
  // GETSET replies with the old marker and stores a new one.
  const getset = take(100);
  for (let i = 0; i < getset.length; i += 2) {
    await client.set(`gs:${i}`, getset[i]!);
    expect(await client.getset(`gs:${i}`, getset[i + 1]!)).toBe(getset[i]);
  }
  // Hash field names are markers as well as values: small hashes (one sealed blob of pairs)
  // and a large one (past hash-max-listpack-value: each field sealed alone, found by digest).
  const fields = take(600);
  const names = take(600);
  for (let i = 0; i < fields.length; i += 10) {
    await client.hset(`h:${i / 10}`, Object.fromEntries(fields.slice(i, i + 10).map((v, j) => [names[i + j]!, v])));
  }
  const largeNames = take(200);
  await client.hset('hl', 'long', 'x'.repeat(100), ...largeNames.flatMap((n, i) => [n, `v${i}`]));
  // Values that move (re-sealed for their new key) or come back in parts.
  const moved = take(50);
  for (let i = 0; i < moved.length; i++) {
    await client.set(`mv:${i}`, moved[i]!);
    if (i % 2 === 0) await client.rename(`mv:${i}`, `mv2:${i}`);
    else await client.copy(`mv:${i}`, `mv2:${i}`);
    expect(await client.getrange(`mv2:${i}`, 0, -1)).toBe(moved[i]);
    expect(await client.getex(`mv2:${i}`, 'EX', 100)).toBe(moved[i]);
  }
  const inMulti = take(100);
  const tx = client.multi();
  inMulti.forEach((v, i) => tx.set(`tx:${i}`, v).get(`tx:${i}`));
  const txReplies = await tx.exec();
  expect(txReplies!.filter(([, r]) => r !== 'OK').map(([, r]) => r)).toEqual(inMulti);
  const piped = take(100);
  const pipe = client.pipeline();
  piped.forEach((v, i) => pipe.set(`p:${i}`, v).get(`p:${i}`));
  const pipeReplies = await pipe.exec();
  expect(pipeReplies!.filter(([, r]) => r !== 'OK').map(([, r]) => r)).toEqual(piped);
  // One value larger than a socket read, with markers spread through random filler.
  const inBig = take(50);
  const big = Buffer.concat(inBig.flatMap((v) => [randomBytes(2000), Buffer.from(v, 'latin1')]));
  await client.set('big', big);
  // Values of 16 KiB pipelined: reads cut some of them short, and those are gathered in pooled
  // plain memory (parser.ts) that is wiped and used again for the next one.
  const inMid = take(40);
  const mid = inMid.map((v) => Buffer.concat([randomBytes(16_000), Buffer.from(v, 'latin1'), randomBytes(300)]));
  const midPipe = client.pipeline();
  mid.forEach((v, k) => midPipe.set(`mid:${k}`, v));
  mid.forEach((_, k) => midPipe.getBuffer(`mid:${k}`));
  const midReplies = await midPipe.exec();
  mid.forEach((v, k) => expect((midReplies![mid.length + k]![1] as Buffer).equals(v)).toBe(true));
  // A value sealed in chunks (over 64 KiB), grown by APPEND and patched by SETRANGE (also past
  // its end and across chunk boundaries): each edit opens and re-seals only some chunks.
  const inChunked = take(100).map((v) => Buffer.from(v, 'latin1'));
  let chunky = Buffer.concat(inChunked.slice(0, 40).flatMap((v) => [randomBytes(2000), v]));
  await client.set('chunky', chunky);
  for (const v of inChunked.slice(40, 80)) {
    await client.append('chunky', v);
    chunky = Buffer.concat([chunky, v]);
  }
  const patched = inChunked.slice(80).map((v, j) => ({ v, at: 65_520 + j * 3_000 }));
  for (const { v, at } of patched) {
    await client.setrange('chunky', at, v);
    if (at + v.length > chunky.length) chunky = Buffer.concat([chunky, Buffer.alloc(at + v.length - chunky.length)]);
    v.copy(chunky, at);
  }
  // Values from seal-worker-min-bytes up (128 KiB) are sealed and opened on a worker thread
  // (src/seal/seal-workers.ts), through shared buffers: pipelined SETs and GETs of three of them.
  const inWorked = take(60).map((v) => Buffer.from(v, 'latin1'));
  const worked = [0, 1, 2].map((k) => Buffer.concat(inWorked.slice(k * 20, k * 20 + 20).flatMap((v) => [randomBytes(10_000), v])));
  const workPipe = client.pipeline();
  worked.forEach((v, k) => workPipe.set(`w:${k}`, v).getBuffer(`w:${k}`));
  const workReplies = await workPipe.exec();
  worked.forEach((v, k) => expect((workReplies![k * 2 + 1]![1] as Buffer).equals(v)).toBe(true));
  expect(await client.info('sealkv')).toMatch(/seal_worker_jobs:[1-9]/);
  // 1 MiB values, four SETs pipelined behind one that waits for the worker: each is gathered
  // (read straight from the socket) into pooled shared memory that the command takes over,
  // and their GETs are written from the shared memory the worker opened them into.
  const inHuge = take(40).map((v) => Buffer.from(v, 'latin1'));
  const huge = [0, 1, 2, 3].map((k) => {
    const v = randomBytes(1 << 20);
    inHuge.slice(k * 10, k * 10 + 10).forEach((m, j) => m.copy(v, 1000 + j * 100_000));
    return v;
  });
  const hugePipe = client.pipeline();
  huge.forEach((v, k) => hugePipe.set(`hw:${k}`, v));
  huge.forEach((_, k) => hugePipe.getBuffer(`hw:${k}`));
  const hugeReplies = await hugePipe.exec();
  huge.forEach((v, k) => expect((hugeReplies![huge.length + k]![1] as Buffer).equals(v)).toBe(true));
  expect(next).toBe(COUNT);

  for (let i = 0; i < plain.length; i++) expect(await client.get(`s:${i}`)).toBe(plain[i]);
  for (let i = 0; i < msetted.length; i += 50) {
    expect(await client.mget(...msetted.slice(i, i + 50).map((_, j) => `ms:${i + j}`))).toEqual(msetted.slice(i, i + 50));
  }
  for (let i = 0; i < setex.length; i++) expect(await client.get(`ex:${i}`)).toBe(setex[i]);
  for (let i = 0; i < appended.length; i++) expect(await client.get(`ap:${i}`)).toBe(appended[i]);
  for (let i = 0; i < getset.length; i += 2) expect(await client.getdel(`gs:${i}`)).toBe(getset[i + 1]);
  for (let i = 0; i < fields.length; i += 10) {
    const key = `h:${i / 10}`;
    expect(await client.hget(key, names[i]!)).toBe(fields[i]);
    expect(Object.values(await client.hgetall(key)).sort()).toEqual(fields.slice(i, i + 10).sort());
    expect(await client.hmget(key, names[i + 1]!, names[i + 2]!)).toEqual(fields.slice(i + 1, i + 3));
    expect((await client.hvals(key)).sort()).toEqual(fields.slice(i, i + 10).sort());
    expect((await client.hkeys(key)).sort()).toEqual(names.slice(i, i + 10).sort());
    expect(await client.hexists(key, names[i + 3]!)).toBe(1);
    expect(await client.hstrlen(key, names[i + 4]!)).toBe(fields[i + 4]!.length);
    expect(names.slice(i, i + 10)).toContain(await client.hrandfield(key));
    expect((await client.hscan(key, 0, 'MATCH', `${names[i + 5]!.slice(0, -1)}*`))[1]).toEqual([names[i + 5], fields[i + 5]]);
  }
  expect((await client.hkeys('hl')).length).toBe(201);
  expect(await client.hget('hl', largeNames[7]!)).toBe('v7');
  let cursor = '0';
  const scanned: string[] = [];
  do {
    const [next, flat] = await client.hscan('hl', cursor, 'MATCH', 'SKV*', 'COUNT', 20);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) scanned.push(flat[i]!);
  } while (cursor !== '0');
  expect(scanned.sort()).toEqual([...largeNames].sort());
  expect([...largeNames, 'long']).toEqual(expect.arrayContaining((await client.hrandfield('hl', 3)) as string[]));
  await client.rename('hl', 'hl2');
  expect(await client.hget('hl2', largeNames[9]!)).toBe('v9');
  expect((await client.getBuffer('big'))!.equals(big)).toBe(true);
  big.fill(0);
  for (let k = 0; k < mid.length; k++) expect((await client.getBuffer(`mid:${k}`))!.equals(mid[k]!)).toBe(true);
  for (const v of mid) v.fill(0);
  for (const { v, at } of patched) expect((await client.getrangeBuffer('chunky', at, at + v.length - 1)).equals(v)).toBe(true);
  expect((await client.getBuffer('chunky'))!.equals(chunky)).toBe(true);
  chunky.fill(0);
  for (let k = 0; k < worked.length; k++) expect((await client.getBuffer(`w:${k}`))!.equals(worked[k]!)).toBe(true);
  for (const v of worked) v.fill(0);
  for (let k = 0; k < huge.length; k++) expect((await client.getBuffer(`hw:${k}`))!.equals(huge[k]!)).toBe(true);
  for (const v of huge) v.fill(0);
}

describe('process memory after storing and reading back values', () => {
  let server: SpawnedServer;
  let client: Redis;
  const markers = makeMarkers(COUNT);

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('holds none of the markers in any readable mapping of the live process', async () => {
    // Control: key names are kept in plaintext (without --seal-keys), so this one must be found.
    const [keyName] = makeMarkers(1, 'SKVKEYNAME-');
    await client.set(keyName!, 'x');
    await exercise(client, markers);
    // The connection stays open: its read and reply buffers are alive while we look.
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: keyName!, what: 'the plaintext key name' });
  }, 120_000);

  it('holds none of the values of clients that left mid-command or mid-transaction', async () => {
    const left = makeMarkers(5, 'SKVGONE-');
    // A MULTI whose queued commands (and their own copies of the values) die with the connection.
    const queued = Buffer.concat([
      encodeCommand(['MULTI']),
      encodeCommand(['SET', 'gone:1', left[0]!]),
      encodeCommand(['HSET', 'gone:2', 'f', left[1]!]),
    ]);
    await sendAndDrop(server.port, queued, 3);
    // A command cut off after its value: the parser holds it when the connection drops.
    const half = encodeCommand(['SET', 'gone:3', left[2]!]);
    await sendAndDrop(server.port, Buffer.concat([encodeCommand(['PING']), half.subarray(0, half.length - 2)]), 1);
    // A large value cut off halfway: its first half was read into pooled shared memory.
    const large = randomBytes(600_000);
    left[3]!.copy(large, 100_000);
    const cut = encodeCommand(['SET', 'gone:4', large]);
    await sendAndDrop(server.port, Buffer.concat([encodeCommand(['PING']), cut.subarray(0, 300_000)]), 1);
    large.fill(0);
    // A 16 KiB value cut off halfway: its first half was gathered into pooled plain memory.
    const mid = randomBytes(16_384);
    left[4]!.copy(mid, 2_000);
    const midCut = encodeCommand(['SET', 'gone:5', mid]);
    await sendAndDrop(server.port, Buffer.concat([encodeCommand(['PING']), midCut.subarray(0, 8_000)]), 1);
    mid.fill(0);
    expect(await client.exists('gone:1', 'gone:2', 'gone:3', 'gone:4', 'gone:5')).toBe(0);
    expectNoLeaks(server, left);
  }, 60_000);
});
