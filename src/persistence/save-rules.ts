// The `save <seconds> <changes> [<seconds> <changes> ...]` rules (redis.conf "SNAPSHOTTING"):
// a BGSAVE starts once at least `changes` writes happened and more than `seconds` passed since
// the last successful save (redis server.c serverCron). The setting is checked by
// src/config/special.ts; here it is only read.

export interface SaveRule {
  seconds: number;
  changes: number;
}

/** The rules of a `save` value ("" or "3600 1 300 100 ..."). */
export function parseSaveRules(value: string): SaveRule[] {
  const words = value.split(/\s+/).filter(Boolean).map(Number);
  const rules: SaveRule[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) rules.push({ seconds: words[i]!, changes: words[i + 1]! });
  return rules;
}

/** Whether the rule asks for a save now, with `changes` writes and `elapsed` seconds since the last save. */
export function ruleDue(rule: SaveRule, changes: number, elapsed: number): boolean {
  return changes >= rule.changes && elapsed > rule.seconds;
}
