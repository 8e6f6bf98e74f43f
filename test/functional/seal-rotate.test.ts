// SEAL ROTATE / STATUS / HELP against a real server: replies in RESP2 and RESP3, every value
// (strings, hash fields, spilled values, several databases) readable before, during and after a
// rotation, the old key wiped, and what a rotation must not do (dirty a WATCH, lose a value to
// FLUSHALL or SWAPDB running alongside).

import { afterEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { CHUNK_PLAIN, CHUNK_SEALED, CHUNKED_HEADER, Sealer } from '../../src/seal/sealer.js';
import { Kind, opsOf, type Keyspace, type StringEntry } from '../../src/store/keyspace.js';
import { storedKey } from '../helpers/server.js';
import { encodeCommand, ioredis, rawExchange } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { tmpfsUnavailable } from '../helpers/tmpfs.js';
import { hashBlobs } from '../helpers/hashes.js';

const HEX_ID = /^[0-9a-f]{8}$/;

/** INFO sealkv as field -> value. */
async function sealInfo(run: (args: string[]) => Promise<unknown>): Promise<Record<string, string>> {
  const text = (await run(['info', 'sealkv'])) as string;
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => l.split(':', 2) as [string, string]));
}

/** Polls INFO until the rotation is over (bounded: fails after 10 s, never asserts on time). */
async function rotationDone(run: (args: string[]) => Promise<unknown>): Promise<Record<string, string>> {
  for (let i = 0; i < 500; i++) {
    const info = await sealInfo(run);
    if (info.rotation_in_progress === '0') return info;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('rotation did not finish within 10 s');
}

/** The key id in the header of every value held in memory. */
function keyIdsInMemory(db: Keyspace): Set<number> {
  const ids = new Set<number>();
  db.forEachEntry((_key, entry) => {
    if (entry.kind === Kind.Hash) for (const v of hashBlobs(entry)) ids.add(Sealer.keyId(v));
    else if (entry.kind === Kind.String) {
      if (entry.value.length > 0) ids.add(Sealer.keyId(entry.value));
    } else opsOf(entry).forEachSealed(entry, (v) => ids.add(Sealer.keyId(v)));
  });
  return ids;
}

describe('SEAL ROTATE / STATUS', () => {
  const { server, client, run } = withServer();
  const state = () => server.running.state;

  it('installs a fresh key, re-seals strings and hash fields in every database, then wipes the old key', async () => {
    const before = await sealInfo(run);
    expect(before.keys_in_use).toBe('1');
    for (let db = 0; db < 3; db++) {
      await run(['select', String(db)]);
      for (let i = 0; i < 300; i++) await client.set(`s:${i}`, `value-${db}-${i}`);
      await client.hset('h', 'a', `A${db}`, 'b', `B${db}`);
      // A large hash (a value past hash-max-listpack-value): each field sealed on its own.
      await client.hset('hl', 'a', `A${db}`, 'long', 'x'.repeat(100));
    }
    await run(['select', '0']);
    const newId = (await run(['seal', 'rotate'])) as string;
    expect(newId).toMatch(HEX_ID);
    expect(newId).not.toBe(before.key_id);
    const during = await sealInfo(run);
    expect(during.key_id).toBe(newId);

    const after = await rotationDone(run);
    expect(after.keys_in_use).toBe('1');
    expect(after.key_ids).toBe(newId);
    expect(after.rotations_completed).toBe(String(Number(before.rotations_completed) + 1));
    // Per database: 300 strings, the small hash's one blob, the large hash's two fields.
    expect(after.rotation_resealed).toBe(String(3 * 303));
    expect(after.rotation_failures).toBe('0');
    for (let db = 0; db < 3; db++) {
      expect(keyIdsInMemory(state().databases[db]!)).toEqual(new Set([parseInt(newId, 16)]));
      await run(['select', String(db)]);
      expect(await client.get('s:7')).toBe(`value-${db}-7`);
      expect(await client.hgetall('h')).toEqual({ a: `A${db}`, b: `B${db}` });
      expect(await client.hgetall('hl')).toEqual({ a: `A${db}`, long: 'x'.repeat(100) });
    }
    await run(['select', '0']);
  });

  it('re-seals every chunk of a chunked (large) value, over several slices, also one edited during the rotation', async () => {
    // 50 chunks: more than one slice's worth, so the pass comes back to the value.
    const model = Buffer.alloc(50 * CHUNK_PLAIN + 123);
    for (let i = 0; i < model.length; i++) model[i] = (i * 31) & 0xff;
    await client.set('big', model);
    await client.set('big2', model);
    const model2 = Buffer.concat([model, Buffer.from('tail')]);
    const newId = parseInt((await run(['seal', 'rotate'])) as string, 16);
    // Edited under the new key while the pass may not be done with it: one chunk new, the rest old.
    for (const at of [2 * CHUNK_PLAIN + 5, 40 * CHUNK_PLAIN - 3]) {
      await client.setrange('big', at, 'edited');
      model.write('edited', at, 'latin1');
    }
    await client.append('big2', 'tail');
    const after = await rotationDone(run);
    expect(after.keys_in_use).toBe('1');
    expect(after.rotation_failures).toBe('0');
    for (const key of ['big', 'big2']) {
      const sealed = (state().databases[0]!.peek(storedKey(server, key)) as StringEntry).value;
      expect(Sealer.isChunked(sealed)).toBe(true);
      expect(Sealer.keyId(sealed)).toBe(newId);
      for (let at = CHUNKED_HEADER; at < sealed.length; at += CHUNK_SEALED) expect(Sealer.keyId(sealed.subarray(at))).toBe(newId);
    }
    expect((await client.getBuffer('big'))!.equals(model)).toBe(true);
    expect((await client.getBuffer('big2'))!.equals(model2)).toBe(true);
    expect((await client.getrangeBuffer('big2', -6, -1)).equals(model2.subarray(-6))).toBe(true);
  });

  it('answers STATUS as a flat array in RESP2, with values counted per key id', async () => {
    for (let i = 0; i < 5; i++) await client.set(`k${i}`, 'v');
    await client.hset('h', 'f1', '1', 'f2', '2');
    const id = (await sealInfo(run)).key_id!;
    const reply = (await run(['seal', 'status'])) as unknown[];
    expect(reply).toEqual([
      'current_key_id', id,
      // Five strings and a small hash: one sealed blob for all its fields.
      'keys', [id, 6],
      'values_unknown_key', 0,
      'rotation_in_progress', 0,
      'rotation_pass', expect.any(Number),
      'rotation_keys_done', expect.any(Number),
      'rotation_keys_total', expect.any(Number),
      'rotation_resealed', expect.any(Number),
      'rotation_failures', 0,
      'rotations_completed', expect.any(Number),
    ]);
  });

  it('answers STATUS as a map in RESP3 (HELLO 3)', async () => {
    await client.set('k', 'v');
    const id = (await sealInfo(run)).key_id!;
    const { data } = await rawExchange(server.port, [encodeCommand(['HELLO', '3']), encodeCommand(['SEAL', 'STATUS'])]);
    const text = data.toString('latin1');
    const status = text.slice(text.lastIndexOf('%10\r\n'));
    expect(status.startsWith(`%10\r\n$14\r\ncurrent_key_id\r\n$8\r\n${id}\r\n$4\r\nkeys\r\n%1\r\n$8\r\n${id}\r\n:1\r\n`)).toBe(true);
    expect(status).toContain('$20\r\nrotation_in_progress\r\n:0\r\n');
  });

  it('refuses a second ROTATE while one runs', async () => {
    for (let i = 0; i < 100; i++) await client.set(`k${i}`, 'v');
    // Both run in one EXEC, so the second certainly finds the first still running.
    const replies = await client.multi().call('seal', 'rotate').call('seal', 'rotate').exec();
    expect(replies![0]![1]).toMatch(HEX_ID);
    expect((replies![1]![0] as Error).message).toBe(Errors.rotationInProgress);
    expect((replies![1]![0] as Error).message).toBe('ERR Key rotation already in progress');
    await rotationDone(run);
    expect(await client.get('k42')).toBe('v');
  });

  it('serves reads and writes during the rotation, each value under whichever key sealed it', async () => {
    const n = 20_000;
    const fill = client.pipeline();
    for (let i = 0; i < n; i++) fill.set(`k${i}`, `old-${i}`);
    await fill.exec();
    await run(['seal', 'rotate']);
    // Sent at once: most of them run while the pass is still walking.
    const mixed = client.pipeline();
    for (let i = 0; i < n; i += 7) mixed.set(`k${i}`, `new-${i}`).get(`k${i + 1}`).hset(`h${i}`, 'f', `hf-${i}`);
    const results = await mixed.exec();
    expect(results!.every(([err]) => err === null)).toBe(true);
    const after = await rotationDone(run);
    expect(after.keys_in_use).toBe('1');
    for (let i = 0; i < n; i += 7) {
      expect(results![(i / 7) * 3 + 1]![1]).toBe(i + 1 < n ? `old-${i + 1}` : null);
    }
    const check = client.pipeline();
    for (let i = 0; i < n; i++) check.get(`k${i}`);
    const values = (await check.exec())!.map(([, v]) => v);
    values.forEach((v, i) => expect(v).toBe(i % 7 === 0 ? `new-${i}` : `old-${i}`));
    expect(await client.hget('h14', 'f')).toBe('hf-14');
  });

  it('does not mark WATCHed keys dirty: re-sealing is not a modification', async () => {
    await client.set('watched', 'v1');
    const dirtyBefore = (await run(['info', 'persistence'])) as string;
    await client.watch('watched');
    await run(['seal', 'rotate']);
    await rotationDone(run);
    const exec = await client.multi().set('watched', 'v2').exec();
    expect(exec).toEqual([[null, 'OK']]);
    expect(await client.get('watched')).toBe('v2');
    const changes = (text: string) => Number(/rdb_changes_since_last_save:(\d+)/.exec(text)![1]);
    // Only the SET in the transaction counted as a change.
    expect(changes((await run(['info', 'persistence'])) as string)).toBe(changes(dirtyBefore) + 1);
  });

  it('finishes and wipes the old key when FLUSHALL, FLUSHDB and SWAPDB run during the pass', async () => {
    for (const db of [0, 1, 2]) {
      await run(['select', String(db)]);
      const fill = client.pipeline();
      for (let i = 0; i < 5000; i++) fill.set(`k${i}`, `db${db}-${i}`);
      await fill.exec();
    }
    await run(['select', '0']);
    const [id] = (await client.multi().call('seal', 'rotate').swapdb(0, 2).select(1).flushdb().select(0).exec())!.map(([, v]) => v);
    await client.set('late', 'x');
    const after = await rotationDone(run);
    expect(after.key_ids).toBe(id);
    expect(await client.get('k17')).toBe('db2-17');
    await run(['select', '2']);
    expect(await client.get('k17')).toBe('db0-17');
    await run(['select', '1']);
    expect(await client.dbsize()).toBe(0);
    await run(['select', '0']);

    await run(['seal', 'rotate']);
    await run(['flushall']);
    await client.set('k', 'after-flushall');
    expect((await rotationDone(run)).keys_in_use).toBe('1');
    expect(await client.get('k')).toBe('after-flushall');
  });

  it('leaves a tampered value as it was, counts it, and still completes', async () => {
    await client.set('good', 'fine');
    await client.set('bad', 'tampered');
    const entry = state().databases[0]!.peek('bad')!;
    if (entry.kind !== Kind.String) throw new Error('expected a string entry');
    entry.value[entry.value.length - 1]! ^= 1;
    await run(['seal', 'rotate']);
    const info = await rotationDone(run);
    expect(info.rotation_failures).toBe('1');
    expect(info.keys_in_use).toBe('1');
    expect(await client.get('good')).toBe('fine');
    expect(await run(['get', 'bad'])).toEqual({ error: Errors.sealOpenFailed });
    const status = (await run(['seal', 'status'])) as unknown[];
    expect(status[status.indexOf('values_unknown_key') + 1]).toBe(1);
  });

  it('has HELP, and Redis-style errors for unknown subcommands and wrong arity', async () => {
    const help = (await run(['seal', 'help'])) as string[];
    expect(help[0]).toMatch(/^SEAL <subcommand>/);
    expect(help).toContain('ROTATE');
    expect(help).toContain('STATUS');
    expect(await run(['seal', 'spin'])).toEqual({ error: "ERR unknown subcommand 'spin'. Try SEAL HELP." });
    expect(await run(['seal', 'rotate', 'now'])).toEqual({ error: "ERR wrong number of arguments for 'seal|rotate' command" });
    expect(await run(['seal'])).toEqual({ error: "ERR wrong number of arguments for 'seal' command" });
    const info = (await run(['command', 'info', 'seal|rotate'])) as unknown[][];
    expect(info[0]![2]).toEqual(['admin', 'noscript']);
    expect(info[0]![6]).toEqual(['@admin', '@slow', '@dangerous']);
  });
});

describe.skipIf(tmpfsUnavailable)('SEAL ROTATE with spilled values (real tmpfs)', () => {
  const { server, client, run } = withServer({ 'spill-max-bytes': '8mb' }, undefined, { wipe: false, tmpfs: '16m' });
  const spill = () => server.running.state.spill!;
  const entry = (key: string) => server.running.state.databases[0]!.peek(key);
  const big = (i: number) => `${i}:${'s'.repeat(400)}`;

  afterEach(async () => {
    await run(['config', 'set', 'maxmemory', '0']);
    await run(['flushall']);
  });

  /** Spills every eligible value: the limit drops to 1 byte for one command, then is lifted. */
  const spillAll = async () => {
    await run(['config', 'set', 'maxmemory', '1']);
    await run(['ping']);
    await run(['config', 'set', 'maxmemory', '0']);
  };

  it('re-seals spilled values into new records: they stay spilled, readable, and the old key goes', async () => {
    for (let i = 0; i < 200; i++) await client.set(`big${i}`, big(i));
    await spillAll();
    const spilled = Number(/spill_keys:(\d+)/.exec((await run(['info', 'spill'])) as string)![1]);
    expect(spilled).toBe(200);
    const oldId = parseInt((await sealInfo(run)).key_id!, 16);
    expect([...spill().store.byKeyId]).toEqual([[oldId, 200]]);

    const newId = parseInt((await run(['seal', 'rotate'])) as string, 16);
    // Read while the pass runs: each opens under the key its record names.
    expect(await client.get('big3')).toBe(big(3));
    const info = await rotationDone(run);
    expect(info.keys_in_use).toBe('1');
    expect(info.rotation_failures).toBe('0');
    expect(spill().store.byKeyId.get(oldId)).toBeUndefined();
    const stillSpilled = [...Array(200).keys()].filter((i) => {
      const e = entry(`big${i}`);
      return e?.kind === Kind.String && e.spilled !== undefined && e.value.length === 0;
    });
    expect(stillSpilled.length).toBe(199);
    expect(spill().store.byKeyId.get(newId)).toBe(199);
    for (let i = 0; i < 200; i++) expect(await client.get(`big${i}`)).toBe(big(i));
    const status = (await run(['seal', 'status'])) as unknown[];
    expect(status[status.indexOf('keys') + 1]).toEqual([newId.toString(16).padStart(8, '0'), 200]);
  });
});

describe.skipIf(tmpfsUnavailable)('SEAL ROTATE racing reads of spilled values (real tmpfs)', () => {
  const { server, client, run } = withServer({ 'spill-max-bytes': '8mb' }, undefined, { wipe: false, tmpfs: '16m' });
  const big = (i: number) => `${i}:${'r'.repeat(300)}`;
  const KEYS = 3000;


  it('re-seals values that GETs promote while the pass is reading their records', async () => {
    const fill = client.pipeline();
    for (let i = 0; i < KEYS; i++) fill.set(`big${i}`, big(i));
    await fill.exec();
    await run(['config', 'set', 'maxmemory', '1']);
    await run(['ping']);
    await run(['config', 'set', 'maxmemory', '0']);
    expect(Number(/spill_keys:(\d+)/.exec((await run(['info', 'spill'])) as string)![1])).toBe(KEYS);
    const newId = (await run(['seal', 'rotate'])) as string;
    // Every GET promotes its value (memory has room) while the pass reads the same records:
    // from the far end, on several connections, so reads and the pass meet on the way.
    const readers = Array.from({ length: 4 }, () => ioredis(server.port));
    const batches = await Promise.all(
      readers.map(async (reader, r) => {
        const reads = reader.pipeline();
        for (let i = KEYS - 1 - r; i >= 0; i -= 4) reads.get(`big${i}`);
        return (await reads.exec())!.map(([err, v]) => err ?? v);
      }),
    );
    for (const reader of readers) reader.disconnect();
    batches.forEach((values, r) => values.forEach((v, j) => expect(v).toBe(big(KEYS - 1 - r - 4 * j))));
    const info = await rotationDone(run);
    expect(info.key_ids).toBe(newId);
    const status = (await run(['seal', 'status'])) as unknown[];
    expect(status[status.indexOf('keys') + 1]).toEqual([newId, KEYS]);
    expect(status[status.indexOf('values_unknown_key') + 1]).toBe(0);
    for (let i = 0; i < KEYS; i += 97) expect(await client.get(`big${i}`)).toBe(big(i));
  });
});

describe.skipIf(tmpfsUnavailable)('SEAL ROTATE with a full spill quota (real tmpfs)', () => {
  const { client, run } = withServer({ 'spill-max-bytes': '256kb' }, undefined, { wipe: false, tmpfs: '4m' });
  const big = (i: number) => `${i}:${'q'.repeat(600)}`;
  const KEYS = 400;


  it('keeps values under the old key while neither the quota nor maxmemory has room, then finishes once memory allows', async () => {
    for (let i = 0; i < KEYS; i++) await client.set(`big${i}`, big(i));
    await run(['config', 'set', 'maxmemory', '1']);
    await run(['ping']);
    const spilledBefore = Number(/spill_keys:(\d+)/.exec((await run(['info', 'spill'])) as string)![1]);
    expect(spilledBefore).toBeGreaterThan(0);
    // Memory stays full (maxmemory 1 byte): a value that cannot be re-spilled cannot come back either.
    await run(['seal', 'rotate']);
    for (let i = 0; i < 20 && (await sealInfo(run)).rotation_pass === '1'; i++) await new Promise((r) => setTimeout(r, 20));
    const stuck = await sealInfo(run);
    expect(stuck.rotation_in_progress).toBe('1');
    expect(stuck.keys_in_use).toBe('2');
    // Every value still reads back meanwhile, under whichever key sealed it.
    for (let i = 0; i < KEYS; i += 37) expect(await client.get(`big${i}`)).toBe(big(i));
    await run(['config', 'set', 'maxmemory', '0']);
    const done = await rotationDone(run);
    expect(done.keys_in_use).toBe('1');
    expect(done.rotation_failures).toBe('0');
    for (let i = 0; i < KEYS; i++) expect(await client.get(`big${i}`)).toBe(big(i));
  });
});
