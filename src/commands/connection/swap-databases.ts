// SWAPDB's exchange of two databases, for the command and for a replica applying its master's
// record: the data (sealed, with its identity) changes index; clients and WATCH stay at theirs.

import type { Server } from '../types.js';

export function swapDatabases(server: Server, a: number, b: number): void {
  const dbs = server.databases;
  const x = dbs[a];
  const y = dbs[b];
  // (A replica's record names indexes it may not have: nothing to swap then.)
  if (x === undefined || y === undefined || a === b) return;
  dbs[a] = y;
  dbs[b] = x;
  x.tradeWatches(y);
  for (const client of server.clients.values()) {
    if (client.dbIndex === a || client.dbIndex === b) client.db = dbs[client.dbIndex]!;
    // A watched [database, key] names the index: it follows the registrations to the other object.
    if (client.watching) for (const entry of client.watching.keys) entry[0] = entry[0] === x ? y : entry[0] === y ? x : entry[0];
  }
  x.swapped();
  y.swapped();
}
