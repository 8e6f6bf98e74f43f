// The Lua VM loads in the background once the server listens (commands/scripting/scripting.ts
// preloadScripting): made by the first script instead, its loading (0.1-0.8 s, parts of it on
// the event loop) held every client's replies back then. A script command that comes before it
// is ready waits on its own connection, in order with what comes after it, MULTI/EXEC included.

import { afterEach, describe, expect, it } from 'vitest';
import { scriptingIfLoaded } from '../../src/commands/scripting/scripting.js';
import { encodeCommand, rawExchange } from '../helpers/clients.js';
import { sleep } from '../helpers/hostile.js';
import { startInProcess, type InProcessServer } from '../helpers/server.js';

let server: InProcessServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

describe('Lua VM preload', () => {
  it('is loaded after start with no script sent', async () => {
    server = await startInProcess();
    const state = server.running.state;
    // Generous for a loaded machine: the load takes 0.1-0.8 s; before it was never made here.
    for (let waited = 0; scriptingIfLoaded(state) === undefined && waited < 20_000; waited += 20) await sleep(20);
    expect(scriptingIfLoaded(state)).toBeDefined();
    expect(scriptingIfLoaded(state)!.scripts.size).toBe(0);
  });

  it('a script sent before it is ready waits for it, replies in request order, MULTI/EXEC included', async () => {
    server = await startInProcess();
    // Sent at once: the VM is still loading (its state is a promise until then).
    expect(scriptingIfLoaded(server.running.state)).toBeUndefined();
    const request = Buffer.concat([
      encodeCommand(['SET', 'k', 'a']),
      encodeCommand(['EVAL', "return redis.call('get', KEYS[1])", '1', 'k']),
      encodeCommand(['MULTI']),
      encodeCommand(['EVAL', "return redis.call('append', KEYS[1], 'b')", '1', 'k']),
      encodeCommand(['GET', 'k']),
      encodeCommand(['EXEC']),
      encodeCommand(['PING']),
    ]);
    const { data } = await rawExchange(server.port, request, 3000);
    expect(data.toString('latin1')).toBe('+OK\r\n$1\r\na\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:2\r\n$2\r\nab\r\n+PONG\r\n');
  });
});
