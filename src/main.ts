// CLI entry: [config file] + flags -> Config -> startServer(); signals stop it cleanly.

import { rmSync, writeFileSync } from 'node:fs';
import { scrubCommandLineSecrets } from './acl/secret.js';
import { ConfigError, configFromArgs, type Config } from './config.js';
import { helpText } from './config/help.js';
import { BackendError } from './seal/backends.js';
import { KeyError } from './seal/keyring.js';
import { startServer } from './net/server.js';
import { SpillDirError } from './spill/tmpfs.js';
import { VERSION } from './version.js';

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText());
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
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
  let running;
  try {
    running = await startServer(config, configFile ? { configFile } : {});
  } catch (err) {
    return fail(err);
  }
  const pidfile = writePidfile(config.get('pidfile'));
  const stop = (signal: string) => running.state.shutdown(signal);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await running.closed;
  if (pidfile) rmSync(pidfile, { force: true });
  // Give pino's asynchronous destination a moment to drain its last lines.
  setTimeout(() => process.exit(0), 50).unref();
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

function fail(err: unknown): void {
  const known = err instanceof ConfigError || err instanceof KeyError || err instanceof BackendError || err instanceof SpillDirError;
  const code = (err as NodeJS.ErrnoException).code;
  const message = known || code ? (err as Error).message : String(err);
  console.error(`sealkv: ${message}`);
  process.exitCode = 1;
}
