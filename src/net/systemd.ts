// `supervised systemd` (and `auto` when $NOTIFY_SOCKET is set): tell systemd the server is ready
// once every listener is open, and that it is stopping, as Redis does with sd_notify. The message
// is a datagram on a Unix socket, which Node cannot send without native code, so systemd's own
// `systemd-notify` sends it on our behalf with MAINPID set to this process. systemd accepts a
// message from a helper process only with NotifyAccess=all in the unit (README, Running it).

import { execFile } from 'node:child_process';
import type { Logger } from '../log.js';

/** Whether this start should notify systemd, from the `supervised` setting and the environment. */
export function wantsSystemdNotify(mode: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === 'systemd') return true;
  return mode === 'auto' && Boolean(env.NOTIFY_SOCKET);
}

/** Runs systemd-notify with these arguments; resolves whether it says the message was sent. */
function systemdNotify(args: string[], what: string, log: Logger, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!env.NOTIFY_SOCKET) {
    log.warn(`supervised systemd but NOTIFY_SOCKET is not set (not started by systemd with Type=notify?): ${what} not signalled`);
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    execFile(
      'systemd-notify',
      [`--pid=${process.pid}`, ...args],
      { env: { PATH: env.PATH ?? '/usr/bin:/bin', NOTIFY_SOCKET: env.NOTIFY_SOCKET }, timeout: 5000 },
      (err) => {
        if (err) {
          const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'systemd-notify is not installed' : err.message.split('\n')[0];
          log.warn({ reason: why }, `supervised systemd: ${what} could not be signalled`);
          resolve(false);
          return;
        }
        log.info(`supervised systemd: ${what} sent`);
        resolve(true);
      },
    );
  });
}

/** READY=1 with a STATUS= line. */
export function notifyReady(status: string, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return systemdNotify(['--ready', `--status=${status}`], 'READY=1', log, env);
}

/** STOPPING=1: systemd then knows the exit that follows is the stop it asked for (or SHUTDOWN). */
export function notifyStopping(log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return systemdNotify(['STOPPING=1'], 'STOPPING=1', log, env);
}
