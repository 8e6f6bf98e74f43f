// Hostile peers beside redis-server 7.0 (skipped when it is not installed): what a connection
// that is not a well-behaved Redis client gets, and that it gets the same as from Redis.
//   - an HTTP request on the RESP port (a browser made to post to it: cross-protocol
//     scripting) is closed at its `POST` or `Host:` line, unanswered, with Redis's warning;
//   - at maxclients, a refused peer gets Redis's error and is closed at once: one that never
//     reads nor closes holds no descriptor, one that resets at once does not crash the server;
//   - a client (or subscriber) left above its soft output limit for soft-seconds is closed even
//     when nothing more is sent to it, as Redis's clientsCron does.

import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { collectUntilClosed, rawConnect, sideBySide, sleep, type Target } from '../helpers/hostile.js';

const openFiles = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Sends `data` and returns what came back and whether the server closed within 3 s. */
async function sendAndWatch(port: number, data: string): Promise<{ reply: string; closed: boolean }> {
  const s = await rawConnect(port);
  const got = collectUntilClosed(s);
  s.write(data);
  const closed = await Promise.race([got.then(() => true), sleep(3000).then(() => false)]);
  s.destroy();
  return { reply: (await got).toString('latin1'), closed };
}

describe('an HTTP request on the RESP port', () => {
  const run = sideBySide();
  const targets = (): Target[] => [run.ours, ...(run.theirs ? [run.theirs] : [])];

  it('is closed at its POST or Host: line without an answer, as by Redis', async () => {
    const requests = {
      post: 'POST /x HTTP/1.1\r\nHost: victim\r\nContent-Length: 12\r\n\r\nFLUSHALL\r\n\r\n',
      get: 'GET / HTTP/1.1\r\nHost: victim\r\n\r\n',
      // The replies of commands before it in the same read are not sent either.
      afterPing: 'PING\r\nhOsT: victim\r\nPING\r\n',
      multibulk: '*2\r\n$4\r\npost\r\n$1\r\n/\r\n',
    };
    for (const t of targets()) {
      for (const [name, data] of Object.entries(requests)) {
        expect({ server: t.name, name, ...(await sendAndWatch(t.port, data)) }).toEqual({ server: t.name, name, reply: '', closed: true });
      }
      // Names that merely look alike are unknown commands, the connection stays.
      const alike = await sendAndWatch(t.port, 'HOST x\r\nPOSTS\r\nPING\r\n');
      expect({ server: t.name, ...alike }).toEqual({
        server: t.name,
        reply: "-ERR unknown command 'HOST', with args beginning with: 'x' \r\n-ERR unknown command 'POSTS', with args beginning with: \r\n+PONG\r\n",
        closed: false,
      });
    }
    expect(await run.server.waitForOutput('Possible SECURITY ATTACK detected')).toBe(true);
    // Once a minute at most.
    expect(run.server.output().split('Possible SECURITY ATTACK').length - 1).toBe(1);
  });
});

describe('connections past maxclients', () => {
  const run = sideBySide();
  const targets = (): Target[] => [run.ours, ...(run.theirs ? [run.theirs] : [])];

  it('are refused with Redis\'s error and closed at once, silent or reset, and the server stays up', async () => {
    for (const t of targets()) {
      const control = await rawConnect(t.port);
      let controlGot = '';
      control.on('data', (d) => (controlGot += d.toString('latin1')));
      control.write('CONFIG SET maxclients 3\r\n');
      await sleep(100);
      const held = [await rawConnect(t.port), await rawConnect(t.port)];
      try {
        const refused = await sendAndWatch(t.port, 'PING\r\n');
        expect({ server: t.name, ...refused }).toEqual({ server: t.name, reply: '-ERR max number of clients reached\r\n', closed: true });
        // 200 peers that neither read nor close: each refused connection is closed by the server.
        const before = openFiles(t.pid);
        const silent = await Promise.all(Array.from({ length: 200 }, () => rawConnect(t.port)));
        for (const s of silent) s.pause();
        await sleep(500);
        const held200 = openFiles(t.pid) - before;
        for (const s of silent) s.destroy();
        expect(held200, `${t.name} kept descriptors of refused connections`).toBeLessThan(20);
        // 2,000 peers that reset as soon as they are connected, before the refusal is written.
        for (let i = 0; i < 2000; i++) {
          const s = connect({ port: t.port, host: '127.0.0.1' });
          s.on('error', () => undefined);
          s.on('connect', () => s.resetAndDestroy());
          if (i % 50 === 49) await sleep(5);
        }
        await sleep(500);
        control.write('PING\r\n');
        for (let i = 0; i < 100 && !controlGot.endsWith('+PONG\r\n'); i++) await sleep(20);
        expect({ server: t.name, controlGot }).toEqual({ server: t.name, controlGot: '+OK\r\n+PONG\r\n' });
      } finally {
        for (const s of held) s.destroy();
        control.write('CONFIG SET maxclients 10000\r\n');
        await sleep(100);
        control.destroy();
      }
    }
    expect(run.server.process.exitCode).toBe(null);
  });
});

/** The id of a fresh connection, which then stops reading (its socket is paused). */
async function silentClient(port: number): Promise<{ id: string; socket: Awaited<ReturnType<typeof rawConnect>> }> {
  const socket = await rawConnect(port);
  const id = await new Promise<string>((resolve) => {
    socket.once('data', (d) => resolve(/:(\d+)/.exec(d.toString('latin1'))![1]!));
    socket.write('CLIENT ID\r\n');
  });
  socket.pause();
  return { id, socket };
}

/** Sends one command line on a connection of its own and returns the first reply bytes. */
async function ask(port: number, line: string): Promise<string> {
  const s = await rawConnect(port);
  const reply = new Promise<string>((resolve) => s.once('data', (d) => resolve(d.toString('latin1'))));
  s.write(line);
  const out = await reply;
  s.destroy();
  return out;
}

/** Sends `lines` and a PING on a connection of its own and waits for the PONG: everything before it has run. */
async function untilPong(port: number, lines: string): Promise<void> {
  const s = await rawConnect(port);
  let got = '';
  const done = new Promise<void>((resolve) =>
    s.on('data', (d) => {
      got = (got + d.toString('latin1')).slice(-16);
      if (got.endsWith('+PONG\r\n')) resolve();
    }),
  );
  s.write(lines + 'PING\r\n');
  await done;
  s.destroy();
}

/** Polls for up to 8 s whether the client is gone from CLIENT LIST; true once it is. */
async function closedSoon(port: number, id: string): Promise<boolean> {
  for (let i = 0; i < 80; i++) {
    if (!(await ask(port, `CLIENT LIST ID ${id}\r\n`)).includes(`id=${id} `)) return true;
    await sleep(100);
  }
  return false;
}

describe('a client left above its soft output limit', () => {
  const run = sideBySide();
  const targets = (): Target[] => [run.ours, ...(run.theirs ? [run.theirs] : [])];
  const value = 'v'.repeat(64 * 1024);

  it('is closed after soft-seconds though nothing more is sent to it (normal and pubsub classes)', async () => {
    for (const t of targets()) {
      await ask(t.port, `CONFIG SET client-output-buffer-limit "normal 0 256kb 1 pubsub 0 256kb 1"\r\n`);
      await ask(t.port, `SET v ${value}\r\n`);
      try {
        // 200 GETs of 64 KiB (12.5 MiB) sent at once and never read: over the soft limit, then idle.
        const reader = await silentClient(t.port);
        reader.socket.write('GET v\r\n'.repeat(200));
        // A subscriber sent 12.5 MiB of messages at once, then nothing.
        const subscriber = await silentClient(t.port);
        subscriber.socket.write('SUBSCRIBE ch\r\n');
        await sleep(100);
        await untilPong(t.port, `PUBLISH ch ${value}\r\n`.repeat(200));
        const [readerClosed, subscriberClosed] = await Promise.all([closedSoon(t.port, reader.id), closedSoon(t.port, subscriber.id)]);
        expect({ server: t.name, reader: readerClosed, subscriber: subscriberClosed }).toEqual({
          server: t.name,
          reader: true,
          subscriber: true,
        });
        reader.socket.destroy();
        subscriber.socket.destroy();
      } finally {
        await ask(t.port, `CONFIG SET client-output-buffer-limit "normal 0 0 0 pubsub 32mb 8mb 60"\r\n`);
      }
    }
  }, 90_000);
});
