// Runs the built CLI to its end, for starts that must fail: resolves with the exit code and
// everything printed, or with timedOut (the child then killed) when it is still running after
// timeoutMs, i.e. it kept serving when it should have stopped.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/sealkv.js', import.meta.url));

export interface CliRun {
  code: number | null;
  output: string;
  timedOut: boolean;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 8000): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}
