// Replication test harness: real sealkv processes sharing a master key (given through the
// environment, as a deployment would), a TCP relay the test controls between a replica and its
// master (cut the link, restore it, capture every byte that crossed it), and a polling wait.

import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort, spawnServer, type SpawnedServer } from './server.js';
import { encodeCommand, redisCli } from './clients.js';
import { keyProof } from '../../src/replication/key-proof.js';
import type { TransportSealer } from '../../src/seal/transport.js';

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

/** What a stand-in replica needs: a connection given the master-key challenge, and the proof for it. */
export interface KeyProvenConnection {
  socket: Socket;
  /** `REPLCONF sealkv-key <proof>` for this connection's challenge, encoded. */
  proof: Buffer;
  /** Everything the server sent after the challenge. */
  received(): string;
}

/**
 * A raw connection that asked for the master-key challenge (REPLCONF sealkv-challenge key) and
 * holds the proof a replica would send, made with the node's own transport sealer: tests that
 * stand in for a replica send it (or not) with whatever follows.
 */
export async function keyProven(port: number, transport: TransportSealer): Promise<KeyProvenConnection> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let data = '';
  const challenge = await new Promise<string>((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      const end = data.indexOf('\r\n');
      if (end >= 0) resolve(data.slice(0, end));
    });
    socket.once('error', reject);
    socket.write(encodeCommand(['REPLCONF', 'sealkv-challenge', 'key']));
  });
  const sealed = keyProof(transport, challenge);
  if (sealed === null) throw new Error(`no key challenge: ${challenge}`);
  const start = challenge.length + 2;
  return { socket, proof: encodeCommand(['REPLCONF', 'sealkv-key', sealed]), received: () => data.slice(start) };
}

/**
 * keyProven, then `parts` written in turn (5 ms apart when several); resolves with what the
 * server answered after the challenge once it stays quiet for `quietMs`.
 */
export async function provenExchange(port: number, transport: TransportSealer, parts: (proof: Buffer) => Buffer[], quietMs = 150): Promise<string> {
  const c = await keyProven(port, transport);
  try {
    for (const p of parts(c.proof)) {
      c.socket.write(p);
      await new Promise((r) => setTimeout(r, 5));
    }
    let seen = -1;
    for (const end = Date.now() + 10_000; Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = c.received().length;
      if (now > 0 && now === seen) break;
      seen = now;
    }
    return c.received();
  } finally {
    c.socket.destroy();
  }
}
