// One connection: socket bytes -> parser -> dispatcher -> one write per read event, made once
// every connection's reads of the event-loop turn have run (src/write-batch.ts).
// Every complete command of a read runs before the single write (ARCHITECTURE convention 7);
// a command that must wait (a promise) holds back the ones after it, so replies keep
// request order.
//
// Plaintext hygiene: the bytes of a read belong to the listener, which zeroes them as soon as
// receive() returns, so the parser detaches from them first; reply buffers are zeroed once
// their socket write has completed; on close, whatever is still held is zeroed.

import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TLSSocket } from 'node:tls';
import { DirectWriter, WriteResult } from './direct-write.js';
import { localAddress, peerAddress } from './address.js';
import type { AclUser } from '../acl/user.js';
import { dispatch } from '../commands/dispatch.js';
import { spilledAhead } from '../commands/memory-gate.js';
import type { Registry } from '../commands/registry.js';
import type { BusyAnswer, ClientIo, QueuedCommand, ReplyMode, Server, Session } from '../commands/types.js';
import type { ArgList } from '../protocol/arg-list.js';
import { ProtocolError, RequestParser, type ParserLimits } from '../protocol/parser.js';
import type { Config } from '../config.js';
import { ReplyWriter } from '../protocol/reply.js';
import { endTransaction } from '../commands/connection/transactions.js';
import type { Keyspace, WatchFlag } from '../store/keyspace.js';
import { ownArgs } from '../util/bytes.js';
import { giveShared, isShared, wipeShared } from '../util/shared-pool.js';
import { currentTurn, flushAfterReads } from './write-batch.js';
import { muteIfAsked, socketFd } from './client-info.js';
import { readWhileBusy } from './busy-read.js';
import { isSubscribed } from '../pubsub/index.js';
import type { ReadSink } from './read-buffer.js';
import { CLIENT_BYTES, ClientKind, type ClientMemory } from '../store/memory.js';
import type { EvictableClient } from './client-eviction.js';

/**
 * A read at least this large is counted in the server's memory before its commands run (see
 * received); smaller ones only after, so a request answered at once never touches the count.
 * Redis's own read size (PROTO_IOBUF_LEN).
 */
const COUNT_BEFORE_RUN_BYTES = 16 * 1024;

/** Commands parsed ahead while one waits for spilled values (see readAhead). */
const AHEAD_COMMANDS = 64;
/**
 * The longest a connection's commands run per event-loop turn (ms) before the other connections' reads
 * get their turn (see run). Redis bounds the same thing by reading at most 16 KiB per client
 * per event; a time bound also covers commands of very different cost. Pipelines of cheap
 * commands (16 GETs take ~50 µs) never reach it.
 */
const READ_SLICE_MS = 0.1;
/**
 * A run is not cut before this many commands, unless they took READ_SLICE_MAX_MS: a pipeline of
 * 16 commands of 10-20 µs each (sorted-set ranges, scripts) was split over 2-3 turns, each with
 * its own write and a pause/resume of the socket's reads (~5% of those commands' cost), where
 * Redis runs every command one read brought.
 */
const SLICE_MIN_COMMANDS = 16;
const READ_SLICE_MAX_MS = 1;

/** Commands of a pipeline whose keys are prefetched at once (redis 8's prefetch-batch-max-size: 16). */
const PREFETCH_KEYS = 16;
/** Where prefetchKeys() finds the keys in the read: shared, as connections run one at a time. */
const keyStarts = new Int32Array(PREFETCH_KEYS);
const keyLengths = new Int32Array(PREFETCH_KEYS);

export class Client implements Session, ReadSink, EvictableClient {
  name: string | null = null;
  libName = '';
  libVersion = '';
  readonly addr: string;
  readonly createdAt: number;
  lastInteraction: number;
  lastCommand = 'NULL';
  dbIndex = 0;
  db: Keyspace;
  authenticated: boolean;
  aclUser: AclUser;
  multi: QueuedCommand[] | null = null;
  multiFailed = false;
  atomic = 0;
  readonly scripted = false;
  asking = false;
  readonlyCluster = false;
  watching: { flag: WatchFlag; keys: [Keyspace, string][] } | null = null;
  heldBytes = 0;
  noEvict = false;
  replicaLink = false;
  now = 0;
  replyMode: ReplyMode = 'on';
  readonly reply: ReplyWriter;
  /**
   * Made when something first waits for the close (a subscription, a blocked command...): most
   * connections never need one. An AbortController and its abort() were a fifth of the CPU a
   * connection that sends one command costs; aborting with a reason of our own also skips the
   * DOMException (and its stack trace) abort() makes.
   */
  private ending: AbortController | null = null;
  /** CLIENT LIST laddr=, asked of the socket (getsockname) when first wanted. */
  private localAddr: string | null = null;

  private readonly parser: RequestParser;
  /**
   * Commands parsed while an earlier one waits for spilled values, each with its own copy of
   * its arguments (zeroed once it ran), or the protocol error the parser met: run in order.
   */
  private readonly ahead: (Buffer[] | ProtocolError)[] = [];
  /** Plain TCP replies bypass socket.write() (see direct-write.ts); null for TLS. */
  private readonly direct: DirectWriter | null;
  private closing = false;
  closed = false;
  /** Why the server closed the connection, for the log (null: the client closed it). */
  closeReason: string | null = null;
  private waiting = false;
  private flushQueued = false;
  private continuing = false;
  /** The turn (write-batch currentTurn) this connection's slice belongs to, and when it began. */
  private sliceTurn = -1;
  private sliceStart = 0;
  /**
   * The connection used up its slice with commands still buffered (see run): the rest run on a
   * later turn, and its socket is not read meanwhile, so the kernel holds what comes after.
   */
  private yielded = false;
  /** When unsent replies first went over the soft output limit; 0 while under it. */
  private softLimitSince = 0;
  /** Set only while serveWhileBusy runs: requests are answered by it instead of dispatch(). */
  private busyAnswer: BusyAnswer | null = null;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    readonly server: Server,
    private readonly registry: Registry,
    private readonly onClose: (client: Client) => void,
  ) {
    this.addr = peerAddress(socket);
    this.createdAt = this.lastInteraction = server.clock();
    this.db = server.databases[0]!;
    // Redis: a new connection is the default user, logged in when that user needs no password.
    this.aclUser = server.acl.defaultUser;
    this.authenticated = this.aclUser.enabled && this.aclUser.nopass;
    this.reply = new ReplyWriter(server.stats);
    this.reply.onOverflow = () => this.overLimit();
    this.parser = new RequestParser(liveParserLimits(server.config));
    this.parser.unauthenticated = !this.authenticated;
    // A request of thousands of arguments for a handler that reads a vector comes whole (arg-list.ts).
    // So do the bulk commands whose handlers take arrays (ZADD...), where they prepare (outside
    // MULTI and cluster mode): they make their views a slice per turn then (commands/values/bulk.ts).
    this.parser.keepWhole = (name) => registry.takesArgList(name) || (this.multi === null && server.cluster === null && registry.preparesWhole(name));
    // A short request for a handler that reads raw arguments (XADD) comes as offsets into the read (raw-args.ts).
    this.parser.rawCommand = registry.takesRawFn;
    this.direct = socket instanceof TLSSocket ? null : DirectWriter.for(socket, ReplyWriter.recycle, () => this.kill('write failed'), () => this.recount());

    socket.setNoDelay(true);
    const keepalive = server.config.number('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    socket.on('error', (err: NodeJS.ErrnoException) => this.kill(`socket error ${err.code ?? ''}`.trimEnd()));
    socket.on('close', () => this.finish());
  }

  get blocked(): boolean {
    return this.server.blocking.isBlocked(this.id);
  }

  get closedSignal(): AbortSignal {
    if (this.ending === null) {
      this.ending = new AbortController();
      if (this.closed) this.ending.abort(CONNECTION_CLOSED);
    }
    return this.ending.signal;
  }

  get laddr(): string {
    return (this.localAddr ??= localAddress(this.socket));
  }

  get user(): string {
    return this.aclUser.name;
  }

  get idle(): boolean {
    return this.parser.idle && !this.waiting && this.ahead.length === 0;
  }

  /**
   * CLIENT LIST qbuf=: bytes not parsed yet, and commands parsed ahead of a waiting one. While
   * a read's commands run it is the whole read (with what was left of the one before), the
   * command running included: Redis trims its query buffer only after the batch.
   */
  private readInHand = -1;

  get queryBufferBytes(): number {
    return (this.readInHand >= 0 ? this.readInHand : this.parser.unparsed) + this.aheadBytes();
  }

  /** What client-query-buffer-limit counts: also a half-received command's parsed arguments. */
  private heldInputBytes(): number {
    return this.parser.pending + this.aheadBytes();
  }

  private aheadBytes(): number {
    const ahead = this.ahead;
    let bytes = 0;
    // Indexed loops: this runs on every read, nearly always over an empty list.
    for (let i = 0; i < ahead.length; i++) {
      const item = ahead[i]!;
      if (!(item instanceof ProtocolError)) for (let j = 0; j < item.length; j++) bytes += item[j]!.length;
    }
    return bytes;
  }

  /** What this connection holds as last counted (recount), and which of the account's sums it is in. */
  private counted: ClientMemory = NOTHING;
  private countedKind = ClientKind.Evictable;

  /**
   * Counts what this connection holds now in the server's memory (INFO used_memory, maxmemory,
   * maxmemory-clients): the fixed cost, the query buffer (unparsed bytes and a half-received
   * command's arguments, a large bulk's whole buffer once its header came), commands parsed
   * ahead, what WATCH, subscriptions, tracking prefixes and MULTI keep, and replies the kernel
   * has not taken. Called after each read and each
   * write, and as late writes complete: O(1), and the account is touched only when a figure
   * moved (never for a request answered at once). The reply staging buffer is left out: it is
   * filled and written within the turn.
   */
  recount(): void {
    if (this.closed) return;
    const input = this.parser.held + (this.ahead.length === 0 ? 0 : this.aheadBytes());
    const output = this.unsentBytes;
    const total = CLIENT_BYTES + input + output + this.heldBytes;
    const kind = this.replicaLink ? ClientKind.Replica : this.noEvict ? ClientKind.Kept : ClientKind.Evictable;
    const was = this.counted;
    if (total === was.total && input === was.input && output === was.output && kind === this.countedKind) return;
    const now = { total, input, output };
    this.server.memory.account.clientResized(was, this.countedKind, now, kind);
    this.counted = now;
    this.countedKind = kind;
    if (this.server.clientEviction.over) this.server.clientEviction.check();
  }

  /** What the last recount found (INFO's recent peaks). */
  get countedMemory(): ClientMemory {
    return this.counted;
  }

  /** Its memory as last counted (the account's share of it). */
  get memoryTotal(): number {
    return this.counted.total;
  }

  get evictable(): boolean {
    return this.countedKind === ClientKind.Evictable;
  }

  /** Closed by client eviction (maxmemory-clients). */
  evict(): void {
    this.kill('client eviction');
  }

  closeAfterReply(reason = 'closed by a command'): void {
    this.closeReason ??= reason;
    this.closing = true;
  }

  wake(): void {
    this.queueFlush();
  }

  ioStats(): ClientIo {
    const direct = this.direct;
    return {
      fd: socketFd(this.socket),
      staged: this.reply.size,
      unsentBytes: this.unsentBytes,
      unsentWrites: (direct === null ? 0 : direct.pendingWrites) + (this.socket.writableLength > 0 ? 1 : 0),
      replyBuffer: this.reply.capacity,
      replyPeak: Math.max(this.reply.peak, this.reply.size),
      closing: this.closing,
      counted: this.counted.total,
      unix: this.socket.remoteAddress === undefined,
    };
  }

  kill(reason = 'killed'): void {
    if (this.closed) return;
    this.closeReason ??= reason;
    this.socket.destroy();
    this.finish();
  }

  /**
   * Handles the bytes of one read. They are the caller's and are zeroed once this returns, so
   * the parser copies what it still needs (a half-received command) before that.
   */
  receive(chunk: Buffer): void {
    if (this.closing || this.closed) return;
    this.readInHand = this.parser.unparsed + chunk.length;
    this.parser.feed(chunk);
    this.received(chunk.length);
  }

  /** Where the next read should land: the rest of a large bulk the parser gathers in shared memory, or null. */
  readTarget(): Uint8Array | null {
    return this.closing || this.closed ? null : this.parser.readTarget();
  }

  /** Whether the next read should be short: the last one ended a large bulk, and another may follow (read-buffer.ts). */
  shortRead(): boolean {
    return this.parser.afterBigBulk();
  }

  /** Handles n bytes read straight into `view` (a readTarget()): the parser's now, or wiped if it no longer wants them. */
  receiveInPlace(view: Uint8Array, n: number): void {
    if (this.closing || this.closed || !this.parser.receivedInPlace(view, n)) {
      wipeShared(view, n);
      return;
    }
    this.readInHand = this.parser.unparsed;
    this.received(n);
  }

  /** The rest of handling a read of n bytes, now in the parser. */
  private received(n: number): void {
    this.server.stats.netInputBytes += n;
    this.server.stats.readsProcessed++;
    const wall = (this.lastInteraction = this.server.clock());
    if (this.heldInputBytes() > this.server.config.number('client-query-buffer-limit')) {
      // Redis closes such a client without a reply; so do we, and say why in the log.
      this.server.log.warn({ client: this.id, addr: this.addr }, 'closing client that reached max query buffer length');
      this.kill('query buffer limit');
      this.readInHand = -1;
      return;
    }
    // A large read is counted before its commands run, as Redis counts a command's arguments
    // before it runs it: a connection it takes past maxmemory-clients is evicted instead
    // (redis processCommand -> evictClients), and keys are evicted with it in the count.
    if (this.parser.held >= COUNT_BEFORE_RUN_BYTES) {
      this.recount();
      if (this.closed) return;
    }
    // A read that arrived as the socket was paused: its commands wait behind the ones buffered.
    if (this.yielded) {
      this.readInHand = -1;
      this.parser.detach();
      this.recount();
      return;
    }
    // While a command waits, what arrives is parsed into commands of their own at once: left in
    // the parser, each read would re-join everything unparsed before it (a pipeline of 1 MiB
    // SETs behind one a seal worker has copied megabytes per 64 KiB read).
    if (this.waiting) this.readAhead();
    // The read's first command is timed from here, each later one from the end of the one before (Observer.mark).
    const observer = this.server.observer;
    const mark = (observer.mark = performance.now());
    // The commands of this read take their unix time from their marks (Observer.wallAt).
    if (this.server.clock === Date.now) observer.wallOffset = wall - mark;
    this.run();
    this.readInHand = -1;
    observer.mark = observer.wallOffset = NaN;
    this.parser.detach();
    this.recount();
  }

  /** Runs every complete command buffered, then writes all their replies at once. */
  private run(): void {
    const hard = this.server.outputLimit.hard;
    this.reply.cap = hard > 0 ? hard - this.unsentBytes : Infinity;
    const observer = this.server.observer;
    // The slice is timed with the clock reads the commands' own timing makes (Observer.mark):
    // nothing extra per command, except every 16th when a command left no time behind.
    let start = observer.mark;
    if (Number.isNaN(start)) start = observer.mark = performance.now();
    // One slice per turn, whatever number of reads libuv hands over in it (up to 32 per poll).
    const turn = currentTurn();
    if (this.sliceTurn !== turn) {
      this.sliceTurn = turn;
      this.sliceStart = start;
    }
    const sliceEnd = this.sliceStart + READ_SLICE_MS;
    const sliceHardEnd = this.sliceStart + READ_SLICE_MAX_MS;
    let count = 0;
    while (!this.waiting && !this.closing && !this.closed) {
      if (++count > 1) {
        let now = observer.mark;
        if (Number.isNaN(now) && (count & 15) === 0) now = observer.mark = performance.now();
        // Alone on the server (a bulk load through redis-cli --pipe) there is nobody to yield to;
        // while a script is busy no later turn comes until it ends (requests are answered BUSY).
        if (now > sliceEnd && (count > SLICE_MIN_COMMANDS || now > sliceHardEnd) && this.server.clients.size > 1 && this.busyAnswer === null && (this.parser.unparsed > 0 || this.ahead.length > 0)) {
          this.yieldTurn();
          break;
        }
      }
      if ((count & (PREFETCH_KEYS - 1)) === 1 && this.ahead.length === 0) this.prefetchKeys();
      const next = this.nextCommand();
      if (next instanceof ProtocolError) {
        this.reply.error(next.message);
        this.closeReason ??= 'protocol error';
        this.closing = true;
        break;
      }
      if (next === null) break;
      const args = next;
      const owned = this.nextOwned;
      if (this.replyMode !== 'on') muteIfAsked(this);
      const pending = this.busyAnswer === null ? dispatch(this, this.registry, args) : this.busyAnswer(this, args);
      // A command that waits or is queued (MULTI) has copied (or claimed) what it keeps by now.
      if (owned) this.releaseAhead(args as Buffer[]);
      if (pending === undefined) this.reply.unmute();
      else {
        this.waiting = true;
        this.readAhead();
        this.flush();
        pending.then(
          () => this.resume(),
          (err: unknown) => {
            this.server.log.error({ client: this.id, err: String(err) }, 'command failed');
            this.reply.error('ERR internal error');
            this.resume();
          },
        );
        return;
      }
    }
    this.parser.unauthenticated = !this.authenticated;
    if (this.parser.busy && !this.closing && !this.closed && !this.waiting) this.continueSoon();
    // With a hard output limit, a read's replies stay staged across its slices and leave once
    // all its commands have run, as Redis holds them in its output buffer until it writes: the
    // limit then applies to them all (a pipeline past it gets no reply), not to each slice the
    // kernel took in turn.
    if (this.yielded && hard > 0 && !this.closing) return;
    // Past the hard output limit: closed now rather than at the end of the turn, so a command
    // of another connection read in the same turn (CLIENT LIST) no longer finds it.
    if (this.reply.overflowed) return this.kill('output buffer limit');
    this.queueFlush(count === 2);
  }

  /**
   * Brings the keys of the next PREFETCH_KEYS commands of a pipeline into the CPU's cache
   * before they run, so that their cache misses overlap instead of each command waiting for its
   * own (a random-key GET spent ~0.3 us in them). Key names that are sealed (--seal-keys) are
   * not the bytes sent: none then.
   */
  private prefetchKeys(): void {
    if (this.server.names.sealed) return;
    const n = this.parser.peekKeys(keyStarts, keyLengths);
    if (n > 1) this.db.prefetchRaw(this.parser.peekBytes, keyStarts, keyLengths, n);
  }

  /**
   * The connection's slice is used up with commands still buffered: the socket stops being read
   * (the kernel holds the rest, as it does for Redis) and the buffered commands run in a later
   * turn, after the other connections' reads and this one's replies so far. A connection's
   * replies keep their order: nothing else of its runs before the rest.
   */
  private yieldTurn(): void {
    this.yielded = true;
    this.server.stats.readSlicesYielded++;
    this.socket.pause();
    setImmediate(() => {
      this.yielded = false;
      if (this.closing || this.closed) return;
      if (!this.waiting) {
        this.readInHand = this.parser.unparsed;
        this.server.observer.mark = performance.now();
        this.run();
        this.readInHand = -1;
        this.server.observer.mark = NaN;
        this.parser.detach();
        this.recount();
      }
      if (!this.yielded) this.socket.resume();
    });
  }

  /**
   * A long command is turned into arguments a slice per turn (RequestParser.busy): carry on
   * after the other connections' reads of this turn have been served.
   */
  private continueSoon(): void {
    if (this.continuing) return;
    this.continuing = true;
    setImmediate(() => {
      this.continuing = false;
      if (this.closing || this.closed || this.waiting) return;
      this.run();
      this.server.observer.mark = NaN;
      this.parser.detach();
      this.recount();
    });
  }

  /**
   * Another connection's script is busy (src/commands/scripting/script-busy.ts): reads what the kernel
   * holds for this one without the event loop (busy-read.ts), answers it with `answer` and
   * writes the replies at once. Left for the event loop when that could reorder replies: TLS
   * (its bytes cannot be read synchronously), a command waiting, replies the kernel has not
   * taken yet. A half-received request stays in the parser for the event loop.
   */
  serveWhileBusy(answer: BusyAnswer): void {
    if (this.socket instanceof TLSSocket || this.closing || this.closed || this.waiting || this.continuing || this.yielded) return;
    if (this.ahead.length > 0 || this.unsentBytes > 0) return;
    // The socket's next read already points into the large bulk being gathered (readTarget):
    // bytes read here would advance the bulk under it, so this one waits for the event loop.
    if (this.parser.readTarget() !== null) return;
    const fd = socketFd(this.socket);
    if (fd < 0) return;
    this.busyAnswer = answer;
    try {
      readWhileBusy(fd, (chunk) => {
        this.receive(chunk);
        return !this.closing && !this.closed && !this.waiting && !this.yielded;
      });
    } finally {
      this.busyAnswer = null;
    }
    this.flush();
  }

  /**
   * The replies go out with the other connections' ones of this turn (src/write-batch.ts), or
   * at once after a read that brought one command (pipeline 1): that reply is staged in the
   * buffer the previous connection just gave back, still in cache, and leaves before the
   * buffer goes to the next one. Batched to the end of the turn, each of 1,000 connections
   * held a staging buffer of its own, cold by the time it was written.
   */
  private queueFlush(oneCommand = false): void {
    if (this.flushQueued) return;
    this.flushQueued = !oneCommand;
    flushAfterReads(this, oneCommand);
  }

  /**
   * Lets the running command keep one of its arguments, a large bulk in shared memory (see
   * RequestParser.claim), without a copy: it gives it back with giveShared() when done. False
   * for any other argument (the command copies what it keeps).
   */
  claimArg(arg: Uint8Array): boolean {
    if (!isShared(arg)) return false;
    if (!this.nextOwned) return this.parser.claim(arg);
    if (this.aheadArgs === null || !this.aheadArgs.includes(arg as Buffer)) return false;
    this.claimed = arg;
    return true;
  }

  /** The arguments of the command parsed ahead that is running, and the one of them it claimed. */
  private aheadArgs: Buffer[] | null = null;
  private claimed: Uint8Array | null = null;

  /** Wipes a command's arguments parsed ahead (shared memory back to its pool), but the one it claimed. */
  private releaseAhead(args: Buffer[]): void {
    for (const a of args) {
      if (a === this.claimed) continue;
      if (isShared(a)) giveShared(a);
      else a.fill(0);
    }
    this.claimed = null;
    this.aheadArgs = null;
  }

  /** Whether the arguments nextCommand() returned last are ours to wipe (parsed ahead). */
  private nextOwned = false;

  /**
   * The next command: one parsed ahead first (its arguments are ours to wipe: nextOwned), else
   * the parser's. No object per command: this runs for every request.
   */
  private nextCommand(): ArgList | ProtocolError | null {
    if (this.ahead.length !== 0) {
      const queued = this.ahead.shift()!;
      this.nextOwned = !(queued instanceof ProtocolError);
      this.aheadArgs = this.nextOwned ? (queued as Buffer[]) : null;
      return queued;
    }
    this.nextOwned = false;
    try {
      return this.parser.nextArgs();
    } catch (err) {
      if (err instanceof ProtocolError) return err;
      throw err;
    }
  }

  /**
   * While a command waits (spilled values, a seal worker, a blocking pop), parses the ones
   * behind it (copying their arguments: the parser reuses its buffers) and starts reading the
   * spilled values they will need, so a pipeline of GETs on spilled keys waits for its reads
   * together.
   */
  private readAhead(): void {
    const spill = this.server.spill;
    const parsed: Buffer[][] = [];
    while (this.ahead.length < AHEAD_COMMANDS) {
      let args: Buffer[] | null;
      try {
        args = this.parser.next();
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.ahead.push(err);
        break;
      }
      if (args === null) break;
      // Large bulks in shared memory are taken from the parser as they are: a pipeline of 1 MiB
      // SETs behind a waiting one is not copied again.
      const owned = ownArgs(args, (a) => this.parser.claim(a));
      this.ahead.push(owned);
      parsed.push(owned);
    }
    if (parsed.length > 0 && spill !== null) spill.readAhead(spilledAhead(this, this.registry, parsed));
  }

  private resume(): void {
    this.waiting = false;
    this.reply.unmute();
    if (this.closed) this.release();
    else this.run();
    this.server.observer.mark = NaN;
  }

  flush(): void {
    this.flushQueued = false;
    if (this.closed) return;
    if (this.reply.overflowed) return this.kill('output buffer limit');
    if (this.reply.size > 0) {
      this.sendStaged();
      if (this.closed) return;
      if (this.unsentBytes > 0 && this.overOutputLimit()) return;
    }
    // Closed for real once the reply is out, as Redis does: a half-closed socket would go on
    // swallowing whatever a client that ignores FIN keeps sending.
    if (this.closing) this.socket.destroySoon();
    this.recount();
  }

  /**
   * Writes the staged replies. When the kernel takes them at once (nearly always) the staging
   * buffer stays with the connection, wiped; otherwise it goes with the write, wiped once done.
   */
  private sendStaged(): void {
    const out = this.reply.staged();
    const result = this.write(out);
    if (result === WriteResult.Taken) this.reply.sent();
    else this.reply.handOff();
  }

  /** Writes out (staged replies, or a body sendSharedBulk() writes apart): DECLINED means it went through socket.write(), wiped when done. */
  private write(out: Buffer): WriteResult {
    this.server.stats.netOutputBytes += out.length;
    this.server.stats.writesProcessed++;
    const result = this.direct === null ? WriteResult.Declined : this.direct.write(out);
    if (result === WriteResult.Declined) {
      this.socket.write(out, () => {
        ReplyWriter.recycle(out);
        this.recount();
      });
    }
    return result;
  }

  /**
   * Replies with a bulk whose body is `body`, shared memory from takeShared() (a large GET's
   * plaintext a seal worker opened there): what is staged goes out first, then the body as it
   * is, not copied into the reply; it goes back to its pool, wiped, once written. False (the
   * caller keeps it) while replies are muted or dropped, or once the connection is closed.
   */
  sendSharedBulk(body: Buffer): boolean {
    if (this.closed || this.reply.muted || this.reply.overflowed) return false;
    // Past the hard output limit (ReplyWriter.cap) it goes the usual way, which drops it and
    // closes the connection unanswered, as Redis does a reply its output buffer cannot hold.
    if (this.reply.size + body.length > this.reply.cap) return false;
    this.reply.bulkHeader(body.length);
    // One writev of what is staged, the body and its CRLF, as redis-server does (three writes
    // were three packets and wake-ups of the client per large GET).
    const head = this.direct === null ? null : this.reply.staged();
    const around = head === null ? WriteResult.Declined : this.direct!.writeAround(head, body);
    if (around !== WriteResult.Declined) {
      this.server.stats.netOutputBytes += head!.length + body.length + 2;
      this.server.stats.writesProcessed++;
      if (around === WriteResult.Taken) {
        this.reply.sent();
        ReplyWriter.recycle(body);
      } else {
        this.reply.handOff();
      }
      if (!this.closed && this.unsentBytes > 0) this.overOutputLimit();
      return true;
    }
    this.sendStaged();
    if (this.closed) {
      giveShared(body);
      return true;
    }
    if (this.write(body) === WriteResult.Taken) ReplyWriter.recycle(body);
    this.reply.bulkEnd();
    if (!this.closed && this.unsentBytes > 0) this.overOutputLimit();
    return true;
  }

  /** Reply bytes handed over but not yet taken by the kernel. */
  private get unsentBytes(): number {
    return this.direct === null ? this.socket.writableLength : this.direct.unsentBytes;
  }

  /** client-output-buffer-limit: closes a client whose unsent replies pile up; true if it did. */
  private overOutputLimit(): boolean {
    const pending = this.unsentBytes;
    const limit = this.server.outputLimit;
    const now = this.server.clock();
    const subscribed = isSubscribed(this);
    const soft = limit.soft(subscribed);
    if (soft === 0 || pending < soft) {
      if (this.softLimitSince !== 0) limit.unwatch(this);
      this.softLimitSince = 0;
    } else if (this.softLimitSince === 0) {
      this.softLimitSince = now;
      limit.watch(this);
    }
    if (!limit.exceeded(pending, this.softLimitSince, now, subscribed)) return false;
    this.logOverLimit(pending);
    this.kill('output buffer limit');
    return true;
  }

  /** OutputLimit.recheck: still over the soft limit with nothing more sent to it (Redis's clientsCron). */
  recheckOutputLimit(): void {
    if (this.closed) this.server.outputLimit.unwatch(this);
    else this.overOutputLimit();
  }

  /**
   * The replies being produced passed the hard output limit (ReplyWriter.cap): the rest are
   * dropped, the commands still queued in this read do not run, and the connection closes at
   * the next flush.
   */
  private overLimit(): void {
    this.logOverLimit(this.unsentBytes + this.reply.size);
    this.closeReason ??= 'output buffer limit';
    this.closing = true;
    this.queueFlush();
  }

  private logOverLimit(pending: number): void {
    this.server.log.warn({ client: this.id, addr: this.addr, pending }, 'client scheduled to be closed ASAP for overcoming of output buffer limits');
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.memory.account.clientResized(this.counted, this.countedKind, NOTHING, this.countedKind);
    this.counted = NOTHING;
    if (this.softLimitSince !== 0) this.server.outputLimit.unwatch(this);
    this.ending?.abort(CONNECTION_CLOSED);
    if (this.watching) for (const [db, key] of this.watching.keys) db.unwatch(key, this.watching.flag);
    this.watching = null;
    // A command still waiting keeps its arguments (and a queued transaction) until it is done.
    if (!this.waiting) this.release();
    this.onClose(this);
  }

  /** Zeroes what the connection still holds: unparsed input, unsent replies, a MULTI queue. */
  private release(): void {
    this.parser.wipe();
    for (const item of this.ahead.splice(0)) if (!(item instanceof ProtocolError)) this.releaseAhead(item);
    this.reply.truncate(0);
    this.direct?.release();
    if (this.multi !== null) endTransaction(this);
  }
}

/** A connection's memory before it is first counted and after it closed. */
const NOTHING: ClientMemory = { total: 0, input: 0, output: 0 };

/** closedSignal's abort reason. */
const CONNECTION_CLOSED = 'connection closed';

const parserLimits = new WeakMap<Config, ParserLimits>();

/**
 * The parser limits every connection of a server shares, kept current by CONFIG SET: Redis reads
 * proto-max-bulk-len at each bulk, so a lowered limit holds for connections already open too.
 */
function liveParserLimits(config: Config): ParserLimits {
  let limits = parserLimits.get(config);
  if (limits === undefined) {
    const live = { maxBulkLen: config.number('proto-max-bulk-len') };
    config.onChange((name) => {
      if (name === 'proto-max-bulk-len') live.maxBulkLen = config.number(name);
    });
    parserLimits.set(config, (limits = live));
  }
  return limits;
}
