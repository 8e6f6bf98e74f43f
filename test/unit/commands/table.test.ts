// The command tables checked as data (garnet CommandsInfoCoverageTest): every command the
// product promises exists with a handler, names are unique, key positions fit the arity.

import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../../src/commands/index.js';
import { Registry } from '../../../src/commands/registry.js';

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
command command|count command|info command|docs command|list
`.split(/\s+/).filter(Boolean);

describe('command table', () => {
  it('has every command the product promises, each with a handler', () => {
    const names = new Set(leaves.map((l) => l.fullName));
    const missing = PROMISED.filter((n) => !names.has(n));
    expect(missing).toEqual([]);
  });

  it('refuses duplicate names and leaves without handlers', () => {
    const spec = { name: 'x', arity: 1, flags: [], firstKey: 0, lastKey: 0, step: 0, categories: [], summary: 's', since: '1', group: 'g' };
    expect(() => new Registry([[{ ...spec, handler: () => {} }], [{ ...spec, handler: () => {} }]])).toThrow(/defined twice/);
    expect(() => new Registry([[spec]])).toThrow(/has no handler/);
  });

  for (const { spec, fullName } of leaves) {
    it(`${fullName}: key positions fit the arity, metadata is complete`, () => {
      expect(spec.name).toBe(spec.name.toLowerCase());
      expect(spec.arity).not.toBe(0);
      if (spec.firstKey === 0) {
        expect([spec.lastKey, spec.step]).toEqual([0, 0]);
      } else {
        expect(spec.step).toBeGreaterThanOrEqual(1);
        if (spec.arity > 0) expect(spec.firstKey).toBeLessThan(spec.arity);
        else expect(spec.firstKey).toBeLessThan(-spec.arity);
        if (spec.lastKey >= 0) {
          expect(spec.lastKey).toBeGreaterThanOrEqual(spec.firstKey);
          if (spec.arity > 0) expect(spec.lastKey).toBeLessThan(spec.arity);
        }
      }
      expect(spec.flags.includes('write') && spec.flags.includes('readonly')).toBe(false);
      for (const c of spec.categories) expect(c).toMatch(/^@[a-z]+$/);
      expect(spec.summary.length).toBeGreaterThan(0);
      expect(spec.since).toMatch(/^\d+\.\d+\.\d+$/);
      expect(spec.group.length).toBeGreaterThan(0);
    });
  }
});
