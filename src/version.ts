// One place for the version string (INFO, HELLO, start-up log).
export const VERSION = '0.1.0';
/** The Redis version whose commands and replies sealkv follows; what INFO/HELLO report as redis_version. */
export const REDIS_COMPAT_VERSION = '7.0.0';
/** The same as one number, 0x00MMmmpp (Lua's redis.REDIS_VERSION_NUM, as Redis's REDIS_VERSION_NUM). */
export const REDIS_COMPAT_VERSION_NUM = REDIS_COMPAT_VERSION.split('.').reduce((n, part) => (n << 8) | Number(part), 0);
