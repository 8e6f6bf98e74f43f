// The spill tier in process, on a real tmpfs: which values spill, reading them back in request
// order without blocking other clients, every command family on a spilled key, garbage and
// compaction, damaged records, and a tmpfs smaller than the quota.

import { execFileSync } from 'node:child_process';
import { closeSync, open as openAsync, openSync, readSync, writeSync, truncateSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { encodeCommand, ioredis, rawExchange, runner } from '../helpers/clients.js';
import { startInProcess, storedKey, type InProcessServer } from '../helpers/server.js';
import { bytesUnder, filesUnder, mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../helpers/tmpfs.js';
import { crc32 } from 'node:zlib';
import { CHUNK_PLAIN, CHUNK_SEALED, CHUNKED_HEADER } from '../../src/seal/sealer.js';
import { Kind, type StringEntry } from '../../src/store/keyspace.js';

const SEAL_FAILED = { error: 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with' };
const big = (tag: string) => `${tag}:${'b'.repeat(500)}`;

describe.skipIf(tmpfsUnavailable)('spill tier (in process, real tmpfs)', () => {
  let tmpfs: Tmpfs;
  let server: InProcessServer;
  let client: Redis;
  let run: ReturnType<typeof runner>;

  const state = () => server.running.state;
  const spill = () => state().spill!;
  const entry = (key: string, db = 0) => state().databases[db]!.peek(storedKey(server, key)) as StringEntry | undefined;
  const isSpilled = (key: string, db = 0) => {
    const e = entry(key, db);
    return e !== undefined && e.kind === Kind.String && e.spilled !== undefined && e.value.length === 0;
  };
  const info = async (field: string) => {
    const text = (await run(['info', 'spill'])) as string;
    return Number(new RegExp(`^${field}:(\\d+)`, 'm').exec(text)![1]);
  };
  /** Spills every eligible value: the limit drops to 1 byte for one command, then is lifted. */
  const spillAll = async () => {
    await run(['config', 'set', 'maxmemory', '1']);
    await run(['ping']);
    await run(['config', 'set', 'maxmemory', '0']);
  };

  beforeAll(async () => {
    tmpfs = mountTmpfs('16m');
    server = await startInProcess({ 'spill-dir': tmpfs.dir, 'spill-max-bytes': '8mb' });
    client = ioredis(server.port);
    run = runner(client);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    tmpfs?.unmount();
  });
  afterEach(async () => {
    await run(['config', 'set', 'maxmemory', '0']);
    await run(['config', 'set', 'spill-min-value-size', '64']);
    await run(['flushall']);
  });

  it('creates a private 0700 directory inside the given one', () => {
    const own = join(tmpfs.dir, 'sealkv-spill');
    expect(spill().dir).toBe(own);
    const mode = Number(execFileSync('stat', ['-c', '%a', own]).toString().trim());
    expect(mode).toBe(700);
  });

  it('spills only string values of at least spill-min-value-size; hashes and small values stay', async () => {
    await run(['set', 'small', 'tiny']);
    await run(['set', 'large', big('large')]);
    await run(['hset', 'hash', 'f', big('field')]);
    await spillAll();
    expect(isSpilled('large')).toBe(true);
    expect(isSpilled('small')).toBe(false);
    expect(isSpilled('hash')).toBe(false);
    expect(await info('spill_keys')).toBe(1);
    const files = filesUnder(tmpfs.dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(Number(execFileSync('stat', ['-c', '%a', f]).toString().trim())).toBe(600);
    expect(await run(['get', 'large'])).toBe(big('large'));
    expect(isSpilled('large')).toBe(false);
    expect(await info('spill_promotions')).toBeGreaterThan(0);
  });

  it('answers pipelined GETs of spilled and in-memory keys in request order', async () => {
    for (let i = 0; i < 20; i++) await run(['set', `cold:${i}`, big(`cold:${i}`)]);
    await spillAll();
    for (let i = 0; i < 20; i++) await run(['set', `hot:${i}`, `hot:${i}`]);
    const pipe = client.pipeline();
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      pipe.get(`cold:${i}`).get(`hot:${i}`).get(`cold:${19 - i}`);
      expected.push(big(`cold:${i}`), `hot:${i}`, big(`cold:${19 - i}`));
    }
    const results = (await pipe.exec())!;
    expect(results.map(([err, v]) => (err ? err.message : v))).toEqual(expected);
  });

  it('reads ahead for pipelined commands behind a waiting one, and writes among them still win', async () => {
    for (let i = 0; i < 30; i++) await run(['set', `cold:${i}`, big(`cold:${i}`)]);
    await spillAll();
    const readsBefore = await info('spill_reads');
    const pipe = client.pipeline();
    pipe.get('cold:0'); // waits for its read: everything behind it is parsed ahead
    pipe.set('cold:1', 'fresh').get('cold:1'); // a read started ahead for cold:1 must not win
    pipe.del('cold:2').get('cold:2');
    for (let i = 3; i < 30; i++) pipe.get(`cold:${i}`);
    const results = (await pipe.exec())!.map(([err, v]) => (err ? err.message : v));
    expect(results).toEqual([big('cold:0'), 'OK', 'fresh', 1, null, ...Array.from({ length: 27 }, (_, i) => big(`cold:${i + 3}`))]);
    // One tmpfs read per spilled GET at most: reads started ahead are taken over, not repeated.
    expect((await info('spill_reads')) - readsBefore).toBeLessThanOrEqual(30);
  });

  it('answers a protocol error met while reading ahead only after the replies before it', async () => {
    await run(['set', 'cold:x', big('cold:x')]);
    await spillAll();
    expect(isSpilled('cold:x')).toBe(true);
    const { data, closed } = await rawExchange(server.port, [encodeCommand(['GET', 'cold:x']), encodeCommand(['PING']), '*1\r\n$abc\r\n']);
    const value = big('cold:x');
    expect(data.toString('latin1')).toBe(`$${value.length}\r\n${value}\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n`);
    expect(closed).toBe(true);
  });

  it('serves other clients while a spilled read is in flight', async () => {
    await run(['set', 'cold', big('cold')]);
    await spillAll();
    expect(isSpilled('cold')).toBe(true);
    // Occupy every libuv threadpool thread with opens of FIFOs that have no writer yet: the
    // spilled read queues behind them, deterministically, until the test releases them.
    const fifoDir = mkdtempSync(join(tmpdir(), 'sealkv-fifo-'));
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const fifos = Array.from({ length: threads }, (_, i) => join(fifoDir, `f${i}`));
    for (const f of fifos) execFileSync('mkfifo', [f]);
    const blocked = fifos.map((f) => new Promise<number>((resolve, reject) => openAsync(f, 'r', (err, fd) => (err ? reject(err) : resolve(fd)))));
    const other = ioredis(server.port);
    try {
      await other.ping();
      const readsBefore = spill().store.reads;
      let answered = false;
      const slow = client.get('cold').then((v) => {
        answered = true;
        return v;
      });
      for (let i = 0; i < 1000 && spill().store.reads === readsBefore; i++) await new Promise((r) => setImmediate(r));
      expect(spill().store.reads).toBe(readsBefore + 1);
      expect(await other.set('meanwhile', 'yes')).toBe('OK');
      expect(await other.get('meanwhile')).toBe('yes');
      expect(answered).toBe(false);
      for (const f of fifos) closeSync(openSync(f, 'w'));
      for (const fd of await Promise.all(blocked)) closeSync(fd);
      expect(await slow).toBe(big('cold'));
    } finally {
      other.disconnect();
      rmSync(fifoDir, { recursive: true, force: true });
    }
  });

  it('runs every kind of command on a spilled key as if it were in memory', async () => {
    await run(['config', 'set', 'spill-min-value-size', '0']);
    const keys = ['s', 'a', 'r', 'c', 'm', 'g', 'n', 'x', 'gd'];
    for (const k of keys) await run(['set', k, big(k)]);
    await run(['set', 'n', '41']);
    await spillAll();
    for (const k of keys) expect(isSpilled(k)).toBe(true);
    expect(await run(['strlen', 's'])).toBe(big('s').length);
    expect(await run(['append', 'a', '!'])).toBe(big('a').length + 1);
    expect(await run(['getrange', 'g', '0', '1'])).toBe('g:');
    expect(await run(['incr', 'n'])).toBe(42);
    expect(await run(['rename', 'r', 'r2'])).toBe('OK');
    expect(await run(['copy', 'c', 'c2'])).toBe(1);
    expect(await run(['move', 'm', '1'])).toBe(1);
    expect(await run(['getdel', 'gd'])).toBe(big('gd'));
    expect(await run(['exists', 'x'])).toBe(1);
    expect(isSpilled('x')).toBe(true);
    expect(await run(['type', 'x'])).toBe('string');
    expect(await run(['mget', 'a', 'r2', 'c', 'c2', 'n'])).toEqual([big('a') + '!', big('r'), big('c'), big('c'), '42']);
    await run(['select', '1']);
    expect(await run(['get', 'm'])).toBe(big('m'));
    await run(['select', '0']);
    // MULTI/EXEC: the keys of every queued command are read back before EXEC runs.
    await spillAll();
    expect(isSpilled('a')).toBe(true);
    await run(['multi']);
    await run(['get', 'a']);
    await run(['select', '1']);
    await run(['get', 'm']);
    await run(['select', '0']);
    expect(await run(['exec'])).toEqual([big('a') + '!', 'OK', big('m'), 'OK']);
  });

  it('turns overwritten, deleted and expired spilled values into garbage, and compaction reclaims it', async () => {
    for (let i = 0; i < 400; i++) await run(['set', `k:${i}`, big(`k:${i}`)]);
    await spillAll();
    const live = await info('spill_live_bytes');
    expect(live).toBeGreaterThan(0);
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) await run(['set', `k:${i}`, 'short']);
      else if (i % 3 === 1) await run(['del', `k:${i}`]);
      else await run(['pexpire', `k:${i}`, '1']);
    }
    server.advance(10);
    for (let i = 2; i < 300; i += 3) expect(await run(['exists', `k:${i}`])).toBe(0);
    expect(await info('spill_keys')).toBe(100);
    expect(await info('spill_live_bytes')).toBeLessThan(live / 3);
    // The cron may already have compacted; a few more steps leave every segment under half garbage.
    for (let i = 0; i < 20; i++) spill().tick();
    const used = await info('spill_used_bytes');
    expect(used).toBeLessThan(live);
    expect(await info('spill_garbage_bytes')).toBeLessThan(used / 2);
    expect(bytesUnder(tmpfs.dir)).toBe(await info('spill_used_bytes'));
    for (let i = 300; i < 400; i++) expect(await run(['get', `k:${i}`])).toBe(big(`k:${i}`));
  });

  it('answers a damaged or truncated record with the seal error, counts it, and keeps serving', async () => {
    await run(['set', 'flipped', big('flipped')]);
    await run(['set', 'cut', big('cut')]);
    await run(['set', 'fine', 'in memory']);
    await spillAll();
    const ref = entry('flipped')!.spilled!;
    const file = join(spill().dir, `seg-${ref.segment}.bin`);
    const fd = openSync(file, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, ref.offset + 20);
    writeSync(fd, Buffer.from([byte[0]! ^ 0xff]), 0, 1, ref.offset + 20);
    closeSync(fd);
    const errorsBefore = await info('spill_errors');
    expect(await run(['get', 'flipped'])).toEqual(SEAL_FAILED);
    expect(await run(['get', 'flipped'])).toEqual(SEAL_FAILED);
    expect(await info('spill_errors')).toBe(errorsBefore + 1);
    expect(await run(['get', 'fine'])).toBe('in memory');
    expect(await run(['del', 'flipped'])).toBe(1);

    const cut = entry('cut')!.spilled!;
    truncateSync(join(spill().dir, `seg-${cut.segment}.bin`), cut.offset + 10);
    expect(await run(['get', 'cut'])).toEqual(SEAL_FAILED);
    expect(await info('spill_errors')).toBe(errorsBefore + 2);
    expect(await run(['ping'])).toBe('PONG');
  });

  describe('rollback: a record is accepted only if it is the one written for the key\'s current value', () => {
    const sealFailures = async () => Number(/^seal_failures:(\d+)/m.exec((await run(['info', 'all'])) as string)![1]);
    const segmentFile = (ref: { segment: number }) => join(spill().dir, `seg-${ref.segment}.bin`);
    /** The record (header and sealed bytes) a spilled key points at. */
    const recordOf = (key: string): Buffer => {
      const ref = entry(key)!.spilled!;
      const fd = openSync(segmentFile(ref), 'r');
      const record = Buffer.alloc(8 + ref.length);
      readSync(fd, record, 0, record.length, ref.offset);
      closeSync(fd);
      return record;
    };
    const writeRecord = (key: string, record: Buffer) => {
      const ref = entry(key)!.spilled!;
      expect(record.length).toBe(8 + ref.length);
      const fd = openSync(segmentFile(ref), 'r+');
      writeSync(fd, record, 0, record.length, ref.offset);
      closeSync(fd);
    };
    const v1 = `one:${'1'.repeat(500)}`;
    const v2 = `two:${'2'.repeat(500)}`;

    /** Refused like a forged value: the seal error, seal_failures + 1, other keys still served. */
    const expectRefused = async (key: string) => {
      const before = await sealFailures();
      expect(await run(['get', key])).toEqual(SEAL_FAILED);
      expect(await sealFailures()).toBe(before + 1);
      expect(await run(['get', 'bystander'])).toBe(big('bystander'));
      expect(await run(['get', 'small'])).toBe('kept in memory');
    };

    beforeEach(async () => {
      await run(['set', 'small', 'kept in memory']);
      await run(['set', 'bystander', big('bystander')]);
    });

    it('refuses an older record of the same key written earlier (same length, same binding)', async () => {
      await run(['set', 'k', v1]);
      await spillAll();
      const old = recordOf('k');
      await run(['set', 'k', v2]);
      await spillAll();
      expect(isSpilled('k')).toBe(true);
      writeRecord('k', old);
      await expectRefused('k');
    });

    it('refuses an older record of the same key taken from an earlier segment', async () => {
      await run(['set', 'k', v1]);
      await spillAll();
      const firstSegment = entry('k')!.spilled!.segment;
      const old = recordOf('k');
      await run(['set', 'k', v2]);
      await run(['del', 'bystander']);
      // The first segment is all garbage now: compaction deletes it, the next spill rolls a new one.
      for (let i = 0; i < 5; i++) spill().tick();
      await run(['set', 'bystander', big('bystander')]);
      await spillAll();
      expect(isSpilled('k')).toBe(true);
      expect(entry('k')!.spilled!.segment).toBeGreaterThan(firstSegment);
      writeRecord('k', old);
      await expectRefused('k');
    });

    it('refuses two keys\' records swapped', async () => {
      await run(['set', 'a', v1]);
      await run(['set', 'b', v2]);
      await spillAll();
      const a = recordOf('a');
      const b = recordOf('b');
      writeRecord('a', b);
      writeRecord('b', a);
      await expectRefused('a');
      await expectRefused('b');
    });

    it('refuses an older record of a chunked value whose one chunk changed (SETRANGE)', async () => {
      await run(['config', 'set', 'spill-min-value-size', '64']);
      const value = Buffer.alloc(100 * 1024, 'c');
      await client.set('chunky', value);
      await spillAll();
      expect(isSpilled('chunky')).toBe(true);
      const old = recordOf('chunky');
      expect(await run(['setrange', 'chunky', '70000', 'X'])).toBe(value.length);
      await spillAll();
      expect(isSpilled('chunky')).toBe(true);
      writeRecord('chunky', old);
      await expectRefused('chunky');
    });

    it('refuses a chunked record with two chunks swapped, even with its crc made to fit', async () => {
      const value = Buffer.alloc(3 * CHUNK_PLAIN, 'd');
      value.fill('e', CHUNK_PLAIN);
      await client.set('chunky', value);
      await spillAll();
      expect(isSpilled('chunky')).toBe(true);
      const record = recordOf('chunky');
      const at = (i: number) => 8 + CHUNKED_HEADER + i * CHUNK_SEALED;
      const first = Buffer.from(record.subarray(at(0), at(1)));
      record.copy(record, at(0), at(1), at(2));
      first.copy(record, at(1));
      record.writeUInt32BE(crc32(record.subarray(8)), 4);
      writeRecord('chunky', record);
      await expectRefused('chunky');
    });
  });
});

describe.skipIf(tmpfsUnavailable)('spill tier on a tmpfs smaller than its quota', () => {
  let tmpfs: Tmpfs;
  let server: InProcessServer;
  let client: Redis;
  beforeAll(async () => {
    tmpfs = mountTmpfs('1m');
    server = await startInProcess({ maxmemory: '1mb', 'spill-dir': tmpfs.dir, 'spill-max-bytes': '8mb' });
    client = ioredis(server.port);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    tmpfs?.unmount();
  });

  it('treats ENOSPC as a full quota: values stay in memory, nothing is lost, OOM follows', async () => {
    const value = (i: number) => `${i}:${'z'.repeat(1000)}`;
    let written = 0;
    let error: string | null = null;
    for (; written < 4000 && error === null; written++) {
      error = await client.set(`k:${written}`, value(written)).then(() => null, (err: Error) => err.message);
    }
    written--;
    expect(error).toBe("OOM command not allowed when used memory > 'maxmemory'.");
    const text = await client.info('spill');
    expect(text).toMatch(/^spill_fs_full:1/m);
    expect(Number(/^spill_keys:(\d+)/m.exec(text)![1])).toBeGreaterThan(0);
    for (let i = 0; i < written; i++) expect(await client.get(`k:${i}`)).toBe(value(i));
  }, 60_000);
});
