// ACL edge cases sent to redis-server 7 and to sealkv over raw sockets, in RESP2 and RESP3,
// each reply compared byte for byte: DRYRUN, and password rules whose errors quote the rule.

import { compareWithRedis } from '../helpers/reference-redis.js';
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
