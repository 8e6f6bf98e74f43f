// Listeners, the client registry, the periodic cron (active expiry, idle timeouts) and
// shutdown. startServer() is what main.ts and the tests both call.

import { CollectionPacker } from '../seal/packing.js';
import { installPubSub } from '../pubsub/index.js';
import { installReplication, replicationIfAny } from '../replication/index.js';
import { randomBytes } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { buildCatalogue } from '../acl/catalogue.js';
import { AdminServer, planAdmin } from '../admin/http.js';
import { AclStore } from '../acl/store.js';
import { Client } from './client.js';
import { FAMILIES } from '../commands/index.js';
import { preloadScripting } from '../commands/scripting/scripting.js';
import { Registry } from '../commands/registry.js';
import type { Server, ShutdownFlags } from '../commands/types.js';
import { Config } from '../config.js';
import { openLog, setLogLevel, type LogFormat, type Logger } from '../log.js';
import { inDir } from '../util/in-dir.js';
import { whenSettleFails } from '../commands/values/turn-end.js';
import { settleTurnOpens } from '../commands/zsets/zset-turn-opens.js';
import { settleHeldHash } from '../store/types/hash-fields.js';
import { Errors } from '../protocol/errors.js';
import { ClientEviction } from './client-eviction.js';
import { OutputLimit } from './output-limit.js';
import { Observer } from '../observe/observer.js';
import { isLoopback, isUnixSocket, markUnixSocket, parseBindList, peerAddress } from './address.js';
import type { BackendChoice } from '../seal/backends.js';
import { PlainKeyNames, SealedKeyNames, type KeyNames } from '../seal/key-names.js';
import { Keyring, Subkey } from '../seal/keyring.js';
import { TransportSealer } from '../seal/transport.js';
import { BlockingTable } from '../blocking/waiters.js';
import { readLayout, type SelfHint } from '../cluster/layout-file.js';
import type { Topology } from '../cluster/topology.js';
import { publishFanoutIfAny } from '../cluster/publish-fanout.js';
import { createNameHasher, type NameHasher } from '../seal/name-hash.js';
import { Rotation } from '../seal/rotation.js';
import { Sealer } from '../seal/sealer.js';
import { SealedValues } from '../seal/values.js';
import { SealWorkers } from '../seal/seal-workers.js';
import { Stats } from '../stats.js';
import { OomScore } from '../process/oom-score.js';
import { setProcTitle } from '../process/proc-title.js';
import { createTlsListener, loadTls, type TlsSetup } from './tls.js';
import { listenUnix, ListenError, openFilesLimit, RESERVED_FDS } from './listen.js';
import { ListenerSet, planListeners, type ListenerKind } from './listener-set.js';
import { notifyReady, notifyStopping, wantsSystemdNotify } from './systemd.js';
import { ReadBuffer, wipeEachChunk } from './read-buffer.js';
import { SpillManager } from '../spill/manager.js';
import { freeBytes, lockSpillDir } from '../spill/tmpfs.js';
import { SpillAhead } from '../spill/ahead.js';
import { AccessClock } from '../store/access.js';
import { Persistence } from '../persistence/persistence.js';
import { lockSnapshotFile } from '../persistence/snapshot-file.js';
import type { DirLock } from '../util/dir-lock.js';
import { Keyspace } from '../store/keyspace.js';
import { RecordArena } from '../store/record-arena.js';
import { MemoryGuard, type Policy } from '../store/memory.js';
import { VERSION } from '../version.js';
import { noteStartupMemory } from '../observe/memory-sample.js';
import { ActiveExpiry } from '../store/active-expire.js';
import { IdleCollector } from '../observe/idle-collect.js';

export interface StartOptions {
  /** Injected clock (unix ms) so expiry tests can move time instead of sleeping. */
  clock?: () => number;
  log?: Logger;
  /** The config file the settings came from, if any (INFO config_file, CONFIG REWRITE). */
  configFile?: string;
  /** The process is the server's: its title follows proc-title-template (main.ts). */
  procTitle?: boolean;
}

export interface RunningServer {
  readonly state: SealkvServer;
  /** Addresses actually listened on, with the port each got. */
  readonly addresses: { host: string; port: number }[];
  close(): Promise<void>;
  /** Resolves once the server has stopped, whoever stopped it (SHUTDOWN, a signal, close()). */
  readonly closed: Promise<void>;
}

/**
 * A small collection unpacked for use is packed again once untouched this long, within this
 * much of each cron tick (store/types/packed.ts): a client working on a key keeps it unpacked.
 * New small collections are packed as soon as their turn ends (Keyspace.compactFresh).
 */
const PACK_IDLE_MS = 1000;
const PACK_BUDGET_MS = 25;
/**
 * The cron's share of a running key-table rehash per tick (redis: 1 ms per database). While
 * commands run, a tick takes a short slice only: the inserts and removes move slots too, and a
 * 1 ms slice every tick was a pause that new-key SETs at pipeline 1 met as a p99.
 */
const REHASH_BUDGET_MS = 1;
const REHASH_BUSY_MS = 0.25;

export class SealkvServer implements Server {
  readonly stats = new Stats();
  readonly clients = new Map<number, Client>();
  readonly commands: Registry;
  readonly startedAt: number;
  readonly runId = randomBytes(20).toString('hex');
  readonly version = VERSION;
  tcpPort = 0;
  configFile: string | null = null;
  /** Whether the process title is this server's to set (process/proc-title.ts). */
  ownsProcessTitle = false;
  databases: Keyspace[];
  /** Where every database keeps its records (see src/store/record-arena.ts). */
  readonly arena = new RecordArena();
  readonly values: SealedValues;
  readonly sealWorkers: SealWorkers | null;
  readonly names: KeyNames;
  readonly members: NameHasher;
  /** Seals and opens DUMP/RESTORE payloads (seal/transport.ts). */
  readonly transport: TransportSealer;
  readonly blocking: BlockingTable;
  /** Set by startServer with cluster-enabled yes. */
  cluster: Topology | null = null;
  readonly memory: MemoryGuard;
  readonly spill: SpillManager | null;
  readonly acl: AclStore;
  readonly outputLimit: OutputLimit;
  readonly clientEviction: ClientEviction;
  readonly observer: Observer;
  readonly rotation: Rotation;
  /** The sealer's AEAD operation counts (the admin port's metrics). */
  readonly sealCounts: Sealer;
  /** How every database keeps key access (LRU time or LFU counter), per maxmemory-policy. */
  readonly access: AccessClock;
  /** The admin HTTP port (src/admin/), when admin-port is set. */
  admin: AdminServer | null = null;
  /** Sealed snapshots on tmpfs (src/persistence/). */
  readonly persistence: Persistence;

  /** The TCP and TLS listeners (port, tls-port, bind). */
  private readonly tcp: ListenerSet;
  private unixListener: NetServer | null = null;
  /** TLS connections accepted whose handshake is not over yet, oldest first (see admit()). */
  private readonly handshaking = new Set<Socket>();
  private readonly readBuffer = new ReadBuffer();
  private nextClientId = 1;
  private cron: NodeJS.Timeout | null = null;
  /** Active expiry: a share of each tick, and paced slices between ticks while keys expire in bulk. */
  private readonly expiry = new ActiveExpiry({
    databases: () => this.databases,
    commands: () => this.stats.totalCommands,
    clock: () => this.clock(),
    afterSlice: () => replicationIfAny(this)?.flush(),
    stopping: () => this.stopping,
    sample: (ms) => this.observer.event('expire-cycle', ms, this.clock()),
  });
  /** Collections after a burst of requests, once the server is quiet (observe/idle-collect.ts). */
  private readonly idleCollector = new IdleCollector(() => this.stats.netInputBytes);
  /** Commands run as of the last cron tick: when it moved, clients are busy. */
  private tickCommands = -1;
  private stopping = false;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    readonly config: Config,
    readonly log: Logger,
    private readonly keyring: Keyring,
    readonly clock: () => number,
  ) {
    this.startedAt = clock();
    this.tcp = new ListenerSet(log);
    this.access = new AccessClock(clock);
    this.sealCounts = new Sealer(keyring);
    this.values = new SealedValues(this.sealCounts);
    this.names = config.flag('seal-keys')
      ? new SealedKeyNames(createNameHasher(keyring.subkey(Subkey.Names), { native: keyring.secureMemory }), this.values)
      : new PlainKeyNames();
    this.blocking = new BlockingTable(clock, (clientId, ms) => this.observer.noteWait(clientId, ms));
    this.members = createNameHasher(keyring.subkey(Subkey.Members), { native: keyring.secureMemory });
    this.transport = new TransportSealer(keyring);
    this.sealWorkers = SealWorkers.create(keyring, config.number('seal-workers'), config.number('seal-worker-min-bytes'), this.log);
    whenSettleFails((err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'sealing what a turn left open failed'));
    // Sorted-set members kept open for the turn were opened under some data key: once one is retired, they must not be found.
    keyring.onRetire(settleTurnOpens);
    // So is the small hash held open for the turn (sealed under the current key first if it changed).
    keyring.onRetire(settleHeldHash);
    const memory = { maxmemory: 0, policy: 'noeviction' as Policy, samples: 5, replicaIgnores: true };
    const readMemorySettings = () => {
      memory.maxmemory = config.number('maxmemory');
      memory.replicaIgnores = config.get('replica-ignore-maxmemory') === 'yes';
      memory.policy = config.get('maxmemory-policy') as Policy;
      memory.samples = config.number('maxmemory-samples');
      this.access.lfu = memory.policy.endsWith('-lfu');
      this.access.logFactor = config.number('lfu-log-factor');
      this.access.decayTime = config.number('lfu-decay-time');
    };
    readMemorySettings();
    config.onChange((name) => {
      if (name.startsWith('maxmemory') || name.startsWith('lfu-') || name === 'replica-ignore-maxmemory') readMemorySettings();
      // Redis's updateMaxmemory: a lower limit is enforced at once, not at the next write.
      if (name === 'maxmemory') this.memory.relieve(this.databases, new Set());
    });
    this.memory = new MemoryGuard(memory, this.stats);
    const spillDir = config.get('spill-dir');
    this.spill = spillDir === ''
      ? null
      : SpillManager.open(spillDir, config.number('spill-max-bytes'), this.memory.account);
    this.memory.spiller = this.spill;
    this.databases = Array.from(
      { length: config.number('databases') },
      (_, i) => new Keyspace(i, this.stats, this.memory.account, this.names.sealed ? this.names : null, this.arena, this.access),
    );
    // Small lists, sets and sorted sets at rest are packed into one sealed blob each (seal/packing.ts).
    const packer = new CollectionPacker(this.values, this.members);
    let packing = false;
    const packFresh = () => {
      packing = false;
      for (const db of this.databases) db.compactFresh();
    };
    for (const db of this.databases) {
      db.packer = packer;
      db.onFresh = () => {
        if (packing) return;
        packing = true;
        setImmediate(packFresh);
      };
    }
    if (this.spill !== null) {
      // Cold values leave ahead of maxmemory, in slices between turns (src/spill/ahead.ts).
      new SpillAhead(this.memory, this.spill, this.databases, () => this.stopping);
      this.memory.account.setSpillMin(config.number('spill-min-value-size'), this.databases);
      config.onChange((name, value) => {
        if (name === 'spill-min-value-size') this.memory.account.setSpillMin(Number(value), this.databases);
      });
    }
    this.rotation = new Rotation(keyring, this);
    this.persistence = new Persistence(this, keyring);
    this.commands = new Registry(FAMILIES, config.renamedCommands);
    this.acl = new AclStore(config, buildCatalogue(FAMILIES));
    this.outputLimit = new OutputLimit(config);
    this.clientEviction = new ClientEviction(config, this.memory.account, () => this.clients.values(), this.stats, (c) => {
      log.info({ client: c.id, totMem: c.memoryTotal }, 'Evicting client (maxmemory-clients)');
    });
    this.observer = new Observer(config);
    installPubSub(this);
    const replication = installReplication(this);
    const oomScore = new OomScore(config, log, () => replication.link !== null);
    oomScore.applyOrLog();
    replication.onRoleChange(() => oomScore.applyOrLog());
    config.onApply(['port', 'tls-port', 'bind'], (name) => this.relisten(name));
    config.onChange((name, value) => {
      if (name === 'loglevel') setLogLevel(log, value);
      if (name === 'hz') this.startCron();
      if (name === 'proc-title-template') setProcTitle(this);
      if (name === 'oom-score-adj-values') oomScore.warnIfUnordered();
      if (name === 'oom-score-adj' || name === 'oom-score-adj-values') oomScore.apply();
      if (Config.spec(name)?.applied === false) log.warn({ setting: name }, 'setting accepted but sealkv does not act on it');
    });
  }

  get keySource(): string {
    return this.keyring.source;
  }

  /** Which AEAD implementation seals values (INFO, start-up log). */
  get sealBackend(): string {
    return this.keyring.backend.name;
  }

  get keyMemory(): string {
    return this.keyring.secureMemory ? 'sodium_malloc' : 'wasm-heap';
  }

  get keyId(): number {
    return this.keyring.current.id;
  }

  /** Shutting down (the admin port's /readyz). */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  async listen(): Promise<{ host: string; port: number }[]> {
    const port = this.config.number('port');
    const tlsPort = this.config.number('tls-port');
    const unixPath = this.config.get('unixsocket');
    if (port === 0 && tlsPort === 0 && unixPath === '') {
      throw new ListenError('no port to listen on (port 0 disables the plain TCP listener; give tls-port or unixsocket)');
    }
    const binds = parseBindList(this.config.get('bind'));
    // As Redis: no bind address means no TCP listener, which leaves the Unix socket only.
    if ((port !== 0 || tlsPort !== 0) && binds.length === 0 && unixPath === '') throw new ListenError('bind lists no address to listen on');
    // An admin port the network could reach without a token stops the start before any port opens.
    const admin = planAdmin(this.config);
    this.fitMaxclientsToFileLimit();
    // TLS files are read and checked before any port opens: a TLS setting that cannot be loaded
    // must stop the start, never leave a plaintext-only server behind (Redis does the same).
    const tls = tlsPort !== 0 ? loadTls(this.config) : null;
    try {
      const plan = planListeners(binds, port, tlsPort);
      await this.tcp.apply(plan, this.config.number('tcp-backlog'), (kind) => this.makeListener(kind, tls));
      if (plan.length > 0 && this.tcp.addresses.length === 0) throw new ListenError(`no address of bind '${this.config.get('bind')}' could be listened on`);
      if (unixPath !== '') {
        const srv = createServer({ pauseOnConnect: true });
        this.readBuffer.takeAccepts(srv, (socket) => this.acceptUnix(socket, unixPath));
        await listenUnix(srv, unixPath, this.config.get('unixsocketperm'), this.config.number('tcp-backlog'));
        this.unixListener = srv;
      }
      if (admin !== null) this.admin = await AdminServer.start(admin, this, this.log, this.config.number('tcp-backlog'));
    } catch (err) {
      // Nothing half-started stays open: the caller exits, and a supervisor sees the failure.
      this.tcp.closeAll();
      this.unixListener?.close();
      this.unixListener = null;
      throw err;
    } finally {
      tls?.wipe();
    }
    this.tcpPort = port;
    this.startCron();
    return this.tcp.addresses.map(({ host, port: p }) => ({ host, port: p }));
  }

  /**
   * CONFIG SET port, tls-port or bind (Redis 7.0 updatePort, applyTLSPort, applyBind): the
   * listeners follow the new values, the new ones opened before the old ones close. Throws
   * Error with Redis's reason when they cannot, every listener as it was.
   */
  async relisten(setting: string): Promise<void> {
    const plan = planListeners(parseBindList(this.config.get('bind')), this.config.number('port'), this.config.number('tls-port'));
    let tls: TlsSetup | null = null;
    if (this.tcp.adds(plan, 'tls')) {
      try {
        tls = loadTls(this.config);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'TLS configuration failed');
        throw new Error('Unable to update TLS configuration. Check server logs.');
      }
    }
    try {
      await this.tcp.apply(plan, this.config.number('tcp-backlog'), (kind) => this.makeListener(kind, tls));
    } catch (err) {
      if (!(err instanceof ListenError)) throw err;
      this.log.warn({ err: err.message }, setting === 'bind' ? 'Failed to bind' : 'Unable to listen on this port');
      throw new Error(setting === 'bind' ? 'Failed to bind to specified addresses.' : 'Unable to listen on this port. Check server logs.');
    } finally {
      tls?.wipe();
    }
    this.tcpPort = this.config.number('port');
    setProcTitle(this);
    this.log.info({ addresses: this.tcp.addresses.map((a) => `${a.host}:${a.port}`) }, 'listening on new addresses');
  }

  /** A listener of a kind: plain TCP, or TLS with the setup read from its files. */
  private makeListener(kind: ListenerKind, tls: TlsSetup | null): NetServer {
    if (kind === 'tcp') {
      const srv = createServer({ pauseOnConnect: true });
      this.readBuffer.takeAccepts(srv, (socket) => this.acceptPlain(socket));
      return srv;
    }
    const hooks = {
      accepted: (raw: Socket) => this.admit(raw, true),
      settled: (raw: Socket) => this.handshaking.delete(raw),
      secure: (socket: TLSSocket) => this.acceptTls(socket),
      failed: (socket: Socket, reason: string) => this.logPeer('TLS handshake failed', socket, reason),
    };
    return createTlsListener(tls!, this.config.number('tls-handshake-timeout') * 1000, hooks);
  }

  /**
   * Like Redis: maxclients above what the open files limit allows is lowered to fit (with a
   * warning), so a flood of connections meets "max number of clients" instead of EMFILE, which
   * would refuse everyone, spill files and the key file included.
   */
  private fitMaxclientsToFileLimit(): void {
    const limit = openFilesLimit();
    const wanted = this.config.number('maxclients');
    if (limit === null || wanted + RESERVED_FDS <= limit) return;
    const fitted = Math.max(1, limit - RESERVED_FDS);
    this.config.load('maxclients', String(fitted));
    this.log.warn({ requested: wanted, maxclients: fitted, openFilesLimit: limit }, 'maxclients lowered to fit the open files limit (raise it with ulimit -n or LimitNOFILE=)');
  }

  /** Plain TCP: reads go into the shared, reused read buffer (see read-buffer.ts), once it is attached. */
  private acceptPlain(socket: Socket): void {
    if (!this.admit(socket, false)) return;
    const client = this.accept(socket);
    if (client !== null) ReadBuffer.attach(socket, client);
  }

  /** Unix socket: as plain TCP; local by definition, named `<path>:0` as Redis names it. */
  private acceptUnix(socket: Socket, path: string): void {
    markUnixSocket(socket, path);
    if (!this.admit(socket, false)) return;
    const client = this.accept(socket);
    if (client !== null) ReadBuffer.attach(socket, client);
  }

  /** TLS decrypts into chunks of its own, which are zeroed once their commands have run. */
  private acceptTls(socket: Socket): void {
    const client = this.accept(socket);
    wipeEachChunk(socket, (chunk) => client?.receive(chunk));
  }

  /**
   * maxclients counts every connection from accept: clients, and TLS connections still in their
   * handshake. At the limit, the oldest unfinished handshake gives way to the newcomer (so
   * silent connections cannot lock everyone out); with none to give way, the newcomer is
   * refused with Redis's error, or just closed when it is TLS (no session to write it in).
   */
  private admit(socket: Socket, handshake: boolean): boolean {
    if (this.stopping) {
      socket.destroy();
      return false;
    }
    if (this.clients.size + this.handshaking.size >= this.config.number('maxclients')) {
      const oldest = this.handshaking.values().next();
      if (oldest.done === true) {
        this.stats.rejectedConnections++;
        this.logPeer('connection refused', socket, 'max number of clients reached');
        if (handshake) socket.destroy();
        else refuseWith(socket, Errors.maxClients);
        return false;
      }
      this.handshaking.delete(oldest.value);
      this.logPeer('connection closed', oldest.value, 'TLS handshake unfinished at maxclients, closed for a newer connection');
      oldest.value.destroy();
      this.stats.rejectedConnections++;
    }
    if (handshake) this.handshaking.add(socket);
    return true;
  }

  /** Registers an admitted connection, or refuses it (returning null) as Redis would. */
  private accept(socket: Socket): Client | null {
    if (this.stopping) {
      socket.destroy();
      return null;
    }
    // Redis protected mode: no password on the default user means loopback clients only.
    const open = this.acl.defaultUser;
    if (this.config.flag('protected-mode') && open.nopass && !isUnixSocket(socket) && !isLoopback(socket.remoteAddress)) {
      this.logPeer('connection refused', socket, 'protected mode');
      refuseWith(socket, Errors.protectedMode);
      return null;
    }
    this.stats.totalConnections++;
    const client = new Client(this.nextClientId++, socket, this, this.commands, (c) => {
      this.clients.delete(c.id);
      if (this.log.isLevelEnabled('debug')) this.log.debug({ client: c.id, addr: c.addr, reason: c.closeReason ?? 'closed by the client' }, 'client closed');
    });
    this.clients.set(client.id, client);
    client.recount();
    if (this.log.isLevelEnabled('debug')) this.log.debug({ client: client.id, addr: client.addr, laddr: client.laddr, tls: socket instanceof TLSSocket }, 'client accepted');
    return client;
  }

  /** Connection events go to the log at debug (Redis verbose): the peer and why, never anything it sent. */
  private logPeer(msg: string, socket: Socket, reason: string): void {
    if (this.log.isLevelEnabled('debug')) this.log.debug({ addr: peerAddress(socket), reason }, msg);
  }

  resetStats(): void {
    this.stats.reset();
    this.observer.reset();
  }

  private startCron(): void {
    if (this.cron) clearInterval(this.cron);
    if (this.stopping) return;
    this.cron = setInterval(() => this.tick(), Math.max(1, Math.round(1000 / this.config.number('hz'))));
  }

  /** Periodic work: expire keys nobody reads, close idle clients (redis serverCron). */
  private tick(): void {
    const now = this.clock();
    this.outputLimit.recheck();
    if (this.memory.account.tickSecond(Math.floor(now / 1000))) {
      for (const c of this.clients.values()) this.memory.account.notePeaks(c.countedMemory);
    }
    this.memory.account.samplePeak();
    // A lowered limit or a connection that turned evictable (CLIENT NO-EVICT off) is acted on
    // after its own command already; this catches what changed without one.
    this.clientEviction.check();
    this.expiry.tick();
    this.spill?.tick();
    // Packing small collections that rest: a bounded share of each tick, oldest candidates first.
    const packDeadline = performance.now() + PACK_BUDGET_MS;
    for (const db of this.databases) {
      if (db.unpackedCount > 0) db.compactSlice(now - PACK_IDLE_MS, packDeadline);
    }
    // A key-table rehash left running moves on (redis incrementallyRehash: 1 ms per tick).
    const busy = this.stats.totalCommands !== this.tickCommands;
    this.tickCommands = this.stats.totalCommands;
    const rehashDeadline = performance.now() + (busy ? REHASH_BUSY_MS : REHASH_BUDGET_MS);
    for (const db of this.databases) if (db.rehashSlice(rehashDeadline)) break;
    // Keys the active cycle expired reach the replicas as deletions.
    replicationIfAny(this)?.flush();
    // What a burst of commands left in the V8 heap, collected once the server goes quiet.
    this.idleCollector.tick(performance.now());
    this.persistence.tick(now);
    this.stats.sample(performance.now());
    const timeout = this.config.number('timeout') * 1000;
    if (timeout > 0) {
      for (const client of this.clients.values()) {
        if (client.multi === null && now - client.lastInteraction > timeout) client.kill('idle timeout');
      }
    }
  }

  /**
   * Redis's prepareForShutdown: a primary with replicas behind waits for them first (up to
   * shutdown-timeout, unless NOW; replication/shutdown-wait.ts), and a SHUTDOWN or signal that
   * comes while it waits joins that wait. Otherwise the shutdown finishes at once.
   */
  requestShutdown(reason: string, flags: ShutdownFlags): string | null | Promise<string | null> {
    if (this.stopping) return null;
    const wait = replicationIfAny(this)?.shutdownWait;
    if (wait !== undefined && (wait.initiated || wait.begin(reason, flags))) return wait.join();
    return this.shutdownSaving(reason, flags);
  }

  /**
   * Redis's finishShutdown: the replicas' state is logged, a running BGSAVE is stopped, then a
   * final SAVE when `save` or (save rules are set and not `nosave`). A failed save keeps the
   * server running unless `force`, and returns the error; otherwise the shutdown starts and null
   * is returned.
   */
  shutdownSaving(reason: string, flags: ShutdownFlags): string | null {
    if (this.stopping) return null;
    replicationIfAny(this)?.shutdownWait.logReplicas();
    if (flags.save === true || (this.persistence.hasRules && flags.nosave !== true)) {
      void this.persistence.abortBackground();
      this.log.info('saving the final snapshot before exiting');
      try {
        this.persistence.save();
      } catch (err) {
        if (flags.force !== true) {
          this.log.error({ err: (err as Error).message }, "error trying to save the DB, can't exit");
          this.log.error('Errors trying to shut down the server. Check the logs for more information.');
          return (err as Error).message;
        }
        this.log.warn({ err: (err as Error).message }, 'error trying to save the DB, exit anyway');
      }
    }
    this.shutdown(reason);
    return null;
  }

  /**
   * SIGTERM / SIGINT, with shutdown-on-sigterm / -sigint's flags (default: wait for lagging
   * replicas, save when save rules are set). A failure is logged and the server keeps running.
   */
  stopBySignal(signal: 'SIGTERM' | 'SIGINT'): void {
    const flags = this.config.get(signal === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint').split(' ');
    void this.requestShutdown(signal, {
      save: flags.includes('save'), nosave: flags.includes('nosave'), force: flags.includes('force'), now: flags.includes('now'),
    });
  }

  shutdown(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info({ reason }, 'shutting down');
    const listening = this.tcp.addresses.length > 0 || this.unixListener !== null;
    if (listening && wantsSystemdNotify(this.config.get('supervised'))) void notifyStopping(this.log);
    if (this.cron) clearInterval(this.cron);
    this.rotation.stop();
    replicationIfAny(this)?.stop();
    publishFanoutIfAny(this)?.stop();
    this.persistence.destroy();
    this.tcp.closeAll();
    this.unixListener?.close();
    this.admin?.close();
    for (const raw of this.handshaking) raw.destroy();
    this.handshaking.clear();
    for (const client of this.clients.values()) client.closeAfterReply('shutdown');
    // Let replies already queued (SHUTDOWN's own connection excepted) reach their clients.
    setImmediate(() => {
      for (const client of [...this.clients.values()]) client.kill('shutdown');
      this.admin?.destroy();
      for (const db of this.databases) db.clear();
      // SHUTDOWN, SIGTERM and SIGINT all end here: no segment file outlives the server.
      this.spill?.close();
      this.sealWorkers?.stop();
      this.keyring.destroy();
      if (this.names.sealed) this.names.destroy();
      this.members.destroy();
      this.log.info('stopped');
      // Redis's last words, which its test harness and log watchers wait for (as 'Ready to accept connections').
      this.log.info('sealkv is now ready to exit, bye bye...');
      this.resolveClosed();
    });
  }
}

/** How this node finds its own line in the cluster layout file. */
function selfHint(config: Config): SelfHint {
  const hosts = [config.get('cluster-announce-ip'), config.get('cluster-announce-hostname'), ...parseBindList(config.get('bind')).map((b) => b.host)];
  return {
    id: config.get('cluster-node-id'),
    hosts: hosts.filter((h) => h !== ''),
    // A TLS-only node (port 0) is known by its tls-port.
    port: config.number('cluster-announce-port') || config.number('port') || config.number('tls-port'),
  };
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? openLog(config.get('loglevel'), inDir(config.get('logfile'), config.get('dir')), config.get('log-format') as LogFormat).log;
  // A bad layout stops the start before any key exists (a node must never serve slots wrongly).
  const cluster = config.flag('cluster-enabled') ? readLayout(config.get('cluster-config-file'), selfHint(config)) : null;
  const keyring = await Keyring.create({
    file: config.get('master-key-file') || undefined,
    filePermissive: config.flag('master-key-file-permissive'),
    env: config.get('master-key-env') || undefined,
    backend: config.get('seal-backend') as BackendChoice,
  });
  // Before the server exists: it wipes the spill directory as it starts.
  const locks: (DirLock | null)[] = [];
  const release = () => {
    for (const lock of locks) lock?.release();
  };
  let server: SealkvServer;
  try {
    locks.push(config.get('spill-dir') === '' ? null : await lockSpillDir(config.get('spill-dir'), (m) => log.warn(m)));
    locks.push(await lockSnapshotFile(config.get('dir'), config.get('dbfilename'), config.get('save'), (m) => log.warn(m)));
    server = new SealkvServer(config, log, keyring, options.clock ?? Date.now);
  } catch (err) {
    release();
    throw err;
  }
  void server.closed.then(release);
  server.configFile = options.configFile ?? null;
  server.ownsProcessTitle = options.procTitle === true;
  server.cluster = cluster;
  let addresses: { host: string; port: number }[];
  try {
    noteStartupMemory(server);
    // A snapshot that cannot be loaded stops the start (exit 1) before any port opens.
    server.persistence.loadAtStart();
    addresses = await server.listen();
  } catch (err) {
    // Wipe the keys and the spill directory before the caller reports the failure and exits.
    server.shutdown('start failed');
    await server.closed;
    throw err;
  }
  setProcTitle(server);
  log.info(
    {
      version: VERSION,
      addresses: addresses.map((a) => `${a.host}:${a.port}`),
      ...(server.admin !== null ? { admin: server.admin.addresses.map((a) => `${a.host}:${a.port}`) } : {}),
      port: server.tcpPort,
      keySource: keyring.source,
      sealBackend: keyring.backend.name,
      sealKeys: server.names.sealed ? server.names.backend : 'no',
      notApplied: config.notApplied(),
    },
    'sealkv ready',
  );
  // Redis's own words, which supervisors, container tooling and Redis's test harness wait for.
  log.info('Ready to accept connections');
  // After the listeners: the time to the first accepted connection stays as it was.
  preloadScripting(server, (err) => log.warn({ err: (err as Error).message }, 'the Lua VM did not load; the first script tries again'));
  if (!server.persistence.warnIfRulesUnarmed()) server.persistence.warnIfUnwritable();
  const maxmemory = config.number('maxmemory');
  if (maxmemory > 0 && maxmemory < 1024 * 1024) {
    log.warn(`WARNING: You specified a maxmemory value that is less than 1MB (current value is ${maxmemory} bytes). Are you sure this is what you really want?`);
  }
  const spillFree = server.spill === null ? null : freeBytes(server.spill.dir);
  if (spillFree !== null && spillFree < config.number('spill-max-bytes')) {
    // Not refused: the tmpfs may be grown, and a full one is handled (spill_fs_full, nothing lost).
    log.warn(
      { spillDir: config.get('spill-dir'), spillMaxBytes: config.number('spill-max-bytes'), free: spillFree },
      'spill-max-bytes is more than the tmpfs has free: past that, values stay in memory (INFO spill_fs_full:1)',
    );
  }
  if (config.get('spill-dir') !== '' && config.number('maxmemory') === 0) {
    log.warn({ spillDir: config.get('spill-dir') }, 'spill-dir is set but maxmemory is 0: values never spill until maxmemory is set');
  }
  const supervised = config.get('supervised');
  if (supervised === 'upstart') log.warn('supervised upstart is not acted on (only systemd readiness is)');
  if (wantsSystemdNotify(supervised)) {
    const where = [...addresses.map((a) => `${a.host}:${a.port}`), ...(config.get('unixsocket') ? [config.get('unixsocket')] : [])];
    // Not awaited: systemd-notify waits for systemd to take the message, and the server is
    // serving (and must answer signals) meanwhile.
    void notifyReady(`Ready to accept connections on ${where.join(' ')}`, log);
  }
  return {
    state: server,
    addresses,
    closed: server.closed,
    close: () => {
      server.shutdown('close()');
      return server.closed;
    },
  };
}

/**
 * Answers a connection that is not admitted with Redis's error and closes it once that is
 * written, as Redis writes it and closes at once: end() alone waited for the peer's FIN, which
 * a paused socket never reads (each silent refused peer kept its descriptor), and a peer that
 * reset first made the write fail with no listener, which took the process down.
 */
function refuseWith(socket: Socket, error: string): void {
  socket.on('error', () => undefined);
  socket.write(`-${error}\r\n`);
  socket.destroySoon();
}
