// The only code that touches the snapshot file. A snapshot is written only into a directory on
// tmpfs (the spill tier's statfs check, src/spill/tmpfs.ts), into a temporary file of mode
// 0600 that is renamed over `dbfilename` once complete: the old snapshot stays whole until
// then. sealkv enforces its own byte quota (snapshot-max-bytes) on the file being written; a
// snapshot that would pass it is abandoned, its temporary file removed.

import { accessSync, closeSync, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { notTmpfs } from '../spill/tmpfs.js';
import { lockDirectory, type DirLock } from '../util/dir-lock.js';
import { SnapshotError } from './snapshot-format.js';

/** Why `dir` may not hold a snapshot, or null (it is on tmpfs). */
export function snapshotDirRefusal(dir: string): string | null {
  return notTmpfs(dir, 'dir', 'sealkv writes snapshots');
}

/**
 * With save rules set, the snapshot file is locked to this server (`<dbfilename>.lock` beside it,
 * src/util/dir-lock.ts): two servers saving to one file would each replace the other's, and a
 * restart would load whichever saved last. Null without rules, off tmpfs, or with a path too
 * long for a socket (said through `warn`), or unwritable (Persistence.warnIfUnwritable says so:
 * Redis starts there too). A dir or dbfilename changed by CONFIG SET is not locked.
 */
export async function lockSnapshotFile(dir: string, name: string, save: string, warn: (message: string) => void): Promise<DirLock | null> {
  if (save === '' || snapshotDirRefusal(dir) !== null || !writable(dir)) return null;
  const lock = await lockDirectory(dir, `${name}.lock`, 'dir', `each would replace the other's ${name}`);
  if (lock === null) warn(`dir ${dir}: path too long for the snapshot's lock socket; make sure no other server saves to ${name} there`);
  return lock;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

let tempCounter = 0;

/** A snapshot being written: write() chunks, then commit() (rename into place) or abort(). */
export class SnapshotFileWriter {
  private fd: number;
  private readonly temp: string;
  private readonly target: string;
  written = 0;

  /** quota: the largest file allowed, in bytes (0: the filesystem's own limit only). */
  constructor(dir: string, name: string, private readonly quota: number) {
    const refused = snapshotDirRefusal(dir);
    if (refused !== null) throw new SnapshotError(refused);
    this.target = join(dir, name);
    this.temp = join(dir, `temp-${process.pid}-${++tempCounter}.sealkv`);
    try {
      this.fd = openSync(this.temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      throw new SnapshotError(`cannot create ${this.temp}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  /** Appends a chunk; SnapshotError past the quota or on a write error (the file is then removed). */
  write(chunk: Buffer): void {
    if (this.quota > 0 && this.written + chunk.length > this.quota) {
      this.abort();
      throw new SnapshotError(`snapshot would exceed snapshot-max-bytes (${this.quota} bytes); the previous snapshot is kept`);
    }
    try {
      let at = 0;
      while (at < chunk.length) at += writeSync(this.fd, chunk, at, chunk.length - at);
    } catch (err) {
      this.abort();
      throw new SnapshotError(`writing the snapshot failed: ${(err as NodeJS.ErrnoException).code ?? String(err)}; the previous snapshot is kept`);
    }
    this.written += chunk.length;
  }

  /** Renames the complete file over the snapshot. */
  commit(): void {
    closeSync(this.fd);
    this.fd = -1;
    try {
      renameSync(this.temp, this.target);
    } catch (err) {
      this.abort();
      throw new SnapshotError(`cannot rename the snapshot into ${this.target}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  /** Closes and removes the temporary file (idempotent). */
  abort(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = -1;
    }
    try {
      unlinkSync(this.temp);
    } catch {
      // already gone
    }
  }
}

/** The snapshot file's bytes, or null when there is none. SnapshotError when it cannot be read. */
export function readSnapshotFile(path: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SnapshotError(`cannot open snapshot ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const size = fstatSync(fd).size;
    const out = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return out.subarray(0, got);
  } catch (err) {
    throw new SnapshotError(`cannot read snapshot ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  } finally {
    closeSync(fd);
  }
}
