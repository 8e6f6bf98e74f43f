import { describe, expect, it } from 'vitest';
import { Errors } from '../../../src/protocol/errors.js';
import { ProtocolError, RequestParser, splitInlineArgs } from '../../../src/protocol/parser.js';

const LIMITS = { maxBulkLen: 512 * 1024 * 1024 };

/** Feeds the chunks in order and returns every command (as strings) the parser produced. */
function parseAll(chunks: (string | Buffer)[], parser = new RequestParser(LIMITS)): string[][] {
  const out: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1'));
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd.map((a) => a.toString('latin1')));
  }
  return out;
}

function parseError(input: string | Buffer, parser = new RequestParser(LIMITS)): string {
  try {
    parseAll([input], parser);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as Error).message;
  }
  throw new Error('expected a protocol error');
}

const PIPELINE =
  '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$11\r\nhello world\r\n' +
  '*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n' +
  'PING\r\n' +
  '*1\r\n$4\r\nPING\r\n' +
  'set "a b" \'c d\'\n' +
  '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n';
const EXPECTED = [
  ['SET', 'key', 'hello world'],
  ['GET', 'key'],
  ['PING'],
  ['PING'],
  ['set', 'a b', 'c d'],
  ['ECHO', ''],
];

describe('RequestParser', () => {
  it('parses a pipeline of multibulk and inline commands in one read', () => {
    expect(parseAll([PIPELINE])).toEqual(EXPECTED);
  });

  it('gives the same commands when bytes arrive one at a time', () => {
    expect(parseAll([...PIPELINE].map((c) => c))).toEqual(EXPECTED);
  });

  it('gives the same commands when the input is split at every boundary', () => {
    for (let cut = 1; cut < PIPELINE.length; cut++) {
      expect(parseAll([PIPELINE.slice(0, cut), PIPELINE.slice(cut)]), `split at ${cut}`).toEqual(EXPECTED);
    }
  });

  it('keeps binary arguments byte for byte, CRLF and NUL included', () => {
    const value = Buffer.from([0, 13, 10, 255, 36, 42, 13, 10]);
    const frame = Buffer.concat([Buffer.from('*2\r\n$3\r\nSET\r\n$8\r\n'), value, Buffer.from('\r\n')]);
    const parser = new RequestParser(LIMITS);
    parser.feed(frame);
    const cmd = parser.next()!;
    expect(Buffer.compare(cmd[1]!, value)).toBe(0);
  });

  it('assembles a large bulk that arrives in many reads', () => {
    const big = Buffer.alloc(300_000, 'x');
    const frame = Buffer.concat([Buffer.from(`*2\r\n$4\r\nECHO\r\n$${big.length}\r\n`), big, Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 7_001) chunks.push(frame.subarray(i, i + 7_001));
    const cmds = parseAll(chunks);
    expect(cmds).toHaveLength(2);
    expect(cmds[0]![1]!.length).toBe(big.length);
    expect(cmds[1]).toEqual(['PING']);
  });

  it('reports need-more (null) for half a command and holds it as pending bytes', () => {
    const parser = new RequestParser(LIMITS);
    parser.feed(Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nke'));
    expect(parser.next()).toBeNull();
    expect(parser.idle).toBe(false);
    parser.feed(Buffer.from('y\r\n'));
    expect(parser.next()!.map(String)).toEqual(['GET', 'key']);
    expect(parser.idle).toBe(true);
  });

  it('detach() copies a half-received command out of the read, and zeroes the copy once the command has run', () => {
    const parser = new RequestParser(LIMITS);
    const read = Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nsec');
    parser.feed(read);
    expect(parser.next()).toBeNull();
    parser.detach();
    read.fill(0); // the server reuses its read buffer
    parser.feed(Buffer.from('ret\r\n'));
    const cmd = parser.next()!;
    expect(cmd.map(String)).toEqual(['SET', 'k', 'secret']);
    expect(parser.next()).toBeNull(); // asking for the next command means this one has run
    expect(cmd.every((arg) => arg.every((b) => b === 0))).toBe(true);
  });

  it('wipe() zeroes a half-received command it holds', () => {
    const parser = new RequestParser(LIMITS);
    parser.feed(Buffer.from('*2\r\n$4\r\nECHO\r\n$10\r\nsecret'));
    expect(parser.next()).toBeNull();
    parser.detach();
    const held = (parser as unknown as { buf: Buffer }).buf;
    expect(held.toString()).toContain('secret');
    parser.wipe();
    expect(held.every((b) => b === 0)).toBe(true);
    expect(parser.idle).toBe(true);
  });

  it('inline arguments get memory of their own, zeroed once the command has run', () => {
    const parser = new RequestParser(LIMITS);
    const read = Buffer.from('SET k "sec\\x72et"\r\n');
    parser.feed(read);
    const cmd = parser.next()!;
    expect(cmd.map(String)).toEqual(['SET', 'k', 'secret']);
    expect(cmd[2]!.buffer).not.toBe(read.buffer);
    expect(parser.next()).toBeNull();
    expect(cmd[2]!.every((b) => b === 0)).toBe(true);
  });

  it('copies each argument of a half-received command once, not again at every read', () => {
    for (const count of [500, 5000]) {
      const parser = new RequestParser(LIMITS);
      const frame = Buffer.concat([Buffer.from(`*${count}\r\n`), ...Array.from({ length: count }, (_, i) => Buffer.from(`$${String(i).length}\r\n${i}\r\n`))]);
      const internals = parser as unknown as { args: Buffer[] };
      let first: Buffer | undefined;
      for (let at = 0; at < frame.length; at += 1000) {
        const read = Buffer.from(frame.subarray(at, at + 1000));
        parser.feed(read);
        const cmd = parser.next();
        if (cmd !== null) {
          expect(cmd.length).toBe(count);
          expect(cmd.map(String)).toEqual(Array.from({ length: count }, (_, i) => String(i)));
          expect(first).toBeDefined();
          // The copy made after the first read is the one handed out.
          if (count < 1024) expect(cmd[0]).toBe(first);
          break;
        }
        parser.detach();
        read.fill(0);
        if (count >= 1024) {
          // A long command holds bytes and offsets while it arrives, no object per argument.
          expect(internals.args.length).toBe(0);
          first = Buffer.from('0');
        } else if (first === undefined) first = internals.args[0];
        else expect(internals.args[0]).toBe(first);
      }
    }
  });

  it('counts the arguments of a half-received command as pending, for the query buffer limit', () => {
    const parser = new RequestParser(LIMITS);
    parser.feed(Buffer.from('*3\r\n$3\r\nDEL\r\n$10\r\n0123456789\r\n'));
    expect(parser.next()).toBeNull();
    expect(parser.pending).toBe(13);
    parser.feed(Buffer.from('$2\r\nab\r\n'));
    expect(parser.next()!.length).toBe(3);
    expect(parser.pending).toBe(0);
  });

  it('gathers a large bulk in a buffer that grows as bytes arrive, wiped as far as written', () => {
    const parser = new RequestParser(LIMITS);
    const internals = parser as unknown as { big: Buffer | null };
    parser.feed(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n'));
    expect(parser.next()).toBeNull();
    parser.feed(Buffer.alloc(1000, 'v'));
    expect(internals.big!.length).toBeLessThanOrEqual(256 * 1024);
    expect(parser.pending).toBe(1000 + 4);
    const held = internals.big!;
    parser.wipe();
    expect(held.every((b) => b === 0)).toBe(true);
  });

  it('gathers a large bulk up to 16 MiB in pooled shared memory of its exact size, wiped once the command has run', () => {
    const parser = new RequestParser(LIMITS);
    const value = Buffer.alloc(300_000, 's');
    parser.feed(Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`), value.subarray(0, 1000)]));
    expect(parser.next()).toBeNull();
    const big = (parser as unknown as { big: Buffer }).big;
    expect(big.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(big.length).toBe(value.length + 2);
    parser.feed(Buffer.concat([value.subarray(1000), Buffer.from('\r\n')]));
    const cmd = parser.next()!;
    expect(cmd[2]!.equals(value)).toBe(true);
    expect(cmd[2]!.buffer).toBe(big.buffer);
    expect(parser.next()).toBeNull(); // it has run
    expect(new Uint8Array(big.buffer).every((b) => b === 0)).toBe(true);
  });

  it('gathers a mid-size bulk a read cut short in pooled plain memory of its exact size, wiped once the command has run, and reused', () => {
    const value = Buffer.alloc(16 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 11 + 1) & 0xff;
    const head = Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`);
    const gathered: Buffer[] = [];
    for (let round = 0; round < 2; round++) {
      const parser = new RequestParser(LIMITS);
      const first = Buffer.concat([head, value.subarray(0, 5000)]);
      parser.feed(first);
      expect(parser.next()).toBeNull();
      parser.detach();
      first.fill(0);
      const big = (parser as unknown as { big: Buffer }).big;
      expect(big.buffer).toBeInstanceOf(ArrayBuffer);
      expect(big.length).toBe(value.length + 2);
      gathered.push(big);
      const second = Buffer.concat([value.subarray(5000), Buffer.from('\r\n*1\r\n$4\r\nPING\r\n')]);
      parser.feed(second);
      const cmd = parser.next()!;
      expect(cmd[2]!.equals(value)).toBe(true);
      expect(cmd[2]!.buffer).toBe(big.buffer);
      expect(parser.next()!.map(String)).toEqual(['PING']); // the rest of the read, parsed in place
      expect(parser.next()).toBeNull();
      parser.detach();
      second.fill(0);
      expect(new Uint8Array(big.buffer).every((b) => b === 0)).toBe(true);
    }
    // The second command's bulk came from the memory the first one gave back.
    expect(gathered[1]!.buffer).toBe(gathered[0]!.buffer);
  });

  it('wipe() zeroes a mid-size bulk being gathered', () => {
    const parser = new RequestParser(LIMITS);
    parser.feed(Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$8000\r\n'), Buffer.alloc(3000, 'p')]));
    expect(parser.next()).toBeNull();
    const big = (parser as unknown as { big: Buffer }).big;
    expect(big.subarray(0, 3000).every((b) => b === 0x70)).toBe(true);
    parser.wipe();
    expect(new Uint8Array(big.buffer).every((b) => b === 0)).toBe(true);
  });

  it('claim() hands a large bulk in shared memory over: the parser no longer wipes it; other bytes are not claimable', () => {
    const parser = new RequestParser(LIMITS);
    const value = Buffer.alloc(200_000, 'c');
    // (A bulk that came whole in one read is a view of that read: the caller copies it.)
    parser.feed(Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`));
    expect(parser.next()).toBeNull();
    parser.feed(Buffer.concat([value, Buffer.from('\r\n')]));
    const cmd = parser.next()!;
    expect(parser.claim(cmd[1]!)).toBe(false);
    expect(parser.claim(cmd[2]!)).toBe(true);
    expect(parser.claim(cmd[2]!)).toBe(false); // once
    expect(parser.next()).toBeNull();
    parser.detach();
    parser.wipe();
    expect(cmd[2]!.equals(value)).toBe(true);
  });

  it('reads a large bulk in place through readTarget(), with nothing past its CRLF, and refuses a stale view', () => {
    const parser = new RequestParser(LIMITS);
    const value = Buffer.alloc(150_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 13) & 0xff;
    const rest = Buffer.concat([value, Buffer.from('\r\n')]);
    expect(parser.readTarget()).toBeNull();
    parser.feed(Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`), rest.subarray(0, 5)]));
    expect(parser.next()).toBeNull();
    let at = 5;
    let previous: Buffer | null = null;
    for (const n of [65536, 1, 65536]) {
      const target = parser.readTarget()!;
      expect(target.length).toBe(rest.length - at);
      const take = Math.min(n, target.length);
      rest.copy(target, 0, at, at + take);
      expect(parser.receivedInPlace(target, take)).toBe(true);
      at += take;
      previous = target;
      if (at < rest.length) expect(parser.next()).toBeNull();
    }
    const target = parser.readTarget()!;
    rest.copy(target, 0, at);
    expect(parser.receivedInPlace(previous!, rest.length - at)).toBe(false); // not where the bulk goes on
    expect(parser.receivedInPlace(target, rest.length - at)).toBe(true);
    expect(parser.readTarget()).toBeNull();
    const cmd = parser.next()!;
    expect(cmd.map((a) => a.length)).toEqual([3, 1, value.length]);
    expect(cmd[2]!.equals(value)).toBe(true);
    parser.feed(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    expect(parser.next()!.map(String)).toEqual(['PING']);
  });

  it('asks for a short read after a read that ended a large bulk in place, and only then', () => {
    const parser = new RequestParser(LIMITS);
    const value = Buffer.alloc(150_000, 7);
    const rest = Buffer.concat([value, Buffer.from('\r\n')]);
    expect(parser.afterBigBulk()).toBe(false);
    parser.feed(Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`), rest.subarray(0, 5)]));
    expect(parser.next()).toBeNull();
    const first = parser.readTarget()!;
    rest.copy(first, 0, 5, 1000);
    expect(parser.receivedInPlace(first, 995)).toBe(true);
    expect(parser.afterBigBulk()).toBe(false); // the bulk goes on
    const second = parser.readTarget()!;
    rest.copy(second, 0, 1000);
    expect(parser.receivedInPlace(second, rest.length - 1000)).toBe(true);
    expect(parser.afterBigBulk()).toBe(true); // another SET may follow: its first read is short
    expect(parser.next()!.map((a) => a.length)).toEqual([3, 1, value.length]);
    parser.feed(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    expect(parser.afterBigBulk()).toBe(false); // a request read the usual way: full reads again
    expect(parser.next()!.map(String)).toEqual(['PING']);
  });

  it.each([300_000, 16 * 1024, 4 * 1024, 4095])('a bulk of %i bytes split into reads of every size comes out whole, with the commands after it', (length) => {
    const value = Buffer.alloc(length);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
    const stream = Buffer.concat([
      Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`),
      value,
      Buffer.from(`\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$4\r\nMSET\r\n$${value.length}\r\n`),
      value,
      Buffer.from('\r\n$1\r\nz\r\nPING\r\n'),
    ]);
    for (const size of [1, 1000, 4096, 10_000, 65536, 100_000, stream.length]) {
      const parser = new RequestParser(LIMITS);
      const got: string[][] = [];
      for (let at = 0; at < stream.length; at += size) {
        const read = Buffer.from(stream.subarray(at, at + size));
        parser.feed(read);
        for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) {
          got.push(cmd.map((a) => (a.length === value.length ? (a.equals(value) ? '<value>' : '<corrupt>') : a.toString('latin1'))));
        }
        parser.detach();
        read.fill(0);
      }
      expect(got, `reads of ${size}`).toEqual([['SET', 'k', '<value>'], ['GET', 'k'], ['MSET', '<value>', 'z'], ['PING']]);
    }
  });

  it('a long command with a large bulk among its arguments comes out whole, and is zeroed once it has run', () => {
    const value = Buffer.alloc(200_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 13) & 0xff;
    const names = Array.from({ length: 1500 }, (_, i) => Buffer.from(`k${i}`));
    const args = [Buffer.from('MSET'), ...names.slice(0, 700), value, ...names.slice(700)];
    const frame = Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.flatMap((a) => [Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n')]), Buffer.from('PING\r\n')]);
    for (const size of [7, 4096, 65536]) {
      const parser = new RequestParser(LIMITS);
      const got: Buffer[][] = [];
      for (let at = 0; at < frame.length; at += size) {
        const read = Buffer.from(frame.subarray(at, at + size));
        parser.feed(read);
        for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) {
          got.push(cmd);
          if (cmd.length === args.length) {
            expect(cmd.every((a, i) => a.equals(args[i]!)), `reads of ${size}`).toBe(true);
          }
        }
        parser.detach();
        read.fill(0);
      }
      expect(got.map((c) => c.length)).toEqual([args.length, 1]);
      // Asking for the next command (done above, after PING) means MSET has run: its bytes are gone.
      expect(got[0]!.every((a) => a.every((b) => b === 0))).toBe(true);
    }
  });

  it('a complete command of 100,000 arguments is handed out over several calls (busy), in one piece', () => {
    const count = 100_000;
    const parser = new RequestParser(LIMITS);
    parser.feed(Buffer.concat([Buffer.from(`*${count}\r\n`), Buffer.from('$1\r\nk\r\n'.repeat(count)), Buffer.from('PING\r\n')]));
    let calls = 1;
    let cmd = parser.next();
    while (cmd === null && parser.busy) {
      calls++;
      cmd = parser.next();
    }
    expect(calls).toBeGreaterThan(1);
    expect(cmd!.length).toBe(count);
    expect(cmd!.every((a) => a.toString() === 'k')).toBe(true);
    expect(parser.busy).toBe(false);
    expect(parser.next()!.map(String)).toEqual(['PING']);
  });

  it('peekKeys() finds the second argument of each whole command in the read, consuming nothing', () => {
    const parser = new RequestParser(LIMITS);
    const starts = new Int32Array(16);
    const lengths = new Int32Array(16);
    const resp = (...args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
    parser.feed(Buffer.from(resp('GET', 'k1') + resp('PING') + resp('SET', 'key\r\n2', 'v') + resp('INCR', '') + resp('GET', 'half').slice(0, 12), 'latin1'));
    const peek = () => {
      const n = parser.peekKeys(starts, lengths);
      return Array.from({ length: n }, (_, i) => parser.peekBytes.toString('latin1', starts[i], starts[i]! + lengths[i]!));
    };
    // PING has no second argument; the half-received GET ends the scan.
    expect(peek()).toEqual(['k1', 'key\r\n2', '']);
    expect(peek()).toEqual(['k1', 'key\r\n2', '']);
    expect(parser.next()!.map(String)).toEqual(['GET', 'k1']);
    expect(peek()).toEqual(['key\r\n2', '']);
    // At most as many as there is room for.
    expect(parser.peekKeys(starts.subarray(0, 1), lengths.subarray(0, 1))).toBe(1);
    // Inline commands and headers the parser proper would refuse end the scan too.
    const other = new RequestParser(LIMITS);
    other.feed(Buffer.from('GET a\r\n' + resp('GET', 'b')));
    expect(other.peekKeys(starts, lengths)).toBe(0);
    other.next();
    expect(other.peekKeys(starts, lengths)).toBe(1);
    const bad = new RequestParser(LIMITS);
    bad.feed(Buffer.from(resp('GET', 'a') + '*2\r\n:3\r\nGET\r\n' + resp('GET', 'c')));
    expect(bad.peekKeys(starts, lengths)).toBe(1);
  });

  it('a NUL before the newline means the line has not ended, as with Redis\'s strchr', () => {
    for (const input of ['\x00PING\r\n', '*\x00\r\n', '*1\r\n$\x00\r\n']) {
      const parser = new RequestParser(LIMITS);
      parser.feed(Buffer.from(input, 'latin1'));
      expect(parser.next()).toBeNull();
    }
  });

  it('skips empty multibulks and blank inline lines as Redis does', () => {
    expect(parseAll(['*0\r\n*-1\r\n\r\n   \r\n*1\r\n$4\r\nPING\r\n'])).toEqual([['PING']]);
  });

  describe('rejects bad input with Redis wording', () => {
    it('invalid multibulk length', () => {
      expect(parseError('*abc\r\n')).toBe(Errors.protoInvalidMultibulk);
      expect(parseError('*3000000000\r\n')).toBe(Errors.protoInvalidMultibulk);
      expect(parseError('*+1\r\n')).toBe(Errors.protoInvalidMultibulk);
    });

    it('invalid bulk length, including lengths over proto-max-bulk-len', () => {
      expect(parseError('*1\r\n$-5\r\n')).toBe(Errors.protoInvalidBulk);
      expect(parseError('*1\r\n$x\r\n')).toBe(Errors.protoInvalidBulk);
      expect(parseError('*1\r\n$536870913\r\n')).toBe(Errors.protoInvalidBulk);
      expect(parseError('*1\r\n$2048\r\n', new RequestParser({ maxBulkLen: 1024 }))).toBe(Errors.protoInvalidBulk);
    });

    it("expected '$'", () => {
      expect(parseError('*1\r\n:12\r\n')).toBe("ERR Protocol error: expected '$', got ':'");
      expect(parseError('*1\r\n:12\r\n')).toBe(Errors.protoExpectedDollar(':'));
    });

    it('unbalanced quotes', () => {
      expect(parseError('SET "abc\r\n')).toBe(Errors.protoUnbalancedQuotes);
      expect(parseError("SET 'abc\r\n")).toBe(Errors.protoUnbalancedQuotes);
      expect(parseError('SET "abc"def\r\n')).toBe(Errors.protoUnbalancedQuotes);
    });

    it('too big inline request', () => {
      expect(parseError('A'.repeat(70_000))).toBe(Errors.protoTooBigInline);
    });

    it('too big count strings', () => {
      expect(parseError('*' + '1'.repeat(70_000))).toBe(Errors.protoTooBigMbulkCount);
      expect(parseError('*1\r\n$' + '1'.repeat(70_000))).toBe(Errors.protoTooBigBulkCount);
    });

    it('stricter limits before authentication', () => {
      const parser = new RequestParser(LIMITS);
      parser.unauthenticated = true;
      expect(parseError('*11\r\n', parser)).toBe(Errors.protoUnauthMultibulk);
      const parser2 = new RequestParser(LIMITS);
      parser2.unauthenticated = true;
      expect(parseError('*1\r\n$16385\r\n', parser2)).toBe(Errors.protoUnauthBulk);
    });

    it('a huge declared count or length allocates nothing up front', () => {
      const parser = new RequestParser(LIMITS);
      parser.feed(Buffer.from('*2000000000\r\n$536870912\r\nabc'));
      expect(parser.next()).toBeNull();
      expect(parser.pending).toBeLessThan(100);
    });
  });

  describe('argument arrays and views (the per-request path)', () => {
    const multibulk = (args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

    it('hands out arrays of exactly the command\'s length, for 1 to 12 arguments, whole or split at every byte', () => {
      for (let n = 1; n <= 12; n++) {
        const args = Array.from({ length: n }, (_, i) => `arg${i}-${'x'.repeat(i)}`);
        const wire = multibulk(args) + multibulk(['GET', 'k']);
        const splits = [[wire], ...Array.from({ length: wire.length - 1 }, (_, at) => [wire.slice(0, at + 1), wire.slice(at + 1)])];
        for (const chunks of splits) {
          const parser = new RequestParser(LIMITS);
          const got: Buffer[][] = [];
          for (const chunk of chunks) {
            parser.feed(Buffer.from(chunk, 'latin1'));
            for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) got.push(cmd.map((a) => Buffer.from(a)));
            parser.detach();
          }
          expect(got.map((c) => c.length)).toEqual([n, 2]);
          expect(got.map((c) => c.map((a) => a.toString('latin1')))).toEqual([args, ['GET', 'k']]);
        }
      }
    });

    it('gives arguments that are Buffers in every way handlers rely on', () => {
      const parser = new RequestParser(LIMITS);
      parser.feed(Buffer.from(multibulk(['SET', 'key', 'value'])));
      const [name, key, value] = parser.next()!;
      for (const arg of [name!, key!, value!]) {
        expect(Buffer.isBuffer(arg)).toBe(true);
        expect(arg).toBeInstanceOf(Buffer);
        expect(arg.constructor).toBe(Buffer);
      }
      expect(key!.toString()).toBe('key');
      expect(value!.equals(Buffer.from('value'))).toBe(true);
      expect(value!.subarray(1, 3).toString()).toBe('al');
      expect(Buffer.concat([key!, value!]).toString()).toBe('keyvalue');
      expect(value!.readUInt8(0)).toBe(0x76);
    });

    it('keeps no argument of one command in the next (a short command after a long one)', () => {
      const parser = new RequestParser(LIMITS);
      parser.feed(Buffer.from(multibulk(['MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5']) + multibulk(['GET', 'a'])));
      expect(parser.next()!.length).toBe(11);
      const second = parser.next()!;
      expect(second.map((a) => a.toString())).toEqual(['GET', 'a']);
      expect(parser.next()).toBeNull();
    });
  });
});

describe('splitInlineArgs', () => {
  const split = (s: string) => splitInlineArgs(Buffer.from(s, 'latin1'))?.map((b) => b.toString('latin1'));

  it('understands double-quote escapes and single quotes', () => {
    expect(split('set k "a\\nb\\x41\\"c"')).toEqual(['set', 'k', 'a\nbA"c']);
    expect(split("set k 'it\\'s'")).toEqual(['set', 'k', "it's"]);
    expect(split('  a   b\tc ')).toEqual(['a', 'b', 'c']);
    expect(split('')).toEqual([]);
  });

  it('returns null for unbalanced quotes', () => {
    expect(splitInlineArgs(Buffer.from('"abc'))).toBeNull();
    expect(splitInlineArgs(Buffer.from("'abc"))).toBeNull();
  });
});
