// The replication commands' refusals, each with its exact text: REPLICAOF in cluster mode or from
// a replica's own link, a bad port, WAIT on a replica, PSYNC without the master-key proof or on
// a replica whose link is down, a proof sealed under another master key, unknown REPLCONF options.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { encodeCommand, ioredis, rawExchange } from '../helpers/clients.js';
import { keyProven, provenExchange } from '../helpers/replication.js';
import { freePort, startInProcess, type InProcessServer } from '../helpers/server.js';

const waitUntil = async (check: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const err = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: Error) => e.message);

describe('replication refusals', () => {
  let s: InProcessServer;

  beforeAll(async () => {
    s = await startInProcess();
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
    const forged = await provenExchange(s.port, s.running.state.transport, (proof) => {
      const bytes = Buffer.from(proof);
      bytes[bytes.length - 20] ^= 1;
      return [bytes];
    });
    expect(forged).toBe(`-${Errors.replicaKeyDiffers}\r\n`);
    const sync = await rawExchange(s.port, encodeCommand(['SYNC']));
    expect(sync.data.toString()).toBe(`-${Errors.replicaNoKeyCheck}\r\n`);
  });

  it('a master-key proof answers one challenge on one connection: without one, replayed elsewhere or twice, it is refused', async () => {
    const first = await keyProven(s.port, s.running.state.transport);
    const second = await keyProven(s.port, s.running.state.transport);
    try {
      // Without a challenge (a fresh connection): refused with a reason, and nothing is logged in.
      const bare = await rawExchange(s.port, first.proof);
      expect(bare.data.toString()).toBe(`-${Errors.replicaKeyNoChallenge}\r\n`);
      // The first connection's proof, recorded and sent on the second (which has a challenge of its own).
      second.socket.write(Buffer.concat([first.proof, encodeCommand(['PSYNC', '?', '-1'])]));
      await waitUntil(() => second.received().length > 0 && second.received().split('\r\n').length > 2);
      expect(second.received()).toBe(`-${Errors.replicaKeyDiffers}\r\n-${Errors.replicaNoKeyCheck}\r\n`);
      // On its own connection it is taken once; again, the challenge is used up.
      first.socket.write(Buffer.concat([first.proof, first.proof]));
      await waitUntil(() => first.received().split('\r\n').length > 2);
      expect(first.received()).toBe(`+OK\r\n-${Errors.replicaKeyNoChallenge}\r\n`);
    } finally {
      first.socket.destroy();
      second.socket.destroy();
    }
  });

  it('with requirepass, a recorded proof replayed on a new connection logs nothing in', async () => {
    const r = await startInProcess({ requirepass: 'secret-pw' });
    try {
      const recorded = await keyProven(r.port, r.running.state.transport);
      recorded.socket.destroy();
      const replay = await provenExchange(r.port, r.running.state.transport, () => [recorded.proof, encodeCommand(['GET', 'k'])]);
      expect(replay).toBe(`-${Errors.replicaKeyDiffers}\r\n-NOAUTH Authentication required.\r\n`);
      const own = await provenExchange(r.port, r.running.state.transport, (proof) => [proof, encodeCommand(['GET', 'k'])]);
      expect(own).toBe('+OK\r\n$-1\r\n');
    } finally {
      await r.stop();
    }
  });

  it('a replica link cannot run REPLICAOF host port', async () => {
    const text = await provenExchange(s.port, s.running.state.transport, (proof) => [
      proof,
      encodeCommand(['PSYNC', '?', '-1']),
      encodeCommand(['REPLICAOF', '127.0.0.1', '1']),
    ], 400);
    expect(text.startsWith('+OK\r\n+FULLRESYNC ')).toBe(true);
    expect(text).toContain(`-${Errors.replicaofFromReplica}\r\n`);
  });

  it('WAIT on a replica, PSYNC to a replica whose link is down', async () => {
    const r = await startInProcess();
    const c = ioredis(r.port);
    try {
      expect(await c.call('replicaof', '127.0.0.1', String(await freePort()))).toBe('OK');
      expect(await err(c.call('wait', '1', '0'))).toBe(Errors.waitOnReplica);
      const data = await provenExchange(r.port, r.running.state.transport, (proof) => [proof, encodeCommand(['PSYNC', '?', '-1'])]);
      expect(data).toBe(`+OK\r\n-${Errors.cantSyncNotConnected}\r\n`);
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
