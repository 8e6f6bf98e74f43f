// used_memory as Redis's own units read it: what maxmemory is compared with, moving only as data
// and connections' buffers do; connections' memory (query buffer, unsent replies, MULTI queue,
// watched keys, subscriptions) counted in it and in CLIENT LIST tot-mem; client eviction
// (maxmemory-clients, CLIENT NO-EVICT); a pipeline past the hard output limit answered with
// nothing. Each scenario runs on sealkv (the built server) and, where Debian's redis-server is
// installed, on redis-server 7 beside it, with the same expectations.

import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis } from '../helpers/clients.js';
import { sealkvBesideRedis, sleep, until } from '../helpers/beside-redis.js';

const servers = sealkvBesideRedis();

/** Both servers as [name, port] pairs (redis-server only where installed). */
function targets(): [string, number][] {
  const out: [string, number][] = [['sealkv', servers.sealkv.port]];
  if (servers.redis !== undefined) out.push(['redis-server', servers.redis.port]);
  return out;
}

const opened: (Redis | Socket)[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) {
    if (c instanceof Redis) c.disconnect();
    else c.destroy();
  }
  // Back to defaults for the next scenario.
  for (const [, port] of targets()) {
    const r = client(port);
    await r.config('SET', 'maxmemory', '0');
    await r.config('SET', 'maxmemory-policy', 'noeviction');
    await r.config('SET', 'maxmemory-clients', '0');
    await r.config('SET', 'client-output-buffer-limit', 'normal 0 0 0');
    await r.flushall();
    await r.config('RESETSTAT');
    r.disconnect();
  }
});

/** An ioredis client; `once`: no reconnecting, so a connection the server closes stays closed. */
function client(port: number, once = false): Redis {
  const r = ioredis(port, once ? { retryStrategy: () => null, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 } : {});
  r.on('error', () => {});
  opened.push(r);
  return r;
}

function raw(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => {});
    s.once('error', reject);
    opened.push(s);
  });
}

async function info(r: Redis, field: string): Promise<number> {
  const text = await r.info();
  const m = new RegExp(`\\r\\n${field}:(\\d+)`).exec(text);
  if (m === null) throw new Error(`INFO has no ${field}`);
  return Number(m[1]);
}

/** A CLIENT LIST field of the connection named `name`, or undefined when it is gone. */
async function clientField(r: Redis, name: string, field: string): Promise<number | undefined> {
  const list = (await r.client('LIST')) as string;
  const line = list.split('\n').find((l) => l.includes(` name=${name} `));
  if (line === undefined) return undefined;
  return Number(new RegExp(` ${field}=(\\d+)`).exec(line)![1]);
}

async function named(port: number, name: string): Promise<Socket> {
  const s = await raw(port);
  s.write(encodeCommand(['CLIENT', 'SETNAME', name]));
  return s;
}

describe.each(['allkeys-lru', 'allkeys-random', 'volatile-ttl', 'volatile-lfu'])('maxmemory used_memory+100k, policy %s', (policy) => {
  it('keys are evicted and used_memory stays under the limit + 4 KiB (redis maxmemory.tcl)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      const used = await info(r, 'used_memory');
      const limit = used + 100 * 1024;
      await r.config('SET', 'maxmemory', String(limit));
      await r.config('SET', 'maxmemory-policy', policy);
      let n = 0;
      for (;;) {
        await r.setex(`key:${n++}`, 10_000, 'x');
        if ((await info(r, 'used_memory')) + 4096 > limit) break;
      }
      expect(n, name).toBeGreaterThan(10);
      for (let i = 0; i < n; i++) await r.setex(`more:${i}`, 10_000, 'x');
      expect(await info(r, 'used_memory'), name).toBeLessThan(limit + 4096);
      expect(await info(r, 'evicted_keys'), name).toBeGreaterThan(0);
    }
  });
});

describe('memory held by connections', { timeout: 60_000 }, () => {
  it('noeviction: writes past used_memory+100k are refused with the OOM error', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.config('SET', 'maxmemory', String((await info(r, 'used_memory')) + 100 * 1024));
      let error = '';
      for (let i = 0; i < 20_000 && error === ''; i++) await r.set(`key:${i}`, 'x').catch((e: Error) => (error = e.message));
      expect(error, name).toBe("OOM command not allowed when used memory > 'maxmemory'.");
    }
  });

  it('a half-received command counts in used_memory, tot-mem and client_recent_max_input_buffer', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      const before = await info(r, 'used_memory');
      const s = await named(port, 'halfway');
      s.write(`*2\r\n$3\r\nSET\r\n$500000\r\n${'v'.repeat(300_000)}`);
      await until(async () => ((await clientField(r, 'halfway', 'qbuf')) ?? 0) >= 300_000, `${name}: qbuf`);
      expect(await info(r, 'used_memory'), name).toBeGreaterThan(before + 300_000);
      expect(await clientField(r, 'halfway', 'tot-mem'), name).toBeGreaterThan(300_000);
      // Redis samples it on its cron, about once a second per connection.
      await until(async () => (await info(r, 'client_recent_max_input_buffer')) >= 300_000, `${name}: recent max input`, 3000);
    }
  });

  it("a large bulk counts its whole buffer once its header came, as Redis sizes its query buffer for it", async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      const s = await named(port, 'header');
      s.write(`*1\r\n$2000000\r\nvvvvvvvvvv`);
      await until(async () => ((await clientField(r, 'header', 'qbuf')) ?? 0) >= 10, `${name}: qbuf`);
      expect(await clientField(r, 'header', 'tot-mem'), name).toBeGreaterThanOrEqual(2_000_000);
    }
  });

  it('replies a client does not read count in used_memory and evict keys (redis maxmemory.tcl, MGET clients)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      for (let i = 0; i < 20; i++) await r.setrange(`big:${i}`, 100_000, 'x');
      await r.config('SET', 'maxmemory', String((await info(r, 'used_memory')) + 4 * 1024 * 1024));
      await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const readers = await Promise.all(Array.from({ length: 5 }, () => raw(port)));
      for (const s of readers) s.pause();
      const mget = encodeCommand(['MGET', 'big:0', 'big:1', 'big:2', 'big:3']);
      await until(async () => {
        for (const s of readers) s.write(mget);
        return (await info(r, 'evicted_keys')) > 0;
      }, `${name}: eviction`, 30_000, 5);
    }
  });
});

describe('client eviction (maxmemory-clients)', { timeout: 60_000 }, () => {
  it('a connection whose query buffer passes the limit is closed, counted in evicted_clients', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.config('SET', 'maxmemory-clients', '1mb');
      const gone = await named(port, 'gone');
      await until(async () => (await clientField(r, 'gone', 'qbuf')) !== undefined, `${name}: named`);
      gone.write(`*1\r\n$2000000\r\n${'v'.repeat(1_100_000)}`);
      await until(async () => (await clientField(r, 'gone', 'qbuf')) === undefined, `${name}: eviction`);
      expect(await info(r, 'evicted_clients'), name).toBe(1);
      expect(await r.ping(), name).toBe('PONG');
    }
  });

  it('maxmemory-clients as a percentage of maxmemory (redis client-eviction.tcl)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.config('SET', 'maxmemory', '6mb');
      await r.config('SET', 'maxmemory-clients', '7%');
      const limit = Math.floor((6 * 1024 * 1024 * 7) / 100);
      // Half the limit held (a bulk short of its CRLF) is kept; the whole limit is not.
      const half = await named(port, 'half');
      const n = Math.floor(limit / 2);
      half.write(`*1\r\n$${n}\r\n${'v'.repeat(n)}`);
      await until(async () => ((await clientField(r, 'half', 'qbuf')) ?? 0) >= n, `${name}: half qbuf`);
      expect(await clientField(r, 'half', 'tot-mem'), name).toBeLessThan(limit);
      const whole = await named(port, 'whole');
      await until(async () => (await clientField(r, 'whole', 'qbuf')) !== undefined, `${name}: named`);
      whole.write(`*1\r\n$${limit}\r\n${'v'.repeat(limit)}`);
      await until(async () => (await clientField(r, 'whole', 'qbuf')) === undefined, `${name}: eviction at 7%`);
      expect(await clientField(r, 'half', 'qbuf'), name).toBeGreaterThanOrEqual(n);
    }
  });

  it('CLIENT NO-EVICT on keeps a connection past the limit; off lets it be evicted', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.setrange('big', 1024 * 1024, 'v');
      await r.config('SET', 'maxmemory-clients', '1mb');
      const kept = await named(port, 'kept');
      kept.write(encodeCommand(['CLIENT', 'NO-EVICT', 'ON']));
      kept.pause();
      await until(async () => {
        kept.write(encodeCommand(['GET', 'big']));
        return ((await clientField(r, 'kept', 'tot-mem')) ?? 0) > 3 * 1024 * 1024;
      }, `${name}: unsent replies`, 30_000, 10);
      expect(await info(r, 'evicted_clients'), name).toBe(0);
      kept.write(encodeCommand(['CLIENT', 'NO-EVICT', 'OFF']));
      await until(async () => (await clientField(r, 'kept', 'tot-mem')) === undefined, `${name}: NO-EVICT OFF evicts`);
      expect(await info(r, 'evicted_clients'), name).toBe(1);
    }
  });

  it('a command whose arguments pass the limit is evicted before it runs (redis client-eviction.tcl, large argv)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.config('SET', 'maxmemory-clients', '3000000');
      const big = client(port, true);
      expect(await big.mset('k', 'v', 'k2', 'v'.repeat(1_000_000)), name).toBe('OK');
      await expect(big.mset('k', 'v2', 'k2', 'v'.repeat(3_000_000)), name).rejects.toThrow();
      expect(await r.get('k'), name).toBe('v');
      expect(await info(r, 'evicted_clients'), name).toBe(1);
    }
  });

  it('lowering maxmemory-clients evicts the largest connections at once, until under it', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.config('SET', 'maxmemory-clients', '4mb');
      for (let i = 0; i < 6; i++) {
        const s = await named(port, `c${i}`);
        s.write(`*2\r\n$${400_000 + i * 1000}\r\n${'v'.repeat(400_000)}`);
        await until(async () => ((await clientField(r, `c${i}`, 'qbuf')) ?? 0) >= 400_000, `${name}: c${i} qbuf`);
      }
      await r.config('SET', 'maxmemory-clients', '1500kb');
      const left = [];
      for (let i = 0; i < 6; i++) if ((await clientField(r, `c${i}`, 'qbuf')) !== undefined) left.push(i);
      expect(left.length, name).toBeGreaterThan(0);
      expect(left.length, name).toBeLessThan(6);
    }
  });

  it('a MULTI queue and WATCHed keys count toward the limit (redis client-eviction.tcl)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.config('SET', 'maxmemory-clients', '200000');
      const watcher = client(port, true);
      await watcher.client('SETNAME', 'watcher');
      let closed = false;
      for (let i = 0; i < 200_000 && !closed; i++) await watcher.watch(`key:${i}`).catch(() => (closed = true));
      expect(closed, name).toBe(true);
      await r.config('SET', 'maxmemory-clients', '1mb');
      const queuer = client(port, true);
      await queuer.client('SETNAME', 'queuer');
      const value = 'v'.repeat(300_000);
      const tx = queuer.multi();
      for (let i = 0; i < 5; i++) tx.set('k', value);
      await expect(tx.exec(), name).rejects.toThrow();
      expect(await clientField(r, 'queuer', 'tot-mem'), name).toBeUndefined();
    }
  });
});

describe('OBJECT REFCOUNT of a small integer', () => {
  it('is shared, except under maxmemory with an LRU or LFU policy (redis maxmemory.tcl)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.set('a', '1');
      expect(await r.object('REFCOUNT', 'a'), name).toBeGreaterThan(1);
      await r.config('SET', 'maxmemory', '1gb');
      await r.config('SET', 'maxmemory-policy', 'allkeys-random');
      await r.set('a', '1');
      expect(await r.object('REFCOUNT', 'a'), name).toBeGreaterThan(1);
      await r.config('SET', 'maxmemory-policy', 'volatile-lru');
      await r.set('b', '1');
      expect(await r.object('REFCOUNT', 'b'), name).toBe(1);
    }
  });
});

describe('client-output-buffer-limit', () => {
  it('one large GET past the hard limit closes the client unanswered', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.setrange('big', 4 * 1024 * 1024, 'v');
      await r.config('SET', 'client-output-buffer-limit', 'normal 3mb 0 0');
      const s = await raw(port);
      let received = 0;
      s.on('data', (d: Buffer) => (received += d.length));
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      // The command behind it in the same write does not run: the client is closing at once.
      s.write(Buffer.concat([encodeCommand(['GET', 'big']), encodeCommand(['SET', 'after', '1'])]));
      await Promise.race([closed, sleep(5000)]);
      expect(s.destroyed || s.readableEnded, `${name}: closed`).toBe(true);
      expect(received, name).toBe(0);
      expect(await r.exists('after'), name).toBe(0);
    }
  });

  it('clients closed by the output limit are not also client-evicted: a query buffer beside them stays (redis client-eviction.tcl)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.client('NO-EVICT', 'ON');
      await r.config('SET', 'maxmemory-clients', '10mb');
      await r.config('SET', 'client-output-buffer-limit', 'normal 3mb 0 0');
      await r.setrange('k', 4 * 1024 * 1024, 'v');
      const qbuf = await named(port, 'qbuf-client');
      const size = 6 * 1024 * 1024 - 1000;
      qbuf.write(`*1\r\n$${size}\r\n${'v'.repeat(size - 10)}`);
      await until(async () => ((await clientField(r, 'qbuf-client', 'qbuf')) ?? 0) >= size - 10, `${name}: qbuf`);
      const readers = [await named(port, 'obuf-1'), await named(port, 'obuf-2')];
      await until(async () => (await clientField(r, 'obuf-2', 'qbuf')) !== undefined, `${name}: named`);
      for (const s of readers) s.write(encodeCommand(['GET', 'k']));
      await until(async () => (await clientField(r, 'obuf-1', 'qbuf')) === undefined && (await clientField(r, 'obuf-2', 'qbuf')) === undefined, `${name}: output limit`);
      expect(await clientField(r, 'qbuf-client', 'qbuf'), name).toBeGreaterThanOrEqual(size - 10);
      expect(await info(r, 'evicted_clients'), name).toBe(0);
    }
  });

  it('sealkv closes a client past the hard limit within the read: a CLIENT LIST read in the same turn no longer lists it', async () => {
    const port = servers.sealkv.port;
    const r = client(port);
    await r.setrange('big', 4 * 1024 * 1024, 'v');
    await r.config('SET', 'client-output-buffer-limit', 'normal 3mb 0 0');
    const reader = await named(port, 'over');
    const asker = await raw(port);
    await until(async () => (await clientField(r, 'over', 'qbuf')) !== undefined, 'named');
    let listed = '';
    asker.on('data', (d: Buffer) => (listed += d.toString('latin1')));
    // Both requests wait in the kernel while the server is stopped, and are read in one turn.
    const pid = servers.sealkv.process.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      reader.write(encodeCommand(['GET', 'big']));
      await sleep(50);
      asker.write(encodeCommand(['CLIENT', 'LIST']));
      await sleep(50);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await until(() => listed.endsWith('\r\n') && listed.includes('cmd=client|list'), 'CLIENT LIST reply');
    expect(listed).not.toContain('name=over ');
  });

  it('a pipeline whose replies together pass the hard limit gets no reply at all (redis obuf-limits.tcl)', async () => {
    for (const [name, port] of targets()) {
      const r = client(port);
      await r.set('bigkey', 'x'.repeat(10_000));
      await r.config('SET', 'client-output-buffer-limit', 'normal 100000 0 0');
      // Another connection at work: sealkv shares a read's time between connections.
      const other = client(port);
      await other.ping();
      const s = await raw(port);
      let received = 0;
      s.on('data', (d: Buffer) => (received += d.length));
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      let pipeline = '';
      for (let i = 0; i < 200; i++) pipeline += `SET k${i} ${i}\r\nGET k${i}\r\nGET bigkey\r\n`;
      s.write(pipeline);
      await Promise.race([closed, sleep(5000)]);
      expect(s.destroyed || s.readableEnded, `${name}: closed`).toBe(true);
      expect(received, name).toBe(0);
    }
  });
});
