// Pub/Sub's hold on the server: keyspace notifications listen to the databases from the start
// (a config file may set notify-keyspace-events), and a key rotation renews the sealed channel
// names before the old data key can be retired.

import type { Server } from '../commands/types.js';
import { KeyspaceNotifier } from './notify.js';
import { pubsubIfAny } from './registry.js';

export { isSubscribed, pubsubIfAny, pubsubOf, subscriptionsOf } from './registry.js';

export function installPubSub(server: Server): void {
  new KeyspaceNotifier(server);
  server.rotation.renewOutside.push(() => pubsubIfAny(server)?.renewSealedNames());
}
