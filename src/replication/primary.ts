// The primary's side (redis replication.c: syncCommand, masterTryPartialResynchronization,
// replicationFeedSlaves, replconfCommand, waitCommand): the replicas connected to this node,
// their state and acknowledged offsets, the full copy streamed to a new replica, the partial
// resync from the backlog, and WAIT.
//
// A full copy is the sealed snapshot stream (src/persistence/snapshot.ts), produced a slice per
// event-loop turn while the server keeps serving; writes made after the snapshot's consistent
// point are held for that replica and sent after it.

import type { Session } from '../commands/types.js';
import { snapshotChunks } from '../persistence/snapshot.js';
import { command } from './records.js';
import { librariesRecord } from '../commands/scripting/functions.js';
import type { Replication } from './index.js';

export type ReplicaState = 'wait_bgsave' | 'send_bulk' | 'online';

export interface ReplicaConn {
  readonly ctx: Session;
  readonly ip: string;
  port: number;
  state: ReplicaState;
  ackOffset: number;
  /** Unix seconds of the last REPLCONF ACK (INFO lag=). */
  ackTime: number;
  /** Milliseconds (performance.now) of the last REPLCONF ACK: which replicas WAIT's grace waits for. */
  ackAtMs: number;
  /** Stream bytes held while the full copy runs. */
  held: Buffer[] | null;
}

/** What a connection said in REPLCONF before PSYNC. */
export interface ReplicaHello {
  port: number;
  /** REPLCONF ip-address (replica-announce-ip), else the peer's address is shown. */
  ip: string;
  /** The replica proved it holds our master key (REPLCONF sealkv-key). */
  keyOk: boolean;
}

/** Unsent bytes a full copy lets pile up on the replica's socket before it waits. */
const COPY_UNSENT_MAX = 8 * 1024 * 1024;

/**
 * WAIT n answers once n replicas acknowledged and, for up to this long after, once every other
 * live replica did too. Sentinel promotes whichever replica its last INFO showed furthest ahead,
 * which may be one that had not acknowledged yet; with the grace a write WAIT acknowledged is on
 * every live replica, so it survives whichever is promoted (README, Durability and failover).
 */
export const WAIT_GRACE_MS = 1000;
/** A replica silent for longer than this is not waited for (replicas ack every second). */
const LIVE_ACK_MS = 1500;

interface WaitRequest {
  ctx: Session;
  offset: number;
  want: number;
  done: (n: number) => void;
  timer: NodeJS.Timeout | null;
  grace: NodeJS.Timeout | null;
}

export class Primary {
  readonly replicas = new Map<number, ReplicaConn>();
  readonly hellos = new WeakMap<Session, ReplicaHello>();
  private waits: WaitRequest[] = [];

  constructor(private readonly repl: Replication) {}

  isReplica(ctx: { id: number }): boolean {
    return this.replicas.has(ctx.id);
  }

  hello(ctx: Session): ReplicaHello {
    let h = this.hellos.get(ctx);
    if (h === undefined) this.hellos.set(ctx, (h = { port: 0, ip: '', keyOk: false }));
    return h;
  }

  /** Sends stream bytes to every replica (held for those still taking their full copy). */
  send(bytes: Buffer): void {
    for (const r of this.replicas.values()) {
      // Before the snapshot's point its writes are in the snapshot itself.
      if (r.state !== 'online' && r.held === null) continue;
      if (r.held !== null) r.held.push(bytes);
      else {
        r.ctx.reply.raw(bytes);
        r.ctx.wake();
      }
    }
  }

  /** PSYNC replid offset: +CONTINUE from the backlog when it can, else +FULLRESYNC and a full copy. */
  psync(ctx: Session, replid: string, offset: number): void {
    const repl = this.repl;
    const hello = this.hello(ctx);
    const backlog = repl.ensureBacklog();
    const sameHistory = replid === repl.replid || (replid === repl.replid2 && offset <= repl.secondOffset);
    const ip = hello.ip !== '' ? hello.ip : ipOf(ctx.addr);
    const conn: ReplicaConn = { ctx, ip, port: hello.port, state: 'online', ackOffset: 0, ackTime: nowSec(), ackAtMs: performance.now(), held: null };
    // Its output is the replication stream: not counted for eviction, never client-evicted (redis CLIENT_SLAVE).
    ctx.replicaLink = true;
    ctx.closedSignal.addEventListener('abort', () => this.drop(ctx.id), { once: true });
    if (sameHistory && offset > 0 && backlog.covers(offset - 1)) {
      repl.stats.syncPartialOk++;
      this.replicas.set(ctx.id, conn);
      ctx.reply.raw(Buffer.from(`+CONTINUE ${repl.replid}\r\n`, 'latin1'));
      const missing = backlog.since(offset - 1);
      if (missing.length > 0) ctx.reply.raw(missing);
      repl.server.log.info({ replica: `${ip}:${hello.port}`, from: offset }, 'partial resynchronization accepted');
      return;
    }
    if (replid !== '?') repl.stats.syncPartialErr++;
    repl.stats.syncFull++;
    conn.state = 'wait_bgsave';
    this.replicas.set(ctx.id, conn);
    const start = backlog.offset;
    ctx.reply.raw(Buffer.from(`+FULLRESYNC ${repl.replid} ${start}\r\n`, 'latin1'));
    repl.server.log.info({ replica: `${ip}:${hello.port}`, offset: start }, 'full resynchronization: streaming a copy');
    setImmediate(() => void this.fullCopy(conn));
  }

  /**
   * The full copy is the sealed snapshot stream (src/persistence/snapshot.ts), each chunk sent
   * as an SKV.SNAP record while the server keeps serving. The snapshot is consistent at its end
   * point: atPoint() records the stream offset there, and what was written after it is held and
   * sent after SKV.SYNCED <offset>, from which the replica counts.
   */
  private async fullCopy(conn: ReplicaConn): Promise<void> {
    const server = this.repl.server;
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    conn.ctx.closedSignal.addEventListener('abort', onClose, { once: true });
    conn.state = 'send_bulk';
    let atOffset = -1;
    let bytes = 0;
    try {
      const chunks = snapshotChunks(server, {
        signal: abort.signal,
        atPoint: () => {
          // Everything written before this point is in the snapshot; what follows is held.
          this.repl.flush();
          atOffset = this.repl.offset;
          conn.held = [];
          // The libraries are not in the snapshot: the first record after its point carries them.
          this.repl.propagator.record(librariesRecord(server));
        },
      });
      for await (const chunk of chunks) {
        if (conn.ctx.closed || !this.replicas.has(conn.ctx.id)) return;
        conn.ctx.reply.raw(command('SKV.SNAP', chunk));
        conn.ctx.wake();
        bytes += chunk.length;
        await pause(conn);
      }
    } catch (err) {
      if (!conn.ctx.closed) {
        server.log.error({ replica: `${conn.ip}:${conn.port}`, err: (err as Error).message }, 'full copy failed');
        conn.ctx.kill();
      }
      return;
    } finally {
      conn.ctx.closedSignal.removeEventListener('abort', onClose);
    }
    if (conn.ctx.closed || atOffset < 0) return;
    conn.ctx.reply.raw(command('SKV.SYNCED', String(atOffset)));
    const held = conn.held ?? [];
    conn.held = null;
    for (const b of held) conn.ctx.reply.raw(b);
    conn.state = 'online';
    conn.ackTime = nowSec();
    conn.ackAtMs = performance.now();
    conn.ctx.wake();
    server.log.info({ replica: `${conn.ip}:${conn.port}`, bytes, offset: atOffset }, 'full copy sent; replica online');
  }

  /** REPLCONF ACK <offset>. */
  ack(ctx: Session, offset: number): void {
    const r = this.replicas.get(ctx.id);
    if (r === undefined) return;
    if (offset > r.ackOffset) r.ackOffset = offset;
    r.ackTime = nowSec();
    r.ackAtMs = performance.now();
    if (this.waits.length > 0) this.checkWaits();
  }

  drop(id: number): void {
    if (!this.replicas.delete(id)) return;
    this.checkWaits();
  }

  /** Closes every replica link (this node becomes a replica itself, or changes history). */
  disconnectAll(reason: string): void {
    if (this.replicas.size > 0) this.repl.server.log.info({ replicas: this.replicas.size, reason }, 'disconnecting replicas');
    const all = [...this.replicas.values()];
    this.replicas.clear();
    for (const r of all) r.ctx.kill();
  }

  countAcked(offset: number): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  /** True when every online replica that acknowledged lately has acknowledged `offset`. */
  liveAcked(offset: number): boolean {
    const now = performance.now();
    for (const r of this.replicas.values()) {
      if (r.state === 'online' && r.ackOffset < offset && now - r.ackAtMs <= LIVE_ACK_MS) return false;
    }
    return true;
  }

  /**
   * WAIT: resolves with the number of replicas that acknowledged `offset`, once `want` did (and
   * the other live replicas did, or WAIT_GRACE_MS passed), or at the timeout.
   */
  wait(ctx: Session, offset: number, want: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const req: WaitRequest = { ctx, offset, want, timer: null, grace: null, done: () => {} };
      const onClose = (): void => finish(0);
      const finish = (n: number): void => {
        if (req.timer !== null) clearTimeout(req.timer);
        if (req.grace !== null) clearTimeout(req.grace);
        ctx.closedSignal.removeEventListener('abort', onClose);
        this.waits = this.waits.filter((w) => w !== req);
        resolve(n);
      };
      req.done = finish;
      if (timeoutMs > 0) req.timer = setTimeout(() => finish(this.countAcked(offset)), timeoutMs);
      ctx.closedSignal.addEventListener('abort', onClose, { once: true });
      this.waits.push(req);
      this.repl.requestAcks();
      this.checkWaits();
    });
  }

  private checkWaits(): void {
    for (const w of [...this.waits]) {
      const n = this.countAcked(w.offset);
      if (n < w.want) continue;
      if (this.liveAcked(w.offset)) w.done(n);
      else if (w.grace === null) w.grace = setTimeout(() => w.done(this.countAcked(w.offset)), WAIT_GRACE_MS);
    }
  }
}

function pause(conn: ReplicaConn): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (conn.ctx.closed || conn.ctx.ioStats().unsentBytes + conn.ctx.reply.size < COPY_UNSENT_MAX) resolve();
      else setTimeout(check, 5);
    };
    setImmediate(check);
  });
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** The IP of an "ip:port" address (IPv6 addresses keep their colons). */
export function ipOf(addr: string): string {
  const i = addr.lastIndexOf(':');
  return i < 0 ? addr : addr.slice(0, i);
}
