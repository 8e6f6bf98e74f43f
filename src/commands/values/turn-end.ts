// The end of an event-loop turn, for plaintext the store keeps open across a turn's commands: a
// set's tail node being added to (SealedSet's keepOpen, SADD), lists' end nodes being pushed
// to or popped from (SealedList's open ends, LPUSH/LPOP and friends), the small hash commands
// last opened or wrote (hash-turn.ts, HSET/HGET and friends) and the sorted-set members range
// replies opened (zset-turn-opens.ts, ZRANGE and friends). The many commands one read
// brings (a pipeline), or many clients' reads in one poll phase, then open and seal such a node
// once instead of once per command. Everything open is sealed and its plaintext wiped here when
// the turn's reads are done (setImmediate runs after the poll phase, before the event loop waits
// again), or earlier by the structure itself before anything else uses it. One hook for every
// structure, so no plaintext outlives the turn whichever type kept it.

import { whenListOpens, settleOpenLists } from '../../store/types/list.js';
import { settleHeldHash } from '../../store/types/hash-fields.js';
import { settleOpenTail } from '../../store/types/set.js';
import { settleTurnOpens } from '../zsets/zset-turn-opens.js';

let settling = false;
/**
 * Where a failure to seal at the turn's end goes (the server's log). It runs outside any
 * command, so nobody can be answered, and it must not end the process: the structure has wiped
 * its plaintext either way.
 */
let reportFailure: (err: unknown) => void = () => {};

/** The server passes its log here (net/server.ts). */
export function whenSettleFails(report: (err: unknown) => void): void {
  reportFailure = report;
}

/** Arranges settleTurn() for the end of this turn (once, however often it is called). */
export function settleAfterTurn(): void {
  if (settling) return;
  settling = true;
  setImmediate(settleTurn);
}

/** Seals whatever the turn left open (sets' tails, lists' ends, a small hash), wipes its plaintext and the sorted-set members kept. */
export function settleTurn(): void {
  settling = false;
  try {
    settleOpenTail();
  } catch (err) {
    reportFailure(err);
  }
  try {
    settleOpenLists();
  } catch (err) {
    reportFailure(err);
  }
  try {
    settleHeldHash();
  } catch (err) {
    reportFailure(err);
  }
  try {
    settleTurnOpens();
  } catch (err) {
    reportFailure(err);
  }
}

whenListOpens(settleAfterTurn);
