// Picks the AEAD backend once, at start, from the `seal-backend` setting: `auto` takes
// sodium-native when it loads on this machine (it is an optional dependency) and the direct
// WASM path otherwise; `native` insists on sodium-native; `wasm` never loads it. sodium-native
// seals values of every size, so its data keys never enter the WASM heap (a plain ArrayBuffer
// that core dumps and heap snapshots include).

import { WasmAead, type AeadBackend } from './aead.js';
import { NativeAead, loadSodiumNative } from './native-aead.js';

export type BackendChoice = 'auto' | 'native' | 'wasm';

/** `seal-backend native` on a machine where sodium-native does not load. */
export class BackendError extends Error {}

export async function loadAead(choice: BackendChoice = 'auto'): Promise<AeadBackend> {
  const sodium = choice === 'wasm' ? null : loadSodiumNative();
  if (sodium) return new NativeAead(sodium);
  if (choice === 'native') {
    throw new BackendError('seal-backend is native but sodium-native does not load on this machine (install it, or use --seal-backend auto or wasm)');
  }
  return WasmAead.create();
}
