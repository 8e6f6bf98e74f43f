// The goals a benchmark run is held to (issue #20's numbers), checked after the run: each one is
// printed with its measured value, and a run that misses any exits non-zero.

export interface Goal {
  /** What is measured, e.g. "GET P16 32 B / redis-server". */
  what: string;
  actual: number;
  /** The bound to reach. */
  want: number;
  /** 'min': actual must be at least want; 'max': at most. */
  kind: 'min' | 'max';
  unit: 'x' | 'ms' | '%';
}

export function met(g: Goal): boolean {
  return g.kind === 'min' ? g.actual >= g.want : g.actual <= g.want;
}

function show(v: number, unit: Goal['unit']): string {
  return unit === 'x' ? `${v.toFixed(2)}x` : unit === 'ms' ? `${v.toFixed(2)} ms` : `${v.toFixed(0)}%`;
}

export function goalTable(goals: Goal[]): string[] {
  const out = ['| goal | measured | bound | |', '|---|---:|---:|---|'];
  for (const g of goals) {
    out.push(`| ${g.what} | ${show(g.actual, g.unit)} | ${g.kind === 'min' ? '≥' : '≤'} ${show(g.want, g.unit)} | ${met(g) ? 'met' : '**missed**'} |`);
  }
  return out;
}

/** Prints the misses on stderr and sets the exit code (unless --no-fail was given). */
export function enforce(goals: Goal[], argv: string[]): void {
  const missed = goals.filter((g) => !met(g));
  if (missed.length === 0) {
    process.stderr.write(`all ${goals.length} goals met\n`);
    return;
  }
  process.stderr.write(`${missed.length} of ${goals.length} goals missed:\n`);
  for (const g of missed) process.stderr.write(`  ${g.what}: ${show(g.actual, g.unit)}, bound ${g.kind === 'min' ? '≥' : '≤'} ${show(g.want, g.unit)}\n`);
  if (!argv.includes('--no-fail')) process.exitCode = 1;
}
