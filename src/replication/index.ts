// Replication's hold on the server (redis replication.c): the role, the replication id and
// offset, the backlog, the replicas (primary.ts), the link to a master (link.ts) and the one
// propagation hook (propagate.ts). Only ciphertext crosses a link (records.ts).
//
// Ids and offsets follow Redis's PSYNC2: a node keeps its replid and offset when it changes
// master, and a replica promoted by REPLICAOF NO ONE keeps its old master's id as replid2 up to
// the offset it had, so its former siblings continue from its backlog instead of a full copy.

import { randomBytes } from 'node:crypto';
import type { Server, Session } from '../commands/types.js';
import { Backlog } from './backlog.js';
import { Failover } from './failover.js';
import { ShutdownWait } from './shutdown-wait.js';
import { MasterLink } from './link.js';
import { nowSec, Primary } from './primary.js';
import { Propagator } from './propagate.js';
import { applyKeyRecord, command, LinkError } from './records.js';
import { swapDatabases } from '../commands/connection/swap-databases.js';
import { Errors } from '../protocol/errors.js';
import { applyLibrariesRecord } from '../commands/scripting/functions.js';

const NO_ID = '0000000000000000000000000000000000000000';

function newReplid(): string {
  return randomBytes(20).toString('hex');
}

export interface ReplicationStats {
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
}

export class Replication {
  replid = newReplid();
  replid2 = NO_ID;
  secondOffset = -1;
  backlog: Backlog | null = null;
  /** Set while this node is a replica. */
  link: MasterLink | null = null;
  readonly primary: Primary;
  readonly propagator: Propagator;
  /** FAILOVER's coordinated handover (failover.ts). */
  readonly failover: Failover;
  /** A shutdown waiting for lagging replicas (shutdown-wait.ts). */
  readonly shutdownWait: ShutdownWait;
  readonly stats: ReplicationStats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };
  /** Each client's offset after its last write (redis c->woff), for WAIT. */
  readonly writeOffsets = new WeakMap<object, number>();
  /** Clients that wrote since the last flush. */
  private readonly writers = new Set<object>();
  /** Whether replid/offset describe data this node holds (a replica may offer them in PSYNC). */
  cachedHistory = false;
  private timer: NodeJS.Timeout;
  private lastPing = 0;
  /** Unix ms since this master has had no replica (repl-backlog-ttl); 0 while it has some. */
  private noReplicasSince = 0;
  /** master_repl_offset when the backlog was last freed. */
  private freedOffset = 0;
  private ticks = 0;
  /** min-replicas-to-write and min-replicas-max-lag, kept parsed: every write checks them. */
  private minReplicas = 0;
  private minReplicasLag = 10;
  /** Told after REPLICAOF changes the role (the oom score's class: process/oom-score.ts). */
  private readonly roleListeners: (() => void)[] = [];

  constructor(readonly server: Server) {
    this.primary = new Primary(this);
    this.failover = new Failover(this);
    this.shutdownWait = new ShutdownWait(this);
    this.propagator = new Propagator(server, (bytes) => this.feed(bytes), () => this.flush());
    const readMinReplicas = () => {
      this.minReplicas = server.config.number('min-replicas-to-write');
      this.minReplicasLag = server.config.number('min-replicas-max-lag');
    };
    readMinReplicas();
    server.config.onChange((name, value) => {
      if (name === 'repl-backlog-size') this.backlog?.resize(Number(value));
      if (name.startsWith('min-replicas-')) readMinReplicas();
    });
    this.timer = setInterval(() => this.cron(), 100);
    this.timer.unref();
    const initial = server.config.get('replicaof');
    if (initial !== '') {
      const [host, port] = initial.split(' ');
      // Connected by the first cron tick, once the server listens (its port is announced).
      this.becomeReplica(host!, Number(port), false);
    }
  }

  /** Redis's checkGoodReplicasStatus: true unless a primary has fewer good replicas than min-replicas-to-write. */
  get enoughGoodReplicas(): boolean {
    if (this.minReplicas === 0 || this.minReplicasLag === 0 || this.link !== null) return true;
    return this.goodReplicas() >= this.minReplicas;
  }

  /** Replicas online whose last ACK is at most min-replicas-max-lag seconds old (redis refreshGoodSlavesCount). */
  goodReplicas(): number {
    const now = nowSec();
    let good = 0;
    for (const r of this.primary.replicas.values()) if (r.state === 'online' && now - r.ackTime <= this.minReplicasLag) good++;
    return good;
  }

  get role(): 'master' | 'slave' {
    return this.link === null ? 'master' : 'slave';
  }

  /** master_repl_offset. */
  get offset(): number {
    return this.backlog?.offset ?? this.freedOffset;
  }

  ensureBacklog(): Backlog {
    if (this.backlog === null) {
      // Offsets go on from where a freed backlog stopped (clients' WAIT offsets stay meaningful).
      this.backlog = new Backlog(this.server.config.number('repl-backlog-size'), this.freedOffset);
      this.cachedHistory = true;
    }
    if (this.role === 'master') this.propagator.setActive(true);
    return this.backlog;
  }

  /** Appends stream bytes to the backlog and sends them to the replicas. */
  feed(bytes: Buffer): void {
    if (this.backlog === null) return;
    this.backlog.append(bytes);
    this.primary.send(bytes);
  }

  /**
   * After each command (dispatch): a client whose command wrote waits for the turn's flush to
   * learn its write offset (redis c->woff, for WAIT).
   */
  afterCommand(ctx: Session): void {
    if (this.propagator.active && this.propagator.pending) this.writers.add(ctx);
  }

  /** Sends the writes signalled so far; the clients that made them learn their offset. */
  flush(): void {
    this.propagator.flush();
    if (this.writers.size === 0) return;
    const offset = this.offset;
    for (const w of this.writers) this.writeOffsets.set(w, offset);
    this.writers.clear();
  }

  /** Asks every replica for its offset (WAIT): REPLCONF GETACK * goes down the stream. */
  requestAcks(): void {
    if (this.primary.replicas.size === 0) return;
    this.flush();
    this.feed(command('REPLCONF', 'GETACK', '*'));
  }

  // ---- becoming a replica / a master ----

  /** REPLICAOF host port. */
  becomeReplica(host: string, port: number, now = true): void {
    this.link?.stop();
    this.flush();
    this.propagator.setActive(false);
    // Sub-replicas follow the new history through a new sync.
    this.primary.disconnectAll('master changed');
    this.setReplicaMode(true);
    // Clients blocked on keys here would be served by the master's writes as they are applied,
    // popping on the replica alone (redis issue #2473): Redis answers them UNBLOCKED and closes
    // them (disconnectAllBlockedClients).
    this.server.blocking.dropWhere((client) => {
      this.server.clients.get(client.id)?.closeAfterReply();
      return Errors.unblockedRoleChange;
    });
    this.link = new MasterLink(this, host, port);
    this.server.log.info({ master: `${host}:${port}` }, 'connecting to MASTER');
    for (const l of this.roleListeners) l();
    if (now) this.link.cron();
  }

  /** REPLICAOF NO ONE: keeps the data and the history (replid2), starts a new id. */
  becomeMaster(): void {
    if (this.link === null) return;
    this.link.stop();
    this.link = null;
    this.setReplicaMode(false);
    if (this.backlog !== null && this.cachedHistory) {
      this.replid2 = this.replid;
      this.secondOffset = this.backlog.offset + 1;
    }
    this.replid = newReplid();
    this.primary.disconnectAll('new replication id');
    this.ensureBacklog();
    this.server.log.info('MASTER MODE enabled');
    for (const l of this.roleListeners) l();
  }

  onRoleChange(listener: () => void): void {
    this.roleListeners.push(listener);
  }

  private setReplicaMode(on: boolean): void {
    for (const db of this.server.databases) db.replica = on;
  }

  // ---- the replica's stream ----

  /** +FULLRESYNC: the data stays (served stale meanwhile, as Redis does) until the copy loads. */
  beginFullSync(replid: string): void {
    this.primary.disconnectAll('full resynchronization with the master');
    this.replid = replid;
    this.replid2 = NO_ID;
    this.secondOffset = -1;
    this.cachedHistory = false;
  }

  endFullSync(offset: number): void {
    if (this.backlog === null) this.backlog = new Backlog(this.server.config.number('repl-backlog-size'), offset);
    else this.backlog.reset(offset);
    this.cachedHistory = true;
  }

  abortFullSync(): void {
    this.cachedHistory = false;
  }

  /** +CONTINUE [newid]: the master's id changed (it was promoted), the history goes on. */
  continued(id: string | undefined): void {
    if (id !== undefined && id !== this.replid) {
      this.replid2 = this.replid;
      this.secondOffset = this.offset + 1;
      this.replid = id;
      this.primary.disconnectAll('master replication id changed');
    }
  }

  feedFromMaster(bytes: Buffer): void {
    this.feed(bytes);
  }

  /** One record of the master's stream. */
  applyRecord(name: string, args: Buffer[]): void {
    const server = this.server;
    switch (name) {
      case 'SKV.KEY':
        return applyKeyRecord(server, args[1]!, server.clock());
      case 'SKV.FLUSH': {
        const index = Number(args[1]!.toString('latin1'));
        if (index < 0) for (const db of server.databases) db.clear();
        else server.databases[index]?.clear();
        return;
      }
      case 'SKV.SWAP':
        return swapDatabases(server, Number(args[1]!.toString('latin1')), Number(args[2]!.toString('latin1')));
      case 'SKV.FUNCS':
        if (!applyLibrariesRecord(server, args[1]!)) throw new LinkError('bad SKV.FUNCS on the replication stream');
        return;
      case 'SKV.ROTATE':
        // The master started a key rotation: this node rotates its own data key too (the
        // stream's records are sealed under the transport key and need no rotation of theirs).
        server.rotation.start();
        return;
      case 'PING':
      case 'REPLCONF':
        return;
      default:
        throw new LinkError(`unknown record ${name.slice(0, 32)} on the replication stream`);
    }
  }

  /** After a batch of records: clients blocked on keys the master wrote are served. */
  afterApply(): void {
    const blocking = this.server.blocking;
    if (blocking.hasReady) blocking.serveReady();
  }

  // ---- the cron (replicationCron) ----

  private cron(): void {
    this.ticks++;
    // A failover checks its target every tick (Redis: once a second, in replicationCron).
    this.failover.tick();
    // A waiting shutdown checks its replicas every tick too (Redis: in serverCron).
    this.shutdownWait.tick();
    if (this.ticks % 10 !== 0) return;
    this.link?.cron();
    this.expireBacklog();
    // No PING while a failover waits: the offset must stand still for the target to reach it.
    if (this.role === 'master' && this.primary.replicas.size > 0 && !this.failover.active) {
      const period = this.server.config.number('repl-ping-replica-period') * 1000;
      const now = Date.now();
      if (now - this.lastPing >= period) {
        this.lastPing = now;
        this.flush();
        this.feed(command('PING'));
      }
    }
  }

  /**
   * repl-backlog-ttl (redis replicationCron): a master without replicas for that long frees its
   * backlog and stops propagating (writes then cost nothing extra), under a new replication id
   * so that no replica can continue into the gap.
   */
  private expireBacklog(): void {
    if (this.role !== 'master' || this.backlog === null || this.primary.replicas.size > 0) {
      this.noReplicasSince = 0;
      return;
    }
    const ttl = this.server.config.number('repl-backlog-ttl');
    if (ttl === 0) return;
    const now = Date.now();
    if (this.noReplicasSince === 0) this.noReplicasSince = now;
    if (now - this.noReplicasSince < ttl * 1000) return;
    this.flush();
    this.propagator.setActive(false);
    this.freedOffset = this.backlog.offset;
    this.backlog = null;
    this.replid = newReplid();
    this.replid2 = NO_ID;
    this.secondOffset = -1;
    this.noReplicasSince = 0;
    this.server.log.info({ ttl }, 'replication backlog freed after repl-backlog-ttl without replicas');
  }

  stop(): void {
    clearInterval(this.timer);
    this.link?.stop();
  }

  // ---- INFO, ROLE ----

  infoLines(): [string, string | number][] {
    const config = this.server.config;
    const out: [string, string | number][] = [['role', this.role]];
    const link = this.link;
    if (link !== null) {
      const up = link.state === 'connected';
      out.push(
        ['master_host', link.host],
        ['master_port', link.port],
        ['master_link_status', up ? 'up' : 'down'],
        ['master_last_io_seconds_ago', link.state === 'connect' ? -1 : Math.floor((Date.now() - link.lastIo) / 1000)],
        ['master_sync_in_progress', link.state === 'sync' ? 1 : 0],
        ['slave_read_repl_offset', this.cachedHistory ? this.offset : 1],
        ['slave_repl_offset', this.cachedHistory ? this.offset : 1],
      );
      if (link.state === 'sync') {
        // The copy's size is not known up front (Redis's diskless transfer reports it as -1 too).
        out.push(
          ['master_sync_total_bytes', -1],
          ['master_sync_read_bytes', link.syncBytes],
          ['master_sync_left_bytes', -1 - link.syncBytes],
          ['master_sync_perc', '0.00'],
          ['master_sync_last_io_seconds_ago', Math.floor((Date.now() - link.lastIo) / 1000)],
        );
      }
      if (!up) out.push(['master_link_down_since_seconds', link.downSince === 0 ? -1 : Math.floor((Date.now() - link.downSince) / 1000)]);
      out.push(
        ['slave_priority', config.number('replica-priority')],
        ['slave_read_only', config.flag('replica-read-only') ? 1 : 0],
        ['replica_announced', config.flag('replica-announced') ? 1 : 0],
      );
    }
    out.push(['connected_slaves', this.primary.replicas.size]);
    if (this.minReplicas > 0 && this.minReplicasLag > 0) out.push(['min_slaves_good_slaves', this.goodReplicas()]);
    let i = 0;
    const now = nowSec();
    for (const r of this.primary.replicas.values()) {
      const lag = r.state === 'online' ? now - r.ackTime : 0;
      out.push([`slave${i++}`, `ip=${r.ip},port=${r.port},state=${r.state},offset=${r.ackOffset},lag=${lag}`]);
    }
    const b = this.backlog;
    out.push(
      ['master_failover_state', this.failover.state],
      ['master_replid', this.replid],
      ['master_replid2', this.replid2],
      ['master_repl_offset', this.offset],
      ['second_repl_offset', this.secondOffset],
      ['repl_backlog_active', b !== null ? 1 : 0],
      ['repl_backlog_size', config.number('repl-backlog-size')],
      ['repl_backlog_first_byte_offset', b !== null ? b.firstOffset : 0],
      ['repl_backlog_histlen', b !== null ? b.histlen : 0],
    );
    return out;
  }
}

const INSTALLED = new WeakMap<Server, Replication>();
/**
 * The last server asked about and its replication: the dispatcher asks up to five times per
 * command (every server installs one), a WeakMap lookup each time. Only installReplication()
 * adds to INSTALLED, and it updates this too.
 */
let lastServer: Server | null = null;
let lastRepl: Replication | undefined;

function installed(server: Server): Replication | undefined {
  if (server === lastServer) return lastRepl;
  lastRepl = INSTALLED.get(server);
  lastServer = server;
  return lastRepl;
}

export function installReplication(server: Server): Replication {
  const repl = new Replication(server);
  INSTALLED.set(server, repl);
  if (server === lastServer) lastRepl = repl;
  return repl;
}

export function replicationOf(server: Server): Replication {
  const repl = INSTALLED.get(server);
  if (repl === undefined) throw new Error('replication not installed');
  return repl;
}

export function replicationIfAny(server: Server): Replication | undefined {
  return installed(server);
}

/**
 * INFO connected_clients as Redis counts it: replica connections are left out, and a replica's
 * link to its master, once synced, is counted (Redis keeps it as a client).
 */
export function connectedClients(server: Server): number {
  const repl = installed(server);
  if (repl === undefined) return server.clients.size;
  return server.clients.size - repl.primary.replicas.size + (repl.link?.state === 'connected' ? 1 : 0);
}

/** Whether this server is a replica (has a link to a primary, in whatever state): the dispatcher's stale and loading checks apply only then. */
export function isReplica(server: Server): boolean {
  const repl = installed(server);
  return repl !== undefined && repl.link !== null;
}

/**
 * Why a write is refused for replication's sake, or null (redis processCommand, in its order):
 * a primary short of min-replicas-to-write good replicas answers NOREPLICAS, a read-only
 * replica READONLY. The master's own records never come through a command.
 */
export function replicationRefusal(ctx: { server: Server }): string | null {
  const repl = installed(ctx.server);
  if (repl === undefined) return null;
  if (repl.link !== null) return ctx.server.config.flag('replica-read-only') ? Errors.readonlyReplica : null;
  return repl.enoughGoodReplicas ? null : Errors.noReplicas;
}

/**
 * A replica that must not serve its data now (redis processCommand's MASTERDOWN case): it has a
 * primary, its link is not up (connecting, handshaking, loading a full copy, or broken), and
 * replica-serve-stale-data is no. Only commands flagged `stale` (INFO, REPLICAOF, ...) run then.
 */
export function staleReplica(server: Server): boolean {
  const repl = installed(server);
  if (repl === undefined || repl.link === null || repl.link.state === 'connected') return false;
  return !server.config.flag('replica-serve-stale-data');
}

/** A replica loading its full copy (link.ts, sliced): commands without the `loading` flag get LOADING. */
export function loadingNow(server: Server): boolean {
  return installed(server)?.link?.loading === true;
}
