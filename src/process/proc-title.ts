// The process title (ps, /proc/<pid>/cmdline) as Redis 7.0 sets it from proc-title-template
// (server.c redisSetProcTitle) while set-proc-title is yes: at start, and again when the
// template or the listeners change. It also takes the place of the command line's words there.

import { expandProcTitle } from '../config/special.js';
import type { Config } from '../config.js';

export interface TitleSource {
  readonly config: Config;
  /** The config file the server started from, or null. */
  readonly configFile: string | null;
  /** Started by the CLI, the process is the server's (not a test runner's that started it in-process). */
  readonly ownsProcessTitle: boolean;
}

/** The template expanded with this server's values (redisProcTitleGetVariable). */
export function procTitle(server: TitleSource): string | null {
  const { config } = server;
  const port = config.number('port');
  const tlsPort = config.number('tls-port');
  const bind = config.list('bind');
  const values: Record<string, string> = {
    // Redis's is the executable as started; sealkv's, the script Node runs.
    title: process.argv[1] ?? 'sealkv',
    'listen-addr': port !== 0 || tlsPort !== 0 ? `${bind[0] ?? '*'}:${port || tlsPort}` : `unixsocket:${config.get('unixsocket')}`,
    'server-mode': config.flag('cluster-enabled') ? '[cluster]' : '',
    'config-file': server.configFile ?? '-',
    port: String(port),
    'tls-port': String(tlsPort),
    unixsocket: config.get('unixsocket'),
  };
  return expandProcTitle(config.get('proc-title-template'), (name) => values[name]);
}

export function setProcTitle(server: TitleSource): void {
  if (!server.ownsProcessTitle || !server.config.flag('set-proc-title')) return;
  const title = procTitle(server);
  if (title !== null) process.title = title;
}
