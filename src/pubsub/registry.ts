// Pub/Sub: the channel, shard-channel and pattern registry of one server and the fan-out of a
// published message (redis pubsub.c, dragonfly channel_store.cc). Knows subscribers as
// sessions and writes their pushes straight into their reply writers; command handlers
// (src/commands/connection/pubsub.ts) and keyspace notifications (notify.ts) both publish through here.
//
// Plaintext hygiene. A published message is copied into each subscriber's reply buffer (for
// several subscribers through the registry's off-heap scratch, zeroed right after the fan-out)
// and nowhere else: those buffers are zeroed once their socket write completes (reply.ts
// recycle), the publisher's argument is the parser's and is wiped with it. Nothing keeps a message.
// Channel names are user data like key names: without --seal-keys a topic is filed under its
// name as latin1 (as keys are) with a copy of its bytes for replies; with --seal-keys it is filed
// under a keyed BLAKE2b of the name (the members hasher) and the name itself is kept only
// sealed, opened straight into a reply buffer where a reply must show it (UNSUBSCRIBE without
// arguments, PUBSUB CHANNELS, a pmessage's pattern) or into a scratch buffer that is wiped
// right after (matching patterns, ACL checks of existing subscriptions). A PUBLISH needs no
// stored name at all: the channel in a message is the publisher's own argument.
//
// Slow subscribers: client-output-buffer-limit's pubsub class is checked before each push; a
// subscriber over it is dropped and closed on the next turn (Redis CLIENT_CLOSE_ASAP), so the
// publisher never waits and never buffers for it.

import type { ClientState, Server, Session } from '../commands/types.js';
import { Sealer } from '../seal/sealer.js';
import { plainBuffer } from '../util/bytes.js';
import { globMatchBytes } from '../util/glob.js';
import { nameString } from '../util/names.js';
import { SUBSCRIPTION_BYTES } from '../store/memory.js';

export type Flavor = 'channel' | 'pattern' | 'shard';

/** A channel (or shard channel, or pattern) with at least one subscriber. */
interface Topic {
  readonly id: string;
  /** The name's bytes (plain mode), or null when it is kept sealed. */
  readonly plain: Buffer | null;
  /** The name sealed under its id (--seal-keys), or null. */
  sealed: Buffer | null;
  readonly subscribers: Set<Subscriber>;
}

/** One connection's subscriptions (redis client->pubsub_channels, pubsub_patterns, pubsubshard_channels). */
export class Subscriber {
  readonly channels = new Map<string, Topic>();
  readonly patterns = new Map<string, Topic>();
  readonly shards = new Map<string, Topic>();
  /** When its unsent pushes first went over the soft limit; 0 while under it. */
  softSince = 0;
  /** Over the output limit: dropped from every topic, closing. */
  dropped = false;
  /** Push bytes written since its output was last measured (admit): measuring costs more than a push. */
  unmeasured = 0;

  constructor(readonly client: Session) {}

  /** Channels and patterns: the count SUBSCRIBE/PSUBSCRIBE and their unsubscribes report. */
  get count(): number {
    return this.channels.size + this.patterns.size;
  }

  get total(): number {
    return this.channels.size + this.patterns.size + this.shards.size;
  }

  of(flavor: Flavor): Map<string, Topic> {
    return flavor === 'channel' ? this.channels : flavor === 'pattern' ? this.patterns : this.shards;
  }
}

/** Push frame heads: `*3` (RESP2) or `>3` (RESP3) and the kind's bulk. */
function head(n: number, kind: string, resp3: boolean): Buffer {
  return Buffer.from(`${resp3 ? '>' : '*'}${n}\r\n$${kind.length}\r\n${kind}\r\n`, 'latin1');
}

const HEADS = {
  message: [head(3, 'message', false), head(3, 'message', true)],
  smessage: [head(3, 'smessage', false), head(3, 'smessage', true)],
  pmessage: [head(4, 'pmessage', false), head(4, 'pmessage', true)],
  subscribe: [head(3, 'subscribe', false), head(3, 'subscribe', true)],
  unsubscribe: [head(3, 'unsubscribe', false), head(3, 'unsubscribe', true)],
  psubscribe: [head(3, 'psubscribe', false), head(3, 'psubscribe', true)],
  punsubscribe: [head(3, 'punsubscribe', false), head(3, 'punsubscribe', true)],
  ssubscribe: [head(3, 'ssubscribe', false), head(3, 'ssubscribe', true)],
  sunsubscribe: [head(3, 'sunsubscribe', false), head(3, 'sunsubscribe', true)],
} as const;

type HeadKind = keyof typeof HEADS;

const SUBSCRIBE_KIND: Record<Flavor, HeadKind> = { channel: 'subscribe', pattern: 'psubscribe', shard: 'ssubscribe' };
const UNSUBSCRIBE_KIND: Record<Flavor, HeadKind> = { channel: 'unsubscribe', pattern: 'punsubscribe', shard: 'sunsubscribe' };

/** Bytes of a bulk string of n bytes: "$<n>\r\n<bytes>\r\n". */
function bulkBytes(n: number): number {
  return String(n).length + n + 5;
}

/** Writes a bulk string of `bytes` at p; returns where it ends. */
function writeBulk(out: Buffer, p: number, bytes: Uint8Array): number {
  out[p++] = 0x24;
  p += out.write(String(bytes.length), p, 'latin1');
  out[p++] = 0x0d;
  out[p++] = 0x0a;
  out.set(bytes, p);
  p += bytes.length;
  out[p++] = 0x0d;
  out[p++] = 0x0a;
  return p;
}

function writeHead(c: Session, kind: HeadKind): void {
  c.reply.raw(HEADS[kind][c.reply.protocol === 3 ? 1 : 0]);
}

/** Push bytes between two measurements of a subscriber's unsent output (see admit). */
const MEASURE_EVERY = 64 * 1024;

/** client-output-buffer-limit's pubsub class, kept parsed. */
interface PubsubLimit {
  hard: number;
  soft: number;
  softMs: number;
}

function readLimit(value: string): PubsubLimit {
  const m = /pubsub (\d+) (\d+) (\d+)/.exec(value);
  return m === null ? { hard: 0, soft: 0, softMs: 0 } : { hard: Number(m[1]), soft: Number(m[2]), softMs: Number(m[3]) * 1000 };
}

export class PubSub {
  private readonly topics: Record<Flavor, Map<string, Topic>> = { channel: new Map(), pattern: new Map(), shard: new Map() };
  private readonly subscribers = new Map<ClientState, Subscriber>();
  private limit: PubsubLimit;
  /** Subscribers over their output limit, closed once the current fan-out is done. */
  private doomed: Subscriber[] = [];
  /** Scratch space a sealed pattern is opened into to match a channel; wiped after each use. */
  private scratch = plainBuffer(256);
  readonly sealed: boolean;
  /** Subscribers dropped for their output limit (INFO client_output_buffer_limit_disconnections, sealkv's count). */
  slowDisconnections = 0;

  constructor(private readonly server: Server) {
    this.sealed = server.names.sealed;
    this.limit = readLimit(server.config.get('client-output-buffer-limit'));
    server.config.onChange((name, value) => {
      if (name === 'client-output-buffer-limit') this.limit = readLimit(value);
    });
  }

  /** Active channels, shard channels, patterns (INFO, PUBSUB NUMPAT). */
  size(flavor: Flavor): number {
    return this.topics[flavor].size;
  }

  subscriberOf(c: ClientState): Subscriber | undefined {
    return this.subscribers.get(c);
  }

  /** The lookup string of a name: the name as latin1, or its keyed hash with --seal-keys. */
  idOf(name: Uint8Array): string {
    return this.sealed ? this.server.members.hash(name) : nameString(Buffer.from(name.buffer, name.byteOffset, name.length));
  }

  // ---- subscribing ----

  /** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE of one name, with its confirmation push. */
  subscribe(c: Session, flavor: Flavor, name: Buffer): void {
    const sub = this.subscriberFor(c);
    const id = this.idOf(name);
    const own = sub.of(flavor);
    if (!own.has(id)) {
      const all = this.topics[flavor];
      let topic = all.get(id);
      if (topic === undefined) {
        topic = this.sealed
          ? { id, plain: null, sealed: this.server.values.sealName(id, name), subscribers: new Set() }
          : { id, plain: copyOf(name), sealed: null, subscribers: new Set() };
        all.set(id, topic);
      }
      topic.subscribers.add(sub);
      own.set(id, topic);
      c.heldBytes += SUBSCRIPTION_BYTES;
    }
    writeHead(c, SUBSCRIBE_KIND[flavor]);
    c.reply.bulk(name);
    c.reply.integer(flavor === 'shard' ? sub.shards.size : sub.count);
  }

  /** UNSUBSCRIBE name (or its kin): the confirmation names the argument whether or not it was subscribed. */
  unsubscribe(c: Session, flavor: Flavor, name: Buffer): void {
    const sub = this.subscribers.get(c);
    if (sub !== undefined) {
      const topic = sub.of(flavor).get(this.idOf(name));
      if (topic !== undefined && this.leave(sub, flavor, topic)) topic.plain?.fill(0);
    }
    writeHead(c, UNSUBSCRIBE_KIND[flavor]);
    c.reply.bulk(name);
    c.reply.integer(this.countFor(sub, flavor));
    this.forgetIfIdle(c);
  }

  /** UNSUBSCRIBE with no arguments: one confirmation per name, or one with a null name when there were none. */
  unsubscribeAll(c: Session, flavor: Flavor, notify = true): void {
    const sub = this.subscribers.get(c);
    const topics = sub === undefined ? [] : [...sub.of(flavor).values()];
    for (const topic of topics) {
      const gone = this.leave(sub!, flavor, topic);
      if (notify) {
        writeHead(c, UNSUBSCRIBE_KIND[flavor]);
        this.replyName(c, topic);
        c.reply.integer(this.countFor(sub, flavor));
      }
      if (gone) topic.plain?.fill(0);
    }
    if (notify && topics.length === 0) {
      writeHead(c, UNSUBSCRIBE_KIND[flavor]);
      c.reply.nullBulk();
      c.reply.integer(this.countFor(sub, flavor));
    }
    this.forgetIfIdle(c);
  }

  /** A connection leaves pub/sub entirely: RESET, disconnect, slow-subscriber drop. */
  drop(c: ClientState): void {
    const sub = this.subscribers.get(c);
    if (sub === undefined) return;
    for (const flavor of ['channel', 'pattern', 'shard'] as const) {
      for (const topic of [...sub.of(flavor).values()]) if (this.leave(sub, flavor, topic)) topic.plain?.fill(0);
    }
    this.subscribers.delete(c);
    leaveSubscribedMode(c);
  }

  private countFor(sub: Subscriber | undefined, flavor: Flavor): number {
    if (sub === undefined) return 0;
    return flavor === 'shard' ? sub.shards.size : sub.count;
  }

  private subscriberFor(c: Session): Subscriber {
    let sub = this.subscribers.get(c);
    if (sub === undefined) {
      sub = new Subscriber(c);
      this.subscribers.set(c, sub);
    }
    enterSubscribedMode(c, sub);
    if (!watched.has(c)) {
      watched.add(c);
      c.closedSignal.addEventListener('abort', () => this.drop(c), { once: true });
    }
    return sub;
  }

  /** A connection with no subscription left is out of subscribed mode (Redis clears CLIENT_PUBSUB). */
  private forgetIfIdle(c: ClientState): void {
    const sub = this.subscribers.get(c);
    if (sub !== undefined && sub.total === 0) {
      this.subscribers.delete(c);
      leaveSubscribedMode(c);
    }
  }

  /** Takes sub off topic; true when that was its last subscriber (the caller wipes its name once done with it). */
  private leave(sub: Subscriber, flavor: Flavor, topic: Topic): boolean {
    if (sub.of(flavor).delete(topic.id)) sub.client.heldBytes -= SUBSCRIPTION_BYTES;
    topic.subscribers.delete(sub);
    if (topic.subscribers.size > 0) return false;
    this.topics[flavor].delete(topic.id);
    return true;
  }

  // ---- publishing ----

  /**
   * PUBLISH / SPUBLISH (shard): writes the message to every subscriber of the channel, and for
   * PUBLISH to every pattern subscriber whose pattern matches. Returns the receivers counted as
   * Redis counts them (one per channel subscription and one per matching pattern subscription).
   */
  publish(channel: Buffer, message: Uint8Array, shard = false): number {
    let receivers = 0;
    const topics = this.topics[shard ? 'shard' : 'channel'];
    if (topics.size > 0) {
      const topic = topics.get(this.idOf(channel));
      if (topic !== undefined) {
        const kind = shard ? 'smessage' : 'message';
        const size = channel.length + message.length + 32;
        if (topic.subscribers.size > 1) {
          receivers += this.fanOut(topic, kind, channel, message, size);
        } else {
          for (const sub of topic.subscribers) {
            if (!this.admit(sub, size)) continue;
            const c = sub.client;
            writeHead(c, kind);
            c.reply.bulk(channel);
            c.reply.bulk(message);
            c.wake();
            receivers++;
          }
        }
      }
    }
    if (!shard && this.topics.pattern.size > 0) receivers += this.publishToPatterns(channel, message);
    if (this.doomed.length > 0) this.closeDoomed();
    return receivers;
  }

  /**
   * A message to several subscribers: its channel and payload bulks are encoded once into the
   * scratch buffer (wiped right after) and copied whole into each reply, instead of encoded per
   * subscriber (a fifth of PUBLISH's time at 50 subscribers).
   */
  private fanOut(topic: Topic, kind: 'message' | 'smessage', channel: Buffer, message: Uint8Array, size: number): number {
    const length = bulkBytes(channel.length) + bulkBytes(message.length);
    if (length > this.scratch.length) this.growScratch(length);
    const body = this.scratch;
    let receivers = 0;
    try {
      writeBulk(body, writeBulk(body, 0, channel), message);
      const frame = body.subarray(0, length);
      for (const sub of topic.subscribers) {
        if (!this.admit(sub, size)) continue;
        const c = sub.client;
        writeHead(c, kind);
        c.reply.raw(frame);
        c.wake();
        receivers++;
      }
    } finally {
      body.fill(0, 0, length);
    }
    return receivers;
  }

  private publishToPatterns(channel: Buffer, message: Uint8Array): number {
    let receivers = 0;
    for (const topic of this.topics.pattern.values()) {
      let pattern = topic.plain;
      let opened = 0;
      if (pattern === null) {
        opened = Sealer.plainLength(topic.sealed!);
        if (opened > this.scratch.length) this.growScratch(opened);
        try {
          this.server.values.openNameInto(topic.id, topic.sealed!, this.scratch, 0);
        } catch {
          // A damaged sealed name matches nothing; the publisher is not failed for it.
          this.server.stats.sealFailures++;
          this.scratch.fill(0, 0, opened);
          continue;
        }
        pattern = this.scratch.subarray(0, opened);
      }
      const matched = globMatchBytes(pattern, channel);
      if (matched) {
        const size = pattern.length + channel.length + message.length + 40;
        for (const sub of topic.subscribers) {
          if (!this.admit(sub, size)) continue;
          const c = sub.client;
          writeHead(c, 'pmessage');
          c.reply.bulk(pattern);
          c.reply.bulk(channel);
          c.reply.bulk(message);
          c.wake();
          receivers++;
        }
      }
      if (opened > 0) this.scratch.fill(0, 0, opened);
    }
    return receivers;
  }

  private growScratch(size: number): void {
    this.scratch.fill(0);
    this.scratch = plainBuffer(Math.max(size, this.scratch.length * 2));
  }

  /**
   * Whether a push may still be written for sub: false for a subscriber over the pubsub
   * output limit, which is dropped (its pushes stop here) and closed after the fan-out.
   */
  private admit(sub: Subscriber, bytes: number): boolean {
    if (sub.dropped) return false;
    const limit = this.limit;
    if (limit.hard === 0 && limit.soft === 0) return true;
    // Measured once per MEASURE_EVERY bytes of pushes (and per soft-limit second): a client
    // passes its limit by at most that much before it is dropped.
    sub.unmeasured += bytes;
    if (sub.unmeasured < MEASURE_EVERY && (sub.softSince === 0 || this.server.clock() - sub.softSince < limit.softMs)) return true;
    sub.unmeasured = 0;
    const io = sub.client.ioStats();
    const pending = io.staged + io.unsentBytes;
    const now = this.server.clock();
    if (limit.soft === 0 || pending < limit.soft) sub.softSince = 0;
    else if (sub.softSince === 0) sub.softSince = now;
    const over = (limit.hard > 0 && pending >= limit.hard) || (limit.soft > 0 && sub.softSince > 0 && now - sub.softSince >= limit.softMs);
    if (!over) return true;
    sub.dropped = true;
    this.doomed.push(sub);
    this.server.log.warn({ client: sub.client.id, addr: sub.client.addr, pending }, 'client scheduled to be closed ASAP for overcoming of output buffer limits');
    return false;
  }

  private closeDoomed(): void {
    const doomed = this.doomed;
    this.doomed = [];
    for (const sub of doomed) {
      this.slowDisconnections++;
      this.drop(sub.client);
      sub.client.kill();
    }
  }

  // ---- introspection ----

  /** PUBSUB NUMSUB / SHARDNUMSUB: subscribers of a channel (patterns not counted). */
  subscriberCount(flavor: 'channel' | 'shard', name: Buffer): number {
    return this.topics[flavor].get(this.idOf(name))?.subscribers.size ?? 0;
  }

  /**
   * PUBSUB CHANNELS / SHARDCHANNELS [pattern]: every active name matching, written as an array.
   * With sealed names each is opened to match it and written straight into the reply.
   */
  replyChannels(c: Session, flavor: 'channel' | 'shard', pattern: Buffer | null): void {
    const topics = [...this.topics[flavor].values()];
    if (pattern === null) {
      c.reply.arrayLen(topics.length);
      for (const t of topics) this.replyName(c, t);
      return;
    }
    const hits: Topic[] = [];
    for (const t of topics) if (this.withName(t, (name) => globMatchBytes(pattern, name))) hits.push(t);
    c.reply.arrayLen(hits.length);
    for (const t of hits) this.replyName(c, t);
  }

  /** Writes a topic's name as a bulk string, opening a sealed one straight into the reply. */
  private replyName(c: Session, topic: Topic): void {
    if (topic.plain !== null) return c.reply.bulk(topic.plain);
    const length = Sealer.plainLength(topic.sealed!);
    const at = c.reply.beginBulk(length);
    this.server.values.openNameInto(topic.id, topic.sealed!, c.reply.staging, at);
    c.reply.endBulk(length);
  }

  /** Runs fn on a topic's name bytes (opened into a scratch buffer, wiped after, when sealed). */
  private withName<T>(topic: Topic, fn: (name: Uint8Array) => T): T {
    if (topic.plain !== null) return fn(topic.plain);
    const length = Sealer.plainLength(topic.sealed!);
    const buf = plainBuffer(length);
    try {
      this.server.values.openNameInto(topic.id, topic.sealed!, buf, 0);
      return fn(buf);
    } finally {
      buf.fill(0);
    }
  }

  /**
   * Whether every subscription of c passes `allowed` (name bytes, is it a pattern): ACL SETUSER
   * kills the clients whose rights no longer cover what they listen to.
   */
  subscriptionsAllowed(c: ClientState, allowed: (name: Uint8Array, pattern: boolean) => boolean): boolean {
    const sub = this.subscribers.get(c);
    if (sub === undefined) return true;
    for (const t of sub.patterns.values()) if (!this.withName(t, (n) => allowed(n, true))) return false;
    for (const t of sub.channels.values()) if (!this.withName(t, (n) => allowed(n, false))) return false;
    for (const t of sub.shards.values()) if (!this.withName(t, (n) => allowed(n, false))) return false;
    return true;
  }

  /** SEAL ROTATE: sealed names move to the new data key before the old one can be retired. */
  renewSealedNames(): void {
    if (!this.sealed) return;
    for (const flavor of ['channel', 'pattern', 'shard'] as const) {
      for (const t of this.topics[flavor].values()) t.sealed = this.server.values.renewName(t.id, t.sealed!);
    }
  }
}

function copyOf(name: Uint8Array): Buffer {
  const out = plainBuffer(name.length);
  out.set(name);
  return out;
}

/** Connections with at least one subscription, across servers: the dispatcher's check is one lookup. */
const subscribedClients = new WeakMap<ClientState, Subscriber>();
/** Connections whose disconnect already drops their subscriptions. */
const watched = new WeakSet<ClientState>();
/** Servers with a registry: INFO and CLIENT LIST skip the lookup while there is none. */
let servers = 0;

/**
 * How many connections subscribedClients holds: while none is, the dispatcher's check for every
 * command is a comparison instead of a WeakMap lookup.
 */
let subscribedCount = 0;

function enterSubscribedMode(c: ClientState, sub: Subscriber): void {
  if (!subscribedClients.has(c)) subscribedCount++;
  subscribedClients.set(c, sub);
}

function leaveSubscribedMode(c: ClientState): void {
  if (subscribedClients.delete(c)) subscribedCount--;
}

/** Whether c is in subscribed mode (Redis CLIENT_PUBSUB). */
export function isSubscribed(c: ClientState): boolean {
  return subscribedCount !== 0 && subscribedClients.has(c);
}

/** c's subscriptions while it is subscribed (CLIENT LIST sub= psub= ssub=). */
export function subscriptionsOf(c: ClientState): Subscriber | undefined {
  return subscribedClients.get(c);
}

const byServer = new WeakMap<Server, PubSub>();

/** The server's registry, made on first use. */
export function pubsubOf(server: Server): PubSub {
  let ps = byServer.get(server);
  if (ps === undefined) {
    ps = new PubSub(server);
    byServer.set(server, ps);
    servers++;
  }
  return ps;
}

/** The registry if the server has one yet (INFO, CLIENT LIST read counts without making one). */
export function pubsubIfAny(server: Server): PubSub | undefined {
  return servers === 0 ? undefined : byServer.get(server);
}
