// Clients waiting in a blocking command (BLPOP, BZPOPMIN, XREAD BLOCK...): redis blocked.c,
// dragonfly blocking_controller. A blocking handler that finds nothing to take returns the
// promise block() gives it, so later commands of that client wait behind it and replies keep
// their order. Waiters are filed by (database, key), FIFO. The table listens to the "key
// changed" signal of the databases it has waiters in (and only those: a server where nobody
// blocks pays nothing per write) and notes which watched keys changed; once the command that
// changed them has finished (after EXEC for a transaction, after the script for EVAL), the
// dispatcher calls serveReady(), which offers each ready key to its waiters in the order they
// blocked. A waiter's own serve() does the pop and the reply, as the command would have; what
// it writes (BLMOVE's push) may make more keys ready, served in the same pass.
//
// A blocking handler, in short:
//   const timeout = parseTimeout(args[n], 'seconds', ctx.now);   // string: reply `ERR ${it}`
//   if (tryPop(ctx, keys)) return;                                 // data there: as the plain pop
//   return ctx.server.blocking.block(ctx, {
//     keys, timeout, serve: (key) => tryPopFrom(ctx, key), timedOut: () => ctx.reply.nullArray(),
//   });
// Inside EXEC (ctx.atomic > 0) block() calls timedOut() at once and returns undefined.

import { performance } from 'node:perf_hooks';
import type { DbEvent, KeyListener } from '../store/key-events.js';
import type { Keyspace } from '../store/keyspace.js';

/** What a blocked command waits for; `serve` and `timedOut` write its reply. */
export interface Wait {
  /** Lookup keys in the client's database, in argument order. */
  readonly keys: readonly string[];
  /** Milliseconds to wait; 0 waits for ever (parseTimeout). */
  readonly timeout: number;
  /**
   * Tries to serve the client from `key` now, as the command would (ctx.now is fresh): replies
   * and returns true, or returns false to keep waiting (nothing there, or the wrong type).
   */
  serve(key: string): boolean;
  /** Replies as on a timeout (nil/null), also for CLIENT UNBLOCK ... TIMEOUT. */
  timedOut(): void;
}

/** The part of a connection the table needs (a Session satisfies it). */
export interface WaitingClient {
  readonly id: number;
  /** Where the client's keys are; SWAPDB may replace it while the client waits. */
  readonly db: Keyspace;
  /** Above 0 while the command runs inside EXEC or a script: it must not wait (Redis answers as on a timeout). */
  readonly atomic: number;
  readonly closedSignal: AbortSignal;
  now: number;
  readonly reply: { error(message: string): void };
}

/** CLIENT UNBLOCK ... ERROR's reply (Redis adds it with its own "-" prefix: the code is UNBLOCKED). */
export const UNBLOCKED_ERROR = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

/** setTimeout's longest delay; longer waits re-arm. */
const MAX_TIMER = 2 ** 31 - 1;

class Waiter {
  timer: NodeJS.Timeout | undefined = undefined;
  /** performance.now() when it started waiting: the wait is no part of the command's time. */
  readonly since = performance.now();
  /** Filed under this database (the client's at the time, or after a SWAPDB). */
  db: Keyspace;
  done = false;
  constructor(
    readonly client: WaitingClient,
    readonly wait: Wait,
    readonly deadline: number,
    readonly resolve: () => void,
    readonly onAbort: () => void,
  ) {
    this.db = client.db;
  }
}

export class BlockingTable implements KeyListener {
  /** Waiters by database, then key, oldest first. */
  private byDb = new Map<Keyspace, Map<string, Waiter[]>>();
  private byClient = new Map<number, Waiter>();
  /** Keys with waiters changed since the last serveReady, in the order they changed. */
  private readyKeys: [Keyspace, string][] = [];
  private readySet = new Map<Keyspace, Set<string>>();
  private serving = false;
  /**
   * The client whose blocked command serveReady() is completing right now, else 0: what it
   * writes is its own command's doing (client tracking sends its own invalidations after its reply).
   */
  servingClient = 0;

  /**
   * `waited`: told how long each finished wait lasted, so SLOWLOG, LATENCY and commandstats
   * count a blocking command's work, not its wait (redis updateStatsOnUnblock; Observer.noteWait).
   */
  constructor(
    private readonly clock: () => number,
    private readonly waited: (clientId: number, ms: number) => void = () => {},
  ) {}

  /** INFO blocked_clients. */
  get blockedClients(): number {
    return this.byClient.size;
  }

  /** Whether a write left keys for serveReady() to offer (checked after every command). */
  get hasReady(): boolean {
    return this.readyKeys.length > 0;
  }

  isBlocked(clientId: number): boolean {
    return this.byClient.has(clientId);
  }

  /**
   * Blocks the client until serve() succeeds, the timeout passes, it is unblocked or it
   * disconnects. Inside EXEC or a script it answers at once as on a timeout (undefined).
   */
  block(client: WaitingClient, wait: Wait): Promise<void> | undefined {
    if (client.atomic > 0) {
      wait.timedOut();
      return undefined;
    }
    return new Promise<void>((resolve) => {
      const deadline = wait.timeout === 0 ? 0 : this.clock() + wait.timeout;
      const waiter: Waiter = new Waiter(client, wait, deadline, resolve, () => this.finish(waiter));
      this.byClient.set(client.id, waiter);
      for (const key of wait.keys) this.file(waiter, key);
      client.closedSignal.addEventListener('abort', waiter.onAbort, { once: true });
      if (deadline !== 0) this.arm(waiter);
    });
  }

  /** CLIENT UNBLOCK: answers the waiter as on a timeout, or with UNBLOCKED; false if it is not blocked. */
  unblock(clientId: number, withError: boolean): boolean {
    const waiter = this.byClient.get(clientId);
    if (waiter === undefined) return false;
    if (withError) waiter.client.reply.error(UNBLOCKED_ERROR);
    else waiter.wait.timedOut();
    this.finish(waiter);
    return true;
  }

  /**
   * Ends, with the error `reason` gives, every wait it gives one for (cluster mode: the slot of
   * the keys went to another node or the cluster went down, redis clusterRedirectBlockedClientIfNeeded).
   */
  dropWhere(reason: (client: WaitingClient) => string | null): void {
    for (const waiter of [...this.byClient.values()]) {
      const message = reason(waiter.client);
      if (message === null || waiter.done) continue;
      waiter.client.reply.error(message);
      this.finish(waiter);
    }
  }

  keyChanged(db: Keyspace, key: string): void {
    if (this.byDb.get(db)?.has(key)) this.markReady(db, key);
  }

  /** FLUSHDB makes every waited-on key ready (gone); SWAPDB moves the client's keys to another database. */
  dbChanged(db: Keyspace, event: DbEvent): void {
    const keys = this.byDb.get(db);
    if (keys === undefined) return;
    // A flush deletes every waited-on key: XREADGROUP waiters answer that their stream is gone.
    if (event === 'flush') {
      for (const key of keys.keys()) this.markReady(db, key);
      return;
    }
    // Each waiter follows its client's database index (Redis blocks on the index, not the data).
    for (const waiters of [...keys.values()]) {
      for (const w of waiters) {
        if (w.done || w.db === w.client.db) continue;
        for (const key of w.wait.keys) this.unfile(w, key);
        w.db = w.client.db;
        for (const key of w.wait.keys) {
          this.file(w, key);
          this.markReady(w.db, key);
        }
      }
    }
  }

  /**
   * Offers every ready key to its waiters, oldest first, until nothing is ready any more. Called
   * by the dispatcher after each command when hasReady.
   */
  serveReady(): void {
    if (this.serving) return;
    this.serving = true;
    try {
      for (let i = 0; i < this.readyKeys.length; i++) {
        const [db, key] = this.readyKeys[i]!;
        this.readySet.get(db)?.delete(key);
        const waiters = this.byDb.get(db)?.get(key);
        if (waiters === undefined) continue;
        for (const w of [...waiters]) {
          if (w.done) continue;
          w.client.now = this.clock();
          this.servingClient = w.client.id;
          const serveStart = performance.now();
          let served: boolean;
          try {
            served = w.wait.serve(key);
          } finally {
            this.servingClient = 0;
          }
          if (served) this.finish(w, serveStart);
        }
      }
    } finally {
      this.readyKeys = [];
      this.readySet.clear();
      this.serving = false;
    }
  }

  private markReady(db: Keyspace, key: string): void {
    let set = this.readySet.get(db);
    if (set === undefined) this.readySet.set(db, (set = new Set()));
    if (set.has(key)) return;
    set.add(key);
    this.readyKeys.push([db, key]);
  }

  private arm(waiter: Waiter): void {
    const left = waiter.deadline - this.clock();
    if (left <= 0) return this.expire(waiter);
    waiter.timer = setTimeout(() => (left > MAX_TIMER ? this.arm(waiter) : this.expire(waiter)), Math.min(left, MAX_TIMER));
  }

  private expire(waiter: Waiter): void {
    if (waiter.done) return;
    waiter.wait.timedOut();
    this.finish(waiter);
  }

  /** `waitEnd`: when serving it began (its reply is the command's work); now for a timeout. */
  private finish(waiter: Waiter, waitEnd = performance.now()): void {
    if (waiter.done) return;
    waiter.done = true;
    this.waited(waiter.client.id, waitEnd - waiter.since);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.client.closedSignal.removeEventListener('abort', waiter.onAbort);
    this.byClient.delete(waiter.client.id);
    for (const key of waiter.wait.keys) this.unfile(waiter, key);
    waiter.resolve();
  }

  private file(waiter: Waiter, key: string): void {
    let keys = this.byDb.get(waiter.db);
    if (keys === undefined) {
      this.byDb.set(waiter.db, (keys = new Map()));
      waiter.db.listen(this);
    }
    const list = keys.get(key);
    if (list === undefined) keys.set(key, [waiter]);
    else if (!list.includes(waiter)) list.push(waiter);
  }

  private unfile(waiter: Waiter, key: string): void {
    const keys = this.byDb.get(waiter.db);
    const list = keys?.get(key);
    if (keys === undefined || list === undefined) return;
    const at = list.indexOf(waiter);
    if (at >= 0) list.splice(at, 1);
    if (list.length > 0) return;
    keys.delete(key);
    if (keys.size > 0) return;
    this.byDb.delete(waiter.db);
    waiter.db.unlisten(this);
  }
}
