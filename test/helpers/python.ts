// Runs the Python client scripts of test/clients/python/ (redis-py, RQ, Celery from Debian's
// packages) against a server port. Debian's interpreter first: a pyenv or venv python3 earlier
// on PATH does not see the apt-installed modules.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PY_DIR = fileURLToPath(new URL('../clients/python/', import.meta.url));
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** True when `python3 -c 'import <modules>'` works (the packages .ci/run installs). */
export function hasPythonModules(...modules: string[]): boolean {
  return spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one script of PY_DIR with its arguments; never rejects (the caller asserts on code and output). */
export function runPython(script: string, args: (string | number)[], timeoutMs = 60_000): Promise<PythonRun> {
  return new Promise((resolve) => {
    execFile(PYTHON, [script, ...args.map(String)], { cwd: PY_DIR, timeout: timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The "ok <section>" lines a script printed, in order. */
export function sectionsPassed(run: PythonRun): string[] {
  return run.stdout.split('\n').filter((l) => l.startsWith('ok ')).map((l) => l.slice(3));
}
