// Every command family's table, in one list for the registry.

import { aclCommands } from './server/acl.js';
import { clusterCommands } from './cluster/cluster.js';
import { connectionCommands } from './connection/connection.js';
import { diagnosticsCommands } from './server/diagnostics.js';
import { expiryCommands } from './keys/expiry.js';
import { hashCommands } from './hashes/hashes.js';
import { introspectionCommands } from './server/introspection.js';
import { keyCommands } from './keys/keys.js';
import { listCommands } from './lists/lists.js';
import { sealCommands } from './server/seal.js';
import { scriptingCommands } from './scripting/scripting.js';
import { functionCommands } from './scripting/functions.js';
import { serverCommands } from './server/server.js';
import { setCommands } from './sets/sets.js';
import { stringCommands } from './strings/strings.js';
import { streamCommands } from './streams/streams.js';
import { transactionCommands } from './connection/transactions.js';
import { pubsubCommands } from './connection/pubsub.js';
import { bitmapCommands } from './strings/bitmaps.js';
import { hyperloglogCommands } from './strings/hyperloglog.js';
import { lcsCommands } from './strings/lcs.js';
import type { CommandSpec } from './types.js';
import { zsetCommands } from './zsets/zsets.js';
import { geoCommands } from './geo/geo.js';
import { sortCommands } from './keys/sort.js';
import { dumpCommands } from './cluster/dump.js';
import { migrateCommands } from './cluster/migrate.js';
import { replicationCommands } from './replication/replication.js';
import { failoverCommands } from './replication/failover.js';

export const FAMILIES: readonly (readonly CommandSpec[])[] = [
  stringCommands,
  keyCommands,
  expiryCommands,
  hashCommands,
  transactionCommands,
  connectionCommands,
  serverCommands,
  introspectionCommands,
  aclCommands,
  sealCommands,
  diagnosticsCommands,
  clusterCommands,
  pubsubCommands,
  streamCommands,
  bitmapCommands,
  hyperloglogCommands,
  lcsCommands,
  setCommands,
  listCommands,
  zsetCommands,
  scriptingCommands,
  functionCommands,
  geoCommands,
  sortCommands,
  dumpCommands,
  migrateCommands,
  replicationCommands,
  failoverCommands,
];
