// One load measurement: redis-benchmark against a port, parsed from its CSV output.

import { execFile } from 'node:child_process';

export interface Workload {
  /** redis-benchmark -t list, e.g. 'set,get'. */
  tests: string;
  clients: number;
  pipeline: number;
  valueSize: number;
  requests: number;
}

export interface Measurement {
  test: string;
  rps: number;
  p50: number;
  p99: number;
}

/**
 * `keyspace`: redis-benchmark -r, the number of distinct keys the run spreads over. By default a
 * quarter of the requests (at most 100,000), so the SET pass covers ~98% of the keys and the GET
 * pass that follows reads values, not misses.
 */
export function runRedisBenchmark(port: number, w: Workload, keyspace = Math.max(100, Math.min(100_000, Math.floor(w.requests / 4)))): Promise<Measurement[]> {
  const args = [
    '-h', '127.0.0.1', '-p', String(port), '-t', w.tests, '-c', String(w.clients), '-P', String(w.pipeline),
    '-d', String(w.valueSize), '-n', String(w.requests), '-r', String(keyspace), '--csv',
  ];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`redis-benchmark failed: ${err.message} ${stderr}`));
      const rows = stdout.trim().split('\n').slice(1).map((line) => line.split(',').map((c) => c.replace(/"/g, '')));
      resolve(rows.map(([test, rps, , , p50, , p99]) => ({ test: test!, rps: Number(rps), p50: Number(p50), p99: Number(p99) })));
    });
  });
}
