// No plaintext sorted-set member outlives its command: random markers go in as members (many
// with equal scores, so the order opens neighbours to compare them), come back out through
// ranges, lex ranges with markers as bounds, pops, ZSCAN MATCH, ZRANDMEMBER, the algebra and
// its *STORE forms, RENAME/COPY, a blocked BZPOPMIN served by a later ZADD and, last, pipelined
// ranges and lex counts (whose members stay open until the server's turn ends); then every readable mapping of
// the live server process is searched for them. Scores stay in clear by
// design (README, threat model) and are not markers.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const COUNT = 1500;

async function exercise(client: Redis, blocked: Redis, markers: string[]): Promise<void> {
  let next = 0;
  const take = (n: number): string[] => markers.slice(next, (next += n));

  // A large set with ties everywhere: 5 scores for 400 members (skiplist in Redis's terms).
  const big = take(400);
  for (let i = 0; i < big.length; i += 50) await client.zadd('big', ...big.slice(i, i + 50).flatMap((m, j) => [String((i + j) % 5), m]));
  expect(await client.zcard('big')).toBe(400);
  expect(await client.zrange('big', '0', '-1')).toHaveLength(400);
  const sorted = [...big].sort();
  expect(await client.zrangebylex('lexless', '-', '+')).toEqual([]);
  // Small sets, all-zero scores: lex ranges with markers as bounds.
  const small = take(300);
  for (let i = 0; i < small.length; i += 5) await client.zadd(`s:${i / 5}`, ...small.slice(i, i + 5).flatMap((m) => ['0', m]));
  for (let i = 0; i < small.length; i += 5) {
    const five = small.slice(i, i + 5).sort();
    expect(await client.zrangebylex(`s:${i / 5}`, `[${five[1]}`, `(${five[4]}`)).toEqual(five.slice(1, 4));
    expect(await client.zlexcount(`s:${i / 5}`, `(${five[0]}`, '+')).toBe(4);
    expect(await client.zscore(`s:${i / 5}`, five[2]!)).toBe('0');
    expect(await client.zrank(`s:${i / 5}`, five[3]!)).toBe(3);
  }
  // The small sets are packed (as each ZADD's turn ended): ZRANGESTORE and the algebra read their
  // blobs' plaintext (opened-members.ts, zsets-algebra.ts), small results stored packed at once.
  for (let i = 0; i < 60; i += 2) {
    expect(await client.zrangestore(`rp:${i}`, `s:${i}`, 1, 3)).toBe(3);
    expect(await client.zunionstore(`up:${i}`, 2, `s:${i}`, `s:${i + 1}`)).toBe(10);
    expect(await client.zunion(2, `s:${i}`, `s:${i + 1}`)).toHaveLength(10);
    expect(await client.zdiff(2, `s:${i}`, `s:${i + 1}`)).toHaveLength(5);
    expect(await client.zintercard(2, `s:${i}`, `s:${i}`)).toBe(5);
  }
  // Scores changed in place and by moving, ZINCRBY, ZREM.
  const moving = take(100);
  await client.zadd('mv', ...moving.flatMap((m, i) => [String(i), m]));
  for (let i = 0; i < moving.length; i += 3) await client.zincrby('mv', 1000, moving[i]!);
  for (let i = 1; i < moving.length; i += 7) await client.zrem('mv', moving[i]!);
  // The algebra and stores (re-sealed for the destination), RENAME and COPY.
  expect(await client.zunionstore('u', 2, 'big', 'mv', 'WEIGHTS', 1, 2)).toBeGreaterThan(400);
  expect((await client.zinter(2, 's:0', 's:0', 'WITHSCORES')).length).toBe(10);
  expect(await client.zrangestore('rs', 'big', 0, 99)).toBe(100);
  await client.rename('rs', 'rs2');
  await client.copy('rs2', 'rs3');
  expect(await client.zrange('rs3', '0', '0')).toEqual([sorted.filter((_, i) => big.indexOf(sorted[i]!) % 5 === 0)[0]]);
  // ZSCAN with a pattern (members opened to match), ZRANDMEMBER, pops.
  const [, scanned] = await client.zscan('big', 0, 'MATCH', 'SKVMARK-*', 'COUNT', 1000);
  expect(scanned.length).toBeGreaterThan(0);
  expect(await client.zrandmember('big', 5)).toHaveLength(5);
  const popped = take(100);
  await client.zadd('pop', ...popped.flatMap((m, i) => [String(i), m]));
  expect(await client.zpopmin('pop', 30)).toHaveLength(60);
  expect(await client.zmpop(1, ['pop'], 'MAX', 'COUNT', 30)).toBeTruthy();
  // A blocked client served by a write.
  const [served] = take(1);
  const pending = blocked.bzpopmin('wait', 0);
  for (let i = 0; i < 100 && !/blocked_clients:1/.test(await client.info('clients')); i++) await new Promise((r) => setTimeout(r, 10));
  await client.zadd('wait', 1, served!);
  expect(await pending).toEqual(['wait', served, '1']);
  // ZREMRANGEBYLEX with marker bounds, and a whole set deleted.
  const gone = take(299);
  await client.zadd('gone', ...gone.flatMap((m) => ['0', m]));
  const g = [...gone].sort();
  expect(await client.zremrangebylex('gone', `[${g[10]}`, `[${g[200]}`)).toBe(191);
  await client.del('gone');
  // Ranges pipelined last: the members they open are kept in plaintext for the rest of the
  // server's turn (src/commands/zsets/zset-turn-opens.ts) and must be wiped when it ends.
  // So are the members the member order opens to compare with a lex bound (its own share).
  const top = take(100);
  await client.zadd('top', ...top.flatMap((m, i) => [String(i), m]));
  const ties = take(200);
  await client.zadd('ties', ...ties.flatMap((m) => ['0', m]));
  const piped = client.pipeline();
  for (let i = 0; i < 16; i++) piped.zrange('top', '0', '9', 'WITHSCORES');
  piped.zrange('top', '0', '-1');
  for (let i = 0; i < 16; i++) piped.zlexcount('ties', '[SKVMARK-8', '+');
  const ranges = (await piped.exec())!.map(([, r]) => r as string[]);
  expect(ranges[0]).toEqual(top.slice(0, 10).flatMap((m, i) => [m, String(i)]));
  expect(ranges[16]).toEqual(top);
  expect(ranges[17]).toBe(ties.filter((m) => m >= 'SKVMARK-8').length);
  expect(next).toBe(COUNT);
}

describe('process memory after storing and reading back sorted-set members', () => {
  let server: SpawnedServer;
  let client: Redis;
  let blocked: Redis;
  const markers = makeMarkers(COUNT);

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
    blocked = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    blocked?.disconnect();
    await server?.stop();
  });

  it('holds none of the members in any readable mapping of the live process', async () => {
    // Control: key names are kept in plaintext (without --seal-keys), so this one must be found.
    const [keyName] = makeMarkers(1, 'SKVKEYNAME-');
    await client.zadd(keyName!, 1, 'x');
    await exercise(client, blocked, markers.map((b) => b.toString('latin1')));
    expect(await client.ping()).toBe('PONG');
    expectNoPlaintext(server.process.pid!, markers, { marker: keyName!, what: 'the plaintext key name' });
  }, 180_000);
});
