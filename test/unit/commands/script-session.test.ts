// A script's redis.call commands run on a ScriptSession (src/commands/scripting/script-session.ts), not on
// an object whose prototype is the caller's connection: V8 gives an object used as a prototype a
// map of its own, so connections that had run a script stopped sharing their hidden class and
// every property read on a connection went megamorphic (most of EVALSHA's extra CPU per request
// at pipeline 1). V8's %HaveSameMap tells; natives syntax is switched on for this file's
// functions only (v8.setFlagsFromString before they are compiled).

import { setFlagsFromString } from 'node:v8';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis } from '../../helpers/clients.js';
import { startInProcess, type InProcessServer } from '../../helpers/server.js';

setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: object, b: object) => boolean;
setFlagsFromString('--no-allow-natives-syntax');

let server: InProcessServer;
let a: Redis;
let b: Redis;

beforeAll(async () => {
  server = await startInProcess();
  a = ioredis(server.port);
  b = ioredis(server.port);
  await Promise.all([a.ping(), b.ping()]);
});

afterAll(async () => {
  a.disconnect();
  b.disconnect();
  await server.stop();
});

/** The server's Client objects, by connection name. */
async function connections(): Promise<[object, object]> {
  await a.client('SETNAME', 'a');
  await b.client('SETNAME', 'b');
  const all = [...(server.running.state.clients as Map<number, { name: string | null }>).values()];
  return [all.find((c) => c.name === 'a')!, all.find((c) => c.name === 'b')!];
}

describe('the session a script runs its commands on', () => {
  it('leaves the calling connection with the hidden class every connection shares', async () => {
    const [ca, cb] = await connections();
    expect(haveSameMap(ca, cb)).toBe(true);
    await a.set('k', 'v');
    expect(await a.eval("return redis.call('GET', KEYS[1])", 1, 'k')).toBe('v');
    const sha = (await a.script('LOAD', "redis.call('SELECT', 1) return redis.call('SET', KEYS[1], 'w')")) as string;
    expect(await a.evalsha(sha, 1, 'k')).toBe('OK');
    expect(haveSameMap(ca, cb)).toBe(true);
  });

  it('keeps the script’s SELECT and the command name to itself; the caller’s database goes in', async () => {
    await a.select(2);
    await a.set('here', 'two');
    expect(await a.eval("local v = redis.call('GET', 'here') redis.call('SELECT', 3) redis.call('SET', 'there', v) return v", 0)).toBe('two');
    expect(await b.call('CLIENT', 'LIST')).toMatch(/ name=a .* db=2 .* cmd=eval /);
    expect(await a.get('there')).toBe(null);
    await b.select(3);
    expect(await b.get('there')).toBe('two');
    await Promise.all([a.select(0), b.select(0)]);
  });
});
