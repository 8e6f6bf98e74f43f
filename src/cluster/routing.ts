// Which node serves a request (redis cluster.c getNodeByQuery + clusterRedirectClient): all its
// keys must hash to one slot (else CROSSSLOT); the slot's owner serves it (else MOVED); during a
// reshard the old owner sends keys it no longer has to the new one (ASK), and the new one serves
// them to a client that said ASKING; a multi-key request over a slot half moved is TRYAGAIN.
// Slots come from the key's bytes with Redis's CRC16 and {hash tag} rule (the cluster-key-slot
// package ioredis uses itself).

import keySlot from 'cluster-key-slot';
import { Errors } from '../protocol/errors.js';
import type { Topology } from './topology.js';

export { keySlot };

/** One request, as routing sees it. */
export interface RoutedRequest {
  /** The key arguments (plaintext bytes, only hashed), of every command for EXEC. */
  keys: readonly Buffer[];
  /** Whether any of its commands writes. */
  writes: boolean;
  /** The client sent ASKING just before (or the command itself is ASKING-flagged). */
  asking: boolean;
  /** Whether `key` exists here (lookups for a slot being moved). */
  exists(key: Buffer): boolean;
  /** The cluster is down (a slot without owner while cluster-require-full-coverage is on). */
  down: boolean;
  /** cluster-allow-reads-when-down. */
  readsWhenDown: boolean;
}

/** The error that redirects the request, or null when this node serves it. */
export function route(t: Topology, req: RoutedRequest): string | null {
  const { keys } = req;
  if (keys.length === 0) return null;
  const slot = keySlot(keys[0]!);
  let multiple = false;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i]!.equals(keys[0]!)) continue;
    if (keySlot(keys[i]!) !== slot) return Errors.crossSlot;
    multiple = true;
  }
  const owner = t.ownerIndex(slot);
  if (owner < 0) return Errors.slotNotServed;
  if (req.down) {
    if (!req.readsWhenDown) return Errors.clusterDown;
    if (req.writes) return Errors.clusterDownReadOnly;
  }
  const migrating = owner === t.self ? t.migratingTo(slot) : undefined;
  const importing = migrating === undefined ? t.importingFrom(slot) : undefined;
  if (migrating !== undefined || importing !== undefined) {
    let missing = 0;
    for (const key of keys) if (!req.exists(key)) missing++;
    if (migrating !== undefined && missing > 0) {
      if (missing < keys.length) return Errors.tryAgain;
      return Errors.ask(slot, endpoint(migrating));
    }
    if (importing !== undefined && req.asking) {
      return multiple && missing > 0 ? Errors.tryAgain : null;
    }
  }
  if (owner === t.self) return null;
  return Errors.moved(slot, endpoint(t.nodes[owner]!));
}

function endpoint(node: { host: string; port: number }): string {
  return `${node.host}:${node.port}`;
}
