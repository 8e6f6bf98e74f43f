import { describe, expect, it } from 'vitest';
import { Backlog } from '../../../src/replication/backlog.js';
import { LinkReader } from '../../../src/replication/resp-reader.js';
import { command } from '../../../src/replication/records.js';

describe('Backlog', () => {
  it('keeps the last bytes and answers what follows an offset', () => {
    const b = new Backlog(16384);
    expect(b.offset).toBe(0);
    expect(b.covers(0)).toBe(true);
    b.append(Buffer.from('hello'));
    b.append(Buffer.from(' world'));
    expect(b.offset).toBe(11);
    expect(b.firstOffset).toBe(1);
    expect(b.since(5).toString()).toBe(' world');
    expect(b.since(0).toString()).toBe('hello world');
    expect(b.since(11).length).toBe(0);
    expect(b.covers(12)).toBe(false);
  });

  it('wraps around and forgets what no longer fits', () => {
    const b = new Backlog(16384);
    const chunk = Buffer.alloc(10000, 0x61);
    b.append(chunk);
    b.append(Buffer.alloc(10000, 0x62));
    expect(b.offset).toBe(20000);
    expect(b.histlen).toBe(16384);
    expect(b.firstOffset).toBe(20000 - 16384 + 1);
    expect(b.covers(1000)).toBe(false);
    expect(b.covers(20000 - 16384)).toBe(true);
    const tail = b.since(20000 - 16384);
    expect(tail.length).toBe(16384);
    expect(tail.subarray(0, 6384).every((c) => c === 0x61)).toBe(true);
    expect(tail.subarray(6384).every((c) => c === 0x62)).toBe(true);
    // A chunk larger than the whole backlog keeps only its tail.
    const big = Buffer.alloc(40000);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    b.append(big);
    expect(b.since(b.offset - 16384).equals(big.subarray(40000 - 16384))).toBe(true);
  });

  it('resizes keeping the newest bytes, and resets to a new history', () => {
    const b = new Backlog(32768);
    b.append(Buffer.alloc(30000, 1));
    b.append(Buffer.from('end'));
    b.resize(16384);
    expect(b.histlen).toBe(16384);
    expect(b.since(b.offset - 3).toString()).toBe('end');
    b.reset(500);
    expect(b.offset).toBe(500);
    expect(b.histlen).toBe(0);
    expect(b.covers(500)).toBe(true);
  });
});

describe('LinkReader', () => {
  it('reads handshake lines and then records split anywhere', () => {
    const bytes = Buffer.concat([Buffer.from('+FULLRESYNC abc 10\r\n\n'), command('SKV.SNAP', Buffer.from([0, 13, 10, 255])), command('PING')]);
    for (let split = 1; split < bytes.length; split++) {
      const r = new LinkReader();
      const items: unknown[] = [];
      for (const part of [bytes.subarray(0, split), bytes.subarray(split)]) {
        r.push(part);
        for (let it = r.next(); it !== null; it = r.next()) items.push(it.type === 'line' ? it.text : it.args.map((a) => [...a]));
      }
      expect(items).toEqual(['FULLRESYNC abc 10'.replace(/^/, '+'), '', [[...Buffer.from('SKV.SNAP')], [0, 13, 10, 255]], [[...Buffer.from('PING')]]]);
    }
  });

  it('counts the bytes of each record (the replication offset)', () => {
    const r = new LinkReader();
    const rec = command('PING');
    r.push(Buffer.concat([rec, rec]));
    const a = r.next();
    expect(a?.bytes).toBe(rec.length);
    expect(r.consumed(rec.length).equals(rec)).toBe(true);
  });

  it('gathers a large record arriving in many small reads', () => {
    const big = Buffer.alloc(300 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const bytes = Buffer.concat([command('SKV.SNAP', big), command('PING')]);
    const r = new LinkReader();
    const got: Buffer[][] = [];
    for (let at = 0; at < bytes.length; at += 1000) {
      r.push(bytes.subarray(at, at + 1000));
      for (let it = r.next(); it !== null; it = r.next()) if (it.type === 'command') got.push(it.args.map((a) => Buffer.from(a)));
    }
    expect(got).toHaveLength(2);
    expect(got[0]![1]!.equals(big)).toBe(true);
    expect(got[1]![0]!.toString()).toBe('PING');
  });

  it('refuses a malformed stream', () => {
    const r = new LinkReader();
    r.push(Buffer.from('*1\r\n:5\r\n'));
    expect(() => r.next()).toThrow();
  });
});
