// A large hash's field table: blobs kept in arena blocks (a string past the largest size class),
// found by digest, given back when replaced, removed or cleared, and kept through compaction.

import { describe, expect, it } from 'vitest';
import { DIGEST_BYTES, FieldTable } from '../../../../src/store/types/field-table.js';
import { RecordArena } from '../../../../src/store/record-arena.js';
import { hashEntry } from '../../../../src/store/entry.js';
import { hashOps } from '../../../../src/store/types/hash-ops.js';
import { prng } from '../../../helpers/prng.js';

const digestOf = (n: number) => {
  const d = Buffer.alloc(DIGEST_BYTES);
  for (let i = 0; i < 4; i++) d.writeUInt32LE(Math.imul(n + 1, 0x9e3779b1 + i * 0x85ebca6b) >>> 0, i * 4);
  return d;
};
/** A stand-in blob for field n, `size` bytes long, its bytes telling n. */
const blobOf = (n: number, size: number) => Buffer.alloc(size, `<${n}>`);

/** What the table holds, read where it lies (locate) as a command opens it. */
function located(table: FieldTable, id: number): Buffer {
  const bytes = table.locate(id);
  return Buffer.from(bytes.subarray(table.locatedAt, table.locatedAt + table.lengthOf(id)));
}

describe('FieldTable', () => {
  it('keeps blobs in arena blocks, past 64 KiB as strings, through sets, deletes and compaction', () => {
    const arena = new RecordArena();
    const table = new FieldTable(arena);
    const model = new Map<number, Buffer>();
    const rand = prng(7);
    const size = () => (rand() < 0.02 ? 64 * 1024 + 1 + Math.floor(rand() * 5000) : 40 + Math.floor(rand() * 60));
    for (let step = 0; step < 6000; step++) {
      const n = Math.floor(rand() * 800);
      const id = table.find(digestOf(n));
      expect(id >= 0).toBe(model.has(n));
      if (rand() < 0.35 && id >= 0) {
        table.deleteAt(id);
        model.delete(n);
      } else {
        const blob = blobOf(n, size());
        if (id >= 0) table.setAt(id, blob, 0, blob.length);
        else table.add(digestOf(n), 0, blob, 0, blob.length);
        model.set(n, blob);
      }
      if (step % 500 === 0) arena.release();
    }
    expect(table.size).toBe(model.size);
    let bytes = 0;
    for (const [n, blob] of model) {
      const id = table.find(digestOf(n));
      expect(located(table, id).equals(blob)).toBe(true);
      expect(table.sealedCopy(id).equals(blob)).toBe(true);
      bytes += blob.length;
    }
    expect(table.sealedBytes).toBe(bytes);
    expect(table.ids().length).toBe(model.size);
    arena.release();
    const inBlocks = [...model.values()].filter((b) => b.length <= 64 * 1024).reduce((sum, b) => sum + ((b.length + 7) & ~7), 0);
    expect(arena.liveBytes).toBe(inBlocks);
    table.clear();
    arena.release();
    expect(arena.liveBytes).toBe(0);
    expect(table.size).toBe(0);
    expect(table.find(digestOf(1))).toBe(-1);
  });

  it('copies the blob in: the source buffer may be reused at once', () => {
    const table = new FieldTable(new RecordArena());
    const scratch = Buffer.from('first-blob');
    const id = table.add(digestOf(1), 0, scratch, 0, 5);
    scratch.fill(0);
    expect(located(table, id).toString()).toBe('first');
  });

  it("a hash's release gives its fields' blocks back to the arena", () => {
    const arena = new RecordArena();
    const entry = hashEntry(0);
    const table = new FieldTable(arena);
    for (let n = 0; n < 100; n++) table.add(digestOf(n), 0, blobOf(n, 61), 0, 61);
    entry.fields.table = table;
    entry.fields.size = 100;
    expect(arena.liveBytes).toBe(100 * 64);
    hashOps.release!(entry);
    arena.release();
    expect(arena.liveBytes).toBe(0);
  });
});
