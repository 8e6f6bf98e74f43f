// MEMORY STATS, DOCTOR, MALLOC-STATS, PURGE and HELP beside redis-server 7.0: the same field
// names in the same order with the same reply types (RESP2 and RESP3), the same texts where the
// output does not depend on the allocator, the same errors and COMMAND INFO; then what the
// figures mean in sealkv (keys per database, TTL overhead, the totals adding up, DOCTOR's
// findings) and the three client libraries reading them.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithRedis, hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { ioredis, nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { doctorReport } from '../../src/commands/server/memory-report.js';
import { linkUp, newMasterKey, startNode } from '../helpers/replication.js';

/** One RESP reply cut into its top-level parts: type char and the raw text of each. */
function walk(raw: string, at = 0): { end: number; shape: string } {
  const line = raw.indexOf('\r\n', at);
  const type = raw[at]!;
  const head = raw.slice(at + 1, line);
  const next = line + 2;
  if (type === '$' || type === '=') return { end: next + Number(head) + 2, shape: type === '$' ? 'bulk' : 'verbatim' };
  if (type === '*' || type === '%') {
    const n = Number(head) * (type === '%' ? 2 : 1);
    let end = next;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const item = walk(raw, end);
      // Names are kept (they must match), values reduced to their type.
      parts.push(i % 2 === 0 && raw[end] === '$' ? raw.slice(end, item.end).split('\r\n')[1]! : item.shape);
      end = item.end;
    }
    return { end, shape: `${type}${n}[${parts.join(' ')}]` };
  }
  return { end: next, shape: type === ',' ? 'double' : type === ':' ? 'integer' : type + head };
}

const shapeOf = (raw: string) => walk(raw).shape;

async function open(port: number, protocol: 2 | 3): Promise<ReplyConnection> {
  const c = await ReplyConnection.open(port);
  if (protocol === 3) expect((await c.send(['HELLO', '3']))[0]).toBe('%');
  return c;
}

/** Keys in db 0 (some with a TTL) and db 2, so STATS carries two database maps. */
async function fill(c: ReplyConnection): Promise<void> {
  expect(await c.send(['FLUSHALL'])).toBe('+OK\r\n');
  for (let i = 0; i < 20; i++) await c.send(['SET', `k${i}`, 'v'.repeat(i)]);
  for (let i = 0; i < 5; i++) await c.send(['SET', `t${i}`, 'x', 'EX', '1000']);
  await c.send(['HSET', 'h', 'f', 'v']);
  await c.send(['SELECT', '2']);
  await c.send(['SET', 'other', 'v']);
  await c.send(['SELECT', '0']);
}

let sealkv: InProcessServer;
let redis: ReferenceRedis | undefined;

beforeAll(async () => {
  [sealkv, redis] = await Promise.all([startInProcess(), hasRedisServer ? startRedis() : Promise.resolve(undefined)]);
});
afterAll(async () => {
  await Promise.all([sealkv?.stop(), redis?.stop()]);
});

describe.skipIf(!hasRedisServer)('MEMORY reply shapes beside redis-server 7.0', () => {
  for (const protocol of [2, 3] as const) {
    it(`RESP${protocol}: MEMORY STATS has Redis's fields, order and types`, async () => {
      const [a, b] = await Promise.all([open(redis!.port, protocol), open(sealkv.port, protocol)]);
      await Promise.all([fill(a), fill(b)]);
      const [expected, actual] = await Promise.all([a.send(['MEMORY', 'STATS']), b.send(['MEMORY', 'STATS'])]);
      expect(shapeOf(actual)).toBe(shapeOf(expected));
      // The two database maps are there, by number.
      expect(actual).toContain('db.0\r\n');
      expect(actual).toContain('db.2\r\n');
      a.close();
      b.close();
    });

    it(`RESP${protocol}: DOCTOR, MALLOC-STATS and PURGE answer with Redis's reply types`, async () => {
      const [a, b] = await Promise.all([open(redis!.port, protocol), open(sealkv.port, protocol)]);
      await Promise.all([fill(a), fill(b)]);
      for (const sub of ['DOCTOR', 'MALLOC-STATS', 'PURGE']) {
        const [expected, actual] = await Promise.all([a.send(['MEMORY', sub]), b.send(['MEMORY', sub])]);
        expect(`${sub} ${shapeOf(actual)}`).toBe(`${sub} ${shapeOf(expected)}`);
        if (protocol === 3 && actual[0] === '=') expect(actual.split('\r\n')[1]!.startsWith('txt:')).toBe(true);
      }
      // Both find a handful of small keys too little to judge: Redis's text, byte for byte.
      const [expected, actual] = await Promise.all([a.send(['MEMORY', 'DOCTOR']), b.send(['MEMORY', 'DOCTOR'])]);
      expect(actual).toBe(expected);
      expect(actual).toContain('this instance is empty or is using very little memory');
      a.close();
      b.close();
    });
  }
});

compareWithRedis(
  'MEMORY help, errors and COMMAND INFO beside redis-server 7.0',
  {
    help: [['MEMORY', 'HELP'], ['MEMORY', 'help']],
    'arity and unknown subcommands': [
      ['MEMORY', 'STATS', 'x'], ['MEMORY', 'DOCTOR', 'x'], ['MEMORY', 'PURGE', 'now'], ['MEMORY', 'MALLOC-STATS', '1'],
      ['MEMORY', 'HELP', 'x'], ['MEMORY', 'NOPE'], ['MEMORY'],
    ],
    'command info': [
      ['COMMAND', 'INFO', 'memory|stats', 'memory|doctor', 'memory|malloc-stats', 'memory|purge', 'memory|help', 'memory|usage'],
      ['COMMAND', 'GETKEYS', 'MEMORY', 'USAGE', 'k'],
    ],
    'command docs': [['COMMAND', 'DOCS', 'memory|stats', 'memory|doctor', 'memory|malloc-stats', 'memory|purge']],
  },
  () => startInProcess(),
);

/** MEMORY STATS as name -> value (RESP2 flat array through ioredis; nested maps kept as arrays). */
async function stats(port: number): Promise<Map<string, unknown>> {
  const c = ioredis(port);
  try {
    const flat = (await c.call('MEMORY', 'STATS')) as unknown[];
    const out = new Map<string, unknown>();
    for (let i = 0; i < flat.length; i += 2) out.set(String(flat[i]), flat[i + 1]);
    return out;
  } finally {
    c.disconnect();
  }
}

describe('MEMORY STATS figures', () => {
  it('counts keys across databases and gives each non-empty database its overhead', async () => {
    const c = await open(sealkv.port, 2);
    await fill(c);
    const s = await stats(sealkv.port);
    expect(s.get('keys.count')).toBe(27);
    const db0 = s.get('db.0') as unknown[];
    expect(db0[0]).toBe('overhead.hashtable.main');
    // 26 keys of which 5 carry a TTL: the TTL set costs something, no slot-to-keys index exists.
    expect(db0[1] as number).toBeGreaterThan(26 * 32);
    expect(db0[3] as number).toBeGreaterThan(0);
    expect(db0[5]).toBe(0);
    expect(s.has('db.1')).toBe(false);
    expect(s.has('db.2')).toBe(true);
    await c.send(['PERSIST', 't0']);
    await c.send(['PERSIST', 't1']);
    const after = (await stats(sealkv.port)).get('db.0') as number[];
    expect(after[3]).toBeLessThan(db0[3] as number);
    c.close();
  });

  it('adds up as Redis defines it: overhead.total + dataset.bytes = total.allocated', async () => {
    const s = await stats(sealkv.port);
    const n = (k: string) => Number(s.get(k));
    expect(n('overhead.total') + n('dataset.bytes')).toBe(n('total.allocated'));
    expect(n('peak.allocated')).toBeGreaterThanOrEqual(n('total.allocated'));
    // used_memory counts data and connections: nothing at start-up.
    expect(n('startup.allocated')).toBe(0);
    // Each connection (this one at least) counts as a normal client; no replica, no AOF, no bus.
    expect(n('clients.normal')).toBeGreaterThan(0);
    for (const k of ['clients.slaves', 'replication.backlog', 'aof.buffer', 'cluster.links']) expect(`${k}=${n(k)}`).toBe(`${k}=0`);
    expect(n('allocator.resident')).toBeGreaterThan(0);
    expect(n('fragmentation')).toBeCloseTo(n('allocator.resident') / n('total.allocated'), 3);
  });

  it('counts the Lua heap once scripts ran, and FUNCTION libraries by their code', async () => {
    const c = await open(sealkv.port, 2);
    const before = await stats(sealkv.port);
    await c.send(['EVAL', 'return 1', '0']);
    const code = "#!lua name=memlib\nredis.register_function('memf', function() return 1 end)";
    expect(await c.send(['FUNCTION', 'LOAD', 'REPLACE', code])).toBe('$6\r\nmemlib\r\n');
    const after = await stats(sealkv.port);
    expect(Number(after.get('lua.caches'))).toBeGreaterThan(0);
    expect(Number(after.get('functions.caches'))).toBeGreaterThan(Number(before.get('functions.caches')) + code.length - 1);
    await c.send(['FUNCTION', 'FLUSH']);
    c.close();
  });

  it('reports a replica connection under clients.slaves and the backlog once one attached', async () => {
    const key = newMasterKey();
    const primary = await startNode(key);
    const replica = await startNode(key, [], { host: '127.0.0.1', port: primary.port });
    try {
      await linkUp(replica.port);
      const s = await stats(primary.port);
      expect(Number(s.get('clients.slaves'))).toBeGreaterThan(0);
      expect(Number(s.get('replication.backlog'))).toBeGreaterThan(0);
    } finally {
      await Promise.all([replica.stop(), primary.stop()]);
    }
  }, 30_000);
});

describe('MEMORY DOCTOR', () => {
  it("finds many cached scripts on an instance with data, in Redis's words", async () => {
    const s = await startInProcess();
    const c = await open(s.port, 2);
    try {
      // Over 5 MB counted by maxmemory, so the report is not the "empty" one.
      const big = 'v'.repeat(1024 * 1024);
      for (let i = 0; i < 6; i++) await c.send(['SET', `big${i}`, big]);
      let report = doctorReport(s.running.state);
      expect(report).not.toContain('empty');
      expect(report).not.toContain('Many scripts');
      for (let i = 0; i <= 1000; i++) await c.send(['SCRIPT', 'LOAD', `return ${i}`]);
      report = doctorReport(s.running.state);
      expect(report.startsWith('Sam, I detected a few issues in this Redis instance memory implants:\n\n')).toBe(true);
      expect(report).toContain(
        " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n",
      );
      expect(report.endsWith("I'm here to keep you safe, Sam. I want to help you.\n")).toBe(true);
      await c.send(['SCRIPT', 'FLUSH']);
      expect(doctorReport(s.running.state)).not.toContain('Many scripts');
    } finally {
      c.close();
      await s.stop();
    }
  });

  it('finds big client buffers: replies piling up for a client that does not read', async () => {
    const s = await startInProcess({ 'client-output-buffer-limit': 'normal 0 0 0' });
    const c = await open(s.port, 2);
    try {
      const big = 'v'.repeat(1024 * 1024);
      for (let i = 0; i < 6; i++) await c.send(['SET', `big${i}`, big]);
      expect(doctorReport(s.running.state)).not.toContain('Big client buffers');
      // A raw socket that asks for 24 MB of replies and never reads them.
      const { connect } = await import('node:net');
      const sock = connect(s.port, '127.0.0.1');
      sock.pause();
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(Buffer.from('*2\r\n$3\r\nGET\r\n$4\r\nbig0\r\n'.repeat(24)));
      let report = '';
      for (const start = Date.now(); !report.includes('Big client buffers') && Date.now() - start < 10_000; ) {
        await new Promise((r) => setTimeout(r, 50));
        report = doctorReport(s.running.state);
      }
      expect(report).toContain(' * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average).');
      sock.destroy();
    } finally {
      c.close();
      await s.stop();
    }
  });
});

describe('MEMORY through the client libraries', () => {
  it('ioredis and node-redis read STATS and DOCTOR', async () => {
    const io = ioredis(sealkv.port);
    const doctor = (await io.call('MEMORY', 'DOCTOR')) as string;
    expect(doctor.startsWith('Hi Sam') || doctor.startsWith('Sam,')).toBe(true);
    expect(await io.call('MEMORY', 'PURGE')).toBe('OK');
    io.disconnect();
    const nr = await nodeRedis(sealkv.port);
    // node-redis 5 speaks RESP3 and hands the map over as an object.
    const map = (await nr.sendCommand(['MEMORY', 'STATS'])) as Record<string, unknown>;
    expect(Object.keys(map)[0]).toBe('peak.allocated');
    expect(typeof map['total.allocated']).toBe('number');
    expect(typeof map['fragmentation']).toBe('number');
    expect(Object.keys(map).at(-1)).toBe('fragmentation.bytes');
    await nr.quit();
  });

  it.skipIf(redisCliMissing)('redis-cli prints the STATS map and the MALLOC-STATS text', async () => {
    const out = await redisCli(sealkv.port, ['MEMORY', 'STATS']);
    const lines = out.split('\n');
    expect(lines[0]).toBe('peak.allocated');
    expect(lines[1]).toMatch(/^\d+$/);
    expect(out).toContain('keys.bytes-per-key');
    const malloc = await redisCli(sealkv.port, ['MEMORY', 'MALLOC-STATS']);
    expect(malloc).toContain('old_space');
    expect(malloc).toContain('record arena');
  });
});
