// Sealing for one set (store/types/set.ts): its nodes, several members each, under
// Purpose.SetNode bound to database, key and the node's serial, so a node cannot open under
// another key, database or serial (a serial is the node's for life: it never names a position
// that changes without the node being sealed again).

import type { SetCodec } from '../store/types/set.js';
import { OVERHEAD } from './sealer.js';
import { Purpose, type SealedValues } from './values.js';

/** What a set node is bound to beside its key: its serial (the same text the ops record names). */
export function setNodeBind(serial: number): string {
  return String(serial);
}

/** setNodeBind's bytes without making the string: a view, valid until the next call, of one scratch area. */
const digits = new Uint8Array(10);
const digitViews = Array.from({ length: 11 }, (_, n) => digits.subarray(0, n));

function setNodeBindBytes(serial: number): Uint8Array {
  let n = serial >>> 0;
  let len = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) len++;
  for (let i = len - 1; i >= 0; i--) {
    digits[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return digitViews[len]!;
}

export class SetSealing implements SetCodec {
  readonly overhead = OVERHEAD;

  constructor(
    private readonly values: SealedValues,
    private readonly db: number,
    private readonly key: string,
  ) {}

  sealNode(serial: number, plain: Uint8Array, out: Buffer, at: number): void {
    this.values.sealElementAt(Purpose.SetNode, this.db, this.key, plain, out, at, setNodeBindBytes(serial));
  }

  openNode(serial: number, src: Buffer, start: number, length: number, out: Buffer, at: number): void {
    this.values.openElementAt(Purpose.SetNode, this.db, this.key, src, start, length, out, at, setNodeBindBytes(serial));
  }
}
