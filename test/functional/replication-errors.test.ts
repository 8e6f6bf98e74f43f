// The replication commands' refusals, each with its exact text: REPLICAOF in cluster mode or from
// a replica's own link, a bad port, WAIT on a replica, PSYNC without the master-key proof or on
// a replica whose link is down, a proof sealed under another master key, unknown REPLCONF options.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { KEY_CHECK } from '../../src/replication/index.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { encodeCommand, ioredis, rawExchange } from '../helpers/clients.js';
import { freePort, startInProcess, type InProcessServer } from '../helpers/server.js';

const err = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: Error) => e.message);

describe('replication refusals', () => {
  let s: InProcessServer;
  let token: Buffer;

  beforeAll(async () => {
    s = await startInProcess();
    token = s.running.state.transport.seal(KEY_CHECK);
  });
  afterAll(() => s.stop());

  it('REPLICAOF with a bad port', async () => {
    const c = ioredis(s.port);
    try {
      expect(await err(c.call('replicaof', 'localhost', '70000'))).toBe(Errors.invalidMasterPort);
      expect(await err(c.call('replicaof', 'localhost', 'six'))).toBe(Errors.invalidMasterPort);
    } finally {
      c.disconnect();
    }
  });

  it('REPLCONF: unknown options, odd arguments', async () => {
    const c = ioredis(s.port);
    try {
      expect(await err(c.call('replconf', 'whatever', '1'))).toBe(Errors.replconfUnknownOption('whatever'));
      expect(await err(c.call('replconf', 'capa'))).toBe(Errors.syntax);
      // redis-cli --replica / --functions-rdb send these before SYNC (found by Redis's integration/redis-cli unit).
      expect(await c.call('replconf', 'rdb-filter-only', '')).toBe('OK');
      expect(await c.call('replconf', 'rdb-filter-only', 'functions')).toBe('OK');
      expect(await err(c.call('replconf', 'rdb-filter-only', 'functions keys'))).toBe(Errors.rdbFilterUnsupported('keys'));
    } finally {
      c.disconnect();
    }
  });

  it('PSYNC without the master-key proof, and a proof under another key', async () => {
    const { data } = await rawExchange(s.port, encodeCommand(['PSYNC', '?', '-1']));
    expect(data.toString()).toBe(`-${Errors.replicaNoKeyCheck}\r\n`);
    const forged = Buffer.from(token);
    forged[forged.length - 20] ^= 1;
    const bad = await rawExchange(s.port, encodeCommand(['REPLCONF', 'sealkv-key', forged]));
    expect(bad.data.toString()).toBe(`-${Errors.replicaKeyDiffers}\r\n`);
    const sync = await rawExchange(s.port, encodeCommand(['SYNC']));
    expect(sync.data.toString()).toBe(`-${Errors.replicaNoKeyCheck}\r\n`);
  });

  it('a replica link cannot run REPLICAOF host port', async () => {
    const { data } = await rawExchange(s.port, [
      encodeCommand(['REPLCONF', 'sealkv-key', token]),
      encodeCommand(['PSYNC', '?', '-1']),
      encodeCommand(['REPLICAOF', '127.0.0.1', '1']),
    ], 400);
    const text = data.toString('latin1');
    expect(text.startsWith('+OK\r\n+FULLRESYNC ')).toBe(true);
    expect(text).toContain(`-${Errors.replicaofFromReplica}\r\n`);
  });

  it('WAIT on a replica, PSYNC to a replica whose link is down', async () => {
    const r = await startInProcess();
    const c = ioredis(r.port);
    try {
      expect(await c.call('replicaof', '127.0.0.1', String(await freePort()))).toBe('OK');
      expect(await err(c.call('wait', '1', '0'))).toBe(Errors.waitOnReplica);
      const { data } = await rawExchange(r.port, [encodeCommand(['REPLCONF', 'sealkv-key', r.running.state.transport.seal(KEY_CHECK)]), encodeCommand(['PSYNC', '?', '-1'])]);
      expect(data.toString()).toBe(`+OK\r\n-${Errors.cantSyncNotConnected}\r\n`);
      expect(await c.call('replicaof', 'no', 'one')).toBe('OK');
    } finally {
      c.disconnect();
      await r.stop();
    }
  });
});

describe('REPLICAOF and FAILOVER in cluster mode', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster(1);
  }, 30000);
  afterAll(() => cluster?.stop());

  it('are refused with Redis\'s texts', async () => {
    const c = ioredis(cluster.nodes[0]!.port);
    try {
      expect(await err(c.call('replicaof', '127.0.0.1', '6379'))).toBe(Errors.replicaofInCluster);
      // FAILOVER too (Redis points at CLUSTER FAILOVER).
      expect(await err(c.call('failover'))).toBe(Errors.failoverInCluster);
    } finally {
      c.disconnect();
    }
  });
});
