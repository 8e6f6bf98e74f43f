// Runs the client scripts of test/clients/ (redis-py, RQ, Celery, redis-rb, Sidekiq, phpredis from
// Debian's packages) against a server port. Each script prints "ok <family>" per family it
// checked and exits non-zero with a FAIL line on a wrong read-back.

import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { spawnServer } from './server.js';

export const PY_DIR = fileURLToPath(new URL('../clients/python/', import.meta.url));
export const RUBY_DIR = fileURLToPath(new URL('../clients/ruby/', import.meta.url));
export const PHP_DIR = fileURLToPath(new URL('../clients/php/', import.meta.url));
/** Debian's interpreter first: a pyenv or venv python3 earlier on PATH does not see the apt-installed modules. */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** True when the command runs and exits 0 (e.g. `ruby -e 'require "redis"'`). */
export function commandWorks(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** True when `python3 -c 'import <modules>'` works (the packages .ci/run installs). */
export function hasPythonModules(...modules: string[]): boolean {
  return commandWorks(PYTHON, ['-c', `import ${modules.join(', ')}`]);
}

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `interpreter script args...` in dir; never rejects (the caller asserts on code and output). */
export function runScript(interpreter: string, dir: string, script: string, args: (string | number)[], timeoutMs = 30_000): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(interpreter, [script, ...args.map(String)], { cwd: dir, timeout: timeoutMs, maxBuffer: 16 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs one script of test/clients/python/ with its arguments. */
export function runPython(script: string, args: (string | number)[], timeoutMs = 60_000): Promise<ScriptRun> {
  return runScript(PYTHON, PY_DIR, script, args, timeoutMs);
}

/** The families a script printed "ok <family>" for, in order. */
export function familiesPassed(run: ScriptRun): string[] {
  return run.stdout.split('\n').filter((l) => l.startsWith('ok ')).map((l) => l.slice(3));
}

/** A run passed: nothing on stderr, exactly these families said ok, exit 0. */
export function expectPassed(run: ScriptRun, families: string[]): void {
  expect(run.stderr).toBe('');
  expect(familiesPassed(run)).toEqual(families);
  expect(run.code).toBe(0);
}

/**
 * One test per family (`interpreter script port family` against the server `port()` names),
 * then every family in one run against a server with sealed key names.
 */
export function familyTests(interpreter: string, dir: string, script: string, families: string[], port: () => number): void {
  for (const family of families) {
    it(family, async () => expectPassed(await runScript(interpreter, dir, script, [port(), family]), [family]));
  }
  it('every family in one run on a server with seal-keys yes (key names sealed)', async () => {
    const sealed = await spawnServer(['--seal-keys', 'yes']);
    try {
      expectPassed(await runScript(interpreter, dir, script, [sealed.port]), families);
    } finally {
      await sealed.stop();
    }
  });
}
