// oom-score-adj and oom-score-adj-values move the process's /proc/<pid>/oom_score_adj as
// redis-server 7.0's do: the class of the role (master, replica) added to the score found before
// (yes, relative) or as it is (absolute), and the score found put back when turned off. The same
// script runs against a redis-server started beside sealkv, and both read alike.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { sealkvBesideRedis } from '../helpers/beside-redis.js';

const linux = process.platform === 'linux';
const score = (pid: number) => Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'));
const setScore = (pid: number, value: number) => writeFileSync(`/proc/${pid}/oom_score_adj`, `${value}\n`);

/** Redis's oom-score-adj unit in one script: the scores read after each step. */
async function readings(port: number, pid: number): Promise<unknown[]> {
  const r = ioredis(port);
  const out: unknown[] = [];
  try {
    setScore(pid, 22);
    await r.call('config', 'set', 'oom-score-adj-values', '10 20 30');
    out.push(score(pid)); // off: values alone do not touch it
    await r.call('config', 'set', 'oom-score-adj', 'yes');
    out.push(score(pid)); // 22 + 10
    await r.call('config', 'set', 'oom-score-adj-values', '15 20 30');
    out.push(score(pid)); // 22 + 15
    await r.call('replicaof', '127.0.0.1', '1');
    out.push(score(pid)); // the replica's class: 22 + 20
    await r.call('replicaof', 'no', 'one');
    out.push(score(pid));
    await r.call('config', 'set', 'oom-score-adj', 'absolute');
    out.push(score(pid)); // 15
    await r.call('config', 'set', 'oom-score-adj-values', '2000 2000 2000');
    out.push(score(pid)); // within -1000..1000
    await r.call('config', 'set', 'oom-score-adj', 'no');
    out.push(score(pid)); // 22 again
    out.push(await r.call('config', 'set', 'oom-score-adj-values', '1 2').catch((e: Error) => e.message));
  } finally {
    r.disconnect();
  }
  return out;
}

describe.skipIf(!linux)('oom-score-adj', () => {
  const run = sealkvBesideRedis();

  it('writes the class of the role to /proc/self/oom_score_adj, relative or absolute, and restores it when off', async () => {
    const got = await readings(run.sealkv.port, run.sealkv.process.pid!);
    expect(got).toEqual([22, 32, 37, 42, 37, 15, 1000, 22,
      "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"]);
    if (run.redis) expect(await readings(run.redis.port, run.redis.pid)).toEqual(got);
  });
});
