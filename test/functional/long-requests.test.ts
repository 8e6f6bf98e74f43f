// Requests with thousands of arguments. Above 1,024 arguments the parser keeps a command as one
// arena plus offsets (long-args.ts), and the variadic commands whose handlers read a vector
// (DEL, EXISTS, MSET, RPUSH, SADD, HSET ... : takesArgList) get it whole, with no Buffer per
// argument; every other path (MULTI, CLIENT PAUSE, ACL key patterns, SLOWLOG, MONITOR, commands
// that take arrays) must see the same arguments. Expected replies are Redis 7.0's.

import { describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, nodeRedis, rawExchange } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';

const { server, client, run } = withServer();

const N = 5000;
const keys = Array.from({ length: N }, (_, i) => `k${i}`);
const pairs = keys.flatMap((k, i) => [k, `v${i}`]);

/** One fresh connection: sends the commands, returns all it answered. */
async function exchange(...commands: string[][]): Promise<string> {
  const { data } = await rawExchange(server.port, Buffer.concat(commands.map((c) => encodeCommand(c))), 300);
  return data.toString('latin1');
}

describe('requests of thousands of arguments', () => {
  it('MSET, MGET, EXISTS, TOUCH, MSETNX, DEL and UNLINK read every argument', async () => {
    expect(await run(['mset', ...pairs])).toBe('OK');
    const values = (await run(['mget', ...keys, 'missing'])) as (string | null)[];
    expect(values.length).toBe(N + 1);
    expect(values.slice(0, N).every((v, i) => v === `v${i}`)).toBe(true);
    expect(values[N]).toBeNull();
    expect(await run(['exists', ...keys, 'missing', 'k0'])).toBe(N + 1);
    expect(await run(['touch', ...keys])).toBe(N);
    expect(await run(['msetnx', ...pairs])).toBe(0);
    expect(await run(['del', ...keys.slice(0, N / 2), 'missing', 'k0'])).toBe(N / 2);
    expect(await run(['unlink', ...keys])).toBe(N / 2);
    expect(await run(['msetnx', ...pairs])).toBe(1);
    expect(await run(['dbsize'])).toBe(N);
  });

  it('RPUSH, LPUSH, their X forms, SADD, SREM, SMISMEMBER, HSET, HMSET, HMGET and HDEL', async () => {
    expect(await run(['rpush', 'list', ...keys])).toBe(N);
    expect(await run(['lpush', 'list', ...keys])).toBe(2 * N);
    expect(await run(['rpushx', 'list', ...keys])).toBe(3 * N);
    expect(await run(['lpushx', 'nolist', ...keys])).toBe(0);
    expect(await run(['lindex', 'list', '0'])).toBe(`k${N - 1}`);
    expect(await run(['lindex', 'list', String(N)])).toBe('k0');
    expect(await run(['lindex', 'list', '-1'])).toBe(`k${N - 1}`);
    expect(await run(['sadd', 'set', ...keys, ...keys.slice(0, 10)])).toBe(N);
    const member = (await run(['smismember', 'set', ...keys, 'no'])) as number[];
    expect(member.filter((x) => x === 1).length).toBe(N);
    expect(member[N]).toBe(0);
    expect(await run(['srem', 'set', ...keys.slice(0, N - 1), 'no'])).toBe(N - 1);
    expect(await run(['smembers', 'set'])).toEqual([`k${N - 1}`]);
    expect(await run(['hset', 'hash', ...pairs])).toBe(N);
    expect(await run(['hmset', 'hash', ...pairs.slice(0, 2 * 1000)])).toBe('OK');
    const got = (await run(['hmget', 'hash', ...keys])) as string[];
    expect(got.every((v, i) => v === `v${i}`)).toBe(true);
    expect(await run(['hdel', 'hash', ...keys.slice(1)])).toBe(N - 1);
    expect(await run(['hlen', 'hash'])).toBe(1);
    expect(await run(['hget', 'hash', 'k0'])).toBe('v0');
  });

  it('an odd MSET or HSET, and an unknown command, answer as Redis does', async () => {
    expect(await exchange(['MSET', ...pairs, 'lone'], ['HSET', 'h', ...pairs, 'lone'])).toBe(
      "-ERR wrong number of arguments for 'mset' command\r\n-ERR wrong number of arguments for 'hset' command\r\n",
    );
    expect(await exchange(['NOSUCH', ...keys])).toBe(
      "-ERR unknown command 'NOSUCH', with args beginning with: " + keys.slice(0, 23).map((k) => `'${k}' `).join('') + '\r\n',
    );
  });

  it('commands whose handlers take arrays get every argument too (ZADD, SUNIONSTORE, PFADD)', async () => {
    const scored = keys.flatMap((k, i) => [String(i), k]);
    expect(await run(['zadd', 'z', ...scored])).toBe(N);
    expect(await run(['zscore', 'z', `k${N - 1}`])).toBe(String(N - 1));
    await run(['sadd', 'one', 'k1']);
    expect(await run(['sunionstore', 'u', 'one', ...keys])).toBe(1);
    expect(await run(['pfadd', 'hll', ...keys])).toBe(1);
  });

  it('queued in MULTI, the command keeps its arguments until EXEC', async () => {
    const reply = await exchange(['MULTI'], ['DEL', ...keys], ['MSET', ...pairs], ['EXISTS', ...keys], ['EXEC']);
    expect(reply).toBe(`+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n:0\r\n+OK\r\n:${N}\r\n`);
  });

  it('held by CLIENT PAUSE WRITE, it runs once the pause ends', async () => {
    await run(['mset', ...pairs]);
    const other = ioredis(server.port);
    try {
      await run(['client', 'pause', '200', 'write']);
      const started = Date.now();
      expect(await other.call('del', ...keys)).toBe(N);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    } finally {
      other.disconnect();
    }
  });

  it('ACL key patterns are checked against every argument', async () => {
    await run(['acl', 'setuser', 'only-k', 'on', '>pw', '~k*', '+@all']);
    const c = await nodeRedis(server.port);
    try {
      await c.sendCommand(['AUTH', 'only-k', 'pw']);
      expect(await c.sendCommand(['MSET', ...pairs])).toBe('OK');
      expect(await c.sendCommand(['DEL', ...keys])).toBe(N);
      await expect(c.sendCommand(['DEL', ...keys, 'x'])).rejects.toThrow('NOPERM this user has no permissions to access one of the keys used as arguments');
    } finally {
      await c.quit();
      await run(['acl', 'deluser', 'only-k']);
    }
  });

  it('SLOWLOG and MONITOR show how many arguments there were, and some sizes, never the bytes', async () => {
    await run(['config', 'set', 'slowlog-log-slower-than', '0']);
    await run(['slowlog', 'reset']);
    const mon = ioredis(server.port);
    const lines: string[] = [];
    try {
      await mon.monitor().then((m) => m.on('monitor', (_time: string, args: string[]) => lines.push(args.join(' '))));
      await client.call('exists', ...keys);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      mon.disconnect();
      await run(['config', 'set', 'slowlog-log-slower-than', '10000']);
    }
    const entries = (await run(['slowlog', 'get', '10'])) as [number, number, number, string[]][];
    const entry = entries.find((e) => e[3][0] === 'exists')!;
    expect(entry[3].length).toBe(32);
    expect(entry[3][1]).toBe('2 B');
    expect(entry[3][31]).toBe(`... (${N - 30} more arguments)`);
    expect(lines.join('\n')).toContain(`<${N} args: 2 B`);
  });
});
