// One place for the version string (INFO, HELLO, start-up log).
export const VERSION = '0.1.0';
/** The Redis version whose commands and replies sealkv follows; what INFO/HELLO report as redis_version. */
export const REDIS_COMPAT_VERSION = '7.0.0';
