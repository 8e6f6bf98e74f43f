// Garbage collection once a burst of requests is over and the server has gone quiet: minor
// collections first, so V8 gives back the young generation the burst grew, then one full one.
//
// A fill (a bulk load, a batch job, a restart's warm-up) leaves the V8 heap holding what it
// promoted while the burst was in flight: request arguments, replies, the structures of small
// collections since packed into the record arena. V8 collects the old generation only when
// it grows past its limit, and its memory reducer never ran in our measurements (RSS was the
// same 3 s and 20 s after a fill of 200 k small sets), so an idle server kept that garbage for
// good: 4 MB of dead objects, ~10 B of RSS per key of 200 k small keys (bench/memory.ts).
// Redis has no such garbage; a full collection when nobody is waiting gives most of it back.
//
// The young generation: a burst touches every page of both semi-spaces (8 MB resident with
// --max-semi-space-size=4), and V8 shrinks new space back (to 1 MB, and unmaps the rest) only in
// a collection that finds its allocation rate low, measured over its last ten collections and
// at most 5 s. Right after a burst those ten are the burst's own, so V8 keeps the 8 MB until 5 s
// of quiet have passed AND something collects (an idle server collects nothing): 6-7 B per
// element of a 1 M-element list (bench/results/memory.md). Minor collections on the quiet ticks
// (an empty young generation: 0.2-0.3 ms each, at least 90 ms apart so the rate V8 sees is the
// idle server's) push the burst out of those ten, and the full collection after them shrinks
// new space.
//
// Once per burst, at most: after IDLE_SECONDS in which no request arrived, following at least
// BURST_BYTES of requests read since the last collection (bytes, not commands: one RPUSH of 1,000
// elements is much work in one command; the 10,000 commands counted before let a 1 M-element
// list fill pass unnoticed), IDLE_MINORS minor collections on the next ticks, then the full one
// (2.1 s after the last request at hz 10). A request in between starts the wait over, so traffic
// with pauses shorter than a second never pays for minor collections. A server with steady
// traffic never gets here (V8 collects as usual); one that is idle is not woken again until
// another burst. The collections run on the cron, between requests.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Request bytes read since the last idle collection that make the quiet after them worth one. */
export const BURST_BYTES = 1 << 20;
/** Seconds without a request before the collections start. */
export const IDLE_SECONDS = 1;
/**
 * Minor collections before the full one: V8 judges its allocation rate over its last ten
 * collections, and the first quiet one still counts the burst's tail.
 */
export const IDLE_MINORS = 11;
/** Least time between two of the collections (a cron tick at hz 10, less some slack). */
const MINOR_GAP_MS = 90;

/** V8's gc(): a full collection, or a minor one (the young generation only). */
type Collect = (minor: boolean) => void;

let collector: Collect | null | undefined;

/** V8's gc(), reached once without --expose-gc on node's command line; null if unavailable. */
function gcFunction(): Collect | null {
  if (collector !== undefined) return collector;
  try {
    // The flag exposes gc() in contexts created after it; one throwaway context hands it over.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collector = typeof gc === 'function' ? (minor) => (gc as (minor?: boolean) => void)(minor) : null;
  } catch {
    collector = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collector;
}

export class IdleCollector {
  private lastCount = 0;
  private countAtCollect = 0;
  private quietSince = 0;
  private lastMinor = 0;
  private minors = 0;
  /** Full collections run so far (tests, INFO-style diagnostics). */
  collections = 0;

  /**
   * @param requestBytes the running count of request bytes read (INFO total_net_input_bytes).
   * @param collect the collection to run; V8's gc() by default.
   */
  constructor(
    private readonly requestBytes: () => number,
    private readonly collect: Collect | null = gcFunction(),
  ) {}

  /** Called from the cron with the time (ms); collects when a burst has given way to quiet. */
  tick(now: number): void {
    const count = this.requestBytes();
    if (count !== this.lastCount) {
      this.lastCount = count;
      this.quietSince = now;
      this.minors = 0;
      return;
    }
    if (this.collect === null || count - this.countAtCollect < BURST_BYTES || now - this.quietSince < IDLE_SECONDS * 1000) return;
    if (this.minors > 0 && now - this.lastMinor < MINOR_GAP_MS) return;
    if (this.minors < IDLE_MINORS) {
      this.minors++;
      this.lastMinor = now;
      return this.collect(true);
    }
    this.countAtCollect = count;
    this.collections++;
    this.collect(false);
  }
}
