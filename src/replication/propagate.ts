// The one propagation hook (redis propagate() + alsoPropagate, dragonfly's journal): a
// KeyListener on every database collects the keys writes changed, and flush() turns them into
// records (records.ts) once the writes are over: at the end of the event-loop turn in which they
// ran (so never inside EXEC or a script, and the commands of a pipeline share one sealed record),
// or at once when something must see the offset (WAIT, the full copy's point, a PING).
// MULTI, scripts, lazy and active expiry and eviction all end in Keyspace.signal, so all of them
// reach replicas through here without a line of their own. Database events (FLUSHDB/FLUSHALL,
// SWAPDB) are recorded in order as they happen, with the index the database had then; key
// records follow with the state each key has at flush time, which is right whatever the order
// of the writes in between (a record says what a key is, not how it changed).

import type { Server } from '../commands/types.js';
import type { DbEvent, KeyEvent, KeyListener } from '../store/key-events.js';
import type { Keyspace } from '../store/keyspace.js';
import { command, RecordBatch } from './records.js';

export class Propagator implements KeyListener {
  private readonly changed = new Map<Keyspace, Set<string>>();
  private events: Buffer[] = [];
  /** The first half of a SWAPDB (Keyspace.swapped is called on both databases in turn). */
  private swapHalf: Keyspace | null = null;
  private scheduled = false;
  private rotationSeen: number;
  active = false;
  /** Keys whose value could not be read (spilled) at flush: retried at the next flush. */
  private retry = new Map<Keyspace, Set<string>>();

  constructor(
    private readonly server: Server,
    private readonly feed: (bytes: Buffer) => void,
    /** Flushes at the end of the turn (Replication.flush: also records the writers' offsets). */
    private readonly onTurnEnd: () => void,
  ) {
    this.rotationSeen = server.rotation.startedAt;
  }

  /** Starts or stops listening to the databases (a master with a backlog listens). */
  setActive(on: boolean): void {
    if (on === this.active) return;
    this.active = on;
    for (const db of this.server.databases) {
      if (on) db.listen(this);
      else db.unlisten(this);
    }
    this.changed.clear();
    this.events = [];
    this.swapHalf = null;
    this.rotationSeen = this.server.rotation.startedAt;
  }

  /** Writes signalled and not sent yet. */
  get pending(): boolean {
    return this.changed.size > 0 || this.events.length > 0;
  }

  keyChanged(db: Keyspace, key: string, event: KeyEvent): void {
    if (event === 'new') return;
    let keys = this.changed.get(db);
    if (keys === undefined) this.changed.set(db, (keys = new Set()));
    keys.add(key);
    this.soon();
  }

  dbChanged(db: Keyspace, event: DbEvent): void {
    const index = this.server.databases.indexOf(db);
    if (event === 'flush') {
      this.events.push(command('SKV.FLUSH', String(index)));
    } else if (this.swapHalf === null) {
      this.swapHalf = db;
      return;
    } else {
      const other = this.server.databases.indexOf(this.swapHalf);
      this.swapHalf = null;
      this.events.push(command('SKV.SWAP', String(other), String(index)));
    }
    this.soon();
  }

  /** A record that is not a key's (the function libraries): sent in order with the next flush. */
  record(bytes: Buffer): void {
    this.events.push(bytes);
    this.soon();
  }

  /** A safety net: anything signalled outside a command is sent before the next turn. */
  private soon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.onTurnEnd();
    });
  }

  /** Sends what the writes since the last flush did. */
  flush(): void {
    if (!this.active) return;
    const rotation = this.server.rotation.startedAt;
    if (rotation !== this.rotationSeen) {
      this.rotationSeen = rotation;
      this.events.push(command('SKV.ROTATE'));
    }
    if (this.events.length === 0 && this.changed.size === 0) return;
    const out = this.events;
    this.events = [];
    const dbs = this.server.databases;
    const batch = new RecordBatch(this.server);
    for (const [db, keys] of this.changed) {
      const index = dbs.indexOf(db);
      for (const key of keys) {
        if (!batch.add(index, db, key)) {
          let r = this.retry.get(db);
          if (r === undefined) this.retry.set(db, (r = new Set()));
          r.add(key);
        }
      }
    }
    out.push(...batch.take());
    this.changed.clear();
    if (this.retry.size > 0) {
      for (const [db, keys] of this.retry) this.changed.set(db, keys);
      this.retry = new Map();
    }
    if (out.length > 0) this.feed(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}
