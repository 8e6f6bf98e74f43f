// seal-keys yes: key names live only as keyed hashes plus sealed copies, yet every command that
// names keys (KEYS, SCAN, RANDOMKEY, RENAME, COPY, MOVE, SWAPDB, WATCH...) behaves as in Redis.

import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ioredis } from '../helpers/clients.js';
import { withServer } from '../helpers/fixture.js';
import { storedKey } from '../helpers/server.js';
import { Kind, opsOf } from '../../src/store/keyspace.js';
import { OVERHEAD, Sealer } from '../../src/seal/sealer.js';
import { STRING_OVERHEAD } from '../../src/store/memory.js';
import { StoredString } from '../../src/store/stored-string.js';
import { PackedRecord } from '../../src/store/packed-record.js';
import { hashBlobs } from '../helpers/hashes.js';

const { server, client, run } = withServer({ 'seal-keys': 'yes' });
const state = () => server.running.state;

const sorted = (list: unknown) => [...(list as string[])].sort();

/** Every key of database 0 through a full SCAN walk with these options. */
async function scanAll(...options: string[]): Promise<string[]> {
  const seen: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = (await run(['scan', cursor, ...options])) as [string, string[]];
    seen.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return seen;
}

describe('reporting the mode', () => {
  it('shows seal-keys in INFO and CONFIG GET, and refuses to change it at run time', async () => {
    expect(await client.info('sealkv')).toContain('seal_keys:yes');
    expect(await run(['config', 'get', 'seal-keys'])).toEqual(['seal-keys', 'yes']);
    expect(await run(['config', 'set', 'seal-keys', 'no'])).toMatchObject({ error: expect.stringContaining("can't set immutable config") });
  });
});

describe('listing keys', () => {
  it('KEYS matches patterns against the opened names', async () => {
    await run(['mset', 'user:1', 'a', 'user:2', 'b', 'user:10', 'c', 'order:1', 'd', 'a*b', 'e']);
    await run(['hset', 'user:h', 'f', 'v']);
    expect(sorted(await run(['keys', '*']))).toEqual(['a*b', 'order:1', 'user:1', 'user:10', 'user:2', 'user:h']);
    expect(sorted(await run(['keys', 'user:*']))).toEqual(['user:1', 'user:10', 'user:2', 'user:h']);
    expect(sorted(await run(['keys', 'user:?']))).toEqual(['user:1', 'user:2', 'user:h']);
    expect(sorted(await run(['keys', 'user:[12]*']))).toEqual(['user:1', 'user:10', 'user:2']);
    expect(sorted(await run(['keys', 'user:[^1]']))).toEqual(['user:2', 'user:h']);
    expect(await run(['keys', 'a\\*b'])).toEqual(['a*b']);
    expect(await run(['keys', 'order:1'])).toEqual(['order:1']);
    expect(await run(['keys', 'nothing*'])).toEqual([]);
  });

  it('SCAN walks every key once, with MATCH, COUNT and TYPE', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `k:${i}`);
    for (let i = 0; i < names.length; i += 50) await run(['mset', ...names.slice(i, i + 50).flatMap((k) => [k, 'v'])]);
    await run(['hset', 'k:hash', 'f', 'v']);
    const all = await scanAll('count', '7');
    expect(all.length).toBe(151);
    expect(sorted(all)).toEqual(sorted([...names, 'k:hash']));
    expect(sorted(await scanAll('match', 'k:1?', 'count', '3'))).toEqual(Array.from({ length: 10 }, (_, i) => `k:1${i}`).sort());
    expect(await scanAll('type', 'hash', 'count', '1000')).toEqual(['k:hash']);
    expect((await scanAll('type', 'string', 'match', 'k:*')).length).toBe(150);
  });

  it('RANDOMKEY names a stored key, nil when the database is empty', async () => {
    expect(await run(['randomkey'])).toBe(null);
    await run(['mset', 'r:1', 'a', 'r:2', 'b', 'r:3', 'c']);
    for (let i = 0; i < 10; i++) expect(['r:1', 'r:2', 'r:3']).toContain(await run(['randomkey']));
  });

  it('keeps binary names byte for byte', async () => {
    const names = [Buffer.from([0, 1, 2, 0xff]), Buffer.from('line\r\nbreak'), Buffer.from([0xc3, 0x28]), Buffer.alloc(0)];
    for (const [i, name] of names.entries()) await client.set(name, `v${i}`);
    const listed = (await client.callBuffer('keys', '*')) as Buffer[];
    expect(listed.map((b) => b.toString('hex')).sort()).toEqual(names.map((b) => b.toString('hex')).sort());
    const star = Buffer.concat([Buffer.from([0]), Buffer.from('*')]);
    expect((await client.callBuffer('keys', star)) as Buffer[]).toEqual([names[0]]);
    for (const [i, name] of names.entries()) expect(await client.get(name)).toBe(`v${i}`);
    expect(await client.callBuffer('randomkey')).toBeInstanceOf(Buffer);
  });

  it('lists only the keys a restricted user may read, and logs a refused key without its name', async () => {
    await run(['mset', 'app:1', 'a', 'app:2', 'b', 'secret:1', 'c']);
    await run(['acl', 'setuser', 'tenant', 'on', 'nopass', '~app:*', '+@all']);
    const tenant = ioredis(server.port);
    try {
      await tenant.call('auth', 'tenant', 'any');
      expect(sorted(await tenant.call('keys', '*'))).toEqual(['app:1', 'app:2']);
      expect(sorted(((await tenant.call('scan', '0', 'count', '100')) as [string, string[]])[1])).toEqual(['app:1', 'app:2']);
      for (let i = 0; i < 5; i++) expect(['app:1', 'app:2']).toContain(await tenant.call('randomkey'));
      expect(await tenant.call('get', 'app:1')).toBe('a');
      await expect(tenant.call('get', 'secret:1')).rejects.toThrow(/NOPERM/);
      const log = (await run(['acl', 'log'])) as unknown[][];
      const entry = log[0]!;
      expect(entry[entry.indexOf('object') + 1]).toBe('(sealed key name)');
      expect(JSON.stringify(log)).not.toContain('secret:1');
    } finally {
      tenant.disconnect();
      await run(['acl', 'deluser', 'tenant']);
      await run(['acl', 'log', 'reset']);
    }
  });
});

describe('commands on named keys', () => {
  it('DEL, EXISTS, TYPE, TTL and EXPIRE find keys by name', async () => {
    await run(['set', 'a', '1']);
    await run(['hset', 'h', 'f', 'v']);
    expect(await run(['exists', 'a', 'h', 'missing', 'a'])).toBe(3);
    expect(await run(['type', 'a'])).toBe('string');
    expect(await run(['type', 'h'])).toBe('hash');
    expect(await run(['type', 'missing'])).toBe('none');
    expect(await run(['ttl', 'a'])).toBe(-1);
    expect(await run(['expire', 'a', '100'])).toBe(1);
    expect(await run(['ttl', 'a'])).toBe(100);
    expect(await run(['del', 'a', 'h', 'missing'])).toBe(2);
    expect(await run(['keys', '*'])).toEqual([]);
  });

  it('RENAME and RENAMENX give the entry its new name', async () => {
    await run(['set', 'old', 'v']);
    await run(['hset', 'hold', 'f', 'hv']);
    expect(await run(['rename', 'old', 'new'])).toBe('OK');
    expect(await run(['renamenx', 'hold', 'hnew'])).toBe(1);
    expect(sorted(await run(['keys', '*']))).toEqual(['hnew', 'new']);
    expect(await run(['get', 'new'])).toBe('v');
    expect(await run(['hget', 'hnew', 'f'])).toBe('hv');
    expect(await run(['renamenx', 'new', 'hnew'])).toBe(0);
    expect(await run(['rename', 'missing', 'x'])).toEqual({ error: 'ERR no such key' });
  });

  it('COPY within and across databases names the copy correctly', async () => {
    await run(['set', 'src', 'v']);
    expect(await run(['copy', 'src', 'dst'])).toBe(1);
    expect(await run(['copy', 'src', 'src', 'db', '2'])).toBe(1);
    expect(sorted(await run(['keys', '*']))).toEqual(['dst', 'src']);
    const other = ioredis(server.port, { db: 2 });
    try {
      expect(await other.keys('*')).toEqual(['src']);
      expect(await other.get('src')).toBe('v');
    } finally {
      other.disconnect();
    }
  });

  it('MOVE and SWAPDB carry the names with their entries', async () => {
    await run(['mset', 'm', '1', 'stay', '2']);
    expect(await run(['move', 'm', '3'])).toBe(1);
    expect(await run(['keys', '*'])).toEqual(['stay']);
    expect(await run(['swapdb', '0', '3'])).toBe('OK');
    expect(await run(['keys', '*'])).toEqual(['m']);
    expect(await run(['get', 'm'])).toBe('1');
    expect(await run(['swapdb', '0', '3'])).toBe('OK');
    expect(await run(['get', 'stay'])).toBe('2');
  });

  it('WATCH sees a change made by another client, and MULTI runs key commands', async () => {
    await run(['set', 'w', '1']);
    const other = ioredis(server.port);
    const watcher = ioredis(server.port);
    try {
      await watcher.watch('w');
      await other.set('w', '2');
      expect(await watcher.multi().set('w', '3').exec()).toBe(null);
      await watcher.watch('w');
      expect(await watcher.multi().set('w', '4').rename('w', 'w2').keys('w*').exec()).toEqual([
        [null, 'OK'], [null, 'OK'], [null, ['w2']],
      ]);
    } finally {
      other.disconnect();
      watcher.disconnect();
    }
  });
});

describe('what the keyspace holds', () => {
  /** Every byte string the keyspaces hold: lookup strings, sealed names, values, field names and values. */
  function heldBytes(): Buffer[] {
    const out: Buffer[] = [];
    for (const db of state().databases) {
      db.forEachEntry((key, entry) => {
        out.push(Buffer.from(key, 'latin1'));
        if (entry.sealedName !== undefined) out.push(entry.sealedName);
        if (entry.kind === Kind.String) out.push(entry.value);
        else if (entry.kind === Kind.Hash) out.push(...hashBlobs(entry));
        else opsOf(entry).forEachSealed(entry, (sealed) => out.push(sealed));
      });
    }
    return out;
  }

  it('holds no key name in plaintext, only 16-byte hashes and sealed copies, yet lists them all', async () => {
    const markers = Array.from({ length: 100 }, (_, i) => `name-marker-${i}-${randomBytes(6).toString('hex')}`);
    for (const [i, m] of markers.entries()) {
      if (i % 2 === 0) await client.set(m, 'v');
      else await client.hset(m, 'field', 'v');
    }
    await run(['rename', markers[0]!, `${markers[0]}-renamed`]);
    await run(['copy', markers[2]!, `${markers[2]}-copied`, 'db', '1']);
    const held = heldBytes();
    for (const m of markers) {
      expect(held.some((b) => b.includes(Buffer.from(m))), `plaintext of ${m} in the keyspace`).toBe(false);
    }
    for (const key of state().databases[0]!.keys()) expect(key.length).toBe(16);
    expect((await run(['keys', '*'])) as string[]).toHaveLength(100);
    expect(await run(['exists', ...markers.slice(1)])).toBe(99);
  });

  it('keeps a string and a small collection at rest whole in their records, the sealed name after the hash: SET over a key carries its name, a new key seals one', async () => {
    await run(['set', 'str', 'v']);
    await run(['sadd', 'set', 'a', 'b']);
    // A new small collection is packed once its turn ends.
    await new Promise((r) => setTimeout(r, 30));
    const db = state().databases[0]!;
    const stored = (name: string) => db.getStored(storedKey(server, name), state().clock())!;
    expect(stored('str')).toBeInstanceOf(StoredString);
    expect(stored('set')).toBeInstanceOf(PackedRecord);
    const name = stored('str').sealedName!;
    expect(name.length).toBe(3 + OVERHEAD);
    expect(stored('set').sealedName!.length).toBe(3 + OVERHEAD);
    // A value of another length moves the string to a new record: the same sealed bytes (a new
    // seal would have a new nonce).
    await run(['set', 'str', 'a longer value']);
    expect(stored('str')).toBeInstanceOf(StoredString);
    expect(stored('str').sealedName).toEqual(name);
    await run(['del', 'str']);
    await run(['set', 'str', 'v']);
    expect(stored('str').sealedName).not.toEqual(name);
    expect(sorted(await run(['keys', '*']))).toEqual(['set', 'str']);
    expect(await run(['smembers', 'set'])).toEqual(['a', 'b']);
  });

  it('counts a key name in MEMORY USAGE by its real length', async () => {
    await run(['set', 'a', 'v']);
    await run(['set', 'a'.repeat(101), 'v']);
    const short = (await run(['memory', 'usage', 'a'])) as number;
    const long = (await run(['memory', 'usage', 'a'.repeat(101)])) as number;
    expect(long - short).toBe(100);
    // The entry, its 16-byte lookup hash, the sealed name and the sealed value.
    expect(short).toBe(STRING_OVERHEAD + 16 + (1 + OVERHEAD) + (1 + OVERHEAD));
  });

  it('answers a tampered sealed name with the seal error, counted, and serves the other keys', async () => {
    await run(['mset', 'good', '1', 'bad', '2']);
    const before = state().stats.sealFailures;
    const entry = state().databases[0]!.get(storedKey(server, 'bad'), state().clock())!;
    // A copy of the name in the record: flipped, then written back over it.
    const name = entry.sealedName!;
    name[name.length - 1]! ^= 0xff;
    entry.sealedName = name;
    const failed = 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with';
    expect(await run(['keys', 'g*'])).toEqual({ error: failed });
    expect(await run(['get', 'good'])).toBe('1');
    expect(await run(['get', 'bad'])).toBe('2');
    expect(state().stats.sealFailures).toBeGreaterThan(before);
  });

  it('re-seals key names under the new key on SEAL ROTATE, so listing still works and the old key retires', async () => {
    await run(['mset', 'x:1', 'a', 'x:2', 'b']);
    const db = state().databases[0]!;
    const oldId = Sealer.keyId(db.get(storedKey(server, 'x:1'), state().clock())!.sealedName!);
    await run(['seal', 'rotate']);
    await vi.waitFor(() => {
      expect(state().rotation.running).toBe(false);
    }, { timeout: 10_000 });
    for (const name of ['x:1', 'x:2']) {
      const entry = db.get(storedKey(server, name), state().clock())!;
      expect(Sealer.keyId(entry.sealedName!)).not.toBe(oldId);
    }
    expect(sorted(await run(['keys', '*']))).toEqual(['x:1', 'x:2']);
    expect(await run(['get', 'x:2'])).toBe('b');
  });
});
