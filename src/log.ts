// The one pino logger. Nothing logged here may carry a stored value: log calls pass counts,
// names of settings and addresses only, and the redaction list is a second line of defence
// for any field that could hold command arguments or values.

import pino from 'pino';

export type Logger = pino.Logger;

const REDACT = ['args', 'argv', 'value', 'values', 'key', 'keys', 'field', 'fields', '*.args', '*.argv', '*.value', '*.values', '*.key', '*.keys', '*.field', '*.fields'];

/** Redis loglevel names mapped onto pino's. */
const LEVELS: Record<string, pino.LevelWithSilent> = {
  debug: 'debug',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

/** The server's logger (stdout unless a destination is given); redaction applies at every level. */
export function createLogger(redisLevel: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: 'sealkv',
    level: LEVELS[redisLevel] ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  return destination ? pino(options, destination) : pino(options);
}

export function setLogLevel(log: Logger, redisLevel: string): void {
  log.level = LEVELS[redisLevel] ?? 'info';
}
