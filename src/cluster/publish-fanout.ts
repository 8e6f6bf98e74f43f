// Cluster-wide PUBLISH (redis cluster.c clusterPropagatePublish / clusterProcessPacket's PUBLISH):
// in cluster mode a PUBLISH is delivered here and forwarded to every other node of the layout,
// which delivers it to its own channel and pattern subscribers and never forwards it again.
// Redis does this over its cluster bus; sealkv has none, so each node keeps one client
// connection per peer, to the peer's client port (TLS with tls-cluster, cluster/dial.ts), opened
// on the first message and again on the first message after it dropped.
//
// On each link, in order:
//   REPLCONF sealkv-challenge key           the node proof replication uses (replication/key-proof.ts):
//   REPLCONF sealkv-key <sealed proof>      the peer's challenge answered, which logs the link in
//   REPLCONF sealkv-challenge publish       the peer answers +<32 hex>: a fresh random challenge
//   REPLCONF sealkv-publink <sealed hello>  HELLO_TAG | challenge | stream id | first sequence
//   REPLCONF sealkv-publish <sealed>        one per message, no reply:
//                                           MESSAGE_TAG | stream id | sequence | channel | message
// Everything sealed is sealed under the transport key (seal/transport.ts, as DUMP payloads), so
// no channel or message crosses the network in plaintext, even without TLS, and only a node
// holding the cluster's master key can make a frame the peer accepts. The challenge binds the
// link to this connection: a recorded link replayed on a new connection fails at the hello, and
// on a live link a frame is accepted only with a higher sequence than the one before it.
//
// Each message is sealed once (the sequence is this node's, shared by all peers) and the same
// frame is written to every peer. A peer's unsent bytes are bounded (cluster-link-sendbuf-limit,
// else QUEUE_LIMIT): beyond it, and while a peer is down, its messages are dropped and counted,
// so a dead or slow peer never holds memory without bound, the event loop, or other clients.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Server, Session } from '../commands/types.js';
import { Errors } from '../protocol/errors.js';
import { pubsubOf } from '../pubsub/registry.js';
import { command } from '../replication/records.js';
import { keyProof } from '../replication/key-proof.js';
import { dialNode } from './dial.js';
import type { ClusterNode } from './topology.js';

// The tags start with 's' (DUMP, FUNCTION DUMP and replication plaintexts start with other bytes)
// and differ from each other and from KEY_CHECK, so no sealed blob is accepted as another kind.
const HELLO_TAG = Buffer.from('sealkv publish hello v1\0', 'latin1');
const MESSAGE_TAG = Buffer.from('sealkv publish message v1\0', 'latin1');
const ID_BYTES = 16;
const SEQ_BYTES = 8;
/** A peer's unsent bytes when cluster-link-sendbuf-limit is 0 (Redis: no limit). */
export const QUEUE_LIMIT = 8 * 1024 * 1024;
/** A batch this large is written at once rather than at the end of the round. */
const FLUSH_BYTES = 64 * 1024;
/** At most one drop warning per peer this often, with the count since the last one. */
const DROP_LOG_MS = 10_000;
/** After a failed connection, messages for that peer are dropped this long before the next try. */
const RETRY_MS = 1000;

type LinkState = 'idle' | 'connecting' | 'ready' | 'down';

interface Frame {
  bytes: Buffer;
  seq: number;
}

/** Counters for CLUSTER INFO and INFO sealkv. */
export interface FanoutStats {
  /** Messages written to a peer's link. */
  sent: number;
  /** Messages for a peer that was down or too far behind. */
  dropped: number;
  /** Messages received from peers and delivered here. */
  received: number;
  /** Frames refused (bad seal, no link, replayed sequence). */
  refused: number;
  /** Times a peer's unsent bytes reached the limit (total_cluster_links_buffer_limit_exceeded). */
  limitExceeded: number;
}

class PeerLink {
  state: LinkState = 'idle';
  private socket: Socket | null = null;
  /** Frames waiting for the handshake to finish. */
  private waiting: Frame[] = [];
  private waitingBytes = 0;
  private replies = '';
  private handshakeTimer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  /** Unix ms the link was opened (CLUSTER LINKS create-time). */
  createdAt = 0;
  /** Messages dropped since the last drop warning (one per DROP_LOG_MS at most). */
  private droppedUnlogged = 0;
  private dropLoggedAt = -Infinity;
  /** The outage was logged: one line per outage, not one per retry. */
  private downLogged = false;
  /** Handshake replies received on the current connection. */
  private step = 0;
  /** Frames of this turn not yet written: joined into one write at the turn's end. */
  private batch: Buffer[] = [];
  private batchBytes = 0;

  constructor(
    private readonly fanout: PublishFanout,
    readonly node: ClusterNode,
  ) {}

  /** Bytes not yet handed to the kernel: waiting frames, this turn's batch and the socket's own buffer. */
  get pendingBytes(): number {
    return this.waitingBytes + this.batchBytes + (this.socket?.writableLength ?? 0);
  }

  send(frame: Frame): void {
    const f = this.fanout;
    if (this.state === 'down') {
      if (Date.now() < this.retryAt) return this.drop();
      this.state = 'idle';
    }
    if (this.pendingBytes + frame.bytes.length > f.limit()) {
      f.stats.limitExceeded++;
      return this.drop();
    }
    if (this.state === 'idle') this.connect();
    if (this.state === 'connecting') {
      this.waiting.push(frame);
      this.waitingBytes += frame.bytes.length;
      return;
    }
    if (this.state === 'ready') this.write(frame.bytes);
    else this.drop();
  }

  private drop(): void {
    this.fanout.stats.dropped++;
    this.droppedUnlogged++;
    const now = Date.now();
    if (now - this.dropLoggedAt < DROP_LOG_MS) return;
    this.dropLoggedAt = now;
    this.fanout.server.log.warn(
      { peer: this.node.id, address: `${this.node.host}:${this.node.port}`, dropped: this.droppedUnlogged, state: this.state },
      'dropping PUBLISH messages for a cluster peer that is down or too far behind',
    );
    this.droppedUnlogged = 0;
  }

  /**
   * Adds a frame to this turn's batch, written as one buffer once the event loop has run every
   * client's commands of this round: a write per frame (even corked, as one writev), or per
   * client read, cost a third of a pipelined PUBLISH's time.
   */
  private write(bytes: Buffer): void {
    if (this.batch.length === 0) setImmediate(() => this.flush());
    this.batch.push(bytes);
    this.batchBytes += bytes.length;
    // A long pipeline's round would otherwise hold its whole batch here, counted against the limit.
    if (this.batchBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (this.socket === null || batch.length === 0) return;
    this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    this.fanout.stats.sent += batch.length;
  }

  private connect(): void {
    const server = this.fanout.server;
    this.state = 'connecting';
    this.replies = '';
    this.createdAt = Date.now();
    let socket: Socket;
    try {
      socket = dialNode(server, this.node.host, this.node.port, () => {
        if (this.socket !== socket) return;
        socket.write(command('REPLCONF', 'sealkv-challenge', 'key'));
      });
    } catch (err) {
      return this.fail(`cannot connect: ${(err as Error).message}`);
    }
    this.socket = socket;
    socket.setKeepAlive(true, 10_000);
    socket.on('data', (chunk: Buffer) => this.onReplies(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(`link error ${err.code ?? err.message}`, socket));
    socket.on('close', () => this.fail('connection lost', socket));
    this.handshakeTimer = setTimeout(() => this.fail('timeout connecting', socket), Math.max(1000, server.config.number('cluster-node-timeout')));
  }

  /** The peer's replies: four lines during the handshake, none afterwards. */
  private onReplies(socket: Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    // Replies are short status lines; a peer that sends more is broken.
    this.replies += chunk.toString('latin1');
    if (this.replies.length > 4096) return this.fail('unexpected data from the peer', socket);
    let nl: number;
    while ((nl = this.replies.indexOf('\r\n')) >= 0) {
      const line = this.replies.slice(0, nl);
      this.replies = this.replies.slice(nl + 2);
      if (!this.onReply(socket, line)) return;
    }
  }

  /** One reply line; false once the link has failed. */
  private onReply(socket: Socket, line: string): boolean {
    const step = this.state === 'connecting' ? this.step++ : -1;
    if (step === 0) {
      const proof = keyProof(this.fanout.server.transport, line);
      if (proof !== null) {
        socket.write(Buffer.concat([command('REPLCONF', 'sealkv-key', proof), command('REPLCONF', 'sealkv-challenge', 'publish')]));
        return true;
      }
    }
    if (step === 1 && line === '+OK') return true;
    if (step === 2 && /^\+[0-9a-f]{32}$/.test(line)) {
      const challenge = Buffer.from(line.slice(1), 'hex');
      const first = this.waiting[0]?.seq ?? this.fanout.nextSeq;
      socket.write(command('REPLCONF', 'sealkv-publink', this.fanout.sealHello(challenge, first)));
      return true;
    }
    if (step === 3 && line === '+OK') {
      this.ready();
      return true;
    }
    this.fail(line.startsWith('-') ? `refused: ${line.slice(1, 200)}` : 'unexpected reply', socket);
    return false;
  }

  private ready(): void {
    clearTimeout(this.handshakeTimer!);
    this.handshakeTimer = null;
    this.state = 'ready';
    const log = this.fanout.server.log;
    log.info({ peer: this.node.id, address: `${this.node.host}:${this.node.port}` }, 'PUBLISH link to cluster peer ready');
    this.downLogged = false;
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const f of waiting) this.write(f.bytes);
  }

  private fail(reason: string, socket: Socket | null = this.socket): void {
    if (socket !== this.socket) return;
    const wasReady = this.state === 'ready';
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.socket?.destroy();
    this.socket = null;
    this.step = 0;
    for (let i = 0; i < this.waiting.length + this.batch.length; i++) this.drop();
    this.waiting = [];
    this.waitingBytes = 0;
    this.batch = [];
    this.batchBytes = 0;
    if (this.fanout.stopped) return;
    if (wasReady && reason === 'connection lost') {
      // A link that closed after working (the peer's client timeout, a restart): the next message opens it again.
      this.state = 'idle';
      return;
    }
    this.state = 'down';
    this.retryAt = Date.now() + RETRY_MS;
    if (this.downLogged) return;
    this.downLogged = true;
    this.fanout.server.log.warn({ peer: this.node.id, address: `${this.node.host}:${this.node.port}`, reason }, 'PUBLISH link to cluster peer down');
  }

  stop(): void {
    this.socket?.destroy();
    this.socket = null;
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
  }
}

export class PublishFanout {
  readonly stats: FanoutStats = { sent: 0, dropped: 0, received: 0, refused: 0, limitExceeded: 0 };
  readonly links: PeerLink[];
  /** This node's stream: a random id per process and the next message's sequence number. */
  private readonly streamId = randomBytes(ID_BYTES);
  nextSeq = 1;
  stopped = false;

  constructor(
    readonly server: Server,
    nodes: readonly ClusterNode[],
    self: number,
  ) {
    this.links = nodes.filter((_, i) => i !== self).map((n) => new PeerLink(this, n));
  }

  limit(): number {
    return this.server.config.number('cluster-link-sendbuf-limit') || QUEUE_LIMIT;
  }

  /** Seals the message once and sends it to every peer. */
  forward(channel: Uint8Array, message: Uint8Array): void {
    if (this.links.length === 0) return;
    const seq = this.nextSeq++;
    const plain = Buffer.allocUnsafeSlow(MESSAGE_TAG.length + ID_BYTES + SEQ_BYTES + 4 + channel.length + message.length);
    let sealed: Buffer;
    try {
      let at = MESSAGE_TAG.copy(plain, 0);
      at += this.streamId.copy(plain, at);
      at = writeSeq(plain, at, seq);
      at = plain.writeUInt32BE(channel.length, at);
      plain.set(channel, at);
      plain.set(message, at + channel.length);
      sealed = this.server.transport.seal(plain);
    } finally {
      plain.fill(0);
    }
    const frame = { bytes: command('REPLCONF', 'sealkv-publish', sealed), seq };
    for (const link of this.links) link.send(frame);
  }

  sealHello(challenge: Buffer, firstSeq: number): Buffer {
    const plain = Buffer.alloc(HELLO_TAG.length + challenge.length + ID_BYTES + SEQ_BYTES);
    let at = HELLO_TAG.copy(plain, 0);
    at += challenge.copy(plain, at);
    at += this.streamId.copy(plain, at);
    writeSeq(plain, at, firstSeq);
    return this.server.transport.seal(plain);
  }

  stop(): void {
    this.stopped = true;
    for (const link of this.links) link.stop();
  }
}

function writeSeq(buf: Buffer, at: number, seq: number): number {
  buf.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), at);
  buf.writeUInt32BE(seq >>> 0, at + 4);
  return at + SEQ_BYTES;
}

function readSeq(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

const fanouts = new WeakMap<Server, PublishFanout>();

/** The fan-out of a node in cluster mode (made on first use), or null when not in cluster mode. */
export function publishFanoutOf(server: Server): PublishFanout | null {
  const t = server.cluster;
  if (t === null) return null;
  let f = fanouts.get(server);
  if (f === undefined) fanouts.set(server, (f = new PublishFanout(server, t.nodes, t.self)));
  return f;
}

export function publishFanoutIfAny(server: Server): PublishFanout | undefined {
  return fanouts.get(server);
}

// ---- the receiving side: a peer's link, as REPLCONF options (commands/replication) ----

/** Per connection: the challenge given, then the peer's stream and the lowest sequence still accepted. */
interface InboundLink {
  challenge: Buffer | null;
  stream: Buffer | null;
  next: number;
}

const inbound = new WeakMap<Session, InboundLink>();

export const FANOUT_OPTIONS = new Set(['sealkv-challenge', 'sealkv-publink', 'sealkv-publish']);

/**
 * REPLCONF sealkv-challenge | sealkv-publink | sealkv-publish on a connection; `proven` says
 * whether it proved the master key (REPLCONF sealkv-key) first. Replies only to the first two;
 * a frame refused closes the connection after its error (the peer opens a new link).
 */
export function receiveFanout(ctx: Session, option: string, value: Buffer, proven: boolean): void {
  const server = ctx.server;
  const fanout = publishFanoutOf(server);
  if (fanout === null || !proven) return refuse(ctx, Errors.publishLinkUnproven, 'a PUBLISH link that did not prove the master key (or a node not in cluster mode)');
  if (option === 'sealkv-challenge') {
    const challenge = randomBytes(ID_BYTES);
    inbound.set(ctx, { challenge, stream: null, next: 0 });
    return ctx.reply.simple(challenge.toString('hex'));
  }
  const link = inbound.get(ctx);
  const plain = server.transport.open(value);
  try {
    if (option === 'sealkv-publink') {
      const at = HELLO_TAG.length;
      if (link?.challenge == null || plain === null || plain.length !== at + ID_BYTES * 2 + SEQ_BYTES
        || !plain.subarray(0, at).equals(HELLO_TAG) || !plain.subarray(at, at + ID_BYTES).equals(link.challenge)) {
        return refuse(ctx, Errors.publishLinkRefused, 'a PUBLISH link hello that is not for this connection');
      }
      link.challenge = null;
      link.stream = Buffer.from(plain.subarray(at + ID_BYTES, at + ID_BYTES * 2));
      link.next = readSeq(plain, at + ID_BYTES * 2);
      return ctx.reply.ok();
    }
    // sealkv-publish
    const head = MESSAGE_TAG.length + ID_BYTES + SEQ_BYTES + 4;
    if (link?.stream == null || plain === null || plain.length < head || !plain.subarray(0, MESSAGE_TAG.length).equals(MESSAGE_TAG)
      || !plain.subarray(MESSAGE_TAG.length, MESSAGE_TAG.length + ID_BYTES).equals(link.stream)) {
      return refuse(ctx, Errors.publishLinkRefused, 'a forwarded PUBLISH that is not sealed for this link');
    }
    const seq = readSeq(plain, MESSAGE_TAG.length + ID_BYTES);
    const channelLength = plain.readUInt32BE(head - 4);
    if (seq < link.next || head + channelLength > plain.length) {
      return refuse(ctx, Errors.publishLinkRefused, 'a forwarded PUBLISH replayed or out of order');
    }
    link.next = seq + 1;
    fanout.stats.received++;
    // Delivered here only: keyspace notifications, replication and the fan-out do not see it.
    pubsubOf(server).publish(plain.subarray(head, head + channelLength), plain.subarray(head + channelLength), false);
  } finally {
    plain?.fill(0);
  }
}

function refuse(ctx: Session, error: string, what: string): void {
  const fanout = publishFanoutIfAny(ctx.server);
  if (fanout !== undefined) fanout.stats.refused++;
  ctx.server.log.warn({ client: ctx.addr }, `refused ${what}`);
  ctx.reply.error(error);
  ctx.closeAfterReply();
}
