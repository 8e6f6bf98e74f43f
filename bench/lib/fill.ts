// Loads N keys into a server over one pipelined connection, in bounded batches (the loop ends
// by itself), and reads INFO fields: the memory scenario's tools.

import type { Socket } from 'node:net';
import { openSocket } from './wire.js';

/** Sends `frames` and waits until `replies` replies ending in CRLF have been counted by `count`. */
function exchange(socket: Socket, frames: Buffer, expect: number, count: (chunk: Buffer) => number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const onData = (chunk: Buffer) => {
      seen += count(chunk);
      if (seen >= expect) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(frames);
  });
}

const countOk = (chunk: Buffer) => {
  let n = 0;
  for (let i = chunk.indexOf('+OK'); i >= 0; i = chunk.indexOf('+OK', i + 3)) n++;
  return n;
};

/** redis-benchmark's name for key i under `-r` (key:__rand_int__ is 12 zero-padded digits). */
export const benchmarkKey = (i: number): string => `key:${String(i).padStart(12, '0')}`;

/** SET key:<i> (or name(i)) to a distinct valueSize-byte value for i in [0, keys). */
export async function fill(port: number, keys: number, valueSize: number, batch = 2000, name = (i: number) => `key:${i}`): Promise<void> {
  const socket = await openSocket(port);
  try {
    for (let start = 0; start < keys; start += batch) {
      const parts: string[] = [];
      const end = Math.min(keys, start + batch);
      for (let i = start; i < end; i++) {
        const key = name(i);
        const value = String(i).padStart(valueSize, 'v');
        parts.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`);
      }
      await exchange(socket, Buffer.from(parts.join('')), end - start, countOk);
    }
  } finally {
    socket.destroy();
  }
}

/** FLUSHALL: each workload starts from an empty keyspace, so a GET reads values of its own size. */
export async function flushAll(port: number): Promise<void> {
  const socket = await openSocket(port);
  try {
    await exchange(socket, Buffer.from('*1\r\n$8\r\nFLUSHALL\r\n'), 1, countOk);
  } finally {
    socket.destroy();
  }
}

/** INFO <section> as a field map. */
export async function info(port: number, section: string): Promise<Map<string, string>> {
  const socket = await openSocket(port);
  try {
    const text = await new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString();
        const header = /^\$(\d+)\r\n/.exec(data);
        if (header && data.length >= header[0].length + Number(header[1])) resolve(data.slice(header[0].length));
      });
      socket.write(`*2\r\n$4\r\nINFO\r\n$${section.length}\r\n${section}\r\n`);
    });
    const fields = new Map<string, string>();
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
    return fields;
  } finally {
    socket.destroy();
  }
}

/**
 * What the process allocated, from an INFO memory map: Redis's used_memory (its allocator's
 * count); for sealkv, whose used_memory is what maxmemory counts, allocator_allocated (V8 heap
 * in use + memory outside it), the figure the memory benchmarks compare.
 */
export function allocated(memory: Map<string, string>): number {
  return Number(memory.get(memory.has('used_memory_heap') ? 'allocator_allocated' : 'used_memory'));
}
