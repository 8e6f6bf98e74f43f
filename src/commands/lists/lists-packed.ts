// Pushes, pops (LMPOP and the blocking pops served at once included), LSET, LINSERT, LREM, LTRIM
// and moves (LMOVE and its kin, lists-move.ts) made in a small list's packed blob while it rests
// (at-rest.ts), instead of unpacking it: one open and one seal of the blob (Packer.editList), where
// unpacking cost a seal per element and the cron's packing again an open per element and a seal.
// (LPOS reads the blob: packed-reads.ts.) The plaintext is the packed list form (store/types/packed.ts: varint
// length, bytes, per element), edited in the packer's scratch and wiped there. The list stays
// packed; expiry and access time are kept, and it is stored and signalled as any write
// (Keyspace.setPackedSealed: notification, dirty, WATCH, a blocked client's wake-up, memory
// accounting); a write that takes the last element deletes the key ('del' after its event).
// Each function answers false, having done nothing, when the list is in use or would not stay
// within packing's limits: the caller's usual path follows.

import { Kind, type KeyEvent } from '../../store/keyspace.js';
import { PACK_MAX_BYTES, PACK_MAX_ELEMENTS, type ListBlobEdit } from '../../store/types/packed.js';
import { varintBytes, writeVarint } from '../../seal/packing.js';
import type { ArgList } from '../../protocol/arg-list.js';
import { replyOpened } from '../values/sealing.js';
import { listCodec, replyElement, writeList } from './list-entries.js';
import { isPackedForm, type PackedForm } from '../../store/packed-record.js';
import { sameBytes } from '../values/packed-reads.js';
import { packedAtRest } from '../values/at-rest.js';
import type { Session } from '../types.js';

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
/** The elements a push adds: editArgs[editFirst..]. */
let editArgs: ArgList | null = null;
let editFirst = 2;
/** A pop's reply starts [key, ...] with this key argument (BLPOP, LMPOP...), when set. */
let editKeyArg: Buffer | null = null;
/** A pop's elements are replied as an array (a count given). */
let editCounted = false;
let editHead = true;
let editCount = 0;
let editIndex = 0;
let editValue: Buffer | null = null;
let editPivot: Buffer | null = null;

/** LPUSH/RPUSH: args[editFirst..] at the head (each in turn, so the last ends first) or the tail. */
const pushEdit: ListBlobEdit = (plain, length) => {
  const args = editArgs!;
  const first = editFirst;
  let added = 0;
  for (let i = first; i < args.length; i++) added += varintBytes(args.at(i)!.length) + args.at(i)!.length;
  if (length + added > PACK_MAX_BYTES) return -1;
  let at = length;
  if (editHead) {
    plain.copyWithin(added, 0, length);
    at = 0;
    for (let i = args.length - 1; i >= first; i--) at = writeElement(plain, at, args.at(i)!);
  } else {
    for (let i = first; i < args.length; i++) at = writeElement(plain, at, args.at(i)!);
  }
  return length + added;
};

function writeElement(plain: Buffer, at: number, element: Buffer): number {
  at = writeVarint(plain, at, element.length);
  element.copy(plain, at);
  return at + element.length;
}

/**
 * LPOP/RPOP of editCount elements (editIndex: how many stay), replied as they come off after the
 * reply's header ([key, ...] with editKeyArg, an array when editCounted): written here, inside
 * the open, so that a blob failing to open drops it with the rest. Taking every element sets
 * `emptied` and changes nothing (the caller deletes the key).
 */
const popEdit: ListBlobEdit = (plain, length) => {
  const ctx = editCtx!;
  const n = editCount;
  if (editKeyArg !== null) {
    ctx.reply.arrayLen(2);
    ctx.reply.bulk(editKeyArg);
  }
  if (editCounted) ctx.reply.arrayLen(n);
  let cut = 0;
  if (editHead) {
    for (let k = 0; k < n; k++) {
      cut = elementAt(plain, cut);
      replyElement(ctx, plain, bytesAt, bytesLength);
    }
    plain.copyWithin(0, cut, length);
    cut = length - cut;
  } else {
    // The tail's elements, last first: their offsets found walking from the head.
    cut = offsetOf(plain, editIndex);
    for (let k = n - 1; k >= 0; k--) {
      let at = cut;
      for (let j = 0; j <= k; j++) at = elementAt(plain, at);
      replyElement(ctx, plain, bytesAt, bytesLength);
    }
  }
  if (editIndex > 0) return cut;
  emptied = true;
  return -1;
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
/** Set by an edit that took every element (it then returns -1: the key is deleted). */
let emptied = false;
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
 * all when 0): editedCount and editIndex (how many went) set. Removing every element sets
 * `emptied` and changes nothing (the caller deletes the key).
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
  editIndex = removed;
  if (removed === count) {
    emptied = true;
    return -1;
  }
  let to = 0;
  for (let k = 0; k < count; k++) {
    if (((k < 32 ? low >>> k : high >>> (k - 32)) & 1) !== 0) continue;
    const from = starts[k]!;
    const end = starts[k + 1]!;
    if (to !== from) plain.copyWithin(to, from, end);
    to += end - from;
  }
  editedCount = count - removed;
  return to;
};

/** A packed list's shape as stored (its count set per write). */
const shape = { kind: Kind.List as const, count: 0, flag: false, intDeltas: false };

/** What editInBlob() did. */
const enum Edit {
  /** Nothing: the edit declined (the list would not stay within packing's limits, or LREM would empty it). */
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
 * as many as the edit left, editedCount), touched, signalled with `event`; a list the edit
 * emptied is deleted instead ('del' after `event`, as Keyspace.mutate does).
 */
function editInBlob(ctx: Session, key: string, stored: PackedForm, count: number, change: ListBlobEdit, event: KeyEvent): Edit {
  let done = Edit.Declined;
  unchanged = false;
  emptied = false;
  const ok = replyOpened(ctx, () => {
    const sealed = ctx.db.packer!.editList(ctx.db.uid, key, stored, change);
    if (sealed === null) {
      if (unchanged) done = Edit.Unchanged;
      else if (emptied) {
        if (ctx.db.delete(key, event)) ctx.db.notify(key, 'del', Kind.List);
        done = Edit.Stored;
      }
      return;
    }
    shape.count = count < 0 ? editedCount : count;
    ctx.db.setPackedSealed(key, stored, sealed, shape, ctx.now, event);
    done = Edit.Stored;
  });
  return ok ? done : Edit.Failed;
}

/** Pushes args[first..] into a packed list (editable) at its head or tail, signalled as the push. */
function pushEdits(ctx: Session, key: string, stored: PackedForm, args: ArgList, first: number, head: boolean): Edit {
  const count = stored.count + args.length - first;
  if (count > PACK_MAX_ELEMENTS) return Edit.Declined;
  editArgs = args;
  editFirst = first;
  editHead = head;
  try {
    return editInBlob(ctx, key, stored, count, pushEdit, head ? 'lpush' : 'rpush');
  } finally {
    editArgs = null;
  }
}

/** LPUSH, RPUSH and their X forms into a packed list at rest: replies the new length. */
export function pushInBlob(ctx: Session, key: string, stored: PackedForm, args: ArgList, head: boolean): boolean {
  if (!editable(ctx, stored)) return false;
  const count = stored.count + args.length - 2;
  const edit = pushEdits(ctx, key, stored, args, 2, head);
  // (`stored` is not read after the edit: the record it shows may have been replaced.)
  if (edit === Edit.Stored) ctx.reply.integer(count);
  return edit !== Edit.Declined;
}

/**
 * LPOP or RPOP of `n` elements (at most as many as it holds) from a packed list at rest:
 * replies them (an array when `counted`, else the one bulk), after [keyArg, ...] when keyArg is
 * given (BLPOP, LMPOP and their kin); the last element takes the key with it.
 */
export function popInBlob(ctx: Session, key: string, stored: PackedForm, head: boolean, counted: boolean, n: number, keyArg: Buffer | null = null): boolean {
  if (!editable(ctx, stored)) return false;
  n = Math.min(n, stored.count);
  editCtx = ctx;
  editHead = head;
  editCount = n;
  editIndex = stored.count - n;
  editKeyArg = keyArg;
  editCounted = counted;
  try {
    // A pop always fits: it never declines.
    editInBlob(ctx, key, stored, stored.count - n, popEdit, head ? 'lpop' : 'rpop');
    return true;
  } finally {
    editCtx = null;
    editKeyArg = null;
  }
}

/** LSET of element `index` (in range) of a packed list at rest to `value`: replies OK. */
export function setInBlob(ctx: Session, key: string, stored: PackedForm, index: number, value: Buffer): boolean {
  if (!editable(ctx, stored)) return false;
  editIndex = index;
  editValue = value;
  let edit: Edit;
  try {
    edit = editInBlob(ctx, key, stored, stored.count, setEdit, 'lset');
  } finally {
    editValue = null;
  }
  if (edit === Edit.Stored) ctx.reply.ok();
  return edit !== Edit.Declined;
}

/**
 * LTRIM of a packed list at rest to elements [first, last] (normalizeRange's span; null: all
 * cut, the key deleted without opening the blob, 'del' after 'ltrim'): replies OK.
 */
export function trimInBlob(ctx: Session, key: string, stored: PackedForm, range: [first: number, last: number] | null): boolean {
  if (!editable(ctx, stored)) return false;
  if (range === null) {
    if (ctx.db.delete(key, 'ltrim')) ctx.db.notify(key, 'del', Kind.List);
    ctx.reply.ok();
    return true;
  }
  const [first, last] = range;
  editIndex = first;
  editCount = last;
  const edit = editInBlob(ctx, key, stored, last - first + 1, trimEdit, 'ltrim');
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
    edit = editInBlob(ctx, key, stored, length, insertEdit, 'linsert');
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
    edit = editInBlob(ctx, key, stored, -1, removeEdit, 'lrem');
  } finally {
    editValue = null;
  }
  if (edit === Edit.Stored) ctx.reply.integer(editIndex);
  else if (edit === Edit.Unchanged) ctx.reply.integer(0);
  return edit !== Edit.Declined;
}

// ---- moving (LMOVE and its kin: lists-move.ts) ----

/** The element a move takes off its source's blob, copied out of the packer's scratch; wiped after the move. */
const moved = Buffer.allocUnsafeSlow(PACK_MAX_BYTES).fill(0);
let movedLength = 0;
/** The source's new blob (ciphertext), kept while the destination is written (that overwrites the packer's own). */
const sourceSealed = Buffer.allocUnsafeSlow(2 * PACK_MAX_BYTES);
let sourceSealedLength = 0;
/** Where a rotation (LMOVE onto its own list) puts the element: the head, or the tail. */
let editToHead = true;

/** The offsets of the element a move takes (editHead's end of a list of editIndex elements) in plain. */
function endElement(plain: Buffer): number {
  const from = editHead ? 0 : offsetOf(plain, editIndex - 1);
  elementAt(plain, from);
  return from;
}

/** Takes the element off into `moved`; the last one sets `emptied` and changes nothing (the caller deletes the key). */
const takeEdit: ListBlobEdit = (plain, length) => {
  const from = endElement(plain);
  const to = bytesAt + bytesLength;
  plain.copy(moved, 0, bytesAt, to);
  movedLength = bytesLength;
  if (editIndex === 1) {
    emptied = true;
    return -1;
  }
  plain.copyWithin(from, to, length);
  return length - (to - from);
};

/** LMOVE onto its own list: the element replied, and moved from editHead's end to editToHead's (the same end: left as it is). */
const rotateEdit: ListBlobEdit = (plain, length) => {
  const from = endElement(plain);
  const to = bytesAt + bytesLength;
  replyElement(editCtx!, plain, bytesAt, bytesLength);
  if (editHead === editToHead) return length;
  const size = to - from;
  plain.copy(moved, 0, from, to);
  if (editHead) {
    plain.copyWithin(0, to, length);
    moved.copy(plain, length - size, 0, size);
  } else {
    plain.copyWithin(size, 0, from);
    moved.copy(plain, 0, 0, size);
  }
  moved.fill(0, 0, size);
  return length;
};

const oneElement: Buffer[] = [];

/**
 * Pushes `element` onto key's list (a move's destination: a list or missing, checked before) at
 * its head or tail, signalled as the push: in its blob when it rests packed, else as any push.
 * False after replying the seal error of a blob that failed to open (nothing changed).
 */
export function pushElement(ctx: Session, key: string, element: Buffer, head: boolean): boolean {
  const stored = ctx.db.getStored(key, ctx.now);
  const packed = stored !== undefined && isPackedForm(stored);
  if (packed && editable(ctx, stored)) {
    oneElement[0] = element;
    let edit: Edit;
    try {
      edit = pushEdits(ctx, key, stored, oneElement, 0, head);
    } finally {
      oneElement.length = 0;
    }
    if (edit !== Edit.Declined) return edit !== Edit.Failed;
  }
  writeList(ctx, key, head ? 'lpush' : 'rpush', (target) => {
    const c = listCodec(ctx, key);
    if (head) target.pushHead(element, c);
    else target.pushTail(element, c);
    return true;
  }, packed ? undefined : stored);
  return true;
}

/**
 * LMOVE (and its kin) from a packed list at rest `src` to `dst` (a list or missing: checked
 * before), replying the element: one open and one seal of the source's blob; the destination
 * pushed through pushElement(). Redis's order of events: the push, then the pop, then 'del' of
 * an emptied source. A blob that fails to open answers the seal error and nothing changes.
 * False, having done nothing, when the source is in use: the usual path follows.
 */
export function moveInBlob(ctx: Session, src: string, stored: PackedForm, dst: string, fromHead: boolean, toHead: boolean): boolean {
  if (!editable(ctx, stored)) return false;
  const popEvent = fromHead ? 'lpop' : 'rpop';
  const count = stored.count;
  editCtx = ctx;
  editHead = fromHead;
  editIndex = count;
  try {
    if (src === dst) {
      editToHead = toHead;
      // A rotation always fits: it never declines.
      if (editInBlob(ctx, src, stored, count, rotateEdit, toHead ? 'lpush' : 'rpush') === Edit.Stored) ctx.db.signal(src, popEvent, Kind.List);
      return true;
    }
    emptied = false;
    const opened = replyOpened(ctx, () => {
      const sealed = ctx.db.packer!.editList(ctx.db.uid, src, stored, takeEdit);
      sourceSealedLength = sealed === null ? 0 : sealed.length;
      if (sealed !== null) sourceSealed.set(sealed);
    });
    if (!opened) return true;
    // Kept: the destination's edit starts afresh.
    const last = emptied;
    const element = moved.subarray(0, movedLength);
    if (!pushElement(ctx, dst, element, toHead)) return true;
    if (last) {
      if (ctx.db.delete(src, popEvent)) ctx.db.notify(src, 'del', Kind.List);
    } else {
      // Looked up again: the destination's write may have moved records.
      shape.count = count - 1;
      ctx.db.setPackedSealed(src, ctx.db.getStored(src, ctx.now) as unknown as PackedForm, sourceSealed.subarray(0, sourceSealedLength), shape, ctx.now, popEvent);
    }
    ctx.reply.bulk(element);
    return true;
  } finally {
    moved.fill(0, 0, movedLength);
    movedLength = 0;
    editCtx = null;
  }
}
