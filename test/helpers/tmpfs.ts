// Real tmpfs mounts for the spill tier's tests. Mounting needs root: CI runs as root, so there a
// missing privilege fails the tests; elsewhere they are skipped with a message.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;
export const tmpfsUnavailable = !isRoot && process.env.CI !== 'true';
if (tmpfsUnavailable) console.warn('not root: skipping spill tests that mount a tmpfs (run as root, or under CI=true)');

export interface Tmpfs {
  dir: string;
  unmount(): void;
}

/** Mounts a fresh tmpfs of `size` (mount -o size=...) on a new temporary directory. */
export function mountTmpfs(size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'sealkv-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', ['-l', dir]);
      rmdirSync(dir);
    },
  };
}

/** Every regular file under dir (recursively). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return [];
    if (st.isDirectory()) return filesUnder(path);
    // Regular files only: the spill-dir's lock is a socket.
    return st.isFile() ? [path] : [];
  });
}

/** Total size of the files under dir. */
export function bytesUnder(dir: string): number {
  return filesUnder(dir).reduce((sum, f) => sum + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
}

/** Whether any file under dir contains one of the markers (plaintext that must never be there). */
export function filesContain(dir: string, markers: readonly string[]): string | null {
  for (const f of filesUnder(dir)) {
    const data = readFileSync(f);
    for (const m of markers) if (data.includes(m)) return `${f} contains ${m}`;
  }
  return null;
}
