// The payload plaintext layer: the writer grows without leaving copies unwiped, the reader is
// bounds-checked, and readValue refuses what does not parse (RESTORE's "Bad data format").

import { describe, expect, it } from 'vitest';
import { PAYLOAD_VERSION, PayloadError, PayloadReader, PayloadWriter, type RestoreTools, type ValueHome } from '../../../src/persistence/payload.js';
import { readValue, writeValue } from '../../../src/persistence/codecs.js';
import { Kind, listEntry, type ListEntry } from '../../../src/store/entry.js';
import { crc64 } from '../../../src/seal/transport.js';
import { Keyring } from '../../../src/seal/keyring.js';
import { Sealer } from '../../../src/seal/sealer.js';
import { SealedValues } from '../../../src/seal/values.js';
import { ListSealing } from '../../../src/seal/list-codec.js';

/** Hashes and lists seal through their own layers (lists through seal/list-codec.ts, with real keys here). */
const values = new SealedValues(new Sealer(await Keyring.create()));
const codec = new ListSealing(values, 1, 'k');
const home: ValueHome = {
  ctx: { server: { values, members: undefined as never }, db: { uid: 1 } },
  key: 'k',
  hashLimits: { entries: 512, value: 64 },
};

/** Tools that "seal" by copying: the codecs' layout is what is under test here. */
const tools: RestoreTools = {
  seal: (plain) => Buffer.from(plain),
  home,
  digest: (plain, out, at) => {
    out.fill(0, at, at + 16);
    Buffer.from(plain).copy(out as Buffer, at, 0, Math.min(16, plain.length));
  },
  now: 1,
  streamLimits: { maxEntries: 100, maxBytes: 4096 },
};

describe('PayloadWriter', () => {
  it('grows, keeps what was written, and wipes the buffer it outgrew', () => {
    const w = new PayloadWriter(8);
    w.u32(7);
    const first = (w as unknown as { buf: Buffer }).buf;
    w.bytes(Buffer.from('a longer value than eight bytes'));
    expect(first.every((b) => b === 0)).toBe(true);
    const r = new PayloadReader(Buffer.from(w.view()));
    expect(r.u32()).toBe(7);
    expect(r.bytes().toString()).toBe('a longer value than eight bytes');
    expect(r.done).toBe(true);
    const buf = (w as unknown as { buf: Buffer }).buf;
    w.wipe();
    expect(buf.every((b) => b === 0)).toBe(true);
  });
});

describe('PayloadReader', () => {
  it('refuses reads past the end and counts larger than what is left', () => {
    expect(() => new PayloadReader(Buffer.from([0, 0, 0, 9, 1])).bytes()).toThrow(PayloadError);
    expect(() => new PayloadReader(Buffer.from([0, 0, 0, 2])).count(4)).toThrow(PayloadError);
    expect(() => new PayloadReader(Buffer.alloc(3)).u32()).toThrow(PayloadError);
  });
});

describe('readValue', () => {
  function listPayload(): Buffer {
    const entry = listEntry(0);
    entry.pushTail(Buffer.from('one'), codec);
    entry.pushTail(Buffer.from('two'), codec);
    const w = new PayloadWriter();
    writeValue(entry, w, (sealed) => Buffer.from(sealed), home, PAYLOAD_VERSION);
    entry.clear();
    return Buffer.from(w.view());
  }

  it('round-trips a list through the layout', () => {
    const back = readValue(new PayloadReader(listPayload()), tools, PAYLOAD_VERSION) as ListEntry;
    expect(back.kind).toBe(Kind.List);
    const items: string[] = [];
    back.forEach((bytes, start, length) => void items.push(bytes.subarray(start, start + length).toString()), codec);
    expect(items).toEqual(['one', 'two']);
    back.clear();
  });

  it('refuses another version, an unknown type, a truncated value and trailing bytes', () => {
    const good = listPayload();
    const version = Buffer.from(good);
    version[0] = PAYLOAD_VERSION + 1;
    expect(() => readValue(new PayloadReader(version), tools, PAYLOAD_VERSION)).toThrow(PayloadError);
    const kind = Buffer.from(good);
    kind[1] = 200;
    expect(() => readValue(new PayloadReader(kind), tools, PAYLOAD_VERSION)).toThrow(PayloadError);
    expect(() => readValue(new PayloadReader(good.subarray(0, good.length - 1)), tools, PAYLOAD_VERSION)).toThrow(PayloadError);
    expect(() => readValue(new PayloadReader(Buffer.concat([good, Buffer.from([0])])), tools, PAYLOAD_VERSION)).toThrow(PayloadError);
  });
});

describe('crc64', () => {
  it("is Redis's CRC-64/Jones (check value of '123456789')", () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });
});
