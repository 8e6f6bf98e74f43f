// Makes `npm start` / `npm test` work on a fresh checkout: installs dependencies and
// compiles TypeScript when either is missing or older than the sources.
import { execSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });

if (!existsSync(join(root, 'node_modules', '.package-lock.json'))) run('npm ci --no-audit --no-fund');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const entry = join(root, 'dist', 'src', 'main.js');
const sources = Math.max(newest(join(root, 'src')), newest(join(root, 'bench')));
if (!existsSync(entry) || statSync(entry).mtimeMs < sources) run('npx tsc -p tsconfig.build.json && node scripts/bundle.mjs');
