// The Node ceiling for the hot path (issue #20): a RESP server that does nothing but parse every
// request in full and send a fixed reply, one socket write per read as a real server batches.
// Whatever sealkv costs beyond this server is sealkv's own work (lookup, sealing, bookkeeping),
// not Node's event loop or sockets. Not a Redis: SET answers +OK and GET answers a fixed value as
// long as the last SET's (so a redis-benchmark `-t set,get -d N` run reads N-byte values).
//
//   node dist/bench/ceiling-server.js <port> [initial GET value size]

import { createServer, type Socket } from 'node:net';

const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');

/** Byte offset just past the CRLF that ends the line at `from`, or -1 if the line is not complete. */
function lineEnd(buf: Buffer, from: number): number {
  const cr = buf.indexOf(13, from);
  return cr < 0 || cr + 1 >= buf.length ? -1 : cr + 2;
}

/** The integer written between `from + 1` (after the type byte) and the CR before `end`. */
function lineInt(buf: Buffer, from: number, end: number): number {
  let n = 0;
  for (let i = from + 1; i < end - 2; i++) n = n * 10 + buf[i]! - 48;
  return n;
}

let getReply = valueReply(Number(process.argv[3] ?? 32));

function valueReply(size: number): Buffer {
  return Buffer.concat([Buffer.from(`$${size}\r\n`), Buffer.alloc(size, 0x78), Buffer.from('\r\n')]);
}

function serve(socket: Socket): void {
  let pending: Buffer | null = null;
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
    const replies: Buffer[] = [];
    let at = 0;
    for (;;) {
      const start = at;
      if (at >= buf.length || buf[at] !== 42 /* '*' */) break;
      let end = lineEnd(buf, at);
      if (end < 0) break;
      const argc = lineInt(buf, at, end);
      at = end;
      let name = -1;
      let nameLen = 0;
      let complete = true;
      const args: [number, number][] = [];
      for (let i = 0; i < argc; i++) {
        end = lineEnd(buf, at);
        if (end < 0) {
          complete = false;
          break;
        }
        const len = lineInt(buf, at, end);
        if (end + len + 2 > buf.length) {
          complete = false;
          break;
        }
        if (i === 0) {
          name = end;
          nameLen = len;
        } else if (i < 3) args.push([end, len]);
        at = end + len + 2;
      }
      if (!complete) {
        at = start;
        break;
      }
      const first = nameLen > 0 ? buf[name]! | 0x20 : 0;
      if (first === 0x67 /* get */) replies.push(getReply);
      else if (first === 0x70 /* ping */) replies.push(PONG);
      else if (first === 0x63 /* config */ && args.length === 2) {
        // redis-benchmark asks CONFIG GET save / appendonly at start: name and an empty value.
        const [from, len] = args[1]!;
        replies.push(Buffer.concat([Buffer.from(`*2\r\n$${len}\r\n`), buf.subarray(from, from + len), Buffer.from('\r\n$0\r\n\r\n')]));
      } else {
        if (first === 0x73 /* set */ && args.length === 2 && args[1]![1] + 5 + String(args[1]![1]).length !== getReply.length) {
          getReply = valueReply(args[1]![1]);
        }
        replies.push(OK);
      }
    }
    pending = at < buf.length ? Buffer.from(buf.subarray(at)) : null;
    if (replies.length === 1) socket.write(replies[0]!);
    else if (replies.length > 1) {
      // One writev of the shared reply buffers: no copy of large values.
      socket.cork();
      for (const r of replies) socket.write(r);
      socket.uncork();
    }
  });
  socket.on('error', () => socket.destroy());
}

const port = Number(process.argv[2] ?? 0);
const server = createServer(serve);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
