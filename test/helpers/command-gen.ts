// Random commands for differential runs against redis-server: the families sealkv has, with
// the argument values where servers tend to differ (limits, signs, floats, empty, binary,
// wrong types, wrong arity, unknown options).

type Rnd = () => number;

export const pick = <T>(rnd: Rnd, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;

const KEYS = ['k1', 'k2', 'k3', 'h1', 'h2', 'n1', '{t}x', '', 'k\x00\r\n'];
const FIELDS = ['f1', 'f2', 'f3', '', 'n'];
const NUMBERS = [
  '0', '1', '-1', '7', '-7', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
  '-9223372036854775809', '1.5', '-0.5', '1e3', '1e400', 'inf', '-inf', '+inf', 'nan', ' 1', '1 ', '0x10',
  '010', '+1', '-0', '', 'abc', '3.0', '.5', '5.', '17179869184', '4294967296', '2147483648', '1e-3',
];
const VALUES = [
  'v', '', 'hello world', '12', '-3', '1.25', '0', 'x'.repeat(70), '\x00\xff\r\n', '9223372036854775807', '1e5', '  7',
];

/** Time to live arguments: none that would expire between two commands (the servers' clocks differ). */
const TTLS = ['0', '-1', '100000', '1.5', 'x', '', '9223372036854775807', '9223372036854775', '-9223372036854775808'];

const key = (rnd: Rnd) => pick(rnd, KEYS);
const ttl = (rnd: Rnd) => pick(rnd, TTLS);
const num = (rnd: Rnd) => pick(rnd, NUMBERS);
const val = (rnd: Rnd) => (rnd() < 0.3 ? num(rnd) : pick(rnd, VALUES));
const small = (rnd: Rnd) => String(Math.floor(rnd() * 20) - 10);
const times = (rnd: Rnd, n: number, f: (r: Rnd) => string[]) => Array.from({ length: n }, () => f(rnd)).flat();
const some = (rnd: Rnd, max: number) => Math.floor(rnd() * max) + 1;

/** Options in random order and number, sometimes invalid or repeated. */
function options(rnd: Rnd, choices: readonly (() => string[])[], max = 3): string[] {
  return times(rnd, Math.floor(rnd() * (max + 1)), () => pick(rnd, choices)());
}

const ttlOption = (rnd: Rnd) => [
  () => ['EX', pick(rnd, ['100', '0', '-1', 'x', '9223372036854775807', '1000000000000'])],
  () => ['PX', pick(rnd, ['100000', '0', '-5', '1.5', '9223372036854775807'])],
  // No past times that are valid: Redis 7.0 keeps such a key until an access or its expiry cycle
  // finds it (DBSIZE counts it meanwhile), a timing artefact rather than a behaviour to match.
  () => ['EXAT', pick(rnd, ['4102444800', '0', '-1'])],
  () => ['PXAT', pick(rnd, ['4102444800000', 'x'])],
  () => ['KEEPTTL'], () => ['PERSIST'], () => ['NX'], () => ['XX'], () => ['GET'], () => ['BOGUS'], () => ['ex'],
];

const GENERATORS: ((rnd: Rnd) => string[])[] = [
  (r) => ['SET', key(r), val(r), ...options(r, ttlOption(r))],
  (r) => ['GET', key(r)],
  (r) => ['GETDEL', key(r)],
  (r) => ['GETEX', key(r), ...options(r, ttlOption(r), 2)],
  (r) => ['GETSET', key(r), val(r)],
  (r) => ['MGET', ...times(r, some(r, 4), (q) => [key(q)])],
  (r) => ['MSET', ...times(r, some(r, 3), (q) => [key(q), val(q)]), ...(r() < 0.1 ? ['dangling'] : [])],
  (r) => ['MSETNX', ...times(r, some(r, 3), (q) => [key(q), val(q)])],
  (r) => ['SETNX', key(r), val(r)],
  (r) => ['SETEX', key(r), ttl(r), val(r)],
  (r) => ['PSETEX', key(r), ttl(r), val(r)],
  (r) => ['APPEND', key(r), val(r)],
  (r) => ['STRLEN', key(r)],
  (r) => ['GETRANGE', key(r), small(r), small(r)],
  (r) => ['SUBSTR', key(r), num(r), small(r)],
  (r) => ['SETRANGE', key(r), pick(r, ['0', '3', '-1', '100', '536870912', 'x']), val(r)],
  (r) => ['INCR', key(r)],
  (r) => ['DECR', key(r)],
  (r) => ['INCRBY', key(r), num(r)],
  (r) => ['DECRBY', key(r), num(r)],
  (r) => ['INCRBYFLOAT', key(r), num(r)],
  (r) => ['HSET', key(r), ...times(r, some(r, 3), (q) => [pick(q, FIELDS), val(q)]), ...(r() < 0.1 ? ['odd'] : [])],
  (r) => ['HSETNX', key(r), pick(r, FIELDS), val(r)],
  (r) => ['HMSET', key(r), pick(r, FIELDS), val(r)],
  (r) => ['HGET', key(r), pick(r, FIELDS)],
  (r) => ['HMGET', key(r), ...times(r, some(r, 3), (q) => [pick(q, FIELDS)])],
  (r) => ['HDEL', key(r), ...times(r, some(r, 3), (q) => [pick(q, FIELDS)])],
  (r) => ['HLEN', key(r)],
  (r) => ['HSTRLEN', key(r), pick(r, FIELDS)],
  (r) => ['HEXISTS', key(r), pick(r, FIELDS)],
  (r) => ['HGETALL', key(r)],
  (r) => ['HKEYS', key(r)],
  (r) => ['HVALS', key(r)],
  (r) => ['HINCRBY', key(r), pick(r, FIELDS), num(r)],
  (r) => ['HINCRBYFLOAT', key(r), pick(r, FIELDS), num(r)],
  // A random draw: differential.test.ts compares its reply's size only.
  (r) => ['HRANDFIELD', key(r), pick(r, ['1', '3', '-1', '-7', '0', 'x', '99']), ...(r() < 0.5 ? ['WITHVALUES'] : [])],
  (r) => ['DEL', ...times(r, some(r, 3), (q) => [key(q)])],
  (r) => ['UNLINK', key(r)],
  (r) => ['EXISTS', ...times(r, some(r, 3), (q) => [key(q)])],
  (r) => ['TOUCH', key(r)],
  (r) => ['TYPE', key(r)],
  (r) => ['RENAME', key(r), key(r)],
  (r) => ['RENAMENX', key(r), key(r)],
  (r) => ['COPY', key(r), key(r), ...options(r, [() => ['REPLACE'], () => ['DB', pick(r, ['0', '1', '99', 'x'])]], 2)],
  (r) => ['MOVE', key(r), pick(r, ['1', '0', '16', '-1', 'x'])],
  (r) => ['EXPIRE', key(r), pick(r, ['100', '0', '-1', '1000', 'x', '9223372036854775807']), ...options(r, [() => ['NX'], () => ['XX'], () => ['GT'], () => ['LT'], () => ['ZZ']], 2)],
  (r) => ['PEXPIRE', key(r), pick(r, ['100000', '-1', '9223372036854775807']), ...options(r, [() => ['GT'], () => ['LT']], 1)],
  (r) => ['EXPIREAT', key(r), pick(r, ['4102444800', '1', '-9223372036854775808'])],
  (r) => ['PERSIST', key(r)],
  (r) => ['TTL', key(r)],
  (r) => ['PTTL', key(r)],
  (r) => ['EXPIRETIME', key(r)],
  (r) => ['PEXPIRETIME', key(r)],
  (r) => ['KEYS', pick(r, ['*', 'k*', '?1', '[hk]1', 'h\\*', '*{*', '[', '[a-'])],
  () => ['DBSIZE'],
  (r) => ['SELECT', pick(r, ['0', '0', '1', '16', '-1', 'x'])],
  (r) => ['ECHO', val(r)],
  (r) => ['PING', ...(r() < 0.5 ? [val(r)] : [])],
  () => ['MULTI'],
  () => ['EXEC'],
  () => ['DISCARD'],
  (r) => ['WATCH', key(r)],
  () => ['UNWATCH'],
  (r) => ['OBJECT', pick(r, ['ENCODING', 'REFCOUNT', 'FREQ', 'BOGUS']), key(r)],
  // From cursor 0 over a table this small one call returns everything, as in Redis (any other
  // cursor names a bucket, which depends on each server's own hash function).
  (r) => ['SCAN', pick(r, ['0', '0', 'x', '', '+0']), ...options(r, [() => ['COUNT', pick(r, ['1000', '0', '-1', 'x'])], () => ['MATCH', pick(r, ['*', 'k*', 'h?'])], () => ['TYPE', pick(r, ['string', 'hash', 'list', 'bogus'])], () => ['NOPE']], 2)],
  (r) => ['HSCAN', key(r), pick(r, ['0', '0', 'x']), ...options(r, [() => ['COUNT', pick(r, ['1000', '0', 'x'])], () => ['MATCH', pick(r, ['*', 'f*', '?'])], () => ['NOVALUES']], 2)],
  () => ['SWAPDB', '0', '1'],
  (r) => ['FLUSHDB', ...(r() < 0.3 ? [pick(r, ['ASYNC', 'SYNC', 'BAD'])] : [])],
  (r) => ['CLIENT', pick(r, ['SETNAME', 'GETNAME']), ...(r() < 0.7 ? [pick(r, ['app', 'a b', '', 'x\ny'])] : [])],
  (r) => [pick(r, ['NOSUCHCMD', 'get', 'Set', 'hgetall']), ...times(r, Math.floor(r() * 3), (q) => [val(q)])],
];

/** One random command. A few have an argument dropped or added to hit the arity checks. */
export function randomCommand(rnd: Rnd): string[] {
  const cmd = pick(rnd, GENERATORS)(rnd);
  const twist = rnd();
  if (twist < 0.03 && cmd.length > 1) return cmd.slice(0, -1);
  if (twist < 0.05) return [...cmd, val(rnd)];
  return cmd;
}
