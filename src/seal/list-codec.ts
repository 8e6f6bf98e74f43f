// Sealing for one list (store/types/list.ts): its elements, when an end node keeps them one by
// one, under Purpose.ListElement bound to database and key; its nodes under Purpose.ListNode
// bound to database, key and the node's id, so a node cannot open under another key, database
// or id (and ids are checked to rise from head to tail, so nodes keep their order).
// Node sizes follow Redis's list-max-listpack-size (old name list-max-ziplist-size).

import type { ListCodec } from '../store/types/list.js';
import { OVERHEAD } from './sealer.js';
import { Purpose, SealError, type SealedValues } from './values.js';

/** What a sealed node is bound to beside its key: its id (the same text the ops record names). */
export function nodeBind(id: number): string {
  return String(id);
}

/**
 * Redis's list-max-listpack-size: -1..-5 are 4, 8, 16, 32, 64 KiB of node bytes (below -5 as
 * -5); a positive n is n elements per node, with Redis's 8 KiB safety limit on bytes.
 */
export function nodeLimits(fill: number): { bytes: number; count: number } {
  if (fill < 0) return { bytes: 4096 << Math.min(-fill - 1, 4), count: 65535 };
  return { bytes: 8192, count: Math.max(1, fill) };
}

export class ListSealing implements ListCodec {
  readonly overhead = OVERHEAD;
  readonly nodeBytes: number;
  readonly nodeCount: number;

  constructor(
    private readonly values: SealedValues,
    private readonly db: number,
    private readonly key: string,
    fill = -2,
    /** ListCodec.rested: the list's owner recounts its memory. */
    readonly rested?: () => void,
  ) {
    const limits = nodeLimits(fill);
    this.nodeBytes = limits.bytes;
    this.nodeCount = limits.count;
  }

  sealElement(plain: Uint8Array, out: Buffer, at: number): void {
    this.values.sealElementAt(Purpose.ListElement, this.db, this.key, plain, out, at);
  }

  openElement(src: Buffer, start: number, length: number, out: Buffer, at: number): void {
    this.values.openElementAt(Purpose.ListElement, this.db, this.key, src, start, length, out, at);
  }

  sealNode(id: number, plain: Uint8Array, out: Buffer, at: number): void {
    this.values.sealElementAt(Purpose.ListNode, this.db, this.key, plain, out, at, nodeBind(id));
  }

  openNode(id: number, src: Buffer, start: number, length: number, out: Buffer, at: number): void {
    this.values.openElementAt(Purpose.ListNode, this.db, this.key, src, start, length, out, at, nodeBind(id));
  }

  broken(what: string): never {
    throw new SealError(what);
  }
}
