// CLI entry: flags (+ optional --config file) -> Config -> startServer(); signals stop it cleanly.

import { scrubCommandLineSecrets } from './acl/secret.js';
import { Config, ConfigError, configFileArg, parseArgs } from './config.js';
import { BackendError } from './seal/backends.js';
import { KeyError } from './seal/keyring.js';
import { startServer } from './net/server.js';
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
  for (const name of scrubCommandLineSecrets(argv)) {
    console.error(
      `sealkv: warning: --${name} was given in clear on the command line; it is now hidden from ps, but copies ` +
        `Node made of its arguments stay in memory. Give the digest instead (--${name} '#<sha256 hex>') or use a config file (README, Secure deployment).`,
    );
  }
  let running;
  try {
    const configFile = configFileArg(argv);
    running = await startServer(config, configFile ? { configFile } : {});
  } catch (err) {
    return fail(err);
  }
  const stop = (signal: string) => running.state.shutdown(signal);
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await running.closed;
  // Give pino's asynchronous destination a moment to drain its last lines.
  setTimeout(() => process.exit(0), 50).unref();
}

function fail(err: unknown): void {
  const known = err instanceof ConfigError || err instanceof KeyError || err instanceof BackendError || err instanceof SpillDirError;
  const code = (err as NodeJS.ErrnoException).code;
  const message = known || code ? (err as Error).message : String(err);
  console.error(`sealkv: ${message}`);
  process.exitCode = 1;
}
