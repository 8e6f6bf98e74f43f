#!/usr/bin/env node
// `npm run cluster -- --nodes N --port P`: a local sealkv cluster for development and tests.
// Writes one layout file (cluster-config-file, the same for every node) with the 16384 slots
// split evenly, and a shared master key (0600) in a fresh temporary directory, starts N nodes on
// 127.0.0.1 ports P..P+N-1 in the foreground, and stops them all (and removes the directory) on
// Ctrl-C or SIGTERM. Extra arguments after `--` go to every node (e.g. -- --seal-keys yes).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SLOTS = 16384;
const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const own = split < 0 ? argv : argv.slice(0, split);
const extra = split < 0 ? [] : argv.slice(split + 1);
const option = (name, fallback) => {
  const i = own.indexOf(name);
  return i >= 0 && own[i + 1] !== undefined ? Number(own[i + 1]) : fallback;
};
const nodes = option('--nodes', 3);
const port = option('--port', 7000);
if (!(Number.isInteger(nodes) && nodes >= 1 && nodes <= 64) || !(Number.isInteger(port) && port > 0 && port + nodes - 1 <= 65535)) {
  console.error('usage: npm run cluster -- [--nodes N (1..64, default 3)] [--port P (default 7000)] [-- <sealkv options>]');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'sealkv-cluster-'));
const keyFile = join(dir, 'master.key');
writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
const layout = join(dir, 'layout.conf');
const lines = ['# sealkv cluster layout: <node id> <host>:<port>[@<bus port>] <slots>'];
for (let i = 0; i < nodes; i++) {
  const first = Math.floor((SLOTS * i) / nodes);
  const last = Math.floor((SLOTS * (i + 1)) / nodes) - 1;
  lines.push(`${randomBytes(20).toString('hex')} 127.0.0.1:${port + i} ${first}-${last}`);
}
writeFileSync(layout, lines.join('\n') + '\n');

const bin = fileURLToPath(new URL('../bin/sealkv.js', import.meta.url));
const children = [];
for (let i = 0; i < nodes; i++) {
  const child = spawn(process.execPath, [
    bin, '--port', String(port + i), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
    '--cluster-config-file', layout, '--master-key-file', keyFile, ...extra,
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`sealkv cluster: node on port ${port + i} exited (${signal ?? code}); stopping the others`);
      stop();
    }
  });
  children.push(child);
}
console.error(`sealkv cluster: ${nodes} nodes on 127.0.0.1:${port}..${port + nodes - 1} (layout ${layout}); Ctrl-C stops them`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  let left = children.length;
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) {
      if (--left === 0) done();
      continue;
    }
    child.once('exit', () => --left === 0 && done());
    child.kill('SIGTERM');
  }
}
function done() {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
