// A stand-in ListCodec for the list's own tests (store/types/list.ts knows sealing only through
// this interface): "sealing" XORs the bytes with a key of what it is bound to (an element, or a
// node and its id) and adds a marker and a checksum, so an element read as a node, a node read
// under another id, or bytes read from the wrong place all fail to "open", as the AEAD would.

import type { ListCodec } from '../../src/store/types/list.js';

export const TEST_OVERHEAD = 4;

export class OpenError extends Error {}

function keyOf(id: number | undefined): number {
  if (id === undefined) return 0x5a;
  // Ids are multiples of large steps or midpoints: fold every bit in.
  let h = 0x9e;
  const text = String(id);
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) & 0xff;
  return h === 0x5a ? 0x5b : h;
}

function seal(plain: Uint8Array, out: Buffer, at: number, marker: number, key: number): void {
  let sum = key;
  for (let i = 0; i < plain.length; i++) {
    out[at + TEST_OVERHEAD + i] = plain[i]! ^ key;
    sum = (sum * 7 + plain[i]!) & 0xffff;
  }
  out[at] = marker;
  out[at + 1] = key;
  out.writeUInt16BE(sum, at + 2);
}

function open(src: Buffer, start: number, length: number, out: Buffer, at: number, marker: number, key: number): void {
  if (src[start] !== marker || src[start + 1] !== key) throw new OpenError('cannot open');
  let sum = key;
  for (let i = 0; i < length - TEST_OVERHEAD; i++) {
    const b = src[start + TEST_OVERHEAD + i]! ^ key;
    out[at + i] = b;
    sum = (sum * 7 + b) & 0xffff;
  }
  if (src.readUInt16BE(start + 2) !== sum) {
    out.fill(0, at, at + length - TEST_OVERHEAD);
    throw new OpenError('cannot open');
  }
}

export interface CountingCodec extends ListCodec {
  /** Calls made, by kind (tests of what an operation costs). */
  calls: { sealElement: number; openElement: number; sealNode: number; openNode: number };
}

export function testCodec(nodeBytes = 8192, nodeCount = 65535): CountingCodec {
  const calls = { sealElement: 0, openElement: 0, sealNode: 0, openNode: 0 };
  return {
    overhead: TEST_OVERHEAD,
    nodeBytes,
    nodeCount,
    calls,
    sealElement(plain, out, at) {
      calls.sealElement++;
      seal(plain, out, at, 0xe1, keyOf(undefined));
    },
    openElement(src, start, length, out, at) {
      calls.openElement++;
      open(src, start, length, out, at, 0xe1, keyOf(undefined));
    },
    sealNode(id, plain, out, at) {
      calls.sealNode++;
      seal(plain, out, at, 0xe2, keyOf(id));
    },
    openNode(id, src, start, length, out, at) {
      calls.openNode++;
      open(src, start, length, out, at, 0xe2, keyOf(id));
    },
    broken(what) {
      throw new OpenError(what);
    },
  };
}
