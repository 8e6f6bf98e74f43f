// Replication test harness: real sealkv processes sharing a master key (given through the
// environment, as a deployment would), a TCP relay the test controls between a replica and its
// master (cut the link, restore it, capture every byte that crossed it), and a polling wait.

import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort, spawnServer, type SpawnedServer } from './server.js';
import { redisCli } from './clients.js';

export const KEY_ENV = 'SEALKV_REPL_TEST_KEY';

/** A fresh 32-byte master key as hex, for `env: { [KEY_ENV]: key }`. */
export function newMasterKey(): string {
  return randomBytes(32).toString('hex');
}

/** A sealkv node holding `key`, replica of `master` when given. */
export function startNode(key: string, args: string[] = [], master?: { host: string; port: number }): Promise<SpawnedServer> {
  const replicaof = master === undefined ? [] : ['--replicaof', `${master.host} ${master.port}`];
  return spawnServer(['--master-key-env', KEY_ENV, ...replicaof, ...args], { [KEY_ENV]: key });
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15000, everyMs = 50): Promise<void> {
  const start = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** INFO <section> as a record of field -> value. */
export async function info(port: number, section = 'replication'): Promise<Record<string, string>> {
  const text = await redisCli(port, ['info', section]);
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export function linkUp(port: number): Promise<void> {
  return waitFor(`replica on ${port} to be in sync`, async () => (await info(port)).master_link_status === 'up');
}

/**
 * A TCP relay: accepts on its own port and pipes each connection to target. cut() drops every
 * connection and refuses new ones until restore(); every byte sent by the target side (the
 * master, when a replica connects through the relay) is kept for inspection.
 */
export class TcpRelay {
  private server: Server | null = null;
  private pairs = new Set<[Socket, Socket]>();
  private down = false;
  /** Held connections (by their client side): what the target sends waits here. */
  private held = new Map<Socket, Buffer[]>();
  /** The first bytes each client sent, to tell connections apart. */
  private opening = new Map<Socket, Buffer>();
  readonly fromTarget: Buffer[] = [];
  readonly toTarget: Buffer[] = [];
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
        this.held.delete(client);
        this.opening.delete(client);
      };
      client.on('data', (d: Buffer) => {
        this.toTarget.push(Buffer.from(d));
        const seen = this.opening.get(client) ?? Buffer.alloc(0);
        if (seen.length < 4096) this.opening.set(client, Buffer.concat([seen, d]));
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        this.fromTarget.push(Buffer.from(d));
        const queue = this.held.get(client);
        if (queue !== undefined) queue.push(d);
        else client.write(d);
      });
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  cut(): void {
    this.down = true;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.down = false;
  }

  /**
   * Stops passing on what the target sends to the connections whose client opened with bytes
   * containing `marker` (every connection without one), without closing anything: a replica
   * behind the relay stays connected and falls behind its master. release() delivers it.
   */
  hold(marker?: string): void {
    for (const [client] of this.pairs) {
      if (marker === undefined || (this.opening.get(client)?.includes(marker) ?? false)) {
        if (!this.held.has(client)) this.held.set(client, []);
      }
    }
  }

  release(): void {
    for (const [client, queue] of this.held) for (const d of queue) if (!client.destroyed) client.write(d);
    this.held.clear();
  }

  /** Everything the target sent through the relay. */
  captured(): Buffer {
    return Buffer.concat(this.fromTarget);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
