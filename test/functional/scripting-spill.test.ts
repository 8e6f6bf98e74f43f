// Scripts and the spill tier on a real tmpfs: keys a script declares in KEYS are read back
// before it starts (other clients go on meanwhile); a spilled key it did not declare cannot be
// waited for in the middle of a script and is refused with sealkv's own error.

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, runner } from '../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../helpers/tmpfs.js';
import { Errors } from '../../src/protocol/errors.js';

describe.skipIf(tmpfsUnavailable)('scripts and spilled values', () => {
  let tmpfs: Tmpfs;
  let server: InProcessServer;
  let client: Redis;
  let run: ReturnType<typeof runner>;
  const large = 'v'.repeat(4096);

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

  const spillAll = async () => {
    await run(['config', 'set', 'maxmemory', '1']);
    await run(['ping']);
    await run(['config', 'set', 'maxmemory', '0']);
  };

  it('a spilled key named in KEYS is read back before the script runs', async () => {
    await run(['set', 'big', large]);
    await spillAll();
    expect(server.running.state.spill!.spilledKeys).toBeGreaterThan(0);
    expect(await run(['eval', "return #redis.call('get', KEYS[1])", '1', 'big'])).toBe(4096);
  });

  it('a spilled key the script did not declare is refused', async () => {
    await run(['set', 'big2', large]);
    await spillAll();
    const body = "return redis.call('get', 'big2')";
    const id = await run(['script', 'load', body]);
    expect(await run(['eval', body, '0'])).toEqual({ error: `${Errors.scriptSpilledKey} script: ${id}, on @user_script:1.` });
    expect(await run(['strlen', 'big2'])).toBe(4096);
  });
});
