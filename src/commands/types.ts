// What a command handler sees. The server and connection implement these interfaces, so
// command families depend on this file only, never on sockets or listeners.

import type { AclStore } from '../acl/store.js';
import type { AclUser } from '../acl/user.js';
import type { Config } from '../config.js';
import type { OutputLimit } from '../net/output-limit.js';
import type { Logger } from '../log.js';
import type { ErrorCounter, ReplyWriter } from '../protocol/reply.js';
import type { Keyspace, KeyspaceStats, WatchFlag } from '../store/keyspace.js';
import type { Rotation } from '../seal/rotation.js';
import type { KeyNames } from '../seal/key-names.js';
import type { SealedValues } from '../seal/values.js';
import type { SpillManager } from '../spill/manager.js';
import type { MemoryGuard } from '../store/memory.js';
import type { RecordArena } from '../store/record-arena.js';

export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'admin' | 'pubsub' | 'noscript' | 'blocking' | 'loading'
  | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'fast' | 'no_auth' | 'may_replicate'
  | 'no_mandatory_keys' | 'no_multi' | 'movablekeys' | 'allow_busy';

/** A handler writes its reply to ctx.reply; it returns a promise only when it must wait. */
export type Handler = (ctx: Session, args: Buffer[]) => void | Promise<void>;

export interface CommandSpec {
  /** Lower-case name (for a subcommand, just the subcommand: 'get' under 'config'). */
  name: string;
  /** Redis arity: the count including the name; negative means "at least -arity". */
  arity: number;
  flags: readonly CommandFlag[];
  firstKey: number;
  lastKey: number;
  step: number;
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
}

export interface QueuedCommand {
  spec: CommandSpec;
  args: Buffer[];
}

export interface ServerStats extends KeyspaceStats, ErrorCounter {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  netInputBytes: number;
  netOutputBytes: number;
  errorReplies: number;
  /** Error replies by prefix (ERR, WRONGTYPE...) for INFO errorstats. */
  errorsByPrefix: Map<string, number>;
  /** Sealed values that failed authentication when opened. */
  sealFailures: number;
  /** Keys removed by the maxmemory policy (INFO evicted_keys). */
  evictedKeys: number;
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
  /** Reply, then close the connection (QUIT, protocol errors). */
  closeAfterReply(): void;
  /** Close at once (CLIENT KILL of another client). */
  kill(): void;
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
  /** maxmemory accounting and enforcement (spill, then evict). */
  readonly memory: MemoryGuard;
  /** The spill tier, or null without a spill-dir. */
  readonly spill: SpillManager | null;
  readonly stats: ServerStats;
  readonly acl: AclStore;
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
}
