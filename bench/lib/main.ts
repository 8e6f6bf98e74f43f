// What the standalone benchmark scripts do around their work: run main() when the file is the
// entry point (not when bench/run.ts imports it), and print, save and judge the report.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Runs main(argv) when `moduleUrl` is the file node was started with; a crash exits 2. */
export function runIfMain(moduleUrl: string, main: (argv: string[]) => Promise<void>): void {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(2);
  });
}

/** Prints the report, writes it to `path` unless --no-write, and sets exit code 1 when a goal is missed. */
export function finishReport(report: string, argv: string[], path: string, missed: boolean): void {
  process.stdout.write(report);
  if (!argv.includes('--no-write')) writeFileSync(path, report);
  if (missed) {
    console.error('goal missed');
    process.exitCode = 1;
  }
}
