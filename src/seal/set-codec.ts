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

export class SetSealing implements SetCodec {
  readonly overhead = OVERHEAD;

  constructor(
    private readonly values: SealedValues,
    private readonly db: number,
    private readonly key: string,
  ) {}

  sealNode(serial: number, plain: Uint8Array, out: Buffer, at: number): void {
    this.values.sealElementAt(Purpose.SetNode, this.db, this.key, plain, out, at, setNodeBind(serial));
  }

  openNode(serial: number, src: Buffer, start: number, length: number, out: Buffer, at: number): void {
    this.values.openElementAt(Purpose.SetNode, this.db, this.key, src, start, length, out, at, setNodeBind(serial));
  }
}
