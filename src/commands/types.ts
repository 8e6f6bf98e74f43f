// What a command handler sees. The server and connection implement these interfaces, so
// command families depend on this file only, never on sockets or listeners.

import type { AclStore } from '../acl/store.js';
import type { BlockingTable } from '../blocking/waiters.js';
import type { Topology } from '../cluster/topology.js';
import type { AclUser } from '../acl/user.js';
import type { Config } from '../config.js';
import type { OutputLimit } from '../net/output-limit.js';
import type { Logger } from '../log.js';
import type { ErrorCounter, ReplyWriter } from '../protocol/reply.js';
import type { Keyspace, KeyspaceStats, WatchFlag } from '../store/keyspace.js';
import type { Rotation } from '../seal/rotation.js';
import type { KeyNames } from '../seal/key-names.js';
import type { NameHasher } from '../seal/name-hash.js';
import type { SealWorkers } from '../seal/seal-workers.js';
import type { SealedValues } from '../seal/values.js';
import type { SpillManager } from '../spill/manager.js';
import type { MemoryGuard } from '../store/memory.js';
import type { Observer } from '../observe/observer.js';
import type { RecordArena } from '../store/record-arena.js';
import type { AccessClock } from '../store/access.js';
import type { KeyFinder, KeySpec } from './key-specs.js';
import type { TransportSealer } from '../seal/transport.js';
import type { Persistence } from '../persistence/persistence.js';
import type { ArgList } from '../protocol/arg-list.js';

export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'admin' | 'pubsub' | 'noscript' | 'blocking' | 'loading'
  | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'fast' | 'no_auth' | 'may_replicate'
  | 'no_mandatory_keys' | 'no_async_loading' | 'no_multi' | 'allow_busy' | 'asking';

/** A handler writes its reply to ctx.reply; it returns a promise only when it must wait. */
export type Handler = (ctx: Session, args: Buffer[]) => void | Promise<void>;

export interface CommandSpec {
  /** Lower-case name (for a subcommand, just the subcommand: 'get' under 'config'). */
  name: string;
  /** Redis arity: the count including the name; negative means "at least -arity". */
  arity: number;
  /** Command flags; movablekeys is not written here but derived from keySpecs (COMMAND INFO). */
  flags: readonly CommandFlag[];
  /**
   * Where the keys are and what the command does to them (Redis 7 key specs, in Redis's
   * order); absent for commands without keys. keysOf (key-specs.ts) reads them.
   */
  keySpecs?: readonly KeySpec[];
  /** The command's own key finder, where specs alone cannot say (SET ... GET's flags). */
  findKeys?: KeyFinder;
  /** Redis's command tips (request_policy:..., nondeterministic_output), as COMMAND INFO shows. */
  tips?: readonly string[];
  /** ACL categories, '@' included, as COMMAND INFO shows them. */
  categories: readonly string[];
  summary: string;
  since: string;
  /** COMMAND DOCS group: 'string', 'generic', 'hash', 'transactions', 'connection', 'server'. */
  group: string;
  complexity?: string;
  /** Absent on containers (CONFIG, CLIENT...) that only route to subcommands. */
  handler?: Handler;
  subcommands?: readonly CommandSpec[];
  /**
   * Runs before AUTH like a no_auth command, without the flag Redis's table lacks: the handler
   * checks authentication itself (REPLCONF, whose master-key proof logs a replica in).
   */
  authenticatesItself?: boolean;
}

export interface QueuedCommand {
  spec: CommandSpec;
  /** 'get' or 'config|get': what EXEC checks the user's permissions against again. */
  fullName: string;
  args: Buffer[];
}

export interface ServerStats extends KeyspaceStats, ErrorCounter {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  errorReplies: number;
  /** Every error reply, counted or not, never reset (what tells a command failed). */
  failures: number;
  /** Error replies by prefix (ERR, WRONGTYPE...) for INFO errorstats. */
  errorsByPrefix: Map<string, number>;
  /** Sealed values that failed authentication when opened. */
  sealFailures: number;
  /** Keys removed by the maxmemory policy (INFO evicted_keys). */
  evictedKeys: number;
  /** Values Redis would have freed in the background (INFO lazyfreed_objects; store/lazyfree.ts). */
  lazyfreedObjects: number;
  /** Socket reads and reply writes (INFO total_reads_processed, total_writes_processed). */
  readsProcessed: number;
  writesProcessed: number;
  /** instantaneous_ops_per_sec, instantaneous_input/output_kbps: per second over the last 1.6 s. */
  readonly opsRate: { readonly perSecond: number };
  readonly inputRate: { readonly perSecond: number };
  readonly outputRate: { readonly perSecond: number };
  /** Connections closed by client eviction (maxmemory-clients, INFO evicted_clients). */
  evictedClients: number;
  /** Times a connection's commands stopped at their time slice so others could read (src/net/client.ts). */
  readSlicesYielded: number;
}

/** The connection a command runs on. */
export interface ClientState {
  readonly id: number;
  name: string | null;
  libName: string;
  libVersion: string;
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand: string;
  dbIndex: number;
  db: Keyspace;
  authenticated: boolean;
  /** The ACL user the connection runs as; `user` is its name. */
  aclUser: AclUser;
  readonly user: string;
  /** Commands queued by MULTI; null outside a transaction. */
  multi: QueuedCommand[] | null;
  /** A command was rejected while queueing: EXEC must answer EXECABORT. */
  multiFailed: boolean;
  /** WATCHed keys and their shared dirty flag; null when nothing is watched. */
  watching: { flag: WatchFlag; keys: [Keyspace, string][] } | null;
  /** The connection's reply writer: CLIENT LIST reads its protocol (resp=) for other clients. */
  readonly reply: ReplyWriter;
  /** Bytes received but not yet parsed into a command (CLIENT LIST qbuf=). */
  readonly queryBufferBytes: number;
  /**
   * Estimated bytes of what the connection keeps for itself besides its buffers: watched keys,
   * subscriptions, tracking prefixes, a queued transaction (store/memory.ts WATCHED_KEY_BYTES...).
   * Kept by the modules that hold them; counted in its memory (CLIENT LIST tot-mem, maxmemory,
   * maxmemory-clients).
   */
  heldBytes: number;
  /** CLIENT NO-EVICT on: client eviction never closes it (flag e). */
  noEvict: boolean;
  /** A replica's link (after PSYNC): its unsent output is not counted for eviction, and it is never evicted. */
  replicaLink: boolean;
  /** CLIENT REPLY: 'skip' drops the next command's reply, 'off' every reply until ON. */
  replyMode: ReplyMode;
  /**
   * Above 0 while a command runs inside EXEC or a script: a blocking command must answer at once
   * (as on a timeout) instead of waiting (src/blocking/).
   */
  atomic: number;
  /** The command runs from a Lua script (redis CLIENT_SCRIPT). */
  readonly scripted: boolean;
  /** Cluster mode: ASKING was sent (served once for a slot being imported), READONLY was sent. */
  asking: boolean;
  readonlyCluster: boolean;
  /** Waiting in a blocking command (CLIENT LIST flag b). */
  readonly blocked: boolean;
  /** The connection has ended (a command that waited must not run for it any more). */
  readonly closed: boolean;
  /** Aborted when the connection ends: a command waiting (CLIENT PAUSE) stops waiting then. */
  readonly closedSignal: AbortSignal;
  /** Reply, then close the connection (QUIT, protocol errors). */
  closeAfterReply(): void;
  /** Close at once (CLIENT KILL of another client). */
  kill(): void;
  /** Replies were written for this client by another one's command (MONITOR): send them this turn. */
  wake(): void;
  /** Socket and buffer figures for CLIENT LIST, read on demand. */
  ioStats(): ClientIo;
  /**
   * Socket connections only: while another connection's script runs past busy-reply-threshold,
   * reads what this one sent without the event loop and answers each request with `answer`
   * (src/commands/scripting/script-busy.ts); does nothing when it cannot keep replies in order (TLS...).
   */
  serveWhileBusy?(answer: BusyAnswer): void;
}

/** How a request is answered while a script is busy (script-busy.ts). */
export type BusyAnswer = (ctx: Session, args: ArgList) => void | Promise<void>;

export type ReplyMode = 'on' | 'off' | 'skip';

export interface ClientIo {
  /** The socket's file descriptor, -1 when Node does not expose it. */
  fd: number;
  /** Reply bytes staged and not yet handed to the socket (obl=). */
  staged: number;
  /** Reply bytes handed to the socket that the kernel has not taken yet (omem=), and in how many writes (oll=). */
  unsentBytes: number;
  unsentWrites: number;
  /** Staging buffer size and the largest batch staged in it (rbs=, rbp=). */
  replyBuffer: number;
  replyPeak: number;
  /** Closing once its replies are out (flag c). */
  closing: boolean;
  /** Its memory as the server last counted it (net/client.ts recount): fixed cost, input, held structures, unsent replies. */
  counted: number;
  /** Connected over a Unix socket (flag U). */
  unix: boolean;
}

export interface Server {
  readonly config: Config;
  readonly log: Logger;
  databases: Keyspace[];
  /** Where the databases keep their records. */
  readonly arena: RecordArena;
  readonly values: SealedValues;
  /** Key arguments to lookup strings; with seal-keys, hashes and sealed names (args.ts keyOf). */
  readonly names: KeyNames;
  /**
   * Keyed digests (16 bytes) of set and sorted-set members and hash field names: how a
   * collection finds an element without keeping its plaintext. One key for every collection,
   * so members of different keys compare by digest (SINTER, ZUNIONSTORE).
   */
  readonly members: NameHasher;
  /** How key access is kept (LRU time or LFU counter), per maxmemory-policy. */
  readonly access: AccessClock;
  /** Seals and opens DUMP/RESTORE payloads under the transport key (seal/transport.ts). */
  readonly transport: TransportSealer;
  /** Worker threads for large seals and opens (seal/seal-workers.ts); null when off. */
  readonly sealWorkers: SealWorkers | null;
  /** maxmemory accounting and enforcement (spill, then evict). */
  readonly memory: MemoryGuard;
  /** The cluster layout with cluster-enabled yes (src/cluster/), else null. */
  readonly cluster: Topology | null;
  /** Clients waiting in blocking commands, and the keys that may wake them. */
  readonly blocking: BlockingTable;
  /** The spill tier, or null without a spill-dir. */
  readonly spill: SpillManager | null;
  readonly stats: ServerStats;
  /** Per-command counters and histograms, the slow log, the latency monitor. */
  readonly observer: Observer;
  readonly acl: AclStore;
  /** maxmemory-clients: `over` is one comparison; check() closes the largest connections. */
  readonly clientEviction: { readonly over: boolean; check(): number };
  /** client-output-buffer-limit for normal clients, kept parsed for the write path. */
  readonly outputLimit: OutputLimit;
  readonly clients: ReadonlyMap<number, ClientState>;
  readonly commands: CommandTable;
  readonly startedAt: number;
  readonly runId: string;
  readonly version: string;
  readonly tcpPort: number;
  readonly keySource: string;
  /** Public 32-bit id of the data key (INFO key_id); reveals nothing about the key. */
  readonly keyId: number;
  readonly sealBackend: string;
  /** Where the master and data keys live: 'sodium_malloc' or 'wasm-heap' (INFO key_memory). */
  readonly keyMemory: string;
  /** Online key rotation (SEAL ROTATE / STATUS, INFO sealkv). */
  readonly rotation: Rotation;
  /** The config file given at start-up, or null (INFO config_file, CONFIG REWRITE). */
  readonly configFile: string | null;
  /** Unix time in ms; read once per command through ctx.now. */
  clock(): number;
  resetStats(): void;
  /** Stops the server: closes listeners and connections, wipes keys. */
  shutdown(reason: string): void;
  /**
   * SHUTDOWN or a signal (SealkvServer.requestShutdown): null once stopping, else why it failed,
   * or a promise of either while lagging replicas are waited for (replication/shutdown-wait.ts).
   */
  requestShutdown(reason: string, flags: ShutdownFlags): string | null | Promise<string | null>;
  /** The shutdown's last step, with its save (SealkvServer.shutdownSaving): null once stopping, else why the save failed. */
  shutdownSaving(reason: string, flags: ShutdownFlags): string | null;
  /** Sealed snapshots: SAVE, BGSAVE, save rules, load at start (src/persistence/persistence.ts). */
  readonly persistence: Persistence;
  /** A shutdown has started (a busy script stops for SHUTDOWN NOSAVE: script-busy.ts). */
  readonly shuttingDown: boolean;
}

/** SHUTDOWN's flags (and shutdown-on-sigterm / -sigint's). */
export interface ShutdownFlags {
  save?: boolean;
  nosave?: boolean;
  force?: boolean;
  /** Do not wait for lagging replicas. */
  now?: boolean;
}

export interface CommandTable {
  get(name: string): CommandSpec | undefined;
  all(): Iterable<CommandSpec>;
  readonly size: number;
}

/** Everything a handler needs: its connection, the server, the reply and the command's time. */
export interface Session extends ClientState {
  readonly server: Server;
  readonly reply: ReplyWriter;
  /** Unix ms, read once when the command started (redis commandTimeSnapshot). */
  now: number;
  /**
   * Takes over an argument that is a large bulk in pooled shared memory (give it back with
   * giveShared()), instead of copying it: false for any other (and where there is no connection).
   */
  claimArg?(arg: Uint8Array): boolean;
  /**
   * Replies with a bulk whose body, shared memory from takeShared(), is written as it is (and
   * given back to its pool once sent); false where it cannot be (the caller then replies as
   * usual and keeps body).
   */
  sendSharedBulk?(body: Buffer): boolean;
}
