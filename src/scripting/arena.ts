// Where redis.call's arguments land when they leave the Lua heap: one buffer with memory of its
// own (plainBuffer: outside the V8 heap, never pooled), reused by every call and zeroed after
// each, instead of a pooled Buffer per argument. Handlers never keep an argument past their
// call (the connection reuses its read buffer the same way), so views into it are safe.

import { plainBuffer } from '../util/bytes.js';
import { copyOutOfHeap } from './vm.js';

/** Uint8Array's own fill: Buffer's adds argument checks in JS on every call. */
const fill = Uint8Array.prototype.fill;

export class ArgArena {
  /** Where copies land; replaced (and the old one kept until wipe) when a call outgrows it. */
  buf = plainBuffer(4096);
  private used = 0;
  /** Buffers outgrown during the current call: zeroed with the current one. */
  private retired: Buffer[] = [];
  /**
   * The views handed out lately, by the argument's position in its call: a script calls the same
   * command shape again and again, so the view an argument needs (same offset, same length) is
   * mostly there already, sparing a Buffer object per argument. Reusing one is safe because no
   * view outlives its call (they read zeros after wipe()).
   */
  private views: Buffer[] = [];
  /** Where each of `views` starts in `buf`, and its length (plain numbers: no getter calls to compare). */
  private viewAt = new Int32Array(16).fill(-1);
  private viewLength = new Int32Array(16);

  /** Where the last copy() or text() put its bytes in `buf`. */
  lastAt = 0;

  /** A copy of bytes [at, at + n) of `src` that lives until wipe(); `slot` is its position in the call. */
  copy(src: Uint8Array, from: number, n: number, slot = -1): Buffer {
    const at = (this.lastAt = this.reserve(n));
    copyOutOfHeap(this.buf, at, src, from, n);
    return this.view(at, n, slot);
  }

  /** ASCII text (a number's digits) as bytes that live until wipe(). */
  text(text: string, slot = -1): Buffer {
    const at = (this.lastAt = this.reserve(text.length));
    const buf = this.buf;
    for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
    return this.view(at, text.length, slot);
  }

  private view(at: number, n: number, slot: number): Buffer {
    if (slot < 0 || slot >= 16) return this.buf.subarray(at, at + n);
    if (this.viewAt[slot] === at && this.viewLength[slot] === n) return this.views[slot]!;
    this.viewAt[slot] = at;
    this.viewLength[slot] = n;
    return (this.views[slot] = this.buf.subarray(at, at + n));
  }

  /** Zeroes everything handed out since the last wipe; the views all read zeros afterwards. */
  wipe(): void {
    fill.call(this.buf, 0, 0, this.used);
    this.used = 0;
    if (this.retired.length > 0) {
      for (const b of this.retired) b.fill(0);
      this.retired = [];
    }
  }

  private reserve(n: number): number {
    if (this.used + n > this.buf.length) {
      // Views already handed out keep pointing at the old buffer, which is zeroed at wipe().
      this.retired.push(this.buf);
      this.buf = plainBuffer(Math.max(n, this.buf.length * 2));
      this.viewAt.fill(-1); // the views are of the old buffer
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    return at;
  }
}
