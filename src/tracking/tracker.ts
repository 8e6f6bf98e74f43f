// Client-side caching (redis tracking.c): the tracking table of keys read by clients with
// CLIENT TRACKING on, the prefixes of BCAST clients, and the invalidation messages sent when a
// key changes. One KeyListener on every database hears each write through the "key changed"
// path (src/store/key-events.ts); FLUSHALL/FLUSHDB/SWAPDB invalidate everything (a null).
//
// The table is global, as Redis's is: a key read in one database is invalidated by a write of
// the same name in any database. Keys are filed under their lookup string: the name as latin1,
// or with --seal-keys its keyed hash, the name then kept only sealed (under the hash) and opened
// straight into the reply buffer of the invalidation message. BCAST prefixes are user data too:
// with --seal-keys they are filed under a keyed hash of the prefix (a written key matches a
// prefix of length L when the hash of its first L bytes is filed), kept sealed for
// CLIENT TRACKINGINFO and the overlap errors. Keys waiting for the next broadcast are held
// sealed as well. The message necessarily carries the key name to the client, as in Redis.
//
// Messages follow sendTrackingMessage: `>2 invalidate [keys]` to a RESP3 client, or a message
// on `__redis__:invalidate` to a RESP2 redirect client in subscribed mode; the client running
// the command that caused them (and a blocked client being served) gets its own after its
// reply (Redis's tracking_pending_keys).

import type { KeyRef } from '../commands/key-specs.js';
import type { ClientState, CommandSpec, Server } from '../commands/types.js';
import { isSubscribed } from '../pubsub/registry.js';
import { SealedKeyNames } from '../seal/key-names.js';
import { Sealer } from '../seal/sealer.js';
import type { Kind } from '../store/entry.js';
import type { DbEvent, KeyEvent, KeyListener } from '../store/key-events.js';
import type { Keyspace } from '../store/keyspace.js';
import { TRACKING_PREFIX_BYTES } from '../store/memory.js';
import { plainBuffer } from '../util/bytes.js';
import { nameString } from '../util/names.js';

/** One client's tracking mode (redis CLIENT_TRACKING_* flags and client_tracking_*). */
export interface ClientTracking {
  readonly id: number;
  on: boolean;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING yes (OPTIN) / no (OPTOUT) given for the next command. */
  caching: boolean;
  brokenRedirect: boolean;
  /** Client id the messages go to, 0 for the client itself. */
  redirect: number;
  /** BCAST prefixes by id. */
  readonly prefixes: Map<string, Prefix>;
}

/** A key some clients may have cached. */
interface TrackedKey {
  /** The name sealed under its lookup string (--seal-keys), else null (the lookup string is the name). */
  sealed: Buffer | null;
  readonly clients: Set<number>;
}

/** A key changed since the last broadcast, and who changed it (0: expiry, eviction). */
interface ChangedKey {
  sealed: Buffer | null;
  writer: number;
}

export interface Prefix {
  readonly id: string;
  readonly length: number;
  /** The prefix's bytes (plain mode), or null when kept sealed. */
  readonly plain: Buffer | null;
  sealed: Buffer | null;
  readonly clients: Set<ClientTracking>;
  /** Keys changed since the last broadcast, by lookup string. */
  keys: Map<string, ChangedKey>;
}

/** What waits to be sent to a client after its own command: a key, or null for "everything". */
type Pending = { key: string; sealed: Buffer | null } | null;

const INVALIDATE_RESP3 = Buffer.from('>2\r\n$10\r\ninvalidate\r\n', 'latin1');
const INVALIDATE_RESP2 = Buffer.from('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n', 'latin1');
const REDIR_BROKEN = Buffer.from('>2\r\n$21\r\ntracking-redir-broken\r\n', 'latin1');
const ONE_KEY = Buffer.from('*1\r\n', 'latin1');
const NULL_RESP2 = Buffer.from('$-1\r\n', 'latin1');
const NULL_RESP3 = Buffer.from('_\r\n', 'latin1');

export class Tracker implements KeyListener {
  readonly table = new Map<string, TrackedKey>();
  /** Client ids across the table (INFO tracking_total_items). */
  items = 0;
  readonly prefixes = new Map<string, Prefix>();
  /** With --seal-keys: how many prefixes of each length, so a key is hashed once per length. */
  private readonly prefixLengths = new Map<number, number>();
  readonly clients = new Map<number, ClientTracking>();
  /** Clients with tracking on (INFO tracking_clients). */
  trackingClients = 0;
  /** The client whose command is running at the top level, 0 between commands. */
  current = 0;
  /** Invalidations for a client running a command, sent after its reply. */
  private readonly pending = new Map<number, Pending[]>();
  /** FLUSHALL empties 16 databases: one null per command, as Redis sends. */
  flushedInCommand = false;
  /** The outermost command of the running one (what a script's reads track: EVAL's keys). */
  outerSpec: CommandSpec | null = null;
  outerArgs: Buffer[] | null = null;
  /** tracking-table-max-keys, kept parsed: checked before every command. */
  private maxKeys: number;
  private broadcastQueued = false;
  private limitEffortRounds = 0;
  private limitQueued = false;
  readonly sealed: boolean;
  /** Clients whose disconnect already ends their tracking. */
  private readonly watched = new WeakSet<ClientState>();

  constructor(private readonly server: Server) {
    this.sealed = server.names.sealed;
    for (const db of server.databases) db.listen(this);
    this.maxKeys = server.config.number('tracking-table-max-keys');
    server.config.onChange((name) => {
      if (name !== 'tracking-table-max-keys') return;
      this.maxKeys = server.config.number('tracking-table-max-keys');
      this.queueLimit();
    });
  }

  // ---- client modes ----

  stateOf(id: number): ClientTracking | undefined {
    return this.clients.get(id);
  }

  /** The client's state, made on first use and dropped with the connection. */
  stateFor(c: ClientState): ClientTracking {
    let t = this.clients.get(c.id);
    if (t === undefined) {
      t = { id: c.id, on: false, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedirect: false, redirect: 0, prefixes: new Map() };
      this.clients.set(c.id, t);
    }
    if (!this.watched.has(c)) {
      this.watched.add(c);
      c.closedSignal.addEventListener('abort', () => this.forget(c.id), { once: true });
    }
    return t;
  }

  /** enableTracking: `prefixes` already checked for overlaps. */
  enable(t: ClientTracking, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: Buffer[]): void {
    if (!t.on) this.trackingClients++;
    t.on = true;
    t.brokenRedirect = false;
    t.redirect = redirect;
    t.bcast = opts.bcast;
    t.optin = opts.optin;
    t.optout = opts.optout;
    t.noloop = opts.noloop;
    if (opts.bcast) {
      if (prefixes.length === 0) this.addPrefix(t, Buffer.alloc(0));
      for (const p of prefixes) this.addPrefix(t, p);
    }
  }

  /** disableTracking: the client's ids stay in the table and go lazily, as in Redis. */
  disable(t: ClientTracking): void {
    if (t.bcast) {
      for (const p of t.prefixes.values()) {
        p.clients.delete(t);
        if (p.clients.size === 0) this.dropPrefix(p);
      }
      this.holdPrefixes(t, -t.prefixes.size);
      t.prefixes.clear();
    }
    if (t.on) {
      this.trackingClients--;
      t.on = t.bcast = t.optin = t.optout = t.noloop = t.caching = t.brokenRedirect = false;
    }
  }

  private forget(id: number): void {
    const t = this.clients.get(id);
    if (t !== undefined) this.disable(t);
    this.clients.delete(id);
    this.pending.delete(id);
  }

  /** Lookup id of a prefix (its latin1 text, or its keyed hash with --seal-keys). */
  prefixId(bytes: Uint8Array): string {
    return this.sealed ? this.server.members.hash(bytes) : nameString(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  }

  private addPrefix(t: ClientTracking, bytes: Buffer): void {
    const id = this.prefixId(bytes);
    let p = this.prefixes.get(id);
    if (p === undefined) {
      p = this.sealed
        ? { id, length: bytes.length, plain: null, sealed: this.server.values.sealName(id, bytes), clients: new Set(), keys: new Map() }
        : { id, length: bytes.length, plain: Buffer.from(bytes), sealed: null, clients: new Set(), keys: new Map() };
      this.prefixes.set(id, p);
      this.prefixLengths.set(bytes.length, (this.prefixLengths.get(bytes.length) ?? 0) + 1);
    }
    p.clients.add(t);
    if (!t.prefixes.has(id)) this.holdPrefixes(t, 1);
    t.prefixes.set(id, p);
  }

  /** Counts a client's BCAST prefixes in its memory (CLIENT LIST tot-mem, maxmemory-clients). */
  private holdPrefixes(t: ClientTracking, n: number): void {
    const c = this.server.clients.get(t.id);
    if (c !== undefined) c.heldBytes += n * TRACKING_PREFIX_BYTES;
  }

  private dropPrefix(p: Prefix): void {
    this.prefixes.delete(p.id);
    const n = (this.prefixLengths.get(p.length) ?? 1) - 1;
    if (n === 0) this.prefixLengths.delete(p.length);
    else this.prefixLengths.set(p.length, n);
    p.plain?.fill(0);
  }

  /** Runs fn on a prefix's bytes (opened into a buffer wiped after, when sealed). */
  withPrefix<T>(p: Prefix, fn: (bytes: Buffer) => T): T {
    if (p.plain !== null) return fn(p.plain);
    const buf = plainBuffer(Sealer.plainLength(p.sealed!));
    try {
      this.server.values.openNameInto(p.id, p.sealed!, buf, 0);
      return fn(buf);
    } finally {
      buf.fill(0);
    }
  }

  // ---- remembering reads ----

  /** trackingRememberKeys: the keys at `positions` of args, read by client t. */
  remember(t: ClientTracking, args: readonly Buffer[], keys: readonly KeyRef[]): void {
    if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
    const names = this.server.names;
    for (let i = 0; i < keys.length; i++) {
      const arg = args[keys[i]!.pos]!;
      const key = names.keyOf(arg);
      let entry = this.table.get(key);
      if (entry === undefined) {
        entry = { sealed: this.sealed ? this.server.values.sealName(key, arg) : null, clients: new Set() };
        this.table.set(key, entry);
      }
      if (!entry.clients.has(t.id)) {
        entry.clients.add(t.id);
        this.items++;
      }
    }
  }

  // ---- invalidation ----

  keyChanged(db: Keyspace, key: string, event: KeyEvent, _kind: Kind): void {
    // 'new' always comes just before the write's own event for the same key: one is enough.
    if (event === 'new' || event === 'xgroup-progress') return;
    const serving = this.server.blocking.servingClient;
    const writer = event === 'expired' || event === 'evicted' ? 0 : serving || this.current;
    if (this.prefixes.size > 0) this.rememberForBroadcast(db, key, writer);
    this.invalidate(key);
  }

  /** trackingInvalidateKey for the clients that read key (bcast scheduling apart). */
  invalidate(key: string): void {
    const entry = this.table.get(key);
    if (entry === undefined) return;
    const busy = this.server.blocking.servingClient || this.current;
    for (const id of entry.clients) {
      const t = this.clients.get(id);
      if (t === undefined || !t.on || t.bcast) continue;
      if (t.noloop && id === busy) continue;
      if (id === busy) this.defer(id, { key, sealed: entry.sealed });
      else this.sendKey(t, key, entry.sealed);
    }
    this.items -= entry.clients.size;
    this.table.delete(key);
  }

  /**
   * trackingInvalidateKeysOnFlush: a null to every tracking client, and the table emptied.
   * SWAPDB invalidates nothing in Redis 7.0 (only a replica's full load does), nor here.
   */
  dbChanged(_db: Keyspace, event: DbEvent): void {
    if (event !== 'flush' || this.flushedInCommand) return;
    this.flushedInCommand = true;
    const busy = this.server.blocking.servingClient || this.current;
    for (const t of this.clients.values()) {
      if (!t.on) continue;
      if (t.id === busy) this.defer(t.id, null);
      else this.sendNull(t);
    }
    this.table.clear();
    this.items = 0;
  }

  private defer(id: number, what: Pending): void {
    let list = this.pending.get(id);
    if (list === undefined) this.pending.set(id, (list = []));
    list.push(what);
  }

  /** trackingHandlePendingKeyInvalidations for one client: after its command's reply. */
  flushPending(id: number): void {
    const list = this.pending.get(id);
    if (list === undefined) return;
    this.pending.delete(id);
    const t = this.clients.get(id);
    if (t === undefined) return;
    for (const p of list) {
      if (p === null) this.sendNull(t);
      else this.sendKey(t, p.key, p.sealed);
    }
  }

  private rememberForBroadcast(db: Keyspace, key: string, writer: number): void {
    if (!this.sealed) {
      for (const p of this.prefixes.values()) {
        if (p.length > key.length || !key.startsWith(p.id)) continue;
        p.keys.set(key, { sealed: null, writer });
        this.queueBroadcast();
      }
      return;
    }
    const name = this.nameOf(db, key);
    if (name === null) return;
    try {
      let sealed: Buffer | null = null;
      for (const length of this.prefixLengths.keys()) {
        if (length > name.length) continue;
        const p = this.prefixes.get(this.server.members.hash(name.subarray(0, length)));
        if (p === undefined) continue;
        sealed ??= this.server.values.sealName(key, name);
        p.keys.set(key, { sealed, writer });
        this.queueBroadcast();
      }
    } finally {
      name.fill(0);
    }
  }

  /** With --seal-keys, the name of a key just written, in a buffer of its own (the caller wipes it). */
  private nameOf(db: Keyspace, key: string): Buffer | null {
    return (this.server.names as SealedKeyNames).plainNameOf(key, () => db.removing?.sealedName ?? db.peek(key)?.sealedName);
  }

  private queueBroadcast(): void {
    if (this.broadcastQueued) return;
    this.broadcastQueued = true;
    // Redis broadcasts in beforeSleep: once the commands of this turn have run.
    setImmediate(() => {
      this.broadcastQueued = false;
      this.broadcast();
    });
  }

  /**
   * trackingBroadcastInvalidationMessages: per prefix, the keys changed, to each of its clients.
   * Plain names go in Redis's order (its radix trees: prefixes and keys sorted by bytes); sealed
   * ones in the order they changed, since sorting would mean opening every name first.
   */
  broadcast(): void {
    const prefixes = [...this.prefixes.values()];
    if (!this.sealed) prefixes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const p of prefixes) {
      if (p.keys.size === 0) continue;
      const keys = [...p.keys];
      p.keys = new Map();
      if (!this.sealed) keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const t of p.clients) {
        if (!t.on) continue;
        let count = keys.length;
        if (t.noloop) for (const [, k] of keys) if (k.writer === t.id) count--;
        if (count === 0) continue;
        this.send(t, (c) => {
          c.reply.arrayLen(count);
          for (const [key, k] of keys) if (!(t.noloop && k.writer === t.id)) this.writeName(c, key, k.sealed);
        });
      }
    }
  }

  // ---- the table's size limit ----

  queueLimit(): void {
    if (this.limitQueued) return;
    this.limitQueued = true;
    setImmediate(() => {
      this.limitQueued = false;
      this.limitUsedSlots();
    });
  }

  /**
   * trackingLimitUsedSlots: over tracking-table-max-keys, keys are dropped (their clients told
   * as if they changed), oldest first, with more effort each time the table is still over.
   */
  limitUsedSlots(): void {
    const max = this.maxKeys;
    if (max === 0 || this.table.size <= max) {
      this.limitEffortRounds = 0;
      return;
    }
    let effort = 100 * (this.limitEffortRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidate(key);
      if (this.table.size <= max) {
        this.limitEffortRounds = 0;
        return;
      }
    }
    this.limitEffortRounds++;
    // Redis goes on from its cron; so do we, on the next turn.
    this.queueLimit();
  }

  // ---- sending ----

  private sendKey(t: ClientTracking, key: string, sealed: Buffer | null): void {
    this.send(t, (c) => {
      c.reply.raw(ONE_KEY);
      this.writeName(c, key, sealed);
    });
  }

  /** The null that means "every key": in the tracking client's own protocol, as Redis writes it. */
  private sendNull(t: ClientTracking): void {
    const own = this.server.clients.get(t.id);
    if (own === undefined) return;
    const bytes = own.reply.protocol === 3 ? NULL_RESP3 : NULL_RESP2;
    this.send(t, (c) => c.reply.raw(bytes));
  }

  private writeName(c: ClientState, key: string, sealed: Buffer | null): void {
    if (sealed === null) return c.reply.bulkLatin1(key);
    const length = Sealer.plainLength(sealed);
    const at = c.reply.beginBulk(length);
    try {
      this.server.values.openNameInto(key, sealed, c.reply.staging, at);
    } catch {
      c.reply.staging.fill(0, at, at + length);
      this.server.stats.sealFailures++;
    }
    c.reply.endBulk(length);
  }

  /** sendTrackingMessage: the message head for the receiving connection, then `value`. */
  private send(t: ClientTracking, value: (c: ClientState) => void): void {
    const own = this.server.clients.get(t.id);
    if (own === undefined) return;
    let c = own;
    let redirected = false;
    if (t.redirect !== 0) {
      const target = this.server.clients.get(t.redirect);
      // A connection closing after QUIT is gone for Redis already (freed once its reply is out).
      if (target === undefined || target.closed || target.ioStats().closing) {
        t.brokenRedirect = true;
        if (own.reply.protocol === 3) {
          pushing(own, () => {
            own.reply.raw(REDIR_BROKEN);
            own.reply.integer(t.redirect);
          });
        }
        return;
      }
      c = target;
      redirected = true;
    }
    let head: Buffer;
    if (c.reply.protocol === 3) head = INVALIDATE_RESP3;
    else if (redirected && isSubscribed(c)) head = INVALIDATE_RESP2;
    else return;
    pushing(c, () => {
      c.reply.raw(head);
      value(c);
    });
  }

  // ---- key rotation ----

  /** SEAL ROTATE: sealed names move to the new data key before the old one can be retired. */
  renewSealedNames(): void {
    if (!this.sealed) return;
    const values = this.server.values;
    for (const [key, entry] of this.table) entry.sealed = values.renewName(key, entry.sealed!);
    for (const p of this.prefixes.values()) {
      p.sealed = values.renewName(p.id, p.sealed!);
      for (const [key, k] of p.keys) if (k.sealed !== null) k.sealed = values.renewName(key, k.sealed);
    }
    for (const list of this.pending.values()) {
      for (const p of list) if (p !== null && p.sealed !== null) p.sealed = values.renewName(p.key, p.sealed);
    }
  }
}

/**
 * Writes a push to c even while its own reply is muted (CLIENT REPLY OFF / SKIP): Redis's
 * CLIENT_PUSHING. The muted part written so far is dropped (it was never to be sent) and muting
 * goes on after the push.
 */
function pushing(c: ClientState, write: () => void): void {
  const reply = c.reply;
  const muted = reply.muted;
  if (muted) reply.unmute();
  write();
  if (muted) reply.mute();
  c.wake();
}
