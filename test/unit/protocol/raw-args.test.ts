// The parser's raw path (raw-args.ts): a short command whose name rawCommand() accepts comes
// from nextArgs() as offsets into the read. Whatever the bytes and however they are split, it
// must give exactly what the general path gives (arguments, errors, what is left for later).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArgList } from '../../../src/protocol/arg-list.js';
import { ProtocolError, RequestParser } from '../../../src/protocol/parser.js';
import { RAW_MAX_ARGS, RawArgs } from '../../../src/protocol/raw-args.js';

const LIMITS = { maxBulkLen: 1024 * 1024 };

function encode(args: Uint8Array[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), Buffer.from(a), Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

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

/** A parser that hands out XADD (any spelling) raw, as the server's does. */
function rawParser(): RequestParser {
  const parser = new RequestParser(LIMITS);
  parser.rawCommand = (bytes, start, length) => length === 4 && bytes.toString('latin1', start, start + length).toLowerCase() === 'xadd';
  return parser;
}

interface Outcome {
  commands: string[][];
  raw: number;
  error: string | null;
}

/**
 * Feeds chunks through one reused read buffer (zeroed after each read, as the server does) and
 * collects every command as hex, read through at() and toArray(), or the protocol error.
 */
function run(chunks: Buffer[], parser: RequestParser): Outcome {
  const out: Outcome = { commands: [], raw: 0, error: null };
  const readBuffer = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  try {
    for (const chunk of chunks) {
      chunk.copy(readBuffer);
      parser.feed(readBuffer.subarray(0, chunk.length));
      for (let cmd: ArgList | null = parser.nextArgs(); cmd !== null; cmd = parser.nextArgs()) {
        if (cmd instanceof RawArgs) {
          out.raw++;
          const viaAt = Array.from({ length: cmd.length }, (_, i) => cmd!.at(i)!.toString('hex'));
          expect(cmd.toArray().map((a) => a.toString('hex'))).toEqual(viaAt);
          out.commands.push(viaAt);
        } else {
          out.commands.push((cmd as Buffer[]).map((a) => a.toString('hex')));
        }
      }
      parser.detach();
      readBuffer.fill(0xee);
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    out.error = err.message;
  }
  return out;
}

const name = fc.constantFrom('XADD', 'xadd', 'XaDd', 'GET', 'XADDX', 'XAD', '');
const arg = fc.uint8Array({ minLength: 0, maxLength: 40 });
const command = fc.tuple(name, fc.array(arg, { minLength: 0, maxLength: RAW_MAX_ARGS + 2 })).map(([n, rest]) => [Buffer.from(n), ...rest]);

describe('raw arguments (parser fast path)', () => {
  it('a whole, plain XADD comes as RawArgs; other commands, split ones and unauthenticated clients get arrays', () => {
    const xadd = encode([Buffer.from('XADD'), Buffer.from('s'), Buffer.from('*'), Buffer.from('f'), Buffer.from('v')]);
    expect(run([xadd], rawParser())).toMatchObject({ raw: 1, commands: [['58414444', '73', '2a', '66', '76']] });
    expect(run([encode([Buffer.from('GET'), Buffer.from('k')])], rawParser()).raw).toBe(0);
    expect(run([xadd.subarray(0, 20), xadd.subarray(20)], rawParser())).toMatchObject({ raw: 0, commands: [['58414444', '73', '2a', '66', '76']] });
    const unauth = rawParser();
    unauth.unauthenticated = true;
    expect(run([xadd], unauth).raw).toBe(0);
    // More arguments than RawArgs holds: the general path.
    const many = encode([Buffer.from('XADD'), ...Array.from({ length: RAW_MAX_ARGS }, () => Buffer.from('a'))]);
    expect(run([many], rawParser())).toMatchObject({ raw: 0 });
  });

  it('pipelines of random commands, split anywhere, parse as the general path parses them', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 6 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (cmds, at) => {
        const bytes = Buffer.concat(cmds.map((c) => encode(c)));
        const expected = run(split(bytes, at), new RequestParser(LIMITS));
        const got = run(split(bytes, at), rawParser());
        expect(got.commands).toEqual(expected.commands);
        expect(got.error).toEqual(expected.error);
        // Whole in one read, every XADD of 1..RAW_MAX_ARGS arguments comes raw.
        if (at.length === 0) {
          expect(got.raw).toBe(cmds.filter((c) => c[0]!.toString().toLowerCase() === 'xadd' && c.length <= RAW_MAX_ARGS).length);
        }
      }),
      { numRuns: 400, seed: 20261206 },
    );
  });

  it('malformed requests around XADD give the same commands and errors as the general path', () => {
    const pieces = fc.constantFrom(
      '*5\r\n', '*3\r\n', `*${RAW_MAX_ARGS}\r\n`, `*${RAW_MAX_ARGS + 1}\r\n`, '*0\r\n', '*-1\r\n', '*01\r\n', '*1x\r\n', '*5\n', '*\r\n',
      '$4\r\nXADD\r\n', '$4\r\nxadd\r\n', '$1\r\ns\r\n', '$1\r\n*\r\n', '$0\r\n\r\n', '$01\r\na\r\n', '$2\r\nab\r\n',
      '$1\r\nab\r\n', '$-1\r\n', '$4\nXADD\r\n', '$99999999999\r\n', '$2000000\r\n', 'XADD s * a b\r\n', '\r\n', 'x', '$', '*',
    );
    fc.assert(
      fc.property(fc.array(pieces, { minLength: 1, maxLength: 24 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), (parts, at) => {
        const bytes = Buffer.from(parts.join(''), 'latin1');
        const expected = run(split(bytes, at), new RequestParser(LIMITS));
        const got = run(split(bytes, at), rawParser());
        expect(got.commands).toEqual(expected.commands);
        expect(got.error).toEqual(expected.error);
      }),
      { numRuns: 1500, seed: 1206 },
    );
  });
});
