// Socket reads into one reused buffer (net's `onread` option) instead of Node's default of a
// fresh 64 KiB buffer per read, copied into an exact-size one while the first is freed without
// being zeroed: with plaintext values on the wire, each read would leave copies in freed memory.
// Here every read lands in the same buffer, the connection handles it at once, and the used
// bytes are zeroed before the next read. One buffer serves all connections: reads are handled
// one at a time on the event loop, and the parser copies out what it still needs.
//
// A large bulk the parser gathers in shared memory (a 1 MiB SET's value) is read straight into
// that memory instead: the socket is asked before each read where it should land (onread's
// buffer given as a function), so those bytes are neither copied nor wiped here; the parser
// owns and wipes them. The read that ends such a bulk leaves the next request's first read short
// (HEAD_READ_BYTES): in a stream of large SETs that read holds the next command's header, the
// parser then gathers its value in shared memory, and the rest of it is read there in place. A
// full 64 KiB first read had the parser copy up to 64 KiB of value out of it into shared memory,
// which V8 does with relaxed atomic stores (~7x a memcpy: ~6 µs per 64 KiB on a quiet core, ~13%
// of the event loop's time for a 256 KiB SET under load).
//
// net.Server does not take `onread` for the sockets it accepts, so each listener's accepts are
// taken from its handle (takeAccepts): the accepted handle goes straight to a socket built with
// the option, without the socket net.Server would build first and drop.

import { Socket, type Server as NetServer } from 'node:net';
import { wipeShared } from '../util/shared-pool.js';
import { streamBinding } from './stream-binding.js';

const READ_BYTES = 64 * 1024;
/** A short read after a large bulk: room for a command's header (a longer one just reads on). */
const HEAD_READ_BYTES = 1024;

/** Who a socket's reads go to (the connection; null until it exists). */
export interface ReadSink {
  /** Handles a read's bytes: they are zeroed once this returns. */
  receive(chunk: Buffer): void;
  /** Memory the next read should land in instead (shared memory the sink owns), or null. */
  readTarget(): Uint8Array | null;
  /** Handles n bytes read straight into `view`, a readTarget(): the sink owns (and wipes) them. */
  receiveInPlace(view: Uint8Array, n: number): void;
  /** Whether the next read (when not in place) should be a short one. */
  shortRead(): boolean;
}

export class ReadBuffer {
  private readonly buffer = Buffer.allocUnsafeSlow(READ_BYTES);
  /** The buffer's start, for a short read. */
  private readonly head = this.buffer.subarray(0, HEAD_READ_BYTES);
  /**
   * The last read's bytes as a view, reused while reads keep the same length (requests of a
   * benchmark or a poller nearly always do): a fresh view per read was a quarter of the
   * garbage each pipeline-1 request left, and what the young-generation GC pauses scale with.
   */
  private view = this.buffer.subarray(0, 0);

  /**
   * The read callback of every adopted handle (see adopt): one function for all of them, its
   * connection and read target kept on the handle. A closure per connection was one more object
   * (and its context) for the native side to check and call on every read: with 1,000
   * connections, cache misses on each.
   */
  private readonly onread = readCallback(this);

  /**
   * Hands every connection `srv` accepts to `onSocket` as a socket of this reader (see adopt).
   * `srv` must be made with pauseOnConnect, so that a connection that still comes through its
   * 'connection' event (Node internals changed) reads nothing before it is adopted.
   *
   * Once it listens, its accepts are taken from its handle: net.Server would build a paused
   * socket for each (two stream states, an event emitter, a read stop) that adopt() then drops
   * for a socket of its own. That socket was a third of the CPU an accept costs and 2.5 of the
   * 10 KB allocated per connection, and under a storm of new connections (1,000 clients
   * connecting at once) every request waits for the accepts before it.
   */
  takeAccepts(srv: NetServer, onSocket: (socket: Socket) => void): void {
    srv.on('connection', (paused: Socket) => onSocket(this.adopt(paused)));
    srv.once('listening', () => {
      const server = srv as unknown as ListeningServer;
      const listener = server._handle;
      const nodeOnconnection = listener?.onconnection;
      if (typeof nodeOnconnection !== 'function') return;
      const reader = this;
      listener!.onconnection = function onconnection(this: unknown, err: number, handle: ReadHandle | undefined): void {
        // Errors and a server with maxConnections (never set on these) stay Node's.
        if (err || handle === undefined || server.maxConnections) return nodeOnconnection.call(this, err, handle);
        const socket = reader.adoptHandle(handle);
        // What net.Server's own accept records: its connection count, lowered when the socket closes.
        server._connections++;
        (socket as unknown as { _server: NetServer })._server = srv;
        (socket as unknown as { server: NetServer }).server = srv;
        onSocket(socket);
      };
    });
  }

  /**
   * A socket for an accepted, still paused connection; its reads go to the sink given to
   * attach() (dropped, zeroed, until then).
   */
  adopt(paused: Socket): Socket {
    const handle = (paused as unknown as { _handle: ReadHandle | null })._handle;
    // A Node whose sockets no longer expose their handle would leave this connection dead: say so.
    if (handle === null || handle === undefined) throw new Error('accepted socket has no handle to adopt (Node internals changed?)');
    return this.adoptHandle(handle);
  }

  /** A socket for an accepted connection's handle that nothing reads yet (see adopt). */
  private adoptHandle(handle: ReadHandle): Socket {
    handle.readSink = null;
    /** The memory the handle reads into now (what the buffer function last gave it). */
    handle.readTarget = this.buffer;
    const target = (): Uint8Array => (handle.readTarget = this.targetFor(handle.readSink));
    const socket = new Socket({
      handle,
      onread: { buffer: target, callback: (length: number, buf: Uint8Array) => this.deliver(handle.readSink, length, buf) },
    } as ConstructorParameters<typeof Socket>[0]);
    if (streamBinding === null) return socket;
    // Node's read callback (onStreamRead) reaches the bytes through the socket: its timer, its
    // destroyed state (two more objects), three symbol-keyed properties, and a fresh target per
    // read handed back to the native side. With 1,000 connections each of those is a cache miss
    // per request; ours reads the byte count where the native side leaves it, delivers, and
    // names a new target only when it changed. End of stream and errors still go to Node's own,
    // the same function for every socket.
    nodeOnread ??= handle.onread;
    if (handle.onread !== nodeOnread) throw new Error('sockets do not share one read callback (Node internals changed?)');
    handle.onread = this.onread;
    return socket;
  }

  /** Where an adopted socket's reads go from now on. */
  static attach(socket: Socket, sink: ReadSink): void {
    const handle = (socket as unknown as { _handle: ReadHandle | null })._handle;
    if (handle !== null) handle.readSink = sink;
  }

  /** Hands over the read of nread bytes the handle just made; returns its next target if that changed (readCallback). */
  readNext(handle: ReadHandle, nread: number): Uint8Array | undefined {
    const to = handle.readSink;
    const buf = handle.readTarget;
    this.deliver(to, nread, buf);
    const next = this.targetFor(to);
    if (next === buf) return undefined;
    handle.readTarget = next;
    return next;
  }

  /** Where the sink's next read lands: its own target, else our buffer (its start for a short read). */
  private targetFor(to: ReadSink | null): Uint8Array {
    if (to === null) return this.buffer;
    return to.readTarget() ?? (to.shortRead() ? this.head : this.buffer);
  }

  /** Hands a read of `length` bytes in `buf` to the sink: in place if `buf` is its target, else as a view of ours, zeroed after. */
  private deliver(to: ReadSink | null, length: number, buf: Uint8Array): void {
    if (buf !== this.buffer && buf !== this.head) {
      if (to !== null) to.receiveInPlace(buf, length);
      else wipeShared(buf, length);
      return;
    }
    try {
      if (to !== null) {
        if (this.view.length !== length) this.view = this.buffer.subarray(0, length);
        to.receive(this.view);
      }
    } finally {
      this.buffer.fill(0, 0, length);
    }
  }
}

/** The part of a stream handle adopt() uses: Node calls onread with `this` the handle. */
interface ReadHandle {
  onread: (this: ReadHandle, arrayBuffer: unknown) => Uint8Array | undefined;
  /** Ours: who the reads go to (null until attach()), and the memory the handle reads into now. */
  readSink: ReadSink | null;
  readTarget: Uint8Array;
}

/** The part of a listening net.Server takeAccepts() uses (Node's own accept: net.js onconnection). */
interface ListeningServer {
  _handle: { onconnection: (this: unknown, err: number, handle: ReadHandle | undefined) => void } | null;
  _connections: number;
  maxConnections: number | undefined;
}

/** Node's own read callback (onStreamRead), the same for every socket: for end of stream and errors. */
let nodeOnread: ReadHandle['onread'] | null = null;

function readCallback(reader: ReadBuffer): ReadHandle['onread'] {
  const state = streamBinding === null ? null : streamBinding.streamBaseState;
  const kNread = streamBinding === null ? 0 : streamBinding.kReadBytesOrError;
  return function onread(this: ReadHandle, arrayBuffer: unknown): Uint8Array | undefined {
    const nread = state![kNread]!;
    if (nread <= 0) return nodeOnread!.call(this, arrayBuffer);
    return reader.readNext(this, nread);
  };
}

/** For streams that cannot read into a buffer of ours (TLS): hands each chunk over, then zeroes it. */
export function wipeEachChunk(socket: Socket, onRead: (chunk: Buffer) => void): void {
  socket.on('data', (chunk: Buffer) => {
    try {
      onRead(chunk);
    } finally {
      chunk.fill(0);
    }
  });
}
