// SETRANGE / SETBIT far past a value's end (a 512 MB zero-filled gap): the chunks of the gap
// are sealed from one constant zero chunk (seal/chunked.ts sealPieces, edit), where the
// command used to make a plaintext of the value's size, fill and wipe it (3.2-4.9 s of a
// stalled event loop for SETRANGE k 536870911 x). The server's peak resident memory during the
// command shows it: the sealed value (512 MB and 29 bytes per 64 KiB chunk) and no plaintext of
// the same size beside it. For a missing key the gap is sealed on a seal worker
// (commands/values/offload.ts): another client's GET is answered before the command's reply. BITFIELD
// runs its fields on small segments and seals them over zeros the same way. Replies are checked
// against redis-server's when it is installed.

import { writeFileSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { MB, hasRedisServer, rawConnect, sleep, startRedis, type ReferenceRedis } from '../helpers/hostile.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const GAP = 536_870_911;
/** A 512 MB value plus what a plaintext copy of it would add: anything near 1 GB fails. */
const PEAK_BOUND = 768 * MB;

let server: SpawnedServer;
let redis: ReferenceRedis | null = null;
beforeAll(async () => {
  server = await spawnServer();
  if (hasRedisServer) redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await redis?.stop();
});

/** Peak resident memory growth while `run` goes on (the peak is reset first: clear_refs 5). */
async function peakGrowth(pid: number, run: () => Promise<unknown>): Promise<number> {
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1]) * 1024;
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = kb('VmRSS');
  await run();
  return kb('VmHWM') - before;
}

/** Sends the commands one by one on a new connection, each after the previous reply; their replies as sent. */
async function exchange(port: number, ...commands: string[][]): Promise<string> {
  const socket = await rawConnect(port);
  let got = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    got = Buffer.concat([got, d]);
    wake?.();
  });
  let at = 0;
  try {
    for (const c of commands) {
      socket.write(encodeCommand(c));
      // Replies here are one line (+, -, :), one bulk ($n, then n bytes and CRLF), or an array
      // of those (BITFIELD).
      for (let left = 1; left > 0; ) {
        const line = got.indexOf('\r\n', at);
        if (line >= 0) {
          const size = got[at] === 0x24 ? Number(got.toString('latin1', at + 1, line)) : -1;
          const end = size < 0 ? line + 2 : line + 2 + size + 2;
          if (got.length >= end) {
            left += got[at] === 0x2a ? Number(got.toString('latin1', at + 1, line)) - 1 : -1;
            at = end;
            continue;
          }
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    socket.destroy();
  }
  return got.toString('latin1', 0, at);
}

describe('zero-filled gaps far past the end', () => {
  it('BITFIELD far past the end makes no plaintext of the value and answers as redis-server', async () => {
    const pid = server.process.pid!;
    const commands = [
      ['BITFIELD', 'f', 'SET', 'u8', '4294967288', '255', 'GET', 'u8', '4294967288', 'INCRBY', 'i16', '#3', '-5', 'GET', 'u4', '100', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '4294967200', '7'],
      ['STRLEN', 'f'], ['BITCOUNT', 'f'], ['GETRANGE', 'f', '0', '10'], ['GETRANGE', 'f', '-2', '-1'],
      ['SET', 'g', 'abcdefgh'], ['EXPIRE', 'g', '1000'],
      ['BITFIELD', 'g', 'INCRBY', 'i64', '4294967232', '1', 'GET', 'u8', '0', 'SET', 'u8', '8', '65', 'GET', 'u16', '4294967224', 'SET', 'i8', '4294967224', '-1'],
      ['GETRANGE', 'g', '0', '10'], ['STRLEN', 'g'], ['BITCOUNT', 'g'], ['BITFIELD', 'g', 'GET', 'u8', '536870903', 'GET', 'i64', '4294967232'],
      ['DEL', 'f', 'g'],
    ];
    let first = '';
    const growth = await peakGrowth(pid, async () => (first = await exchange(server.port, commands[0]!)));
    // Before: a plaintext of 512 MB beside the sealed value (~1 GB).
    expect(growth).toBeLessThan(PEAK_BOUND);
    const got = first + (await exchange(server.port, ...commands.slice(1)));
    expect(got).toContain(`*5\r\n:0\r\n:255\r\n:-5\r\n:0\r\n$-1\r\n:${GAP + 1}\r\n:23\r\n`);
    if (redis !== null) expect(got).toBe(await exchange(redis.port, ...commands));
  }, 120_000);

  it('SETRANGE k 536870911 x makes no plaintext of the value', async () => {
    const pid = server.process.pid!;
    let reply = '';
    const growth = await peakGrowth(pid, async () => (reply = await exchange(server.port, ['SETRANGE', 'k', String(GAP), 'x'])));
    expect(reply).toBe(`:${GAP + 1}\r\n`);
    expect(growth).toBeLessThan(PEAK_BOUND);
    const check = [['STRLEN', 'k'], ['GETRANGE', 'k', String(GAP - 3), '-1'], ['GETRANGE', 'k', '65534', '65537'], ['BITCOUNT', 'k']];
    const got = await exchange(server.port, ...check);
    expect(got).toBe(`:${GAP + 1}\r\n$4\r\n\0\0\0x\r\n$4\r\n\0\0\0\0\r\n:4\r\n`);
    if (redis !== null) expect(await exchange(redis.port, ['SETRANGE', 'k', String(GAP), 'x'], ...check, ['DEL', 'k'])).toBe(`${reply}${got}:1\r\n`);
    await exchange(server.port, ['DEL', 'k']);
  }, 120_000);

  it("another client's GET is answered while SETRANGE / SETBIT / BITFIELD seal a 512 MB gap (on a seal worker)", async () => {
    const cases: { setup: string[] | null; command: string[]; bits: number; tail: string }[] = [
      { setup: null, command: ['SETRANGE', 'w', String(GAP), 'x'], bits: 4, tail: '\0x' },
      { setup: null, command: ['SETBIT', 'w', '4294967295', '1'], bits: 1, tail: '\0\x01' },
      { setup: ['SET', 'w', 'short'], command: ['SETRANGE', 'w', String(GAP), 'x'], bits: 4 + 22, tail: '\0x' },
      // A chunked value under a quarter of the new length: rewritten whole over the worker's zeros.
      { setup: ['SETRANGE', 'w', '100000', 'y'], command: ['SETRANGE', 'w', String(GAP), 'x'], bits: 4 + 5, tail: '\0x' },
      // BITFIELD filled and sealed a plaintext of the new length on the event loop (0.8-17 s).
      { setup: null, command: ['BITFIELD', 'w', 'SET', 'u8', '4294967288', '255'], bits: 8, tail: '\0\xff' },
      { setup: ['SET', 'w', 'short'], command: ['BITFIELD', 'w', 'GET', 'u8', '0', 'INCRBY', 'i64', '#67108863', '1'], bits: 22 + 1, tail: '\0\x01' },
    ];
    for (const { setup, command, bits, tail } of cases) {
      if (setup !== null) await exchange(server.port, setup);
      const writer = await rawConnect(server.port);
      const reader = await rawConnect(server.port);
      const order: string[] = [];
      const wrote = new Promise<void>((resolve) => writer.once('data', () => resolve(void order.push('write'))));
      writer.write(encodeCommand(command));
      // Time for the server to read the write first; the gap's AEAD takes hundreds of ms more.
      await sleep(50);
      const read = new Promise<void>((resolve) => reader.once('data', () => resolve(void order.push('get'))));
      reader.write(encodeCommand(['GET', 'other']));
      await Promise.all([wrote, read]);
      expect(order).toEqual(['get', 'write']);
      writer.destroy();
      reader.destroy();
      expect(await exchange(server.port, ['STRLEN', 'w'], ['GETRANGE', 'w', '-2', '-1'], ['BITCOUNT', 'w'], ['DEL', 'w'])).toBe(
        `:${GAP + 1}\r\n$2\r\n${tail}\r\n:${bits}\r\n:1\r\n`,
      );
    }
  }, 120_000);

  it("another client's GET is answered while an EXEC's far SETRANGE has its zeros sealed (on a seal worker)", async () => {
    const writer = await rawConnect(server.port);
    const reader = await rawConnect(server.port);
    let got = '';
    const queued = new Promise<void>((resolve) => {
      const seen = (d: Buffer) => {
        got += d.toString('latin1');
        if (got === '+OK\r\n+QUEUED\r\n+QUEUED\r\n') resolve(void writer.off('data', seen));
      };
      writer.on('data', seen);
    });
    writer.write(Buffer.concat([encodeCommand(['MULTI']), encodeCommand(['SETRANGE', 'w', String(GAP), 'x']), encodeCommand(['STRLEN', 'w'])]));
    await queued;
    const order: string[] = [];
    const ran = new Promise<void>((resolve) => writer.once('data', (d: Buffer) => resolve(void order.push(`exec ${d.toString('latin1')}`))));
    writer.write(encodeCommand(['EXEC']));
    // Before: EXEC sealed the 512 MB gap on the event loop, holding every client (0.6-0.8 s CPU).
    await sleep(50);
    const read = new Promise<void>((resolve) => reader.once('data', () => resolve(void order.push('get'))));
    reader.write(encodeCommand(['GET', 'other']));
    await Promise.all([ran, read]);
    expect(order).toEqual(['get', `exec *2\r\n:${GAP + 1}\r\n:${GAP + 1}\r\n`]);
    writer.destroy();
    reader.destroy();
    expect(await exchange(server.port, ['GETRANGE', 'w', '-2', '-1'], ['BITCOUNT', 'w'], ['DEL', 'w'])).toBe('$2\r\n\0x\r\n:4\r\n:1\r\n');
  }, 120_000);

  it('a few bytes written into a 512 MB value a seal worker made are sealed in place, not copied whole', async () => {
    const pid = server.process.pid!;
    await exchange(server.port, ['SETRANGE', 'z', String(GAP), 'x']);
    let reply = '';
    // Before: the value, in the worker's shared memory, was copied whole first (1.3-1.8 s, +512 MB).
    const growth = await peakGrowth(pid, async () => (reply = await exchange(server.port, ['SETRANGE', 'z', '300000000', 'abcd'])));
    expect(reply).toBe(`:${GAP + 1}\r\n`);
    expect(growth).toBeLessThan(64 * MB);
    expect(await exchange(server.port, ['GETRANGE', 'z', '299999999', '300000004'], ['BITCOUNT', 'z'], ['DEL', 'z'])).toBe('$6\r\n\0abcd\0\r\n:17\r\n:1\r\n');
  }, 120_000);

  it('SETRANGE and SETBIT past the end of a short value keep its bytes', async () => {
    const pid = server.process.pid!;
    const check = [['GETRANGE', 's', '0', '5'], ['STRLEN', 's'], ['BITCOUNT', 's'], ['GETRANGE', 's', '-2', '-1']];
    const commands = [['SET', 's', 'short'], ['SETRANGE', 's', String(GAP - 1), 'yz'], ...check, ['SET', 'b', 'ab'], ['SETBIT', 'b', '4294967295', '1'], ['BITCOUNT', 'b'], ['STRLEN', 'b'], ['DEL', 's', 'b']];
    let got = '';
    const growth = await peakGrowth(pid, async () => (got = await exchange(server.port, ...commands)));
    // Two 512 MB values, one after the other (the first is deleted only at the end).
    expect(growth).toBeLessThan(512 * MB + PEAK_BOUND);
    if (redis !== null) expect(got).toBe(await exchange(redis.port, ...commands));
    expect(got.startsWith(`+OK\r\n:${GAP + 1}\r\n$6\r\nshort\0\r\n:${GAP + 1}\r\n`)).toBe(true);
  }, 120_000);
});
