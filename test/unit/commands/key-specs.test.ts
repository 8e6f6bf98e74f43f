// keysOf and the key spec forms sealkv's commands do not use yet (keynum, keyword, limit,
// unknown), on hand-built specs copied from redis-server 7.0's COMMAND INFO for EVAL,
// ZUNIONSTORE, XREAD, SORT, MIGRATE, GEORADIUS, LMPOP. The expected keys are what redis-server
// 7.0.15 answers to COMMAND GETKEYSANDFLAGS for the same arguments (when its specs decide).

import { describe, expect, it } from 'vitest';
import {
  at, index, KeyFlag, keynum, keysFromSpecs, keysOf, keySpec, keySpecProblem, keyword, legacyRange, range, span,
  UNKNOWN_BEGIN, UNKNOWN_FIND, type KeyedCommand, type KeyRef, type KeySpec,
} from '../../../src/commands/key-specs.js';

/** The specs of Redis 7.0 commands sealkv does not have yet, as their tables would hold them. */
export const FUTURE: Record<string, { arity: number; keySpecs: KeySpec[] }> = {
  eval: { arity: -3, keySpecs: [keySpec(index(2), keynum(0, 1, 1), ['RW', 'ACCESS', 'UPDATE'], 'We cannot tell how the keys will be used so we assume the worst, RW and UPDATE')] },
  zunionstore: { arity: -4, keySpecs: [at(1, 'OW', 'UPDATE'), keySpec(index(2), keynum(0, 1, 1), ['RO', 'ACCESS'])] },
  xread: { arity: -4, keySpecs: [keySpec(keyword('STREAMS', 1), range(-1, 1, 2), ['RO', 'ACCESS'])] },
  xreadgroup: { arity: -7, keySpecs: [keySpec(keyword('STREAMS', 4), range(-1, 1, 2), ['RO', 'ACCESS'])] },
  sort: {
    arity: -2,
    keySpecs: [
      at(1, 'RO', 'ACCESS'),
      keySpec(UNKNOWN_BEGIN, UNKNOWN_FIND, ['RO', 'ACCESS'], "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"),
      keySpec(UNKNOWN_BEGIN, UNKNOWN_FIND, ['OW', 'UPDATE'], "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array"),
    ],
  },
  migrate: { arity: -6, keySpecs: [at(3, 'RW', 'ACCESS', 'DELETE'), keySpec(keyword('KEYS', -2), range(-1), ['RW', 'ACCESS', 'DELETE', 'INCOMPLETE'])] },
  georadius: {
    arity: -6,
    keySpecs: [at(1, 'RO', 'ACCESS'), keySpec(keyword('STORE', 6), range(0), ['OW', 'UPDATE']), keySpec(keyword('STOREDIST', 6), range(0), ['OW', 'UPDATE'])],
  },
  lmpop: { arity: -4, keySpecs: [keySpec(index(1), keynum(0, 1, 1), ['RW', 'ACCESS', 'DELETE'])] },
  blmpop: { arity: -5, keySpecs: [keySpec(index(2), keynum(0, 1, 1), ['RW', 'ACCESS', 'DELETE'])] },
  lcs: { arity: -3, keySpecs: [keySpec(index(1), range(1), ['RO', 'ACCESS'])] },
  lmove: { arity: 5, keySpecs: [at(1, 'RW', 'ACCESS', 'DELETE'), at(2, 'RW', 'INSERT')] },
};

const RO_ACCESS = KeyFlag.RO | KeyFlag.ACCESS;
const RW_ACCESS_UPDATE = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE;
const RW_ACCESS_DELETE = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.DELETE;
const OW_UPDATE = KeyFlag.OW | KeyFlag.UPDATE;

const argv = (line: string) => line.split(' ').map((a) => Buffer.from(a));

/** [command line, keys found as [argument, flags], or null where the specs cannot say]. */
export const CASES: [string, [string, number][] | null][] = [
  ['eval s 2 a b c', [['a', RW_ACCESS_UPDATE], ['b', RW_ACCESS_UPDATE]]],
  ['eval s 1 a', [['a', RW_ACCESS_UPDATE]]],
  // No keys, a count past the end, a negative or non-numeric count: EVAL's own finder decides.
  ['eval s 0', null],
  ['eval s 3 a b', null],
  ['eval s -1 a', null],
  ['eval s x a', null],
  ['zunionstore d 2 a b weights 1 2', [['d', OW_UPDATE], ['a', RO_ACCESS], ['b', RO_ACCESS]]],
  ['zunionstore d 3 a b', null],
  ['xread count 2 streams a b 0 0', [['a', RO_ACCESS], ['b', RO_ACCESS]]],
  // An odd count after STREAMS: the keys are the first half, rounded down.
  ['xread streams a b c', [['a', RO_ACCESS]]],
  ['xread block 0 STREAMS a 0', [['a', RO_ACCESS]]],
  // The keyword is matched where it first appears, even as another option's value.
  ['xread count streams streams a b', [['streams', RO_ACCESS]]],
  ['xreadgroup group g c count 1 streams a b 0 0', [['a', RO_ACCESS], ['b', RO_ACCESS]]],
  ['xread count 1 block 0', []],
  ['sort k', null],
  ['migrate h p k 0 5', [['k', RW_ACCESS_DELETE]]],
  // INCOMPLETE: the keys after KEYS are found, but MIGRATE's own finder has the last word.
  ['migrate h p x 0 5 keys a b c', null],
  ['georadius k 1 2 3 m store d', [['k', RO_ACCESS], ['d', OW_UPDATE]]],
  ['georadius k 1 2 3 m store d storedist e', [['k', RO_ACCESS], ['d', OW_UPDATE], ['e', OW_UPDATE]]],
  // The keyword as the last argument names no key (Redis stops the scan one short of the end).
  ['georadius k 1 2 3 m STORE', [['k', RO_ACCESS]]],
  ['lmpop 2 a b left', [['a', RW_ACCESS_DELETE], ['b', RW_ACCESS_DELETE]]],
  ['lmpop 3 a b left', [['a', RW_ACCESS_DELETE], ['b', RW_ACCESS_DELETE], ['left', RW_ACCESS_DELETE]]],
  ['blmpop 0 2 a b left count 1', [['a', RW_ACCESS_DELETE], ['b', RW_ACCESS_DELETE]]],
  ['lcs a b', [['a', RO_ACCESS], ['b', RO_ACCESS]]],
  ['lmove a b left right', [['a', RW_ACCESS_DELETE], ['b', KeyFlag.RW | KeyFlag.INSERT]]],
];

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
