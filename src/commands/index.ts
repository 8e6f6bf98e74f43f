// Every command family's table, in one list for the registry.

import { aclCommands } from './acl.js';
import { connectionCommands } from './connection.js';
import { diagnosticsCommands } from './diagnostics.js';
import { expiryCommands } from './expiry.js';
import { hashCommands } from './hashes.js';
import { introspectionCommands } from './introspection.js';
import { keyCommands } from './keys.js';
import { sealCommands } from './seal.js';
import { scriptingCommands } from './scripting.js';
import { functionCommands } from './functions.js';
import { serverCommands } from './server.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';
import type { CommandSpec } from './types.js';

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
  scriptingCommands,
  functionCommands,
];
