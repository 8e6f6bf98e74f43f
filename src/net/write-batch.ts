// Replies of every connection served in one event-loop turn leave together, after all of the
// turn's reads have run (redis beforeSleep -> handleClientsWithPendingWrites). Writing each
// connection's replies as soon as its read is done spread the writes out, so a client process
// serving many connections went back to sleep between them and every write paid for waking it
// (the largest kernel cost in profiles); back to back, one wake-up serves several writes.

interface Flushable {
  flush(): void;
}

const pending: Flushable[] = [];
let scheduled = false;
/** Counts the turns whose replies left together (see currentTurn). */
let turns = 0;

function flushAll(): void {
  scheduled = false;
  turns++;
  // A flush may close a connection, never queue another one: the list is stable while we walk it.
  for (let i = 0; i < pending.length; i++) pending[i]!.flush();
  pending.length = 0;
}

/**
 * Flushes `client` once the current turn's reads are done (setImmediate runs after the poll
 * phase), or at once when `now`: the turn is still counted (see currentTurn).
 */
export function flushAfterReads(client: Flushable, now = false): void {
  if (now) client.flush();
  else pending.push(client);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}

/**
 * Which event-loop turn this is, as far as replies go: it changes once the turn's replies have
 * been flushed. libuv reads one socket up to 32 times in a row per poll, so a connection's time
 * slice (net/client.ts) must span its reads of one turn, not restart with each.
 */
export function currentTurn(): number {
  return turns;
}
