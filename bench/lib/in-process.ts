// A real server's Client fed requests in one process, through a socket stand-in that drops the
// replies: the request path without the kernel's reads and writes, which vary most on a shared
// machine (bench/micro/evalsha-path.ts, xadd-path.ts). Loads the server from another build's
// root too, for --before comparisons.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';

/** The arguments after the script's name. */
export const argv = process.argv.slice(2);
/** The value after `name` on the command line, else `fallback`. */
export const option = (name: string, fallback: string): string => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : fallback);

/** The builds a micro bench compares, labelled: this one (root) and, with `--before <root>`, another. */
export function buildsToCompare(root: string): [string, string][] {
  const builds: [string, string][] = [['sealkv', root]];
  const before = option('--before', '');
  if (before !== '') builds.push(['before', before]);
  return builds;
}

/** One request in RESP. */
export const resp = (args: string[]): Buffer =>
  Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map((a) => Buffer.from(`$${Buffer.byteLength(a)}\r\n${a}\r\n`))]);

/** Lets the event loop run once (the Client flushes and continues in setImmediate). */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A socket that takes every write and drops it (the Client writes through socket.write when it has no handle). */
class Sink extends Duplex {
  readonly _handle = null;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 1;
  readonly localAddress = '127.0.0.1';
  readonly localPort = 2;
  override _read(): void {}
  override _write(_chunk: Buffer, _encoding: string, done: () => void): void {
    done();
  }
  setNoDelay(): void {}
  setKeepAlive(): void {}
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface FedClient {
  /** The connection: `receive(read)` runs the read's commands as a socket's data would. */
  client: any;
  close(): Promise<void>;
}

/**
 * Starts the server built under `root` (listening only on a unix socket nobody uses, so no TCP
 * port can collide) and one Client on a Sink.
 */
export async function startFedClient(root: string): Promise<FedClient> {
  const { startServer } = await import(`${root}/dist/src/net/server.js`);
  const { Client } = await import(`${root}/dist/src/net/client.js`);
  const { Config } = await import(`${root}/dist/src/config.js`);
  const { default: pino } = await import('pino');
  const unixsocket = join(tmpdir(), `sealkv-fed-${process.pid}.sock`);
  const running: any = await startServer(new Config(Object.entries({ port: '0', unixsocket })), { log: pino({ level: 'silent' }) });
  const server = running.state;
  const client: any = new Client(1_000_000, new Sink() as any, server, server.commands, () => undefined);
  return { client, close: () => running.close() };
}

/** CPU time (µs, collector threads included) per request of feeding `n / perRead` reads of `perRead` requests each. */
export async function cpuPerRequest(client: any, n: number, readAt: (i: number) => Buffer, perRead = 16): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n / perRead; i++) {
    // A copy per read: the client zeroes what it has parsed.
    client.receive(Buffer.from(readAt(i)));
    if ((i & 15) === 15) await turn();
  }
  await turn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / n;
}
