import { describe, expect, it } from 'vitest';
import { ReplyWriter, formatDouble } from '../../../src/protocol/reply.js';

function writer(protocol: 2 | 3 = 2) {
  const errors: string[] = [];
  const w = new ReplyWriter({ countError: (m) => errors.push(m) }, 8);
  w.protocol = protocol;
  return { w, errors, text: () => w.take().toString('latin1') };
}

describe('ReplyWriter', () => {
  it('encodes the RESP2 basics', () => {
    const { w, text } = writer();
    w.ok();
    w.simple('PONG');
    w.integer(0);
    w.integer(1);
    w.integer(-42);
    w.integer(2n ** 63n - 1n);
    w.bulk(Buffer.from('hi'));
    w.bulk(null);
    w.nullArray();
    w.arrayLen(0);
    w.arrayLen(2);
    expect(text()).toBe('+OK\r\n+PONG\r\n:0\r\n:1\r\n:-42\r\n:9223372036854775807\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n');
  });

  it('wipes what the kernel took and hands the next reply a clean buffer, with no muted bytes sent', () => {
    const w = new ReplyWriter({ countError: () => {} });
    w.bulk(Buffer.from('secret'));
    const first = w.staged();
    expect(first.toString('latin1')).toBe('$6\r\nsecret\r\n');
    w.sent();
    expect(first.every((b) => b === 0)).toBe(true);
    expect(w.size).toBe(0);
    w.ok();
    w.mute();
    w.bulk(Buffer.from('dropped'));
    const second = w.staged();
    expect(second.toString('latin1')).toBe('+OK\r\n');
    w.handOff();
    // Handed off with a pending write: only the sent bytes travel, the muted ones are zeroed.
    const mutedBytes = '$7\r\ndropped\r\n'.length;
    expect(Buffer.from(second.buffer, second.byteOffset + 5, mutedBytes).every((b) => b === 0)).toBe(true);
    expect(w.size).toBe(0);
    w.unmute();
    w.integer(7);
    expect(w.take().toString('latin1')).toBe(':7\r\n');
  });

  it('past its cap it reports the overflow once and drops replies instead of growing', () => {
    const { w } = writer();
    let overflows = 0;
    w.cap = 1000;
    w.onOverflow = () => overflows++;
    const value = Buffer.alloc(300, 'v');
    for (let i = 0; i < 100; i++) w.bulk(value);
    expect(overflows).toBe(1);
    expect(w.overflowed).toBe(true);
    expect(w.staging.length).toBeLessThanOrEqual(1024);
    // A bulk opened in place still gets room to be written, and is dropped like the rest.
    const at = w.beginBulk(2000);
    w.staging.fill(1, at, at + 2000);
    w.endBulk(2000);
    expect(w.size).toBeLessThanOrEqual(w.staging.length);
  });

  it('frames multi-byte text by byte length, not character count', () => {
    const { w, text } = writer();
    w.bulkText('héllo✓');
    expect(text()).toBe(`$${Buffer.byteLength('héllo✓')}\r\n${Buffer.from('héllo✓').toString('latin1')}\r\n`);
  });

  it('frames binary bulk replies exactly, growing past its initial size', () => {
    const { w } = writer();
    const value = Buffer.from([0, 13, 10, 255]);
    w.bulk(value);
    w.bulk(Buffer.alloc(1000, 7));
    const out = w.take();
    expect(out.subarray(0, 10)).toEqual(Buffer.concat([Buffer.from('$4\r\n'), value, Buffer.from('\r\n')]));
    expect(out.length).toBe(10 + 7 + 1000 + 2);
  });

  it('writes bulk and array header lengths of every digit count', () => {
    const { w } = writer();
    const lengths = [9, 10, 99, 100, 1009, 65536];
    for (const n of lengths) w.bulk(Buffer.alloc(n, 0x61));
    w.arrayLen(10);
    w.arrayLen(1234567);
    const expected = lengths.map((n) => `$${n}\r\n${'a'.repeat(n)}\r\n`).join('') + '*10\r\n*1234567\r\n';
    expect(w.take().toString('latin1')).toBe(expected);
  });

  it('scrubs CR and LF from errors and counts them', () => {
    const { w, errors, text } = writer();
    w.error('ERR bad\r\nthing');
    expect(text()).toBe('-ERR bad  thing\r\n');
    expect(errors).toEqual(['ERR bad\r\nthing']);
  });

  it('uses RESP3 types for a HELLO 3 client and RESP2 fallbacks otherwise', () => {
    const r3 = writer(3);
    r3.w.nullBulk();
    r3.w.nullArray();
    r3.w.mapLen(2);
    r3.w.setLen(3);
    r3.w.double(1.5);
    r3.w.boolean(true);
    r3.w.verbatim('a:1');
    expect(r3.text()).toBe('_\r\n_\r\n%2\r\n~3\r\n,1.5\r\n#t\r\n=7\r\ntxt:a:1\r\n');

    const r2 = writer(2);
    r2.w.mapLen(2);
    r2.w.setLen(3);
    r2.w.double(1.5);
    r2.w.boolean(true);
    r2.w.verbatim('a:1');
    expect(r2.text()).toBe('*4\r\n*3\r\n$3\r\n1.5\r\n:1\r\n$3\r\na:1\r\n');
  });

  it('take() hands over its staging bytes without a copy, and recycle() zeroes them', () => {
    const { w } = writer();
    w.bulk(Buffer.from('secret-value'));
    const staging = (w as unknown as { buf: Buffer }).buf;
    const out = w.take();
    expect(out.buffer).toBe(staging.buffer);
    expect(out.toString()).toContain('secret-value');
    expect(w.size).toBe(0);
    w.bulk(Buffer.from('next'));
    expect(out.toString()).toContain('secret-value'); // later replies go to another buffer
    ReplyWriter.recycle(out);
    expect(staging.includes('secret-value')).toBe(false);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it('spells doubles the Redis way', () => {
    expect(formatDouble(Infinity)).toBe('inf');
    expect(formatDouble(-Infinity)).toBe('-inf');
    expect(formatDouble(NaN)).toBe('nan');
    expect(formatDouble(3)).toBe('3');
  });

  it('writes whole doubles byte by byte exactly as their text', () => {
    const samples = [0, -0, 7, -7, 10, -100, 123456789, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e17, 1.5, -2.25];
    for (const protocol of [2, 3] as const) {
      const { w, text } = writer(protocol);
      for (const d of samples) w.double(d);
      const expected = samples.map((d) => {
        const t = formatDouble(d);
        return protocol === 3 ? `,${t}\r\n` : `$${t.length}\r\n${t}\r\n`;
      });
      expect(text()).toBe(expected.join(''));
    }
  });
});
