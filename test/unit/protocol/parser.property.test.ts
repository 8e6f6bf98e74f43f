// Property-based tests of the request parser (fast-check): whatever the command contents and
// however the bytes are split across reads, valid requests parse back identically; arbitrary
// bytes never make the parser throw anything but ProtocolError.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArgList } from '../../../src/protocol/arg-list.js';
import { ProtocolError, RequestParser } from '../../../src/protocol/parser.js';

const LIMITS = { maxBulkLen: 1024 * 1024 };

function encode(args: Uint8Array[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), Buffer.from(a), Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Cuts `bytes` at the given fractions (0..1) into consecutive chunks. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Feeds chunks one by one and collects every command (arguments as hex, copied out of the parser's views). */
function parseChunks(chunks: Buffer[], parser: RequestParser): string[][] {
  const out: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd.map((a) => a.toString('hex')));
  }
  return out;
}

/**
 * The server's way: every read lands in one reused buffer that is zeroed once its commands have
 * run, so whatever the parser keeps of a half-received command must be its own copy.
 */
function parseThroughReusedBuffer(chunks: Buffer[], parser: RequestParser): string[][] {
  const out: string[][] = [];
  const readBuffer = Buffer.alloc(Math.max(...chunks.map((c) => c.length)));
  for (const chunk of chunks) {
    chunk.copy(readBuffer);
    parser.feed(readBuffer.subarray(0, chunk.length));
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd.map((a) => a.toString('hex')));
    parser.detach();
    readBuffer.fill(0xee);
  }
  return out;
}

const hex = (a: Uint8Array) => Buffer.from(a).toString('hex');
const arg = fc.uint8Array({ minLength: 0, maxLength: 80 });
/** Now and then a big argument, so the parser's gather-in-parts path is exercised too. */
const bigArg = fc.integer({ min: 64 * 1024, max: 80 * 1024 }).map((n) => new Uint8Array(n).fill(n % 251));
const command = fc.array(fc.oneof({ weight: 20, arbitrary: arg }, { weight: 1, arbitrary: bigArg }), { minLength: 1, maxLength: 6 });
/** Inline commands: words without spaces, quotes or control bytes. */
const inlineCommand = fc.array(fc.stringMatching(/^[a-zA-Z0-9:_.-]{1,20}$/), { minLength: 1, maxLength: 5 });
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('request parser properties', () => {
  it('valid multibulk commands, split anywhere, parse back identically', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), cuts, (commands, at) => {
        const bytes = Buffer.concat(commands.map(encode));
        const got = parseChunks(split(bytes, at), new RequestParser(LIMITS));
        expect(got).toEqual(commands.map((c) => c.map(hex)));
      }),
      { numRuns: 300 },
    );
  });

  /** Inline and multibulk commands mixed, with the arguments each should parse to. */
  const mixed = fc.oneof(
    command.map((c) => ({ bytes: encode(c), args: c.map(hex) })),
    inlineCommand.map((words) => ({ bytes: Buffer.from(words.join(' ') + '\r\n'), args: words.map((w) => Buffer.from(w).toString('hex')) })),
  );
  const readers = [
    ['in chunks of their own', parseChunks],
    ['through one reused, wiped buffer', parseThroughReusedBuffer],
  ] as const;

  for (const [how, parse] of readers) {
    it(`inline and multibulk commands mixed, split anywhere and read ${how}, parse back identically`, () => {
      fc.assert(
        fc.property(fc.array(mixed, { minLength: 1, maxLength: 8 }), cuts, (commands, at) => {
          const bytes = Buffer.concat(commands.map((c) => c.bytes));
          const got = parse(split(bytes, at), new RequestParser(LIMITS));
          expect(got).toEqual(commands.map((c) => c.args));
        }),
        { numRuns: 300 },
      );
    });
  }

  /** Arbitrary input: either a clean stop (need more bytes) or a ProtocolError, nothing else. */
  function onlyProtocolErrors(chunks: Buffer[], unauthenticated: boolean): void {
    const parser = new RequestParser(LIMITS);
    parser.unauthenticated = unauthenticated;
    try {
      parseChunks(chunks, parser);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
  }

  it('arbitrary bytes never throw anything but ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), cuts, fc.boolean(), (bytes, at, unauth) => {
        onlyProtocolErrors(split(Buffer.from(bytes), at), unauth);
      }),
      { numRuns: 1000 },
    );
  });

  it('RESP-shaped noise (headers, lengths, CRLFs in odd places) never throws anything but ProtocolError', () => {
    const token = fc.oneof(
      fc.constantFrom('*', '$', '\r\n', '\r', '\n', '-1', '0', '1', '2', '3', '10', '65536', '99999999999', ' ', '"', "'", '\\x41'),
      fc.integer({ min: -5, max: 2_000_000 }).map(String),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), cuts, fc.boolean(), (tokens, at, unauth) => {
        onlyProtocolErrors(split(Buffer.from(tokens.join(''), 'latin1'), at), unauth);
      }),
      { numRuns: 1000 },
    );
  });

  it('a long command handed out whole (nextArgs, keepWhole) reads back as the array next() gives, however split and through a reused buffer', () => {
    // Mostly short arguments (the fast loop), now and then odd ones it leaves to the general
    // path: empty, longer than 16 bytes, and a big one gathered in parts.
    const longArg = fc.oneof(
      { weight: 30, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 4 }) },
      { weight: 3, arbitrary: fc.uint8Array({ minLength: 17, maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constant(new Uint8Array(70_000).fill(7)) },
    );
    const longCommand = fc.array(longArg, { minLength: 1024, maxLength: 1400 });
    fc.assert(
      fc.property(longCommand, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (tail, at) => {
        const args = [Buffer.from('DEL'), ...tail.map((a) => Buffer.from(a))];
        const bytes = Buffer.concat([encode(args), Buffer.from('*1\r\n$4\r\nPING\r\n')]);
        const whole = new RequestParser(LIMITS);
        whole.keepWhole = (name) => name.toString() === 'DEL';
        const readBuffer = Buffer.alloc(bytes.length);
        const got: string[][] = [];
        const kinds: boolean[] = [];
        for (const chunk of split(bytes, at)) {
          chunk.copy(readBuffer);
          whole.feed(readBuffer.subarray(0, chunk.length));
          for (let cmd: ArgList | null = whole.nextArgs(); cmd !== null; cmd = whole.nextArgs()) {
            kinds.push(Array.isArray(cmd));
            const list: string[] = [];
            for (let i = 0; i < cmd.length; i++) list.push(cmd.at(i)!.toString('hex'));
            got.push(list);
          }
          whole.detach();
          readBuffer.fill(0xee);
        }
        expect(kinds).toEqual([false, true]);
        expect(got).toEqual(parseChunks(split(bytes, at), new RequestParser(LIMITS)));
        expect(got[0]).toEqual(args.map(hex));
      }),
      { numRuns: 40 },
    );
  });

  it('malformed bulks inside a long command meet the same errors as anywhere else', () => {
    const head = Buffer.from(`*2000\r\n${'$1\r\nk\r\n'.repeat(1500)}`);
    const short = Buffer.from('*3\r\n$1\r\nk\r\n');
    for (const bad of ['$01\r\nk\r\n', '$-1\r\n', '$x\r\n', `$${LIMITS.maxBulkLen + 1}\r\n`, '+1\r\n', '$1234567890123456789\r\n']) {
      const errorOf = (prefix: Buffer) => {
        const parser = new RequestParser(LIMITS);
        parser.keepWhole = () => true;
        try {
          parser.feed(Buffer.concat([prefix, Buffer.from(bad)]));
          parser.nextArgs();
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          return (err as Error).message;
        }
        return 'no error';
      };
      expect(errorOf(head), bad).toBe(errorOf(short));
      expect(errorOf(head), bad).not.toBe('no error');
    }
  });
});
