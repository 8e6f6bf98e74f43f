// A full record arena (its 32 GiB of slab numbers used up) refuses the write that needs more
// with an OOM error, for that command only: the server keeps serving, nothing stored is lost,
// and inside EXEC the refused command is one error element of the array. The limit is lowered
// to the slabs in use so that a few 30 KiB values reach it.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { ioredis, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

let server: InProcessServer;
let client: Redis;
let run: ReturnType<typeof runner>;
const arena = () => server.running.state.arena;
const big = (i: number) => `${i}:`.padEnd(30_000, 'v');

beforeAll(async () => {
  server = await startInProcess();
  client = ioredis(server.port);
  run = runner(client);
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});
beforeEach(async () => {
  arena().maxSlabs = 2 ** 15;
  await run(['flushall']);
});

/** Stores 30 KiB values until the arena refuses one; returns how many were stored. */
async function fillUntilFull(): Promise<number> {
  arena().maxSlabs = arena().bytes.length;
  for (let i = 0; i < 100; i++) {
    const reply = await run(['set', `k${i}`, big(i)]);
    if (reply !== 'OK') {
      expect(reply).toEqual({ error: Errors.arenaFull });
      return i;
    }
  }
  throw new Error('the arena never filled up');
}

describe('a full record arena', () => {
  it('refuses the write that needs a new slab with an OOM error and keeps every stored key', async () => {
    const stored = await fillUntilFull();
    expect(stored).toBeGreaterThan(0);
    // The refused key was not created; the others read back whole.
    expect(await run(['exists', `k${stored}`])).toBe(0);
    for (let i = 0; i < stored; i++) expect(await run(['get', `k${i}`])).toBe(big(i));
    expect(await run(['dbsize'])).toBe(stored);
    // Overwriting with a value of the same size reuses the old block: still accepted.
    await run(['del', 'k0']);
    expect(await run(['set', 'k0', big(0)])).toBe('OK');
    arena().maxSlabs = 2 ** 15;
    expect(await run(['set', `k${stored}`, big(stored)])).toBe('OK');
  });

  it('answers the refusal as one element of an EXEC array, the other commands running', async () => {
    const stored = await fillUntilFull();
    const replies = await client.multi().set('small', 'x').set(`k${stored}`, big(stored)).get('k0').exec();
    expect(replies![0]).toEqual([null, 'OK']);
    expect(replies![1]![0]).toBeInstanceOf(Error);
    expect((replies![1]![0] as Error).message).toBe(Errors.arenaFull);
    expect(replies![2]).toEqual([null, big(0)]);
  });
});
