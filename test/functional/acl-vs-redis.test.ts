// ACL edge cases sent to redis-server 7 and to sealkv over raw sockets, in RESP2 and RESP3,
// each reply compared byte for byte: DRYRUN, and password rules whose errors quote the rule.

import { compareWithRedis, OTHER } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';

const DRY = ['ACL', 'SETUSER', 'dry', 'reset', 'on', 'nopass', '~app*', '+get', '+auth', '+config|get', '+acl|whoami'];

const CASES: Record<string, string[][]> = {
  'ACL DRYRUN allowed and refused, by command and by key': [
    DRY,
    ['ACL', 'DRYRUN', 'dry', 'get', 'app1'], ['ACL', 'DRYRUN', 'dry', 'GET', 'x'], ['ACL', 'DRYRUN', 'dry', 'set', 'app1', 'v'],
    ['ACL', 'DRYRUN', 'dry', 'config', 'get', 'x'], ['ACL', 'DRYRUN', 'dry', 'config', 'set', 'x', 'y'],
    ['ACL', 'DRYRUN', 'dry', 'auth', 'u', 'secretpw'], ['ACL', 'DRYRUN', 'dry', 'ping'], ['ACL', 'DRYRUN', 'default', 'set', 'k', 'v'],
    ['ACL', 'DELUSER', 'dry'],
  ],
  'ACL DRYRUN errors': [
    DRY,
    ['ACL', 'DRYRUN', 'nouser', 'get', 'k'], ['ACL', 'DRYRUN', 'dry', 'nosuch'], ['ACL', 'DRYRUN', 'dry', 'get'],
    ['ACL', 'DRYRUN', 'dry', 'config'], ['ACL', 'DRYRUN', 'dry', 'config', 'nosuch'], ['ACL', 'DRYRUN', 'dry'],
    ['ACL', 'DELUSER', 'dry'],
  ],
  // redis-py's acl_setuser(reset=True) sends reset, which sets sanitize-payload in Redis 7.0.
  'RESTORE sanitizing flags: reset sets sanitize-payload, the two flags replace each other': [
    ['ACL', 'SETUSER', 'san'], ['ACL', 'GETUSER', 'san'], ['ACL', 'SETUSER', 'san', 'reset', 'on', 'nopass'], ['ACL', 'GETUSER', 'san'],
    ['ACL', 'LIST'], ['ACL', 'SETUSER', 'san', 'SKIP-SANITIZE-PAYLOAD'], ['ACL', 'GETUSER', 'san'], ['ACL', 'LIST'],
    ['ACL', 'SETUSER', 'san', 'sanitize-payload'], ['ACL', 'GETUSER', 'san'], ['ACL', 'DELUSER', 'san'],
  ],
  'password rules': [
    ['ACL', 'SETUSER', 'pwu', '<nope'], ['ACL', 'SETUSER', 'pwu', '<no\r\npe'], ['ACL', 'SETUSER', 'pwu', '>'],
    ['ACL', 'GETUSER', 'pwu'], ['ACL', 'SETUSER', 'pwu', '<'], ['ACL', 'SETUSER', 'pwu', '>a', '>b', '<a', 'on'],
    ['ACL', 'LIST'], ['AUTH', 'pwu', 'a'], ['AUTH', 'pwu', 'b'], ['ACL', 'SETUSER', 'pwu', '>x', 'bogus'], ['ACL', 'GETUSER', 'pwu'],
    ['ACL', 'SETUSER', 'pwu', '#0123'], ['ACL', 'SETUSER', 'pwu', '!' + 'a'.repeat(64)], ['ACL', 'DELUSER', 'pwu'],
  ],
  // Redis's acl unit: extra arguments are a subcommand syntax error quoting the subcommand as
  // sent; a user name with a space or a NUL is refused.
  'extra arguments to CAT, GENPASS and LOG': [
    ['ACL', 'CAT', 'NON_EXISTS'], ['ACL', 'CAT', 'NON_EXISTS', 'NON_EXISTS2'], ['ACL', 'cat', 'a', 'b'],
    ['ACL', 'GENPASS', '1', '2'], ['ACL', 'log', 'a', 'b'],
  ],
  'reset takes acl-pubsub-default as it is now, not as it was when the user was made': [
    ['CONFIG', 'SET', 'acl-pubsub-default', 'allchannels'], ['ACL', 'SETUSER', 'psd', 'on', 'nopass'], ['ACL', 'GETUSER', 'psd'],
    ['CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels'], ['ACL', 'SETUSER', 'psd', 'reset', 'on', 'nopass', '~*', '+@all'], ['ACL', 'LIST'],
    ['CONFIG', 'SET', 'acl-pubsub-default', 'allchannels'], ['ACL', 'SETUSER', 'psd', 'reset'], ['ACL', 'LIST'],
    ['CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels'], ['ACL', 'DELUSER', 'psd'],
  ],
  'a key or channel pattern after * (or allkeys / allchannels) is refused': [
    ['ACL', 'SETUSER', 'pa', 'allchannels', '&foo'], ['ACL', 'SETUSER', 'pa', '&*', '&foo'], ['ACL', 'SETUSER', 'pa', '&*', 'allchannels', '&*'],
    ['ACL', 'SETUSER', 'pa', 'allkeys', '~foo'], ['ACL', 'SETUSER', 'pa', '~*', '~foo'], ['ACL', 'SETUSER', 'pa', '~*', '%R~foo'],
    ['ACL', 'SETUSER', 'pa', '~*', '~*', 'allkeys'], ['ACL', 'SETUSER', 'pb', '%R~*', '~foo'], ['ACL', 'LIST'], ['ACL', 'DELUSER', 'pa', 'pb'],
  ],
  'a first-arg rule on a subcommand is refused with its own reason': [
    ['ACL', 'SETUSER', 'fa', '+config|get|appendonly'], ['ACL', 'SETUSER', 'fa', '-config|get|appendonly'], ['ACL', 'SETUSER', 'fa', '+nosuch|x|y'],
    ['ACL', 'SETUSER', 'fa', '+get|x|y'], ['ACL', 'SETUSER', 'fa', '+config|nosuch|x'], ['ACL', 'SETUSER', 'fa', '+config|get|'], ['ACL', 'USERS'],
  ],
  'user names with a space or a NUL': [
    ['ACL', 'SETUSER', 'a a'], ['ACL', 'SETUSER', 'a\u0000a'], ['ACL', 'SETUSER', ' '], ['ACL', 'USERS'],
  ],
};

compareWithRedis('ACL edge cases, byte for byte with redis-server', CASES, () => startInProcess());

/**
 * redis-server 7.0 lists the single-command rules that follow the categories in its command
 * hash table's order, which changes from one start to the next (ACLDescribeSelectorCommandRules);
 * both servers' rule lists get those sorted, the leading +@all/-@all and categories kept in place.
 */
export function sortSingleRules(reply: string): string {
  return reply.replace(/([+-]@all(?: [+-]@[a-z]+)*)((?: [+-][^\s@()][^\s()]*)+)/g, (_m, head: string, singles: string) => `${head} ${singles.trim().split(' ').sort().join(' ')}`);
}

const GET = (u: string): string[] => ['ACL', 'GETUSER', u];
const LIST = ['ACL', 'LIST'];

/** Rule sequences whose description (GETUSER `commands`, ACL LIST) Redis works out again from the bits. */
const DESCRIBED: string[][] = [
  ['+memory|doctor'], ['+memory'], ['+@all', '+client|id'], ['reset', '+@all', '-memory|doctor'], ['-memory'], ['-@all'],
  ['reset', '-@all', '+acl', '+config', '-config|set'], ['reset', '+@all', '~*', '-@string', '+incr', '-debug', '+debug|digest'],
  ['reset', '+@string', '-incr', '+acl', '+debug|digest', '+debug|segfault'], ['reset', '+@read', '-get', '-@hash', '-mget'],
  ['reset', '+@write', '+@read', '-@dangerous'], ['reset', '+@all', '-@admin', '+config|get'], ['reset', '+client|id', '+client|setname', '+client|getname', '+client|info'],
['reset', '+@fast', '+@slow'], ['reset', '+@all', '-get', '+get'], ['reset', '+@all', '-@all', '+@hash', '-hset'],
  ['reset', '+@keyspace', '+@string', '-del', '+@list', '-@blocking'], ['reset', '+@all', '-@keyspace', '-@write', '+set'], ['reset', '+config', '-config|get', '+config|get'],
  ['reset', '+@pubsub', '+@transaction', '+@connection', '-@slow'], ['reset', 'allcommands', '-@pubsub', 'nocommands', '+@scripting', '-eval'],
  ['reset', '+@all', '-client', '+client|id', '+client|setname'], ['reset', '+@sortedset', '+@geo', '-zadd', '+@bitmap', '+@hyperloglog', '-pfadd'],
];

const SELECTOR_CASES: Record<string, string[][]> = {
  'command rules are described as Redis 7.0 works them out from the bits': [
    ...DESCRIBED.flatMap((rules) => [['ACL', 'SETUSER', 'cr', ...rules], GET('cr'), LIST]),
    ['ACL', 'DELUSER', 'cr'],
  ],
  'every category alone, added and taken away': [
    ...['keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting']
      .flatMap((c) => [['ACL', 'SETUSER', 'cat', 'reset', '+@all', `-@${c}`], GET('cat'), ['ACL', 'SETUSER', 'cat', 'reset', `+@${c}`], GET('cat')]),
    ['ACL', 'DELUSER', 'cat'],
  ],
  'first-argument rules: +select|0, case, replaced by the whole command, refused forms': [
    ['ACL', 'SETUSER', 'fa', 'on', 'nopass', '-@all', '+select|0', '+select|1', '+SELECT|Ab', '+select|ab', '+acl'], GET('fa'), LIST,
    ['ACL', 'DRYRUN', 'fa', 'select', '0'], ['ACL', 'DRYRUN', 'fa', 'select', '2'], ['ACL', 'DRYRUN', 'fa', 'SELECT', 'AB'], ['ACL', 'DRYRUN', 'fa', 'select'],
    ['ACL', 'SETUSER', 'fa', '+select'], GET('fa'), ['ACL', 'SETUSER', 'fa', '-select', '+select|3'], GET('fa'), ['ACL', 'SETUSER', 'fa', '+@connection'], GET('fa'),
    ['ACL', 'SETUSER', 'fa', '-@all', '+debug|a', '+debug|b', '+debug|c'], GET('fa'), ['ACL', 'SETUSER', 'fa', '-debug'], GET('fa'),
    ['ACL', 'SETUSER', 'fa', '+select|5', '+@all'], GET('fa'), ['ACL', 'SETUSER', 'fa', '-select|0'], ['ACL', 'SETUSER', 'fa', '+select|'],
    ['ACL', 'SETUSER', 'fa', '+config|get|x'], ['ACL', 'SETUSER', 'fa', '+config|nosuch'], ['ACL', 'SETUSER', 'fa', '-config|nosuch'], ['ACL', 'SETUSER', 'fa', '+|x'],
    ['ACL', 'SETUSER', 'fa', '+'], ['ACL', 'SETUSER', 'fa', '-'], ['ACL', 'SETUSER', 'fa', '+@'], ['ACL', 'SETUSER', 'fa', '+@nosuch'], ['ACL', 'SETUSER', 'fa', '-@ALL', '+GET'], GET('fa'),
    ['ACL', 'DELUSER', 'fa'],
  ],
  'key patterns: %R~ %W~ %RW~, merged per pattern, refused forms': [
    ['ACL', 'SETUSER', 'kp', '%R~foo', '%W~foo', '%RW~bar', '%r~a', '%w~b', '%wr~c', '%R~a'], GET('kp'), LIST,
    ['ACL', 'SETUSER', 'kp', '%R'], GET('kp'), ['ACL', 'SETUSER', 'kp', '%~x'], ['ACL', 'SETUSER', 'kp', '%RR~x'], ['ACL', 'SETUSER', 'kp', '%X~x'], ['ACL', 'SETUSER', 'kp', '%R~a b'],
    ['ACL', 'SETUSER', 'kp', '~a b'], ['ACL', 'SETUSER', 'kp', '&a b'], ['ACL', 'SETUSER', 'kp', '&a', '&a', '&b'], GET('kp'),
    ['ACL', 'SETUSER', 'kp', 'resetkeys', '%RW~*', '~foo'], GET('kp'), LIST, ['ACL', 'SETUSER', 'kp', '~*', '%R~x'], ['ACL', 'SETUSER', 'kp', 'resetkeys', '%R~*', '~*'], GET('kp'),
    ['ACL', 'DELUSER', 'kp'],
  ],
  'selectors: forms, GETUSER, LIST, clearselectors, reset': [
    ['ACL', 'SETUSER', 's1', 'on', 'nopass', '(~key* +get)', '(%R~r* +@read &chan)'], GET('s1'), LIST,
    ['ACL', 'SETUSER', 's1', '(~key1', '+get', ')', '( ~key2 +get )', '(', '~k3', ')', '(~k4 +get )', '()'], GET('s1'),
    ['ACL', 'SETUSER', 's1', '(~a', '(~b', '+get)'], GET('s1'), ['ACL', 'SETUSER', 's1', '("unbalanced)'], GET('s1'),
    ['ACL', 'SETUSER', 's1', '(~x "+get" \'&c\')'], GET('s1'), ['ACL', 'SETUSER', 's1', 'clearselectors'], GET('s1'),
    ['ACL', 'SETUSER', 's1', '(+@all ~*)', 'reset'], GET('s1'), LIST,
    ['ACL', 'SETUSER', 's1', 'off', '-@all', '+get', 'resetchannels', '&channel1', '%R~foo1', '%W~bar1', '~baz1', '(-@all +set resetchannels &channel2 %R~foo2 %W~bar2 ~baz2)'], GET('s1'), LIST,
    ['ACL', 'SETUSER', 's1', '(allkeys allchannels allcommands)', '(nocommands resetkeys resetchannels)', '(+select|0 -@all +select|1)'], GET('s1'),
    ['ACL', 'DELUSER', 's1'],
  ],
  'selector errors': [
    ['ACL', 'SETUSER', 'se', 'on', '(this-is-invalid)'], ['ACL', 'SETUSER', 'se', '(&* &fail)'], ['ACL', 'SETUSER', 'se', ' () '], ['ACL', 'SETUSER', 'se', '('],
    ['ACL', 'SETUSER', 'se', ')'], ['ACL', 'SETUSER', 'se', '(~a', '+get'], ['ACL', 'SETUSER', 'se', '(~a', '(+get'], ['ACL', 'SETUSER', 'se', '(on)'], ['ACL', 'SETUSER', 'se', '(reset)'],
    ['ACL', 'SETUSER', 'se', '(nopass)'], ['ACL', 'SETUSER', 'se', '(clearselectors)'], ['ACL', 'SETUSER', 'se', '(~* ~a)'], ['ACL', 'SETUSER', 'se', '(+nosuch)'], ['ACL', 'SETUSER', 'se', '("")'],
    ['ACL', 'SETUSER', 'se', '(())'], ['ACL', 'SETUSER', 'se', '(>secret)'], ['ACL', 'SETUSER', 'se', '(~a >secret +get)'], ['ACL', 'SETUSER', 'se', '(~a', '>secret', '+get)'],
    ['ACL', 'SETUSER', 'se', '(~a', '<secret)'], ['ACL', 'SETUSER', 'se', '(>secret'], ['ACL', 'SETUSER', 'se', '( "<secret" )'], ['ACL', 'SETUSER', 'se', "('>secret')"],
    ['ACL', 'SETUSER', 'se', '(~a "<sec ret")'], ['ACL', 'SETUSER', 'se', '(~a', '"<secret"', ')'], ['ACL', 'SETUSER', 'se', '#abc', '(~a)'], ['ACL', 'USERS'],
  ],
  'a new selector takes acl-pubsub-default': [
    ['CONFIG', 'SET', 'acl-pubsub-default', 'allchannels'], ['ACL', 'SETUSER', 'pd', '(~x +get)', '(&a)'], GET('pd'), LIST,
    ['CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels'], ['ACL', 'SETUSER', 'pd', '(~y)'], GET('pd'), ['ACL', 'DELUSER', 'pd'],
  ],
  'DRYRUN with selectors: a command runs when one selector allows all of it': [
    ['ACL', 'SETUSER', 'dr', 'on', 'nopass', '+@all', '~a*', '(+get ~b*)', '(%W~w* %R~r* +@all)', '(+publish +subscribe &chan*)', '(+mget ~key ~otherkey)'],
    ['ACL', 'DRYRUN', 'dr', 'get', 'a1'], ['ACL', 'DRYRUN', 'dr', 'get', 'b1'], ['ACL', 'DRYRUN', 'dr', 'set', 'b1', 'v'], ['ACL', 'DRYRUN', 'dr', 'get', 'c'],
    ['ACL', 'DRYRUN', 'dr', 'mget', 'a1', 'b1'], ['ACL', 'DRYRUN', 'dr', 'mget', 'key', 'otherkey'], ['ACL', 'DRYRUN', 'dr', 'mget', 'otherkey', 'someother'],
    ['ACL', 'DRYRUN', 'dr', 'mget', 'key', 'otherkey', 'someotherkey'], ['ACL', 'DRYRUN', 'dr', 'copy', 'r1', 'w1'], ['ACL', 'DRYRUN', 'dr', 'copy', 'w1', 'r1'],
    ['ACL', 'DRYRUN', 'dr', 'lpush', 'w1', 'x'], ['ACL', 'DRYRUN', 'dr', 'lpush', 'r1', 'x'], ['ACL', 'DRYRUN', 'dr', 'set', 'w1', 'x'], ['ACL', 'DRYRUN', 'dr', 'set', 'w1', 'x', 'get'],
    ['ACL', 'DRYRUN', 'dr', 'publish', 'chan1', 'x'], ['ACL', 'DRYRUN', 'dr', 'publish', 'other', 'x'], ['ACL', 'DRYRUN', 'dr', 'subscribe', 'chan1', 'other'],
    ['ACL', 'DRYRUN', 'dr', 'psubscribe', 'chan*'], ['ACL', 'DRYRUN', 'dr', 'spublish', 'chan1', 'x'], ['ACL', 'DRYRUN', 'dr', 'exists', 'w1'], ['ACL', 'DRYRUN', 'dr', 'exists', 'r1', 'zz'],
    ['ACL', 'SETUSER', 'dr', 'resetchannels', '-@all', 'resetkeys'], ['ACL', 'DRYRUN', 'dr', 'publish', 'other', 'x'], ['ACL', 'DRYRUN', 'dr', 'get', 'zz'], ['ACL', 'DRYRUN', 'dr', 'ping'],
    ['ACL', 'DELUSER', 'dr'],
  ],
  'commands run by a user with selectors, refusals worded as Redis': [
    ['ACL', 'SETUSER', 'run', 'on', '>pw', '-@all', '+select|0', '+acl|whoami', '(+@write ~write::*)', '(+@read ~read::*)', '(+sort ~mylist)', '(+sort_ro ~mylist %R~*)'],
    ['SET', 'v1', '1'], ['RPUSH', 'mylist', '1'],
    [OTHER, 'AUTH', 'run', 'pw'], [OTHER, 'PING'], [OTHER, 'SET', 'write::foo', 'bar'], [OTHER, 'GET', 'read::foo'], [OTHER, 'GET', 'write::foo'],
    [OTHER, 'SET', 'read::foo', 'bar'], [OTHER, 'SELECT', '0'], [OTHER, 'SELECT', '1'], [OTHER, 'SORT', 'mylist', 'BY', 'v*'], [OTHER, 'SORT', 'mylist', 'GET', 'v*'],
    [OTHER, 'SORT_RO', 'mylist', 'BY', 'v*'], [OTHER, 'SORT', 'mylist'], [OTHER, 'ACL', 'WHOAMI'],
    ['ACL', 'DELUSER', 'run'],
  ],
};

compareWithRedis('ACL selectors and command rules, byte for byte with redis-server', SELECTOR_CASES, () => startInProcess(), sortSingleRules);
