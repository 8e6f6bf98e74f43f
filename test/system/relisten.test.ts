// CONFIG SET port and bind move the listeners at run time, as redis-server 7.0's do: the new
// address answers, connections already open carry on, a port or address that cannot be had is
// refused with Redis's words and leaves the server listening where it was (and every value of
// the command as it was). Each scenario runs on sealkv and then on a redis-server, one at a
// time (both would reach for the same ports), and both must read alike.

import { connect, createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { sealkvBesideRedis } from '../helpers/beside-redis.js';
import { freePort } from '../helpers/server.js';

/** Whether 127.0.0.1:port accepts a connection now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** PING on a new connection, or 'refused'. */
async function ping(port: number): Promise<unknown> {
  if (!(await accepts(port))) return 'refused';
  const r = ioredis(port, { retryStrategy: () => null });
  try {
    return await r.ping();
  } finally {
    r.disconnect();
  }
}

/** Something else listening on a port, for the changes that must fail. */
async function occupy(): Promise<{ port: number; close: () => void }> {
  const port = await freePort();
  const srv: Server = createServer(() => undefined);
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return { port, close: () => srv.close() };
}

/** Redis's networking unit and 'CONFIG SET rollback on apply error', observed step by step. */
async function observe(start: number): Promise<unknown[]> {
  const out: unknown[] = [];
  const call = (c: ReturnType<typeof ioredis>, ...args: string[]) => c.call(args[0]!, ...args.slice(1)).catch((e: Error) => e.message);
  const first = ioredis(start);
  const moved = await freePort();
  out.push(await call(first, 'config', 'set', 'port', String(moved)));
  out.push(await ping(moved), await accepts(start), await call(first, 'ping'));
  out.push((await call(first, 'config', 'get', 'port')) as string[]);
  out.push(String(await call(first, 'info', 'server')).includes(`tcp_port:${moved}\r\n`));
  // A port taken by someone else: refused, still on the one it had, nothing of the command kept.
  const taken = await occupy();
  const maxmemory = await call(first, 'config', 'get', 'maxmemory');
  out.push(await call(first, 'config', 'set', 'maxmemory', '10000001', 'port', String(taken.port), 'client-query-buffer-limit', '10m'));
  taken.close();
  out.push((await call(first, 'config', 'get', 'maxmemory')) as string[], maxmemory);
  out.push(await call(first, 'config', 'get', 'port'), await call(first, 'config', 'get', 'client-query-buffer-limit'), await ping(moved));
  // Addresses: one that cannot exist, then every IPv4 address on the same port, then none.
  out.push(await call(first, 'config', 'set', 'bind', '999.999.999.999'), await call(first, 'config', 'get', 'bind'), await ping(moved));
  out.push(await call(first, 'config', 'set', 'bind', '*'), await ping(moved), await call(first, 'ping'));
  out.push(await call(first, 'config', 'set', 'bind', ''), await ping(moved), await call(first, 'ping'));
  out.push(await call(first, 'config', 'set', 'bind', '127.0.0.1', 'port', String(start)), await ping(start), await accepts(moved));
  first.disconnect();
  return out.map((o) => (o === String(moved) ? 'moved' : o === String(start) ? 'start' : Array.isArray(o) ? o.map((x) => (x === String(moved) ? 'moved' : x === String(start) ? 'start' : x)) : o));
}

describe('CONFIG SET port and bind', () => {
  const run = sealkvBesideRedis();

  it('moves the listeners, keeps open connections, and refuses what cannot be had with Redis errors', async () => {
    const ours = await observe(run.sealkv.port);
    expect(ours).toEqual([
      'OK', 'PONG', false, 'PONG', ['port', 'moved'], true,
      "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
      ['maxmemory', '0'], ['maxmemory', '0'], ['port', 'moved'], ['client-query-buffer-limit', '1073741824'], 'PONG',
      "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.", ['bind', '127.0.0.1'], 'PONG',
      'OK', 'PONG', 'PONG',
      'OK', 'refused', 'PONG',
      'OK', 'PONG', false,
    ]);
    if (run.redis) expect(await observe(run.redis.port)).toEqual(ours);
  });
});
