// One server per directory: a Unix socket in the directory, listened on for as long as the server
// runs, is the lock. The kernel drops it with the process (kill -9 included), so a socket file
// nobody answers on is a stale lock and is replaced; one that answers is a live server (it says
// its pid). A socket works where a pid file cannot tell: across pid namespaces (two containers
// sharing a tmpfs volume both run as pid 1) and after pid reuse. Node has no flock().

import { lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';

/** A directory another live server holds; main.ts prints the message and exits non-zero. */
export class DirLockError extends Error {}

/** sun_path is 108 bytes on Linux, NUL included: a longer path cannot be bound. */
const MAX_SOCKET_PATH = 107;

export interface DirLock {
  readonly path: string;
  release(): void;
}

/** The holder's pid as it answers a probe; null if nobody answers (stale), '' if it answers without one. */
function probe(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    let said = '';
    let connected = false;
    const done = (answer: string | null) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => (connected = true));
    socket.on('data', (d: Buffer) => (said += d.toString('latin1')));
    socket.once('end', () => done(/^\d+$/.test(said.trim()) ? said.trim() : ''));
    // Refused (nobody listens) is stale; a socket we may not even connect to is another user's, live or not.
    socket.once('error', (err: NodeJS.ErrnoException) => done(connected ? said.trim() : err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? null : ''));
    // A stopped holder (kill -STOP) accepts into its backlog but never answers: alive all the same.
    socket.setTimeout(1000, () => done(connected ? '' : null));
  });
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer((peer) => {
      // A prober that hangs up first must not become an uncaught socket error.
      peer.on('error', () => {});
      peer.end(`${process.pid}\n`);
    });
    srv.once('error', reject);
    // Owner-only, as the unixsocket listener is: bind() happens inside listen(), under this umask.
    const mask = process.umask(0o177);
    try {
      srv.listen({ path }, () => {
        srv.off('error', reject);
        // The lock never keeps the process alive by itself.
        srv.unref();
        resolve(srv);
      });
    } finally {
      process.umask(mask);
    }
  });
}

/**
 * Takes the lock `name` in `dir` for `setting` (named in messages, with `why` sharing is wrong). Throws DirLockError when a
 * live server holds it; returns null when the path is too long for a socket (the caller warns).
 */
export async function lockDirectory(dir: string, name: string, setting: string, why: string): Promise<DirLock | null> {
  const path = join(dir, name);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return null;
  for (let attempt = 0; ; attempt++) {
    try {
      const srv = await listen(path);
      return { path, release: () => srv.close() };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' || attempt > 0) {
        throw new DirLockError(`${setting} ${dir}: cannot create the lock ${path}: ${code ?? String(err)}`);
      }
    }
    if (!lstatSync(path, { throwIfNoEntry: false })?.isSocket()) {
      throw new DirLockError(`${setting} ${dir}: ${path} exists and is not sealkv's lock socket: remove it`);
    }
    const holder = await probe(path);
    if (holder !== null) {
      throw new DirLockError(
        `${setting} ${dir} is in use by another sealkv${holder ? ` (pid ${holder})` : ''}: two servers must not share it (${why})`,
      );
    }
    // Left by a server that is gone: replace it.
    try {
      rmSync(path, { force: true });
    } catch (err) {
      throw new DirLockError(`${setting} ${dir}: cannot remove the stale lock ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}
