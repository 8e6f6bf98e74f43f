// Topology's slot count (asked by every keyed command for cluster-require-full-coverage) must
// follow ADDSLOTS / DELSLOTS / SETSLOT NODE exactly, counted as it changes rather than walked.

import { describe, expect, it } from 'vitest';
import { SLOTS, Topology } from '../../../src/cluster/topology.js';
import { parseLayout } from '../../../src/cluster/layout-file.js';

const node = (i: number) => ({ id: String(i).repeat(40).slice(0, 40), host: '127.0.0.1', port: 7000 + i, busPort: 17000 + i });

describe('Topology.assignedSlots', () => {
  it('counts slots with an owner as they are assigned, moved and freed', () => {
    const t = new Topology([node(1), node(2)], 0);
    expect(t.assignedSlots()).toBe(0);
    for (let s = 0; s < 100; s++) t.assign(s, 0);
    expect(t.assignedSlots()).toBe(100);
    t.assign(5, 1); // moving an owned slot to another node keeps the count
    t.assign(5, 1);
    expect(t.assignedSlots()).toBe(100);
    t.unassign(7);
    t.unassign(7); // freeing a free slot changes nothing
    t.unassign(500);
    expect(t.assignedSlots()).toBe(99);
    let walked = 0;
    for (let s = 0; s < SLOTS; s++) if (t.ownerIndex(s) >= 0) walked++;
    expect(walked).toBe(99);
  });

  it('counts the slots of a layout file, full or not', () => {
    const full = parseLayout(`${'a'.repeat(40)} 127.0.0.1:7000 0-8191\n${'b'.repeat(40)} 127.0.0.1:7001 8192-16383\n`, { id: '', hosts: [], port: 7000 });
    expect(full.assignedSlots()).toBe(SLOTS);
    const partial = parseLayout(`${'a'.repeat(40)} 127.0.0.1:7000 0-99 200\n`, { id: '', hosts: [], port: 7000 });
    expect(partial.assignedSlots()).toBe(101);
  });
});
