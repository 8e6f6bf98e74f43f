// FAILOVER's refusals and the PSYNC FAILOVER handover's, each with its exact text (the replies are
// also compared with redis-server in failover.test.ts). A stand-in replica made of a raw
// connection (the master-key proof, REPLCONF listening-port, PSYNC) that never acknowledges
// keeps a failover waiting as long as the test needs.

import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Errors } from '../../src/protocol/errors.js';
import { encodeCommand, ioredis, rawExchange } from '../helpers/clients.js';
import { keyProven, provenExchange } from '../helpers/replication.js';
import { freePort, startInProcess, type InProcessServer } from '../helpers/server.js';

const err = (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: Error) => e.message);

/** A raw connection given the key challenge, that sends its proof and `commands` in one write and keeps what comes back. */
async function standIn(s: InProcessServer, commands: (string | Buffer)[][]): Promise<{ socket: Socket; received(): string }> {
  const c = await keyProven(s.port, s.running.state.transport);
  c.socket.write(Buffer.concat([c.proof, ...commands.map((cmd) => encodeCommand(cmd))]));
  return c;
}

const until = async (check: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('FAILOVER refusals', () => {
  let s: InProcessServer;

  beforeAll(async () => {
    s = await startInProcess();
  });
  afterAll(() => s.stop());

  it('on a primary without replicas, with nothing to abort, with a bad timeout, PSYNC FAILOVER to a primary', async () => {
    const c = ioredis(s.port);
    try {
      expect(await err(c.call('failover'))).toBe(Errors.failoverNoReplicas);
      expect(await err(c.call('failover', 'abort'))).toBe(Errors.failoverNotInProgress);
      expect(await err(c.call('failover', 'timeout', '0'))).toBe(Errors.failoverTimeoutPositive);
      expect(await err(c.call('failover', 'timeout', 'x'))).toBe(Errors.notInteger);
      expect(await err(c.call('failover', 'to', 'h'))).toBe(Errors.syntax);
      const { data } = await rawExchange(s.port, encodeCommand(['PSYNC', '?', '-1', 'FAILOVER']));
      expect(data.toString()).toBe(`-${Errors.psyncFailoverToMaster}\r\n`);
    } finally {
      c.disconnect();
    }
  });

  it('a target still taking its full copy is not online; FORCE needs TO and TIMEOUT', async () => {
    // One read holds the stand-in's handshake and the FAILOVER: its copy has not started yet.
    const fake = await standIn(s, [
      ['REPLCONF', 'listening-port', '7777'], ['PSYNC', '?', '-1'],
      ['FAILOVER', 'TO', '127.0.0.1', '7777'], ['FAILOVER', 'TO', '127.0.0.1', '7778'], ['FAILOVER', 'FORCE', 'TIMEOUT', '10'],
    ]);
    try {
      await until(() => fake.received().includes(Errors.failoverForceNeedsTarget));
      const text = fake.received();
      expect(text).toContain(`-${Errors.failoverTargetOffline}\r\n-${Errors.failoverNotAReplica}\r\n-${Errors.failoverForceNeedsTarget}\r\n`);
    } finally {
      fake.socket.destroy();
    }
  });

  it('while a failover waits: FAILOVER, REPLICAOF and a replica\'s PSYNC are refused; ABORT ends it', async () => {
    const fake = await standIn(s, [['REPLCONF', 'listening-port', '7779'], ['PSYNC', '?', '-1']]);
    const c = ioredis(s.port);
    try {
      // Online once its (small) copy went out; it never acknowledges, so the failover waits.
      await until(() => fake.received().includes('SKV.SYNCED'));
      await c.set('k', 'v');
      expect(await c.call('failover', 'timeout', '60000')).toBe('OK');
      expect(await err(c.call('failover'))).toBe(Errors.failoverInProgress);
      expect(await err(c.call('replicaof', '127.0.0.1', '1'))).toBe(Errors.replicaofWhileFailingOver);
      expect(await err(c.call('replicaof', 'no', 'one'))).toBe(Errors.replicaofWhileFailingOver);
      const data = await provenExchange(s.port, s.running.state.transport, (proof) => [Buffer.concat([proof, encodeCommand(['PSYNC', '?', '-1'])])]);
      expect(data).toBe(`+OK\r\n-${Errors.cantSyncFailingOver}\r\n`);
      expect(String(await c.info('replication'))).toContain('master_failover_state:waiting-for-sync');
      expect(await c.call('failover', 'abort')).toBe('OK');
      expect(await c.set('k', 'w')).toBe('OK');
    } finally {
      c.disconnect();
      fake.socket.destroy();
    }
  });

  it('on a replica: FAILOVER is refused, and PSYNC FAILOVER needs the key proof and the replica\'s own replid', async () => {
    const r = await startInProcess();
    const c = ioredis(r.port);
    try {
      expect(await c.call('replicaof', '127.0.0.1', String(await freePort()))).toBe('OK');
      expect(await err(c.call('failover'))).toBe(Errors.failoverOnReplica);
      const bare = await rawExchange(r.port, encodeCommand(['PSYNC', 'abc', '1', 'FAILOVER']));
      expect(bare.data.toString()).toBe(`-${Errors.replicaNoKeyCheck}\r\n`);
      const data = await provenExchange(r.port, r.running.state.transport, (proof) => [Buffer.concat([proof, encodeCommand(['PSYNC', 'abc', '1', 'FAILOVER'])])]);
      expect(data).toBe(`+OK\r\n-${Errors.psyncFailoverReplid}\r\n`);
      expect(String(await c.info('replication'))).toContain('role:slave');
      expect(await c.call('replicaof', 'no', 'one')).toBe('OK');
    } finally {
      c.disconnect();
      await r.stop();
    }
  });
});
