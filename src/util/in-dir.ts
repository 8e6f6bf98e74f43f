import { resolve } from 'node:path';

/**
 * Where a file setting (`logfile`, `pidfile`, `aclfile`) lies: Redis works from its `dir`, so a
 * relative name is taken inside `dir`; sealkv does not change directory, so it resolves the name
 * there instead. An empty name (the setting unset) stays empty.
 */
export function inDir(file: string, dir: string): string {
  return file === '' ? '' : resolve(dir, file);
}
