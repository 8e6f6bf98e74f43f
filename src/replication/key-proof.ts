// The master-key proof one node gives another before replicating from it or opening a cluster
// PUBLISH link (it stands for masterauth and logs the connection in as the default user):
//
//   REPLCONF sealkv-challenge key   ->  +<32 hex>: a fresh random challenge for this connection
//   REPLCONF sealkv-key <sealed>    ->  +OK: KEY_CHECK followed by that challenge, sealed under
//                                       the transport key, which only a holder of the master key
//                                       can make
//
// The challenge is used up by the first proof, right or wrong: a proof recorded off a network
// without TLS is worth nothing on any other connection (a fixed token could be replayed to log in).

import { randomBytes } from 'node:crypto';
import type { Session } from '../commands/types.js';
import type { TransportSealer } from '../seal/transport.js';

const KEY_CHECK = Buffer.from('sealkv key proof v2', 'latin1');
const CHALLENGE_BYTES = 16;
/** A challenge as the peer answers it: a status line of 32 hex digits. */
const CHALLENGE_REPLY = /^\+[0-9a-f]{32}$/;

const issued = new WeakMap<Session, Buffer>();

/** REPLCONF sealkv-challenge key: a fresh challenge for this connection, in place of any earlier one. */
export function issueKeyChallenge(ctx: Session): string {
  const challenge = randomBytes(CHALLENGE_BYTES);
  issued.set(ctx, challenge);
  return challenge.toString('hex');
}

/** The proof for the peer's answer to REPLCONF sealkv-challenge key, or null when it is no challenge. */
export function keyProof(transport: TransportSealer, challengeReply: string): Buffer | null {
  if (!CHALLENGE_REPLY.test(challengeReply)) return null;
  return transport.seal(Buffer.concat([KEY_CHECK, Buffer.from(challengeReply.slice(1), 'hex')]));
}

/**
 * Whether `sealed` proves the master key for the challenge this connection was given ('ok'),
 * was sent without one ('no-challenge'), or is not a proof for it ('mismatch': another master
 * key, another connection's challenge, a replay). The challenge is used up either way.
 */
export function checkKeyProof(ctx: Session, transport: TransportSealer, sealed: Buffer): 'ok' | 'no-challenge' | 'mismatch' {
  const challenge = issued.get(ctx);
  issued.delete(ctx);
  if (challenge === undefined) return 'no-challenge';
  const plain = transport.open(sealed);
  if (plain === null) return 'mismatch';
  const ok = plain.length === KEY_CHECK.length + CHALLENGE_BYTES
    && plain.subarray(0, KEY_CHECK.length).equals(KEY_CHECK)
    && plain.subarray(KEY_CHECK.length).equals(challenge);
  plain.fill(0);
  return ok ? 'ok' : 'mismatch';
}
