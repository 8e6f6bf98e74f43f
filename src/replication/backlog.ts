// The replication backlog (redis replicationFeedSlaves / addReplyReplicationBacklog): the last
// repl-backlog-size bytes of the stream sent to replicas, so a replica that lost its link for a
// moment resumes from its offset (PSYNC -> +CONTINUE) instead of taking a full copy. A ring
// buffer: `offset` is the stream offset of the last byte written (master_repl_offset), and the
// bytes from `firstOffset` to `offset` are held. The stream carries only ciphertext and control
// words (records.ts), so nothing here needs wiping.

export class Backlog {
  private buf: Buffer;
  /** Where the next byte goes in buf. */
  private at = 0;
  /** How many bytes of buf hold stream data (up to buf.length). */
  private held = 0;
  /** Offset of the last byte written: Redis's master_repl_offset. */
  offset: number;

  constructor(size: number, offset = 0) {
    this.buf = Buffer.alloc(Math.max(16384, size));
    this.offset = offset;
  }

  get size(): number {
    return this.buf.length;
  }

  get histlen(): number {
    return this.held;
  }

  /** Offset of the first byte held (repl_backlog_first_byte_offset): offset - held + 1. */
  get firstOffset(): number {
    return this.offset - this.held + 1;
  }

  append(bytes: Buffer): void {
    this.offset += bytes.length;
    let src = bytes;
    if (src.length >= this.buf.length) {
      src = src.subarray(src.length - this.buf.length);
      src.copy(this.buf, 0);
      this.at = 0;
      this.held = this.buf.length;
      return;
    }
    const first = Math.min(src.length, this.buf.length - this.at);
    src.copy(this.buf, this.at, 0, first);
    if (first < src.length) src.copy(this.buf, 0, first);
    this.at = (this.at + src.length) % this.buf.length;
    this.held = Math.min(this.buf.length, this.held + src.length);
  }

  /** Whether the bytes after `from` (a replica's offset: it has everything up to it) are held. */
  covers(from: number): boolean {
    return from >= this.firstOffset - 1 && from <= this.offset;
  }

  /** The bytes after offset `from` (covers(from) must hold), as a new buffer. */
  since(from: number): Buffer {
    const n = this.offset - from;
    const out = Buffer.allocUnsafe(n);
    const start = (this.at - n + this.buf.length) % this.buf.length;
    const first = Math.min(n, this.buf.length - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** A new size (CONFIG SET repl-backlog-size): keeps the newest bytes that fit. */
  resize(size: number): void {
    size = Math.max(16384, size);
    if (size === this.buf.length) return;
    const keep = Math.min(this.held, size);
    const tail = this.since(this.offset - keep);
    this.buf = Buffer.alloc(size);
    tail.copy(this.buf, 0);
    this.at = keep % size;
    this.held = keep;
  }

  /** Forgets the held bytes and starts over at `offset` (a new history: full sync on a replica). */
  reset(offset: number): void {
    this.at = 0;
    this.held = 0;
    this.offset = offset;
  }
}
