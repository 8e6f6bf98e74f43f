// Pushes, pops, LSET, LINSERT, LREM and LTRIM made in a small list's packed blob while it rests (at-rest.ts),
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
import { sameBytes } from './packed-reads.js';
import { packedAtRest } from './at-rest.js';
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
function editable(ctx: Session, stored: PackedForm): boolean {
  return stored.kind === Kind.List && packedAtRest(ctx, stored);
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
let editPivot: Buffer | null = null;

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

/** Set by an edit that found nothing to change (it then returns -1). */
let unchanged = false;
/** Set by an edit whose element count the caller cannot know before it (LREM). */
let editedCount = 0;
/** Where each element starts, and the end (offsetsOf). */
const starts = new Int32Array(PACK_MAX_ELEMENTS + 1);

/** Fills starts[0..count] with the elements' offsets and the plaintext's end; returns count. */
function offsetsOf(plain: Buffer, length: number): number {
  let k = 0;
  for (let at = 0; at < length; k++) {
    starts[k] = at;
    at = elementAt(plain, at);
  }
  starts[k] = length;
  return k;
}

/** LTRIM to elements [editIndex, editCount] (inclusive, not empty). */
const trimEdit: ListBlobEdit = (plain, length) => {
  offsetsOf(plain, length);
  const from = starts[editIndex]!;
  const to = starts[editCount + 1]!;
  plain.copyWithin(0, from, to);
  return to - from;
};

/** LINSERT of editValue before (editHead) or after the first element equal to editPivot. */
const insertEdit: ListBlobEdit = (plain, length) => {
  const value = editValue!;
  const count = offsetsOf(plain, length);
  let pivot = -1;
  for (let k = 0; k < count && pivot < 0; k++) {
    elementAt(plain, starts[k]!);
    if (sameBytes(plain, bytesAt, bytesLength, editPivot!)) pivot = k;
  }
  if (pivot < 0) {
    unchanged = true;
    return -1;
  }
  const at = starts[editHead ? pivot : pivot + 1]!;
  const added = varintBytes(value.length) + value.length;
  if (length + added > PACK_MAX_BYTES) return -1;
  plain.copyWithin(at + added, at, length);
  writeElement(plain, at, value);
  return length + added;
};

/**
 * LREM of editCount elements equal to editValue (from the head; from the tail when negative;
 * all when 0): editedCount and editIndex (how many went) set. Declines when it would empty the
 * list (the usual path deletes the key).
 */
const removeEdit: ListBlobEdit = (plain, length) => {
  const value = editValue!;
  const count = offsetsOf(plain, length);
  const limit = editCount === 0 ? count : Math.abs(editCount);
  // One bit per element to remove (at most PACK_MAX_ELEMENTS: two words).
  let low = 0;
  let high = 0;
  let removed = 0;
  for (let j = 0; j < count && removed < limit; j++) {
    const k = editCount < 0 ? count - 1 - j : j;
    elementAt(plain, starts[k]!);
    if (!sameBytes(plain, bytesAt, bytesLength, value)) continue;
    if (k < 32) low |= 1 << k;
    else high |= 1 << (k - 32);
    removed++;
  }
  if (removed === 0) {
    unchanged = true;
    return -1;
  }
  if (removed === count) return -1;
  let to = 0;
  for (let k = 0; k < count; k++) {
    if (((k < 32 ? low >>> k : high >>> (k - 32)) & 1) !== 0) continue;
    const from = starts[k]!;
    const end = starts[k + 1]!;
    if (to !== from) plain.copyWithin(to, from, end);
    to += end - from;
  }
  editedCount = count - removed;
  editIndex = removed;
  return to;
};

/** A packed list's shape as stored (its count set per write). */
const shape = { kind: Kind.List as const, count: 0, flag: false, intDeltas: false };

/** What editInBlob() did. */
const enum Edit {
  /** Nothing: the edit declined (the list would not stay within packing's limits, or be emptied). */
  Declined,
  /** Nothing: the edit found nothing to change (LREM without a match, LINSERT without its pivot). */
  Unchanged,
  /** The list stored with its change. */
  Stored,
  /** A seal error replied (the blob failed to open); the list as it was. */
  Failed,
}

/**
 * Runs `edit` on key's packed list and stores the result as the list of `count` elements (-1:
 * as many as the edit left, editedCount),
 * touched, signalled with `event`. An array header of `arrayLength` elements (-1: none) is
 * replied first, so a pop's elements follow it from the blob.
 */
function editInBlob(ctx: Session, key: string, stored: PackedForm, count: number, change: ListBlobEdit, event: KeyEvent, arrayLength: number): Edit {
  let done = Edit.Declined;
  unchanged = false;
  const ok = replyOpened(ctx, () => {
    if (arrayLength >= 0) ctx.reply.arrayLen(arrayLength);
    const sealed = ctx.db.packer!.editList(ctx.db.uid, key, stored, change);
    if (sealed === null) {
      if (unchanged) done = Edit.Unchanged;
      return;
    }
    shape.count = count < 0 ? editedCount : count;
    ctx.db.setPackedSealed(key, stored, sealed, shape, ctx.now, event);
    done = Edit.Stored;
  });
  return ok ? done : Edit.Failed;
}

/** LPUSH, RPUSH and their X forms into a packed list at rest: replies the new length. */
export function pushInBlob(ctx: Session, key: string, stored: PackedForm, args: ArgList, head: boolean): boolean {
  const count = stored.count + args.length - 2;
  if (!editable(ctx, stored) || count > PACK_MAX_ELEMENTS) return false;
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
  if (n >= stored.count || !editable(ctx, stored)) return false;
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
  if (!editable(ctx, stored)) return false;
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

/** LTRIM of a packed list at rest to elements [first, last] (in range, not all cut): replies OK. */
export function trimInBlob(ctx: Session, key: string, stored: PackedForm, first: number, last: number): boolean {
  if (!editable(ctx, stored)) return false;
  editIndex = first;
  editCount = last;
  const edit = editInBlob(ctx, key, stored, last - first + 1, trimEdit, 'ltrim', -1);
  if (edit === Edit.Stored) ctx.reply.ok();
  return edit !== Edit.Declined;
}

/** LINSERT of `value` before or after the first `pivot` in a packed list at rest: replies the new length, or -1. */
export function insertInBlob(ctx: Session, key: string, stored: PackedForm, before: boolean, pivot: Buffer, value: Buffer): boolean {
  const length = stored.count + 1;
  if (!editable(ctx, stored) || length > PACK_MAX_ELEMENTS) return false;
  editHead = before;
  editPivot = pivot;
  editValue = value;
  let edit: Edit;
  try {
    edit = editInBlob(ctx, key, stored, length, insertEdit, 'linsert', -1);
  } finally {
    editPivot = null;
    editValue = null;
  }
  // (`stored` is not read after the edit: the record it shows was replaced.)
  if (edit === Edit.Stored) ctx.reply.integer(length);
  else if (edit === Edit.Unchanged) ctx.reply.integer(-1);
  return edit !== Edit.Declined;
}

/** LREM of `count` elements equal to `value` from a packed list at rest: replies how many went. */
export function removeInBlob(ctx: Session, key: string, stored: PackedForm, count: number, value: Buffer): boolean {
  if (!editable(ctx, stored)) return false;
  editCount = count;
  editValue = value;
  let edit: Edit;
  try {
    edit = editInBlob(ctx, key, stored, -1, removeEdit, 'lrem', -1);
  } finally {
    editValue = null;
  }
  if (edit === Edit.Stored) ctx.reply.integer(editIndex);
  else if (edit === Edit.Unchanged) ctx.reply.integer(0);
  return edit !== Edit.Declined;
}
