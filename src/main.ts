// CLI entry: flags (+ optional --config file) -> Config -> startServer(); signals stop it cleanly.

import { Config, ConfigError, configFileArg, parseArgs } from './config.js';
import { BackendError } from './seal/backends.js';
import { KeyError } from './seal/keyring.js';
import { ListenError } from './net/listen.js';
import { startServer, type RunningServer } from './net/server.js';
import { SpillDirError } from './spill/tmpfs.js';
import { VERSION } from './version.js';

const USAGE = `Usage: sealkv [--config FILE] [--<setting> value ...]

Starts an encrypted Redis-protocol server (default 127.0.0.1:6379, ephemeral master key).
Common settings: --port N  --bind ADDR  --requirepass PASS  --master-key-file PATH  --master-key-env NAME
                 --seal-backend auto|native|wasm  --seal-keys yes|no
Every setting can also be given in a redis.conf-style file: one "name value" per line.`;

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    console.log(`sealkv ${VERSION}`);
    return;
  }
  let config: Config;
  try {
    config = new Config(parseArgs(argv));
  } catch (err) {
    return fail(err);
  }
  // Signals are taken from the start: one that arrives while the server is still starting (a
  // supervisor giving up, a fast docker stop) stops it cleanly as soon as it is up.
  let running: RunningServer | null = null;
  let stopRequested: string | null = null;
  const stop = (reason: string) => {
    if (running !== null) running.state.shutdown(reason);
    else stopRequested ??= reason;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.env.npm_lifecycle_event) stopWithParent(stop);
  try {
    const configFile = configFileArg(argv);
    running = await startServer(config, configFile ? { configFile } : {});
  } catch (err) {
    return fail(err);
  }
  if (stopRequested !== null) running.state.shutdown(stopRequested);
  await running.closed;
  // Give pino's asynchronous destination a moment to drain its last lines.
  setTimeout(() => process.exit(0), 50).unref();
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

/**
 * A start that cannot complete ends the process with exit code 1, whatever is still open: a
 * server that is half up (plaintext without its TLS port, say) must never look alive to a
 * supervisor.
 */
function fail(err: unknown): void {
  const known = err instanceof ConfigError || err instanceof KeyError || err instanceof BackendError
    || err instanceof SpillDirError || err instanceof ListenError;
  const code = (err as NodeJS.ErrnoException).code;
  const message = known || code ? (err as Error).message : String(err);
  console.error(`sealkv: ${message}`);
  process.exitCode = 1;
  // Let pino's asynchronous destination write its last lines, then go.
  setTimeout(() => process.exit(1), 100).unref();
}
