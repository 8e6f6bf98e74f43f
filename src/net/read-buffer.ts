// Socket reads into one reused buffer (net's `onread` option) instead of Node's default of a
// fresh 64 KiB buffer per read, copied into an exact-size one while the first is freed without
// being zeroed: with plaintext values on the wire, each read would leave copies in freed memory.
// Here every read lands in the same buffer, the connection handles it at once, and the used
// bytes are zeroed before the next read. One buffer serves all connections: reads are handled
// one at a time on the event loop, and the parser copies out what it still needs.
//
// net.Server does not take `onread` for the sockets it accepts, so the listener pauses new
// connections (pauseOnConnect) before they read anything and hands their handle to a socket
// built with the option.

import { Socket } from 'node:net';

const READ_BYTES = 64 * 1024;

export class ReadBuffer {
  private readonly buffer = Buffer.allocUnsafeSlow(READ_BYTES);

  /** A socket for an accepted, still paused connection whose reads go to `onRead` and are zeroed after it. */
  adopt(paused: Socket, onRead: (chunk: Buffer) => void): Socket {
    const handle = (paused as unknown as { _handle: unknown })._handle;
    // A Node whose sockets no longer expose their handle would leave this connection dead: say so.
    if (handle === null || handle === undefined) throw new Error('accepted socket has no handle to adopt (Node internals changed?)');
    return new Socket({
      handle,
      onread: {
        buffer: this.buffer,
        callback: (length: number, buf: Uint8Array) => {
          const chunk = buf as Buffer;
          try {
            onRead(chunk.subarray(0, length));
          } finally {
            chunk.fill(0, 0, length);
          }
        },
      },
    } as ConstructorParameters<typeof Socket>[0]);
  }
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
