// No plaintext list element outlives its command: random markers go into lists through every
// command that carries elements in (pushes, LINSERT, LSET, a pipeline, MULTI/EXEC, a blocked
// BLPOP/BLMOVE served by a push) and come back out through every one that reads or compares
// them (LRANGE, LINDEX, LPOP/RPOP with counts, LMOVE to another key, LMPOP, LPOS, LREM, RENAME),
// then every readable mapping of the live server process is searched for them.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 1700;

async function exercise(client: Redis, blocker: Redis, markers: Buffer[]): Promise<void> {
  const m = markers.map((b) => b.toString('latin1'));
  let next = 0;
  const take = (n: number): string[] => m.slice(next, (next += n));

  // Kept: pushed at both ends, then read by range, index and position.
  const kept = take(400);
  for (let i = 0; i < kept.length; i += 20) {
    const batch = kept.slice(i, i + 20);
    if ((i / 20) % 2 === 0) await client.rpush(`k:${i % 80}`, ...batch);
    else await client.lpush(`k:${i % 80}`, ...batch.slice().reverse());
  }
  for (let i = 0; i < 80; i += 20) {
    const all = await client.lrange(`k:${i}`, 0, -1);
    expect(all.length).toBe(100);
    expect(await client.lindex(`k:${i}`, 50)).toBe(all[50]);
    expect(await client.lpos(`k:${i}`, all[77]!)).toBe(77);
  }
  // Changed in place: LSET and LINSERT, then LREM finds and removes some.
  const changed = take(200);
  await client.rpush('c', ...changed.slice(0, 100));
  for (let i = 0; i < 50; i++) await client.lset('c', i, changed[100 + i]!);
  for (let i = 0; i < 50; i++) expect(await client.linsert('c', 'AFTER', changed[60 + i]!, changed[150 + i]!)).toBe(101 + i);
  for (let i = 0; i < 20; i++) expect(await client.lrem('c', 0, changed[150 + i]!)).toBe(1);
  expect(await client.llen('c')).toBe(130);
  // Popped and moved: pops with counts, LMOVE to another key (re-sealed), LMPOP, RENAME.
  const moved = take(300);
  await client.rpush('q', ...moved);
  expect(await client.lpop('q', 50)).toEqual(moved.slice(0, 50));
  expect(await client.rpop('q', 50)).toEqual(moved.slice(250).reverse());
  for (let i = 0; i < 50; i++) expect(await client.lmove('q', 'q2', 'LEFT', 'RIGHT')).toBe(moved[50 + i]);
  expect(await client.lmpop(2, 'none', 'q', 'LEFT', 'COUNT', 50)).toEqual(['q', moved.slice(100, 150)]);
  await client.rename('q2', 'q3');
  expect(await client.lrange('q3', 0, -1)).toEqual(moved.slice(50, 100));
  expect(await client.rpoplpush('q', 'q3')).toBe(moved[249]);
  // A list of many nodes (4 elements each): pushed one by one (the loose nodes left between the
  // ends are sealed whole once the list rests) and at once (sealed nodes built from the
  // arguments), then read, changed and trimmed across nodes.
  const nodes = take(400);
  await client.config('SET', 'list-max-listpack-size', '4');
  for (const v of nodes.slice(0, 200)) await client.rpush('n', v);
  await client.lpush('n', ...nodes.slice(200).reverse());
  await new Promise((r) => setTimeout(r, 400));
  const order = [...nodes.slice(200), ...nodes.slice(0, 200)];
  expect(await client.lrange('n', 0, -1)).toEqual(order);
  expect(await client.lindex('n', 222)).toBe(order[222]);
  expect(await client.lpos('n', order[333]!)).toBe(333);
  await client.lset('n', 100, order[0]!);
  expect(await client.linsert('n', 'BEFORE', order[150]!, order[1]!)).toBe(401);
  expect(await client.lrem('n', 0, order[0]!)).toBe(2);
  await client.ltrim('n', 10, 389);
  expect(await client.lpop('n', 30)).toHaveLength(30);
  expect(await client.rpop('n', 30)).toHaveLength(30);
  await client.config('SET', 'list-max-listpack-size', '-2');
  // Through a pipeline and a transaction.
  const piped = take(100);
  const pipe = client.pipeline();
  piped.forEach((v) => pipe.rpush('p', v).rpop('p'));
  expect((await pipe.exec())!.filter((_, i) => i % 2 === 1).map(([, r]) => r)).toEqual(piped);
  const inTx = take(100);
  const tx = client.multi();
  inTx.forEach((v) => tx.lpush('t', v));
  tx.lrange('t', 0, -1);
  expect((await tx.exec())!.at(-1)![1]).toEqual(inTx.slice().reverse());
  // Blocked clients served by pushes: BLPOP, and a BLMOVE onto another key.
  const blocked = take(100);
  for (let i = 0; i < blocked.length; i += 2) {
    const popped = blocker.blpop('b', 0);
    await waitBlocked(client);
    await client.rpush('b', blocked[i]!);
    expect(await popped).toEqual(['b', blocked[i]]);
    const movedOn = blocker.blmove('b2', 'b3', 'LEFT', 'LEFT', 0);
    await waitBlocked(client);
    await client.rpush('b2', blocked[i + 1]!);
    expect(await movedOn).toBe(blocked[i + 1]);
  }
  // Last, pipelines whose lists nothing reads afterwards: the pushes' plaintext sits in an open
  // end node until the turn ends, the pops' in the opened group: both must be sealed or wiped
  // then (list.ts open ends), not left for the next command on the list to settle.
  const last = take(100);
  const lastPipe = client.pipeline();
  last.slice(0, 50).forEach((v) => lastPipe.lpush('open-push', v));
  last.slice(50).forEach((v) => lastPipe.rpush('open-pop', v));
  await lastPipe.exec();
  const pops = client.pipeline();
  for (let i = 0; i < 10; i++) pops.lpop('open-pop');
  expect((await pops.exec())!.map(([, r]) => r)).toEqual(last.slice(50, 60));
  expect(next).toBe(COUNT);
}

async function waitBlocked(client: Redis): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (/blocked_clients:1\r/.test(await client.info('clients'))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the blocking client never blocked');
}

describe('process memory after storing and reading back list elements', () => {
  let server: SpawnedServer;
  let client: Redis;
  let blocker: Redis;
  const markers = makeMarkers(COUNT, 'SKVLIST-');

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
    blocker = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    blocker?.disconnect();
    await server?.stop();
  });

  it('holds none of the elements in any readable mapping of the live process', async () => {
    // Control: key names are kept in plaintext (without --seal-keys), so this one must be found.
    const [keyName] = makeMarkers(1, 'SKVLISTKEY-');
    await client.rpush(keyName!, 'x');
    await exercise(client, blocker, markers);
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: keyName!, what: 'the plaintext key name' });
  }, 180_000);
});
