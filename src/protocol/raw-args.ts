// A short command's arguments as offsets into the read they arrived in, with no object per
// argument: for the few hot commands whose handler reads bytes where they lie (XADD). Their
// seven Buffer views (and the array holding them) were over half of the bytes an XADD
// allocated, and the collector's time with them. The parser hands out one RawArgs per parser,
// refilled for each such command: like the views it replaces, it is valid only while its
// command runs (the read is wiped after it), and anything that keeps arguments copies them
// (argArray() makes views, ownArgs() copies those), as for any other command.
//
// Only a command whose name rawCommand() accepts comes this way, and only when it is complete
// in one read and plainly well formed; anything else takes the parser's general path.

import type { ArgVector } from './arg-list.js';

/** A Buffer view made the way Node makes its own (see parser.ts ArgView). */
class ArgView extends Uint8Array {}
Object.setPrototypeOf(ArgView.prototype, Buffer.prototype);
Object.defineProperty(ArgView.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });

/** The most arguments a command may have to come as RawArgs (MSET of 15 pairs, MGET of 31 keys). */
export const RAW_MAX_ARGS = 32;

const EMPTY = Buffer.alloc(0);

export class RawArgs implements ArgVector {
  length = 0;
  /** The bytes the arguments lie in: argument i is bytes[starts[i], starts[i] + lengths[i]). */
  bytes: Buffer = EMPTY;
  readonly starts = new Int32Array(RAW_MAX_ARGS);
  readonly lengths = new Int32Array(RAW_MAX_ARGS);
  /** What the parser's rawCommand() answered for the name (the registry's command), or null. */
  command: unknown = null;

  /** Argument i as a Buffer view (made on each call: keep the rare paths that need one). */
  at(index: number): Buffer | undefined {
    const i = index < 0 ? index + this.length : index;
    if (i < 0 || i >= this.length) return undefined;
    const b = this.bytes;
    return new ArgView(b.buffer as ArrayBuffer, b.byteOffset + this.starts[i]!, this.lengths[i]!) as Buffer;
  }

  toArray(): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i)!);
    return out;
  }

  /** Whether argument i is exactly the byte c. */
  isByte(i: number, c: number): boolean {
    return this.lengths[i] === 1 && this.bytes[this.starts[i]!] === c;
  }

  /** Drops the reference to the read (the command has run). */
  clear(): void {
    this.length = 0;
    this.bytes = EMPTY;
    this.command = null;
  }
}
