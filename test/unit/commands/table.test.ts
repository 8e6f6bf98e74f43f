// The command tables checked as data (garnet CommandsInfoCoverageTest): every command the
// product promises exists with a handler, names are unique, key specs fit the arity and agree
// with the command flags, categories follow from the flags as Redis derives them.

import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../../src/commands/index.js';
import { ACCESS_MODE, at, hasKeys, KeyFlag, keySpecProblem, keysOf, legacyRange, WRITES } from '../../../src/commands/key-specs.js';
import { Registry } from '../../../src/commands/registry.js';
import type { CommandSpec } from '../../../src/commands/types.js';

const registry = new Registry(FAMILIES);
const leaves = registry.leaves();

const PROMISED = `
get set setnx setex psetex getset getdel getex mget mset msetnx append strlen incr decr incrby decrby
incrbyfloat getrange setrange substr
del unlink exists type rename renamenx keys scan randomkey dbsize touch copy move
object|encoding object|freq object|idletime object|refcount
expire pexpire expireat pexpireat ttl pttl persist expiretime pexpiretime
hset hsetnx hget hmget hmset hgetall hdel hexists hlen hkeys hvals hincrby hincrbyfloat hstrlen hscan hrandfield
multi exec discard watch unwatch
ping echo select swapdb quit reset auth hello
client|id client|setname client|getname client|list client|info client|kill client|setinfo
info config|get config|set config|resetstat flushdb flushall time memory|usage shutdown
script|flush function|flush debug
command command|count command|info command|docs command|list command|getkeys command|getkeysandflags
`.split(/\s+/).filter(Boolean);

describe('command table', () => {
  it('has every command the product promises, each with a handler', () => {
    const names = new Set(leaves.map((l) => l.fullName));
    const missing = PROMISED.filter((n) => !names.has(n));
    expect(missing).toEqual([]);
  });

  it('names the commands a request of thousands of arguments may reach as a vector (arg-list.ts)', () => {
    const takes = (name: string) => registry.takesArgList(Buffer.from(name));
    for (const name of ['DEL', 'unlink', 'EXISTS', 'touch', 'MGET', 'MSET', 'msetnx', 'RPUSH', 'lpush', 'rpushx', 'lpushx', 'SADD', 'srem', 'smismember', 'HSET', 'hmset', 'hmget', 'hdel', 'SET', 'get', 'LPOP', 'rpop', 'ZADD', 'zrange', 'zincrby', 'zscore', 'eval', 'EVALSHA', 'evalsha_ro']) {
      expect(takes(name), name).toBe(true);
    }
    // An unknown command only quotes its first few arguments in the error.
    expect(takes('nosuchcommand')).toBe(true);
    // Handlers that take arrays, and containers (subcommands resolve on the array path).
    for (const name of ['zrem', 'sunionstore', 'pfadd', 'getex', 'fcall', 'client', 'config', 'command']) expect(takes(name), name).toBe(false);
  });

  it('finds commands by their bytes in any spelling, long names as short ones, and caches no unknown name', () => {
    const nameOf = (spelling: string) => {
      const found = registry.resolve([Buffer.from(spelling), Buffer.from('k'), Buffer.from('v')]);
      return found.kind === 'command' || found.kind === 'arity' ? found.fullName : found.kind;
    };
    for (let round = 0; round < 2; round++) {
      for (const s of ['LPUSH', 'lpush', 'LpUsH', 'rpush', 'SMISMEMBER', 'zRangeByScore', 'hincrbyfloat', 'GET', 'get', 'XADD']) {
        expect(nameOf(s), s).toBe(s.toLowerCase());
      }
      for (const s of ['LPUSZ', 'lpushh', 'xlpush', 'ZRANGEBYSCOREX', 'gex', 'x'.repeat(65)]) expect(nameOf(s), s).toBe('unknown');
    }
    // The parser's raw path: the command found for the name comes back (one lookup per request).
    const rawOf = (name: string) => {
      const bytes = Buffer.from(`xx${name}yy`);
      const node = registry.takesRaw(bytes, 2, name.length) as { fullName: string } | null;
      return node === null ? null : node.fullName;
    };
    expect([rawOf('LPUSH'), rawOf('get'), rawOf('Sadd'), rawOf('xadd'), rawOf('HSETNX'), rawOf('lpushy'), rawOf('zadd'), rawOf('zrem')]).toEqual(['lpush', 'get', 'sadd', 'xadd', null, null, 'zadd', null]);
  });

  it('refuses duplicate names, leaves without handlers and key specs that cannot be right', () => {
    const spec: CommandSpec = { name: 'x', arity: 1, flags: [], categories: [], summary: 's', since: '1', group: 'g' };
    const leaf = { ...spec, handler: () => {} };
    expect(() => new Registry([[leaf], [leaf]])).toThrow(/defined twice/);
    expect(() => new Registry([[spec]])).toThrow(/has no handler/);
    expect(() => new Registry([[{ ...leaf, arity: 2, keySpecs: [at(2, 'RO')] }]])).toThrow(/past the arity/);
    expect(() => new Registry([[{ ...leaf, arity: -2, keySpecs: [at(1, 'RO', 'RW')] }]])).toThrow(/exactly one of/);
    expect(() => new Registry([[{ ...leaf, arity: -2, keySpecs: [at(1, 'RW', 'ACCESS', 'VARIABLE_FLAGS')] }]])).toThrow(/own key finder/);
  });

  for (const { spec, fullName } of leaves) {
    it(`${fullName}: key specs fit the arity and the flags, metadata is complete`, () => {
      expect(spec.name).toBe(spec.name.toLowerCase());
      expect(spec.arity).not.toBe(0);
      expect(keySpecProblem(spec)).toBeNull();
      expectKeysAgreeWithFlags(spec);
      expect(spec.flags.includes('write') && spec.flags.includes('readonly')).toBe(false);
      if (spec.flags.includes('denyoom')) expect(spec.flags).toContain('write');
      expectImplicitCategories(spec);
      for (const c of spec.categories) expect(c).toMatch(/^@[a-z]+$/);
      for (const t of spec.tips ?? []) expect(t).toMatch(/^(nondeterministic_output(_order)?|request_policy:[a-z_]+|response_policy:[a-z_]+)$/);
      expect(spec.summary.length).toBeGreaterThan(0);
      expect(spec.since).toMatch(/^\d+\.\d+\.\d+$/);
      expect(spec.group.length).toBeGreaterThan(0);
    });
  }

  it('a request of the minimum length finds every fixed key, inside the request', () => {
    for (const { spec, fullName } of leaves) {
      // EVAL and FCALL name their keys by a count that may be 0 (no_mandatory_keys).
      if (!hasKeys(spec) || spec.flags.includes('no_mandatory_keys')) continue;
      // Keys found after a keyword (XREAD ... STREAMS) are not at fixed places.
      if (spec.keySpecs!.every((ks) => ks.begin.type === 'keyword')) continue;
      const args = Array.from({ length: Math.abs(spec.arity) }, (_, i) => Buffer.from(i === 0 ? fullName.split('|')[0]! : `a${i}`));
      if (fullName.includes('|')) args[1] = Buffer.from(spec.name);
      // A key count (LMPOP, EVAL numkeys...) must read as a number: one key.
      for (const ks of spec.keySpecs ?? []) {
        if (ks.begin.type === 'index' && ks.find.type === 'keynum') args[ks.begin.index + ks.find.keynumIdx] = Buffer.from('1');
      }
      const keys = keysOf(spec, args);
      // A key count read from the request (SINTERCARD numkeys) finds no key in placeholder arguments.
      if (legacyRange(spec.keySpecs).movable && keys.length === 0) continue;
      expect(keys.length, fullName).toBeGreaterThan(0);
      for (const k of keys) expect(k.pos, fullName).toBeLessThan(args.length);
      const legacy = legacyRange(spec.keySpecs);
      if (!legacy.movable) expect(keys[0]!.pos, fullName).toBe(legacy.firstKey);
    }
  });
});

/**
 * Redis's own specs that break its conventions, kept as Redis has them so COMMAND INFO matches:
 * PFCOUNT (readonly, its key RW because it may rewrite the cached count) and PFDEBUG (RW without
 * saying how).
 */
const REDIS_OWN_EXCEPTIONS = new Set(['pfcount', 'pfdebug']);

/** What a command's flags promise about its keys, its key specs must say (redis key specs conventions). */
function expectKeysAgreeWithFlags(spec: CommandSpec): void {
  if (REDIS_OWN_EXCEPTIONS.has(spec.name)) return;
  const specs = spec.keySpecs ?? [];
  for (const ks of specs) {
    // Shard channels (SSUBSCRIBE, SPUBLISH) are NOT_KEY specs: positions for cluster routing, no access.
    if ((ks.flags & KeyFlag.NOT_KEY) !== 0) continue;
    const mode = ks.flags & ACCESS_MODE;
    // RO never changes the key; RW/OW/RM always say how (insert, update, delete); RM deletes.
    if (mode === KeyFlag.RO) expect(ks.flags & WRITES, spec.name).toBe(0);
    else expect(ks.flags & WRITES, spec.name).not.toBe(0);
    if (mode === KeyFlag.RM) expect(ks.flags & KeyFlag.DELETE, spec.name).not.toBe(0);
    // OW replaces without reading; only RW and RO read the value.
    if (mode === KeyFlag.OW || mode === KeyFlag.RM) expect(ks.flags & KeyFlag.ACCESS, spec.name).toBe(0);
    // NO_VALUE (spilled values stay put) is for keys whose value is neither read nor written.
    if ((ks.flags & KeyFlag.NO_VALUE) !== 0) expect(ks.flags & KeyFlag.INSERT, spec.name).toBe(0);
    if ((ks.flags & KeyFlag.NO_VALUE) !== 0 && spec.flags.includes('denyoom')) expect.unreachable(`${spec.name}: NO_VALUE on a command that grows values`);
  }
  // A read-only command only reads its keys; a write command with keys writes at least one.
  if (spec.flags.includes('readonly')) for (const ks of specs) expect(ks.flags & ACCESS_MODE, spec.name).toBe(KeyFlag.RO);
  // (XREADGROUP is Redis's one exception: a write command, for the group's PEL, whose key spec says RO.)
  if (spec.flags.includes('write') && specs.length > 0 && spec.name !== 'xreadgroup') expect(specs.some((ks) => (ks.flags & ACCESS_MODE) !== KeyFlag.RO), spec.name).toBe(true);
  // Keys in a command without write or readonly flag would escape both checks (EVAL: may_replicate,
  // RW keys); shard channels are not keys.
  if (specs.some((ks) => (ks.flags & KeyFlag.NOT_KEY) === 0)) expect(spec.flags.includes('write') || spec.flags.includes('readonly') || spec.flags.includes('may_replicate') || spec.name === 'watch', spec.name).toBe(true);
}

/** Categories Redis adds from flags (setImplicitACLCategories); sealkv writes them out, so they must agree. */
function expectImplicitCategories(spec: CommandSpec): void {
  const has = (c: string) => spec.categories.includes(c);
  if (spec.flags.includes('write')) expect(has('@write'), spec.name).toBe(true);
  if (spec.flags.includes('readonly') && !has('@scripting')) expect(has('@read'), spec.name).toBe(true);
  if (spec.flags.includes('admin')) expect(has('@admin') && has('@dangerous'), spec.name).toBe(true);
  expect(has('@fast'), spec.name).toBe(spec.flags.includes('fast'));
  expect(has('@slow'), spec.name).toBe(!spec.flags.includes('fast'));
}
