// Set commands against the real server over real clients (ioredis, node-redis, redis-cli), and
// side by side with redis-server 7.0: each case runs on both after FLUSHALL, in RESP2 and RESP3,
// and every reply must be the same bytes. Where Redis answers in its hash table's order (members
// of a hashtable-encoded set) the members are compared sorted; intsets come in integer order from
// both servers and are compared as sent.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';
import { Kind } from '../../src/store/keyspace.js';
import { SetEntry } from '../../src/store/entry.js';
import { Errors } from '../../src/protocol/errors.js';

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/** A command whose reply lists members in Redis's hash order: compared with its members sorted. */
const U = '~unordered';

/** One RESP reply split into a header and its elements when it is an aggregate of bulks (nested once for SSCAN). */
function normalize(raw: string): string {
  const parse = (at: number): { text: string; end: number } => {
    const line = raw.indexOf('\r\n', at);
    const head = raw.slice(at, line);
    const type = head[0];
    if (type === '$') {
      const n = Number(head.slice(1));
      if (n < 0) return { text: head + '\r\n', end: line + 2 };
      const end = line + 2 + n + 2;
      return { text: raw.slice(at, end), end };
    }
    if (type === '*' || type === '~') {
      const n = Number(head.slice(1));
      const parts: string[] = [];
      let p = line + 2;
      for (let i = 0; i < n; i++) {
        const e = parse(p);
        parts.push(e.text);
        p = e.end;
      }
      const nested = parts.some((x) => x[0] === '*' || x[0] === '~');
      return { text: head + '\r\n' + (nested ? parts : [...parts].sort()).join(''), end: p };
    }
    return { text: raw.slice(at, line + 2), end: line + 2 };
  };
  return parse(0).text;
}

const CASES: Record<string, string[][]> = {
  'SADD counts new members, intset in integer order': [['SADD', 's', '3', '1', '2', '10', '-5', '3'], ['SMEMBERS', 's'], ['SCARD', 's'], ['OBJECT', 'ENCODING', 's']],
  'a non-integer member makes a hashtable for good': [
    ['SADD', 's', '1', '2'], ['SADD', 's', 'a'], ['OBJECT', 'ENCODING', 's'], ['SREM', 's', 'a'], ['OBJECT', 'ENCODING', 's'], [U, 'SMEMBERS', 's'],
  ],
  'integers Redis does not hold in an intset': [
    ['SADD', 's', '01'], ['OBJECT', 'ENCODING', 's'], ['SADD', 't', '9223372036854775808'], ['OBJECT', 'ENCODING', 't'],
    ['SADD', 'u', '-0'], ['OBJECT', 'ENCODING', 'u'], ['SADD', 'v', '+1'], ['OBJECT', 'ENCODING', 'v'], ['SADD', 'w', '-9223372036854775808', '9223372036854775807'], ['OBJECT', 'ENCODING', 'w'], ['SMEMBERS', 'w'],
  ],
  'past 512 integers an intset becomes a hashtable': [
    ['SADD', 's', ...Array.from({ length: 512 }, (_, i) => String(i))], ['OBJECT', 'ENCODING', 's'], ['SADD', 's', '512'], ['OBJECT', 'ENCODING', 's'], ['SCARD', 's'],
  ],
  'SREM counts removed members and the last one deletes the key': [
    ['SADD', 's', 'a', 'b', 'c'], ['SREM', 's', 'a', 'x', 'a'], ['SREM', 's', 'b', 'c', 'd'], ['EXISTS', 's'], ['SREM', 'nokey', 'a'],
  ],
  'SISMEMBER, SMISMEMBER, SCARD on sets, missing keys and other types': [
    ['SADD', 's', 'a', 'b'], ['SISMEMBER', 's', 'a'], ['SISMEMBER', 's', 'z'], ['SISMEMBER', 'nokey', 'a'], ['SMISMEMBER', 's', 'a', 'z', 'b'],
    ['SMISMEMBER', 'nokey', 'a', 'b'], ['SCARD', 'nokey'], ['SET', 'str', 'v'], ['SISMEMBER', 'str', 'a'], ['SMISMEMBER', 'str', 'a'], ['SCARD', 'str'],
    ['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SMEMBERS', 'str'], ['SMISMEMBER', 's'],
  ],
  'SMEMBERS of a missing key is an empty set': [['SMEMBERS', 'nokey'], ['SINTER', 'nokey']],
  'SMOVE: missing source, wrong types, same key, absent member, emptied source': [
    ['SET', 'str', 'v'], ['SMOVE', 'nokey', 'str', 'a'], ['SADD', 's', 'a', 'b'], ['SMOVE', 's', 'str', 'a'], ['SMOVE', 'str', 's', 'a'],
    ['SMOVE', 's', 's', 'a'], ['SMOVE', 's', 's', 'z'], ['SMOVE', 's', 'd', 'z'], ['SMOVE', 's', 'd', 'a'], ['SMEMBERS', 'd'],
    ['SADD', 'd', 'b'], ['SMOVE', 's', 'd', 'b'], ['EXISTS', 's'], [U, 'SMEMBERS', 'd'], ['SMOVE', 'd', 'i', 'a'], ['OBJECT', 'ENCODING', 'i'],
    ['SADD', 'n', '5'], ['SMOVE', 'n', 'j', '5'], ['OBJECT', 'ENCODING', 'j'],
  ],
  'SINTER, SUNION, SDIFF of intsets come in integer order': [
    ['SADD', 'a', '5', '1', '3', '7'], ['SADD', 'b', '3', '7', '9', '1'], ['SADD', 'c', '7', '100'], ['SINTER', 'a', 'b'], ['SINTER', 'a', 'b', 'c'],
    ['SUNION', 'a', 'b', 'c'], ['SDIFF', 'a', 'b'], ['SDIFF', 'b', 'a', 'c'], ['SUNION', 'a', 'nokey'], ['SDIFF', 'nokey', 'a'], ['SDIFF', 'a', 'nokey'],
    ['SDIFF', 'a', 'a'], ['SINTER', 'a', 'a'], ['SINTER', 'a', 'nokey'],
  ],
  'the algebra over hashtables': [
    ['SADD', 'a', 'x', 'y', 'z', '1'], ['SADD', 'b', 'y', 'z', 'w', '2'], [U, 'SINTER', 'a', 'b'], [U, 'SUNION', 'a', 'b'], [U, 'SDIFF', 'a', 'b'],
    [U, 'SUNION', 'a', 'a', 'b'], ['SDIFF', 'a', 'b', 'a'],
  ],
  'WRONGTYPE anywhere in the keys, missing keys before it or not': [
    ['SET', 'str', 'v'], ['SADD', 'a', 'x'], ['SINTER', 'nokey', 'str'], ['SINTER', 'a', 'str'], ['SUNION', 'str', 'a'], ['SDIFF', 'nokey', 'str'],
    ['SINTERSTORE', 'd', 'nokey', 'str'], ['SUNIONSTORE', 'd', 'a', 'str'], ['SDIFFSTORE', 'd', 'a', 'str'], ['EXISTS', 'd'], ['SINTERCARD', '2', 'nokey', 'str'],
  ],
  'the STORE forms replace the destination, TTL and type included, and delete it when empty': [
    ['SADD', 'a', '1', '2', '3'], ['SADD', 'b', '2', '3', '4'], ['SET', 'd', 'old', 'EX', '100'], ['SINTERSTORE', 'd', 'a', 'b'], ['TTL', 'd'], ['TYPE', 'd'],
    ['SMEMBERS', 'd'], ['OBJECT', 'ENCODING', 'd'], ['SUNIONSTORE', 'd', 'a', 'b'], ['SMEMBERS', 'd'], ['SDIFFSTORE', 'd', 'a', 'b'], ['SMEMBERS', 'd'],
    ['SINTERSTORE', 'd', 'a', 'nokey'], ['EXISTS', 'd'], ['SUNIONSTORE', 'd', 'nokey'], ['SDIFFSTORE', 'a', 'a', 'b'], ['SMEMBERS', 'a'],
    ['SADD', 'h', 'x', '1'], ['SUNIONSTORE', 'e', 'h', 'b'], ['OBJECT', 'ENCODING', 'e'], ['SDIFFSTORE', 'f', 'h', 'b'], ['OBJECT', 'ENCODING', 'f'], [U, 'SMEMBERS', 'f'],
  ],
  'SINTERCARD: numkeys, LIMIT and their errors': [
    ['SADD', 'a', '1', '2', '3', '4'], ['SADD', 'b', '2', '3', '4', '5'], ['SINTERCARD', '2', 'a', 'b'], ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '2'],
    ['SINTERCARD', '2', 'a', 'b', 'limit', '0'], ['SINTERCARD', '1', 'a'], ['SINTERCARD', '2', 'a', 'nokey'], ['SINTERCARD', '0', 'a'],
    ['SINTERCARD', 'x', 'a'], ['SINTERCARD', '-1', 'a'], ['SINTERCARD', '3', 'a', 'b'], ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'],
    ['SINTERCARD', '2', 'a', 'b', 'LIMIT', 'x'], ['SINTERCARD', '2', 'a', 'b', 'LIMIT'], ['SINTERCARD', '2', 'a', 'b', 'NOPE', '1'],
    ['SINTERCARD', '1', 'a', 'LIMIT', '1', 'LIMIT', '3'],
  ],
  'SPOP: counts, errors, the whole set': [
    ['SPOP', 'nokey'], ['SPOP', 'nokey', '3'], ['SADD', 's', '1'], ['SPOP', 's'], ['EXISTS', 's'], ['SADD', 's', '3', '1', '2'], ['SPOP', 's', '0'],
    ['SPOP', 's', '-1'], ['SPOP', 's', 'x'], ['SPOP', 's', '1', '2'], ['SPOP', 's', '10'], ['EXISTS', 's'], ['SET', 'str', 'v'], ['SPOP', 'str'],
    ['SPOP', 'str', '1'], ['SPOP', 'str', '-1'],
  ],
  'SPOP that leaves few integers builds an intset again': [
    ['SADD', 's', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', '1'], ['SREM', 's', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], ['SADD', 's', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    ['OBJECT', 'ENCODING', 's'], ['SPOP', 's', '12'], ['OBJECT', 'ENCODING', 's'],
  ],
  'SRANDMEMBER: counts, errors, RESP shapes': [
    ['SRANDMEMBER', 'nokey'], ['SRANDMEMBER', 'nokey', '5'], ['SRANDMEMBER', 'nokey', '-5'], ['SADD', 's', 'a'], ['SRANDMEMBER', 's'], ['SRANDMEMBER', 's', '1'],
    ['SRANDMEMBER', 's', '-3'], ['SRANDMEMBER', 's', '0'], ['SRANDMEMBER', 's', '5'], ['SRANDMEMBER', 's', 'x'], ['SRANDMEMBER', 's', '1', '2'],
    ['SRANDMEMBER', 's', '-9223372036854775808'], ['SRANDMEMBER', 's', '9223372036854775808'], ['SADD', 'i', '3', '1', '2'], ['SRANDMEMBER', 'i', '3'], ['SRANDMEMBER', 'i', '100'],
    ['SET', 'str', 'v'], ['SRANDMEMBER', 'str'], ['SRANDMEMBER', 'str', '2'], ['SRANDMEMBER', 'str', 'x'],
  ],
  'SSCAN: intsets whole, small sets whole, options and errors': [
    ['SSCAN', 'nokey', '0'], ['SADD', 'i', '3', '11', '2', '1'], ['SSCAN', 'i', '0'], ['SSCAN', 'i', '0', 'MATCH', '1*'], ['SSCAN', 'i', '0', 'COUNT', '1'],
    ['SADD', 's', 'a1', 'b1', 'a2'], [U, 'SSCAN', 's', '0', 'MATCH', 'a*'], ['SSCAN', 's', '0', 'COUNT', '0'], ['SSCAN', 's', '0', 'COUNT', 'x'],
    ['SSCAN', 's', '0', 'MATCH'], ['SSCAN', 's', '0', 'TYPE', 'set'], ['SSCAN', 's', 'x'], ['SSCAN', 'i', '-1'], ['SSCAN', 'nokey', '0', 'COUNT', '0'],
    ['SET', 'str', 'v'], ['SSCAN', 'str', '0'], ['SSCAN', 'str', 'x'],
  ],
  'arity errors': [['SADD', 's'], ['SREM', 's'], ['SISMEMBER', 's'], ['SMOVE', 'a', 'b'], ['SINTERCARD', '1'], ['SINTERSTORE', 'd'], ['SSCAN', 's'], ['SPOP'], ['SCARD']],
  'TYPE, OBJECT ENCODING, EXPIRE, RENAME, COPY of a set': [
    ['SADD', 's', '1', 'x'], ['TYPE', 's'], ['EXPIRE', 's', '100'], ['TTL', 's'], ['RENAME', 's', 't'], ['TTL', 't'], [U, 'SMEMBERS', 't'], ['COPY', 't', 'u'],
    [U, 'SMEMBERS', 'u'], ['SADD', 'u', 'y'], ['SCARD', 't'], ['OBJECT', 'ENCODING', 'u'], [U, 'SCAN', '0', 'TYPE', 'set'], ['DEL', 't', 'u'], ['EXISTS', 't', 'u'],
  ],
};

describe.skipIf(!hasRedisServer)('set commands side by side with redis-server 7.0', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;

  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  async function replies(port: number, protocol: 2 | 3, commands: string[][]): Promise<string[]> {
    const c = await ReplyConnection.open(port);
    try {
      expect(await c.send(['FLUSHALL'])).toBe('+OK\r\n');
      if (protocol === 3) expect((await c.send(['HELLO', '3']))[0]).toBe('%');
      const out: string[] = [];
      for (const cmd of commands) {
        if (cmd[0] === U) out.push(normalize(await c.send(cmd.slice(1))));
        else out.push(await c.send(cmd));
      }
      return out;
    } finally {
      c.close();
    }
  }

  for (const protocol of [2, 3] as const) {
    for (const [name, commands] of Object.entries(CASES)) {
      it(`RESP${protocol}: ${name}`, async () => {
        const expected = await replies(redis.port, protocol, commands);
        const actual = await replies(sealkv.port, protocol, commands);
        const show = (r: string[]) => commands.map((c, i) => `${c.filter((a) => a !== U).join(' ').slice(0, 80)} -> ${JSON.stringify(r[i])}`);
        expect(show(actual)).toEqual(show(expected));
      });
    }
  }
});

describe('sets through the clients', () => {
  const { server, client, run } = withServer();

  it('ioredis: a set of tokens, binary members included', async () => {
    const bin = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80]);
    expect(await client.sadd('tokens', 'a', 'b', bin, '')).toBe(4);
    expect(await client.sismember('tokens', bin)).toBe(1);
    expect(await client.sismember('tokens', '')).toBe(1);
    const members = await client.smembersBuffer('tokens');
    expect(members.map((m) => m.toString('hex')).sort()).toEqual([Buffer.from(''), Buffer.from('a'), Buffer.from('b'), bin].map((b) => b.toString('hex')).sort());
    expect(await client.smismember('tokens', 'a', 'z')).toEqual([1, 0]);
    expect(await client.srem('tokens', bin)).toBe(1);
    expect(await client.scard('tokens')).toBe(3);
  });

  it('ioredis: SPOP and SRANDMEMBER return members of the set', async () => {
    const all = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await client.sadd('s', ...all);
    const sample = await client.srandmember('s', 10);
    expect(new Set(sample).size).toBe(10);
    for (const m of sample) expect(all).toContain(m);
    const repeats = await client.srandmember('s', -200);
    expect(repeats).toHaveLength(200);
    const popped = await client.spop('s', 20);
    expect(popped).toHaveLength(20);
    expect(await client.scard('s')).toBe(30);
    for (const m of popped) expect(await client.sismember('s', m)).toBe(0);
    const rest = await client.spop('s', 100);
    expect([...popped, ...rest].sort()).toEqual([...all].sort());
    expect(await client.exists('s')).toBe(0);
  });

  it('SSCAN walks a large set with a stateless cursor, every member at least once', async () => {
    const all = Array.from({ length: 1000 }, (_, i) => `member:${i}`);
    await client.sadd('big', ...all);
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const [next, batch] = await client.sscan('big', cursor, 'COUNT', 50);
      for (const m of batch) seen.add(m);
      cursor = next;
      // Members come and go meanwhile: those present throughout must still all be seen.
      if (calls++ === 3) await client.sadd('big', ...Array.from({ length: 3000 }, (_, i) => `extra:${i}`));
    } while (cursor !== '0');
    for (const m of all) expect(seen.has(m)).toBe(true);
    expect(calls).toBeGreaterThan(5);
    const [, matched] = await client.sscan('big', 0, 'MATCH', 'member:99*', 'COUNT', 100000);
    expect(matched.sort()).toEqual(['member:99', ...Array.from({ length: 10 }, (_, i) => `member:99${i}`)].sort());
  });

  it('node-redis: SADD, SINTER, SUNIONSTORE, SMOVE', async () => {
    const c = await nodeRedis(server.port);
    try {
      expect(await c.sAdd('a', ['x', 'y', 'z'])).toBe(3);
      expect(await c.sAdd('b', ['y', 'z', 'w'])).toBe(3);
      expect((await c.sInter(['a', 'b'])).sort()).toEqual(['y', 'z']);
      expect(await c.sUnionStore('u', ['a', 'b'])).toBe(4);
      expect((await c.sMembers('u')).sort()).toEqual(['w', 'x', 'y', 'z']);
      expect(Number(await c.sMove('a', 'b', 'x'))).toBe(1);
      expect(Number(await c.sIsMember('b', 'x'))).toBe(1);
      expect(await c.sInterCard(['a', 'b'])).toBe(2);
    } finally {
      await c.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli: SADD, SMEMBERS, SCARD and the WRONGTYPE error', async () => {
    expect(await redisCli(server.port, ['sadd', 'cli', '3', '1', '2'])).toBe('3\n');
    expect(await redisCli(server.port, ['smembers', 'cli'])).toBe('1\n2\n3\n');
    expect(await redisCli(server.port, ['scard', 'cli'])).toBe('3\n');
    await run(['set', 'str', 'v']);
    expect((await redisCli(server.port, ['sadd', 'str', 'a'])).trim()).toBe(WRONGTYPE);
  });

  it('answers the count and numkeys errors of t_set.c', async () => {
    await client.sadd('s', 'a');
    expect(await run(['spop', 's', '-2'])).toEqual({ error: Errors.valueMustBePositive });
    expect(await run(['srandmember', 's', '-9223372036854775808'])).toEqual({ error: Errors.valueOutOfLongRange });
    expect(await run(['sintercard', '0', 's'])).toEqual({ error: Errors.numkeysNotPositive });
    expect(await run(['sintercard', '2', 's'])).toEqual({ error: Errors.numkeysOverArgs });
    expect(await run(['sintercard', '1', 's', 'limit', '-5'])).toEqual({ error: Errors.limitNegative });
  });

  it('WATCH sees SADD, and not an SADD that added nothing', async () => {
    await client.sadd('w', 'a');
    await client.watch('w');
    await client.sadd('w', 'a');
    expect(await client.multi().scard('w').exec()).toEqual([[null, 1]]);
    await client.watch('w');
    await run(['sadd', 'w', 'b']);
    expect(await client.multi().scard('w').exec()).toBeNull();
  });

  describe('sealing', () => {
    const setOf = (name: string) => server.running.state.databases[0]!.peek(storedKey(server, name)) as SetEntry;
    /** Copies of a set's sealed nodes. */
    const nodesOf = (set: SetEntry) => {
      const out: Buffer[] = [];
      set.forEachNode((bytes, start, length) => void out.push(Buffer.from(bytes.subarray(start, start + length))));
      return out;
    };

    beforeEach(async () => {
      await client.sadd('s', 'secret-member-1', 'secret-member-2');
    });

    it('keeps members sealed: no plaintext in a node, equal members of two keys have equal digests', async () => {
      await client.sadd('t', 'secret-member-1');
      await client.sadd('u', 'secret-member-1');
      const s = setOf('s');
      const t = setOf('t');
      expect(s.kind).toBe(Kind.Set);
      expect(nodesOf(s).length).toBe(1);
      for (const node of nodesOf(s)) expect(node.includes('secret-member')).toBe(false);
      let digestS = '';
      s.forEach((id) => void (t.has(s.digestOf(id)) && (digestS = s.digestOf(id).toString('hex'))));
      let digestT = '';
      t.forEach((id) => void (digestT = t.digestOf(id).toString('hex')));
      expect(digestS).toBe(digestT);
      // The same member alone in a node of two keys: the sealed nodes differ (each is bound to its key).
      expect(nodesOf(t)[0]!.equals(nodesOf(setOf('u'))[0]!)).toBe(false);
    });

    it('a node sealed for one key does not open under another', async () => {
      await client.sadd('t', 'secret-member-1', 'secret-member-3');
      // Put s's sealed node in t's (same length: same member lengths) by hand: t's reply must be the seal error.
      const from = Buffer.from(nodesOf(setOf('s'))[0]!);
      let target: Buffer | undefined;
      setOf('t').forEachNode((bytes, start, length) => void (target = bytes.subarray(start, start + length)));
      expect(target!.length).toBe(from.length);
      from.copy(target!);
      const failed = { error: 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with' };
      expect(await run(['smembers', 't'])).toEqual(failed);
      expect(await run(['sscan', 't', '0'])).toEqual(failed);
      expect(await run(['spop', 't'])).toEqual(failed);
      expect(await run(['srandmember', 't'])).toEqual(failed);
      // Adding opens the tail node: the error, nothing added; nor moved in by SMOVE.
      expect(await run(['sadd', 't', 'another'])).toEqual(failed);
      expect(await run(['smove', 's', 't', 'secret-member-2'])).toEqual(failed);
      expect(await client.scard('t')).toBe(2);
      expect(await client.sismember('t', 'another')).toBe(0);
    });

    it('SMOVE, SINTERSTORE, RENAME, COPY and MOVE re-seal members for their new key', async () => {
      expect(await client.smove('s', 'd', 'secret-member-1')).toBe(1);
      expect(await client.smembers('d')).toEqual(['secret-member-1']);
      expect(await client.sinterstore('i', 's', 's')).toBe(1);
      expect(await client.smembers('i')).toEqual(['secret-member-2']);
      await client.rename('i', 'r');
      expect(await client.smembers('r')).toEqual(['secret-member-2']);
      await run(['copy', 'r', 'c', 'db', '1']);
      await client.move('d', 2);
      await client.select(1);
      expect(await client.smembers('c')).toEqual(['secret-member-2']);
      await client.select(2);
      expect(await client.smembers('d')).toEqual(['secret-member-1']);
      await client.select(0);
    });

    it('SEAL ROTATE re-seals every node under the new key', async () => {
      await client.sadd('big', ...Array.from({ length: 300 }, (_, i) => `m${i}`));
      const keyIds = () => new Set(nodesOf(setOf('big')).map((node) => node.readUInt32BE(1)));
      const before = keyIds();
      expect(nodesOf(setOf('big')).length).toBeGreaterThan(300 / 32);
      await run(['seal', 'rotate']);
      for (let i = 0; i < 200; i++) {
        const ids = keyIds();
        if (ids.size === 1 && !before.has([...ids][0]!)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const after = keyIds();
      expect(after.size).toBe(1);
      expect(before.has([...after][0]!)).toBe(false);
      expect((await client.smembers('big')).length).toBe(300);
      expect(await client.sismember('s', 'secret-member-1')).toBe(1);
    });

    it('DEL, an overwrite, a STORE over it and FLUSHALL give the members\' arena blocks back', async () => {
      const held: SetEntry[] = [];
      const make = async (name: string) => {
        await client.sadd(name, ...Array.from({ length: 20 }, (_, i) => `m${i}`));
        held.push(setOf(name));
      };
      await make('d1');
      await client.del('d1');
      await make('d2');
      await client.set('d2', 'now a string');
      await make('d3');
      await client.sunionstore('d3', 's', 's');
      await make('d5');
      await client.flushall();
      // A cleared set holds no member blocks: its memory is the empty set's.
      for (const entry of held) expect(entry.size).toBe(0);
    });

    it('a large set keeps its members in sealed nodes and gives the memory back as they leave', async () => {
      const names = Array.from({ length: 5000 }, (_, i) => `member-${i}`);
      expect(await client.sadd('g', ...names)).toBe(5000);
      const big = setOf('g');
      // 16 members of 11-12 bytes to a node: a seal per node, not per member.
      expect(big.nodeCount).toBeLessThanOrEqual(Math.ceil(5000 / 16) + 1);
      const full = (await run(['memory', 'usage', 'g'])) as number;
      // Index arrays (digest, chain, place: 24 bytes a member, doubling) and nodes of 16 members.
      expect(full).toBeLessThan(5000 * 80);
      // Members leave from every node, most by SREM, some by SPOP and SMOVE.
      for (let i = 0; i < 4800; i += 400) expect(await client.srem('g', ...names.slice(i, i + 380))).toBe(380);
      const popped = (await client.spop('g', 40)) as string[];
      expect(popped).toHaveLength(40);
      const left = new Set(names.filter((n, i) => (i >= 4800 || i % 400 >= 380) && !popped.includes(n)));
      const moved = [...left][0]!;
      expect(await client.smove('g', 'other', moved)).toBe(1);
      left.delete(moved);
      expect(new Set(await client.smembers('g'))).toEqual(left);
      expect(await client.scard('g')).toBe(left.size);
      const after = (await run(['memory', 'usage', 'g'])) as number;
      expect(after).toBeLessThan(full / 5);
      expect(setOf('g').nodeCount).toBeLessThanOrEqual(1 + Math.ceil(left.size / 4));
      let cursor = '0';
      const scanned = new Set<string>();
      do {
        const [next, batch] = await client.sscan('g', cursor, 'COUNT', 7);
        cursor = next;
        for (const m of batch) scanned.add(m);
      } while (cursor !== '0');
      expect(scanned).toEqual(left);
    });

    it('MEMORY USAGE grows with the members and DEL frees the key', async () => {
      const small = (await run(['memory', 'usage', 's'])) as number;
      await client.sadd('s', ...Array.from({ length: 100 }, (_, i) => `more-${i}`));
      const large = (await run(['memory', 'usage', 's'])) as number;
      expect(large).toBeGreaterThan(small + 100 * 45);
      expect(await client.del('s')).toBe(1);
      expect(await client.exists('s')).toBe(0);
    });
  });
});
