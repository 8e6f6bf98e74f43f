// Opening one listener: a TCP address, or a Unix domain socket (stale socket files replaced,
// the file created owner-only and then given unixsocketperm). A listener that cannot start
// throws ListenError, and the start ends with exit code 1, as Redis's does.

import { chmodSync, lstatSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { connect, type ListenOptions, type Server } from 'node:net';
import { dirname } from 'node:path';

export class ListenError extends Error {
  /** The errno code behind it (EADDRINUSE...), when there is one. */
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * An errno code with libuv's words for it, as Redis prints strerror: `EADDRINUSE (address
 * already in use)`. Node's message is "listen EADDRINUSE: address already in use 127.0.0.1:6379".
 */
export function describeListenError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return (err as Error).message ?? String(err);
  const words = /^\w+ [A-Z]+: ([a-z][^,]*?)(?: \S+:\d+| \/\S*)?$/.exec((err as Error).message ?? '')?.[1];
  return words ? `${code} (${words})` : code;
}

export function listenOn(srv: Server, options: ListenOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(options, () => {
      srv.off('error', reject);
      resolve();
    });
  });
}

/** Whether something accepts connections on the Unix socket at path (a live server). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    const done = (live: boolean) => {
      probe.destroy();
      resolve(live);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    probe.setTimeout(1000, () => done(false));
  });
}

/**
 * Listens on a Unix socket at path. A socket file left by a server that is gone is replaced
 * (Redis unlinks it unconditionally); a live one, or anything that is not a socket, is an error.
 * The file is created under umask 0177 (so it is never reachable by others, even for a moment),
 * then chmod'ed to perm (octal digits; '0' keeps it owner-only).
 */
export async function listenUnix(srv: Server, path: string, perm: string, backlog: number): Promise<void> {
  // libuv cuts a longer path to sun_path's 107 bytes without a word: the socket would appear
  // under another name. Redis: "unix socket path too long (134), must be under 108".
  const length = Buffer.byteLength(path);
  if (length >= 108) throw new ListenError(`cannot listen on unixsocket ${path}: path too long (${length} bytes), must be under 108`);
  // libuv reports a missing directory as EACCES.
  const parent = statSync(dirname(path), { throwIfNoEntry: false });
  if (parent === undefined) throw new ListenError(`cannot listen on unixsocket ${path}: directory ${dirname(path)} does not exist`);
  if (!parent.isDirectory()) throw new ListenError(`cannot listen on unixsocket ${path}: ${dirname(path)} is not a directory`);
  let stale = false;
  try {
    stale = lstatSync(path).isSocket();
    if (!stale) throw new ListenError(`cannot listen on unixsocket ${path}: the path exists and is not a socket`);
  } catch (err) {
    if (err instanceof ListenError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ListenError(`cannot listen on unixsocket ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (stale) {
    if (await answers(path)) throw new ListenError(`cannot listen on unixsocket ${path}: another server is listening on it`);
    unlinkSync(path);
  }
  const mask = process.umask(0o177);
  let listening: Promise<void>;
  try {
    // bind() happens inside listen(), synchronously, while the restrictive umask is in force.
    listening = listenOn(srv, { path, backlog });
  } finally {
    process.umask(mask);
  }
  try {
    await listening;
  } catch (err) {
    throw new ListenError(`cannot listen on unixsocket ${path}: ${describeListenError(err)}`);
  }
  const mode = Number.parseInt(perm, 8);
  if (mode !== 0) {
    try {
      chmodSync(path, mode);
    } catch (err) {
      srv.close();
      throw new ListenError(`cannot chmod unixsocket ${path} to ${perm}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
}

/** Descriptors Redis keeps back from maxclients for its own use (CONFIG_MIN_RESERVED_FDS). */
export const RESERVED_FDS = 32;

/** The soft limit on open files of this process (Linux /proc), or null where it cannot be read. */
export function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}
