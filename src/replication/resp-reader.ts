// The replica's reader of its master link: status/error/integer lines during the handshake,
// then the stream of multibulk records (records.ts). Incremental: bytes are appended as they
// arrive and each call takes one complete item, or null when more bytes are needed. The link
// carries ciphertext and control words only, so the buffer needs no wiping.

export type LinkItem =
  | { type: 'line'; text: string; bytes: number }
  | { type: 'command'; args: Buffer[]; bytes: number };

const MAX_ITEM = 512 * 1024 * 1024;

export class LinkReader {
  private buf = Buffer.alloc(0);
  private at = 0;
  /** Bytes the item being read needs in all (known once its bulk header is in); 0: unknown. */
  private need = 0;
  /** Chunks held back until `need` bytes are there, so a large item is copied once, not per read. */
  private parked: Buffer[] = [];
  private parkedBytes = 0;

  push(chunk: Buffer): void {
    if (this.need > 0) {
      this.parked.push(Buffer.from(chunk));
      this.parkedBytes += chunk.length;
      if (this.buf.length - this.at + this.parkedBytes < this.need) return;
      const all = Buffer.concat([this.buf.subarray(this.at), ...this.parked]);
      this.parked = [];
      this.parkedBytes = 0;
      this.need = 0;
      this.buf = all;
      this.at = 0;
      return;
    }
    if (this.at > 0 && this.at === this.buf.length) {
      this.buf = Buffer.from(chunk);
      this.at = 0;
      return;
    }
    this.buf = Buffer.concat([this.buf.subarray(this.at), chunk]);
    this.at = 0;
  }

  get buffered(): number {
    return this.buf.length - this.at + this.parkedBytes;
  }

  /** A newline-terminated line starting at `from`, or null; returns [text, index after LF]. */
  private line(from: number): [string, number] | null {
    const lf = this.buf.indexOf(0x0a, from);
    if (lf < 0) return null;
    const end = lf > from && this.buf[lf - 1] === 0x0d ? lf - 1 : lf;
    return [this.buf.toString('latin1', from, end), lf + 1];
  }

  /** The next item; throws Error on a protocol violation. */
  next(): LinkItem | null {
    const start = this.at;
    if (start >= this.buf.length) return null;
    const first = this.buf[start]!;
    if (first === 0x0a) {
      // Redis masters send bare newlines while a full copy is being prepared; we accept them.
      this.at++;
      return { type: 'line', text: '', bytes: 1 };
    }
    if (first !== 0x2a /* * */) {
      const l = this.line(start);
      if (l === null) return null;
      this.at = l[1];
      return { type: 'line', text: l[0], bytes: l[1] - start };
    }
    const head = this.line(start);
    if (head === null) return null;
    const count = Number(head[0].slice(1));
    if (!Number.isInteger(count) || count < 0 || count > 1024 * 1024) throw new Error('bad multibulk length on the master link');
    let pos = head[1];
    const args: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos >= this.buf.length) return null;
      if (this.buf[pos] !== 0x24 /* $ */) throw new Error('expected a bulk string on the master link');
      const l = this.line(pos);
      if (l === null) return null;
      const len = Number(l[0].slice(1));
      if (!Number.isInteger(len) || len < 0 || len > MAX_ITEM) throw new Error('bad bulk length on the master link');
      if (l[1] + len + 2 > this.buf.length) {
        // A large bulk: wait for all of it before copying (see push).
        if (len > 64 * 1024) this.need = l[1] + len + 2 - start;
        return null;
      }
      args.push(this.buf.subarray(l[1], l[1] + len));
      pos = l[1] + len + 2;
    }
    this.at = pos;
    return { type: 'command', args, bytes: pos - start };
  }

  /** The raw bytes of the last `n` bytes consumed (to feed a replica's own backlog verbatim). */
  consumed(n: number): Buffer {
    return this.buf.subarray(this.at - n, this.at);
  }
}
