// A primary's shutdown waits for its replicas, as Redis 7.0's does (shutdown-timeout; found by
// Redis's integration/shutdown unit): SHUTDOWN or SIGTERM with a replica behind holds writes,
// blocks the SHUTDOWN callers and goes down once the replica has acknowledged everything, or
// when shutdown-timeout runs out; SHUTDOWN ABORT cancels it; SHUTDOWN NOW does not wait. The
// replica is made to lag by a relay that holds what the primary sends it (its ACKs still pass).

import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, redisCli } from '../helpers/clients.js';
import { type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, TcpRelay, waitFor } from '../helpers/replication.js';

const host = '127.0.0.1';
const started: SpawnedServer[] = [];
const relays: TcpRelay[] = [];

afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/** A primary (with `args`) and a replica reached through a relay; k is 1 on both. */
async function pair(args: string[]): Promise<{ primary: SpawnedServer; replica: SpawnedServer; relay: TcpRelay }> {
  const key = newMasterKey();
  const primary = await startNode(key, args);
  started.push(primary);
  const relay = await new TcpRelay({ host, port: primary.port }).start();
  relays.push(relay);
  const replica = await startNode(key, [], { host, port: relay.port });
  started.push(replica);
  await linkUp(replica.port);
  await redisCli(primary.port, ['set', 'k', '1']);
  await waitFor('k on the replica', async () => (await redisCli(replica.port, ['get', 'k'])).trim() === '1');
  return { primary, replica, relay };
}

/** A connection that sent `args` and collects what comes back until it closes. */
function send(port: number, args: string[]): { socket: Socket; got: () => string; closed: Promise<void> } {
  const socket = connect(port, host);
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(encodeCommand(args));
  return { socket, got: () => got, closed };
}

const exited = (s: SpawnedServer) =>
  s.process.exitCode !== null ? Promise.resolve(s.process.exitCode) : new Promise<number | null>((r) => s.process.once('exit', (c) => r(c)));

describe('a primary shutting down waits for its replicas', () => {
  it('SHUTDOWN blocks until the lagging replica has the last write, holding writes meanwhile', async () => {
    const { primary, replica, relay } = await pair(['--shutdown-timeout', '60']);
    relay.hold();
    await redisCli(primary.port, ['incr', 'k']);
    const caller = send(primary.port, ['SHUTDOWN']);
    await waitFor('the shutdown to wait', async () => Number((await info(primary.port, 'server')).shutdown_in_milliseconds ?? 0) > 0);
    expect((await info(primary.port, 'clients')).blocked_clients).toBe('1');
    // A write waits with the shutdown (Redis pauses writes); a read is answered.
    const writer = send(primary.port, ['SET', 'late', 'x']);
    expect((await redisCli(primary.port, ['get', 'k'])).trim()).toBe('2');
    await new Promise((r) => setTimeout(r, 300));
    expect(writer.got()).toBe('');
    expect(caller.got()).toBe('');
    relay.release();
    expect(await exited(primary)).toBe(0);
    expect((await redisCli(replica.port, ['get', 'k'])).trim()).toBe('2');
    expect(primary.output()).toContain('Waiting for replicas before shutting down.');
    expect(primary.output()).toContain('1 of 1 replicas are in sync when shutting down.');
    expect(primary.output()).not.toContain('Lagging replica');
    await caller.closed;
    expect(caller.got()).toBe('');
  }, 30000);

  it('SIGTERM waits no longer than shutdown-timeout, then says which replica lagged', async () => {
    const { primary, relay } = await pair(['--shutdown-timeout', '1']);
    relay.hold();
    await redisCli(primary.port, ['incr', 'k']);
    const t0 = Date.now();
    primary.process.kill('SIGTERM');
    await waitFor('the shutdown to wait', async () => Number((await info(primary.port, 'server')).shutdown_in_milliseconds ?? 0) > 0);
    expect(await exited(primary)).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(primary.output()).toMatch(/Lagging replica 127\.0\.0\.1:\d+ reported offset \d+ behind master, lag=\d+, state=online\./);
    expect(primary.output()).toContain('0 of 1 replicas are in sync when shutting down.');
  }, 30000);

  it('SHUTDOWN ABORT ends the wait: every blocked caller gets the error and writes go on', async () => {
    const { primary, relay } = await pair(['--shutdown-timeout', '60']);
    expect(await redisCli(primary.port, ['shutdown', 'abort'])).toContain('No shutdown in progress.');
    relay.hold();
    await redisCli(primary.port, ['incr', 'k']);
    const first = send(primary.port, ['SHUTDOWN']);
    const second = send(primary.port, ['SHUTDOWN', 'NOSAVE']);
    await waitFor('two blocked callers', async () => (await info(primary.port, 'clients')).blocked_clients === '2');
    const writer = send(primary.port, ['SET', 'late', 'x']);
    expect((await redisCli(primary.port, ['shutdown', 'abort'])).trim()).toBe('OK');
    await waitFor('the callers to be answered', () => first.got() !== '' && second.got() !== '' && writer.got() !== '');
    expect(first.got()).toBe('-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    expect(second.got()).toBe('-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    expect(writer.got()).toBe('+OK\r\n');
    expect(await primary.waitForOutput('Shutdown manually aborted.')).toBe(true);
    expect((await info(primary.port, 'server')).shutdown_in_milliseconds).toBeUndefined();
    expect((await redisCli(primary.port, ['incr', 'k'])).trim()).toBe('3');
    for (const c of [first, second, writer]) c.socket.destroy();
  }, 30000);

  it('SHUTDOWN NOW does not wait', async () => {
    const { primary, relay } = await pair(['--shutdown-timeout', '60']);
    relay.hold();
    await redisCli(primary.port, ['incr', 'k']);
    send(primary.port, ['SHUTDOWN', 'NOW']);
    expect(await exited(primary)).toBe(0);
    expect(primary.output()).not.toContain('Waiting for replicas');
    expect(primary.output()).toContain('0 of 1 replicas are in sync when shutting down.');
  }, 30000);

  it('INFO memory shows the replication buffers', async () => {
    const { primary } = await pair([]);
    const mem = await info(primary.port, 'memory');
    const backlog = Number(mem.mem_replication_backlog);
    expect(backlog).toBeGreaterThan(0);
    expect(Number(mem.mem_total_replication_buffers)).toBeGreaterThanOrEqual(backlog);
  }, 30000);
});
