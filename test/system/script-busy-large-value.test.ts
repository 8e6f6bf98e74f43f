// A client halfway through sending a large value when a script becomes busy. The rest of such a
// value is read from the socket straight into the parser's shared buffer (src/net/read-buffer.ts),
// so the busy script's reads (src/net/busy-read.ts) leave that connection to the event loop: its
// next read already points into the value. It is answered once the script ends, its value whole,
// where Redis would answer BUSY (README, Scripting).

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis } from '../helpers/clients.js';
import { ReplyConnection } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

const LOOP = 'local a = 0 while true do a = a + 1 end';

describe('a large value arriving while a script is busy', () => {
  let server: SpawnedServer;
  let client: Redis;

  beforeAll(async () => {
    server = await spawnServer();
    client = ioredis(server.port);
  });

  afterAll(async () => {
    client?.disconnect();
    // A failed run may leave the script looping, and SIGTERM waits for a script: SIGKILL then.
    const stopped = server?.stop();
    const timer = setTimeout(() => server?.process.kill('SIGKILL'), 3000);
    await stopped;
    clearTimeout(timer);
  });

  it('waits for the script to end, then is stored whole and answered in order', async () => {
    const [sender, caller, other] = [await ReplyConnection.open(server.port), await ReplyConnection.open(server.port), await ReplyConnection.open(server.port)];
    expect(await other.send(['CONFIG', 'SET', 'busy-reply-threshold', '50'])).toBe('+OK\r\n');
    const value = randomBytes(1 << 20);
    const frame = Buffer.concat([encodeCommand(['SET', 'big', value]), encodeCommand(['PING'])]);
    // The first 200 KB: the value's buffer is taken and the socket reads into it from here.
    expect(await sender.sendRaw(frame.subarray(0, 200_000), 300)).toBe('<timeout>');
    const killed = caller.send(['EVAL', LOOP, '0'], 10_000);
    let busy = '';
    for (let i = 0; i < 100 && !busy.startsWith('-BUSY'); i++) busy = await other.send(['PING'], 10_000);
    expect(busy).toMatch(/^-BUSY/);
    expect(await sender.sendRaw(frame.subarray(200_000), 500)).toBe('<timeout>');
    expect(await other.send(['SCRIPT', 'KILL'])).toBe('+OK\r\n');
    expect(await killed).toMatch(/^-ERR .*killed/i);
    expect(await sender.sendRaw(Buffer.alloc(0))).toBe('+OK\r\n');
    expect(await sender.sendRaw(Buffer.alloc(0))).toBe('+PONG\r\n');
    expect((await client.getBuffer('big'))!.equals(value)).toBe(true);
    for (const c of [sender, caller, other]) c.close();
  }, 30_000);
});
