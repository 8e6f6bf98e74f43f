// Each type's payload layout (payload.ts): one codec per Kind, checked against every Kind like
// the ops record, so a new type does not compile until it can be dumped. Counts and lengths are
// u32, scores and times f64, stream ids u128. Elements are written opened and read back sealed
// for their new home; what the store keeps in clear (scores, hash field names, stream ids,
// group and consumer names) is written as it is, inside the sealed payload.

import { Kind, SetEntry, listEntry, stringEntry, type Entry, type HashEntry, type ListEntry, type StreamEntry, type StringEntry, type ZSetEntry } from '../store/entry.js';
import { hashEntry, streamEntry } from '../store/entry.js';
import { zsetEntry, sealedBuffer, sealedString } from '../store/types/zset-ops.js';
import { DIGEST_BYTES } from '../store/types/set.js';
import { formatId } from '../store/types/stream.js';
import { opsOf, type EntryOf } from '../store/types/index.js';
import { Purpose } from '../seal/values.js';
import { ListSealing } from '../seal/list-codec.js';
import { SetSealing } from '../seal/set-codec.js';
import { PayloadError, type PayloadReader, type PayloadWriter, type OpenElement, type RestoreTools, type TypeCodec, type ValueHome } from './payload.js';
import { HashAccess } from '../commands/hashes/hash-fields.js';

const stringCodec: TypeCodec<StringEntry> = {
  kind: Kind.String,
  write(entry, out, open) {
    out.opened(open(entry.value, Purpose.StringValue, undefined));
  },
  read(input, tools) {
    return stringEntry(tools.seal(input.bytes(), Purpose.StringValue, undefined), 0, tools.now);
  },
};

/**
 * Hashes go through their access layer (commands/hashes/hash-fields.ts): field names and values are
 * sealed together (a small hash's pairs as one blob), so pairs are written opened, name then
 * value, and read back into a new hash that seals them for its home.
 */
const hashCodec: TypeCodec<HashEntry> = {
  kind: Kind.Hash,
  write(entry, out, _open, home) {
    const h = new HashAccess(home.ctx, home.key, entry.fields);
    try {
      out.u32(h.size);
      h.forEach((pair) => {
        out.bytes(pair.name());
        out.bytes(pair.value());
      });
    } finally {
      h.done();
    }
  },
  read(input, tools) {
    const entry = hashEntry(tools.now);
    const h = new HashAccess(tools.home.ctx, tools.home.key, entry.fields);
    try {
      for (let n = input.count(8); n > 0; n--) {
        const name = input.bytes();
        const value = input.bytes();
        const added = h.set(name, value, tools.home.hashLimits);
        name.fill(0);
        value.fill(0);
        if (!added) throw new PayloadError('duplicate field');
      }
      h.commit();
    } finally {
      h.done();
    }
    return entry;
  },
};

/**
 * Lists seal through their codec (seal/list-codec.ts): elements are written as the list opens
 * them, and read back in batches that build sealed nodes directly (a large list restores with
 * one seal per node, not per element).
 */
const listCodec: TypeCodec<ListEntry> = {
  kind: Kind.List,
  write(entry, out, _open, home) {
    out.u32(entry.length);
    entry.forEach((bytes, start, length) => {
      out.bytes(bytes.subarray(start, start + length));
    }, new ListSealing(home.ctx.server.values, home.ctx.db.uid, home.key));
  },
  read(input, tools) {
    const c = new ListSealing(tools.home.ctx.server.values, tools.home.ctx.db.uid, tools.home.key);
    return building(listEntry(tools.now), (entry) => {
      // Views into the payload's plaintext, which its reader wipes.
      const batch: Buffer[] = [];
      for (let n = input.count(4); n > 0; n--) {
        batch.push(input.bytes());
        if (batch.length === 1024) {
          entry.pushMany(batch, 0, false, c);
          batch.length = 0;
        }
      }
      if (batch.length > 0) entry.pushMany(batch, 0, false, c);
    });
  },
};

/**
 * Sets seal through their codec (seal/set-codec.ts): members are written as each node opens,
 * and read back into nodes sealed a tail at a time (one seal per node, not per member).
 */
const setCodec: TypeCodec<SetEntry> = {
  kind: Kind.Set,
  write(entry, out, _open, home) {
    out.u8(entry.intset ? 1 : 0);
    out.u32(entry.size);
    entry.forEachPlain(new SetSealing(home.ctx.server.values, home.ctx.db.uid, home.key), (plain, start, length) => {
      out.bytes(plain.subarray(start, start + length));
    });
  },
  read(input, tools) {
    const c = new SetSealing(tools.home.ctx.server.values, tools.home.ctx.db.uid, tools.home.key);
    return building(new SetEntry(tools.now), (entry) => {
      entry.intset = input.u8() === 1;
      const digest = new Uint8Array(DIGEST_BYTES);
      entry.adding(c, (add) => {
        for (let n = input.count(4); n > 0; n--) {
          const plain = input.bytes();
          tools.digest(plain, digest, 0);
          if (!add(digest, plain)) throw new PayloadError('duplicate member');
        }
      });
    });
  },
};

const zsetCodec: TypeCodec<ZSetEntry> = {
  kind: Kind.ZSet,
  write(entry, out, open) {
    out.u8(entry.skiplist ? 1 : 0);
    out.u32(entry.zset.size);
    // In the set's order, so the restore appends without comparing members.
    entry.zset.each(0, entry.zset.size, false, (sealed, score) => {
      out.f64(score);
      out.opened(open(sealedBuffer(sealed), Purpose.ZSetMember, undefined));
    });
  },
  read(input, tools) {
    const entry = zsetEntry(tools.now);
    entry.skiplist = input.u8() === 1;
    const digest = new Uint8Array(DIGEST_BYTES);
    let previous = -Infinity;
    for (let n = input.count(12); n > 0; n--) {
      const score = input.f64();
      if (Number.isNaN(score) || score < previous) throw new PayloadError('zset out of order');
      previous = score;
      const plain = input.bytes();
      tools.digest(plain, digest, 0);
      if (entry.zset.has(digest)) throw new PayloadError('duplicate member');
      const sealed = sealedString(tools.seal(plain, Purpose.ZSetMember, undefined));
      entry.zset.append(digest, score, sealed);
      entry.sealedBytes += sealed.length;
    }
    return entry;
  },
};

const streamCodec: TypeCodec<StreamEntry> = {
  kind: Kind.Stream,
  write(entry, out, open) {
    const log = entry.log;
    out.u128(log.lastId);
    out.u128(log.maxDeletedId);
    out.f64(log.entriesAdded);
    out.u32(log.length);
    log.forEach((id, bytes, start, length) => {
      out.u128(id);
      out.opened(open(bytes.subarray(start, start + length), Purpose.StreamEntry, formatId(id)));
    });
    const groups = entry.groups.sorted();
    out.u32(groups.length);
    for (const [name, g] of groups) {
      out.latin1(name);
      out.u128(g.lastId);
      out.f64(g.entriesRead);
      const consumers = g.sortedConsumers();
      out.u32(consumers.length);
      for (const c of consumers) {
        out.latin1(c.name);
        out.f64(c.seenTime);
        out.f64(c.activeTime);
      }
      out.u32(g.pel.size);
      for (const nack of g.pel.values()) {
        out.u128(nack.id);
        out.latin1(nack.consumer.name);
        out.f64(nack.deliveryTime);
        out.f64(nack.deliveryCount);
      }
    }
  },
  read(input, tools) {
    const entry = streamEntry(tools.now);
    const log = entry.log;
    const lastId = input.u128();
    const maxDeletedId = input.u128();
    const entriesAdded = input.f64();
    let previous = -1n;
    for (let n = input.count(20); n > 0; n--) {
      const id = input.u128();
      if (id <= previous || id > lastId) throw new PayloadError('stream ids out of order');
      previous = id;
      const plain = input.bytes();
      log.append(id, tools.seal(plain, Purpose.StreamEntry, formatId(id)), plain.length, tools.streamLimits);
    }
    log.lastId = lastId;
    log.maxDeletedId = maxDeletedId;
    log.entriesAdded = entriesAdded;
    for (let g = input.count(32); g > 0; g--) {
      const group = entry.groups.create(input.latin1(), input.u128(), input.f64());
      if (group === undefined) throw new PayloadError('duplicate group');
      for (let c = input.count(20); c > 0; c--) {
        const consumer = group.createConsumer(input.latin1(), 0);
        if (consumer === undefined) throw new PayloadError('duplicate consumer');
        consumer.seenTime = input.f64();
        consumer.activeTime = input.f64();
      }
      for (let p = input.count(36); p > 0; p--) {
        const id = input.u128();
        const consumer = group.consumer(input.latin1());
        if (consumer === undefined || group.pel.has(id)) throw new PayloadError('bad pending entry');
        const time = input.f64();
        const count = input.f64();
        group.deliver(id, consumer, time, count);
      }
    }
    return entry;
  },
};

/** Runs fill on a new entry; if it throws, what the entry holds outside the heap is given back first. */
function building<E extends Entry>(entry: E, fill: (entry: E) => void): E {
  try {
    fill(entry);
    return entry;
  } catch (err) {
    opsOf(entry).release?.(entry);
    throw err;
  }
}

/** One codec per Kind. */
export const CODECS = {
  [Kind.String]: stringCodec,
  [Kind.Hash]: hashCodec,
  [Kind.List]: listCodec,
  [Kind.Set]: setCodec,
  [Kind.ZSet]: zsetCodec,
  [Kind.Stream]: streamCodec,
} satisfies { [K in Kind]: TypeCodec<EntryOf<K>> };

/** Writes the payload plaintext of entry: version, kind, then the type's layout. Throws what `open` throws. */
export function writeValue(entry: Entry, out: PayloadWriter, open: OpenElement, home: ValueHome, version: number): void {
  out.u8(version);
  out.u8(entry.kind);
  (CODECS[entry.kind] as TypeCodec<Entry>).write(entry, out, open, home);
}

/**
 * A new entry from payload plaintext (not stored; no TTL). Throws PayloadError for a malformed
 * payload or SealError; a partly built value is released before the throw.
 */
export function readValue(input: PayloadReader, tools: RestoreTools, version: number): Entry {
  if (input.u8() !== version) throw new PayloadError('payload version');
  const kind = input.u8();
  const codec = (CODECS as Record<number, TypeCodec<Entry> | undefined>)[kind];
  if (codec === undefined) throw new PayloadError('unknown type');
  const entry = codec.read(input, tools);
  if (!input.done) {
    opsOf(entry).release?.(entry);
    throw new PayloadError('trailing bytes');
  }
  return entry;
}
