// The process title (ps, /proc/<pid>/cmdline) follows proc-title-template as redis-server
// 7.0's does (Redis's other unit, "Process title set as expected"): set at start, on CONFIG SET
// of the template, and when the listeners move. Read beside a redis-server, whose {title} is its
// executable where sealkv's is its script.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { sealkvBesideRedis } from '../helpers/beside-redis.js';
import { freePort } from '../helpers/server.js';

/** The title's words, its first {title} word (or the one after TEST) as "<title>". */
function title(pid: number): string[] {
  const words = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '').split(' ');
  const at = words[0] === 'TEST' ? 1 : 0;
  return words.map((w, i) => (i === at ? '<title>' : w));
}

async function observe(port: number, pid: number): Promise<unknown[]> {
  const r = ioredis(port);
  try {
    const out: unknown[] = [title(pid)];
    out.push(await r.call('config', 'set', 'proc-title-template', 'TEST {title} {listen-addr} {port} {tls-port} {unixsocket} {config-file}'));
    out.push(title(pid));
    const moved = await freePort();
    out.push(await r.call('config', 'set', 'port', String(moved)));
    out.push(title(pid).map((w) => w.replace(String(moved), '<moved>')));
    out.push(await r.call('config', 'set', 'proc-title-template', '{invalid-var}').catch((e: Error) => e.message));
    out.push(await r.call('config', 'set', 'port', String(port)));
    return out.map((o) => (Array.isArray(o) ? o.map((w) => String(w).replace(String(port), '<port>')) : o));
  } finally {
    r.disconnect();
  }
}

describe.skipIf(process.platform !== 'linux')('process title', () => {
  const run = sealkvBesideRedis();

  it('follows proc-title-template at start, on CONFIG SET and when the port moves', async () => {
    expect(title(run.sealkv.process.pid!)[0]).toBe('<title>');
    expect(readFileSync(`/proc/${run.sealkv.process.pid}/cmdline`, 'latin1')).toMatch(/^\S+\/bin\/sealkv\.js 127\.0\.0\.1:\d+\0/);
    const ours = await observe(run.sealkv.port, run.sealkv.process.pid!);
    expect(ours).toEqual([
      ['<title>', '127.0.0.1:<port>'],
      'OK',
      ['TEST', '<title>', '127.0.0.1:<port>', '<port>', '0', '', '-'],
      'OK',
      ['TEST', '<title>', '127.0.0.1:<moved>', '<moved>', '0', '', '-'],
      "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is invalid or contains unknown variables",
      'OK',
    ]);
    if (run.redis) expect(await observe(run.redis.port, run.redis.pid)).toEqual(ours);
  });
});
