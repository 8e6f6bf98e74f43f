// Pushes, pops and LSET made in a small list's packed blob while it rests (packed-writes.ts),
// instead of unpacking it: one open and one seal of the blob (Packer.editList), where unpacking
// cost a seal per element and the cron's packing again an open per element and a seal. The
// plaintext is the packed list form (store/types/packed.ts: varint length, bytes, per element),
// edited in the packer's scratch and wiped there. The list stays packed; expiry and access time
// are kept, and it is stored and signalled as any write (Keyspace.setPacked: notification,
// dirty, WATCH, a blocked client's wake-up, memory accounting). Each function answers false,
// having done nothing, when the list is in use or would not stay within packing's limits: the
// caller's usual path follows. A pop that would empty the list goes there
// too (it deletes the key).

import { Kind, type KeyEvent } from '../store/keyspace.js';
import type { PackedForm } from '../store/packed-record.js';
import { PACK_MAX_BYTES, PACK_MAX_ELEMENTS, type ListBlobEdit } from '../store/types/packed.js';
import { varintBytes, writeVarint } from '../seal/packing.js';
import type { ArgList } from '../protocol/arg-list.js';
import { replyOpened } from './sealing.js';
import { replyElement } from './list-entries.js';
import { restsForBlobWrite } from './packed-writes.js';
import type { Session } from './types.js';

/**
 * Whether `stored` is a packed list a write may make in its blob: at rest, whatever its size.
 * Unlike a set's (sets.ts), a list's blob needs no bound of its own: an unpacked list keeps its
 * elements in nodes sealed whole (up to list-max-listpack-size), so LSET and the pops open and
 * seal a node about the blob's size anyway. 20 k packed lists written every ~0.3 s (pipeline 16,
 * server CPU us per request, blob against unpacked): 64 elements of 20 B (1.4 KB) LSET 12.2-12.5
 * against 15.1-15.8, RPOP 11.3 against 10.0-10.5; 32 of 40 B LPUSH 11.8-12.9 against 13.5-14.3,
 * LSET 12.0-12.2 against 13.5-14.1.
 */
function editable(stored: PackedForm, now: number): boolean {
  return stored.kind === Kind.List && restsForBlobWrite(stored, now);
}

// ---- the plaintext form ----

/** Set by elementAt: the element's bytes start here... */
let bytesAt = 0;
/** ...and are this long. */
let bytesLength = 0;

/** Reads the element whose length varint starts at `at` (bytesAt, bytesLength); returns the offset after it. */
function elementAt(plain: Buffer, at: number): number {
  let n = 0;
  let shift = 0;
  for (;;) {
    const b = plain[at++]!;
    n |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  bytesAt = at;
  bytesLength = n;
  return at + n;
}

/** The offset where element `index` starts (its length varint). */
function offsetOf(plain: Buffer, index: number): number {
  let at = 0;
  for (let k = 0; k < index; k++) at = elementAt(plain, at);
  return at;
}

// ---- one write at a time, without a closure per call ----

let editCtx: Session | null = null;
let editArgs: ArgList | null = null;
let editHead = true;
let editCount = 0;
let editIndex = 0;
let editValue: Buffer | null = null;

/** LPUSH/RPUSH: args[2..] at the head (each in turn, so the last ends first) or the tail. */
const pushEdit: ListBlobEdit = (plain, length) => {
  const args = editArgs!;
  let added = 0;
  for (let i = 2; i < args.length; i++) added += varintBytes(args.at(i)!.length) + args.at(i)!.length;
  if (length + added > PACK_MAX_BYTES) return -1;
  let at = length;
  if (editHead) {
    plain.copyWithin(added, 0, length);
    at = 0;
    for (let i = args.length - 1; i >= 2; i--) at = writeElement(plain, at, args.at(i)!);
  } else {
    for (let i = 2; i < args.length; i++) at = writeElement(plain, at, args.at(i)!);
  }
  return length + added;
};

function writeElement(plain: Buffer, at: number, element: Buffer): number {
  at = writeVarint(plain, at, element.length);
  element.copy(plain, at);
  return at + element.length;
}

/** LPOP/RPOP of editCount elements (fewer than the list holds), replied as they come off. */
const popEdit: ListBlobEdit = (plain, length) => {
  const ctx = editCtx!;
  const n = editCount;
  if (editHead) {
    let at = 0;
    for (let k = 0; k < n; k++) {
      at = elementAt(plain, at);
      replyElement(ctx, plain, bytesAt, bytesLength);
    }
    plain.copyWithin(0, at, length);
    return length - at;
  }
  // The tail's elements, last first: their offsets found walking from the head.
  const cut = offsetOf(plain, editIndex);
  for (let k = n - 1; k >= 0; k--) {
    let at = cut;
    for (let j = 0; j <= k; j++) at = elementAt(plain, at);
    replyElement(ctx, plain, bytesAt, bytesLength);
  }
  return cut;
};

/** LSET of element editIndex to editValue; -1 when the list would grow past packing's limit. */
const setEdit: ListBlobEdit = (plain, length) => {
  const value = editValue!;
  const from = offsetOf(plain, editIndex);
  const to = elementAt(plain, from);
  const grown = varintBytes(value.length) + value.length - (to - from);
  if (length + grown > PACK_MAX_BYTES) return -1;
  plain.copyWithin(to + grown, to, length);
  writeElement(plain, from, value);
  return length + grown;
};

/** A packed list's shape as stored (its count set per write). */
const shape = { kind: Kind.List as const, count: 0, flag: false, intDeltas: false };

/** What editInBlob() did. */
const enum Edit {
  /** Nothing: the edit declined (the list would not stay within packing's limits). */
  Declined,
  /** The list stored with its change. */
  Stored,
  /** A seal error replied (the blob failed to open); the list as it was. */
  Failed,
}

/**
 * Runs `edit` on key's packed list and stores the result as the list of `count` elements,
 * touched, signalled with `event`. An array header of `arrayLength` elements (-1: none) is
 * replied first, so a pop's elements follow it from the blob.
 */
function editInBlob(ctx: Session, key: string, stored: PackedForm, count: number, change: ListBlobEdit, event: KeyEvent, arrayLength: number): Edit {
  let done = Edit.Declined;
  const ok = replyOpened(ctx, () => {
    if (arrayLength >= 0) ctx.reply.arrayLen(arrayLength);
    const sealed = ctx.db.packer!.editList(ctx.db.uid, key, stored, change);
    if (sealed === null) return;
    shape.count = count;
    ctx.db.setPackedSealed(key, stored, sealed, shape, ctx.now, event);
    done = Edit.Stored;
  });
  return ok ? done : Edit.Failed;
}

/** LPUSH, RPUSH and their X forms into a packed list at rest: replies the new length. */
export function pushInBlob(ctx: Session, key: string, stored: PackedForm, args: ArgList, head: boolean): boolean {
  const count = stored.count + args.length - 2;
  if (!editable(stored, ctx.now) || count > PACK_MAX_ELEMENTS) return false;
  editArgs = args;
  editHead = head;
  let edit: Edit;
  try {
    edit = editInBlob(ctx, key, stored, count, pushEdit, head ? 'lpush' : 'rpush', -1);
  } finally {
    editArgs = null;
  }
  if (edit === Edit.Stored) ctx.reply.integer(count);
  return edit !== Edit.Declined;
}

/**
 * LPOP or RPOP of `n` elements from a packed list at rest: replies them (an array when
 * `counted`, else the one bulk). False for a pop that would empty it.
 */
export function popInBlob(ctx: Session, key: string, stored: PackedForm, head: boolean, counted: boolean, n: number): boolean {
  if (n >= stored.count || !editable(stored, ctx.now)) return false;
  editCtx = ctx;
  editHead = head;
  editCount = n;
  editIndex = stored.count - n;
  try {
    // A pop always fits: it never declines.
    editInBlob(ctx, key, stored, stored.count - n, popEdit, head ? 'lpop' : 'rpop', counted ? n : -1);
    return true;
  } finally {
    editCtx = null;
  }
}

/** LSET of element `index` (in range) of a packed list at rest to `value`: replies OK. */
export function setInBlob(ctx: Session, key: string, stored: PackedForm, index: number, value: Buffer): boolean {
  if (!editable(stored, ctx.now)) return false;
  editIndex = index;
  editValue = value;
  let edit: Edit;
  try {
    edit = editInBlob(ctx, key, stored, stored.count, setEdit, 'lset', -1);
  } finally {
    editValue = null;
  }
  if (edit === Edit.Stored) ctx.reply.ok();
  return edit !== Edit.Declined;
}
