// Stream commands against the real server over real clients (ioredis, node-redis, redis-cli, raw
// RESP3), and side by side with redis-server 7.0: the same commands sent to both, every reply
// compared byte for byte in RESP2 and RESP3. Ids are time-based in auto mode, so compared cases
// use explicit ids; replies with idle times or delivery times are checked by shape instead.

import { describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { Kind } from '../../src/store/keyspace.js';
import { ioredis, nodeRedis, rawExchange, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { compareWithRedis, OTHER } from '../helpers/reference-redis.js';
import { startInProcess, storedKey } from '../helpers/server.js';

const { server, client, run } = withServer();

/** Waits until `n` clients are blocked (INFO clients blocked_clients), bounded at 10 s. */
async function untilBlocked(n = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = String(await client.info('clients'));
    if (Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? -1) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${n} blocked clients not seen within 10 s`);
}

const CASES: Record<string, string[][]> = {
  'XADD explicit, partial and ms-* ids, and the id errors': [
    ['XADD', 's', '1-1', 'a', '1'], ['XADD', 's', '1-*', 'b', '2'], ['XADD', 's', '1', 'c', '3'], ['XADD', 's', '2-*', 'd', '4'],
    ['XADD', 's', '1-5', 'x', 'y'], ['XADD', 's', '2-0', 'x', 'y'], ['XADD', 's', '0-0', 'x', 'y'], ['XADD', 'n', '0-*', 'x', 'y'],
    ['XADD', 's', 'abc', 'x', 'y'], ['XADD', 's', '1-x', 'x', 'y'], ['XADD', 's', '-', 'x', 'y'], ['XADD', 's', '+', 'x', 'y'],
    ['XADD', 's', '3-1', 'x'], ['XADD', 's', '3-1'], ['XADD', 's', '3-1', 'a', '1', 'b'], ['XRANGE', 's', '-', '+'], ['XLEN', 's'],
  ],
  'XADD with the largest ids': [
    ['XADD', 's', '18446744073709551615-18446744073709551614', 'a', '1'], ['XADD', 's', '18446744073709551615-*', 'b', '2'],
    ['XADD', 's', '18446744073709551615-*', 'c', '3'], ['XADD', 's', '*', 'd', '4'], ['XADD', 's', '18446744073709551616-0', 'x', 'y'],
    ['XADD', 't', '5-18446744073709551615', 'a', '1'], ['XADD', 't', '5-*', 'a', '1'], ['XRANGE', 's', '-', '+'],
  ],
  // XADD and the readers work on numbers while both id halves stay below 2^53 and take the exact
  // path past it: auto ids (above the clock here, so the same on both servers) across that edge
  // and across the 32-bit word edge, read back by every reader.
  'auto ids and readers across the 2^53 and 2^32 edges': [
    ['XADD', 's', '9007199254740991-9007199254740990', 'a', '1'], ['XADD', 's', '*', 'b', '2'], ['XADD', 's', '*', 'c', '3'],
    ['XADD', 's', '*', 'd', '4'], ['XADD', 's', '9007199254740992-*', 'e', '5'], ['XADD', 's', '*', 'f', '6'],
    ['XRANGE', 's', '-', '+'], ['XREVRANGE', 's', '+', '-', 'COUNT', '2'], ['XREAD', 'COUNT', '10', 'STREAMS', 's', '9007199254740991-9007199254740991'],
    ['XGROUP', 'CREATE', 's', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '4', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '0'],
    ['XPENDING', 's', 'g'], ['XINFO', 'STREAM', 's'],
    ['XADD', 'u', '4398046511103-4294967295', 'a', '1'], ['XADD', 'u', '*', 'b', '2'], ['XADD', 'u', '4398046511104-*', 'c', '3'],
    ['XADD', 'u', '*', 'd', '4'], ['XRANGE', 'u', '-', '+'], ['XSETID', 'u', '18446744073709551615-18446744073709551614'],
    ['XADD', 'u', '*', 'e', '5'], ['XADD', 'u', '*', 'f', '6'], ['XSETID', 'u', '9007199254740993-0'], ['XADD', 'u', '*', 'g', '7'],
    ['XREAD', 'STREAMS', 'u', '0'],
  ],
  'XADD NOMKSTREAM and trimming options': [
    ['XADD', 's', 'NOMKSTREAM', '1-1', 'a', '1'], ['EXISTS', 's'],
    ['XADD', 's', '1-1', 'a', '1'], ['XADD', 's', '2-1', 'a', '2'], ['XADD', 's', '3-1', 'a', '3'],
    ['XADD', 's', 'NOMKSTREAM', 'MAXLEN', '2', '4-1', 'a', '4'], ['XRANGE', 's', '-', '+'],
    ['XADD', 's', 'MAXLEN', '=', '1', '5-1', 'a', '5'], ['XLEN', 's'],
    ['XADD', 's', 'MINID', '7', '6-1', 'a', '6'], ['XLEN', 's'],
    ['XADD', 's', 'MAXLEN', '~', '0', '8-1', 'a', '8'], ['XLEN', 's'],
    ['XADD', 's', 'MAXLEN', '1', 'MINID', '1', '9-1', 'a', '9'], ['XADD', 's', 'MAXLEN', '-1', '9-1', 'a', '9'],
    ['XADD', 's', 'MAXLEN', 'x', '9-1', 'a', '9'], ['XADD', 's', 'LIMIT', '5', '9-1', 'a', '9'],
    ['XADD', 's', 'MAXLEN', '1', 'LIMIT', '5', '9-1', 'a', '9'], ['XADD', 's', 'MAXLEN', '~', '1', 'LIMIT', '-1', '9-1', 'a', '9'],
    ['XADD', 's', 'MAXLEN', '~', '1', 'LIMIT', '5', '9-1', 'a', '9'], ['XADD', 's', 'MINID', '-', '10-1', 'a', '9'], ['XADD', 's', 'MAXLEN'],
  ],
  'XRANGE and XREVRANGE: COUNT, exclusive bounds, partial ids': [
    ['XADD', 's', '1-0', 'f', 'a'], ['XADD', 's', '1-1', 'f', 'b'], ['XADD', 's', '2-0', 'f', 'c'], ['XADD', 's', '3-5', 'f', 'd'],
    ['XRANGE', 's', '-', '+', 'COUNT', '2'], ['XRANGE', 's', '(1-0', '+'], ['XRANGE', 's', '1', '1'], ['XRANGE', 's', '(1-1', '(3-5'],
    ['XREVRANGE', 's', '+', '-', 'COUNT', '3'], ['XREVRANGE', 's', '(3-5', '(1'], ['XRANGE', 's', '-', '+', 'COUNT', '0'],
    ['XRANGE', 's', '-', '+', 'COUNT', '-3'], ['XRANGE', 's', '3', '1'], ['XRANGE', 's', '(-', '+'], ['XRANGE', 's', '-', '(+'],
    ['XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'], ['XRANGE', 's', '-', '(0-0'],
    ['XRANGE', 's', '-', '+', 'COUNT'], ['XRANGE', 's', '-', '+', 'LIMIT', '1'], ['XRANGE', 'nosuch', '-', '+'], ['XREVRANGE', 'nosuch', '+', '-', 'COUNT', '0'],
    ['XRANGE', 's', 'x', '+'], ['XRANGE', 's', '-', 'y'], ['XRANGE', 's', '-', '+', 'COUNT', 'z'],
  ],
  'XDEL, XTRIM, XSETID and the stream counters': [
    ['XADD', 's', '1-0', 'a', '1'], ['XADD', 's', '2-0', 'b', '2'], ['XADD', 's', '3-0', 'c', '3'], ['XADD', 's', '4-0', 'd', '4'],
    ['XDEL', 's', '2-0', '9-9'], ['XDEL', 's', '2-0'], ['XDEL', 's', 'bad'], ['XDEL', 'nosuch', 'bad'],
    ['XTRIM', 's', 'MAXLEN', '2'], ['XRANGE', 's', '-', '+'], ['XTRIM', 's', 'MINID', '4'], ['XLEN', 's'], ['XTRIM', 'nosuch', 'MAXLEN', '0'],
    ['XTRIM', 's'], ['XTRIM', 's', 'FOO'], ['XTRIM', 's', 'MAXLEN', '~', '0', 'LIMIT', '0'],
    ['XSETID', 's', '3-0'], ['XSETID', 's', '10-0'], ['XADD', 's', '9-0', 'x', 'y'], ['XSETID', 'nosuch', '1-0'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '0'], ['XSETID', 's', '10-0', 'ENTRIESADDED', '-1'], ['XSETID', 's', '10-0', 'MAXDELETEDID', '11-0'],
    ['XSETID', 's', '10-0', 'ENTRIESADDED', '5', 'MAXDELETEDID', '5-0'], ['XSETID', 's', '10-0', 'FOO', '1'], ['XSETID', 's', '+'],
    ['XDEL', 's', '4-0'], ['XLEN', 's'], ['EXISTS', 's'], ['XSETID', 's', '1-0'],
  ],
  'XREAD without blocking': [
    ['XADD', 'a', '1-0', 'f', '1'], ['XADD', 'a', '2-0', 'f', '2'], ['XADD', 'b', '5-0', 'g', '5'],
    ['XREAD', 'STREAMS', 'a', 'b', '0', '0'], ['XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '1', '0'], ['XREAD', 'STREAMS', 'a', '$'],
    ['XREAD', 'STREAMS', 'a', 'nosuch', '2', '0'], ['XREAD', 'STREAMS', 'a', 'a', '0', '1'], ['XREAD', 'STREAMS', 'a'],
    ['XREAD', 'STREAMS', 'a', '>'], ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 'a', '0'], ['XREAD', 'NOACK', 'STREAMS', 'a', '0'],
    ['XREAD', 'COUNT', 'x', 'STREAMS', 'a', '0'], ['XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0'], ['XREAD', 'FOO', 'STREAMS', 'a', '0'],
    ['XREAD', 'COUNT', '1', 'a', '0'], ['XREAD', 'STREAMS', 'a', 'bad'], ['XREAD', 'BLOCK', '10', 'STREAMS', 'a', '2-0'],
    ['SET', 'str', 'x'], ['XREAD', 'STREAMS', 'str', '0'],
  ],
  'consumer groups: create, read, pending, ack': [
    ['XGROUP', 'CREATE', 's', 'g', '$'], ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'], ['XGROUP', 'CREATE', 's', 'g', '$'],
    ['XADD', 's', '1-0', 'a', '1'], ['XADD', 's', '2-0', 'b', '2'], ['XADD', 's', '3-0', 'c', '3'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '1-0'], ['XREADGROUP', 'GROUP', 'g', 'carol', 'STREAMS', 's', '0'],
    ['XPENDING', 's', 'g'], ['XACK', 's', 'g', '1-0', '9-0'], ['XACK', 's', 'g', '1-0'], ['XACK', 's', 'nosuch', '1-0'], ['XACK', 's', 'g', 'bad'],
    ['XPENDING', 's', 'g'], ['XPENDING', 's', 'nosuch'], ['XPENDING', 'nokey', 'g'], ['XPENDING', 's', 'g', '-', '+'],
    ['XPENDING', 's', 'g', '-', '+', 'x'], ['XPENDING', 's', 'g', 'IDLE', '0', '-', '+'], ['XPENDING', 's', 'g', 'bad', '+', '10'],
    ['XPENDING', 's', 'g', '-', '+', '10', 'nobody'], ['XPENDING', 's', 'g', '-', '+', '0'],
    ['XINFO', 'GROUPS', 's'], ['XGROUP', 'CREATECONSUMER', 's', 'g', 'dave'], ['XGROUP', 'CREATECONSUMER', 's', 'g', 'dave'],
    ['XGROUP', 'DELCONSUMER', 's', 'g', 'bob'], ['XGROUP', 'DELCONSUMER', 's', 'g', 'bob'], ['XPENDING', 's', 'g'],
    ['XGROUP', 'SETID', 's', 'g', '0', 'ENTRIESREAD', '0'], ['XINFO', 'GROUPS', 's'], ['XGROUP', 'SETID', 's', 'g', '$'],
    ['XGROUP', 'SETID', 's', 'nosuch', '0'], ['XGROUP', 'CREATECONSUMER', 's', 'nosuch', 'x'], ['XGROUP', 'DESTROY', 's', 'g'],
    ['XGROUP', 'DESTROY', 's', 'g'], ['XGROUP', 'CREATE', 'nokey', 'g', '0'], ['XGROUP', 'CREATE', 's', 'g2', '0', 'ENTRIESREAD', '-2'],
    ['XGROUP', 'CREATE', 's', 'g2', '0', 'FOO'], ['XGROUP', 'CREATE', 's', 'g2', 'bad'], ['XGROUP', 'FOO', 's', 'g'],
    ['XGROUP', 'CREATE', 's', 'g3', '1-0', 'ENTRIESREAD', '1'], ['XINFO', 'GROUPS', 's'],
  ],
  'XREADGROUP errors and NOACK': [
    ['XADD', 's', '1-0', 'a', '1'], ['XGROUP', 'CREATE', 's', 'g', '0'],
    ['XREADGROUP', 'GROUP', 'nosuch', 'c', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'nokey', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '$'], ['XREADGROUP', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', 's', '>'], ['XPENDING', 's', 'g'], ['XINFO', 'GROUPS', 's'],
    ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '10', 'STREAMS', 's', '>'],
  ],
  'XCLAIM and XAUTOCLAIM with JUSTID, FORCE, deleted entries': [
    ['XADD', 's', '1-0', 'a', '1'], ['XADD', 's', '2-0', 'b', '2'], ['XADD', 's', '3-0', 'c', '3'], ['XADD', 's', '4-0', 'd', '4'],
    ['XGROUP', 'CREATE', 's', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '3', 'STREAMS', 's', '>'],
    ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'JUSTID'], ['XCLAIM', 's', 'g', 'bob', '0', '2-0'], ['XCLAIM', 's', 'g', 'bob', '999999999', '3-0'],
    ['XCLAIM', 's', 'g', 'bob', '0', '4-0'], ['XCLAIM', 's', 'g', 'bob', '0', '4-0', 'FORCE', 'JUSTID'], ['XPENDING', 's', 'g'],
    ['XDEL', 's', '2-0'], ['XCLAIM', 's', 'g', 'carol', '0', '2-0', '3-0', 'JUSTID', 'RETRYCOUNT', '7'], ['XPENDING', 's', 'g'],
    ['XCLAIM', 's', 'g', 'carol', 'x', '1-0'], ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'BOGUS'], ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'IDLE', 'x'],
    ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'TIME', 'x'], ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'RETRYCOUNT', 'x'],
    ['XCLAIM', 's', 'nosuch', 'carol', '0', '1-0'], ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'LASTID', 'bad'],
    ['XADD', 's', '5-0', 'e', '5'], ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>'], ['XDEL', 's', '4-0'],
    ['XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '1'], ['XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '10', 'JUSTID'],
    ['XAUTOCLAIM', 's', 'g', 'dave', '0', '(3-0'], ['XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '0'],
    ['XAUTOCLAIM', 's', 'g', 'dave', 'x', '0'], ['XAUTOCLAIM', 's', 'g', 'dave', '0', 'bad'], ['XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'FOO'],
    ['XAUTOCLAIM', 's', 'nosuch', 'dave', '0', '0'], ['XAUTOCLAIM', 'nokey', 'g', 'dave', '0', '0'], ['XPENDING', 's', 'g'],
  ],
  'XINFO errors and help': [
    ['XINFO', 'STREAM', 'nokey'], ['XADD', 's', '1-0', 'a', '1'], ['XINFO', 'CONSUMERS', 's', 'nosuch'], ['XINFO', 'STREAM', 's', 'FOO'],
    ['XINFO', 'STREAM', 's', 'FULL', 'COUNT'], ['XINFO', 'HELP'], ['XGROUP', 'HELP'], ['SET', 'str', 'x'], ['XINFO', 'GROUPS', 'str'],
    ['XLEN', 'str'], ['XADD', 'str', '*', 'a', '1'], ['XRANGE', 'str', '-', '+'], ['TYPE', 's'], ['OBJECT', 'ENCODING', 's'],
  ],
  'stream ops inside MULTI': [
    ['MULTI'], ['XADD', 's', '1-0', 'a', '1'], ['XADD', 's', '2-0', 'b', '2'], ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'],
    ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '1-0'], ['EXEC'], [OTHER, 'XLEN', 's'],
  ],
};

compareWithRedis('stream commands, byte for byte with redis-server', CASES, () => startInProcess());

describe('XADD and XRANGE over ioredis', () => {
  it('adds with auto ids that grow, and reads the fields back', async () => {
    const a = await client.xadd('s', '*', 'name', 'ann', 'age', '33');
    const b = await client.xadd('s', '*', 'name', 'bob');
    expect(a).toMatch(/^\d+-\d+$/);
    const [ams, aseq] = a!.split('-').map(BigInt);
    const [bms, bseq] = b!.split('-').map(BigInt);
    expect(bms! > ams! || (bms === ams && bseq! > aseq!)).toBe(true);
    expect(await client.xrange('s', '-', '+')).toEqual([[a, ['name', 'ann', 'age', '33']], [b, ['name', 'bob']]]);
    expect(await client.xlen('s')).toBe(2);
  });

  it('keeps binary fields and values byte for byte', async () => {
    const value = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x24, 0x2a]);
    await client.xadd('bin', '1-1', Buffer.from([0x0d, 0x0a]), value, '', '');
    const [[id, fields]] = (await client.xrangeBuffer('bin', '-', '+')) as unknown as [[Buffer, Buffer[]]];
    expect(id.toString()).toBe('1-1');
    expect(fields).toEqual([Buffer.from([0x0d, 0x0a]), value, Buffer.alloc(0), Buffer.alloc(0)]);
  });

  it('XADD * reads back byte for byte whatever shape its request takes (sealed in place, copied, or parsed apart)', async () => {
    // XADD key * ... whole in one read is sealed where its fields lie in the request, with
    // "*<n>\r\n" written over the id argument for the moment: one or two digits of field count,
    // binary and empty values, a bulk followed by other bytes than CRLF (the copy path), a
    // request split across reads (the general parser), and the commands pipelined after it.
    const bulk = (b: Buffer | string) => Buffer.concat([Buffer.from(`$${Buffer.byteLength(b)}\r\n`), Buffer.from(b), Buffer.from('\r\n')]);
    const req = (...args: (Buffer | string)[]) => Buffer.concat([Buffer.from(`*${args.length}\r\n`), ...args.map(bulk)]);
    const pairs = Array.from({ length: 6 }, (_, i) => [`f${i}`, 'v'.repeat(i * 7)]).flat();
    const binary = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x24, 0x2a, 0x0d]);
    const odd = Buffer.from('*5\r\n$4\r\nXADD\r\n$2\r\nrs\r\n$1\r\n*\r\n$1\r\nf\r\n$1\r\nvXX');
    const split = req('XADD', 'rs', '*', 'late', 'x');
    const { data } = await rawExchange(server.port, [
      Buffer.concat([req('XADD', 'rs', '*', 'a', '1'), req('XADD', 'rs', '*', ...pairs), req('XADD', 'rs', '*', binary, '', 'k', binary), odd, split.subarray(0, 20)]),
      Buffer.concat([split.subarray(20), req('XLEN', 'rs')]),
    ]);
    expect(data.toString('latin1')).toMatch(/^(\$\d+\r\n\d+-\d+\r\n){5}:5\r\n$/);
    const entries = (await client.xrangeBuffer('rs', '-', '+')) as unknown as [Buffer, Buffer[]][];
    expect(entries.map(([, fields]) => fields.map((f) => f.toString('latin1')))).toEqual([
      ['a', '1'], pairs, [binary.toString('latin1'), '', 'k', binary.toString('latin1')], ['f', 'v'], ['late', 'x'],
    ]);
  });

  it('answers the stream errors with Redis texts', async () => {
    await client.xadd('s', '5-5', 'a', '1');
    const cases: [(string | number)[], string][] = [
      [['xadd', 's', '5-5', 'a', '1'], Errors.xaddIdTooSmall],
      [['xadd', 's', '0-0', 'a', '1'], Errors.xaddIdZero],
      [['xadd', 's', '1-x', 'a', '1'], Errors.invalidStreamId],
      [['xadd', 's', 'MAXLEN', '1', 'MINID', '1', '*', 'a', '1'], Errors.streamMaxlenAndMinid],
      [['xadd', 's', 'MAXLEN', '-1', '*', 'a', '1'], Errors.streamMaxlenNegative],
      [['xadd', 's', 'MAXLEN', '~', '1', 'LIMIT', '-1', '*', 'a', '1'], Errors.streamLimitNegative],
      [['xadd', 's', 'LIMIT', '1', '*', 'a', '1'], Errors.streamLimitWithoutStrategy],
      [['xadd', 's', 'MAXLEN', '1', 'LIMIT', '1', '*', 'a', '1'], Errors.streamLimitWithoutApprox],
      [['xtrim', 's', 'LIMIT', '1'], Errors.streamLimitWithoutStrategy],
      [['xtrim', 's', 'LIMIT', '0'], Errors.xtrimWithoutStrategy],
      [['xrange', 's', '(+', '+'], Errors.invalidStreamId],
      [['xrange', 's', '(18446744073709551615-18446744073709551615', '+'], Errors.invalidStartInterval],
      [['xrange', 's', '-', '(0-0'], Errors.invalidEndInterval],
      [['xread', 'count', '1', 'streams', 's'], Errors.xreadUnbalanced],
      [['xread', 'group', 'g', 'c', 'streams', 's', '0'], Errors.xreadGroupOption],
      [['xread', 'noack', 'streams', 's', '0'], Errors.xreadNoackOption],
      [['xread', 'streams', 's', '>'], Errors.xreadGreaterThan],
      [['xreadgroup', 'count', '1', 'count', '1', 'streams', 's', '>'], Errors.xreadgroupMissingGroup],
      [['xreadgroup', 'group', 'g', 'c', 'streams', 's', '>'], Errors.noGroupRead('s', 'g')],
      [['xpending', 's', 'g'], Errors.noGroupKey('s', 'g')],
      [['xinfo', 'consumers', 's', 'g'], Errors.noGroupFor('g', 's')],
      [['xgroup', 'create', 'nokey', 'g', '0'], Errors.xgroupNeedsKey],
      [['xgroup', 'create', 's', 'g', '0', 'entriesread', '-5'], Errors.entriesReadRange],
      [['xsetid', 's', '9-9', 'entriesadded', '-1'], Errors.entriesAddedNegative],
      [['xsetid', 's', '9-9', 'maxdeletedid', '10-0'], Errors.xsetidBelowMaxDeleted],
      [['xsetid', 's', '1-0'], Errors.xsetidBelowTop],
      [['xsetid', 's', '9-9', 'entriesadded', '0'], Errors.xsetidAddedBelowLength],
    ];
    for (const [cmd, error] of cases) expect(await run(cmd), cmd.join(' ')).toEqual({ error });
    await client.xgroup('CREATE', 's', 'g', '0');
    expect(await run(['xgroup', 'create', 's', 'g', '0'])).toEqual({ error: Errors.busyGroup });
    expect(await run(['xreadgroup', 'group', 'g', 'c', 'streams', 's', '$'])).toEqual({ error: Errors.xreadgroupDollar });
    const claim: [(string | number)[], string][] = [
      [['xclaim', 's', 'g', 'c', 'x', '5-5'], Errors.xclaimMinIdle],
      [['xclaim', 's', 'g', 'c', '0', '5-5', 'WHAT'], Errors.xclaimOption('WHAT')],
      [['xclaim', 's', 'g', 'c', '0', '5-5', 'IDLE', 'x'], Errors.xclaimIdle],
      [['xclaim', 's', 'g', 'c', '0', '5-5', 'TIME', 'x'], Errors.xclaimTime],
      [['xclaim', 's', 'g', 'c', '0', '5-5', 'RETRYCOUNT', 'x'], Errors.xclaimRetryCount],
      [['xautoclaim', 's', 'g', 'c', 'x', '0'], Errors.xautoclaimMinIdle],
      [['xautoclaim', 's', 'g', 'c', '0', '0', 'COUNT', '0'], Errors.xautoclaimCount],
    ];
    for (const [cmd, error] of claim) expect(await run(cmd), cmd.join(' ')).toEqual({ error });
    await client.xsetid('full', '0-1').catch(() => undefined);
    await client.xadd('full', '18446744073709551615-18446744073709551615', 'a', '1');
    await client.xadd('seq', '5-18446744073709551615', 'a', '1');
    expect(await run(['xadd', 'seq', '5-*', 'a', '1'])).toEqual({ error: Errors.streamElementsTooLarge });
    expect(await run(['xadd', 'full', '*', 'a', '1'])).toEqual({ error: Errors.streamExhausted });
  });
});

describe('consumer groups over node-redis', () => {
  it('reads as a group, acknowledges, and recovers a crashed consumer with XAUTOCLAIM', async () => {
    const c = await nodeRedis(server.port);
    try {
      await c.xGroupCreate('jobs', 'workers', '$', { MKSTREAM: true });
      for (let i = 1; i <= 6; i++) await c.xAdd('jobs', `${i}-0`, { job: `j${i}` });
      type Read = { messages: { id: string; message: Record<string, string> }[] }[];
      const a = (await c.xReadGroup('workers', 'a', { key: 'jobs', id: '>' }, { COUNT: 3 })) as unknown as Read;
      const b = (await c.xReadGroup('workers', 'b', { key: 'jobs', id: '>' }, { COUNT: 3 })) as unknown as Read;
      expect(a[0]!.messages.map((m) => m.id)).toEqual(['1-0', '2-0', '3-0']);
      expect(b[0]!.messages.map((m) => m.message.job)).toEqual(['j4', 'j5', 'j6']);
      // a processes its jobs; b crashes with its three pending.
      expect(await c.xAck('jobs', 'workers', ['1-0', '2-0', '3-0'])).toBe(3);
      const pending = await c.xPending('jobs', 'workers');
      expect(pending.pending).toBe(3);
      expect(pending.consumers).toEqual([{ name: 'b', deliveriesCounter: 3 }]);
      const claimed = await c.xAutoClaim('jobs', 'workers', 'a', 0, '0-0', { COUNT: 10 });
      expect(claimed.nextId).toBe('0-0');
      expect(claimed.messages.map((m) => m!.id)).toEqual(['4-0', '5-0', '6-0']);
      const detail = await c.xPendingRange('jobs', 'workers', '-', '+', 10);
      expect(detail.map((p) => [p.id, p.consumer, p.deliveriesCounter])).toEqual([['4-0', 'a', 2], ['5-0', 'a', 2], ['6-0', 'a', 2]]);
      const consumers = await c.xInfoConsumers('jobs', 'workers');
      expect(consumers.map((x) => [x.name, x.pending])).toEqual([['a', 3], ['b', 0]]);
      const groups = await c.xInfoGroups('jobs');
      expect(groups[0]).toMatchObject({ name: 'workers', consumers: 2, pending: 3, 'last-delivered-id': '6-0' });
    } finally {
      await c.quit();
    }
  });
});

describe('XINFO STREAM shapes', () => {
  it('reports counters, edges, and FULL groups with consumers and PEL', async () => {
    await client.xadd('s', '1-0', 'a', '1');
    await client.xadd('s', '2-0', 'b', '2');
    await client.xadd('s', '3-0', 'c', '3');
    await client.xdel('s', '3-0');
    await client.xgroup('CREATE', 's', 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c1', 'COUNT', '1', 'STREAMS', 's', '>');
    const info = (await client.xinfo('STREAM', 's')) as unknown[];
    const map = new Map<string, unknown>();
    for (let i = 0; i < info.length; i += 2) map.set(info[i] as string, info[i + 1]);
    expect([...map.keys()]).toEqual([
      'length', 'radix-tree-keys', 'radix-tree-nodes', 'last-generated-id', 'max-deleted-entry-id', 'entries-added',
      'recorded-first-entry-id', 'groups', 'first-entry', 'last-entry',
    ]);
    expect(map.get('length')).toBe(2);
    expect(map.get('last-generated-id')).toBe('3-0');
    expect(map.get('max-deleted-entry-id')).toBe('3-0');
    expect(map.get('entries-added')).toBe(3);
    expect(map.get('first-entry')).toEqual(['1-0', ['a', '1']]);
    expect(map.get('last-entry')).toEqual(['2-0', ['b', '2']]);
    const full = (await client.xinfo('STREAM', 's', 'FULL')) as unknown[];
    expect(full.filter((_, i) => i % 2 === 0)).toEqual([
      'length', 'radix-tree-keys', 'radix-tree-nodes', 'last-generated-id', 'max-deleted-entry-id', 'entries-added',
      'recorded-first-entry-id', 'entries', 'groups',
    ]);
    const groups = full[full.indexOf('groups') + 1] as unknown[][];
    expect(groups[0]!.filter((_, i) => i % 2 === 0)).toEqual(['name', 'last-delivered-id', 'entries-read', 'lag', 'pel-count', 'pending', 'consumers']);
    const consumer = (groups[0]![13] as unknown[][])[0]!;
    expect(consumer.filter((_, i) => i % 2 === 0)).toEqual(['name', 'seen-time', 'pel-count', 'pending']);
    expect(Math.abs(Number(consumer[3]) - Date.now())).toBeLessThan(60_000);
  });
});

describe('blocking reads', () => {
  it('XREAD BLOCK waits for an XADD from another client, then for one inside MULTI', async () => {
    const reader = ioredis(server.port);
    try {
      await client.xadd('s', '1-0', 'a', '1');
      const waiting = reader.xread('BLOCK', 5000, 'STREAMS', 's', '$');
      await untilBlocked();
      await client.xadd('s', '2-0', 'b', '2');
      expect(await waiting).toEqual([['s', [['2-0', ['b', '2']]]]]);
      const again = reader.xread('BLOCK', 5000, 'STREAMS', 'other', 's', '$', '2-0');
      await untilBlocked();
      await client.multi().xadd('s', '3-0', 'c', '3').xadd('s', '4-0', 'd', '4').exec();
      expect(await again).toEqual([['s', [['3-0', ['c', '3']], ['4-0', ['d', '4']]]]]);
    } finally {
      reader.disconnect();
    }
  });

  it('times out with a null reply, and a DEL does not wake an XREAD', async () => {
    const reader = ioredis(server.port);
    try {
      const started = Date.now();
      expect(await reader.xread('BLOCK', 100, 'STREAMS', 's', '$')).toBeNull();
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      await client.xadd('s', '1-0', 'a', '1');
      const waiting = reader.xread('BLOCK', 5000, 'STREAMS', 's', '$');
      await untilBlocked();
      await client.del('s');
      await client.xadd('s', '7-0', 'z', '9');
      expect(await waiting).toEqual([['s', [['7-0', ['z', '9']]]]]);
    } finally {
      reader.disconnect();
    }
  });

  it('XREADGROUP BLOCK is served by XADD once, and fails when its stream or group goes', async () => {
    const r1 = ioredis(server.port);
    const r2 = ioredis(server.port);
    try {
      await client.xgroup('CREATE', 's', 'g', '$', 'MKSTREAM');
      const first = r1.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 5000, 'STREAMS', 's', '>');
      const second = r2.xreadgroup('GROUP', 'g', 'c2', 'COUNT', 1, 'BLOCK', 5000, 'STREAMS', 's', '>');
      await untilBlocked(2);
      await client.xadd('s', '1-0', 'a', '1');
      expect(await first).toEqual([['s', [['1-0', ['a', '1']]]]]);
      await client.xadd('s', '2-0', 'b', '2');
      expect(await second).toEqual([['s', [['2-0', ['b', '2']]]]]);
      expect((await client.xpending('s', 'g'))[0]).toBe(2);
      const gone = r1.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 5000, 'STREAMS', 's', '>').catch((e: Error) => e.message);
      await untilBlocked();
      await client.del('s');
      expect(await gone).toBe(Errors.streamKeyGone);
      await client.xgroup('CREATE', 's', 'g', '$', 'MKSTREAM');
      const destroyed = r1.xreadgroup('GROUP', 'g', 'c1', 'BLOCK', 5000, 'STREAMS', 's', '>').catch((e: Error) => e.message);
      await untilBlocked();
      await client.xgroup('DESTROY', 's', 'g');
      expect(await destroyed).toBe(Errors.blockedGroupGone);
    } finally {
      r1.disconnect();
      r2.disconnect();
    }
  });
});

describe('streams on the type-blind paths', () => {
  it('TYPE, OBJECT ENCODING, SCAN TYPE, EXPIRE, MEMORY USAGE, COPY, RENAME, MOVE, DEL', async () => {
    await client.xadd('s', '1-0', 'f', 'v');
    await client.xgroup('CREATE', 's', 'g', '0');
    await client.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');
    await client.set('str', 'x');
    expect(await client.type('s')).toBe('stream');
    expect(await client.object('ENCODING', 's')).toBe('stream');
    expect((await client.scan('0', 'TYPE', 'stream'))[1]).toEqual(['s']);
    expect(await run(['memory', 'usage', 's'])).toBeGreaterThan(100);
    expect(await client.copy('s', 'c1')).toBe(1);
    expect(await client.xrange('c1', '-', '+')).toEqual([['1-0', ['f', 'v']]]);
    expect((await client.xpending('c1', 'g'))[0]).toBe(1);
    await client.rename('c1', 'c2');
    expect(await client.xrange('c2', '-', '+')).toEqual([['1-0', ['f', 'v']]]);
    expect(await client.move('c2', 1)).toBe(1);
    await client.select(1);
    expect(await client.xrange('c2', '-', '+')).toEqual([['1-0', ['f', 'v']]]);
    await client.select(0);
    expect(await client.pexpire('s', 100_000)).toBe(1);
    expect(await client.pttl('s')).toBeGreaterThan(90_000);
    expect(await client.persist('s')).toBe(1);
    await client.xadd('d', '1-0', 'f', 'v');
    expect(await client.del('d')).toBe(1);
  });

  it('keeps a stream emptied by XDEL or XTRIM, as Redis does', async () => {
    await client.xadd('s', '1-0', 'f', 'v');
    await client.xdel('s', '1-0');
    expect(await client.exists('s')).toBe(1);
    expect(await client.xlen('s')).toBe(0);
  });

  it('SEAL ROTATE re-seals entries, each still bound to its id', async () => {
    for (let i = 1; i <= 50; i++) await client.xadd('s', `${i}-0`, 'n', String(i));
    const newId = String(await run(['seal', 'rotate']));
    let info = '';
    for (let i = 0; i < 500; i++) {
      info = String(await run(['info', 'sealkv']));
      if (info.includes('rotation_in_progress:0')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(info).toContain('rotation_in_progress:0');
    expect(info).toContain('rotation_failures:0');
    expect(info).toContain(`key_ids:${newId}`);
    const all = await client.xrange('s', '-', '+');
    expect(all.length).toBe(50);
    expect(all[49]).toEqual(['50-0', ['n', '50']]);
  });

  it('stores fields and values sealed: no plaintext in the stored entry bytes', async () => {
    await client.xadd('s', '1-0', 'marker-field-7Q', 'marker-value-7Q');
    const db = server.running.state.databases[0]!;
    const entry = db.peek(storedKey(server, 's'))!;
    expect(entry.kind).toBe(Kind.Stream);
    if (entry.kind !== Kind.Stream) return;
    const sealed = entry.log.get(1n << 64n)!;
    expect(sealed.length).toBeGreaterThan(30);
    expect(sealed.includes('marker')).toBe(false);
  });

  it('an entry moved to another id fails to open instead of answering', async () => {
    await client.xadd('s', '1-0', 'f', 'v1');
    await client.xadd('s', '2-0', 'f', 'v2');
    const db = server.running.state.databases[0]!;
    const entry = db.peek(storedKey(server, 's'))!;
    if (entry.kind !== Kind.Stream) throw new Error('not a stream');
    const one = Buffer.from(entry.log.get(1n << 64n)!);
    const two = entry.log.get(2n << 64n)!;
    if (one.length !== two.length) return;
    one.copy(two);
    expect(await run(['xrange', 's', '-', '+'])).toEqual({ error: Errors.sealOpenFailed });
  });
});

describe.skipIf(redisCliMissing)('redis-cli', () => {
  it('adds and reads entries', async () => {
    expect((await redisCli(server.port, ['XADD', 'cli', '1-1', 'k', 'v'])).trim()).toBe('1-1');
    expect((await redisCli(server.port, ['XRANGE', 'cli', '-', '+'])).trim().split('\n')).toEqual(['1-1', 'k', 'v']);
    expect((await redisCli(server.port, ['XLEN', 'cli'])).trim()).toBe('1');
  });
});
