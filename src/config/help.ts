// `sealkv --help`: how to start it, then every setting, grouped, with its default and whether
// sealkv acts on it (the table in settings.ts is the single source).

import { GROUP_TITLES, SETTINGS, type Group, type SettingSpec } from './settings.js';

const HEAD = `Usage: sealkv [/path/to/sealkv.conf] [-] [--<setting> <value>...]
       sealkv --config /path/to/sealkv.conf [--<setting> <value>...]
       sealkv --help | --version

Starts an encrypted Redis-protocol server (default 127.0.0.1:6379, ephemeral master key).
The config file uses redis.conf syntax (a stock redis.conf loads unchanged): "name value..." per
line, quotes as in Redis, plus "include FILE" and "rename-command NAME NEWNAME" (NEWNAME "" disables
it). Flags go on top of the file, read as redis-server reads them: --port 7000, --save 900 1,
"--bind 127.0.0.1 ::1"; "-" (first or last) reads more config text from standard input.
Settings marked "-" are accepted and validated as Redis does, but sealkv does not act on them
(listed at start-up and in INFO sealkv config_not_applied). sealkv never daemonizes: it stays in
the foreground for its supervisor. Logs go to standard output (or logfile) as JSON lines, or as
readable lines on a terminal (log-format auto|json|pretty).`;

function shape(s: SettingSpec): string {
  switch (s.kind) {
    case 'bool':
      return 'yes|no';
    case 'enum':
      return s.values!.join('|');
    case 'memory':
      return 'bytes';
    case 'octal':
      return `${s.min!.toString(8)}..${s.max!.toString(8)} octal`;
    case 'int':
      return s.min !== undefined && s.max !== undefined && s.max <= 65535n ? `${s.min}..${s.max}` : 'number';
    default:
      return s.multi ? 'words' : 'text';
  }
}

export function helpText(): string {
  const lines = [HEAD, ''];
  const groups = new Map<Group, SettingSpec[]>();
  for (const s of SETTINGS) if (!s.hidden) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  for (const [group, specs] of groups) {
    lines.push(`${GROUP_TITLES[group]}:`);
    for (const s of specs) {
      const def = s.default === '' ? '""' : s.default;
      const alias = s.alias ? `  (old name: ${s.alias})` : '';
      lines.push(`  ${s.applied ? ' ' : '-'} ${s.name.padEnd(40)} ${shape(s).padEnd(16)} default ${def}${alias}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
