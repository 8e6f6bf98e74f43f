// FUNCTION and FCALL over real clients. Expected texts were taken from redis-server 7.0.15
// (where Lua 5.4's messages differ from Redis's 5.1, the README says so).

import { describe, expect, it } from 'vitest';
import { nodeRedis } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { Errors } from '../../src/protocol/errors.js';

const { server, client, run } = withServer();

const LIB = [
  '#!lua name=mylib',
  "redis.register_function('getk', function(keys, args) return redis.call('get', keys[1]) end)",
  "redis.register_function{function_name='two', callback=function(keys, args) return #args end, flags={'no-writes'}, description='counts'}",
].join('\n');

describe('FUNCTION LOAD and FCALL', () => {
  it('loads a library, calls its functions, refuses writes in FCALL_RO', async () => {
    await run(['function', 'flush']);
    expect(await run(['function', 'load', LIB])).toBe('mylib');
    await run(['set', 'k', 'v']);
    expect(await run(['fcall', 'getk', '1', 'k'])).toBe('v');
    expect(await run(['fcall_ro', 'two', '0', 'a', 'b'])).toBe(2);
    expect(await run(['fcall_ro', 'getk', '1', 'k'])).toEqual({ error: Errors.scriptWriteFlagOnRo });
    expect(await run(['fcall', 'nosuch', '0'])).toEqual({ error: Errors.functionMetadata('Function not found') });
    expect(await run(['fcall', 'getk', 'x'])).toEqual({ error: Errors.functionMetadata('Bad number of keys provided') });
    expect(await run(['function', 'load', LIB])).toEqual({ error: "ERR Library 'mylib' already exists" });
    expect(await run(['function', 'load', 'replace', LIB])).toBe('mylib');
  });

  it('reports metadata, compile and registration errors as Redis words them', async () => {
    expect(await run(['function', 'load', 'return 1'])).toEqual({ error: 'ERR Missing library metadata' });
    expect(await run(['function', 'load', '#!lua\nreturn 1'])).toEqual({ error: 'ERR Library name was not given' });
    expect(await run(['function', 'load', '#!lua name=x foo=bar\nreturn 1'])).toEqual({ error: 'ERR Invalid metadata value given: foo=bar' });
    expect(await run(['function', 'load', '#!lua name=e\nreturn 1'])).toEqual({ error: 'ERR No functions registered' });
    expect(await run(['function', 'load', '#!lua name=e\nlocal x ='])).toEqual({ error: "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'" });
    expect(await run(['function', 'load', "#!lua name=e\nredis.register_function('getk', function() return 1 end)"])).toEqual({ error: 'ERR Function getk already exists' });
    expect(await run(['function', 'load', "#!lua name=e\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}"])).toEqual({
      error: 'ERR Error registering functions: ERR unknown flag given',
    });
  });

  // Redis suite, functions.tcl "function test empty engine" and "function test name with quotes";
  // every reply as redis-server 7.0.15 gives it (the line is split as sdssplitargs splits it).
  it('the metadata line: quotes and escapes, name= in any case, engine less its #!, checks in Redis order', async () => {
    const body = "\nredis.register_function('metaf', function() return 1 end)";
    const load = (line: string) => run(['function', 'load', 'replace', line + body]);
    const badName = { error: 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long' };
    const cases: [string, unknown][] = [
      ['#! name=test', { error: "ERR Engine '' not found" }],
      ['#!lua name="meta"', 'meta'],
      ['#!lua NAME=meta', 'meta'],
      ['#!LUA name=meta', 'meta'],
      ['#!lua name="m\\x41ta"', 'mAta'],
      ['#!lua  name=meta   ', 'meta'],
      ['#!lua "name=meta"', 'meta'],
      ['#!lua name="meta', { error: 'ERR Invalid library metadata' }],
      ["#!lua name='a b'", badName],
      ['#!lua name=', badName],
      ['#!  lua name=x', { error: 'ERR Invalid metadata value given: lua' }],
      ['#!lua name=x name=y', { error: 'ERR Invalid metadata value, name argument was given multiple times' }],
      ['#!py name=x', { error: "ERR Engine 'py' not found" }],
      ['#!py name=a-b', badName],
    ];
    for (const [line, reply] of cases) {
      expect(await load(line), line).toEqual(reply);
      if (typeof reply === 'string') await run(['function', 'delete', reply]);
    }
    // No line end after the metadata: nothing to run.
    expect(await run(['function', 'load', '#!lua name=x'])).toEqual({ error: 'ERR Invalid library metadata' });
  });

  // Redis suite, functions.tcl "FUNCTION - wrong flag type"; the rest as redis-server 7.0.15 answers
  // (function_lua.c reads flags up to the first nil, any case; FUNCTION LIST shows each once, in its order).
  it('function flags: any case, numbers as text, anything else an unknown flag; listed once each in Redis order', async () => {
    const load = (flags: string) => run(['function', 'load', 'replace', `#!lua name=fl\nredis.register_function{function_name='ff', callback=function() return 1 end, flags=${flags}}`]);
    const unknown = { error: 'ERR Error registering functions: ERR unknown flag given' };
    expect(await load('{function() return 1 end}')).toEqual(unknown);
    expect(await load("{'no-writes', 5}")).toEqual(unknown);
    expect(await load("{'no-writes', {}}")).toEqual(unknown);
    expect(await load("{'no-writes', true}")).toEqual(unknown);
    expect(await load("{'allow-cross-slot-\u212Aeys'}")).toEqual(unknown);
    expect(await load("{'Allow-OOM', 'NO-WRITES', 'no-writes'}")).toBe('fl');
    const list = (await run(['function', 'list', 'libraryname', 'fl'])) as unknown[][];
    const fn = (list[0]![5] as unknown[][])[0]!;
    expect(fn.slice(4)).toEqual(['flags', ['no-writes', 'allow-oom']]);
    // A nil ends the list: what follows is not read.
    expect(await load("{'allow-stale', nil, 'bogus'}")).toBe('fl');
    expect(await run(['fcall_ro', 'ff', '0'])).toEqual({ error: Errors.scriptWriteFlagOnRo });
    await run(['function', 'delete', 'fl']);
  });

  it('a library body sees only register_function, log and the version while it loads; its functions see the script globals (Redis 7.0 texts)', async () => {
    const load = (body: string) => run(['function', 'load', 'replace', `#!lua name=phases\n${body}`]);
    for (const [body, name] of [['return math.random()', 'math'], ["return redis.call('ping')", 'call'], ['return redis.setresp(3)', 'setresp'], ['redis.math.random()', 'math']]) {
      expect(await load(body!)).toEqual({ error: expect.stringContaining(`Script attempted to access nonexistent global variable '${name}'`) });
    }
    expect(
      await load(
        "local lib = redis\nredis.log(redis.LOG_NOTICE, redis.REDIS_VERSION)\n" +
          "redis.register_function('uses', function() return math.floor(2.5) + #string.rep('x', 3) end)\n" +
          "redis.register_function('nested', function() redis.register_function('x', function() end) end)\n" +
          "redis.register_function('viaload', function() lib.register_function('y', function() end) end)\n" +
          "redis.register_function('modify', function() lib.math = math end)",
      ),
    ).toBe('phases');
    expect(await run(['fcall', 'uses', '0'])).toBe(5);
    expect(await run(['fcall', 'nested', '0'])).toEqual({ error: expect.stringContaining("attempt to call field 'register_function' (a nil value)") });
    expect(await run(['fcall', 'viaload', '0'])).toEqual({ error: expect.stringContaining('can only be called on FUNCTION LOAD command') });
    expect(await run(['fcall', 'modify', '0'])).toEqual({ error: expect.stringContaining('Attempt to modify a readonly table') });
    expect(await run(['eval', 'return redis.register_function', '0'])).toBeNull();
    await run(['function', 'delete', 'phases']);
  });

  it('a library body that never ends is stopped after 500 ms, as Redis words it, and the server goes on', async () => {
    const started = Date.now();
    expect(await run(['function', 'load', '#!lua name=forever\nlocal a = 1\nwhile 1 do a = a + 1 end'])).toEqual({
      error: 'ERR Error registering functions: ERR FUNCTION LOAD timeout',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(await run(['ping'])).toBe('PONG');
    expect(await run(['function', 'load', "#!lua name=after\nredis.register_function('after', function() return 7 end)"])).toBe('after');
    expect(await run(['fcall', 'after', '0'])).toBe(7);
    await run(['function', 'delete', 'after']);
  });

  it('functions see no KEYS or ARGV globals, also right after an EVAL set them (Redis 7.0 text)', async () => {
    await run(['function', 'load', 'replace', "#!lua name=noglobals\nredis.register_function('keysglobal', function(keys, args) return KEYS end)\nredis.register_function('argvglobal', function(keys, args) return ARGV end)"]);
    expect(await run(['eval', 'return KEYS[1]', '1', 'a', 'b'])).toBe('a');
    expect(await run(['fcall', 'keysglobal', '1', 'a'])).toEqual({ error: expect.stringContaining("Script attempted to access nonexistent global variable 'KEYS'") });
    expect(await run(['fcall', 'argvglobal', '0', 'b'])).toEqual({ error: expect.stringContaining("Script attempted to access nonexistent global variable 'ARGV'") });
    expect(await run(['eval', 'return {KEYS[1], ARGV[1]}', '1', 'c', 'd'])).toEqual(['c', 'd']);
    await run(['function', 'delete', 'noglobals']);
  });

  it('a function error names the function and line', async () => {
    await run(['function', 'load', 'replace', "#!lua name=boom\nredis.register_function('boom', function() error('bad') end)"]);
    expect(await run(['fcall', 'boom', '0'])).toEqual({ error: 'ERR user_function:2: bad script: boom, on @user_function:2.' });
  });

  it('LIST, STATS, DELETE, FLUSH, KILL', async () => {
    await run(['function', 'flush']);
    await run(['function', 'load', LIB]);
    const list = (await run(['function', 'list', 'withcode', 'libraryname', 'my*'])) as unknown[][];
    expect(list).toHaveLength(1);
    expect(list[0]!.slice(0, 4)).toEqual(['library_name', 'mylib', 'engine', 'LUA']);
    expect(list[0]![7]).toBe(LIB);
    expect(await run(['function', 'stats'])).toEqual(['running_script', null, 'engines', ['LUA', ['libraries_count', 1, 'functions_count', 2]]]);
    expect(await run(['function', 'kill'])).toEqual({ error: Errors.notBusy });
    expect(await run(['function', 'delete', 'nosuch'])).toEqual({ error: 'ERR Library not found' });
    expect(await run(['function', 'delete', 'mylib'])).toBe('OK');
    expect(await run(['function', 'list'])).toEqual([]);
    expect(await run(['function', 'flush', 'bogus'])).toEqual({ error: Errors.functionFlushOption });
  });

  it('LIST LIBRARYNAME matches as Redis stringmatchlen does (case ignored), at once on many stars, and [ is no error', async () => {
    await run(['function', 'flush']);
    await run(['function', 'load', LIB]);
    const names = async (pattern: string) => ((await run(['function', 'list', 'libraryname', pattern])) as unknown[][]).map((l) => l[1]);
    expect(await names('MY*')).toEqual(['mylib']);
    expect(await names('m?l[a-i]b')).toEqual(['mylib']);
    expect(await names('[')).toEqual([]);
    expect(await names('my[')).toEqual([]);
    // A pattern that backtracks (40 stars against a name it almost matches) answers at once.
    await run(['function', 'load', `#!lua name=${'a'.repeat(60)}\nredis.register_function('f60', function() return 1 end)`]);
    const started = performance.now();
    expect(await names(`${'a*'.repeat(40)}b`)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await run(['function', 'list', 'libraryname', 'x', 'bogus'])).toEqual({ error: Errors.functionMetadata('Unknown argument bogus') });
    await run(['function', 'flush']);
  });

  it('node-redis FUNCTION LOAD and FCALL', async () => {
    const c = await nodeRedis(server.port);
    try {
      await c.functionLoad(LIB, { REPLACE: true });
      expect(await c.fCall('two', { keys: [], arguments: ['x', 'y', 'z'] })).toBe(3);
    } finally {
      await c.quit();
    }
  });
});

describe('FUNCTION DUMP and RESTORE', () => {
  const OTHER = ['#!lua name=otherlib', "redis.register_function('other', function() return 'o' end)"].join('\n');
  const CLASH = ['#!lua name=clash', "redis.register_function('getk', function() return 'x' end)"].join('\n');

  it('dumps every library sealed and restores them by policy, all or nothing', async () => {
    const restore = (payload: Buffer, ...extra: string[]) =>
      client.call('function', 'restore', payload, ...extra).then((r) => r, (e: Error) => ({ error: e.message }));
    await run(['function', 'flush']);
    expect(await run(['function', 'load', LIB])).toBe('mylib');
    const bytes = (await client.callBuffer('function', 'dump')) as Buffer;
    // Sealed: the library code is not in the payload.
    expect(bytes.includes(Buffer.from('register_function'))).toBe(false);
    expect(await restore(bytes)).toEqual({ error: Errors.functionMetadata('Library mylib already exists') });
    expect(await restore(bytes, 'replace')).toBe('OK');
    expect(await run(['function', 'load', OTHER])).toBe('otherlib');
    expect(await restore(bytes, 'FLUSH')).toBe('OK');
    expect(await run(['fcall', 'other', '0'])).toEqual({ error: Errors.functionMetadata('Function not found') });
    await run(['set', 'k', 'v']);
    expect(await run(['fcall', 'getk', '1', 'k'])).toBe('v');
    // A library whose function clashes with an existing one: refused, nothing changed.
    await run(['function', 'flush']);
    expect(await run(['function', 'load', CLASH])).toBe('clash');
    expect(await restore(bytes)).toEqual({ error: Errors.functionMetadata('Function getk already exists') });
    expect(await run(['fcall', 'getk', '0'])).toBe('x');
    expect(await restore(bytes, 'sideways')).toEqual({ error: Errors.functionRestorePolicy });
    expect(await restore(Buffer.from('not a payload'))).toEqual({ error: Errors.dumpPayload });
    const flipped = Buffer.from(bytes);
    flipped[20] ^= 1;
    expect(await restore(flipped)).toEqual({ error: Errors.dumpPayload });
    expect(await restore(bytes, 'replace', 'x')).toEqual({
      error: "ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.",
    });
  });
});
