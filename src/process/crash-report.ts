// A server killed by SIGABRT says so in its log before it dies of it, as Redis's crash report
// does ("... crashed by signal: 6"): an operator (or a watchdog that aborts a stuck process)
// finds in the log why the server went away. Only SIGABRT is taken: JavaScript can still run
// when it arrives. A real SIGSEGV, SIGBUS, SIGFPE or SIGILL in native code would fault again as
// soon as a handler returned, so those keep Node's default. The line carries no stored data.

import { constants } from 'node:os';
import type { LogOutput } from '../log.js';
import { VERSION } from '../version.js';

export function reportAbortSignal(output: LogOutput): void {
  process.once('SIGABRT', () => {
    // Written before the process aborts, whatever the log file's asynchronous writes are doing.
    output.lastWords().fatal({ signal: 'SIGABRT' }, `sealkv ${VERSION} crashed by signal: ${constants.signals.SIGABRT}`);
    // With no listener left the signal takes its default action again: the process aborts
    // (exit status 134, a core file where the system's limits allow one), as Redis's does.
    process.kill(process.pid, 'SIGABRT');
  });
}
