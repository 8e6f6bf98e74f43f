import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ioredis, runner } from '../helpers/clients.js';
import { spawnServer, type SpawnedServer } from '../helpers/server.js';

describe('the server binary', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    server = await spawnServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers PING and round-trips a value through ioredis', async () => {
    const client = ioredis(server.port);
    const run = runner(client);
    expect(await run(['ping'])).toBe('PONG');
    expect(await run(['set', 'greeting', 'hello world'])).toBe('OK');
    expect(await run(['get', 'greeting'])).toBe('hello world');
    client.disconnect();
  });

  it('logs where it listens and where its key came from, and never a value', async () => {
    const client = ioredis(server.port);
    await client.set('logged?', 'marker-7f3a9c');
    client.disconnect();
    expect(server.output()).toContain('"keySource":"ephemeral"');
    expect(server.output()).not.toContain('marker-7f3a9c');
  });
});
