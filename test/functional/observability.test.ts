// What operators see, against redis-server 7.0 where Redis has the same thing: INFO
// commandstats (calls, rejected and failed counted by Redis's rules), errorstats, latencystats,
// CONFIG RESETSTAT, the Stats fields dashboards graph, SLOWLOG (arguments shown as sizes, never
// bytes) and LATENCY. The same script of commands goes to both servers in RESP2 and RESP3 and
// the INFO fields must match except the measured times. Skipped (with a message) where
// redis-server is not installed; the sealkv-only checks run everywhere.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

let sealkv: InProcessServer;
let redis: ReferenceRedis | undefined;

beforeAll(async () => {
  [sealkv, redis] = await Promise.all([startInProcess(), hasRedisServer ? startRedis() : Promise.resolve(undefined)]);
});
afterAll(async () => {
  await Promise.all([sealkv?.stop(), redis?.stop()]);
});
if (!hasRedisServer) console.warn('observability: redis-server is not installed, the comparisons with it are skipped');

/** The text of an INFO reply, RESP2 bulk or RESP3 verbatim. */
function infoBody(raw: string): string {
  const body = raw.slice(raw.indexOf('\r\n') + 2, -2);
  return raw[0] === '=' ? body.slice(4) : body;
}

/** field -> value of one INFO section. */
async function info(c: ReplyConnection, section: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of infoBody(await c.send(['INFO', section])).split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

/** commandstats without the measured times. */
function countsOnly(stats: Map<string, string>): Record<string, string> {
  return Object.fromEntries([...stats].map(([k, v]) => [k, v.replace(/usec=[^,]*,usec_per_call=[^,]*,/, '')]));
}

async function open(port: number, protocol: 2 | 3): Promise<ReplyConnection> {
  const c = await ReplyConnection.open(port);
  if (protocol === 3) expect((await c.send(['HELLO', '3']))[0]).toBe('%');
  return c;
}

/** Commands that run, fail, are refused, or are unknown; each counted as Redis counts it. */
const SCRIPT: string[][] = [
  ['SET', 'k', 'v'],
  ['GET', 'k'],
  ['GET', 'missing'],
  ['INCR', 'k'], // failed: not an integer
  ['HSET', 'k', 'f', 'v'], // failed: WRONGTYPE
  ['GET'], // rejected: arity
  ['GET', 'a', 'b'], // rejected: arity
  ['NOSUCHCOMMAND', 'x'], // unknown: no cmdstat, an ERR
  ['CONFIG', 'NOSUCH'], // unknown subcommand: no cmdstat
  ['CONFIG'], // rejected: arity of the container
  ['CONFIG', 'GET'], // rejected: config|get arity
  ['CLIENT', 'LIST'],
  ['CLIENT', 'SETNAME', 'bad name'], // failed
  ['SELECT', '99'], // failed
  ['PING', 'a', 'b'], // rejected: arity
  ['MULTI'],
  ['SET', 'n', '1'],
  ['INCR', 'k'], // fails inside EXEC: incr failed, exec not
  ['EXEC'],
  ['MULTI'],
  ['GET'], // rejected while queueing; dooms the transaction
  ['EXEC'], // failed: EXECABORT
  ['EXEC'], // failed: without MULTI
  ['EXEC', 'x'], // rejected: arity
  ['MULTI'],
  ['MULTI'], // failed: nested
  ['DISCARD'],
  ['AUTH', 'nopass'], // failed: no password configured
  ['EXPIRE', 'k', 'notanumber'], // failed
  ['DEL', 'k', 'n'],
];

describe.skipIf(!hasRedisServer)('INFO commandstats and errorstats as redis-server 7.0 counts them', () => {
  for (const protocol of [2, 3] as const) {
    it(`RESP${protocol}: the same calls, rejected_calls, failed_calls and error counts`, async () => {
      const seen: Record<string, unknown>[] = [];
      for (const port of [redis!.port, sealkv.port]) {
        const c = await open(port, protocol);
        try {
          expect(await c.send(['CONFIG', 'RESETSTAT'])).toBe('+OK\r\n');
          for (const cmd of SCRIPT) await c.send(cmd);
          const commandstats = countsOnly(await info(c, 'commandstats'));
          const errorstats = Object.fromEntries(await info(c, 'errorstats'));
          const stats = await info(c, 'stats');
          seen.push({ commandstats, errorstats, total_error_replies: stats.get('total_error_replies'), total_commands_processed: stats.get('total_commands_processed') });
        } finally {
          c.close();
        }
      }
      expect(seen[1]).toEqual(seen[0]);
      // The script did exercise every kind of count.
      const cs = seen[1]!.commandstats as Record<string, string>;
      expect(cs.cmdstat_get).toBe('calls=2,rejected_calls=3,failed_calls=0');
      expect(cs.cmdstat_incr).toBe('calls=2,rejected_calls=0,failed_calls=2');
      expect(cs['cmdstat_client|list']).toMatch(/^calls=1,/);
    });
  }

  it('a blocking command unblocked with CLIENT UNBLOCK ... ERROR failed (Redis info unit); so did CLIENT UNBLOCK, as in Redis', async () => {
    const seen: Record<string, unknown>[] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const c = await open(port, 2);
      const waiting = await open(port, 2);
      try {
        expect(await c.send(['CONFIG', 'RESETSTAT'])).toBe('+OK\r\n');
        const id = (await waiting.send(['CLIENT', 'ID'])).slice(1, -2);
        const reply = waiting.send(['BLPOP', 'list1{t}', '0']);
        // Blocked once CLIENT LIST shows it in blpop.
        while (!(await c.send(['CLIENT', 'LIST'])).includes('cmd=blpop')) await new Promise((r) => setTimeout(r, 5));
        expect(await c.send(['CLIENT', 'UNBLOCK', id, 'ERROR'])).toBe(':1\r\n');
        expect(await reply).toBe('-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n');
        // And one that times out (not failed).
        expect(await waiting.send(['BLPOP', 'list1{t}', '0.01'])).toBe('*-1\r\n');
        const stats = countsOnly(await info(c, 'commandstats'));
        seen.push({ blpop: stats.cmdstat_blpop, unblock: stats['cmdstat_client|unblock'], errors: Object.fromEntries(await info(c, 'errorstats')) });
      } finally {
        c.close();
        waiting.close();
      }
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1]).toMatchObject({ blpop: 'calls=2,rejected_calls=0,failed_calls=1', unblock: 'calls=1,rejected_calls=0,failed_calls=1' });
  });

  it('latencystats lists the commands that ran, with the percentiles configured', async () => {
    const names: string[][] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const c = await open(port, 2);
      try {
        await c.send(['CONFIG', 'RESETSTAT']);
        for (const cmd of SCRIPT) await c.send(cmd);
        const lat = await info(c, 'latencystats');
        for (const v of lat.values()) expect(v).toMatch(/^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/);
        names.push([...lat.keys()].sort());
      } finally {
        c.close();
      }
    }
    expect(names[1]).toEqual(names[0]);
    expect(names[1]).toContain('latency_percentiles_usec_client|list');
  });

  it('the Stats fields sealkv reports are Redis 7.0 fields, in Redis order, with the ones dashboards graph', async () => {
    const fields: string[][] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const c = await open(port, 2);
      fields.push([...(await info(c, 'stats')).keys()]);
      c.close();
    }
    const [theirs, ours] = fields as [string[], string[]];
    expect(ours.filter((f) => !theirs.includes(f))).toEqual([]);
    expect(ours).toEqual(theirs.filter((f) => ours.includes(f)));
    for (const f of ['instantaneous_ops_per_sec', 'instantaneous_input_kbps', 'instantaneous_output_kbps', 'total_net_input_bytes', 'total_net_output_bytes',
      'total_commands_processed', 'keyspace_hits', 'keyspace_misses', 'expired_keys', 'evicted_keys', 'total_error_replies', 'latest_fork_usec']) {
      expect(ours).toContain(f);
    }
  });

  it('LATENCY HISTOGRAM names the same commands with the same calls; buckets double and accumulate', async () => {
    const replies: string[][] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const out: string[] = [];
      for (const protocol of [2, 3] as const) {
        const c = await open(port, protocol);
        await c.send(['CONFIG', 'RESETSTAT']);
        for (const cmd of SCRIPT) await c.send(cmd);
        // (A container brings its subcommands in Redis's dict order: one subcommand each here.)
        for (const ask of [['set', 'nosuch', 'client|list', 'get'], ['config'], ['incr', 'client|setname'], ['exec', 'CLIENT|LIST']]) {
          const raw = await c.send(['LATENCY', 'HISTOGRAM', ...ask]);
          // Bucket values are measured times: compared apart, below.
          out.push(raw.replace(/(\$14\r\nhistogram_usec\r\n)[*%](\d+)\r\n((?::\d+\r\n)*)/g, (_m, head: string, n: string, body: string) => {
            const nums = body.split('\r\n').filter((x) => x !== '').map((x) => Number(x.slice(1)));
            const pairs = protocol === 2 ? Number(n) / 2 : Number(n);
            expect(nums.length).toBe(2 * pairs);
            for (let i = 2; i < nums.length; i += 2) {
              expect(nums[i]).toBeGreaterThan(nums[i - 2]!);
              expect(nums[i + 1]).toBeGreaterThan(nums[i - 1]!);
            }
            return `${head}<${nums[nums.length - 1]} in all>\r\n`;
          }));
        }
        c.close();
      }
      replies.push(out);
    }
    expect(replies[1]).toEqual(replies[0]);
  });

  it('SLOWLOG logs the same commands as Redis (those that ran, the ones inside EXEC, not EXEC itself)', async () => {
    const logged: string[][] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const c = await open(port, 2);
      try {
        await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '0']);
        await c.send(['SLOWLOG', 'RESET']);
        for (const cmd of SCRIPT) await c.send(cmd);
        await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '-1']);
        const raw = await c.send(['SLOWLOG', 'GET', '-1']);
        // Each entry: *6, id, time, micros, then its argv array: keep the command's name.
        logged.push([...raw.matchAll(/\*6\r\n:\d+\r\n:\d+\r\n:\d+\r\n\*\d+\r\n\$\d+\r\n([^\r]*)\r\n/g)].map((m) => m[1]!.toLowerCase()));
      } finally {
        await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000']);
        c.close();
      }
    }
    expect(logged[1]).toEqual(logged[0]);
    expect(logged[1]).toContain('incr');
    expect(logged[1]).not.toContain('exec');
  });

  it('a blocking command\'s wait is not its time: no SLOWLOG entry, no LATENCY event, usec of its work', async () => {
    const WAITERS = ['blpop', 'bzpopmin', 'xread', 'brpoplpush', 'wait'];
    // BullMQ and Bee-Queue workers wait in BZPOPMIN / BRPOPLPUSH all day: Redis counts only the
    // work (call() skips a blocked client, updateStatsOnUnblock adds the reply's time), and
    // WAIT's wait for replicas is left out the same way.
    const seen: string[][] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const c = await open(port, 2);
      const writer = await open(port, 2);
      try {
        for (const setting of [['slowlog-log-slower-than', '100000'], ['latency-monitor-threshold', '100']]) await c.send(['CONFIG', 'SET', ...setting]);
        await c.send(['SLOWLOG', 'RESET']);
        await c.send(['LATENCY', 'RESET']);
        await c.send(['CONFIG', 'RESETSTAT']);
        const out: string[] = [];
        const later = (cmd: string[]) => setTimeout(() => void writer.send(cmd), 250);
        later(['RPUSH', 'bl', 'x']);
        out.push(await c.send(['BLPOP', 'bl', '2']));
        later(['ZADD', 'bz', '1', 'm']);
        out.push(await c.send(['BZPOPMIN', 'bz', '2']));
        later(['XADD', 'bx', '1-1', 'f', 'v']);
        out.push(await c.send(['XREAD', 'BLOCK', '2000', 'STREAMS', 'bx', '$']));
        out.push(await c.send(['BRPOPLPUSH', 'none', 'dst', '0.25']));
        // WAIT for a replica that is not there: it waits out its timeout.
        out.push(await c.send(['WAIT', '1', '250']));
        out.push(await c.send(['SLOWLOG', 'LEN']), await c.send(['LATENCY', 'LATEST']));
        const stats = infoBody(await c.send(['INFO', 'commandstats']));
        for (const name of WAITERS) {
          const usec = Number(new RegExp(`cmdstat_${name}:calls=1,usec=(\\d+),`).exec(stats)?.[1]);
          out.push(`${name} usec under 100 ms: ${usec < 100_000}`);
        }
        seen.push(out);
      } finally {
        await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000']);
        await c.send(['CONFIG', 'SET', 'latency-monitor-threshold', '0']);
        c.close();
        writer.close();
      }
    }
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1]!.slice(-7)).toEqual([':0\r\n', '*0\r\n', ...WAITERS.map((n) => `${n} usec under 100 ms: true`)]);
  });

  it('SLOWLOG errors and shapes as Redis', async () => {
    const cases = [['SLOWLOG', 'GET', 'x'], ['SLOWLOG', 'GET', '-2'], ['SLOWLOG', 'GET', '1', '2'], ['SLOWLOG', 'LEN', '1'], ['SLOWLOG'], ['SLOWLOG', 'NOPE'],
      ['SLOWLOG', 'RESET'], ['SLOWLOG', 'LEN'], ['SLOWLOG', 'GET'], ['LATENCY', 'HISTORY'], ['LATENCY', 'HISTORY', 'command'], ['LATENCY', 'LATEST'], ['LATENCY', 'RESET', 'a', 'b'], ['LATENCY', 'RESET']];
    const replies: string[][] = [];
    for (const port of [redis!.port, sealkv.port]) {
      const c = await open(port, 2);
      const out: string[] = [];
      for (const cmd of cases) out.push(`${cmd.join(' ')} -> ${await c.send(cmd)}`);
      replies.push(out);
      c.close();
    }
    expect(replies[1]).toEqual(replies[0]);
    expect(replies[1]).toContain('SLOWLOG GET -2 -> -ERR count should be greater than or equal to -1\r\n');
  });
});

describe('what sealkv shows of commands', () => {
  it('SLOWLOG with slowlog-log-slower-than 0 records every command as names and sizes, never an argument', async () => {
    const c = await open(sealkv.port, 2);
    try {
      const marker = 'SKVSLOWMARK-7f3a9c';
      expect(await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '0'])).toBe('+OK\r\n');
      await c.send(['SLOWLOG', 'RESET']);
      await c.send(['CLIENT', 'SETNAME', 'slowlog-test']);
      await c.send(['SET', `${marker}-key`, `${marker}-value`]);
      await c.send(['GET', `${marker}-key`]);
      await c.send(['AUTH', `${marker}-password`]);
      await c.send(['HSET', 'h', ...Array.from({ length: 40 }, (_, i) => `${marker}${i}`)]);
      const raw = await c.send(['SLOWLOG', 'GET', '-1']);
      expect(raw.includes('SKVSLOWMARK')).toBe(false);
      for (const protocol of [3] as const) {
        const c3 = await open(sealkv.port, protocol);
        expect((await c3.send(['SLOWLOG', 'GET', '-1'])).includes('SKVSLOWMARK')).toBe(false);
        c3.close();
      }
      // HSET with 41 arguments: 31 elements and a summary, 32 in all as Redis, AUTH (redacted), GET, SET, CLIENT SETNAME, SLOWLOG RESET.
      const sizes = (n: number) => `$${String(n).length + 2}\r\n${n} B\r\n`;
      expect(raw).toContain(`*3\r\n$3\r\nset\r\n${sizes(marker.length + 4)}${sizes(marker.length + 6)}`);
      expect(raw).toContain(`*2\r\n$3\r\nget\r\n${sizes(marker.length + 4)}`);
      expect(raw).toContain('*2\r\n$4\r\nauth\r\n$10\r\n(redacted)\r\n');
      expect(raw).toContain('$23\r\n... (11 more arguments)\r\n');
      expect(raw).toContain('$12\r\nslowlog-test\r\n');
      const len = Number((await c.send(['SLOWLOG', 'LEN'])).slice(1, -2));
      expect(len).toBeGreaterThanOrEqual(6);
      // One entry: id, unix time, micros, argv, address, name.
      expect(await c.send(['SLOWLOG', 'GET', '1'])).toMatch(/^\*1\r\n\*6\r\n:\d+\r\n:\d{10}\r\n:\d+\r\n\*2\r\n\$7\r\nslowlog\r\n\$3\r\nlen\r\n\$\d+\r\n127\.0\.0\.1:\d+\r\n\$12\r\nslowlog-test\r\n$/);
      expect(await c.send(['CONFIG', 'SET', 'slowlog-max-len', '2'])).toBe('+OK\r\n');
      expect(await c.send(['SLOWLOG', 'LEN'])).toBe(':2\r\n');
      expect(await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '-1'])).toBe('+OK\r\n');
      await c.send(['SLOWLOG', 'RESET']);
      await c.send(['SET', 'a', 'b']);
      expect(await c.send(['SLOWLOG', 'LEN'])).toBe(':0\r\n');
    } finally {
      await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000', 'slowlog-max-len', '128']);
      c.close();
    }
  });

  it('SLOWLOG shows the credentials Redis redacts as (redacted), never their size: ACL SETUSER, CONFIG SET masterauth, MIGRATE AUTH / AUTH2', async () => {
    const c = await open(sealkv.port, 2);
    try {
      expect(await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '0'])).toBe('+OK\r\n');
      await c.send(['SLOWLOG', 'RESET']);
      await c.send(['ACL', 'SETUSER', 'slowlog-user', '>secret-pass', '+get']);
      await c.send(['ACL', 'DELUSER', 'slowlog-user']);
      await c.send(['CONFIG', 'SET', 'masterauth', 'a-master-password']);
      await c.send(['CONFIG', 'SET', 'masterauth', '']);
      // Nothing listens on port 1: MIGRATE fails, and is logged all the same.
      await c.send(['MIGRATE', '127.0.0.1', '1', 'k', '0', '100', 'AUTH', 'pw123456']);
      await c.send(['MIGRATE', '127.0.0.1', '1', 'k', '0', '100', 'COPY', 'AUTH2', 'user1', 'pw2345']);
      const raw = await c.send(['SLOWLOG', 'GET', '-1']);
      const r = '$10\r\n(redacted)\r\n';
      expect(raw).toContain(`*5\r\n$3\r\nacl\r\n$7\r\nsetuser\r\n${r}${r}${r}`);
      expect(raw).toContain(`*4\r\n$6\r\nconfig\r\n$3\r\nset\r\n$4\r\n10 B\r\n${r}`);
      // MIGRATE is logged once done, when its read buffer may hold other bytes: the AUTH word may
      // show as (redacted) too, the password never as its size.
      const migrate = '*8\r\n$7\r\nmigrate\r\n$3\r\n9 B\r\n$3\r\n1 B\r\n$3\r\n1 B\r\n$3\r\n1 B\r\n$3\r\n3 B\r\n';
      expect(raw.includes(`${migrate}$3\r\n4 B\r\n${r}`) || raw.includes(`${migrate}${r}${r}`)).toBe(true);
      expect(raw).toMatch(/\*10\r\n\$7\r\nmigrate\r\n(\$3\r\n\d B\r\n){5}(\$3\r\n4 B\r\n\$3\r\n5 B\r\n|(\$10\r\n\(redacted\)\r\n){2})\$10\r\n\(redacted\)\r\n\$10\r\n\(redacted\)\r\n/);
      expect(raw).not.toMatch(/\$4\r\n(8|11|17) B\r\n/);
    } finally {
      await c.send(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000']);
      c.close();
    }
  });

  it('CONFIG RESETSTAT clears commandstats, errorstats and latencystats', async () => {
    const c = await open(sealkv.port, 2);
    try {
      await c.send(['SET', 'a', 'b']);
      await c.send(['INCR', 'a']);
      expect((await info(c, 'commandstats')).size).toBeGreaterThan(0);
      expect((await info(c, 'errorstats')).size).toBeGreaterThan(0);
      await c.send(['CONFIG', 'RESETSTAT']);
      // INFO counts once it has run, as in Redis.
      expect([...(await info(c, 'commandstats')).keys()]).toEqual(['cmdstat_config|resetstat']);
      expect((await info(c, 'errorstats')).size).toBe(0);
      expect([...(await info(c, 'latencystats')).keys()]).toEqual(['latency_percentiles_usec_config|resetstat', 'latency_percentiles_usec_info']);
      expect((await info(c, 'stats')).get('total_error_replies')).toBe('0');
    } finally {
      c.close();
    }
  });

  it('latency-tracking and latency-tracking-info-percentiles are acted on', async () => {
    const c = await open(sealkv.port, 3);
    try {
      await c.send(['CONFIG', 'RESETSTAT']);
      expect(await c.send(['CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 90 100'])).toBe('+OK\r\n');
      for (let i = 0; i < 20; i++) await c.send(['SET', 'a', String(i)]);
      const set = (await info(c, 'latencystats')).get('latency_percentiles_usec_set')!;
      const [p0, p90, p100] = set.match(/^p0=(\d+\.\d{3}),p90=(\d+\.\d{3}),p100=(\d+\.\d{3})$/)!.slice(1).map(Number);
      expect(p0).toBeGreaterThan(0);
      expect(p0).toBeLessThanOrEqual(p90!);
      expect(p90).toBeLessThanOrEqual(p100!);
      expect(await c.send(['CONFIG', 'SET', 'latency-tracking', 'no'])).toBe('+OK\r\n');
      expect(infoBody(await c.send(['INFO', 'latencystats']))).toBe('# Latencystats\r\n');
      // Calls still count while the histograms are off.
      expect((await info(c, 'commandstats')).get('cmdstat_set')).toMatch(/^calls=20,/);
    } finally {
      await c.send(['CONFIG', 'SET', 'latency-tracking', 'yes', 'latency-tracking-info-percentiles', '50 99 99.9']);
      c.close();
    }
  });

  it('instantaneous_ops_per_sec and the kbps rates follow the load', async () => {
    const c = await open(sealkv.port, 2);
    try {
      const start = Date.now();
      // About 2 s of requests: the rates average the last 1.6 s, sampled every 100 ms.
      while (Date.now() - start < 2000) await Promise.all(Array.from({ length: 50 }, () => c.send(['SET', 'a', 'some value'])));
      const stats = await info(c, 'stats');
      expect(Number(stats.get('instantaneous_ops_per_sec'))).toBeGreaterThan(100);
      expect(Number(stats.get('instantaneous_input_kbps'))).toBeGreaterThan(0);
      expect(Number(stats.get('instantaneous_output_kbps'))).toBeGreaterThan(0);
      expect(Number(stats.get('total_reads_processed'))).toBeGreaterThan(0);
      expect(Number(stats.get('total_writes_processed'))).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  }, 15_000);

  it('LATENCY records commands at least latency-monitor-threshold ms long', async () => {
    const c = await open(sealkv.port, 2);
    try {
      expect(await c.send(['CONFIG', 'SET', 'latency-monitor-threshold', '1'])).toBe('+OK\r\n');
      // Sealing 32 MiB takes well over a millisecond (SETRANGE, a slow command: a SET this large seals on a seal worker, off the loop).
      await c.send(['SETRANGE', 'big', '0', 'x'.repeat(32 * 1024 * 1024)], 20_000);
      // Under load another event (an expire-cycle of 1 ms or more) may be there too.
      const latest = await c.send(['LATENCY', 'LATEST']);
      expect(latest).toMatch(/^\*[1-9]\r\n/);
      expect(latest).toMatch(/\*4\r\n\$7\r\ncommand\r\n:\d{10}\r\n:\d+\r\n:\d+\r\n/);
      expect(await c.send(['LATENCY', 'HISTORY', 'command'])).toMatch(/^\*1\r\n\*2\r\n:\d{10}\r\n:\d+\r\n$/);
      expect(infoBody(await c.send(['LATENCY', 'DOCTOR']))).toContain('command: 1 latency spikes');
      expect(await c.send(['LATENCY', 'RESET'])).toMatch(/^:[1-9]\r\n$/);
      expect(await c.send(['LATENCY', 'LATEST'])).toBe('*0\r\n');
    } finally {
      await c.send(['CONFIG', 'SET', 'latency-monitor-threshold', '0']);
      await c.send(['DEL', 'big']);
      c.close();
    }
  }, 30_000);

  it('LATENCY records an active expiry cycle that frees a large set as expire-cycle (Redis\'s event name)', async () => {
    const c = await open(sealkv.port, 2);
    try {
      expect(await c.send(['CONFIG', 'SET', 'latency-monitor-threshold', '1'])).toBe('+OK\r\n');
      for (let i = 0; i < 300_000; i += 10_000) {
        await c.send(['SADD', 'bigset', ...Array.from({ length: 10_000 }, (_, j) => `member-${i + j}`)], 20_000);
      }
      await c.send(['LATENCY', 'RESET']);
      const expired = async () => Number(/expired_keys:(\d+)/.exec(await c.send(['INFO', 'stats']))![1]);
      const before = await expired();
      expect(await c.send(['PEXPIRE', 'bigset', '10'])).toBe(':1\r\n');
      sealkv.advance(50);
      // The active cycle, not a read, must remove it: poll without touching the key.
      for (let i = 0; i < 200 && (await expired()) === before; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await expired()).toBe(before + 1);
      expect(await c.send(['LATENCY', 'LATEST'])).toContain('$12\r\nexpire-cycle\r\n');
    } finally {
      await c.send(['CONFIG', 'SET', 'latency-monitor-threshold', '0']);
      c.close();
    }
  }, 60_000);
});
