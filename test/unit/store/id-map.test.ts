// IdMap (a stream group's PEL): ids in order through deletes at the front (moved past, not
// spliced), inserts before the first id, and the dead front dropped, against a plain model.

import { describe, expect, it } from 'vitest';
import { IdMap } from '../../../src/store/types/stream-groups.js';

function contents(m: IdMap<string>): [bigint, string][] {
  const out: [bigint, string][] = [];
  for (let i = 0; i < m.size; i++) out.push([m.keyAt(i), m.valueAt(i)]);
  return out;
}

describe('IdMap', () => {
  it('keeps id order through front deletes, inserts at the front and in the middle', () => {
    const m = new IdMap<string>();
    const model = new Map<bigint, string>();
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 1n; i <= 200n; i++) {
      m.set(i * 10n, `v${i}`);
      model.set(i * 10n, `v${i}`);
    }
    for (let step = 0; step < 3000; step++) {
      const op = rand(4);
      if (op === 0 && m.size > 0) {
        const first = m.first()!;
        expect(m.delete(first)).toBe(true);
        model.delete(first);
      } else if (op === 1) {
        const id = BigInt(rand(2500));
        expect(m.delete(id)).toBe(model.delete(id));
      } else {
        const id = BigInt(rand(2500));
        m.set(id, `s${step}`);
        model.set(id, `s${step}`);
      }
      if (step % 97 === 0) {
        const sorted = [...model.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
        expect(contents(m)).toEqual(sorted);
        expect(m.first()).toBe(sorted[0]?.[0]);
        expect(m.last()).toBe(sorted.at(-1)?.[0]);
        expect([...m.values()]).toEqual(sorted.map((e) => e[1]));
        expect([...m.range(500n, 1500n)]).toEqual(sorted.filter((e) => e[0] >= 500n && e[0] <= 1500n).map((e) => e[1]));
        for (const [id, v] of sorted.slice(0, 5)) expect(m.get(id)).toBe(v);
        expect(m.lowerBound(1000n)).toBe(sorted.filter((e) => e[0] < 1000n).length);
      }
    }
    while (m.size > 0) m.delete(m.first()!);
    expect(m.first()).toBeUndefined();
    expect(m.last()).toBeUndefined();
    m.set(5n, 'again');
    expect(contents(m)).toEqual([[5n, 'again']]);
  });
});
