// LongArgs as commands/values/bulk.ts uses it: a copy that owns its bytes (adopt), finding which
// argument a view is (indexOf), hashing and comparing arguments in place, wiping.

import { describe, expect, it } from 'vitest';
import { LongArgs } from '../../../src/protocol/long-args.js';

function vector(args: string[]): LongArgs {
  const v = new LongArgs();
  for (const a of args) {
    const b = Buffer.from(a, 'latin1');
    v.add(b, 0, b.length);
  }
  return v;
}

const texts = (v: { length: number; at(i: number): Buffer | undefined }) => Array.from({ length: v.length }, (_, i) => v.at(i)!.toString('latin1'));

describe('LongArgs for prepared commands', () => {
  const args = ['SADD', 'k', 'a', '', 'bb', 'a', '', 'ccc', 'x'.repeat(100)];

  it('adopts a vector: same arguments, its own bytes', () => {
    const source = vector(args);
    const copy = LongArgs.adopt(source);
    expect(texts(copy)).toEqual(args);
    source.wipe();
    expect(texts(copy)).toEqual(args);
  });

  it('adopts an array of views of one buffer, and of several, copying the bytes', () => {
    const joined = Buffer.from(args.slice(1).join(''), 'latin1');
    const views: Buffer[] = [Buffer.from('SADD')];
    let at = 0;
    for (const a of args.slice(1)) views.push(joined.subarray(at, (at += a.length)));
    const copy = LongArgs.adopt(views);
    joined.fill(0);
    expect(texts(copy)).toEqual(args);
    const scattered = LongArgs.adopt(args.map((a) => Buffer.from(a, 'latin1')));
    expect(texts(scattered)).toEqual(args);
  });

  it('finds the argument a view is of, with or without a hint; -1 for anything else', () => {
    const v = LongArgs.adopt(vector(args));
    for (let i = 0; i < args.length; i++) {
      const found = v.indexOf(v.at(i)!, -1);
      // Empty arguments share an offset with their neighbour: any argument with the same bytes will do.
      expect(v.at(found)!.toString('latin1')).toBe(args[i]);
      expect(v.indexOf(v.at(i)!, i)).toBe(i);
    }
    expect(v.indexOf(Buffer.from('a'), 2)).toBe(-1);
    const materialized = (v.materialize(Infinity), v.args);
    expect(v.indexOf(materialized[7]!, 0)).toBe(7);
  });

  it('hashes and compares arguments in place', () => {
    const v = vector(args);
    expect(v.sameBytes(2, 5)).toBe(true);
    expect(v.sameBytes(3, 6)).toBe(true);
    expect(v.sameBytes(2, 4)).toBe(false);
    expect(v.sameBytes(8, 8)).toBe(true);
    expect(v.hashOf(2, 7)).toBe(v.hashOf(5, 7));
    expect(v.hashOf(2, 7)).not.toBe(v.hashOf(2, 8));
    expect(v.hashOf(2, 7)).not.toBe(v.hashOf(4, 7));
  });

  it('wipe zeroes the bytes it held', () => {
    const v = vector(['secret', 'values']);
    const view = v.at(0)!;
    v.wipe();
    expect([...view].every((b) => b === 0)).toBe(true);
    expect(v.length).toBe(0);
  });
});
