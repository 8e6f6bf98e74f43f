// Range replies keep the members they opened for the rest of the event-loop turn
// (src/commands/zsets/zset-turn-opens.ts): commands sent in one write run in one turn, so these tests
// send pipelines and MULTIs in one write each. What they check: the later ranges of the turn
// open fewer members (the point), never give a member's plaintext for another key or database
// (a sealed member copied elsewhere still fails to open), never give a removed, renamed,
// deleted, re-scored or re-sealed member (replies byte for byte as redis-server's), stay
// within their bound, and drop everything when a data key is retired.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, oneWrite, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';
import { Kind } from '../../src/store/keyspace.js';
import { Errors } from '../../src/protocol/errors.js';
import { keepTurnOpen, turnOpenCount, useTurnOpens } from '../../src/commands/zsets/zset-turn-opens.js';
import type { Keyring } from '../../src/seal/keyring.js';

let server: InProcessServer;

beforeAll(async () => {
  server = await startInProcess();
});
afterAll(async () => {
  await server?.stop();
});

/** ZADD key of n members m0..m{n-1} with the scores score(i) (over 64 members: never packed at rest). */
function zadd(key: string, n: number, score: (i: number) => string = String): string[] {
  const out = ['ZADD', key];
  for (let i = 0; i < n; i++) out.push(score(i), `m${i}`);
  return out;
}

function opens(): number {
  return server.running.state.sealCounts.opens;
}

describe('range replies within one turn', () => {
  it('open each member once: 16 pipelined ZRANGEs of a top 10 open 10 members, not 160', async () => {
    const ranges = Array.from({ length: 16 }, () => ['ZRANGE', 'board', '0', '9', 'WITHSCORES']);
    const before = opens();
    const replies = await oneWrite(server.port, ranges, [['FLUSHALL'], zadd('board', 1000)]);
    const opened = opens() - before;
    expect(new Set(replies).size).toBe(1);
    expect(replies[0]).toContain('$2\r\nm9\r\n$1\r\n9\r\n');
    // One turn opens 10; a read the server happened to split across turns a few more.
    expect(opened).toBeGreaterThanOrEqual(10);
    expect(opened).toBeLessThan(50);
  });

  it('keep at most 256 members: a second ZRANGE 0 -1 of 400 in the same turn opens the 144 not kept', async () => {
    const before = opens();
    const replies = await oneWrite(server.port, [['ZRANGE', 'big', '0', '-1'], ['ZRANGE', 'big', '0', '-1']], [['FLUSHALL'], zadd('big', 400)]);
    expect(replies[1]).toBe(replies[0]);
    expect(opens() - before).toBeGreaterThanOrEqual(400 + 144);
  });

  it('keep at most 16 KiB of plaintext: of 200-byte members, 81 are kept', async () => {
    const long = ['ZADD', 'long'];
    for (let i = 0; i < 100; i++) long.push(String(i), `${String(i).padStart(3, '0')}${'x'.repeat(197)}`);
    const before = opens();
    const replies = await oneWrite(server.port, [['ZRANGE', 'long', '0', '-1'], ['ZRANGE', 'long', '0', '-1']], [['FLUSHALL'], long]);
    expect(replies[1]).toBe(replies[0]);
    expect(opens() - before).toBeGreaterThanOrEqual(100 + 19);
  });
});

describe('the member order within one turn', () => {
  it('opens the members a lex bound is compared with once: 16 pipelined ZLEXCOUNTs of 2,000 ties open ~11, not 16 times that', async () => {
    const counts = Array.from({ length: 16 }, () => ['ZLEXCOUNT', 'lex', '[m5', '+']);
    const before = opens();
    const replies = await oneWrite(server.port, counts, [['FLUSHALL'], zadd('lex', 2000, () => '0')]);
    const opened = opens() - before;
    expect(new Set(replies).size).toBe(1);
    expect(replies[0]).toBe(':555\r\n');
    // One descent opens about log2 2000 = 11 members; 16 descents without the turn's share 176.
    expect(opened).toBeGreaterThanOrEqual(8);
    expect(opened).toBeLessThan(40);
  });

  it('opens the members 16 pipelined ZADDs among equal scores compare once between them', async () => {
    // All placed between m1061 and m1062: the descents compare the same members, and the new ones.
    const adds = Array.from({ length: 16 }, (_, i) => ['ZADD', 'lex', '0', `m1061${String.fromCharCode(0x70 - i)}`]);
    const setup = [['FLUSHALL'], zadd('lex', 2000, () => '0')];
    const before = opens();
    await oneWrite(server.port, adds, setup);
    const opened = opens() - before;
    // Alone, each ZADD compares (and opens) about 11 members: 176 for the 16.
    expect(opened).toBeGreaterThanOrEqual(8);
    expect(opened).toBeLessThan(50);
    const placed = await oneWrite(server.port, [['ZCARD', 'lex'], ['ZRANGEBYLEX', 'lex', '[m1061', '(m1062']]);
    expect(placed[0]).toBe(':2016\r\n');
    expect(placed[1]).toBe(`*17\r\n$5\r\nm1061\r\n${adds.map((a) => a[3]!).sort().map((m) => `$6\r\n${m}\r\n`).join('')}`);
  });
});

describe('a sealed member copied under another key or database', () => {
  function tamper(db: number, name: string, sealed: string): void {
    const entry = server.running.state.databases[db]!.peek(storedKey(server, name));
    if (entry?.kind !== Kind.ZSet) throw new Error(`${name} is not a sorted set`);
    let first = true;
    entry.zset.reseal((s) => (first ? ((first = false), sealed) : s));
  }
  function firstSealed(db: number, name: string): string {
    const entry = server.running.state.databases[db]!.peek(storedKey(server, name));
    if (entry?.kind !== Kind.ZSet) throw new Error(`${name} is not a sorted set`);
    return entry.zset.at(0)!.sealed;
  }
  const refused = `-${Errors.sealOpenFailed}\r\n`;

  it('fails to open even right after the same turn opened it for its own key', async () => {
    const c = await ReplyConnection.open(server.port);
    await c.send(['FLUSHALL']);
    await c.send(zadd('a', 100));
    await c.send(zadd('b', 100));
    c.close();
    tamper(0, 'b', firstSealed(0, 'a'));
    expect(await oneWrite(server.port, [['ZRANGE', 'a', '0', '0'], ['ZRANGE', 'b', '0', '0'], ['ZRANGE', 'a', '0', '0']])).toEqual([
      '*1\r\n$2\r\nm0\r\n', refused, '*1\r\n$2\r\nm0\r\n',
    ]);
  });

  it('fails to open when the member order compares it, right after the order opened it for its own key', async () => {
    const c = await ReplyConnection.open(server.port);
    await c.send(['FLUSHALL']);
    await c.send(zadd('a', 100, () => '0'));
    await c.send(zadd('b', 100, () => '0'));
    c.close();
    tamper(0, 'b', firstSealed(0, 'a'));
    // ZLEXCOUNT opens members only to compare them with its bound ([m0 reaches rank 0).
    expect(await oneWrite(server.port, [['ZLEXCOUNT', 'a', '[m0', '+'], ['ZLEXCOUNT', 'b', '[m0', '+'], ['ZLEXCOUNT', 'a', '[m0', '+']])).toEqual([
      ':100\r\n', refused, ':100\r\n',
    ]);
  });

  it('fails to open in another database under the same key name', async () => {
    const c = await ReplyConnection.open(server.port);
    await c.send(['FLUSHALL']);
    await c.send(zadd('a', 100));
    await c.send(['SELECT', '1']);
    await c.send(zadd('a', 100));
    c.close();
    tamper(1, 'a', firstSealed(0, 'a'));
    expect(await oneWrite(server.port, [['ZRANGE', 'a', '0', '0'], ['SELECT', '1'], ['ZRANGE', 'a', '0', '0'], ['ZRANGE', 'a', '1', '1']])).toEqual([
      '*1\r\n$2\r\nm0\r\n', '+OK\r\n', refused, '*1\r\n$2\r\nm1\r\n',
    ]);
  });
});

// Between two ranges of one turn: every change that removes, moves, re-scores or re-seals members.
const SETUP = [['FLUSHALL'], zadd('r', 100), zadd('lex', 100, () => '0')];
const TOP = ['ZRANGE', 'r', '0', '9', 'WITHSCORES'];
const CHANGES: Record<string, string[][]> = {
  'ZREM, ZADD of a changed score and of a new member, ZINCRBY': [
    TOP, ['ZREM', 'r', 'm3', 'm0'], TOP, ['ZADD', 'r', '100', 'm1'], TOP, ['ZADD', 'r', '-1', 'new', '0.5', 'm99'], TOP,
    ['ZINCRBY', 'r', '-10', 'm50'], ['ZREVRANGE', 'r', '0', '4', 'WITHSCORES'], ['ZRANGEBYSCORE', 'r', '-inf', '3', 'WITHSCORES'], TOP,
  ],
  'RENAME back and forth, COPY, DEL and the key made again': [
    TOP, ['RENAME', 'r', 'r2'], TOP, ['ZRANGE', 'r2', '0', '9', 'WITHSCORES'], ['COPY', 'r2', 'r'], TOP, ['DEL', 'r'], TOP,
    ['RENAME', 'r2', 'r'], TOP, ['DEL', 'r'], zadd('r', 20, (i) => String(-i)), TOP, ['ZREVRANGEBYSCORE', 'r', '+inf', '-5', 'WITHSCORES', 'LIMIT', '1', '3'],
  ],
  'MOVE and SWAPDB': [
    TOP, ['MOVE', 'r', '1'], TOP, ['SELECT', '1'], TOP, ['SWAPDB', '0', '1'], TOP, ['SELECT', '0'], TOP, ['ZREMRANGEBYRANK', 'r', '0', '4'], TOP,
  ],
  'lex ranges, ZPOPMIN and ZREMRANGEBYLEX': [
    ['ZRANGEBYLEX', 'lex', '[m1', '(m2', 'LIMIT', '0', '10'], ['ZPOPMIN', 'lex', '2'], ['ZRANGEBYLEX', 'lex', '-', '+', 'LIMIT', '0', '10'],
    ['ZREMRANGEBYLEX', 'lex', '[m10', '[m15'], ['ZREVRANGEBYLEX', 'lex', '+', '-', 'LIMIT', '0', '10'], ['ZRANGEBYLEX', 'lex', '[m1', '(m2'],
  ],
  'ZADD among equal scores between lex ranges and counts': [
    ['ZLEXCOUNT', 'lex', '[m3', '(m7'], ['ZADD', 'lex', '0', 'm35', '0', 'm3', '0', 'm', '0', 'm99a'], ['ZRANGEBYLEX', 'lex', '[m3', '(m4', 'LIMIT', '0', '20'],
    ['ZREM', 'lex', 'm35', 'm30'], ['ZLEXCOUNT', 'lex', '[m3', '(m7'], ['ZADD', 'lex', '0', 'm35', '0', 'm31x'], ['ZREVRANGEBYLEX', 'lex', '(m4', '[m3'],
    ['RENAME', 'lex', 'lex2'], ['ZADD', 'lex2', '0', 'm36x'], ['ZRANGEBYLEX', 'lex2', '[m3', '(m4'], ['ZADD', 'lex', '0', 'm3'], ['ZRANGEBYLEX', 'lex', '-', '+'],
    ['ZREMRANGEBYLEX', 'lex2', '[m36', '[m37'], ['ZRANGEBYLEX', 'lex2', '[m3', '(m4'],
  ],
  'the same inside MULTI': [
    ['MULTI'], TOP, ['ZREM', 'r', 'm2'], ['ZADD', 'r', '-3', 'm7'], TOP, ['RENAME', 'r', 'q'], TOP, ['ZRANGE', 'q', '0', '9', 'WITHSCORES'], ['DEL', 'q'],
    ['ZRANGE', 'q', '0', '9'], ['EXEC'], TOP,
  ],
};

describe.skipIf(!hasRedisServer)('changes between two ranges of one turn, byte for byte with redis-server', () => {
  let redis: ReferenceRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  for (const protocol of [2, 3] as const) {
    for (const [name, commands] of Object.entries(CHANGES)) {
      it(`RESP${protocol}: ${name}`, async () => {
        const setup = protocol === 3 ? [['HELLO', '3'], ...SETUP] : SETUP;
        const expected = await oneWrite(redis.port, commands, setup);
        const actual = await oneWrite(server.port, commands, setup);
        const show = (r: string[]) => commands.map((c, i) => `${c.slice(0, 6).join(' ')} -> ${JSON.stringify(r[i])}`);
        expect(show(actual)).toEqual(show(expected));
      });
    }
  }
});

describe('SEAL ROTATE within the turn', () => {
  it('ranges before and after it in one pipeline and one MULTI give the same members, and again once the old key is gone', async () => {
    const before = await oneWrite(server.port, [TOP], SETUP);
    const piped = await oneWrite(server.port, [TOP, ['SEAL', 'ROTATE'], TOP, ['ZREM', 'r', 'm0'], TOP, ['MULTI'], TOP, ['SEAL', 'ROTATE'], TOP, ['EXEC'], TOP]);
    expect(piped[0]).toBe(before[0]);
    expect(piped[1]).toMatch(/^\$8\r\n[0-9a-f]{8}\r\n$/);
    expect(piped[2]).toBe(before[0]);
    const withoutM0 = piped[4]!;
    expect(withoutM0).not.toContain('$2\r\nm0\r\n');
    // The second rotation is refused while the first runs; EXEC gives [top, that, top].
    expect(piped[9]).toContain(withoutM0.slice(withoutM0.indexOf('\r\n') + 2));
    expect(piped[10]).toBe(withoutM0);
    const c = await ReplyConnection.open(server.port);
    for (let i = 0; i < 500 && /rotation_in_progress:1/.test(await c.send(['INFO', 'sealkv'])); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await c.send(['INFO', 'sealkv'])).toMatch(/keys_in_use:1\r\n/);
    c.close();
    expect(await oneWrite(server.port, [TOP, TOP])).toEqual([withoutM0, withoutM0]);
  });

  it('drops every kept member when a data key is retired', () => {
    // A retirement runs in its own turn (the rotation's last slice), after the turn's ranges are
    // wiped anyway; what is kept at that moment must go too, so keep one by hand first.
    useTurnOpens(server.running.state.values);
    keepTurnOpen('\x01\x00\x00\x00\x00' + 'n'.repeat(60), 0, 'k', Buffer.from('plain'), 0, 5);
    expect(turnOpenCount()).toBe(1);
    const keyring = (server.running.state as unknown as { keyring: Keyring }).keyring;
    const old = keyring.current.id;
    keyring.rotate();
    expect(turnOpenCount()).toBe(1);
    expect(keyring.retire(old)).toBe(true);
    expect(turnOpenCount()).toBe(0);
  });
});
