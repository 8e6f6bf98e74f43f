// The sealed snapshot stream API in one place, for SAVE/BGSAVE (persistence.ts) and for
// replication's full sync: the same bytes whether they go to a file or down a socket.
// Contract: /work/wt/snapshot-API.md (kept in README "Durability" too).

export { SnapshotCapture, type SnapshotOptions, type SnapshotServer, type SnapshotSummary } from './snapshot-writer.js';
export { snapshotChunks, snapshotSync } from './snapshot-stream.js';
export { checkSnapshotHeader, loadSnapshot, loadSnapshotSliced, loadSnapshotSync, verifySnapshot, type LoadSummary } from './snapshot-loader.js';
export { FORMAT_VERSION, HEADER_BYTES, SnapshotError } from './snapshot-format.js';
