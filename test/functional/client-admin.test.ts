// The admin surface of a connection, each behaviour compared with redis-server 7 where one is
// installed (skipped with a message otherwise), in RESP2 and RESP3: CLIENT LIST / INFO fields
// and values, CLIENT KILL, CLIENT REPLY, CLIENT PAUSE / UNPAUSE, and the MONITOR that shows
// command names and argument sizes, never argument bytes.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { encodeCommand, ioredis, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { spawnServer } from '../helpers/server.js';
import { hasRedisServer, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';

const cmds = (...list: (string | Buffer)[][]) => Buffer.concat(list.map((c) => encodeCommand(c)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw connection that keeps every byte the server sent. */
class Conn {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  closed = false;

  private constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => this.chunks.push(d));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
  }

  static async open(port: number, proto: 2 | 3 = 2): Promise<Conn> {
    const c = new Conn(port);
    await new Promise<void>((resolve, reject) => c.socket.once('connect', resolve).once('error', reject));
    if (proto === 3) {
      c.send(['hello', '3']);
      await c.until((t) => t.includes('modules'));
      c.take();
    }
    return c;
  }

  send(...list: (string | Buffer)[][]): void {
    this.socket.write(cmds(...list));
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  /** Everything received so far, forgotten afterwards. */
  take(): string {
    const t = this.text;
    this.chunks = [];
    return t;
  }

  /** Waits until the bytes received satisfy `done` (or the time is up) and returns them. */
  async until(done: (text: string) => boolean, ms = 5000): Promise<string> {
    const start = Date.now();
    while (!done(this.text) && Date.now() - start < ms) await sleep(5);
    return this.text;
  }

  /** Sends, waits for a first reply byte and then for `quietMs` without more, returns the bytes. */
  async exchange(list: (string | Buffer)[][], quietMs = 120): Promise<string> {
    this.take();
    this.send(...list);
    await this.until((t) => t.length > 0, 5000);
    let last = -1;
    while (this.text.length !== last) {
      last = this.text.length;
      await sleep(quietMs);
    }
    return this.take();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The field names of a CLIENT LIST line, in order. */
const fieldNames = (line: string) => line.trim().split(' ').map((kv) => kv.slice(0, kv.indexOf('=')));
const field = (line: string, name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1];
/** A reply's bytes with the parts that differ between any two servers (ids, ports, times, sizes) blanked. */
const REDIS_7_0_FIELDS = 'id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp'.split(' ');

const { server } = withServer({}, undefined, { wipe: false });
let redis: ReferenceRedis | null = null;
beforeAll(async () => {
  if (hasRedisServer) redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});

/** Runs the same exchange against sealkv and (when installed) redis-server. */
async function onBoth<T>(scenario: (port: number) => Promise<T>): Promise<{ sealkv: T; redis: T | null }> {
  const sealkv = await scenario(server.port);
  const ref = redis === null ? null : await scenario(redis.port);
  return { sealkv, redis: ref };
}

describe('CLIENT LIST and CLIENT INFO', () => {
  it.each([2, 3] as const)('show every Redis 7.0 field in Redis order, then lib-name and lib-ver (RESP%i)', async (proto) => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const c = await Conn.open(port, proto);
      const info = await c.exchange([['client', 'info']]);
      c.close();
      return info;
    });
    // RESP3: a verbatim string, RESP2: a bulk string, on both servers.
    expect(sealkv[0]).toBe(proto === 3 ? '=' : '$');
    const line = sealkv.slice(sealkv.indexOf('\r\n') + 2 + (proto === 3 ? 4 : 0)).split('\n')[0]!;
    expect(fieldNames(line)).toEqual([...REDIS_7_0_FIELDS, 'lib-name', 'lib-ver']);
    if (ref !== null) {
      expect(ref[0]).toBe(sealkv[0]);
      const refLine = ref.slice(ref.indexOf('\r\n') + 2 + (proto === 3 ? 4 : 0)).split('\n')[0]!;
      expect(fieldNames(refLine)).toEqual(REDIS_7_0_FIELDS);
      for (const name of ['flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'argv-mem', 'multi-mem', 'obl', 'oll', 'omem', 'events', 'cmd', 'user', 'redir', 'resp']) {
        expect(`${name}=${field(line, name)}`).toBe(`${name}=${field(refLine, name)}`);
      }
    } else console.warn('redis-server missing: CLIENT INFO compared with the Redis 7.0 field list only');
  });

  it('fd is the socket descriptor, as Redis shows it', async () => {
    const c = await Conn.open(server.port);
    const info = await c.exchange([['client', 'info']]);
    c.close();
    const fd = Number(field(info, 'fd'));
    expect(fd).toBeGreaterThan(2);
    // The descriptor is open in this process (the server runs in it).
    const { readlinkSync } = await import('node:fs');
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^socket:/);
  });

  it('qbuf counts the bytes of a half-received command; multi-mem and multi count the queue', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const watcher = await Conn.open(port);
      const c = await Conn.open(port);
      await c.exchange([['client', 'setname', 'half'], ['multi'], ['set', 'k', '0123456789']]);
      const partial = '*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nhel';
      c.socket.write(partial);
      await sleep(100);
      const list = await watcher.exchange([['client', 'list']]);
      c.close();
      watcher.close();
      return list.split('\n').find((l) => l.includes(' name=half '))!;
    });
    // The arguments already parsed (set, k) are not query buffer any more, in Redis as here.
    expect(field(sealkv, 'qbuf')).toBe('3');
    expect(field(sealkv, 'multi')).toBe('1');
    expect(field(sealkv, 'flags')).toBe('x');
    expect(Number(field(sealkv, 'multi-mem'))).toBeGreaterThanOrEqual('setk0123456789'.length);
    if (ref !== null) {
      expect(field(sealkv, 'qbuf')).toBe(field(ref, 'qbuf'));
      expect(field(sealkv, 'multi')).toBe(field(ref, 'multi'));
      expect(field(sealkv, 'flags')).toBe(field(ref, 'flags'));
    }
  });

  it('omem and events=rw show replies waiting for a client that does not read', async () => {
    const c = await Conn.open(server.port);
    await c.exchange([['set', 'big', Buffer.alloc(256 * 1024, 0x61)], ['client', 'setname', 'slow']]);
    c.socket.pause();
    c.send(...Array.from({ length: 64 }, () => ['get', 'big']));
    const watcher = await Conn.open(server.port);
    let line = '';
    for (let i = 0; i < 50; i++) {
      const list = await watcher.exchange([['client', 'list']], 40);
      line = list.split('\n').find((l) => l.includes(' name=slow ')) ?? '';
      if (Number(field(line, 'omem')) > 0) break;
    }
    c.close();
    watcher.close();
    expect(Number(field(line, 'omem'))).toBeGreaterThan(0);
    expect(Number(field(line, 'oll'))).toBeGreaterThan(0);
    expect(field(line, 'events')).toBe('rw');
    expect(Number(field(line, 'tot-mem'))).toBeGreaterThan(Number(field(line, 'omem')));
  });

  it('cmd names the last command as Redis does (client|list), user and resp are the connection\'s', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const c = await Conn.open(port, 3);
      await c.exchange([['client', 'setname', 'named'], ['client', 'no-evict', 'on'], ['select', '2'], ['get', 'x']]);
      const w = await Conn.open(port);
      const list = await w.exchange([['client', 'list']]);
      c.close();
      w.close();
      return list.split('\n').find((l) => l.includes(' name=named '))!;
    });
    expect(sealkv).toMatch(/ flags=e db=2 .* cmd=get user=default redir=-1 resp=3 /);
    if (ref !== null) for (const f of ['flags', 'db', 'cmd', 'user', 'redir', 'resp']) expect(field(sealkv, f)).toBe(field(ref, f));
  });

  it('cmd is set at lookup, as Redis does: a command refused for arity or by ACL shows, an unknown one shows NULL', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const c = await Conn.open(port);
      const w = await Conn.open(port);
      await w.exchange([['acl', 'setuser', 'cmdseen', 'reset', 'on', 'nopass', '+ping', '+client|setname', '+get', '~a*']]);
      await c.exchange([['client', 'setname', 'refused']]);
      const seen: (string | undefined)[] = [];
      for (const cmd of [['get'], ['nosuch', 'x'], ['client', 'nosuch'], ['ping'], ['auth', 'cmdseen', 'x'], ['set', 'a1', 'v'], ['ping'], ['get', 'zz']]) {
        await c.exchange([cmd]);
        const list = await w.exchange([['client', 'list']]);
        seen.push(field(list.split('\n').find((l) => l.includes(' name=refused '))!, 'cmd'));
      }
      await w.exchange([['acl', 'deluser', 'cmdseen']]);
      c.close();
      w.close();
      return seen;
    });
    // arity, unknown, unknown subcommand, ok, AUTH, NOPERM command, ok, NOPERM key
    expect(sealkv).toEqual(['get', 'NULL', 'NULL', 'ping', 'auth', 'set', 'ping', 'get']);
    if (ref !== null) expect(sealkv).toEqual(ref);
  });
});

describe('CLIENT KILL', () => {
  it('ADDR, ID with TYPE and SKIPME pick the connections to close; errors as Redis', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const me = await Conn.open(port);
      const a = await Conn.open(port);
      const b = await Conn.open(port);
      const bAddr = `${b.socket.localAddress}:${b.socket.localPort}`;
      const aId = /^:(\d+)/.exec(await a.exchange([['client', 'id']]))![1]!;
      const myId = /^:(\d+)/.exec(await me.exchange([['client', 'id']]))![1]!;
      const out = [
        await me.exchange([['client', 'kill', 'addr', bAddr]]),
        await me.exchange([['client', 'kill', 'id', aId, 'type', 'pubsub']]),
        await me.exchange([['client', 'kill', 'id', aId, 'type', 'normal']]),
        await me.exchange([['client', 'kill', 'id', myId]]),
        await me.exchange([['client', 'kill', 'id']]),
        await me.exchange([['client', 'kill', 'skipme', 'maybe']]),
        await me.exchange([['client', 'kill', 'bogus', 'x']]),
      ];
      await a.until(() => a.closed && b.closed, 2000);
      out.push(String(a.closed && b.closed && !me.closed));
      me.close();
      return out.join('|');
    });
    expect(sealkv).toBe(':1\r\n|:0\r\n|:1\r\n|:0\r\n|-ERR No such client\r\n|-ERR syntax error\r\n|-ERR syntax error\r\n|true');
    if (ref !== null) expect(sealkv).toBe(ref);
  });

  it('MAXAGE (Redis 7.4) closes connections at least that many seconds old', async () => {
    const me = await Conn.open(server.port);
    const old = await Conn.open(server.port);
    const oldId = /^:(\d+)/.exec(await old.exchange([['client', 'id']]))![1]!;
    server.advance(10_000);
    const young = await Conn.open(server.port);
    const youngId = /^:(\d+)/.exec(await young.exchange([['client', 'id']]))![1]!;
    expect(await me.exchange([['client', 'kill', 'maxage', '5', 'id', youngId]])).toBe(':0\r\n');
    expect(await me.exchange([['client', 'kill', 'maxage', '5', 'id', oldId]])).toBe(':1\r\n');
    await old.until(() => old.closed, 2000);
    expect(old.closed).toBe(true);
    expect(await young.exchange([['ping']])).toBe('+PONG\r\n');
    expect(await me.exchange([['client', 'kill', 'maxage', 'abc']])).toBe(`-${Errors.maxAgeNotInteger}\r\n`);
    me.close();
    young.close();
  });
});

describe('CLIENT UNBLOCK', () => {
  it('answers 0 for a client that is not blocked, and checks its arguments as Redis does', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const me = await Conn.open(port);
      const other = await Conn.open(port);
      const id = /^:(\d+)/.exec(await other.exchange([['client', 'id']]))![1]!;
      const out = await me.exchange([
        ['client', 'unblock', id], ['client', 'unblock', id, 'timeout'], ['client', 'unblock', id, 'ERROR'],
        ['client', 'unblock', id, 'later'], ['client', 'unblock', 'abc'], ['client', 'unblock', '999999'],
        ['client', 'unblock', id, 'timeout', 'x'],
      ]);
      me.close();
      other.close();
      return out;
    });
    expect(sealkv).toContain(`-${Errors.unblockReason}\r\n`);
    expect(sealkv).toBe(':0\r\n:0\r\n:0\r\n' + `-${Errors.unblockReason}\r\n-${Errors.notInteger}\r\n:0\r\n` +
      "-ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.\r\n");
    if (ref !== null) expect(sealkv).toBe(ref);
  });
});

describe('CLIENT REPLY', () => {
  const script: (string | Buffer)[][] = [
    ['client', 'reply', 'off'], ['ping'], ['set', 'r:k', 'v'], ['client', 'reply', 'skip'], ['ping'],
    ['client', 'reply', 'on'], ['ping'],
    ['client', 'reply', 'skip'], ['get', 'r:k'], ['ping'],
    ['client', 'reply', 'skip'], ['nosuchcommand'], ['get'], ['echo', 'after'],
    ['client', 'reply', 'skip'], ['multi'], ['set', 'r:k', 'w'], ['exec'],
    ['client', 'reply', 'x'], ['client', 'reply'],
    ['client', 'reply', 'off'], ['client', 'reply', 'skip'], ['ping'], ['reset'], ['ping'],
    ['client', 'reply', 'skip'], ['client', 'reply', 'off'], ['ping'], ['client', 'reply', 'on'], ['ping'],
  ];

  it.each([2, 3] as const)('drops replies while OFF and for the command after SKIP, byte for byte as Redis (RESP%i)', async (proto) => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const c = await Conn.open(port, proto);
      const out = await c.exchange(script);
      c.close();
      return out;
    });
    // (RESET returns to RESP2, hence the plain +RESET whatever the protocol was.)
    expect(sealkv).toBe(
      "+OK\r\n+PONG\r\n+PONG\r\n-ERR wrong number of arguments for 'get' command\r\n$5\r\nafter\r\n+QUEUED\r\n*1\r\n+OK\r\n" +
        "-ERR syntax error\r\n-ERR wrong number of arguments for 'client|reply' command\r\n+RESET\r\n+PONG\r\n+OK\r\n+PONG\r\n",
    );
    if (ref !== null) expect(sealkv).toBe(ref);
  });

  it('a muted EXEC of large GETs does not pile its replies up in memory (Redis never buffers them)', async () => {
    const spawned = await spawnServer();
    const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${spawned.process.pid}/status`, 'latin1'))![1]) * 1024;
    try {
      const c = await Conn.open(spawned.port);
      const value = Buffer.alloc(1024 * 1024, 0x63);
      await c.exchange([['set', 'big', value], ['get', 'big'], ['get', 'big']]);
      const before = hwm();
      // 100 MB of replies inside one command, all dropped.
      const gets = Array.from({ length: 100 }, () => ['get', 'big']);
      const out = await c.exchange([['client', 'reply', 'off'], ['multi'], ...gets, ['exec'], ['client', 'reply', 'on'], ['strlen', 'big']], 300);
      expect(out).toBe(`+OK\r\n:${value.length}\r\n`);
      expect(hwm() - before).toBeLessThan(40 * 1024 * 1024);
      c.close();
    } finally {
      await spawned.stop();
    }
  });

  it('keeps a long pipeline silent while OFF (direct writes included) and answers again after ON', async () => {
    const c = await Conn.open(server.port);
    const value = Buffer.alloc(4096, 0x62);
    const list: (string | Buffer)[][] = [['client', 'reply', 'off']];
    for (let i = 0; i < 500; i++) list.push(['set', `r:${i}`, value], ['get', `r:${i}`]);
    list.push(['client', 'reply', 'on'], ['strlen', 'r:499']);
    const out = await c.exchange(list, 200);
    c.close();
    expect(out).toBe('+OK\r\n:4096\r\n');
  });
});

describe('CLIENT PAUSE and UNPAUSE', () => {
  /** How long a reply takes to come back, in ms (Infinity if it does not within `ms`). */
  async function timed(c: Conn, list: (string | Buffer)[][], expected: string, ms = 8000): Promise<number> {
    c.take();
    const start = performance.now();
    c.send(...list);
    const got = await c.until((t) => t.length >= expected.length, ms);
    const took = performance.now() - start;
    expect(got).toBe(expected);
    c.take();
    return took;
  }

  it('WRITE: a SET waits about the timeout while GETs from others flow; replies keep pipeline order', async () => {
    const results = await onBoth(async (port) => {
      const admin = await Conn.open(port);
      const writer = await Conn.open(port);
      const reader = await Conn.open(port);
      await writer.exchange([['set', 'p:k', 'old']]);
      const start = performance.now();
      admin.send(['client', 'pause', '600', 'write']);
      expect(await admin.until((t) => t.length > 0)).toBe('+OK\r\n');
      // One pipeline: the GET before the SET answers at once, everything after the SET waits.
      writer.send(['get', 'p:k'], ['set', 'p:k', 'new'], ['get', 'p:k'], ['ping']);
      const early = await writer.until((t) => t.length > 0, 300);
      await sleep(150);
      const beforeEnd = writer.text;
      let readerMax = 0;
      for (let i = 0; i < 5; i++) readerMax = Math.max(readerMax, await timed(reader, [['get', 'p:k']], '$3\r\nold\r\n'));
      const all = await writer.until((t) => t.endsWith('+PONG\r\n'), 8000);
      const setTook = performance.now() - start;
      for (const c of [admin, writer, reader]) c.close();
      return { early, beforeEnd, all, setTook, readerMax };
    });
    for (const r of [results.sealkv, results.redis]) {
      if (r === null) continue;
      expect(r.early).toBe('$3\r\nold\r\n');
      expect(r.beforeEnd).toBe('$3\r\nold\r\n');
      expect(r.all).toBe('$3\r\nold\r\n+OK\r\n$3\r\nnew\r\n+PONG\r\n');
      expect(r.setTook).toBeGreaterThanOrEqual(500);
      expect(r.setTook).toBeLessThan(4000);
      expect(r.readerMax).toBeLessThan(250);
    }
  });

  // sealkv lets CLIENT UNPAUSE through an ALL pause (Redis 7.0 holds it like the rest).
  it('ALL holds PING too; UNPAUSE releases at once', async () => {
    const admin = await Conn.open(server.port);
    const other = await Conn.open(server.port);
    await other.exchange([['client', 'setname', 'held']]);
    expect(await admin.exchange([['client', 'pause', '60000']])).toBe('+OK\r\n');
    other.send(['ping'], ['echo', 'next']);
    await sleep(150);
    expect(other.text).toBe('');
    // CLIENT LIST would be held too: look at the server's own record of the client.
    const line = [...server.running.state.clients.values()].find((c) => c.name === 'held')!;
    expect(line.lastCommand).toBe('ping');
    const start = performance.now();
    expect(await admin.exchange([['client', 'unpause']], 50)).toBe('+OK\r\n');
    await other.until((t) => t.endsWith('$4\r\nnext\r\n'), 2000);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(other.take()).toBe('+PONG\r\n$4\r\nnext\r\n');
    admin.close();
    other.close();
  });

  it('WRITE: a held command shows flags=b and cmd=set in CLIENT LIST, as Redis', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const admin = await Conn.open(port);
      const w = await Conn.open(port);
      await w.exchange([['client', 'setname', 'blocked']]);
      await admin.exchange([['client', 'pause', '2000', 'write']]);
      w.send(['set', 'b:k', 'v']);
      await sleep(100);
      const list = await admin.exchange([['client', 'list']]);
      await admin.exchange([['client', 'unpause']]);
      await w.until((t) => t === '+OK\r\n', 3000);
      w.close();
      admin.close();
      return list.split('\n').find((l) => l.includes(' name=blocked '))!;
    });
    expect(field(sealkv, 'flags')).toBe('b');
    expect(field(sealkv, 'cmd')).toBe('set');
    expect(field(sealkv, 'argv-mem')).toBe('7');
    if (ref !== null) for (const f of ['flags', 'cmd', 'argv-mem', 'qbuf']) expect(field(sealkv, f)).toBe(field(ref, f));
  });

  it('WRITE: EXEC of a transaction with a write waits; queueing a write inside MULTI waits too (Redis 7.0)', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const admin = await Conn.open(port);
      const c = await Conn.open(port);
      await admin.exchange([['client', 'pause', '400', 'write']]);
      c.send(['multi'], ['get', 't:k'], ['set', 't:k', '1'], ['exec']);
      await sleep(150);
      const during = c.text;
      const after = await c.until((t) => t.includes('*2'), 4000);
      c.close();
      admin.close();
      return `${during}|${after}`;
    });
    expect(sealkv).toBe('+OK\r\n+QUEUED\r\n|+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$-1\r\n+OK\r\n');
    if (ref !== null) expect(sealkv).toBe(ref);
  });

  it('CLIENT REPLY SKIP before a held SET drops that reply once the pause ends, as Redis', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const admin = await Conn.open(port);
      await admin.exchange([['client', 'pause', '300', 'write']]);
      const c = await Conn.open(port);
      c.send(['client', 'reply', 'skip'], ['set', 'skip:k', 'v'], ['get', 'skip:k']);
      const out = await c.until((t) => t.length > 0, 4000);
      await sleep(100);
      c.close();
      admin.close();
      return out;
    });
    expect(sealkv).toBe('$1\r\nv\r\n');
    if (ref !== null) expect(sealkv).toBe(ref);
  });

  it('WRITE holds PFCOUNT and PUBLISH (may-replicate) and counts held clients in blocked_clients; no-writes scripts run; expired keys stay hidden but undeleted until UNPAUSE', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const admin = await Conn.open(port);
      const info = async (name: string) => new RegExp(`${name}:(\\d+)`).exec(await admin.exchange([['info']], 60))?.[1];
      await admin.exchange([['flushall'], ['pfadd', 'p:hll', 'a'], ['set', 'p:short', 'v', 'px', '1000']]);
      const expiredBefore = Number(await info('expired_keys'));
      await admin.exchange([['client', 'pause', '60000', 'write']]);
      // The key's time passes during the pause (sealkv runs on the test's clock here).
      if (port === server.port) server.advance(1200);
      else await sleep(1200);
      const a = await Conn.open(port);
      const b = await Conn.open(port);
      a.send(['pfcount', 'p:hll']);
      b.send(['publish', 'p:chan', 'm']);
      await sleep(200);
      const blocked = await info('blocked_clients');
      // A script declaring no-writes is neither a write nor may-replicate: it runs.
      const script = await admin.exchange([['eval', '#!lua flags=no-writes\nreturn 7', '0'], ['eval_ro', "return redis.call('get', KEYS[1])", '1', 'p:short']]);
      const hidden = await admin.exchange([['get', 'p:short'], ['exists', 'p:short']]);
      const expiredDuring = Number(await info('expired_keys')) - expiredBefore;
      await admin.exchange([['client', 'unpause']]);
      const released = [await a.until((t) => t.length > 0), await b.until((t) => t.length > 0)];
      await admin.exchange([['get', 'p:short']]);
      const expiredAfter = Number(await info('expired_keys')) - expiredBefore;
      for (const c of [admin, a, b]) c.close();
      return { blocked, script, hidden, expiredDuring, released, expiredAfter };
    });
    expect(sealkv).toEqual({ blocked: '2', script: ':7\r\n$-1\r\n', hidden: '$-1\r\n:0\r\n', expiredDuring: 0, released: [':1\r\n', ':0\r\n'], expiredAfter: 1 });
    if (ref !== null) expect(sealkv).toEqual(ref);
  });

  it('a held command of a connection that closes never runs, as Redis', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const admin = await Conn.open(port);
      await admin.exchange([['del', 'gone:k'], ['client', 'pause', '60000', 'write']]);
      const c = await Conn.open(port);
      c.send(['set', 'gone:k', 'never']);
      await sleep(100);
      c.close();
      await sleep(100);
      const out = await admin.exchange([['client', 'unpause'], ['get', 'gone:k']]);
      admin.close();
      return out;
    });
    expect(sealkv).toBe('+OK\r\n$-1\r\n');
    if (ref !== null) expect(sealkv).toBe(ref);
  });

  it('argument errors read as Redis', async () => {
    const list = [
      ['client', 'pause', '-1'], ['client', 'pause', 'abc'], ['client', 'pause', 'abc', 'foo'], ['client', 'pause', '10', 'sometimes'],
      ['client', 'pause', '10', 'write', 'x'], ['client', 'pause'], ['client', 'unpause', 'x'],
      ['client', 'pause', '9223372036854775808'], ['client', 'pause', '0', 'write'], ['client', 'unpause'],
    ];
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const c = await Conn.open(port);
      const out = await c.exchange(list);
      c.close();
      return out;
    });
    expect(sealkv).toBe(
      [
        Errors.timeoutNegative, Errors.timeoutNotInteger, Errors.pauseMode, Errors.pauseMode,
        "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
        "ERR wrong number of arguments for 'client|pause' command", "ERR wrong number of arguments for 'client|unpause' command",
        Errors.timeoutNotInteger,
      ].map((e) => `-${e}\r\n`).join('') + '+OK\r\n+OK\r\n',
    );
    if (ref !== null) expect(sealkv).toBe(ref);
  });
});

describe('MONITOR', () => {
  const MARKER = 'MARKER-9f3c1e-do-not-print';
  const LINE = /^\+\d{10}\.\d{6} \[(\d+) (127\.0\.0\.1:\d+)\] (.*)$/;

  it.each([2, 3] as const)('streams name, db, client and argument sizes of another client\'s SET, never its bytes (RESP%i)', async (proto) => {
    const mon = await Conn.open(server.port, proto);
    expect(await mon.exchange([['monitor']])).toBe('+OK\r\n');
    const c = ioredis(server.port);
    await c.select(3);
    await c.set('monitored-key', MARKER);
    await c.get('monitored-key');
    await c.call('client', 'list');
    const addr = `127.0.0.1:${(c.stream as Socket).localPort}`;
    const text = await mon.until((t) => t.includes('"get"'));
    c.disconnect();
    const lines = text.split('\r\n').filter(Boolean);
    const set = lines.find((l) => l.includes('"set"'))!;
    expect(set).toMatch(LINE);
    expect(LINE.exec(set)!.slice(1)).toEqual(['3', addr, `"set" <2 args: 13 B, ${MARKER.length} B>`]);
    expect(lines.find((l) => l.includes('"get"'))).toMatch(/\[3 127\.0\.0\.1:\d+\] "get" <1 arg: 13 B>$/);
    // Admin commands are not shown (as Redis), and no byte of a key or value ever is.
    expect(text).not.toContain('"client" "list"');
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain('monitored');
    mon.close();
  });

  it('matches Redis: line shape, order (EXEC after its commands), redacted AUTH, keyspace refused, RESET leaves', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const mon = await Conn.open(port);
      await mon.exchange([['client', 'setname', 'watching'], ['monitor']]);
      const c = await Conn.open(port);
      const list = await c.exchange([['client', 'list']]);
      const monLine = list.split('\n').find((l) => l.includes(' name=watching '))!;
      const monFlags = `flags=${field(monLine, 'flags')} cmd=${field(monLine, 'cmd')}`;
      await c.exchange([['multi'], ['set', 'm:k', MARKER], ['exec'], ['auth', 'not-a-password'], ['config', 'get', 'maxmemory'], ['ping']]);
      const fed = await mon.until((t) => t.includes('"ping"'));
      // The monitoring connection itself: keyspace refused, others run, a second MONITOR is ignored.
      const own = await mon.exchange([['get', 'm:k'], ['monitor'], ['echo', 'e'], ['reset'], ['get', 'm:k']]);
      mon.close();
      c.close();
      const names = fed.split('\r\n').filter(Boolean).map((l) => {
        expect(l).toMatch(LINE);
        return /\] "(\w+)"/.exec(l)![1];
      });
      const ownShape = own.replace(/\+\d{10}\.\d{6} \[0 127\.0\.0\.1:\d+\] "echo"[^\r]*\r\n/, '<echo line>');
      return { names: names.join(' '), ownShape, fed, monFlags };
    });
    expect(sealkv.monFlags).toBe('flags=O cmd=monitor');
    expect(sealkv.names).toBe('multi set exec auth ping');
    expect(sealkv.fed).toMatch(/"auth" <1 arg: redacted>/);
    expect(sealkv.fed).not.toContain('not-a-password');
    expect(sealkv.fed).not.toContain(MARKER);
    expect(sealkv.ownShape).toBe(`-${Errors.replicaKeyspace}\r\n$1\r\ne\r\n<echo line>+RESET\r\n$${MARKER.length}\r\n${MARKER}\r\n`);
    if (ref !== null) {
      expect(sealkv.names).toBe(ref.names);
      expect(sealkv.ownShape).toBe(ref.ownShape);
      expect(sealkv.monFlags).toBe(ref.monFlags);
    }
  });

  it('matches Redis: EVAL, EVALSHA and FCALL come before the commands they run, shown as `lua`; an aborted EXEC is shown', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const mon = await Conn.open(port);
      await mon.exchange([['monitor']]);
      const c = await Conn.open(port);
      const lib = "#!lua name=monlib\nredis.register_function('monf', function(keys, args) return redis.call('set', keys[1], args[1]) end)";
      const sha = (await c.exchange([['script', 'load', "return redis.call('get', KEYS[1])"]])).split('\r\n')[1]!;
      await c.exchange([
        ['function', 'load', 'replace', lib],
        ['eval', "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', 'mon:n')", '1', 'mon:k', MARKER],
        ['evalsha', sha, '1', 'mon:k'],
        ['evalsha', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
        ['fcall', 'monf', '1', 'mon:f', 'v'],
        ['multi'], ['nosuchcommand'], ['exec'],
        ['ping'],
      ]);
      const fed = await mon.until((t) => t.includes('"ping"'));
      mon.close();
      c.close();
      const names = fed.split('\r\n').filter(Boolean).map((l) => {
        const m = /^\+\d{10}\.\d{6} \[(\d+) ([^\]]+)\] "(\w+)"/.exec(l)!;
        expect(m).not.toBeNull();
        return m[2] === 'lua' ? `lua:${m[3]}` : m[3];
      });
      return { names: names.join(' '), fed };
    });
    expect(sealkv.names).toBe('script function eval lua:set lua:incr evalsha lua:get evalsha fcall lua:set multi exec ping');
    expect(sealkv.fed).not.toContain(MARKER);
    if (ref !== null) expect(sealkv.names).toBe(ref.names);
  });

  it('MONITOR queued in MULTI is refused at EXEC, as Redis', async () => {
    const { sealkv, redis: ref } = await onBoth(async (port) => {
      const c = await Conn.open(port);
      const out = await c.exchange([['multi'], ['monitor'], ['exec'], ['monitor', 'x']]);
      c.close();
      return out;
    });
    expect(sealkv).toBe(`+OK\r\n+QUEUED\r\n*1\r\n-${Errors.monitorInMulti}\r\n-ERR wrong number of arguments for 'monitor' command\r\n`);
    if (ref !== null) expect(sealkv).toBe(ref);
  });

  it.skipIf(redisCliMissing)('redis-cli monitor prints the lines', async () => {
    const cli = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), 'monitor'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    try {
      const start = Date.now();
      while (!out.includes('OK') && Date.now() - start < 5000) await sleep(20);
      const c = ioredis(server.port);
      await c.set('cli-key', MARKER);
      c.disconnect();
      while (!out.includes('"set"') && Date.now() - start < 8000) await sleep(20);
    } finally {
      cli.kill('SIGTERM');
    }
    expect(out).toMatch(/^\d{10}\.\d{6} \[0 127\.0\.0\.1:\d+\] "set" <2 args: 7 B, 26 B>$/m);
    expect(out).not.toContain(MARKER);
  });

  it('a monitor that never reads is closed once its backlog passes 32 MB (Redis lets it grow)', async () => {
    const mon = await Conn.open(server.port);
    await mon.exchange([['monitor']]);
    mon.socket.pause();
    const monitors = () => [...server.running.state.clients.values()].filter((x) => x.lastCommand === 'monitor').length;
    expect(monitors()).toBe(1);
    const writer = await Conn.open(server.port);
    // Each PING (14 bytes in) makes a ~60-byte monitor line: 32 MB after ~550,000 of them.
    const batch = Buffer.concat(Array.from({ length: 50_000 }, () => encodeCommand(['ping'])));
    for (let round = 0; round < 30 && monitors() > 0; round++) {
      writer.take();
      writer.socket.write(batch);
      await writer.until((t) => t.length >= 50_000 * 7, 20_000);
    }
    expect(monitors()).toBe(0);
    await mon.until(() => mon.closed, 2000);
    writer.close();
    mon.close();
  }, 120_000);
});
