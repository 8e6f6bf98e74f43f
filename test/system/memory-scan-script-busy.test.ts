// What other clients send while a script is busy is read without the event loop (net/busy-read.ts)
// into a buffer of its own: values in requests refused with BUSY, and a request that arrives half
// during the script and half after it, must leave no plaintext once handled. The client name is
// the control: sealkv keeps it in plaintext on purpose, so finding it shows the scan saw the heap.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/clients.js';
import { expectNoPlaintext, makeMarkers } from '../helpers/memory-scan.js';
import { ReplyConnection } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

describe('memory scan: requests read while a script is busy', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    // A script left busy by a failed assertion would hold off SIGTERM: make sure it goes.
    const pid = server?.process.pid;
    const stopped = server?.stop();
    const timer = setTimeout(() => pid !== undefined && process.kill(pid, 'SIGKILL'), 3000);
    await stopped;
    clearTimeout(timer);
  });

  it('values refused with BUSY and a request split across the script leave no plaintext', async () => {
    const markers = makeMarkers(101, 'SKVBUSY-');
    const m = markers.map((b) => b.toString('latin1'));
    const control = makeMarkers(1, 'SKVBUSYNAME-')[0]!;
    // Every connection is made before the script: a busy server accepts none.
    const caller = await ReplyConnection.open(server.port);
    const other = await ReplyConnection.open(server.port);
    const killer = await ReplyConnection.open(server.port);
    expect(await other.send(['CLIENT', 'SETNAME', control.toString('latin1')])).toBe('+OK\r\n');
    expect(await other.send(['CONFIG', 'SET', 'busy-reply-threshold', '50'])).toBe('+OK\r\n');
    const script = caller.send(['EVAL', 'local a = 0 while true do a = a + 1 end', '0'], 15_000);
    // The Lua VM loads with the first script (asynchronously): PINGs are answered until it runs.
    let reply = '';
    for (const until = Date.now() + 20_000; Date.now() < until && !reply.startsWith('-BUSY'); ) {
      reply = await other.send(['PING'], 10_000);
      if (!reply.startsWith('-BUSY')) await new Promise((r) => setTimeout(r, 10));
    }
    expect(reply).toMatch(/^-BUSY/);
    // 100 writes in one pipeline, all refused.
    const sets = Buffer.concat(m.slice(0, 100).map((v, i) => encodeCommand(['SET', `k:${i}`, v])));
    expect(await other.sendRaw(sets)).toMatch(/^-BUSY/);
    for (let i = 1; i < 100; i++) expect(await other.sendRaw(Buffer.alloc(0))).toMatch(/^-BUSY/);
    // Half a SET now (its value cut in the middle), the rest once the script is over.
    const split = encodeCommand(['SET', 'half', m[100]!]);
    const cut = split.indexOf(markers[100]!) + 10;
    expect(await other.sendRaw(split.subarray(0, cut), 300)).toBe('<timeout>');
    expect(await killer.send(['SCRIPT', 'KILL'])).toBe('+OK\r\n');
    expect(await script).toContain('Script killed by user');
    expect(await other.sendRaw(split.subarray(cut), 10_000)).toBe('+OK\r\n');
    expect(await other.send(['GET', 'half'])).toBe(`$${m[100]!.length}\r\n${m[100]}\r\n`);
    expect(await other.send(['DEL', 'half'])).toBe(':1\r\n');
    expect(await other.send(['DBSIZE'])).toBe(':0\r\n');
    for (const c of [caller, other, killer]) c.close();
    // The collection that zeroes what scripts left runs within 100 ms of the last one.
    await new Promise((r) => setTimeout(r, 500));
    expectNoPlaintext(server.process.pid!, markers, { marker: control, what: 'the client name' });
  }, 60_000);
});

