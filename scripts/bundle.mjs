// Joins the compiled server (dist/src, ~200 ES modules) into one file, dist/sealkv.mjs, which
// bin/sealkv.js starts when it is at least as new as dist/src/main.js. Loading 200 modules is
// most of a start: each is resolved, opened, read and linked on its own; one file takes about
// half the CPU time (bench/startup.ts). Packages and node: modules stay outside (native addons,
// WebAssembly files and pino's worker files are found next to their packages). Without rolldown
// (an install without devDependencies) nothing is bundled and bin/ starts dist/src as before.

import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const input = `${root}dist/src/main.js`;
const output = `${root}dist/sealkv.mjs`;

let rolldown;
try {
  rolldown = await import('rolldown');
} catch {
  console.warn('bundle: rolldown is not installed, bin/sealkv.js will load dist/src module by module');
  rmSync(output, { force: true });
  process.exit(0);
}
if (!existsSync(input)) {
  console.error(`bundle: ${input} is missing (run tsc first)`);
  process.exit(1);
}
await rolldown.build({
  input,
  platform: 'node',
  // Bare specifiers are packages or node: built-ins: loaded from node_modules at run time.
  external: (id) => !id.startsWith('.') && !id.startsWith('/'),
  logLevel: 'warn',
  output: { file: output, format: 'esm' },
});
