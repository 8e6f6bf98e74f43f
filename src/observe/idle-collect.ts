// One full garbage collection once a burst of commands is over and the server has gone quiet.
//
// A fill (a bulk load, a batch job, a restart's warm-up) leaves the V8 heap holding what it
// promoted while the burst was in flight: request arguments, replies, the structures of small
// collections since packed into the record arena. V8 collects the old generation only when
// it grows past its limit, and its memory reducer never ran in our measurements (RSS was the
// same 3 s and 20 s after a fill of 200 k small sets), so an idle server kept that garbage for
// good: 4 MB of dead objects, ~10 B of RSS per key of 200 k small keys (bench/memory.ts).
// Redis has no such garbage; a full collection when nobody is waiting gives most of it back.
//
// Once per burst, at most: after IDLE_TICKS cron ticks (about a second at hz 10) in which no
// command ran, following at least BURST_COMMANDS commands since the last collection. A server
// with steady traffic never gets here (V8 collects as usual); one that is idle is not woken
// again until another burst. The collection runs on the cron, between requests.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Commands since the last idle collection that make the quiet after them worth one. */
export const BURST_COMMANDS = 10_000;
/** Seconds without a command before collecting. */
export const IDLE_SECONDS = 1;

type Collect = () => void;

let collector: Collect | null | undefined;

/** V8's gc(), reached once without --expose-gc on node's command line; null if unavailable. */
function gcFunction(): Collect | null {
  if (collector !== undefined) return collector;
  try {
    // The flag exposes gc() in contexts created after it; one throwaway context hands it over.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collector = typeof gc === 'function' ? (gc as Collect) : null;
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
  /** Full collections run so far (tests, INFO-style diagnostics). */
  collections = 0;

  /**
   * @param commands the running count of commands (INFO total_commands_processed).
   * @param collect the collection to run; V8's full gc() by default.
   */
  constructor(
    private readonly commands: () => number,
    private readonly collect: Collect | null = gcFunction(),
  ) {}

  /** Called from the cron with the time (ms); collects when a burst has given way to quiet. */
  tick(now: number): void {
    const count = this.commands();
    if (count !== this.lastCount) {
      this.lastCount = count;
      this.quietSince = now;
      return;
    }
    if (this.collect === null || count - this.countAtCollect < BURST_COMMANDS || now - this.quietSince < IDLE_SECONDS * 1000) return;
    this.countAtCollect = count;
    this.collections++;
    this.collect();
  }
}
