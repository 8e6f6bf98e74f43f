// Where redis.call's arguments land when they must leave the Lua heap (a number among them,
// formatted; more than RawArgs takes): one buffer with memory of its own (plainBuffer: outside
// the V8 heap, never pooled), reused by every call and zeroed after each. Handlers never keep an
// argument past their call (the connection reuses its read buffer the same way), so views into
// it are safe.

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

  /** A copy of bytes [at, at + n) of `src` that lives until wipe(). */
  copy(src: Uint8Array, from: number, n: number): Buffer {
    const at = this.reserve(n);
    copyOutOfHeap(this.buf, at, src, from, n);
    return this.buf.subarray(at, at + n);
  }

  /** ASCII text (a number's digits) as bytes that live until wipe(). */
  text(text: string): Buffer {
    const at = this.reserve(text.length);
    const buf = this.buf;
    for (let i = 0; i < text.length; i++) buf[at + i] = text.charCodeAt(i);
    return buf.subarray(at, at + text.length);
  }

  /** Zeroes everything handed out since the last wipe; the views all read zeros afterwards. */
  wipe(): void {
    // Nearly always nothing to do: redis.call's strings are read where they lie (ScriptArgs).
    if (this.used === 0 && this.retired.length === 0) return;
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
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    return at;
  }
}
