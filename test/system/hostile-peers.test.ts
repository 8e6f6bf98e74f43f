// Hostile peers beside redis-server 7.0 (skipped when it is not installed): what a connection
// that is not a well-behaved Redis client gets, and that it gets the same as from Redis.
//   - an HTTP request on the RESP port (a browser made to post to it: cross-protocol
//     scripting) is closed at its `POST` or `Host:` line, unanswered, with Redis's warning.

import { describe, expect, it } from 'vitest';
import { collectUntilClosed, rawConnect, sideBySide, sleep, type Target } from '../helpers/hostile.js';

/** Sends `data` and returns what came back and whether the server closed within 3 s. */
async function sendAndWatch(port: number, data: string): Promise<{ reply: string; closed: boolean }> {
  const s = await rawConnect(port);
  const got = collectUntilClosed(s);
  s.write(data);
  const closed = await Promise.race([got.then(() => true), sleep(3000).then(() => false)]);
  s.destroy();
  return { reply: (await got).toString('latin1'), closed };
}

describe('an HTTP request on the RESP port', () => {
  const run = sideBySide();
  const targets = (): Target[] => [run.ours, ...(run.theirs ? [run.theirs] : [])];

  it('is closed at its POST or Host: line without an answer, as by Redis', async () => {
    const requests = {
      post: 'POST /x HTTP/1.1\r\nHost: victim\r\nContent-Length: 12\r\n\r\nFLUSHALL\r\n\r\n',
      get: 'GET / HTTP/1.1\r\nHost: victim\r\n\r\n',
      // The replies of commands before it in the same read are not sent either.
      afterPing: 'PING\r\nhOsT: victim\r\nPING\r\n',
      multibulk: '*2\r\n$4\r\npost\r\n$1\r\n/\r\n',
    };
    for (const t of targets()) {
      for (const [name, data] of Object.entries(requests)) {
        expect({ server: t.name, name, ...(await sendAndWatch(t.port, data)) }).toEqual({ server: t.name, name, reply: '', closed: true });
      }
      // Names that merely look alike are unknown commands, the connection stays.
      const alike = await sendAndWatch(t.port, 'HOST x\r\nPOSTS\r\nPING\r\n');
      expect({ server: t.name, ...alike }).toEqual({
        server: t.name,
        reply: "-ERR unknown command 'HOST', with args beginning with: 'x' \r\n-ERR unknown command 'POSTS', with args beginning with: \r\n+PONG\r\n",
        closed: false,
      });
    }
    expect(await run.server.waitForOutput('Possible SECURITY ATTACK detected')).toBe(true);
    // Once a minute at most.
    expect(run.server.output().split('Possible SECURITY ATTACK').length - 1).toBe(1);
  });
});
