// With seal-keys no key name is held as a JS string anywhere in the server's heap: a V8 heap
// snapshot (live objects only) of the process running the server contains none of the names a
// client stored, listed and watched. The names are built as bytes and sent as Buffers, so the
// test itself never makes them strings either. Without seal-keys, names live in the record
// arena (outside the V8 heap) too, but the expiry set holds the names of keys with a TTL as
// strings, and the packer's candidate sets those of small collections written lately: the same
// test finds at least the ten with a TTL (the positive control).

import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { withServer } from '../helpers/fixture.js';

/** A printable name made only of bytes: `hm-` then 20 random lower-case letters. */
function nameBytes(): Buffer {
  const name = Buffer.alloc(23);
  name.write('hm-', 0, 'latin1');
  const noise = randomBytes(20);
  for (let i = 0; i < 20; i++) name[3 + i] = 0x61 + (noise[i]! % 26);
  return name;
}

/** How many of the names appear in a fresh heap snapshot of this process. */
function namesInHeap(names: Buffer[]): number {
  const file = writeHeapSnapshot(join(tmpdir(), `sealkv-heap-${process.pid}-${Date.now()}.heapsnapshot`));
  try {
    const snapshot = readFileSync(file);
    return names.filter((n) => snapshot.includes(n)).length;
  } finally {
    rmSync(file, { force: true });
  }
}

describe.each([
  ['yes', 0],
  ['no', 10],
])('seal-keys %s', (mode, expected) => {
  const { client } = withServer({ 'seal-keys': mode });

  it(`leaves ${mode === 'yes' ? 'none' : `at least ${expected}`} of 40 key names as JS strings in the heap`, async () => {
    const names = Array.from({ length: 40 }, nameBytes);
    for (const [i, name] of names.entries()) {
      if (i % 4 === 0) await client.set(name, Buffer.from('v'), 'EX', 1000);
      else if (i % 2 === 0) await client.set(name, Buffer.from('v'));
      else await client.hset(name, Buffer.from('f'), Buffer.from('v'));
    }
    await client.callBuffer('keys', Buffer.from('hm-*'));
    await client.callBuffer('scan', Buffer.from('0'), Buffer.from('match'), Buffer.from('hm-*'), Buffer.from('count'), Buffer.from('100'));
    await client.callBuffer('randomkey');
    await client.callBuffer('exists', ...names);
    await client.callBuffer('watch', names[0]!);
    await client.callBuffer('unwatch');
    const found = namesInHeap(names);
    if (mode === 'yes') expect(found).toBe(0);
    else {
      expect(found).toBeGreaterThanOrEqual(expected);
      // Every name with a TTL is among them (the expiry set): the snapshot does see live strings.
      expect(namesInHeap(names.filter((_, i) => i % 4 === 0))).toBe(10);
    }
  });
});
