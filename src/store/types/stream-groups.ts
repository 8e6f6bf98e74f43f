// A stream's consumer groups (redis t_stream.c streamCG / streamConsumer / streamNACK): per
// group the last delivered id, the entries-read counter, the pending entries list (PEL: id ->
// consumer, last delivery time, delivery count) and the consumers, each with its own PEL view.
// Nothing here is sealed: group and consumer names are names (like hash field names), and a
// PEL holds ids only.

import type { StreamId } from './stream.js';

/** Redis's SCG_INVALID_ENTRIES_READ: the group's entries-read counter is not known. */
export const ENTRIES_READ_UNKNOWN = -1;

/**
 * Ids -> values in id order: a sorted array pair (appends at the end are the common case). The
 * live part starts at `head`: deleting the first id (XACK, XCLAIM, XAUTOCLAIM take ids in
 * order) only moves it, where a splice at the front moved every id after it (XAUTOCLAIM of a
 * 200 k-entry PEL to another consumer: 30 s of CPU); the dead front is dropped once it is half.
 */
export class IdMap<V> {
  private keys: (StreamId | undefined)[] = [];
  private vals: (V | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.keys.length - this.head;
  }

  /** Index of the first key >= id. */
  lowerBound(id: StreamId): number {
    const keys = this.keys;
    const n = keys.length;
    if (n === this.head || keys[n - 1]! < id) return n - this.head;
    let a = this.head;
    let b = n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (keys[mid]! < id) a = mid + 1;
      else b = mid;
    }
    return a - this.head;
  }

  get(id: StreamId): V | undefined {
    const i = this.lowerBound(id) + this.head;
    return i < this.keys.length && this.keys[i] === id ? this.vals[i] : undefined;
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  set(id: StreamId, value: V): void {
    const i = this.lowerBound(id) + this.head;
    if (i < this.keys.length && this.keys[i] === id) {
      this.vals[i] = value;
      return;
    }
    if (i === this.keys.length) {
      this.keys.push(id);
      this.vals.push(value);
      return;
    }
    if (i === this.head && this.head > 0) {
      this.keys[--this.head] = id;
      this.vals[this.head] = value;
      return;
    }
    this.keys.splice(i, 0, id);
    this.vals.splice(i, 0, value);
  }

  delete(id: StreamId): boolean {
    const i = this.lowerBound(id) + this.head;
    if (i >= this.keys.length || this.keys[i] !== id) return false;
    if (i === this.head) {
      this.keys[i] = undefined;
      this.vals[i] = undefined;
      this.head++;
      if (this.head === this.keys.length) this.keys.length = this.vals.length = this.head = 0;
      else if (this.head * 2 >= this.keys.length) this.dropHead();
      return true;
    }
    this.keys.splice(i, 1);
    this.vals.splice(i, 1);
    return true;
  }

  private dropHead(): void {
    this.keys = this.keys.slice(this.head);
    this.vals = this.vals.slice(this.head);
    this.head = 0;
  }

  keyAt(i: number): StreamId {
    return this.keys[i + this.head]!;
  }

  valueAt(i: number): V {
    return this.vals[i + this.head]!;
  }

  first(): StreamId | undefined {
    return this.keys[this.head];
  }

  last(): StreamId | undefined {
    return this.size === 0 ? undefined : this.keys[this.keys.length - 1];
  }

  /** Values with start <= id <= end in order, at most `count` (0 = all). */
  *range(start: StreamId, end: StreamId, count = 0): Generator<V> {
    let taken = 0;
    for (let i = this.lowerBound(start) + this.head; i < this.keys.length && this.keys[i]! <= end; i++) {
      if (count > 0 && taken++ >= count) return;
      yield this.vals[i]!;
    }
  }

  *values(): Generator<V> {
    for (let i = this.head; i < this.vals.length; i++) yield this.vals[i]!;
  }
}

export interface Consumer {
  readonly name: string;
  /** Last time the consumer was seen (any interaction), and last successful read/claim (unix ms; -1 never). */
  seenTime: number;
  activeTime: number;
  readonly pel: IdMap<PendingEntry>;
}

export interface PendingEntry {
  readonly id: StreamId;
  consumer: Consumer;
  deliveryTime: number;
  deliveryCount: number;
}

export class ConsumerGroup {
  readonly pel = new IdMap<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();

  constructor(public lastId: StreamId, public entriesRead: number) {}

  consumer(name: string): Consumer | undefined {
    return this.consumers.get(name);
  }

  /** Creates the consumer; undefined when it already exists. */
  createConsumer(name: string, now: number): Consumer | undefined {
    if (this.consumers.has(name)) return undefined;
    const c: Consumer = { name, seenTime: now, activeTime: -1, pel: new IdMap() };
    this.consumers.set(name, c);
    return c;
  }

  /** Deletes the consumer and its pending entries; how many it had pending, or -1 when absent. */
  deleteConsumer(name: string): number {
    const c = this.consumers.get(name);
    if (c === undefined) return -1;
    const pending = c.pel.size;
    for (const nack of c.pel.values()) this.pel.delete(nack.id);
    this.consumers.delete(name);
    return pending;
  }

  /** Adds (or hands over) a pending entry for `consumer`. */
  deliver(id: StreamId, consumer: Consumer, now: number, count: number): PendingEntry {
    let nack = this.pel.get(id);
    if (nack === undefined) {
      nack = { id, consumer, deliveryTime: now, deliveryCount: count };
      this.pel.set(id, nack);
    } else {
      if (nack.consumer !== consumer) nack.consumer.pel.delete(id);
      nack.consumer = consumer;
      nack.deliveryTime = now;
      nack.deliveryCount = count;
    }
    consumer.pel.set(id, nack);
    return nack;
  }

  /** XACK of one id: whether it was pending. */
  ack(id: StreamId): boolean {
    const nack = this.pel.get(id);
    if (nack === undefined) return false;
    this.pel.delete(id);
    nack.consumer.pel.delete(id);
    return true;
  }

  /** Consumers in name order (Redis keeps them in a radix tree by name bytes). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** A deep copy (COPY of a stream). */
  clone(): ConsumerGroup {
    const g = new ConsumerGroup(this.lastId, this.entriesRead);
    for (const c of this.consumers.values()) {
      g.consumers.set(c.name, { name: c.name, seenTime: c.seenTime, activeTime: c.activeTime, pel: new IdMap() });
    }
    for (const nack of this.pel.values()) {
      const owner = g.consumers.get(nack.consumer.name)!;
      const copy: PendingEntry = { id: nack.id, consumer: owner, deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount };
      g.pel.set(nack.id, copy);
      owner.pel.set(nack.id, copy);
    }
    return g;
  }
}

/** Groups of a stream by name; listed in name order like Redis's radix tree. */
export class StreamGroups {
  private readonly byName = new Map<string, ConsumerGroup>();

  get size(): number {
    return this.byName.size;
  }

  get(name: string): ConsumerGroup | undefined {
    return this.byName.get(name);
  }

  /** Creates the group; undefined when the name is taken. */
  create(name: string, lastId: StreamId, entriesRead: number): ConsumerGroup | undefined {
    if (this.byName.has(name)) return undefined;
    const g = new ConsumerGroup(lastId, entriesRead);
    this.byName.set(name, g);
    return g;
  }

  destroy(name: string): boolean {
    return this.byName.delete(name);
  }

  sorted(): [string, ConsumerGroup][] {
    return [...this.byName].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  values(): IterableIterator<ConsumerGroup> {
    return this.byName.values();
  }

  clone(): StreamGroups {
    const out = new StreamGroups();
    for (const [name, g] of this.byName) out.byName.set(name, g.clone());
    return out;
  }
}
