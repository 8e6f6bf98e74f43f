// XAUTOCLAIM / XCLAIM / XACK over a big pending entries list: each id moved or acknowledged in
// order costs about the same as reading it, not a pass over the rest of the list (each was a
// splice at the front of the old consumer's list: XAUTOCLAIM of a 200 k-entry PEL took 30 s of
// CPU and held every client, redis-server 0.7 s). Judged by the server's CPU against that of
// the XREADGROUP that delivered the same entries, not by wall-clock time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { cpuSeconds, rawConnect } from '../helpers/hostile.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const N = 200_000;

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/** Sends frames and a PING, and resolves once the PONG is back; the last 200 bytes before it. */
async function send(frames: Buffer): Promise<string> {
  const s = await rawConnect(server.port);
  let tail = '';
  await new Promise<void>((resolve) => {
    s.on('data', (d: Buffer) => {
      tail = (tail + d.toString('latin1', Math.max(0, d.length - 200))).slice(-200);
      if (tail.endsWith('+PONG\r\n')) resolve();
    });
    s.write(Buffer.concat([frames, encodeCommand(['PING'])]));
  });
  s.destroy();
  return tail.slice(0, -'+PONG\r\n'.length);
}

/** CPU seconds the server spends on `run`. */
async function cpuOf(run: () => Promise<unknown>): Promise<number> {
  const before = cpuSeconds(server.process.pid!);
  await run();
  return cpuSeconds(server.process.pid!) - before;
}

describe('a pending entries list of 200 k', () => {
  it('XAUTOCLAIM, XCLAIM and XACK of every entry cost about what delivering them did', async () => {
    const adds: Buffer[] = [];
    for (let i = 1; i <= N; i++) adds.push(encodeCommand(['XADD', 's', `${i}-0`, 'f', 'v']));
    await send(Buffer.concat(adds));
    await send(encodeCommand(['XGROUP', 'CREATE', 's', 'g', '0']));
    const deliver = await cpuOf(() => send(encodeCommand(['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', String(N), 'STREAMS', 's', '>'])));
    const autoclaim = await cpuOf(() => send(encodeCommand(['XAUTOCLAIM', 's', 'g', 'c2', '0', '0-0', 'COUNT', String(N), 'JUSTID'])));
    const ids = Array.from({ length: N }, (_, i) => `${i + 1}-0`);
    const claim = await cpuOf(() => send(encodeCommand(['XCLAIM', 's', 'g', 'c3', '0', ...ids, 'JUSTID'])));
    let acked = '';
    const ack = await cpuOf(async () => (acked = await send(encodeCommand(['XACK', 's', 'g', ...ids]))));
    expect(acked).toBe(`:${N}\r\n`);
    expect(await send(encodeCommand(['XPENDING', 's', 'g']))).toBe('*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n');
    console.log(`CPU s: XREADGROUP ${deliver}, XAUTOCLAIM ${autoclaim}, XCLAIM ${claim}, XACK ${ack}`);
    // Before: XAUTOCLAIM ~30 s and XCLAIM likewise, against ~0.5 s for XREADGROUP.
    const bound = Math.max(4 * deliver, 1);
    expect(autoclaim).toBeLessThan(bound);
    expect(claim).toBeLessThan(bound);
    expect(ack).toBeLessThan(bound);
  }, 300_000);
});
