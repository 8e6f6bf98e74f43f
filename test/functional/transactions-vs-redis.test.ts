// Transaction edge cases sent to redis-server 7 and to sealkv over raw sockets, in RESP2 and
// RESP3, each reply compared byte for byte. Skipped (with a message) where redis-server is not
// installed. Each case runs on a fresh connection after FLUSHALL, and leaves users as it found them.

import { compareWithRedis, OTHER } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const CASES: Record<string, string[][]> = {
  'EXEC with extra arguments outside MULTI': [['EXEC', 'extra'], ['EXEC'], ['DISCARD'], ['MULTI'], ['EXEC']],
  'EXEC with extra arguments aborts the transaction': [['MULTI'], ['SET', 'k', 'v'], ['EXEC', 'extra'], ['EXEC'], ['DISCARD'], ['GET', 'k'], ['MULTI'], ['EXEC']],
  'EXEC with two extra arguments': [['MULTI'], ['EXEC', 'a', 'b'], ['PING']],
  'EXEC with extra arguments forgets watched keys': [['WATCH', 'k'], ['EXEC', 'x'], ['SET', 'k', '1'], ['MULTI'], ['EXEC']],
  'DISCARD with extra arguments dooms the transaction': [['MULTI'], ['SET', 'k', 'v'], ['DISCARD', 'extra'], ['EXEC'], ['DISCARD'], ['GET', 'k']],
  'DISCARD with extra arguments outside MULTI': [['DISCARD', 'extra'], ['DISCARD'], ['MULTI'], ['DISCARD']],
  'MULTI with extra arguments inside MULTI': [['MULTI'], ['MULTI', 'extra'], ['SET', 'k', 'v'], ['EXEC'], ['GET', 'k']],
  'MULTI with extra arguments outside MULTI': [['MULTI', 'extra'], ['EXEC']],
  'nested MULTI keeps the transaction': [['MULTI'], ['MULTI'], ['SET', 'k', 'v'], ['EXEC']],
  'WATCH inside MULTI keeps the transaction': [['MULTI'], ['WATCH', 'k'], ['SET', 'k', 'v'], ['EXEC']],
  'WATCH without keys inside MULTI': [['MULTI'], ['WATCH'], ['EXEC']],
  'UNWATCH with arguments inside MULTI': [['MULTI'], ['UNWATCH', 'x'], ['EXEC']],
  'UNWATCH queued': [['MULTI'], ['UNWATCH'], ['EXEC']],
  'WATCH and UNWATCH arity outside MULTI': [['WATCH'], ['UNWATCH', 'x'], ['MULTI'], ['EXEC']],
  'unknown command dooms the transaction': [['MULTI'], ['NOSUCH'], ['EXEC']],
  'arity error dooms the transaction': [['MULTI'], ['GET'], ['PING'], ['EXEC']],
  'unknown subcommand dooms the transaction': [['MULTI'], ['CONFIG', 'NOSUCH'], ['CLIENT', 'NOSUCH'], ['EXEC']],
  'subcommand arity dooms the transaction': [['MULTI'], ['ACL', 'SETUSER'], ['EXEC']],
  'QUIT with arguments inside MULTI': [['MULTI'], ['QUIT', 'x'], ['EXEC']],
  'RESET with arguments inside MULTI': [['MULTI'], ['RESET', 'x'], ['EXEC']],
  'RESET ends the transaction': [['MULTI'], ['SET', 'k', 'v'], ['RESET'], ['EXEC'], ['GET', 'k']],
  'errors at run time are elements of the array': [['MULTI'], ['SET', 'k', 'v'], ['INCR', 'k'], ['PING', 'a', 'b'], ['SELECT', '99'], ['HELLO', '4'], ['EXEC']],
  'AUTH queued without a password configured': [['MULTI'], ['AUTH', 'x'], ['EXEC']],
  'EXEC twice, DISCARD twice': [['MULTI'], ['EXEC'], ['EXEC'], ['MULTI'], ['DISCARD'], ['DISCARD']],
  'a watched key changed': [['WATCH', 'k'], ['SET', 'k', '1'], ['MULTI'], ['GET', 'k'], ['EXEC'], ['MULTI'], ['EXEC']],
  // SWAPDB touches a watched key only where it exists in one of the two databases, and WATCH
  // stays with the index: a later write at the same index, in the database swapped in, counts.
  'SWAPDB of databases without the watched key keeps the transaction': [
    ['SET', 'other', '1'], ['WATCH', 'k'], ['SWAPDB', '0', '1'], ['MULTI'], ['PING'], ['EXEC'], ['WATCH', 'k'], ['SWAPDB', '1', '0'], ['MULTI'], ['EXEC'],
  ],
  'SWAPDB with the watched key in either database fails the transaction': [
    ['SET', 'k', '1'], ['WATCH', 'k'], ['SWAPDB', '0', '1'], ['MULTI'], ['EXEC'], ['WATCH', 'k'], ['SWAPDB', '0', '1'], ['MULTI'], ['EXEC'],
  ],
  'a write after SWAPDB at the watched index fails the transaction': [
    ['WATCH', 'k', 'j'], ['SWAPDB', '0', '1'], [OTHER, 'SET', 'k', '1'], ['MULTI'], ['EXEC'],
    ['WATCH', 'j'], ['SWAPDB', '0', '1'], [OTHER, 'SELECT', '1'], [OTHER, 'SET', 'j', '1'], ['MULTI'], ['EXEC'], ['FLUSHALL'],
  ],
  'EXEC refused by ACL aborts the transaction': [
    ['ACL', 'SETUSER', 'txu', 'on', 'nopass', '~*', '&*', '+@all', '-exec'],
    ['AUTH', 'txu', 'x'], ['MULTI'], ['SET', 'k', 'v'], ['EXEC'], ['PING'], ['GET', 'k'],
    ['ACL', 'LOG', 'RESET'], ['ACL', 'DELUSER', 'txu'], ['PING'],
  ],
  // Redis signals no change for a consumer group's progress: WATCH is not touched by it.
  'a consumer group moving on does not touch WATCH (XREADGROUP, XACK, XCLAIM)': [
    ['XADD', 'st', '1-1', 'a', '1'], ['XADD', 'st', '2-1', 'a', '2'], ['XGROUP', 'CREATE', 'st', 'g', '0'], ['XGROUP', 'CREATECONSUMER', 'st', 'g', 'c'],
    ['WATCH', 'st'], [OTHER, 'XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'st', '>'], [OTHER, 'XACK', 'st', 'g', '1-1'],
    [OTHER, 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'st', '>'], [OTHER, 'XCLAIM', 'st', 'g', 'c', '0', '2-1', 'JUSTID'], ['MULTI'], ['XLEN', 'st'], ['EXEC'],
  ],
  'queued commands re-checked against ACL rules at EXEC': [
    ['ACL', 'SETUSER', 'txu', 'on', 'nopass', '~*', '&*', '+@all'],
    ['AUTH', 'txu', 'x'], ['MULTI'], ['ACL', 'SETUSER', 'txu', 'resetkeys', '-incr'], ['SET', 'k', 'v'], ['INCR', 'n'], ['PING'], ['EXEC'],
    ['ACL', 'LOG', 'RESET'], ['ACL', 'DELUSER', 'txu'], ['PING'],
  ],
  // A key first: over an empty dataset a 1-byte limit refuses writes too (test/functional/oom-vs-redis.test.ts).
  'queued write, then memory over maxmemory: EXEC aborts with OOM': [
    ['SET', 'filler', 'x'], ['MULTI'], ['SET', 'k', 'v'], [OTHER, 'CONFIG', 'SET', 'maxmemory', '1'], ['EXEC'], ['EXEC'], [OTHER, 'CONFIG', 'SET', 'maxmemory', '0'], ['GET', 'k'],
  ],
  'queued read, then memory over maxmemory: EXEC runs': [
    ['SET', 'k', 'v'], ['MULTI'], ['GET', 'k'], [OTHER, 'CONFIG', 'SET', 'maxmemory', '1'], ['EXEC'], [OTHER, 'CONFIG', 'SET', 'maxmemory', '0'],
  ],
  'queueing over maxmemory dooms the transaction, DISCARD still works': [
    ['SET', 'filler', 'x'], [OTHER, 'CONFIG', 'SET', 'maxmemory', '1'], ['MULTI'], ['GET', 'k'], ['DISCARD'], ['MULTI'], ['PING'], ['EXEC'],
    [OTHER, 'CONFIG', 'SET', 'maxmemory', '0'],
  ],
  // Redis suite, multi.tcl "exec with write commands and state change".
  'queued write, then min-replicas-to-write unmet: EXEC aborts with NOREPLICAS': [
    ['SET', 'xx', '1'], ['MULTI'], ['INCR', 'xx'], [OTHER, 'CONFIG', 'SET', 'min-replicas-to-write', '2'], ['EXEC'], ['GET', 'xx'],
    [OTHER, 'CONFIG', 'SET', 'min-replicas-to-write', '0'],
  ],
  'queued reads, then min-replicas-to-write unmet: EXEC runs': [
    ['SET', 'xx', '1'], ['MULTI'], ['GET', 'xx'], ['PING'], [OTHER, 'CONFIG', 'SET', 'min-replicas-to-write', '2'], ['EXEC'],
    [OTHER, 'CONFIG', 'SET', 'min-replicas-to-write', '0'],
  ],
  'rules changed from another connection between queueing and EXEC': [
    ['ACL', 'SETUSER', 'txo', 'on', 'nopass', '~*', '&*', '+@all'], ['AUTH', 'txo', 'x'], ['MULTI'], ['SET', 'k', 'v'], ['GET', 'k'], ['INCR', 'n'], ['PING'],
    [OTHER, 'ACL', 'SETUSER', 'txo', 'resetkeys', '~k', '-incr'], ['EXEC'], [OTHER, 'ACL', 'LOG', 'RESET'], [OTHER, 'ACL', 'DELUSER', 'txo'],
  ],
  'EXEC refused without authentication': [
    ['ACL', 'SETUSER', 'default', '>txpw'], ['RESET'], ['EXEC'], ['EXEC', 'extra'], ['MULTI'], ['AUTH', 'txpw'],
    ['MULTI'], ['AUTH', 'wrong'], ['EXEC'], ['ACL', 'SETUSER', 'default', 'nopass'], ['ACL', 'LOG', 'RESET'],
  ],
};

compareWithRedis('transaction edge cases, byte for byte with redis-server', CASES, () => startInProcess());
