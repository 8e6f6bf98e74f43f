// INFO errorstats, total_error_replies and commandstats' calls/rejected/failed after scripts whose
// redis.call meets errors, against redis-server 7: an error is counted once, where it arose (the
// command's reply or its refusal), and the script's error reply made of it is not counted again
// (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE) though the script still failed. scripting.tcl's
// "Consistent eval error reporting" checks the same.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, ReplyConnection, startRedis, type ReferenceRedis } from '../helpers/reference-redis.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

const SCRIPTS: string[][] = [
  ['EVAL', "return redis.call('select', 99)", '0'],
  ['EVAL', "return redis.pcall('select', 99)", '0'],
  ['EVAL', "local t = redis.pcall('select', 99) return 1", '0'],
  ['EVAL', "return redis.call('nosuch')", '0'],
  ['EVAL', "return {1, redis.pcall('incr', 'k', 'x')}", '0'],
  ['EVAL', "return redis.error_reply('MY err')", '0'],
  ['EVAL', "error('boom')", '0'],
  ['EVAL_RO', "return redis.call('set', 'a', 'b')", '0'],
  ['SET', 's', 'x'],
  ['EVAL', "return redis.call('incr', 's')", '0'],
  ['CONFIG', 'SET', 'maxmemory', '1'],
  ['EVAL', "return redis.call('set', 'x', 'y')", '1', 'x'],
  ['EVAL', "local t = redis.pcall('set', 'x', 'y') return 1", '1', 'x'],
  ['EVAL', "return redis.pcall('set', 'x', 'y')", '1', 'x'],
  ['CONFIG', 'SET', 'maxmemory', '0'],
];

/** The stats lines, commandstats without their timings (and without CONFIG and INFO themselves). */
async function stats(port: number): Promise<string[]> {
  const c = await ReplyConnection.open(port);
  try {
    expect(await c.send(['CONFIG', 'RESETSTAT'])).toBe('+OK\r\n');
    for (const cmd of SCRIPTS) await c.send(cmd);
    const info = await c.send(['INFO', 'everything']);
    return info
      .split('\r\n')
      .filter((l) => /^(errorstat_|total_error_replies:|cmdstat_)/.test(l) && !/^cmdstat_(config|info)/.test(l))
      .map((l) => l.replace(/usec=[^,]*,usec_per_call=[^,]*,/, ''))
      .sort();
  } finally {
    c.close();
  }
}

describe.skipIf(!hasRedisServer)('script error counting against redis-server 7', () => {
  let redis: ReferenceRedis;
  let sealkv: InProcessServer;
  beforeAll(async () => {
    [redis, sealkv] = await Promise.all([startRedis(), startInProcess()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), sealkv?.stop()]);
  });

  it('counts each error once and each command as called, rejected or failed as Redis does', async () => {
    const expected = await stats(redis.port);
    expect(expected).toContain('total_error_replies:12');
    expect(await stats(sealkv.port)).toEqual(expected);
  });
});
