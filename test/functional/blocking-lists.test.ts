// Blocking list pops with several real clients: FIFO among waiters, timeouts (sub-second, and 0
// for ever), wake-ups from MULTI/EXEC served after EXEC, blocking commands inside MULTI,
// disconnects while blocked, CLIENT UNBLOCK, nil (RESP2) / null (RESP3) on timeout, and BLMOVE
// chains where one served waiter's push serves the next.

import { afterEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { encodeCommand, ioredis, rawExchange } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

const { server, client, run } = withServer();

const opened: Redis[] = [];
/** A fresh connection (closed after the test). */
function connect(): Redis {
  const c = ioredis(server.port);
  opened.push(c);
  return c;
}

afterEach(() => {
  for (const c of opened.splice(0)) c.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `n` clients are blocked, from INFO's blocked_clients. */
async function blockedClients(n: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const info = (await run(['info', 'clients'])) as string;
    if (new RegExp(`blocked_clients:${n}\\r`).test(info)) return;
    await sleep(20);
  }
  throw new Error(`never saw ${n} blocked clients`);
}

describe('BLPOP / BRPOP', () => {
  it('serves several waiters in the order they blocked, one element each', async () => {
    const waiters = [connect(), connect(), connect()];
    const got: Promise<[string, string] | null>[] = [];
    for (let i = 0; i < waiters.length; i++) {
      got.push(waiters[i]!.blpop('q', 0));
      await blockedClients(i + 1);
    }
    expect(await client.rpush('q', 'first', 'second', 'third')).toBe(3);
    expect(await Promise.all(got)).toEqual([['q', 'first'], ['q', 'second'], ['q', 'third']]);
    expect(await client.exists('q')).toBe(0);
    await blockedClients(0);
  });

  it('pops from the first of its keys that gets an element, and only one element', async () => {
    const w = connect();
    const got = w.brpop('a', 'b', 'c', 0);
    await blockedClients(1);
    await client.rpush('b', 'x', 'y');
    expect(await got).toEqual(['b', 'y']);
    expect(await client.lrange('b', 0, -1)).toEqual(['x']);
  });

  it('times out with sub-second precision and answers nil', async () => {
    const w = connect();
    const start = Date.now();
    expect(await w.blpop('none', 0.2)).toBeNull();
    const took = Date.now() - start;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2000);
    await blockedClients(0);
  });

  it('answers *-1 in RESP2 and _ in RESP3 on a timeout', async () => {
    const resp2 = await rawExchange(server.port, encodeCommand(['BLPOP', 'none', '0.05']), 400);
    expect(resp2.data.toString('latin1')).toBe('*-1\r\n');
    const resp3 = await rawExchange(server.port, Buffer.concat([encodeCommand(['HELLO', '3']), encodeCommand(['BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0.05'])]), 400);
    expect(resp3.data.toString('latin1').endsWith('_\r\n')).toBe(true);
    // Redis 7.0 answers a timed-out BLMOVE/BRPOPLPUSH with a null array too (but a bulk nil in MULTI).
    const brpoplpush = await rawExchange(server.port, encodeCommand(['BRPOPLPUSH', 'none', 'x', '0.05']), 400);
    expect(brpoplpush.data.toString('latin1')).toBe('*-1\r\n');
    const inMulti = await rawExchange(server.port, [encodeCommand(['MULTI']), encodeCommand(['BRPOPLPUSH', 'none', 'x', '0']), encodeCommand(['EXEC'])], 400);
    expect(inMulti.data.toString('latin1')).toBe('+OK\r\n+QUEUED\r\n*1\r\n$-1\r\n');
  });

  it('0 waits for ever: still blocked after a while, then served', async () => {
    const w = connect();
    const got = w.blpop('later', 0);
    await sleep(300);
    await blockedClients(1);
    await client.lpush('later', 'v');
    expect(await got).toEqual(['later', 'v']);
  });

  it('later commands of a blocked client wait behind it, replies in order', async () => {
    const w = connect();
    const first = w.blpop('k', 0);
    const second = w.ping('after');
    await blockedClients(1);
    await client.rpush('k', 'v');
    expect(await first).toEqual(['k', 'v']);
    expect(await second).toBe('after');
  });

  it('a waiter is not served by a key of another type, and keeps waiting', async () => {
    const w = connect();
    const got = w.blpop('k', 0);
    await blockedClients(1);
    await client.set('k', 'string');
    await sleep(50);
    await blockedClients(1);
    await client.del('k');
    await client.rpush('k', 'now');
    expect(await got).toEqual(['k', 'now']);
  });
});

describe('wake-ups from transactions, and blocking inside MULTI', () => {
  it('a push inside MULTI/EXEC serves the waiter after EXEC, with the state EXEC left', async () => {
    const w = connect();
    const got = w.blpop('m', 0);
    await blockedClients(1);
    const results = await client.multi().rpush('m', 'a', 'b').lpop('m').rpush('m', 'c').exec();
    expect(results).toEqual([[null, 2], [null, 'a'], [null, 2]]);
    // Served after the whole transaction: it sees b, c, never a.
    expect(await got).toEqual(['m', 'b']);
    expect(await client.lrange('m', 0, -1)).toEqual(['c']);
  });

  it('a push and delete inside one EXEC leaves nothing to serve', async () => {
    const w = connect();
    const got = w.blpop('gone', 0.3);
    await blockedClients(1);
    await client.multi().rpush('gone', 'a').del('gone').exec();
    expect(await got).toBeNull();
  });

  it('blocking commands inside MULTI answer at once as on a timeout', async () => {
    const results = await client.multi().blpop('none', 0).brpoplpush('none', 'x', 0).blmpop(0, 1, 'none', 'LEFT').exec();
    expect(results).toEqual([[null, null], [null, null], [null, null]]);
    await blockedClients(0);
  });
});

describe('disconnects and CLIENT UNBLOCK', () => {
  it('a client that disconnects while blocked leaves the table, and takes nothing', async () => {
    const w = connect();
    void w.blpop('d', 0).catch(() => undefined);
    const w2 = connect();
    const got2 = w2.blpop('d', 0);
    await blockedClients(2);
    w.disconnect();
    await blockedClients(1);
    await client.rpush('d', 'only');
    expect(await got2).toEqual(['d', 'only']);
  });

  it('CLIENT UNBLOCK answers nil (TIMEOUT) or the UNBLOCKED error', async () => {
    const w = connect();
    const id = (await w.client('ID')) as number;
    const got = w.blpop('u', 0);
    await blockedClients(1);
    expect(await run(['client', 'unblock', String(id)])).toBe(1);
    expect(await got).toBeNull();
    const again = w.brpop('u', 0);
    await blockedClients(1);
    expect(await run(['client', 'unblock', String(id), 'error'])).toBe(1);
    await expect(again).rejects.toThrow('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    // Nothing left waiting: a push stays in the list.
    await client.rpush('u', 'kept');
    expect(await client.lrange('u', 0, -1)).toEqual(['kept']);
  });
});

describe('BLMOVE, BRPOPLPUSH and BLMPOP', () => {
  it('BLMOVE waits for its source, then moves the element and replies with it', async () => {
    const w = connect();
    const got = w.blmove('src', 'dst', 'LEFT', 'RIGHT', 0);
    await blockedClients(1);
    await client.rpush('src', 'a', 'b');
    expect(await got).toBe('a');
    expect(await client.lrange('src', 0, -1)).toEqual(['b']);
    expect(await client.lrange('dst', 0, -1)).toEqual(['a']);
  });

  it('a chain: each served BLMOVE pushes on to the next waiter', async () => {
    const w1 = connect();
    const w2 = connect();
    const w3 = connect();
    const hop1 = w1.blmove('l1', 'l2', 'LEFT', 'LEFT', 0);
    await blockedClients(1);
    const hop2 = w2.brpoplpush('l2', 'l3', 0);
    await blockedClients(2);
    const last = w3.blpop('l3', 0);
    await blockedClients(3);
    await client.rpush('l1', 'token');
    expect(await hop1).toBe('token');
    expect(await hop2).toBe('token');
    expect(await last).toEqual(['l3', 'token']);
    expect(await client.exists('l1', 'l2', 'l3')).toBe(0);
  });

  it('a BLMOVE served onto a key of another type answers WRONGTYPE and leaves the source alone', async () => {
    const w = connect();
    const got = w.blmove('s', 'str', 'LEFT', 'LEFT', 0);
    await blockedClients(1);
    await client.multi().set('str', 'x').rpush('s', 'e').exec();
    await expect(got).rejects.toThrow(/^WRONGTYPE/);
    expect(await client.lrange('s', 0, -1)).toEqual(['e']);
  });

  it('BLMPOP waits on several keys and pops up to COUNT from the one that got elements', async () => {
    const w = connect();
    const got = w.blmpop(0, 2, 'x', 'y', 'RIGHT', 'COUNT', 2);
    await blockedClients(1);
    await client.rpush('y', '1', '2', '3');
    expect(await got).toEqual(['y', ['3', '2']]);
    expect(await client.lrange('y', 0, -1)).toEqual(['1']);
  });

  it('waiters on a rotating BLMOVE (source = destination) are served from it', async () => {
    const w = connect();
    const got = w.blmove('r', 'r', 'LEFT', 'RIGHT', 0);
    await blockedClients(1);
    await client.rpush('r', 'a', 'b');
    expect(await got).toBe('a');
    expect(await client.lrange('r', 0, -1)).toEqual(['b', 'a']);
  });
});
