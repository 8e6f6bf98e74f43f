// Replies of plain TCP connections go to the socket's handle directly instead of through
// socket.write(). A write the kernel takes at once (nearly all of them) is then done when the
// call returns: the reply buffer is wiped on the spot, with no Writable bookkeeping, no
// completion closure and no nextTick per write, which at pipeline 1 is a visible share of the
// time spent per request. Writes the kernel cannot take yet complete later, in order, through
// the handle's oncomplete callback, and the buffer is wiped then.
//
// This uses Node's private stream_wrap binding (stream-binding.ts), the same calls net.Socket
// makes internally. Without it, or for a socket whose Writable still holds data (ordering), the
// caller falls back to socket.write().

import type { Socket } from 'node:net';
import { streamBinding as binding } from './stream-binding.js';

interface WriteReq {
  /** Keeps the handle reachable while a write is pending, as net.Socket does. */
  handle: unknown;
  oncomplete: (this: WriteReq, status: number) => void;
  /** Ours: the reply in flight and who to tell, read back by the completion callback. */
  out: Buffer | null;
  writer: DirectWriter | null;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
}

function newReq(): WriteReq {
  const req = new binding!.WriteWrap() as WriteReq;
  req.handle = null;
  req.oncomplete = completed;
  req.out = null;
  req.writer = null;
  return req;
}

/** A request object no native write holds: writes the kernel takes at once share it. */
let spareReq: WriteReq | null = null;

function completed(this: WriteReq, status: number): void {
  const writer = this.writer!;
  const out = this.out!;
  this.out = null;
  this.writer = null;
  writer.finished(out, status);
}

export const enum WriteResult {
  Taken,
  Pending,
  Declined,
}

export class DirectWriter {
  /** Replies the kernel has not taken yet: wiped when their write completes or the connection ends. */
  private readonly inFlight = new Set<Buffer>();
  /** Bytes of those replies, for the output buffer limit. */
  pendingBytes = 0;

  /**
   * Whether the socket's Writable may hold data (a write this writer declined went through
   * socket.write()): only then are its writable state and length looked at. Per write they were
   * two more objects per connection to bring into cache, which with 1,000 connections is a miss each.
   */
  private socketMayHold = false;

  /** Reply bytes handed over but not taken by the kernel yet (the output buffer limit). */
  get unsentBytes(): number {
    return this.socketMayHold ? this.pendingBytes + this.socket.writableLength : this.pendingBytes;
  }

  /** How many writes are still pending (CLIENT LIST oll=). */
  get pendingWrites(): number {
    return this.inFlight.size;
  }

  private constructor(
    private readonly socket: Socket,
    private readonly wipe: (out: Buffer) => void,
    private readonly onError: () => void,
  ) {}

  /** A writer for a plain TCP socket, or null when the private binding is not there. */
  static for(socket: Socket, wipe: (out: Buffer) => void, onError: () => void): DirectWriter | null {
    return binding === null ? null : new DirectWriter(socket, wipe, onError);
  }

  /**
   * Writes out. TAKEN: the kernel has every byte (or the write failed and the connection is
   * being closed), `out` is still the caller's to wipe or reuse. PENDING: the write completes
   * later and this writer wipes `out` then. DECLINED (nothing done): the caller must use
   * socket.write() instead, as there is no handle any more or the Writable still holds data.
   */
  write(out: Buffer): WriteResult {
    const handle = (this.socket as unknown as { _handle: StreamHandle | null })._handle;
    // A destroyed socket has no handle any more (net.Socket._destroy drops it at once).
    if (handle === null) return this.decline();
    if (this.socketMayHold) {
      if (this.socket.writableLength > 0 || this.socket.destroyed) return this.decline();
      this.socketMayHold = false;
    }
    const req = spareReq ?? newReq();
    const err = handle.writeBuffer(req, out);
    if (err !== 0) {
      this.onError();
      return WriteResult.Taken;
    }
    if (binding!.streamBaseState[binding!.kLastWriteWasAsync] === 0) {
      // The kernel took every byte: the request object was never attached to a native write,
      // so it serves the next write too (Node makes a new one per write).
      spareReq = req;
      return WriteResult.Taken;
    } else {
      spareReq = null;
      req.handle = handle;
      req.out = out;
      req.writer = this;
      this.inFlight.add(out);
      this.pendingBytes += out.length;
      return WriteResult.Pending;
    }
  }

  private decline(): WriteResult {
    this.socketMayHold = true;
    return WriteResult.Declined;
  }

  /** Called from the handle's completion callback of an asynchronous write. */
  finished(out: Buffer, status: number): void {
    // Not there: release() wiped it already (a buffer must be recycled only once).
    if (!this.inFlight.delete(out)) return;
    this.pendingBytes -= out.length;
    this.wipe(out);
    if (status < 0) this.onError();
  }

  /** The connection is closed: no write is pending in the handle any more, so wipe what was. */
  release(): void {
    for (const out of this.inFlight) this.wipe(out);
    this.inFlight.clear();
    this.pendingBytes = 0;
  }
}
