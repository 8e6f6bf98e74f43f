// Looks for plaintext markers in another process's memory (every readable mapping, through
// /proc/PID/maps and /proc/PID/mem) or in a file such as a core dump. Markers are searched as
// raw bytes and, for ASCII ones, also as UTF-16LE (how V8 stores two-byte strings).
//
// Speed: markers are grouped by their first bytes and each group costs one indexOf pass over
// memory, so markers should share a prefix (makeMarkers does that); a handful of unrelated
// markers (a master key) is fine too.

import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { expect } from 'vitest';

export interface MarkerHit {
  /** Index into the markers given. */
  marker: number;
  encoding: 'raw' | 'utf16le';
  address: number;
  /** The mapping it was found in: "start-end perms path" (or the file name for a file scan). */
  where: string;
}

export interface ScanResult {
  hits: MarkerHit[];
  bytesScanned: number;
  /** Mappings listed readable that could not be read (e.g. [vvar]), with the reason. */
  skipped: string[];
}

/** `count` unique random markers sharing `prefix`, e.g. SKVMARK-3f9a... (ASCII, 32 bytes). */
export function makeMarkers(count: number, prefix = 'SKVMARK-'): Buffer[] {
  const seen = new Set<string>();
  const out: Buffer[] = [];
  while (out.length < count) {
    const m = prefix + randomBytes(12).toString('hex');
    if (seen.has(m)) continue;
    seen.add(m);
    out.push(Buffer.from(m, 'latin1'));
  }
  return out;
}

interface Needle {
  marker: number;
  encoding: MarkerHit['encoding'];
  bytes: Buffer;
}

interface NeedleGroup {
  prefix: Buffer;
  /** Needles of this prefix by length, then by their bytes (latin1) for an O(1) check. */
  byLength: Map<number, Map<string, Needle>>;
}

const PREFIX_BYTES = 8;
const CHUNK = 16 * 1024 * 1024;

function isAscii(b: Buffer): boolean {
  return b.every((c) => c < 0x80);
}

function groupNeedles(markers: Buffer[]): { groups: NeedleGroup[]; longest: number } {
  const needles: Needle[] = [];
  markers.forEach((m, i) => {
    needles.push({ marker: i, encoding: 'raw', bytes: m });
    if (isAscii(m)) needles.push({ marker: i, encoding: 'utf16le', bytes: Buffer.from(m.toString('latin1'), 'utf16le') });
  });
  const shortest = Math.min(...needles.map((n) => n.bytes.length));
  const prefixLen = Math.min(PREFIX_BYTES, shortest);
  const groups = new Map<string, NeedleGroup>();
  let longest = 0;
  for (const n of needles) {
    if (n.bytes.length === 0) throw new Error('empty marker');
    longest = Math.max(longest, n.bytes.length);
    const prefix = n.bytes.subarray(0, prefixLen);
    const key = prefix.toString('latin1');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { prefix, byLength: new Map() }));
    let same = g.byLength.get(n.bytes.length);
    if (!same) g.byLength.set(n.bytes.length, (same = new Map()));
    same.set(n.bytes.toString('latin1'), n);
  }
  return { groups: [...groups.values()], longest };
}

/** Searches one block of bytes that starts at address (or offset) `base`. */
function searchBlock(block: Buffer, base: number, groups: NeedleGroup[], where: string, hits: MarkerHit[]): void {
  for (const g of groups) {
    for (let at = block.indexOf(g.prefix); at >= 0; at = block.indexOf(g.prefix, at + 1)) {
      for (const [len, needles] of g.byLength) {
        if (at + len > block.length) continue;
        const n = needles.get(block.toString('latin1', at, at + len));
        if (n) hits.push({ marker: n.marker, encoding: n.encoding, address: base + at, where });
      }
    }
  }
}

interface Region {
  start: number;
  end: number;
  label: string;
}

function readableRegions(pid: number): Region[] {
  const out: Region[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (!m || m[3]![0] !== 'r') continue;
    out.push({ start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), label: `${m[1]}-${m[2]} ${m[3]} ${m[4] || '[anon]'}` });
  }
  return out;
}

/** Scans start..end read through `read(buf, length, position)` in overlapping chunks. */
function scanRange(
  read: (buf: Buffer, length: number, position: number) => number,
  start: number,
  end: number,
  where: string,
  groups: NeedleGroup[],
  longest: number,
  hits: MarkerHit[],
): number {
  const overlap = longest - 1;
  const buf = Buffer.allocUnsafe(CHUNK + overlap);
  let carried = 0;
  let scanned = 0;
  for (let pos = start; pos < end; ) {
    const want = Math.min(CHUNK, end - pos);
    const got = read(buf.subarray(carried), want, pos);
    if (got <= 0) break;
    const block = buf.subarray(0, carried + got);
    searchBlock(block, pos - carried, groups, where, hits);
    scanned += got;
    pos += got;
    // Keep the tail so a marker that straddles two chunks is still seen; dedupe() drops the
    // hits inside the tail that the previous chunk already reported.
    carried = Math.min(overlap, block.length);
    block.copy(buf, 0, block.length - carried);
  }
  return scanned;
}

/** Every marker found in the readable memory of the live process `pid`. */
export function scanProcessMemory(pid: number, markers: Buffer[]): ScanResult {
  const { groups, longest } = groupNeedles(markers);
  const hits: MarkerHit[] = [];
  const skipped: string[] = [];
  let bytesScanned = 0;
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (const r of readableRegions(pid)) {
      try {
        bytesScanned += scanRange((b, len, p) => readSync(fd, b, 0, len, p), r.start, r.end, r.label, groups, longest, hits);
      } catch (err) {
        skipped.push(`${r.label}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
  } finally {
    closeSync(fd);
  }
  return { hits: dedupe(hits), bytesScanned, skipped };
}

/** Every marker found in a file (a core dump); `address` is the file offset. */
export function scanFile(path: string, markers: Buffer[]): ScanResult {
  const { groups, longest } = groupNeedles(markers);
  const hits: MarkerHit[] = [];
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytesScanned = scanRange((b, len, p) => readSync(fd, b, 0, len, p), 0, size, path, groups, longest, hits);
    return { hits: dedupe(hits), bytesScanned, skipped: [] };
  } finally {
    closeSync(fd);
  }
}

/** The overlap between chunks can report a hit twice. */
function dedupe(hits: MarkerHit[]): MarkerHit[] {
  const seen = new Set<string>();
  return hits.filter((h) => {
    const k = `${h.address}:${h.marker}:${h.encoding}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A readable report of hits: which marker, where (mapping and address), at most `limit` lines. */
export function describeHits(hits: MarkerHit[], markers: Buffer[], limit = 40): string {
  const lines = hits.slice(0, limit).map((h) => {
    const m = markers[h.marker]!;
    const shown = isAscii(m) ? m.toString('latin1') : `<${m.length} bytes>`;
    return `#${h.marker} ${shown} (${h.encoding}) at 0x${h.address.toString(16)} in ${h.where}`;
  });
  if (hits.length > limit) lines.push(`... and ${hits.length - limit} more`);
  const byMapping = new Map<string, number>();
  for (const h of hits) byMapping.set(h.where, (byMapping.get(h.where) ?? 0) + 1);
  lines.push('hits per mapping:', ...[...byMapping].map(([w, n]) => `  ${n}\t${w}`));
  return lines.join('\n');
}

/**
 * The assertion every memory-scan test makes: the process `pid` holds none of `secrets` in any
 * readable mapping, while `control` — something the server keeps in plaintext on purpose (a key
 * name without --seal-keys, a client name) — is found, which shows the scan saw the heap.
 */
export function expectNoPlaintext(pid: number, secrets: Buffer[], control?: { marker: Buffer; what: string }): void {
  const result = scanProcessMemory(pid, control ? [...secrets, control.marker] : secrets);
  expect(result.bytesScanned).toBeGreaterThan(10 * 1024 * 1024);
  if (control) expect(result.hits.filter((h) => h.marker === secrets.length).length, `${control.what} (control) is found`).toBeGreaterThan(0);
  const leaks = result.hits.filter((h) => h.marker < secrets.length);
  if (leaks.length > 0) console.error(`${leaks.length} marker copies found:\n${describeHits(leaks, secrets)}`);
  expect(leaks.length).toBe(0);
}
