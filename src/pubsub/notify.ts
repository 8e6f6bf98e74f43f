// Keyspace notifications (redis notify.c): with notify-keyspace-events set, every write's event
// (src/store/key-events.ts) is published as `__keyspace@<db>__:<key>` carrying the event name
// and `__keyevent@<db>__:<event>` carrying the key name, for the classes the setting selects.
// A KeyListener on each database while the setting selects anything; none otherwise, so writes
// pay nothing when notifications are off (Redis's default).
//
// Key names are user data. With --seal-keys the listener is given the name's keyed hash; the
// name itself comes from the running command's key argument, or from the entry's sealed name
// (opened into a buffer of its own), and every buffer that held it is wiped once published.
// The subscriber asked for the names, so the messages carry them; nothing is logged.
// 'keymiss' (class m) comes from reads that find nothing (KeyListener.keyMissed); module
// events (class d) are not sent.

import type { Server } from '../commands/types.js';
import { SealedKeyNames } from '../seal/key-names.js';
import type { Kind } from '../store/entry.js';
import type { DbEvent, KeyEvent, KeyListener } from '../store/key-events.js';
import type { Keyspace } from '../store/keyspace.js';
import { plainBuffer } from '../util/bytes.js';
import { pubsubOf } from './registry.js';

/** Class bits, as Redis's NOTIFY_* flags. */
const K = 1 << 0;
const E = 1 << 1;
const G = 1 << 2;
const STR = 1 << 3;
const L = 1 << 4;
const S = 1 << 5;
const H = 1 << 6;
const Z = 1 << 7;
const X = 1 << 8;
const EV = 1 << 9;
const T = 1 << 10;
const M = 1 << 11;
const D = 1 << 12;
const N = 1 << 13;
const ALL = G | STR | L | S | H | Z | X | EV | T | D;

const LETTERS: Record<string, number> = { K, E, g: G, $: STR, l: L, s: S, h: H, z: Z, x: X, e: EV, t: T, m: M, d: D, n: N, A: ALL };

/** The class bits of a notify-keyspace-events value (already validated by config). */
export function eventFlags(value: string): number {
  let flags = 0;
  for (const c of value) flags |= LETTERS[c] ?? 0;
  return flags;
}

/** Events of the generic class (g) and the special ones; the rest go by the key's type. */
const BY_EVENT: Partial<Record<KeyEvent, number>> = {
  del: G, expire: G, persist: G, rename_from: G, rename_to: G, copy_to: G, move_from: G, move_to: G,
  restore: G, expired: X, evicted: EV, new: N, keymiss: M, 'xgroup-progress': 0,
};

/** Type classes by Kind number: string, hash, list, set, zset, stream. */
const BY_KIND = [STR, H, L, S, Z, T];

function classOf(event: KeyEvent, kind: Kind): number {
  return BY_EVENT[event] ?? BY_KIND[kind as number] ?? G;
}

const EVENT_BYTES = new Map<string, Buffer>();
function eventBytes(event: string): Buffer {
  let b = EVENT_BYTES.get(event);
  if (b === undefined) EVENT_BYTES.set(event, (b = Buffer.from(event, 'latin1')));
  return b;
}

export class KeyspaceNotifier implements KeyListener {
  private flags = 0;

  constructor(private readonly server: Server) {
    this.configure(server.config.get('notify-keyspace-events'));
    server.config.onChange((name, value) => {
      if (name === 'notify-keyspace-events') this.configure(value);
    });
  }

  private configure(value: string): void {
    const flags = eventFlags(value);
    this.flags = flags;
    // Something is sent only with K or E and at least one class.
    const active = (flags & (K | E)) !== 0 && (flags & ~(K | E)) !== 0;
    for (const db of this.server.databases) {
      if (active) db.listen(this);
      else db.unlisten(this);
    }
  }

  keyChanged(db: Keyspace, key: string, event: KeyEvent, kind: Kind): void {
    if ((this.flags & classOf(event, kind)) === 0) return;
    const index = this.server.databases.indexOf(db);
    const name = this.nameOf(db, key);
    if (name === null) return;
    try {
      const ps = pubsubOf(this.server);
      const ev = eventBytes(event);
      if ((this.flags & K) !== 0) this.send(ps, `__keyspace@${index}__:`, name, ev);
      if ((this.flags & E) !== 0) {
        const channel = Buffer.from(`__keyevent@${index}__:${event}`, 'latin1');
        ps.publish(channel, name);
      }
    } finally {
      name.fill(0);
    }
  }

  dbChanged(_db: Keyspace, _event: DbEvent): void {}

  /** A read found nothing: 'keymiss' for class m (no type: class m alone selects it). */
  keyMissed(db: Keyspace, key: string): void {
    if ((this.flags & M) !== 0) this.keyChanged(db, key, 'keymiss', 0 as Kind);
  }

  /** Publishes `message` on prefix + name, the channel built in a buffer wiped after. */
  private send(ps: ReturnType<typeof pubsubOf>, prefix: string, name: Buffer, message: Buffer): void {
    const channel = plainBuffer(prefix.length + name.length);
    channel.write(prefix, 0, 'latin1');
    name.copy(channel, prefix.length);
    try {
      ps.publish(channel, message);
    } finally {
      channel.fill(0);
    }
  }

  /** The key's name bytes in a buffer of its own (the caller wipes it); null if it cannot be had. */
  private nameOf(db: Keyspace, key: string): Buffer | null {
    const names = this.server.names;
    if (!(names instanceof SealedKeyNames)) {
      const out = plainBuffer(key.length);
      out.write(key, 0, 'latin1');
      return out;
    }
    return names.plainNameOf(key, () => db.removing?.sealedName ?? db.peek(key)?.sealedName);
  }
}
