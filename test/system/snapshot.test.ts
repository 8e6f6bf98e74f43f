// Sealed snapshots on tmpfs (src/persistence/), with real server processes: SAVE then a restart
// brings back every key of every type; a tampered snapshot stops the start with exit code 1;
// a dir that is not on tmpfs is refused; the quota keeps the old snapshot whole; BGSAVE under
// writing clients gives a consistent snapshot while PING keeps being answered; save rules and
// SHUTDOWN SAVE/NOSAVE/SIGTERM save as Redis does; the file holds no plaintext marker.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, nodeRedis, redisCli, redisCliMissing, runner } from '../helpers/clients.js';
import { describeHits, makeMarkers, scanFile, scanProcessMemory } from '../helpers/memory-scan.js';
import { Errors } from '../../src/protocol/errors.js';
import { hasRedisServer, startRedis } from '../helpers/reference-redis.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';
import { readSnapshotRecords, writeSnapshotParts } from '../helpers/snapshot-file.js';

const SHM = '/dev/shm';
const onShm = existsSync(SHM) && statSync(SHM).isDirectory();

let keyDir: string;
let keyFile: string;
let otherKeyFile: string;

beforeAll(() => {
  keyDir = mkdtempSync(join(SHM, 'sealkv-snapkeys-'));
  keyFile = join(keyDir, 'master.key');
  otherKeyFile = join(keyDir, 'other.key');
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  writeFileSync(otherKeyFile, randomBytes(32), { mode: 0o600 });
});

afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

/** Clients opened by a test, closed after it (servers come and go within a test). */
const opened: Redis[] = [];

function client(port: number, options: Record<string, unknown> = {}): Redis {
  const c = ioredis(port, { retryStrategy: () => null, ...options });
  c.on('error', () => {});
  opened.push(c);
  return c;
}

afterEach(() => {
  for (const c of opened.splice(0)) c.disconnect();
});

function freshDir(): string {
  return mkdtempSync(join(SHM, 'sealkv-snap-'));
}

function start(dir: string, extra: string[] = [], key = keyFile): Promise<SpawnedServer> {
  return spawnServer(['--dir', dir, '--master-key-file', key, ...extra]);
}

/** Every key of every database, described through commands (values, TTLs, encodings). */
async function describeState(port: number, dbs: number[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const db of dbs) {
    const c = client(port, { db });
    try {
      const keys = (await c.keys('*')).sort();
      for (const key of keys) {
        const type = await c.type(key);
        const d: Record<string, unknown> = { type, encoding: await c.object('ENCODING', key), pexpiretime: await c.call('pexpiretime', key) };
        if (type === 'string') d.value = (await c.getBuffer(key))!.toString('hex');
        if (type === 'hash') d.value = Object.entries(await c.hgetall(key)).sort();
        if (type === 'list') d.value = await c.lrange(key, 0, -1);
        if (type === 'set') d.value = (await c.smembers(key)).sort();
        if (type === 'zset') d.value = await c.call('zrange', key, '0', '-1', 'WITHSCORES');
        if (type === 'stream') {
          d.value = await c.xrange(key, '-', '+');
          d.info = await c.call('xinfo', 'stream', key);
          const groups = (await c.call('xinfo', 'groups', key)) as unknown[][];
          d.groups = groups;
          for (const g of groups) {
            const name = String(g[1]);
            // [id, consumer, count]: the idle time moves with the clock.
            d[`pending:${name}`] = ((await c.xpending(key, name, '-', '+', 100)) as unknown[][]).map((p) => [p[0], p[1], p[3]]);
            d[`consumers:${name}`] = ((await c.call('xinfo', 'consumers', key, name)) as unknown[][]).map((x) => [x[1], x[3]]);
          }
        }
        out[`${db}:${key}`] = d;
      }
    } finally {
      c.disconnect();
    }
  }
  return out;
}

/** One of every type and encoding, a few TTLs, three databases. */
async function populate(port: number): Promise<void> {
  const c = client(port);
  try {
    await c.set('str', 'hello');
    await c.set('int', '12345');
    await c.set(Buffer.from([0, 1, 2, 0xff]), Buffer.from([0xfe, 0, 10, 13]));
    await c.set('big', randomBytes(150_000).toString('hex'));
    await c.set('ttl', 'soon', 'EX', 3600);
    await c.set('pttl', 'later', 'PXAT', Date.now() + 7_200_000);
    await c.hset('hsmall', { a: '1', b: '2' });
    const large: Record<string, string> = {};
    for (let i = 0; i < 300; i++) large[`f${i}`] = `v${i}`;
    await c.hset('hlarge', large);
    await c.expire('hlarge', 5000);
    await c.rpush('list', 'x', 'y', 'z', 'x');
    await c.rpush('lbig', ...Array.from({ length: 600 }, (_, i) => `e${i}`));
    await c.sadd('iset', 1, 2, 3, 100);
    await c.sadd('sset', 'a', 'b', 'c');
    await c.sadd('sbig', ...Array.from({ length: 700 }, (_, i) => `m${i}`));
    await c.zadd('zsmall', 1, 'a', 2.5, 'b', -3, 'c');
    await c.zadd('zbig', ...Array.from({ length: 300 }, (_, i) => [String(i * 1.5), `z${i}`]).flat());
    await c.xadd('stream', '1-1', 'f', 'v1');
    await c.xadd('stream', '2-1', 'f', 'v2', 'g', 'w2');
    await c.xadd('stream', '3-1', 'f', 'v3');
    await c.xdel('stream', '2-1');
    await c.xgroup('CREATE', 'stream', 'grp', '0');
    await c.xgroup('CREATE', 'stream', 'other', '$');
    await c.xreadgroup('GROUP', 'grp', 'alice', 'COUNT', 1, 'STREAMS', 'stream', '>');
    await c.xreadgroup('GROUP', 'grp', 'bob', 'COUNT', 1, 'STREAMS', 'stream', '>');
    await c.select(1);
    await c.set('str', 'db1 value');
    await c.rpush('list', 'db1');
    await c.select(5);
    await c.zadd('z5', 1, 'only');
  } finally {
    c.disconnect();
  }
}

describe.skipIf(!onShm)('sealed snapshots on tmpfs', () => {
  for (const sealKeys of [false, true]) {
    it(`SAVE then a restart loads every key of every type${sealKeys ? ' (--seal-keys)' : ''}`, async () => {
      const dir = freshDir();
      const flags = sealKeys ? ['--seal-keys', 'yes'] : [];
      try {
        const first = await start(dir, flags);
        let before: Record<string, unknown>;
        try {
          await populate(first.port);
          before = await describeState(first.port, [0, 1, 5]);
          const run = runner(client(first.port));
          expect(await run(['save'])).toBe('OK');
          const info = String(await run(['info', 'persistence']));
          expect(info).toContain('rdb_changes_since_last_save:0\r\n');
          expect(info).toContain('rdb_saves:1\r\n');
          const mode = statSync(join(dir, 'dump.rdb')).mode & 0o777;
          expect(mode).toBe(0o600);
        } finally {
          await first.stop();
        }
        // Loading under the other seal-keys mode works as well (names travel inside the records).
        const second = await start(dir, sealKeys ? [] : ['--seal-keys', 'yes']);
        try {
          expect(await describeState(second.port, [0, 1, 5])).toEqual(before);
          const info = String(await runner(client(second.port))(['info', 'persistence']));
          expect(info).toMatch(/rdb_last_load_keys_loaded:19\r\n/);
          expect(info).toContain('rdb_changes_since_last_save:0\r\n');
        } finally {
          await second.stop();
        }
        const third = await start(dir, flags);
        try {
          expect(await describeState(third.port, [0, 1, 5])).toEqual(before);
        } finally {
          await third.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  describe('a tampered snapshot is refused with exit code 1', () => {
    let dir: string;
    let original: Buffer;

    beforeAll(async () => {
      dir = freshDir();
      const s = await start(dir);
      try {
        const c = client(s.port);
        // Enough data for several records (one is sealed per 64 KB of operations).
        const pipe = c.pipeline();
        for (let i = 0; i < 3000; i++) pipe.set(`k${i}`, randomBytes(60).toString('hex'));
        await pipe.exec();
        expect(await c.call('save')).toBe('OK');
        c.disconnect();
      } finally {
        await s.stop();
      }
      original = readFileSync(join(dir, 'dump.rdb'));
      expect(readSnapshotRecords(original).records.length).toBeGreaterThanOrEqual(4);
    }, 60_000);

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function refused(bytes: Buffer, message: RegExp, key = keyFile): Promise<void> {
      writeFileSync(join(dir, 'dump.rdb'), bytes, { mode: 0o600 });
      await expect(start(dir, [], key)).rejects.toThrow(new RegExp(`exited with 1[\\s\\S]*sealkv: snapshot .* not loaded: .*${message.source}`));
    }

    it('loads when untouched (the control)', async () => {
      writeFileSync(join(dir, 'dump.rdb'), original, { mode: 0o600 });
      const s = await start(dir);
      try {
        expect(await client(s.port).dbsize()).toBe(3000);
      } finally {
        await s.stop();
      }
    }, 30_000);

    it('truncated', async () => {
      await refused(original.subarray(0, Math.floor(original.length / 2)), /truncated/);
      await refused(original.subarray(0, original.length - 1), /truncated inside its trailer/);
      await refused(original.subarray(0, 40), /not a sealkv snapshot/);
    }, 60_000);

    it('a flipped byte in a record, in the header, in the trailer', async () => {
      const { records } = readSnapshotRecords(original);
      const inRecord = Buffer.from(original);
      inRecord[records[1]!.start + 100]! ^= 0x01;
      await refused(inRecord, /hash chain mismatch/);
      const inHeader = Buffer.from(original);
      inHeader[50]! ^= 0x80;
      await refused(inHeader, /MAC mismatch/);
      const inTrailer = Buffer.from(original);
      inTrailer[inTrailer.length - 20]! ^= 0x01;
      await refused(inTrailer, /hash chain mismatch|MAC mismatch/);
    }, 60_000);

    it('records reordered, dropped or replayed', async () => {
      const parts = readSnapshotRecords(original);
      const r = parts.records.map((x) => original.subarray(x.start, x.end));
      const swapped = [r[0]!, r[2]!, r[1]!, ...r.slice(3)];
      await refused(writeSnapshotParts(parts, swapped), /hash chain mismatch/);
      await refused(writeSnapshotParts(parts, [r[0]!, ...r.slice(2)]), /hash chain mismatch/);
      await refused(writeSnapshotParts(parts, [r[0]!, r[1]!, r[1]!, ...r.slice(2)]), /hash chain mismatch/);
      // The last record dropped and the trailer's count fixed up: the MAC covers the counts.
      const lastDropped = writeSnapshotParts(parts, r.slice(0, -1), (t) => t.writeBigUInt64BE(BigInt(r.length - 1), 1));
      await refused(lastDropped, /MAC mismatch/);
    }, 60_000);

    it('a record from another snapshot spliced in', async () => {
      // A second snapshot of the same keys under the same key: its records do not fit this chain.
      const otherDir = freshDir();
      try {
        writeFileSync(join(otherDir, 'dump.rdb'), original, { mode: 0o600 });
        const s = await start(otherDir);
        try {
          expect(await client(s.port).call('save')).toBe('OK');
        } finally {
          await s.stop();
        }
        const other = readFileSync(join(otherDir, 'dump.rdb'));
        const otherParts = readSnapshotRecords(other);
        const parts = readSnapshotRecords(original);
        const r = parts.records.map((x) => original.subarray(x.start, x.end));
        const foreign = other.subarray(otherParts.records[1]!.start, otherParts.records[1]!.end);
        await refused(writeSnapshotParts(parts, [r[0]!, foreign, ...r.slice(2)]), /hash chain mismatch/);
      } finally {
        rmSync(otherDir, { recursive: true, force: true });
      }
    }, 60_000);

    it('another master key, a newer format version', async () => {
      await refused(original, /written under another master key/, otherKeyFile);
      const newer = Buffer.from(original);
      newer.writeUInt16BE(2, 8);
      await refused(newer, /format version 2 is newer than this sealkv reads \(1\)/);
    }, 60_000);
  });

  it('a dir that is not on tmpfs: SAVE and BGSAVE answer why, save rules are not armed, nothing is written', async () => {
    const dir = mkdtempSync(join(process.cwd(), '.not-tmpfs-'));
    const notTmpfs = !isTmpfs(dir);
    try {
      if (!notTmpfs) return;
      const s = await spawnServer(['--dir', dir, '--save 1 1']);
      try {
        const run = runner(client(s.port));
        await run(['set', 'k', 'v']);
        expect(await run(['save'])).toEqual({ error: expect.stringMatching(/^ERR dir .* is not on tmpfs \(filesystem type 0x[0-9a-f]+\): sealkv writes snapshots only to memory-backed storage$/) });
        expect(await run(['bgsave'])).toEqual({ error: expect.stringMatching(/^ERR dir .* is not on tmpfs/) });
        await new Promise((r) => setTimeout(r, 2500));
        expect(await s.waitForOutput('save rules not acted on')).toBe(true);
        expect(String(await run(['info', 'persistence']))).toContain('rdb_bgsave_in_progress:0');
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        await s.stop();
      }
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('past snapshot-max-bytes: an error, and the old snapshot stays intact', async () => {
    const dir = freshDir();
    try {
      const s = await start(dir, ['--snapshot-max-bytes', '64kb']);
      try {
        const run = runner(client(s.port));
        await run(['set', 'small', 'v']);
        expect(await run(['save'])).toBe('OK');
        const old = readFileSync(join(dir, 'dump.rdb'));
        await run(['set', 'big', randomBytes(100_000).toString('hex')]);
        expect(await run(['save'])).toEqual({ error: Errors.snapshotFailed('snapshot would exceed snapshot-max-bytes (65536 bytes); the previous snapshot is kept') });
        expect(await run(['bgsave'])).toBe('Background saving started');
        for (let i = 0; i < 100 && String(await run(['info', 'persistence'])).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 50));
        expect(String(await run(['info', 'persistence']))).toContain('rdb_last_bgsave_status:err');
        expect(readFileSync(join(dir, 'dump.rdb')).equals(old)).toBe(true);
        expect(readdirSync(dir)).toEqual(['dump.rdb']);
        expect(await run(['config', 'set', 'snapshot-max-bytes', '0'])).toBe('OK');
        expect(await run(['save'])).toBe('OK');
        expect(String(await run(['info', 'persistence']))).toContain('rdb_last_bgsave_status:ok');
      } finally {
        await s.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('stop-writes-on-bgsave-error: after a failed BGSAVE with save rules set, writes and PING get MISCONF until a save succeeds', async () => {
    const dir = freshDir();
    try {
      const s = await start(dir, ['--snapshot-max-bytes', '64kb', '--save', '3600 1000']);
      try {
        const run = runner(client(s.port));
        await run(['set', 'big', randomBytes(100_000).toString('hex')]);
        expect(await run(['bgsave'])).toBe('Background saving started');
        for (let i = 0; i < 100 && String(await run(['info', 'persistence'])).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 50));
        expect(String(await run(['info', 'persistence']))).toContain('rdb_last_bgsave_status:err');
        expect(await run(['set', 'k', 'v'])).toEqual({ error: Errors.misconf });
        expect(await run(['ping'])).toEqual({ error: Errors.misconf });
        expect(await run(['eval', "return redis.call('set', 'k', 'v')", '0'])).toEqual({ error: expect.stringContaining('MISCONF') });
        expect(await run(['multi'])).toBe('OK');
        expect(await run(['set', 'k', 'v'])).toEqual({ error: Errors.misconf });
        expect(await run(['exec'])).toEqual({ error: 'EXECABORT Transaction discarded because of previous errors.' });
        // Reads go on; the setting turns the refusal off, and a successful save ends it.
        expect(await run(['strlen', 'big'])).toBe(200_000);
        expect(await run(['config', 'set', 'stop-writes-on-bgsave-error', 'no'])).toBe('OK');
        expect(await run(['set', 'k', 'v'])).toBe('OK');
        expect(await run(['config', 'set', 'stop-writes-on-bgsave-error', 'yes'])).toBe('OK');
        expect(await run(['del', 'k'])).toEqual({ error: Errors.misconf });
        expect(await run(['config', 'set', 'snapshot-max-bytes', '0'])).toBe('OK');
        expect(await run(['save'])).toBe('OK');
        expect(await run(['set', 'k', 'v2'])).toBe('OK');
        expect(await run(['ping'])).toBe('PONG');
      } finally {
        await s.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('BGSAVE while clients write: a consistent snapshot, and PING answered meanwhile', async () => {
    const dir = freshDir();
    const KEYS = 60_000;
    try {
      const s = await start(dir);
      let pings = 0;
      let pingsDuring = 0;
      let worstPing = 0;
      try {
        const c = client(s.port);
        for (let i = 0; i < KEYS; i += 1000) {
          const pipe = c.pipeline();
          for (let j = i; j < i + 1000; j++) pipe.set(`base:${j}`, `value-${j}`);
          for (let j = i; j < i + 1000; j += 10) pipe.set(`del:${j / 10}`, 'x');
          await pipe.exec();
        }
        // Writers: new keys w:<n>:<i> in order, each followed by c:<n> = i; deleters in order.
        let stop = false;
        const writers = Array.from({ length: 4 }, async (_, n) => {
          const w = client(s.port);
          for (let i = 0; !stop; i++) {
            await w.set(`w:${n}:${i}`, `${i}`);
            await w.set(`c:${n}`, `${i}`);
            await w.lpush(`l:${n}`, `${i}`);
          }
          w.disconnect();
        });
        const deleter = (async () => {
          const d = client(s.port);
          for (let i = 0; !stop && i < KEYS / 10; i++) await d.del(`del:${i}`);
          d.disconnect();
        })();
        await new Promise((r) => setTimeout(r, 200));
        expect(await c.bgsave()).toBe('Background saving started');
        expect(await c.bgsave().catch((e: Error) => e.message)).toBe('ERR Background save already in progress');
        expect(await c.call('save').catch((e: Error) => e.message)).toBe('ERR Background save already in progress');
        const p = client(s.port);
        for (;;) {
          const t = performance.now();
          expect(await p.ping()).toBe('PONG');
          worstPing = Math.max(worstPing, performance.now() - t);
          pings++;
          const info = await p.info('persistence');
          if (info.includes('rdb_bgsave_in_progress:0')) break;
          pingsDuring++;
        }
        stop = true;
        await Promise.all([...writers, deleter]);
        const info = await c.info('persistence');
        expect(info).toContain('rdb_last_bgsave_status:ok');
        c.disconnect();
        p.disconnect();
      } finally {
        await s.stop();
      }
      expect(pingsDuring).toBeGreaterThan(3);
      // Generous (a loaded 2-core machine): the point is that no single stall lasts the whole save.
      expect(worstPing).toBeLessThan(1000);
      const again = await start(dir);
      try {
        const c = client(again.port);
        const base = await c.mget(...Array.from({ length: KEYS }, (_, j) => `base:${j}`));
        expect(base.every((v, j) => v === `value-${j}`)).toBe(true);
        // Deletions happened in order: what is left is a suffix.
        const dels = await c.exists(...Array.from({ length: KEYS / 10 }, (_, i) => `del:${i}`));
        const delLeft = await Promise.all(Array.from({ length: KEYS / 10 }, (_, i) => c.exists(`del:${i}`)));
        const firstLeft = delLeft.indexOf(1);
        expect(dels).toBe(firstLeft < 0 ? 0 : KEYS / 10 - firstLeft);
        for (let n = 0; n < 4; n++) {
          const counter = await c.get(`c:${n}`);
          const wKeys = (await c.keys(`w:${n}:*`)).map((k) => Number(k.split(':')[2])).sort((a, b) => a - b);
          // Contiguous from 0, and the counter is the last one or (its SET not yet done) the one before.
          expect(wKeys).toEqual(wKeys.map((_, i) => i));
          const last = wKeys.length - 1;
          if (last < 0) expect(counter).toBeNull();
          else expect([String(last), String(last - 1)].concat(last === 0 ? [null as unknown as string] : [])).toContain(counter);
          // Each LPUSH follows its counter's SET: the list holds every counter value, or one less.
          const list = (await c.lrange(`l:${n}`, 0, -1)).map(Number);
          const pushed = counter === null ? 0 : Number(counter) + 1;
          expect([pushed - 1, pushed]).toContain(list.length);
          expect(list).toEqual(list.map((_, i) => list.length - 1 - i));
        }
        c.disconnect();
      } finally {
        await again.stop();
      }
      console.log(`BGSAVE under load: ${pings} PINGs, ${pingsDuring} while saving, worst ${worstPing.toFixed(1)} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('save rules start a BGSAVE once their changes and seconds are reached', async () => {
    const dir = freshDir();
    try {
      const s = await start(dir, ['--save 1 2 100 1']);
      try {
        const run = runner(client(s.port));
        expect(await run(['config', 'get', 'save'])).toEqual(['save', '1 2 100 1']);
        await run(['set', 'a', '1']);
        await new Promise((r) => setTimeout(r, 2300));
        // One change: neither rule (2 changes in 1 s; 1 change in 100 s) is due.
        expect(existsSync(join(dir, 'dump.rdb'))).toBe(false);
        expect(String(await run(['info', 'persistence']))).toContain('rdb_changes_since_last_save:1\r\n');
        await run(['set', 'b', '2']);
        let saved = false;
        for (let i = 0; i < 60 && !saved; i++) {
          await new Promise((r) => setTimeout(r, 100));
          saved = existsSync(join(dir, 'dump.rdb'));
        }
        expect(saved).toBe(true);
        await new Promise((r) => setTimeout(r, 200));
        const info = String(await run(['info', 'persistence']));
        expect(info).toContain('rdb_changes_since_last_save:0\r\n');
        expect(info).toContain('rdb_saves:1\r\n');
        expect(info).toContain('rdb_last_bgsave_status:ok\r\n');
        // FLUSHALL with save rules saves the empty dataset at once (Redis's flushAllDataAndResetRDB).
        await run(['set', 'c', '3']);
        expect(await run(['flushall'])).toBe('OK');
        expect(String(await run(['info', 'persistence']))).toContain('rdb_changes_since_last_save:0\r\n');
        expect(await run(['config', 'set', 'save', ''])).toBe('OK');
        await run(['set', 'c', '3']);
        expect(await run(['flushall'])).toBe('OK');
        expect(String(await run(['info', 'persistence']))).toContain('rdb_changes_since_last_save:2\r\n');
      } finally {
        await s.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('SHUTDOWN SAVE saves, SHUTDOWN NOSAVE does not even with save rules, SIGTERM saves with save rules', async () => {
    const dir = freshDir();
    const file = join(dir, 'dump.rdb');
    try {
      let s = await start(dir);
      await runner(client(s.port))(['set', 'k', 'one']);
      await client(s.port).call('shutdown', 'save').catch(() => undefined);
      expect(await s.stop()).toBe(0);
      expect(existsSync(file)).toBe(true);

      s = await start(dir, ['--save 3600 1']);
      let run = runner(client(s.port));
      expect(await run(['get', 'k'])).toBe('one');
      await run(['set', 'k', 'two']);
      await client(s.port).call('shutdown', 'nosave').catch(() => undefined);
      await s.stop();

      s = await start(dir, ['--save 3600 1']);
      run = runner(client(s.port));
      expect(await run(['get', 'k'])).toBe('one');
      await run(['set', 'k', 'three']);
      // SIGTERM: shutdown-on-sigterm default, save rules set: a final SAVE.
      expect(await s.stop()).toBe(0);

      s = await start(dir);
      run = runner(client(s.port));
      expect(await run(['get', 'k'])).toBe('three');
      await run(['set', 'k', 'four']);
      // No save rules: SIGTERM does not save.
      await s.stop();
      s = await start(dir);
      expect(await runner(client(s.port))(['get', 'k'])).toBe('three');
      await s.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  for (const sealKeys of [false, true]) {
    it(`the snapshot file holds no plaintext value or key name, and the server's memory none after SAVE, BGSAVE and a load${sealKeys ? ' (--seal-keys)' : ''}`, async () => {
      const dir = freshDir();
      const flags = sealKeys ? ['--seal-keys', 'yes'] : [];
      const markers = makeMarkers(600);
      const names = makeMarkers(200, 'SKVNAME-');
      const m = markers.map((b) => b.toString('latin1'));
      const n = names.map((b) => b.toString('latin1'));
      try {
        const s = await start(dir, flags);
        try {
          const c = client(s.port);
          for (let i = 0; i < 100; i++) await c.set(n[i]!, m[i]!);
          await c.hset(n[100]!, Object.fromEntries(m.slice(100, 200).map((v, i) => [`f${i}`, v])));
          await c.hset(n[101]!, Object.fromEntries(m.slice(200, 220).map((v, i) => [v, `x${i}`])));
          await c.rpush(n[102]!, ...m.slice(220, 300));
          await c.sadd(n[103]!, ...m.slice(300, 380));
          await c.zadd(n[104]!, ...m.slice(380, 460).flatMap((v, i) => [i, v]));
          for (let i = 460; i < 540; i++) await c.xadd(n[105]!, '*', 'f', m[i]!);
          await c.set(n[106]!, m.slice(540, 600).join('').repeat(300));
          expect(await c.call('save')).toBe('OK');
          expect(await c.bgsave()).toBe('Background saving started');
          for (let i = 0; i < 100 && (await c.info('persistence')).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 50));
          c.disconnect();
          const fileHits = scanFile(join(dir, 'dump.rdb'), [...markers, ...names]);
          if (fileHits.hits.length > 0) console.error(describeHits(fileHits.hits, [...markers, ...names]));
          expect(fileHits.hits.length).toBe(0);
          const memHits = scanProcessMemory(s.process.pid!, sealKeys ? [...markers, ...names] : markers);
          if (memHits.hits.length > 0) console.error(describeHits(memHits.hits, markers));
          expect(memHits.hits.length).toBe(0);
        } finally {
          await s.stop();
        }
        const loaded = await start(dir, flags);
        try {
          expect(await client(loaded.port).dbsize()).toBe(107);
          const memHits = scanProcessMemory(loaded.process.pid!, sealKeys ? [...markers, ...names] : markers);
          if (memHits.hits.length > 0) console.error(describeHits(memHits.hits, markers));
          expect(memHits.hits.length).toBe(0);
        } finally {
          await loaded.stop();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('spilled values are read back from the spill tier into the snapshot', async () => {
    const dir = freshDir();
    const spillDir = freshDir();
    try {
      const values = Array.from({ length: 8000 }, (_, i) => `${i}:${randomBytes(500).toString('hex')}`);
      const s = await start(dir, ['--maxmemory', '4mb', '--spill-dir', spillDir, '--spill-max-bytes', '32mb']);
      try {
        const c = client(s.port);
        for (let i = 0; i < values.length; i += 100) {
          const pipe = c.pipeline();
          for (let j = i; j < i + 100; j++) pipe.set(`sp${j}`, values[j]!);
          await pipe.exec();
        }
        const spilled = Number(/spill_keys:(\d+)/.exec(await c.info('spill'))![1]);
        expect(spilled).toBeGreaterThan(1000);
        expect(await c.call('save')).toBe('OK');
        expect(await c.bgsave()).toBe('Background saving started');
        for (let i = 0; i < 200 && (await c.info('persistence')).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 50));
        expect(await c.info('persistence')).toContain('rdb_last_bgsave_status:ok');
      } finally {
        await s.stop();
      }
      const again = await start(dir);
      try {
        const c = client(again.port);
        const got = await c.mget(...values.map((_, j) => `sp${j}`));
        expect(got.every((v, j) => v === values[j])).toBe(true);
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(spillDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('node-redis and redis-cli drive SAVE, BGSAVE, LASTSAVE', async () => {
    const dir = freshDir();
    try {
      const s = await start(dir);
      try {
        const nr = await nodeRedis(s.port);
        await nr.set('k', 'v');
        expect(await nr.sendCommand(['SAVE'])).toBe('OK');
        const last = await nr.lastSave();
        expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(5);
        expect(await nr.bgSave()).toBe('Background saving started');
        await nr.quit();
        if (!redisCliMissing) {
          for (let i = 0; i < 100 && (await redisCli(s.port, ['INFO', 'persistence'])).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 50));
          expect((await redisCli(s.port, ['BGSAVE', 'SCHEDULE'])).trim()).toBe('Background saving started');
          expect((await redisCli(s.port, ['LASTSAVE'])).trim()).toMatch(/^\d+$/);
        }
      } finally {
        await s.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

function isTmpfs(dir: string): boolean {
  return statfsSync(dir).type === 0x01021994;
}

describe.skipIf(!onShm || !hasRedisServer)('reply shapes beside redis-server 7.0', () => {
  it('SAVE, BGSAVE [SCHEDULE], LASTSAVE and INFO persistence answer as redis-server does', async () => {
    const ourDir = freshDir();
    const theirDir = freshDir();
    const redis = await startRedis(['--dir', theirDir]);
    const ours = await start(ourDir);
    try {
      const answers = async (port: number): Promise<unknown[]> => {
        const run = runner(client(port));
        const out: unknown[] = [];
        await run(['set', 'k', 'v']);
        out.push(await run(['save']));
        out.push(typeof (await run(['lastsave'])));
        out.push(await run(['bgsave', 'foo']));
        out.push(await run(['bgsave', 'schedule', 'x']));
        out.push(await run(['lastsave', 'x']));
        out.push(await run(['save', 'x']));
        out.push(await run(['bgsave']));
        for (let i = 0; i < 200 && String(await run(['info', 'persistence'])).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 25));
        out.push(await run(['bgsave', 'SCHEDULE']));
        for (let i = 0; i < 200 && String(await run(['info', 'persistence'])).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 25));
        // Inside EXEC: scheduled, then started by the cron.
        const m = client(port);
        out.push(await m.multi().bgsave().exec());
        m.disconnect();
        for (let i = 0; i < 40 && String(await run(['info', 'persistence'])).includes('rdb_saves:3\r\n'); i++) await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 200 && String(await run(['info', 'persistence'])).includes('rdb_bgsave_in_progress:1'); i++) await new Promise((r) => setTimeout(r, 25));
        const info = String(await run(['info', 'persistence']));
        const fields = info.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':')[0]);
        out.push(fields);
        const values = Object.fromEntries(info.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':')));
        out.push(values.rdb_changes_since_last_save, values.rdb_bgsave_in_progress, values.rdb_last_bgsave_status, values.rdb_saves, values.aof_enabled);
        return out;
      };
      expect(await answers(ours.port)).toEqual(await answers(redis.port));
    } finally {
      await ours.stop();
      await redis.stop();
      rmSync(ourDir, { recursive: true, force: true });
      rmSync(theirDir, { recursive: true, force: true });
    }
  }, 60_000);
});
