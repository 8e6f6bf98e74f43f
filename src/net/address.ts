// Address helpers for the listeners and connection policy: the `bind` list as Redis 7 reads it,
// loopback checks (protected mode), and how a peer is named in CLIENT LIST.

import type { Socket } from 'node:net';

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback: what Redis treats as a local client. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

export interface BindAddress {
  /** What to bind, as node:net takes it. */
  host: string;
  /** As written in the setting (CLIENT LIST and log lines keep the operator's spelling). */
  word: string;
  /** `-` prefix (Redis 7): skipped with a log line when this host has no such address. */
  optional: boolean;
}

/**
 * The words of `bind` (Redis 7): `*` is every IPv4 address, `::*` every IPv6 one, and a leading
 * `-` marks an address as optional, as in Redis's default `bind 127.0.0.1 -::1`.
 */
export function parseBindList(value: string): BindAddress[] {
  const out: BindAddress[] = [];
  for (const word of value.split(/\s+/).filter(Boolean)) {
    const optional = word.startsWith('-');
    const bare = optional ? word.slice(1) : word;
    if (bare === '') continue;
    const host = bare === '*' ? '0.0.0.0' : bare === '::*' ? '::' : bare;
    out.push({ host, word: bare, optional });
  }
  return out;
}

/**
 * Errors that mean "this host has no such address (family)": the only ones an optional bind
 * address is skipped for. A port in use or a permission error stays fatal even for those.
 */
export function isAddressUnavailable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT' || code === 'ENOTFOUND' || code === 'EAI_ADDRFAMILY';
}

/** Unix-socket connections have no IP address: Redis names both ends `<path>:0`. */
const unixPaths = new WeakMap<Socket, string>();

export function markUnixSocket(socket: Socket, path: string): void {
  unixPaths.set(socket, path);
}

export function isUnixSocket(socket: Socket): boolean {
  return unixPaths.has(socket);
}

/** `addr` of CLIENT LIST. */
export function peerAddress(socket: Socket): string {
  const path = unixPaths.get(socket);
  return path !== undefined ? `${path}:0` : `${socket.remoteAddress}:${socket.remotePort}`;
}

/** `laddr` of CLIENT LIST. */
export function localAddress(socket: Socket): string {
  const path = unixPaths.get(socket);
  return path !== undefined ? `${path}:0` : `${socket.localAddress}:${socket.localPort}`;
}
