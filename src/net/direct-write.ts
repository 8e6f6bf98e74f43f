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
  /** A writev's body (writeAround), in flight beside `out`. */
  body: Buffer | null;
  writer: DirectWriter | null;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
  /** Several buffers in one writev(2) (`allBuffers` true: every chunk is a Buffer), as net.Socket's _writev. */
  writev(req: WriteReq, chunks: Buffer[], allBuffers: boolean): number;
}

function newReq(): WriteReq {
  const req = new binding!.WriteWrap() as WriteReq;
  req.handle = null;
  req.oncomplete = completed;
  req.out = null;
  req.body = null;
  req.writer = null;
  return req;
}

/** The end of a bulk written around its body (writeAround). Never wiped: it holds no data. */
const CRLF = Buffer.from('\r\n');
/** writeAround's chunks: one array, refilled per call (the binding reads it before returning). */
const around: Buffer[] = [CRLF, CRLF, CRLF];

/** A request object no native write holds: writes the kernel takes at once share it. */
let spareReq: WriteReq | null = null;

function completed(this: WriteReq, status: number): void {
  const writer = this.writer!;
  const out = this.out!;
  const body = this.body;
  this.out = null;
  this.body = null;
  this.writer = null;
  if (body !== null) writer.finished(body, status);
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
    private readonly onSent: () => void,
  ) {}

  /**
   * A writer for a plain TCP socket, or null when the private binding is not there. `onSent`
   * is told when a write that was pending completes (its bytes no longer wait).
   */
  static for(socket: Socket, wipe: (out: Buffer) => void, onError: () => void, onSent: () => void): DirectWriter | null {
    return binding === null ? null : new DirectWriter(socket, wipe, onError, onSent);
  }

  /**
   * Writes out. TAKEN: the kernel has every byte (or the write failed and the connection is
   * being closed), `out` is still the caller's to wipe or reuse. PENDING: the write completes
   * later and this writer wipes `out` then. DECLINED (nothing done): the caller must use
   * socket.write() instead, as there is no handle any more or the Writable still holds data.
   */
  write(out: Buffer): WriteResult {
    const handle = this.usableHandle();
    if (handle === null) return this.decline();
    const req = spareReq ?? newReq();
    return this.dispatched(req, handle, handle.writeBuffer(req, out), out, null);
  }

  /**
   * Writes head, body and CRLF in one writev(2): a large GET's reply, whose body a seal worker
   * opened in shared memory (Client.sendSharedBulk), without three writes (three packets and
   * wake-ups of the client) or a copy into the reply. Results as write(): TAKEN leaves both
   * buffers the caller's, PENDING wipes both once done (the body first).
   */
  writeAround(head: Buffer, body: Buffer): WriteResult {
    const handle = this.usableHandle();
    if (handle === null) return this.decline();
    const req = spareReq ?? newReq();
    around[0] = head;
    around[1] = body;
    const err = handle.writev(req, around, true);
    around[0] = around[1] = CRLF;
    return this.dispatched(req, handle, err, head, body);
  }

  /** The socket's handle if a direct write may go now, else null (the caller declines). */
  private usableHandle(): StreamHandle | null {
    const handle = (this.socket as unknown as { _handle: StreamHandle | null })._handle;
    // A destroyed socket has no handle any more (net.Socket._destroy drops it at once).
    if (handle === null) return null;
    if (this.socketMayHold) {
      if (this.socket.writableLength > 0 || this.socket.destroyed) return null;
      this.socketMayHold = false;
    }
    return handle;
  }

  /** After a native write of out (and body) was started: TAKEN, or PENDING with the buffers in flight. */
  private dispatched(req: WriteReq, handle: StreamHandle, err: number, out: Buffer, body: Buffer | null): WriteResult {
    if (err !== 0) {
      this.onError();
      return WriteResult.Taken;
    }
    if (binding!.streamBaseState[binding!.kLastWriteWasAsync] === 0) {
      // The kernel took every byte: the request object was never attached to a native write,
      // so it serves the next write too (Node makes a new one per write).
      spareReq = req;
      return WriteResult.Taken;
    }
    spareReq = null;
    req.handle = handle;
    req.out = out;
    req.body = body;
    req.writer = this;
    this.inFlight.add(out);
    this.pendingBytes += out.length;
    if (body !== null) {
      this.inFlight.add(body);
      this.pendingBytes += body.length;
    }
    return WriteResult.Pending;
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
    else this.onSent();
  }

  /** The connection is closed: no write is pending in the handle any more, so wipe what was. */
  release(): void {
    for (const out of this.inFlight) this.wipe(out);
    this.inFlight.clear();
    this.pendingBytes = 0;
  }
}
