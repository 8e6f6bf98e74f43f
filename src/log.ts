// The one pino logger. Nothing logged here may carry a stored value or a key name: log calls
// pass counts, client ids, names of settings and addresses only, and the redaction list is a
// second line of defence for any field that could hold command arguments or values.
//
// Where it goes: standard output (logfile ""), or appended to `logfile` (created 0600, reopened
// by reopen() for logrotate). How: pino's JSON lines, or with log-format pretty (auto: when the
// output is a terminal) pino-pretty's one line per event. Pretty printing formats each line
// pino has already serialised, so redaction applies to both alike.

import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import pino from 'pino';
import type { PrettyOptions } from 'pino-pretty';

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

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON. */
  pretty?: boolean;
  /** Pretty only: ANSI colours (default: as the terminal on stdout supports them). */
  colorize?: boolean;
}

/** The server's logger (stdout unless a destination is given); redaction applies at every level and format. */
export function createLogger(redisLevel: string, destination?: pino.DestinationStream, options: LoggerOptions = {}): Logger {
  const settings: pino.LoggerOptions = {
    name: 'sealkv',
    level: LEVELS[redisLevel] ?? 'info',
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { pid: process.pid },
  };
  const sink = destination ?? stdoutSink();
  return pino(settings, options.pretty === true ? prettyStream(sink, options.colorize) : sink);
}

/**
 * Standard output, written synchronously (as Redis writes its log) and given up once a write
 * fails: a terminal that hung up answers EIO to every write (the server ignores SIGHUP, as
 * Redis does), and SonicBoom's flush at exit retried such a write forever, so a server stopped
 * in a terminal that then closed never exited.
 */
function stdoutSink(): pino.DestinationStream {
  const sink = pino.destination({ dest: 1, sync: true });
  sink.on('error', () => {
    sink.write = () => true;
  });
  return sink;
}

export function setLogLevel(log: Logger, redisLevel: string): void {
  log.level = LEVELS[redisLevel] ?? 'info';
}

/**
 * pino-pretty's formatter applied to each serialised line, written on to `sink` at once (its
 * stream form runs through an asynchronous pipeline whose last lines a stopping process loses).
 * Loaded only when asked for: JSON-only servers do not pay for it at start.
 */
function prettyStream(sink: pino.DestinationStream, colorize: boolean | undefined): pino.DestinationStream {
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const options: PrettyOptions = { singleLine: true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'hostname,name' };
  if (colorize !== undefined) options.colorize = colorize;
  const format = prettyFactory(options);
  return { write: (line: string) => void sink.write(format(line)) };
}

export type LogFormat = 'auto' | 'json' | 'pretty';

/** The log file could not be opened: the start stops (exit 1), as Redis's does. */
export class LogFileError extends Error {}

export interface LogOutput {
  readonly log: Logger;
  /** Reopens the log file by name (after logrotate moved it); a no-op on stdout. */
  reopen(): void;
  /**
   * A logger whose lines are written before it returns, for the line a dying process leaves
   * (crash-report.ts): the log file's own writes are asynchronous, and one still in flight when
   * the process aborts is lost. Stdout is written synchronously already.
   */
  lastWords(): Logger;
}

/**
 * The logger the settings ask for: `loglevel`, `logfile` ("" is standard output) and
 * `log-format`. Throws LogFileError when the file cannot be opened for appending.
 */
export function openLog(level: string, file: string, format: LogFormat, stdoutIsTty = process.stdout.isTTY === true): LogOutput {
  const pretty = format === 'pretty' || (format === 'auto' && file === '' && stdoutIsTty);
  if (file === '') {
    const log = createLogger(level, undefined, { pretty });
    return { log, reopen: () => {}, lastWords: () => log };
  }
  // Opened once here, synchronously, so that a path that cannot be written stops the start with
  // a clear message instead of an asynchronous error later; created owner-only.
  try {
    closeSync(openSync(file, 'a', 0o600));
  } catch (err) {
    // Node's message reads "ENOENT: no such file or directory, open '<path>'": keep its first part.
    throw new LogFileError(`Can't open the log file ${file}: ${(err as Error).message.split(',')[0]}`);
  }
  const sink = pino.destination({ dest: file, append: true, mode: 0o600, mkdir: false, sync: false });
  // A reopen that fails (the directory went away) keeps writing to the old file: say so once
  // per failure on stderr rather than end the process over a log line.
  sink.on('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(`sealkv: cannot reopen the log file ${file}: ${err.code ?? String(err)}\n`);
  });
  const log = createLogger(level, sink, { pretty, colorize: false });
  const lastWords = (): Logger => {
    try {
      sink.flushSync();
    } catch {
      // Nothing buffered, or a write in flight: the lines after it go through the file opened again below.
    }
    // The file by name, appending: the same file the sink writes (after a reopen too), synchronously.
    return createLogger(level, pino.destination({ dest: file, append: true, mkdir: false, sync: true }), { pretty, colorize: false });
  };
  return { log, reopen: () => sink.reopen(), lastWords };
}
