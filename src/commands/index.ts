// Every command family's table, in one list for the registry.

import { aclCommands } from './acl.js';
import { clusterCommands } from './cluster.js';
import { connectionCommands } from './connection.js';
import { diagnosticsCommands } from './diagnostics.js';
import { expiryCommands } from './expiry.js';
import { hashCommands } from './hashes.js';
import { introspectionCommands } from './introspection.js';
import { keyCommands } from './keys.js';
import { listCommands } from './lists.js';
import { sealCommands } from './seal.js';
import { scriptingCommands } from './scripting.js';
import { functionCommands } from './functions.js';
import { serverCommands } from './server.js';
import { setCommands } from './sets.js';
import { stringCommands } from './strings.js';
import { streamCommands } from './streams.js';
import { transactionCommands } from './transactions.js';
import { pubsubCommands } from './pubsub.js';
import { bitmapCommands } from './bitmaps.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { lcsCommands } from './lcs.js';
import type { CommandSpec } from './types.js';
import { zsetCommands } from './zsets.js';
import { geoCommands } from './geo.js';
import { sortCommands } from './sort.js';
import { dumpCommands } from './dump.js';
import { migrateCommands } from './migrate.js';
import { replicationCommands } from './replication.js';
import { failoverCommands } from './failover.js';

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
