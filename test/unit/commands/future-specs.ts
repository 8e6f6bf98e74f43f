// Key specs of Redis 7.0 commands sealkv does not have yet (keynum, keyword, limit, unknown
// forms), as their tables would hold them, copied from redis-server 7.0's COMMAND INFO, and
// argument lists with the keys redis-server 7.0.15 answers to COMMAND GETKEYSANDFLAGS for them.
// Used by key-specs.test.ts and, against a live redis-server, command-table-redis.test.ts.

import { at, index, KeyFlag, keynum, keySpec, keyword, range, UNKNOWN_BEGIN, UNKNOWN_FIND, type KeySpec } from '../../../src/commands/key-specs.js';

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

export const RO_ACCESS = KeyFlag.RO | KeyFlag.ACCESS;
export const RW_ACCESS_UPDATE = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE;
export const RW_ACCESS_DELETE = KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.DELETE;
export const OW_UPDATE = KeyFlag.OW | KeyFlag.UPDATE;

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

