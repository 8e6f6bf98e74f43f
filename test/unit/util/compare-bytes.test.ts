// compareBytes (src/util/bytes.ts), the member order's comparison of opened members: the same
// sign as Buffer.compare on the given prefixes of each buffer, whatever lies past them.

import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { compareBytes } from '../../../src/util/bytes.js';

describe('compareBytes', () => {
  it('agrees with Buffer.compare on random prefixes, bytes past them ignored', () => {
    for (let k = 0; k < 5000; k++) {
      const a = randomBytes(1 + (k % 9));
      const b = Buffer.from(a);
      if (k % 3 === 0) b[k % b.length] = (b[k % b.length]! + 1 + (k % 200)) & 0xff;
      const aLength = k % 4 === 0 ? a.length : k % a.length;
      const bLength = k % 5 === 0 ? b.length : k % b.length;
      const padded = Buffer.concat([b, Buffer.from([0xff, 0x00])]);
      expect(compareBytes(a, aLength, padded, bLength)).toBe(Buffer.compare(a.subarray(0, aLength), b.subarray(0, bLength)));
    }
  });

  it('orders a prefix first and bytes as unsigned', () => {
    expect(compareBytes(Buffer.from('m5'), 2, Buffer.from('m50'), 3)).toBe(-1);
    expect(compareBytes(Buffer.from('m50'), 3, Buffer.from('m5'), 2)).toBe(1);
    expect(compareBytes(Buffer.from([0x80]), 1, Buffer.from([0x7f]), 1)).toBe(1);
    expect(compareBytes(Buffer.alloc(0), 0, Buffer.alloc(0), 0)).toBe(0);
  });
});
