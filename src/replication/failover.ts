// A coordinated failover started by FAILOVER on a primary (redis replication.c: failoverCommand,
// updateFailoverStatus, abortFailover, and the PSYNC FAILOVER handover in syncWithMaster and
// syncCommand). The steps, as Redis 7.0 takes them:
//   1. writes are paused (as CLIENT PAUSE WRITE, for as long as the failover lasts);
//   2. waiting-for-sync: the primary waits until the chosen replica (TO host port) or any replica
//      has acknowledged its whole stream; with TIMEOUT it gives up then, unless FORCE hands over
//      to the named replica anyway;
//   3. failover-in-progress: the primary becomes a replica of that replica and asks it
//      `PSYNC <replid> <offset> FAILOVER`; the replica, seeing its own history, promotes itself
//      and answers +CONTINUE, and the pause ends (the held writes then meet a replica: READONLY).
// A refused handover turns the node back into a primary (under a new replication id).

import { holdWrites, releaseWrites } from '../commands/connection/pause.js';
import type { Replication } from './index.js';

export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

export interface FailoverRequest {
  host: string | null;
  port: number;
  /** Unix ms at which waiting ends (0: never). */
  timeoutMs: number;
  force: boolean;
}

export class Failover {
  state: FailoverState = 'no-failover';
  private targetHost: string | null = null;
  private targetPort = 0;
  private endTime = 0;
  private force = false;

  constructor(private readonly repl: Replication) {}

  get active(): boolean {
    return this.state !== 'no-failover';
  }

  start(req: FailoverRequest): void {
    const log = this.repl.server.log;
    this.targetHost = req.host;
    this.targetPort = req.port;
    this.force = req.force;
    this.endTime = req.timeoutMs > 0 ? Date.now() + req.timeoutMs : 0;
    this.state = 'waiting-for-sync';
    if (req.host !== null) log.info({ target: `${req.host}:${req.port}` }, 'FAILOVER requested');
    else log.info('FAILOVER requested to any replica');
    holdWrites(this.repl.server, 'failover');
    // Ask for acknowledgements now rather than at the replicas' next once-a-second ACK.
    this.repl.requestAcks();
  }

  /** The replication cron: has the target caught up, or has the time run out? */
  tick(): void {
    if (this.state !== 'waiting-for-sync') return;
    const repl = this.repl;
    if (this.endTime !== 0 && Date.now() >= this.endTime) {
      if (this.force && this.targetHost !== null) {
        repl.server.log.info({ target: `${this.targetHost}:${this.targetPort}` }, 'FAILOVER time out exceeded, failing over');
        return this.handOver(this.targetHost, this.targetPort);
      }
      return this.abort('Replica never caught up before timeout');
    }
    repl.flush();
    const offset = repl.offset;
    let target = null;
    for (const r of repl.primary.replicas.values()) {
      if (this.targetHost !== null ? r.ip.toLowerCase() === this.targetHost.toLowerCase() && r.port === this.targetPort : r.ackOffset === offset) {
        target = r;
        break;
      }
    }
    if (target === null || target.ackOffset !== offset) return;
    repl.server.log.info({ target: `${target.ip}:${target.port}` }, 'Failover target is synced, failing over');
    this.handOver(target.ip, target.port);
  }

  /** Becomes a replica of the target; the link sends PSYNC ... FAILOVER (link.ts). */
  private handOver(host: string, port: number): void {
    this.state = 'failover-in-progress';
    this.targetHost = host;
    this.targetPort = port;
    this.repl.becomeReplica(host, port);
    this.repl.server.config.load('replicaof', [host, String(port)]);
  }

  /** The target answered the PSYNC FAILOVER with +CONTINUE or +FULLRESYNC: done. */
  succeeded(): void {
    if (this.state !== 'failover-in-progress') return;
    this.repl.server.log.info({ master: `${this.targetHost}:${this.targetPort}` }, 'FAILOVER completed: this node is now a replica');
    this.clear();
  }

  /** FAILOVER ABORT, a timeout, or a target that refused the handover. */
  abort(reason: string): void {
    if (this.state === 'no-failover') return;
    const where = this.targetHost !== null ? `to ${this.targetHost}:${this.targetPort}` : 'to any replica';
    this.repl.server.log.warn({ reason }, `FAILOVER ${where} aborted`);
    if (this.state === 'failover-in-progress') {
      this.repl.becomeMaster();
      this.repl.server.config.load('replicaof', ['no', 'one']);
    }
    this.clear();
  }

  private clear(): void {
    this.state = 'no-failover';
    this.targetHost = null;
    this.targetPort = 0;
    this.endTime = 0;
    this.force = false;
    releaseWrites(this.repl.server, 'failover');
  }
}
