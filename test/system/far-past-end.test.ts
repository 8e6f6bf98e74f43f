// SETRANGE / SETBIT far past a value's end (a 512 MB zero-filled gap): the chunks of the gap
// are sealed from one constant zero chunk (seal/chunked.ts sealPieces, edit), where the
// command used to make a plaintext of the value's size, fill and wipe it (3.2-4.9 s of a
// stalled event loop for SETRANGE k 536870911 x). The server's peak resident memory during the
// command shows it: the sealed value (512 MB and 29 bytes per 64 KiB chunk) and no plaintext of
// the same size beside it. For a missing key the gap is sealed on a seal worker
// (commands/values/offload.ts): another client's GET is answered before the command's reply. Replies
// are checked against redis-server's when it is installed.

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
      // Replies here are one line (+, -, :) or one bulk ($n, then n bytes and CRLF).
      for (;;) {
        const line = got.indexOf('\r\n', at);
        if (line >= 0) {
          const size = got[at] === 0x24 ? Number(got.toString('latin1', at + 1, line)) : -1;
          const end = size < 0 ? line + 2 : line + 2 + size + 2;
          if (got.length >= end) {
            at = end;
            break;
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

  it("another client's GET is answered while SETRANGE / SETBIT seal a 512 MB gap (on a seal worker)", async () => {
    const cases: { setup: string[] | null; command: string[]; bits: number; tail: string }[] = [
      { setup: null, command: ['SETRANGE', 'w', String(GAP), 'x'], bits: 4, tail: '\0x' },
      { setup: null, command: ['SETBIT', 'w', '4294967295', '1'], bits: 1, tail: '\0\x01' },
      { setup: ['SET', 'w', 'short'], command: ['SETRANGE', 'w', String(GAP), 'x'], bits: 4 + 22, tail: '\0x' },
      // A chunked value under a quarter of the new length: rewritten whole over the worker's zeros.
      { setup: ['SETRANGE', 'w', '100000', 'y'], command: ['SETRANGE', 'w', String(GAP), 'x'], bits: 4 + 5, tail: '\0x' },
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
