// keysOf and the key spec forms sealkv's commands do not use yet (keynum, keyword, limit,
// unknown), on hand-built specs copied from redis-server 7.0's COMMAND INFO for EVAL,
// ZUNIONSTORE, XREAD, SORT, MIGRATE, GEORADIUS, LMPOP (future-specs.ts). The expected keys are
// what redis-server 7.0.15 answers to COMMAND GETKEYSANDFLAGS for the same arguments (when its
// specs decide).

import { describe, expect, it } from 'vitest';
import {
  at, index, KeyFlag, keynum, keysFromSpecs, keysOf, keySpec, keySpecProblem, keyword, legacyRange, range, span,
  type KeyedCommand, type KeyRef, type KeySpec,
} from '../../../src/commands/key-specs.js';
import { CASES, FUTURE, OW_UPDATE, RO_ACCESS } from './future-specs.js';

const argv = (line: string) => line.split(' ').map((a) => Buffer.from(a));

const named = (args: Buffer[], keys: readonly KeyRef[] | null) => keys && keys.map((k) => [args[k.pos]!.toString(), k.flags]);

describe('keysFromSpecs on hand-built Redis 7.0 specs', () => {
  for (const [line, expected] of CASES) {
    it(line, () => {
      const args = argv(line);
      const cmd = FUTURE[line.split(' ')[0]!]!;
      expect(named(args, keysFromSpecs(cmd.keySpecs, args))).toEqual(expected);
    });
  }
});

describe('keysOf', () => {
  it('falls back to the command\'s own finder when a spec cannot say, or when flags vary', () => {
    const storeFinder = (args: readonly Buffer[]): KeyRef[] => {
      const keys: KeyRef[] = [{ pos: 1, flags: RO_ACCESS }];
      for (let i = 2; i < args.length - 1; i++) if (args[i]!.toString().toLowerCase() === 'store') keys.push({ pos: i + 1, flags: OW_UPDATE });
      return keys;
    };
    const sort: KeyedCommand = { ...FUTURE.sort!, findKeys: storeFinder };
    const args = argv('sort k by x get y store d');
    expect(named(args, keysOf(sort, args))).toEqual([['k', RO_ACCESS], ['d', OW_UPDATE]]);
    // Without a finder a spec that cannot say gives no keys at all (the command refuses the request).
    expect(keysOf(FUTURE.eval!, argv('eval s 3 a b'))).toEqual([]);
    // VARIABLE_FLAGS: the specs' flags are not to be trusted, the finder is asked first.
    const set: KeyedCommand = { arity: -3, keySpecs: [at(1, 'RW', 'ACCESS', 'UPDATE', 'VARIABLE_FLAGS')], findKeys: () => [{ pos: 1, flags: OW_UPDATE }] };
    expect(keysOf(set, argv('set k v'))).toEqual([{ pos: 1, flags: OW_UPDATE }]);
  });

  it('skips NOT_KEY specs and finds nothing for commands without keys', () => {
    const cmd: KeyedCommand = { arity: -2, keySpecs: [keySpec(index(1), range(0), ['RO', 'NOT_KEY']), at(2, 'RW', 'UPDATE')] };
    expect(keysOf(cmd, argv('x chan k'))).toEqual([{ pos: 2, flags: KeyFlag.RW | KeyFlag.UPDATE }]);
    expect(keysOf({ arity: 1 }, argv('ping'))).toEqual([]);
  });

  it('range steps and negative last keys (MSET, DEL)', () => {
    expect(keysOf({ arity: -3, keySpecs: [span(1, -1, 2, 'OW', 'UPDATE')] }, argv('mset a 1 b 2')).map((k) => k.pos)).toEqual([1, 3]);
    expect(keysOf({ arity: -3, keySpecs: [span(1, -1, 2, 'OW', 'UPDATE')] }, argv('mset a 1 b')).map((k) => k.pos)).toEqual([1, 3]);
    expect(keysOf({ arity: -2, keySpecs: [span(1, -1, 1, 'RM', 'DELETE')] }, argv('del a b c')).map((k) => k.pos)).toEqual([1, 2, 3]);
    // A count that would read past the request is refused rather than clipped.
    expect(keysOf({ arity: -3, keySpecs: [span(1, 2, 1, 'RO')] }, argv('x a b'))).toEqual([]);
  });

  it('keywords match in any case without turning arguments into strings', () => {
    const args = argv('xread StReAmS a 0');
    expect(keysOf(FUTURE.xread!, args)).toEqual([{ pos: 2, flags: RO_ACCESS }]);
    // A long argument of the keyword's length but other bytes is not the keyword.
    expect(keysOf(FUTURE.xread!, argv('xread streamz a 0'))).toEqual([]);
  });
});

describe('legacyRange: the first/last/step and movablekeys COMMAND INFO derives (redis 7.0 values)', () => {
  const legacy = (specs: KeySpec[] | undefined) => {
    const l = legacyRange(specs);
    return [l.firstKey, l.lastKey, l.step, l.movable];
  };
  it.each([
    ['eval', [0, 0, 0, true]],
    ['zunionstore', [1, 1, 1, true]],
    ['xread', [0, 0, 0, true]],
    ['sort', [1, 1, 1, true]],
    ['migrate', [3, 3, 1, true]],
    ['georadius', [1, 1, 1, true]],
    ['lmpop', [0, 0, 0, true]],
    ['lcs', [1, 2, 1, false]],
    ['lmove', [1, 2, 1, false]],
  ] as const)('%s', (name, expected) => {
    expect(legacy(FUTURE[name]!.keySpecs)).toEqual(expected);
  });
  it('plain commands', () => {
    expect(legacy(undefined)).toEqual([0, 0, 0, false]);
    expect(legacy([span(1, -1, 2, 'OW', 'UPDATE')])).toEqual([1, -1, 2, false]);
    expect(legacy([at(1, 'RW', 'ACCESS', 'DELETE'), at(2, 'OW', 'UPDATE')])).toEqual([1, 2, 1, false]);
    expect(legacy([at(2, 'RO')])).toEqual([2, 2, 1, false]);
    // Two ranges with a gap between them cannot be one triple: movable.
    expect(legacy([at(1, 'RO'), at(3, 'RO')])).toEqual([0, 0, 0, true]);
  });
});

describe('keySpecProblem', () => {
  it('accepts every future form with its finder where one is needed', () => {
    const finder = () => [];
    for (const [name, cmd] of Object.entries(FUTURE)) {
      const needsFinder = name === 'sort' || name === 'migrate';
      expect(keySpecProblem(cmd), name).toBe(needsFinder ? "key spec 1 needs the command's own key finder" : null);
      expect(keySpecProblem({ ...cmd, findKeys: finder }), name).toBeNull();
    }
  });
  it('refuses specs that cannot be right', () => {
    expect(keySpecProblem({ arity: 2, keySpecs: [at(2, 'RO')] })).toMatch(/past the arity/);
    expect(keySpecProblem({ arity: 3, keySpecs: [keySpec(index(1), range(2), ['RO'])] })).toMatch(/past the arity/);
    expect(keySpecProblem({ arity: -2, keySpecs: [at(0, 'RO')] })).toMatch(/before the first/);
    expect(keySpecProblem({ arity: -2, keySpecs: [at(1, 'ACCESS')] })).toMatch(/exactly one/);
    expect(keySpecProblem({ arity: -2, keySpecs: [span(1, -1, 0, 'RO')] })).toMatch(/step below 1/);
    expect(keySpecProblem({ arity: -2, keySpecs: [keySpec(index(1), range(0, 1, 2), ['RO'])] })).toMatch(/limit/);
    expect(keySpecProblem({ arity: -2, keySpecs: [keySpec(index(1), keynum(1, 1), ['RO'])] })).toMatch(/before their count/);
    expect(keySpecProblem({ arity: -2, keySpecs: [keySpec(keyword('X', 0), range(0), ['RO'])] })).toMatch(/keyword or start/);
  });
});
