// The spill directory's hygiene: it must be on tmpfs (sealed values may leave the process, but
// never for a disk), holds one 0700 subdirectory of ours with 0600 files, and is emptied at start
// (a crashed run's segments) and at stop.

import { mkdirSync, readdirSync, rmSync, statfsSync, chmodSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { lockDirectory, type DirLock } from '../util/dir-lock.js';

/** statfs f_type of tmpfs (linux/magic.h TMPFS_MAGIC). */
export const TMPFS_MAGIC = 0x01021994;
/** Our subdirectory: the given directory may be shared (Docker's tmpfs root is 1770). */
const SUBDIR = 'sealkv-spill';
/** Beside it, the one-server lock (src/util/dir-lock.ts): outside what the start wipes. */
const LOCK = 'sealkv-spill.lock';

/** A spill directory that cannot be used; main.ts prints the message and exits non-zero. */
export class SpillDirError extends Error {}

/**
 * Why `dir` may not hold sealed data, or null when it is on tmpfs: the one check the spill tier
 * and snapshots (src/persistence/snapshot-file.ts) share. `setting` names it in the message.
 */
export function notTmpfs(dir: string, setting: string, what: string): string | null {
  let type: number;
  try {
    type = statfsSync(dir).type;
  } catch (err) {
    return `${setting} ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  }
  if (type !== TMPFS_MAGIC) {
    return `${setting} ${dir} is not on tmpfs (filesystem type 0x${type.toString(16)}): ${what} only to memory-backed storage`;
  }
  return null;
}

/**
 * Takes the spill directory's lock before anything in it is wiped: a second server on the same
 * spill-dir would delete the first one's segments at its start and at its stop. Null when the
 * directory is refused anyway (prepareSpillDir says why) or its path is too long for a socket
 * (said through `warn`).
 */
export async function lockSpillDir(dir: string, warn: (message: string) => void): Promise<DirLock | null> {
  if (notTmpfs(dir, 'spill-dir', '') !== null) return null;
  const lock = await lockDirectory(dir, LOCK, 'spill-dir', 'each wipes and rewrites what is there');
  if (lock === null) warn(`spill-dir ${dir}: path too long for its lock socket; make sure no other server uses it`);
  return lock;
}

/** Bytes an unprivileged writer may still use on dir's filesystem, or null if it cannot be asked. */
export function freeBytes(dir: string): number | null {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}

/** Checks `dir` is on tmpfs, creates our private subdirectory and wipes it; returns its path. */
export function prepareSpillDir(dir: string): string {
  const refused = notTmpfs(dir, 'spill-dir', 'sealed values are spilled');
  if (refused !== null) throw new SpillDirError(refused);
  const own = join(dir, SUBDIR);
  try {
    mkdirSync(own, { mode: 0o700, recursive: true });
    const st = lstatSync(own);
    if (!st.isDirectory()) throw new SpillDirError(`spill-dir ${own} exists and is not a directory`);
    chmodSync(own, 0o700);
    wipe(own);
  } catch (err) {
    if (err instanceof SpillDirError) throw err;
    throw new SpillDirError(`spill-dir ${own}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return own;
}

/** Removes every file in our subdirectory (segments of this or an earlier run). */
export function wipe(own: string): void {
  for (const name of readdirSync(own)) rmSync(join(own, name), { force: true, recursive: true });
}
