// A primary that becomes a replica answers its clients blocked on keys UNBLOCKED and closes them,
// as Redis does (disconnectAllBlockedClients; found by Redis's integration/replication unit,
// "BLPOP followed by role change, issue #2473"): left waiting, such a client was served by the
// new master's write as the replica applied it, and the pop happened on the replica alone.

import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeCommand, redisCli } from '../helpers/clients.js';
import { type SpawnedServer } from '../helpers/server.js';
import { info, linkUp, newMasterKey, startNode, waitFor } from '../helpers/replication.js';

const host = '127.0.0.1';
const started: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

describe('a primary turned replica', () => {
  it('answers a blocked BLPOP UNBLOCKED and closes it, so the replica keeps the master\'s list', async () => {
    const key = newMasterKey();
    const a = await startNode(key);
    started.push(a);
    const b = await startNode(key, [], { host, port: a.port });
    started.push(b);
    await linkUp(b.port);
    // Block on A while it is the primary.
    const socket = connect(a.port, host);
    let got = '';
    socket.on('data', (d) => (got += d.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(encodeCommand(['BLPOP', 'foo', '0']));
    await waitFor('the client to block', async () => (await info(a.port, 'clients')).blocked_clients === '1');
    // Swap the roles: B the primary, A its replica.
    await redisCli(b.port, ['replicaof', 'no', 'one']);
    await redisCli(a.port, ['replicaof', host, String(b.port)]);
    await closed;
    expect(got).toBe('-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n');
    await linkUp(a.port);
    await redisCli(b.port, ['rpush', 'foo', 'a', 'b', 'c']);
    await waitFor('the list on A', async () => (await redisCli(a.port, ['lrange', 'foo', '0', '-1'])).trim() === 'a\nb\nc');
    expect((await redisCli(b.port, ['lrange', 'foo', '0', '-1'])).trim()).toBe('a\nb\nc');
  }, 30000);
});
