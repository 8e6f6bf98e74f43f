// Valkey GLIDE (@valkey/valkey-glide, Valkey's official client with a Rust core) as apps use it:
// a standalone GlideClient in RESP3 (its default) and in RESP2 runs strings, hashes, lists, sets,
// sorted sets and a stream consumer group, an atomic Batch (MULTI/EXEC) and a non-atomic one
// (a pipeline), a Script (EVALSHA, loaded on NOSCRIPT), replies RESP3 sends as maps, sets and
// doubles (XINFO, XCLAIM/XAUTOCLAIM, scans, ZUNION/ZINTER/ZMPOP, geo, LCS IDX, FUNCTION LIST/FCALL),
// pub/sub subscribed at connect time, and says who it is with CLIENT SETINFO while connecting.
// The same scenario runs on redis-server, with the same readings.

import { Batch, GeoUnit, GlideClient, Logger, GlideClientConfiguration, InfoOptions, ListDirection, ProtocolVersion, ScoreFilter, Script, SortOrder, type GlideString, type PubSubMsg } from '@valkey/valkey-glide';
import { afterAll, describe, expect, it } from 'vitest';
import { sealkvBesideRedis, until } from '../helpers/beside-redis.js';

// The Rust core logs every error reply it passes on (WRONGTYPE, NOSCRIPT) to stdout.
Logger.setLoggerConfig('off');
const servers = sealkvBesideRedis();
const clients: GlideClient[] = [];

afterAll(() => {
  for (const c of clients) c.close();
});

async function open(port: number, protocol: ProtocolVersion, extra: Partial<GlideClientConfiguration> = {}): Promise<GlideClient> {
  const c = await GlideClient.createClient({ addresses: [{ host: '127.0.0.1', port }], protocol, requestTimeout: 3000, ...extra });
  clients.push(c);
  return c;
}

/** GLIDE answers with strings (default decoder), numbers, arrays and {key, value} records: plain JSON for comparing. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString() : x)));

function clientInfo(info: GlideString): Record<string, string> {
  return Object.fromEntries(String(info).trim().split(' ').map((kv) => kv.split('=') as [string, string]));
}

async function dataScenario(port: number, protocol: ProtocolVersion) {
  const c = await open(port, protocol, { clientName: 'glide-app' });
  await c.flushall();
  await c.scriptFlush();
  await c.configResetStat();
  const seen: Record<string, unknown> = {};
  const info = clientInfo((await c.customCommand(['CLIENT', 'INFO'])) as GlideString);
  seen.client = { name: info.name, resp: info.resp, db: info.db };
  // GLIDE sends CLIENT SETINFO LIB-NAME/LIB-VER while connecting and ignores a refusal: Redis 7.0
  // has no SETINFO (nor the fields); sealkv takes it and shows them as Redis 7.2 does.
  seen.lib = info['lib-name'] === undefined ? 'none' : `${info['lib-name']} ${info['lib-ver'] ? 'with version' : ''}`;

  seen.strings = plain([
    await c.set('s', 'v1'),
    await c.set('s', 'v2', { returnOldValue: true, expiry: { type: 'EX' as never, count: 100 } }),
    await c.get('s'),
    await c.ttl('s'),
    await c.incrBy('n', 5),
    await c.incrByFloat('n', 0.5),
    await c.mset({ a: '1', b: '2' }),
    await c.mget(['a', 'b', 'missing']),
    await c.append('a', 'x'),
    await c.strlen('a'),
    await c.getdel('a'),
    await c.exists(['a', 'b', 's']),
  ]);

  seen.hashes = plain([
    await c.hset('h', { f1: 'v1', f2: 'v2', n: '1' }),
    await c.hget('h', 'f1'),
    await c.hgetall('h'),
    await c.hincrBy('h', 'n', 10),
    await c.hmget('h', ['f2', 'nope']),
    await c.hdel('h', ['f1']),
    await c.hlen('h'),
    await c.hexists('h', 'f1'),
  ]);

  seen.lists = plain([
    await c.rpush('l', ['a', 'b', 'c']),
    await c.lpush('l', ['z']),
    await c.lrange('l', 0, -1),
    await c.lpop('l'),
    await c.lpopCount('l', 2),
    await c.llen('l'),
    await c.blpop(['l'], 1),
  ]);

  seen.sets = plain([
    await c.sadd('set', ['x', 'y', 'z']),
    await c.sismember('set', 'y'),
    [...(await c.smembers('set'))].map(String).sort(),
    await c.srem('set', ['x']),
    await c.scard('set'),
    await c.smismember('set', ['x', 'y']),
  ]);

  seen.zsets = plain([
    await c.zadd('z', { a: 1, b: 2, c: 3 }),
    await c.zscore('z', 'b'),
    await c.zincrby('z', 2.5, 'a'),
    await c.zrange('z', { start: 0, end: -1 }),
    await c.zrangeWithScores('z', { start: 0, end: -1 }),
    await c.zrank('z', 'c'),
    await c.zpopmin('z'),
    await c.zcard('z'),
  ]);

  const id1 = await c.xadd('st', [['f', 'one']], { id: '1-1' });
  const id2 = await c.xadd('st', [['f', 'two']], { id: '2-1' });
  seen.streams = plain([
    id1,
    id2,
    await c.xlen('st'),
    await c.xgroupCreate('st', 'g', '0'),
    await c.xreadgroup('g', 'worker', { st: '>' }, { count: 1 }),
    await c.xack('st', 'g', ['1-1']),
    await c.xpending('st', 'g'),
    await c.xrange('st', '-' as never, '+' as never),
  ]);

  const tx = new Batch(true).set('tx', '1').incr('tx').get('tx').hset('txh', { k: 'v' }).hgetall('txh');
  seen.transaction = plain(await c.exec(tx, true));
  const pipe = new Batch(false).set('p', 'x').get('p').lpush('s', ['wrong']).get('p');
  seen.pipeline = (await c.exec(pipe, false))!.map((r) => (r instanceof Error ? `error: ${r.message}` : plain(r)));

  // A Script goes as EVALSHA; the server does not know it yet, so GLIDE loads it and retries.
  const script = new Script("redis.call('SET', KEYS[1], ARGV[1]); return {redis.call('INCR', KEYS[2]), redis.call('GET', KEYS[1])}");
  seen.script = plain([
    await c.invokeScript(script, { keys: ['sk', 'sc'], args: ['val'] }),
    await c.invokeScript(script, { keys: ['sk', 'sc'], args: ['val2'] }),
    await c.scriptExists([script.getHash()]),
  ]);
  script.release();
  const stats = String(await c.info([InfoOptions.Commandstats]));
  // Redis lists commandstats in its command dict's order, which a random hash seed shuffles per process.
  seen.scriptCommands = stats.split('\r\n').filter((l) => /^cmdstat_(eval|evalsha|script\|load):/.test(l)).map((l) => l.replace(/usec=[\d.]+,usec_per_call=[\d.]+,/, '')).sort();

  let error = '';
  try {
    await c.hget('s', 'f');
  } catch (err) {
    error = (err as Error).message;
  }
  seen.wrongType = error;
  return seen;
}

/** Replies that RESP3 sends as maps, sets, doubles or nested arrays, which GLIDE reshapes. */
async function shapesScenario(port: number, protocol: ProtocolVersion) {
  const c = await open(port, protocol);
  await c.flushall();
  await c.functionFlush();
  const seen: Record<string, unknown> = {};
  await c.xadd('st', [['f', 'one']], { id: '1-1' });
  await c.xadd('st', [['f', 'two'], ['g', 'x']], { id: '2-1' });
  await c.xgroupCreate('st', 'g', '0');
  await c.xreadgroup('g', 'alice', { st: '>' });
  const noIdle = (r: Record<string, unknown>[]) => r.map(({ idle: _i, inactive: _n, ...rest }) => rest);
  seen.streams = plain([
    await c.xinfoStream('st'),
    await c.xinfoStream('st', { fullOptions: true }).then((r) => Object.keys(r).sort()),
    await c.xinfoGroups('st'),
    noIdle(await c.xinfoConsumers('st', 'g')),
    await c.xclaim('st', 'g', 'bob', 0, ['1-1']),
    await c.xautoclaim('st', 'g', 'carol', 0, '0-0', { count: 1 }),
    await c.xdel('st', ['2-1']),
  ]);
  await c.hset('h', { a: '1', b: '2' });
  await c.zadd('z', { a: 1.5, b: 2, c: 3 });
  await c.zadd('z2', { a: 10, d: 4 });
  seen.collections = plain([
    await c.hscan('h', '0'),
    await c.zscan('z', '0'),
    await c.zmscore('z', ['a', 'nope', 'c']),
    await c.zunionWithScores(['z', 'z2']),
    await c.zinterWithScores(['z', 'z2']),
    await c.zmpop(['z'], ScoreFilter.MAX, { count: 2 }),
    await c.lmpop(['nolist'], ListDirection.LEFT),
    await c.sintercard(['h2', 'h3']),
    await c.rpush('l', ['a', 'b', 'a', 'c', 'a']),
    await c.lpos('l', 'a', { count: 0 }),
    await c.objectEncoding('l'),
    await c.objectEncoding('h'),
    await c.configGet(['maxmemory-policy', 'hash-max-listpack-entries']),
  ]);
  await c.geoadd('geo', new Map([['rome', { longitude: 12.4964, latitude: 41.9028 }], ['paris', { longitude: 2.3522, latitude: 48.8566 }]]));
  seen.geo = plain([
    await c.geopos('geo', ['rome', 'nowhere']),
    await c.geodist('geo', 'rome', 'paris', { unit: GeoUnit.KILOMETERS }),
    await c.geosearch('geo', { member: 'rome' }, { radius: 2000, unit: GeoUnit.KILOMETERS }, { withCoord: true, withDist: true, withHash: true, sortOrder: SortOrder.ASC }),
  ]);
  await c.set('k1', 'ohmytext');
  await c.set('k2', 'mynewtext');
  seen.lcs = plain(await c.lcsIdx('k1', 'k2', { withMatchLen: true }));
  const lib = "#!lua name=glidelib\nredis.register_function('echo2', function(keys, args) return {keys[1], args[1], 1.5} end)\nredis.register_function{function_name='ro', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}";
  seen.functions = plain([
    await c.functionLoad(lib),
    await c.fcall('echo2', ['k1'], ['hi']),
    await c.fcallReadonly('ro', ['k1'], []),
    // Redis lists a library's functions in its dict's order, which a random hash seed shuffles.
    (await c.functionList({ withCode: false })).map((lib) => ({ ...lib, functions: [...(lib.functions as { name: string }[])].sort((a, b) => a.name.localeCompare(b.name)) })),
  ]);
  return seen;
}

// Readings of shapesScenario, the same in RESP2 and RESP3. A Lua 1.5 comes back as the integer 1.
const expectedShapes = {
  streams: [
    {
      length: 2,
      'radix-tree-keys': 1,
      'radix-tree-nodes': 2,
      'last-generated-id': '2-1',
      'max-deleted-entry-id': '0-0',
      'entries-added': 2,
      'recorded-first-entry-id': '1-1',
      groups: 1,
      'first-entry': ['1-1', ['f', 'one']],
      'last-entry': ['2-1', ['f', 'two', 'g', 'x']],
    },
    [
      'entries',
      'entries-added',
      'groups',
      'last-generated-id',
      'length',
      'max-deleted-entry-id',
      'radix-tree-keys',
      'radix-tree-nodes',
      'recorded-first-entry-id',
    ],
    [{ name: 'g', consumers: 1, pending: 2, 'last-delivered-id': '2-1', 'entries-read': 2, lag: 0 }],
    [{ name: 'alice', pending: 2 }],
    { '1-1': [['f', 'one']] },
    ['2-1', { '1-1': [['f', 'one']] }, []],
    1,
  ],
  collections: [
    ['0', ['a', '1', 'b', '2']],
    ['0', ['a', '1.5', 'b', '2', 'c', '3']],
    [1.5, null, 3],
    [
      { element: 'b', score: 2 },
      { element: 'c', score: 3 },
      { element: 'd', score: 4 },
      { element: 'a', score: 11.5 },
    ],
    [{ element: 'a', score: 11.5 }],
    ['z', [{ element: 'c', score: 3 }, { element: 'b', score: 2 }]],
    null,
    0,
    5,
    [0, 2, 4],
    'quicklist',
    'listpack',
    { 'maxmemory-policy': 'noeviction', 'hash-max-listpack-entries': '512' },
  ],
  geo: [
    [[12.496398389339447, 41.90279987683795], null],
    1105.592,
    [
      ['rome', [0, 3480343273968262, [12.496398389339447, 41.90279987683795]]],
      ['paris', [1105.592, 3663832779122514, [2.35219806432724, 48.8565995303493]]],
    ],
  ],
  lcs: { matches: [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], len: 6 },
  functions: [
    'glidelib',
    ['k1', 'hi', 1],
    'ohmytext',
    [
      {
        library_name: 'glidelib',
        engine: 'LUA',
        functions: [
          { name: 'echo2', description: null, flags: [] },
          { name: 'ro', description: null, flags: ['no-writes'] },
        ],
      },
    ],
  ],
};

/** GLIDE gives the same shapes in RESP2 as in RESP3 (maps as {field, value} records, scores as numbers). */
const expectedData = (resp: string) => ({
  client: { name: 'glide-app', resp, db: '0' },
  strings: ['OK', 'v1', 'v2', 100, 5, 5.5, 'OK', ['1', '2', null], 2, 2, '1x', 2],
  hashes: [3, 'v1', [{ field: 'f1', value: 'v1' }, { field: 'f2', value: 'v2' }, { field: 'n', value: '1' }], 11, ['v2', null], 1, 2, false],
  lists: [3, 4, ['z', 'a', 'b', 'c'], 'z', ['a', 'b'], 1, ['l', 'c']],
  sets: [3, true, ['x', 'y', 'z'], 1, 2, [false, true]],
  zsets: [3, 2, 3.5, ['b', 'c', 'a'], [{ element: 'b', score: 2 }, { element: 'c', score: 3 }, { element: 'a', score: 3.5 }], 1, [{ element: 'b', score: 2 }], 2],
  streams: ['1-1', '2-1', 2, 'OK', [{ key: 'st', value: { '1-1': [['f', 'one']] } }], 1, [0, null, null, null], { '1-1': [['f', 'one']], '2-1': [['f', 'two']] }],
  transaction: ['OK', 2, '2', 1, [{ key: 'k', value: 'v' }]],
  pipeline: ['OK', 'x', 'error: WRONGTYPE: Operation against a key holding the wrong kind of value', 'x'],
  script: [[1, 'val'], [2, 'val2'], [true]],
  // The first EVALSHA fails with NOSCRIPT; GLIDE loads the script and sends it again.
  scriptCommands: ['cmdstat_evalsha:calls=3,rejected_calls=0,failed_calls=1', 'cmdstat_script|load:calls=1,rejected_calls=0,failed_calls=0'],
  wrongType: 'WRONGTYPE: Operation against a key holding the wrong kind of value',
});

async function pubsubScenario(port: number, protocol = ProtocolVersion.RESP3) {
  const got: string[] = [];
  const record = (msg: PubSubMsg) => got.push(`${String(msg.pattern ?? '')}|${String(msg.channel)}|${String(msg.message)}`);
  const { Exact, Pattern } = GlideClientConfiguration.PubSubChannelModes;
  await open(port, protocol, { pubsubSubscriptions: { channelsAndPatterns: { [Exact]: new Set(['news']), [Pattern]: new Set(['ev.*']) }, callback: record } });
  const pub = await open(port, protocol);
  const receivers = [await pub.publish('hello', 'news'), await pub.publish('fired', 'ev.one'), await pub.publish('nobody', 'other')];
  await until(() => got.length === 2, 'two messages');
  return { receivers, got: got.sort(), numsub: plain(await pub.pubsubNumSub(['news'])), numpat: await pub.pubsubNumPat() };
}

describe('valkey-glide on sealkv', () => {
  for (const [name, protocol] of [['RESP3', ProtocolVersion.RESP3], ['RESP2', ProtocolVersion.RESP2]] as const) {
    it(`strings, hashes, lists, sets, zsets, streams, Batch and Script in ${name}`, async () => {
      const seen = await dataScenario(servers.sealkv.port, protocol);
      expect(seen).toMatchObject(expectedData(protocol === ProtocolVersion.RESP3 ? '3' : '2'));
      expect(seen.lib).toBe('GlideJS with version');
      if (servers.redis) expect(await dataScenario(servers.redis.port, protocol)).toEqual({ ...seen, lib: 'none' });
    }, 20_000);
  }

  for (const [name, protocol] of [['RESP3', ProtocolVersion.RESP3], ['RESP2', ProtocolVersion.RESP2]] as const) {
    it(`XINFO, XCLAIM, scans, unions, geo, LCS and functions as GLIDE shapes them, in ${name}`, async () => {
      const seen = await shapesScenario(servers.sealkv.port, protocol);
      expect(seen).toEqual(expectedShapes);
      if (servers.redis) expect(await shapesScenario(servers.redis.port, protocol)).toEqual(seen);
    }, 20_000);
  }

  it('a database chosen at connect, WATCH losing to another client, blocking pops woken by a push', async () => {
    const run = async (port: number) => {
      const c = await open(port, ProtocolVersion.RESP3, { databaseId: 3 });
      const other = await open(port, ProtocolVersion.RESP3, { databaseId: 3 });
      await c.flushall();
      const seen: Record<string, unknown> = {};
      seen.db = clientInfo((await c.customCommand(['CLIENT', 'INFO'])) as GlideString).db;
      await c.set('w', '1');
      await c.watch(['w']);
      await other.set('w', '2');
      seen.watchLost = await c.exec(new Batch(true).set('w', '3'), true);
      await c.watch(['w']);
      seen.watchKept = plain(await c.exec(new Batch(true).set('w', '4').get('w'), true));
      seen.moved = [await c.move('w', 0), await c.exists(['w'])];
      const pusher = await open(port, ProtocolVersion.RESP3, { databaseId: 3 });
      const popped = c.bzpopmin(['zq'], 2);
      const moved = other.blmove('src', 'dst', ListDirection.LEFT, ListDirection.RIGHT, 2);
      await until(async () => (String(await pusher.customCommand(['CLIENT', 'LIST'])).match(/cmd=(bzpopmin|blmove)/g) ?? []).length === 2, 'two blocked clients');
      await pusher.zadd('zq', { job: 7 });
      await pusher.rpush('src', ['item']);
      seen.woken = plain([await popped, await moved, await pusher.lrange('dst', 0, -1)]);
      seen.timedOut = await c.bzpopmin(['empty'], 0.1);
      return seen;
    };
    const seen = await run(servers.sealkv.port);
    expect(seen).toEqual({ db: '3', watchLost: null, watchKept: ['OK', '4'], moved: [true, 0], woken: [['zq', 'job', 7], 'item', ['item']], timedOut: null });
    if (servers.redis) expect(await run(servers.redis.port)).toEqual(seen);
  }, 20_000);

  it('an ACL user logs in with HELLO AUTH; its key pattern and command rules hold; a wrong password is refused', async () => {
    const run = async (port: number, protocol: ProtocolVersion) => {
      const admin = await open(port, protocol);
      await admin.customCommand(['ACL', 'SETUSER', 'app', 'reset', 'on', '>s3cret', '~app:*', '+@all', '-flushall', '-keys']);
      const c = await open(port, protocol, { credentials: { username: 'app', password: 's3cret' } });
      const refused = (p: Promise<unknown>) => p.then((v) => `ok ${String(v)}`, (err: Error) => err.message.replace(`:${port}`, ':PORT').trim());
      const seen = [
        String(await c.customCommand(['ACL', 'WHOAMI'])),
        await c.set('app:k', 'v'),
        await refused(c.set('other:k', 'v')),
        await refused(c.flushall()),
        await refused(c.customCommand(['KEYS', '*'])),
        await refused(open(port, protocol, { credentials: { username: 'app', password: 'wrong' } })),
      ];
      await admin.customCommand(['ACL', 'DELUSER', 'app']);
      return seen;
    };
    for (const protocol of [ProtocolVersion.RESP3, ProtocolVersion.RESP2]) {
      const seen = await run(servers.sealkv.port, protocol);
      const denied = 'An error was signalled by the server: - PermissionDenied: this user has no permissions to';
      expect(seen).toEqual([
        'app',
        'OK',
        `${denied} access one of the keys used as arguments`,
        `${denied} run the 'flushall' command`,
        `${denied} run the 'keys' command`,
        // HELLO 3 AUTH's WRONGPASS is passed on; GLIDE words a failed RESP2 AUTH itself.
        `Connection error: Standalone(Received error for address \`127.0.0.1:PORT\`: ${protocol === ProtocolVersion.RESP3 ? 'WRONGPASS: invalid username-password pair or user is disabled.' : 'Password authentication failed- AuthenticationFailed'}\n)`,
      ]);
      if (servers.redis) expect(await run(servers.redis.port, protocol)).toEqual(seen);
    }
  }, 20_000);

  // GLIDE refuses subscriptions on a RESP2 connection (it needs RESP3's push messages).
  it('pub/sub subscribed while connecting, exact and pattern, in RESP3', async () => {
    const seen = await pubsubScenario(servers.sealkv.port);
    expect(seen).toEqual({ receivers: [1, 1, 0], got: ['ev.*|ev.one|fired', '|news|hello'], numsub: [{ channel: 'news', numSub: 1 }], numpat: 1 });
    if (servers.redis) expect(await pubsubScenario(servers.redis.port)).toEqual(seen);
  }, 20_000);
});
