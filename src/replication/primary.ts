// The primary's side (redis replication.c: syncCommand, masterTryPartialResynchronization,
// replicationFeedSlaves, replconfCommand, waitCommand): the replicas connected to this node,
// their state and acknowledged offsets, the full copy streamed to a new replica, the partial
// resync from the backlog, and WAIT.
//
// A full copy walks the databases a slice per event-loop turn, sending each key's record
// (records.ts) while the server keeps serving; writes made meanwhile are held for that replica
// and sent after the copy. Records state what a key is, so a key copied and then written, or
// written and then copied, ends the same on the replica once the held writes are applied.

import type { Session } from '../commands/types.js';
import type { Keyspace } from '../store/keyspace.js';
import { KeyWalk } from '../store/keyspace.js';
import { command, keyRecord } from './records.js';
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
  /** Stream bytes held while the full copy runs. */
  held: Buffer[] | null;
}

/** What a connection said in REPLCONF before PSYNC. */
export interface ReplicaHello {
  port: number;
  /** The replica proved it holds our master key (REPLCONF sealkv-key). */
  keyOk: boolean;
}

/** Work per turn of a full copy, whichever limit comes first, and the socket backlog it waits under. */
const COPY_KEYS = 1000;
const COPY_MS = 4;
const COPY_UNSENT_MAX = 8 * 1024 * 1024;

interface WaitRequest {
  ctx: Session;
  offset: number;
  want: number;
  done: (n: number) => void;
  timer: NodeJS.Timeout | null;
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
    if (h === undefined) this.hellos.set(ctx, (h = { port: 0, keyOk: false }));
    return h;
  }

  /** Sends stream bytes to every replica (held for those still taking their full copy). */
  send(bytes: Buffer): void {
    for (const r of this.replicas.values()) {
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
    const ip = ipOf(ctx.addr);
    const conn: ReplicaConn = { ctx, ip, port: hello.port, state: 'online', ackOffset: 0, ackTime: nowSec(), held: null };
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
    conn.held = [];
    this.replicas.set(ctx.id, conn);
    const start = backlog.offset;
    ctx.reply.raw(Buffer.from(`+FULLRESYNC ${repl.replid} ${start}\r\n`, 'latin1'));
    repl.server.log.info({ replica: `${ip}:${hello.port}`, offset: start }, 'full resynchronization: streaming a copy');
    setImmediate(() => void this.fullCopy(conn));
  }

  /** Walks every database, sending each key's record, then the held stream. */
  private async fullCopy(conn: ReplicaConn): Promise<void> {
    const server = this.repl.server;
    const swaps = this.repl.propagator.swaps;
    conn.state = 'send_bulk';
    let sent = 0;
    const dbs: Keyspace[] = [...server.databases];
    for (const db of dbs) {
      const walk: KeyWalk = db.walk();
      for (;;) {
        if (conn.ctx.closed || !this.replicas.has(conn.ctx.id)) return;
        if (this.repl.propagator.swaps !== swaps) {
          // SWAPDB moved databases under the walk: start over with a new full copy.
          conn.ctx.kill();
          return;
        }
        const deadline = performance.now() + COPY_MS;
        const index = server.databases.indexOf(db);
        const parts: Buffer[] = [];
        let key: string | undefined;
        for (let n = 0; n < COPY_KEYS && performance.now() < deadline; n++) {
          key = walk.next();
          if (key === undefined) break;
          const rec = keyRecord(server, index, db, key);
          if (rec !== null) {
            parts.push(rec);
            sent++;
          }
        }
        if (parts.length > 0) {
          conn.ctx.reply.raw(Buffer.concat(parts));
          conn.ctx.wake();
        }
        if (key === undefined) break;
        await pause(conn);
      }
    }
    if (conn.ctx.closed) return;
    conn.ctx.reply.raw(command('SKV.SYNCED', String(sent)));
    const held = conn.held ?? [];
    conn.held = null;
    for (const b of held) conn.ctx.reply.raw(b);
    conn.state = 'online';
    conn.ackTime = nowSec();
    conn.ctx.wake();
    server.log.info({ replica: `${conn.ip}:${conn.port}`, records: sent }, 'full copy sent; replica online');
  }

  /** REPLCONF ACK <offset>. */
  ack(ctx: Session, offset: number): void {
    const r = this.replicas.get(ctx.id);
    if (r === undefined) return;
    if (offset > r.ackOffset) r.ackOffset = offset;
    r.ackTime = nowSec();
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

  /** WAIT: resolves with the number of replicas that acknowledged `offset`, once `want` did or at the timeout. */
  wait(ctx: Session, offset: number, want: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const req: WaitRequest = { ctx, offset, want, timer: null, done: () => {} };
      const onClose = (): void => finish(0);
      const finish = (n: number): void => {
        if (req.timer !== null) clearTimeout(req.timer);
        ctx.closedSignal.removeEventListener('abort', onClose);
        this.waits = this.waits.filter((w) => w !== req);
        resolve(n);
      };
      req.done = finish;
      if (timeoutMs > 0) req.timer = setTimeout(() => finish(this.countAcked(offset)), timeoutMs);
      ctx.closedSignal.addEventListener('abort', onClose, { once: true });
      this.waits.push(req);
      this.repl.requestAcks();
    });
  }

  private checkWaits(): void {
    for (const w of [...this.waits]) {
      const n = this.countAcked(w.offset);
      if (n >= w.want) w.done(n);
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
