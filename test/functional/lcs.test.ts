// LCS against the real server over real clients, replies compared byte for byte with
// redis-server 7.0 (RESP2 arrays, RESP3 maps), including the ties that decide which of several
// longest subsequences comes out, the match ranges, and the memory bound.

import { describe, expect, it } from 'vitest';
import { nodeRedis, redisCli, redisCliMissing } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { compareWithRedis, OTHER } from '../helpers/reference-redis.js';
import { startInProcess } from '../helpers/server.js';
import { Errors } from '../../src/protocol/errors.js';

const RNA1 = 'CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG';
const RNA2 = 'ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT';

const CASES: Record<string, string[][]> = {
  'the string, its length and its match ranges': [
    ['MSET', 'a', 'ohmytext', 'b', 'mynewtext'], ['LCS', 'a', 'b'], ['LCS', 'a', 'b', 'LEN'], ['LCS', 'a', 'b', 'IDX'],
    ['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'], ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4'], ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
    ['LCS', 'a', 'b', 'idx', 'minmatchlen', '-5', 'withmatchlen'], ['LCS', 'b', 'a', 'IDX', 'WITHMATCHLEN'],
  ],
  'long strings, ties and repeats': [
    ['MSET', 'r1', RNA1, 'r2', RNA2], ['LCS', 'r1', 'r2'], ['LCS', 'r1', 'r2', 'LEN'], ['LCS', 'r1', 'r2', 'IDX', 'WITHMATCHLEN'],
    ['LCS', 'r1', 'r2', 'IDX', 'MINMATCHLEN', '5'], ['MSET', 't1', 'abababab', 't2', 'babababa'], ['LCS', 't1', 't2'],
    ['LCS', 't1', 't2', 'IDX', 'WITHMATCHLEN'], ['MSET', 'u1', 'aaaa', 'u2', 'aa'], ['LCS', 'u1', 'u2', 'IDX'], ['LCS', 'u2', 'u1', 'IDX'],
    ['MSET', 'x1', 'abc', 'x2', 'xyz'], ['LCS', 'x1', 'x2'], ['LCS', 'x1', 'x2', 'IDX'], ['MSET', 'bin1', '\x00\xff\x00a', 'bin2', '\xff\x00a\x00'],
    ['LCS', 'bin1', 'bin2'], ['LCS', 'bin1', 'bin2', 'IDX', 'WITHMATCHLEN'],
  ],
  'missing keys are empty strings': [
    ['LCS', 'no1', 'no2'], ['LCS', 'no1', 'no2', 'LEN'], ['LCS', 'no1', 'no2', 'IDX'], ['SET', 'a', 'abc'], ['LCS', 'a', 'no2', 'IDX', 'WITHMATCHLEN'],
    ['SET', 'e', ''], ['LCS', 'a', 'e'],
  ],
  'errors, in Redis order': [
    ['SET', 'a', 'abc'], ['HSET', 'h', 'f', 'v'], ['LCS', 'a', 'h'], ['LCS', 'h', 'a', 'BOGUS'], ['LCS', 'a', 'a', 'BOGUS'],
    ['LCS', 'a', 'a', 'LEN', 'IDX'], ['LCS', 'a', 'a', 'IDX', 'LEN', 'BOGUS'], ['LCS', 'a', 'a', 'MINMATCHLEN'], ['LCS', 'a', 'a', 'MINMATCHLEN', 'x'],
    ['LCS', 'a'],
  ],
  'the table may not pass proto-max-bulk-len': [
    [OTHER, 'CONFIG', 'SET', 'proto-max-bulk-len', '1mb'], ['SET', 'a', 'x'.repeat(600)], ['SET', 'b', 'y'.repeat(600)],
    ['LCS', 'a', 'b', 'LEN'], ['LCS', 'a', 'b'], ['SET', 'b', 'y'.repeat(300)], ['LCS', 'a', 'b', 'LEN'],
    [OTHER, 'CONFIG', 'SET', 'proto-max-bulk-len', '512mb'],
  ],
};

compareWithRedis('LCS against redis-server 7.0', CASES, () => startInProcess());

const { server, client, run } = withServer();

describe('LCS through the clients', () => {
  it('ioredis', async () => {
    await client.mset('a', 'ohmytext', 'b', 'mynewtext');
    expect(await run(['lcs', 'a', 'b'])).toBe('mytext');
    expect(await run(['lcs', 'a', 'b', 'idx', 'withmatchlen'])).toEqual(['matches', [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], 'len', 6]);
    expect(await run(['lcs', 'a', 'b', 'len', 'idx'])).toEqual({ error: Errors.lcsLenAndIdx });
    await client.hset('h', 'f', 'v');
    expect(await run(['lcs', 'a', 'h'])).toEqual({ error: Errors.lcsNotStrings });
    await client.config('SET', 'proto-max-bulk-len', '1mb');
    try {
      await client.mset('l1', 'x'.repeat(1000), 'l2', 'y'.repeat(1000));
      expect(await run(['lcs', 'l1', 'l2', 'len'])).toEqual({ error: Errors.lcsTooBig });
    } finally {
      await client.config('SET', 'proto-max-bulk-len', '512mb');
    }
  });

  it('node-redis', async () => {
    const c = await nodeRedis(server.port);
    try {
      await c.mSet(['n1', 'abcdef', 'n2', 'xbxdxf']);
      expect(await c.sendCommand(['LCS', 'n1', 'n2'])).toBe('bdf');
      expect(await c.sendCommand(['LCS', 'n1', 'n2', 'LEN'])).toBe(3);
    } finally {
      await c.quit();
    }
  });

  it.skipIf(redisCliMissing)('redis-cli', async () => {
    await client.mset('c1', 'hello', 'c2', 'yellow');
    expect((await redisCli(server.port, ['LCS', 'c1', 'c2'])).trim()).toBe('ello');
  });

  it('refuses a table that cannot be allocated, where Redis would say the same', async () => {
    // Two 1 MB strings need a 4 TB table: allowed by an enormous proto-max-bulk-len, beyond
    // the memory there is, so refused before anything is allocated.
    await client.config('SET', 'proto-max-bulk-len', String(2 ** 50));
    try {
      await client.mset('big1', 'a'.repeat(1_000_000), 'big2', 'b'.repeat(1_000_000));
      expect(await run(['lcs', 'big1', 'big2'])).toEqual({ error: Errors.lcsAllocFailed });
    } finally {
      await client.config('SET', 'proto-max-bulk-len', '512mb');
    }
  });
});
