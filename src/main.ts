// CLI entry: [config file] + flags -> Config -> startServer(); signals stop it cleanly.

import { LayoutError } from './cluster/layout-file.js';
import { rmSync, writeFileSync } from 'node:fs';
import { scrubCommandLineSecrets } from './acl/secret.js';
import { ConfigError, ConfigFileError, configFromArgs, type Config } from './config.js';
import { helpText } from './config/help.js';
import { BackendError } from './seal/backends.js';
import { KeyError } from './seal/keyring.js';
import { LogFileError, openLog, type LogFormat, type LogOutput } from './log.js';
import { ListenError } from './net/listen.js';
import { inDir } from './util/in-dir.js';
import { startServer, type RunningServer } from './net/server.js';
import { gcWithoutHelperWaits } from './observe/gc-threads.js';
import { reportAbortSignal } from './process/crash-report.js';
import { SpillDirError } from './spill/tmpfs.js';
import { DirLockError } from './util/dir-lock.js';
import { SnapshotError } from './persistence/snapshot-format.js';
import { VERSION } from './version.js';

export async function main(argv: string[]): Promise<void> {
  // As redis-server: only as the first argument (later, `--help` could be a setting's value).
  if (argv[0] === '--help' || argv[0] === '-h') {
    console.log(helpText());
    return;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(`sealkv ${VERSION}`);
    return;
  }
  let config: Config;
  let configFile: string | undefined;
  try {
    ({ config, file: configFile } = configFromArgs(argv));
  } catch (err) {
    return fail(err);
  }
  for (const name of scrubCommandLineSecrets(argv)) {
    console.error(
      `sealkv: warning: --${name} was given in clear on the command line; it is now hidden from ps, but copies ` +
        `Node made of its arguments stay in memory. Give the digest instead (--${name} '#<sha256 hex>') or use a config file (README, Secure deployment).`,
    );
  }
  // Signals are taken from the start: one that arrives while the server is still starting (a
  // supervisor giving up, a fast docker stop) stops it cleanly as soon as it is up.
  let running: RunningServer | null = null;
  let stopRequested: string | null = null;
  const stop = (reason: string) => {
    if (running === null) stopRequested ??= reason;
    else if (reason === 'SIGTERM' || reason === 'SIGINT') running.state.stopBySignal(reason);
    else running.state.shutdown(reason);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.env.npm_lifecycle_event) stopWithParent(stop);
  let output: LogOutput;
  try {
    output = openLog(config.get('loglevel'), inDir(config.get('logfile'), config.get('dir')), config.get('log-format') as LogFormat);
  } catch (err) {
    return fail(err);
  }
  reportAbortSignal(output);
  // logrotate moves the file away, then sends SIGHUP: the next lines go to a new file by that name.
  // Without a log file it is ignored, as Redis ignores it: Node's default would end the process
  // (a closed terminal, a stray `kill -HUP`) with no final save and nothing said.
  process.on('SIGHUP', () => {
    if (config.get('logfile') === '') return output.log.info('SIGHUP ignored (no log file to reopen)');
    output.reopen();
    output.log.info('log file reopened (SIGHUP)');
  });
  try {
    gcWithoutHelperWaits();
    running = await startServer(config, { log: output.log, procTitle: true, ...(configFile ? { configFile } : {}) });
  } catch (err) {
    return fail(err);
  }
  const pidfile = writePidfile(inDir(config.get('pidfile'), config.get('dir')));
  if (stopRequested !== null) stop(stopRequested);
  await running.closed;
  if (pidfile) rmSync(pidfile, { force: true });
  // Give pino's asynchronous destination a moment to drain its last lines, then exit on purpose.
  // The timer holds the event loop open: a natural exit closes the signal handles first, and a
  // SIGTERM landing in that window (a supervisor stopping a server that SHUTDOWN already ended)
  // killed the process by the signal instead of letting it exit 0.
  setTimeout(() => process.exit(0), 50);
}

/**
 * Started by `npm start` or `npx sealkv`: npm passes SIGTERM on to the shell it ran us from, and
 * that shell dies without passing it on, which would leave the server running as an orphan
 * (package.json's `exec` avoids the shell for `npm start`; npx has no such hook). The parent
 * going away is the same request to stop: check for it twice a second.
 */
function stopWithParent(stop: (reason: string) => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop('parent process exited');
  }, 500);
  timer.unref();
}

/** As Redis: the pid file is written once serving; failing to write it is a warning, not a stop. */
function writePidfile(path: string): string | null {
  if (path === '') return null;
  try {
    writeFileSync(path, `${process.pid}\n`);
    return path;
  } catch (err) {
    console.error(`sealkv: failed to write PID file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return null;
  }
}

/**
 * A start that cannot complete ends the process with exit code 1, whatever is still open: a
 * server that is half up (plaintext without its TLS port, say) must never look alive to a
 * supervisor.
 */
function fail(err: unknown): void {
  const known = err instanceof ConfigError || err instanceof KeyError || err instanceof BackendError
    || err instanceof SpillDirError || err instanceof ListenError || err instanceof LogFileError || err instanceof LayoutError
    || err instanceof SnapshotError || err instanceof DirLockError;
  const code = (err as NodeJS.ErrnoException).code;
  const message = known || code ? (err as Error).message : String(err);
  // A configuration problem reads as redis-server's (its message says where sealkv speaks).
  console.error(err instanceof ConfigFileError ? message : `sealkv: ${message}`);
  process.exitCode = 1;
  // Let pino's asynchronous destination write its last lines, then go.
  setTimeout(() => process.exit(1), 100).unref();
}
