// Runs the Ruby and PHP client scripts of test/clients/ruby/ and test/clients/php/ (redis-rb,
// Sidekiq, phpredis from Debian's packages) against a server port. Each script prints
// "ok <family>" per family it checked and exits non-zero with a FAIL line on a wrong read-back.

import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RUBY_DIR = fileURLToPath(new URL('../clients/ruby/', import.meta.url));
export const PHP_DIR = fileURLToPath(new URL('../clients/php/', import.meta.url));

/** True when the command runs and exits 0 (e.g. `ruby -e 'require "redis"'`). */
export function commandWorks(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
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

/** The families a script printed "ok <family>" for, in order. */
export function familiesPassed(run: ScriptRun): string[] {
  return run.stdout.split('\n').filter((l) => l.startsWith('ok ')).map((l) => l.slice(3));
}
