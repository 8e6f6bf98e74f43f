// Settings with a syntax of their own (Redis's "special" configs): each parser takes the words
// of the value and returns what CONFIG GET shows, or throws Error with Redis 7.0's reason.

import { resolve } from 'node:path';
import { memtoull, strtoll } from './values.js';

export type SpecialParser = (args: string[], current: string) => string;

const fail = (reason: string): never => {
  throw new Error(reason);
};

// client-output-buffer-limit: "<class> <hard> <soft> <soft-seconds>" quadruples.
const OBUF_CLASSES: Record<string, string> = { normal: 'normal', slave: 'slave', replica: 'slave', pubsub: 'pubsub' };

function outputBufferLimit(args: string[], current: string): string {
  if (args.length % 4 !== 0) fail('Wrong number of arguments in buffer limit configuration.');
  const words = current.split(' ');
  const limits = new Map<string, string[]>();
  for (let i = 0; i < words.length; i += 4) limits.set(words[i]!, words.slice(i + 1, i + 4));
  const staged: [string, string[]][] = [];
  for (let i = 0; i < args.length; i += 4) {
    const cls = OBUF_CLASSES[args[i]!.toLowerCase()];
    if (cls === undefined) fail('Invalid client class specified in buffer limit configuration.');
    const hard = memtoull(args[i + 1]!);
    const soft = memtoull(args[i + 2]!);
    const secs = strtoll(args[i + 3]!);
    // Redis keeps soft-seconds in a C int.
    const seconds = secs === null ? null : BigInt.asIntN(32, secs);
    if (hard === null || soft === null || seconds === null || seconds < 0n) {
      fail('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    staged.push([cls!, [String(hard), String(soft), String(seconds)]]);
  }
  for (const [cls, v] of staged) limits.set(cls, v);
  return ['normal', 'slave', 'pubsub'].map((c) => `${c} ${limits.get(c)!.join(' ')}`).join(' ');
}

/** save "<seconds> <changes> ...": seconds >= 1, changes >= 0 (a C int), "" for none. */
function save(args: string[]): string {
  if (args.length === 1 && args[0] === '') args = [];
  if (args.length % 2 !== 0) fail('Invalid save parameters');
  const out: string[] = [];
  args.forEach((arg, i) => {
    const n = strtoll(arg);
    if (n === null || (i % 2 === 0 && n < 1n) || (i % 2 === 1 && n < 0n)) fail('Invalid save parameters');
    out.push(String(i % 2 === 0 ? n : BigInt.asIntN(32, n!)));
  });
  return out.join(' ');
}

function bind(args: string[]): string {
  if (args.length > 16) fail('Too many bind addresses specified.');
  if (args.length === 1 && args[0] === '') return '';
  return args.join(' ');
}

function replicaof(args: string[]): string {
  if (args.length !== 2) fail('wrong number of arguments');
  if (args[0]!.toLowerCase() === 'no' && args[1]!.toLowerCase() === 'one') return '';
  const port = strtoll(args[1]!);
  if (port === null || port < 0n || port > 65535n) fail('Invalid master port');
  return `${args[0]} ${port}`;
}

function oomScoreAdjValues(args: string[]): string {
  if (args.length !== 3) fail('wrong number of arguments');
  return args
    .map((a) => {
      const n = strtoll(a);
      if (n === null || n < -2000n || n > 2000n) fail('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
      return String(n);
    })
    .join(' ');
}

// shutdown-on-sigint / -sigterm: flags that combine ("nosave now"); "default" is none of them.
const SHUTDOWN_FLAGS = ['default', 'save', 'nosave', 'now', 'force'];

function shutdownOnSignal(args: string[]): string {
  const reason = 'argument(s) must be one of the following: ' + SHUTDOWN_FLAGS.join(', ');
  if (args.length === 0) fail(reason);
  let bits = 0;
  for (const a of args) {
    const i = SHUTDOWN_FLAGS.indexOf(a.toLowerCase());
    if (i < 0) fail(reason);
    if (i > 0) bits |= 1 << (i - 1);
  }
  if (bits === 0) return 'default';
  return SHUTDOWN_FLAGS.filter((_, i) => i > 0 && bits & (1 << (i - 1))).join(' ');
}

// notify-keyspace-events: class characters, shown in Redis's canonical order.
const EVENT_CLASSES = 'g$lshzxetdn';
const EVENT_ALL = 'g$lshzxetd';

function notifyKeyspaceEvents(args: string[]): string {
  const set = new Set<string>();
  for (const c of args[0]!) {
    if (c === 'A') for (const a of EVENT_ALL) set.add(a);
    else if (EVENT_CLASSES.includes(c) || c === 'K' || c === 'E' || c === 'm') set.add(c);
    else fail("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  // As Redis prints it: 'A' stands for the whole set and hides 'n'.
  let out = [...EVENT_ALL].every((c) => set.has(c)) ? 'A' : [...EVENT_CLASSES].filter((c) => set.has(c)).join('');
  for (const c of 'KEm') if (set.has(c)) out += c;
  return out;
}

/** C strtod as Redis's string2d accepts it: the whole text, no leading space, not NaN. */
function string2d(text: string): number | null {
  if (text === '' || /^\s/.test(text)) return null;
  const t = text.toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.replace(/^[+-]/, '');
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (/^0x[0-9a-f]*\.?[0-9a-f]*(p[+-]?\d+)?$/.test(body) && /[0-9a-f]/.test(body.slice(2).replace(/p.*/, ''))) {
    const [mant, exp] = body.slice(2).split('p');
    const [whole, frac = ''] = mant!.split('.');
    const v = (parseInt(whole || '0', 16) + (frac ? parseInt(frac, 16) / 16 ** frac.length : 0)) * 2 ** Number(exp ?? 0);
    return sign * v;
  }
  if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return null;
  const v = sign * Number(body);
  // strtod's ERANGE on overflow or underflow to zero is refused.
  if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(body.replace(/e.*/, '')))) return null;
  return v;
}

/** Redis prints these with "%f" and trims trailing zeros. */
function trimmedFixed(v: number): string {
  const s = (Object.is(v, -0) ? '-' : '') + v.toFixed(6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function latencyPercentiles(args: string[]): string {
  if (args.length === 1 && args[0] === '') return '';
  return args
    .map((a) => {
      const v = string2d(a);
      if (v === null) fail('Invalid latency-tracking-info-percentiles parameters');
      if (v! > 100 || v! < 0) fail('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
      return trimmedFixed(v!);
    })
    .join(' ');
}

// proc-title-template: {variables} Redis knows; the expansion must not come out empty. Redis
// checks with an empty {title} and the server's values: a listening address and port always.
const TITLE_VARS: Record<string, string> = {
  title: '', 'listen-addr': '127.0.0.1:6379', 'server-mode': '', port: '6379', 'tls-port': '0', unixsocket: '', 'config-file': '',
};

/**
 * Redis's sdstemplate + expandProcTitleTemplate: `{name}` replaced by its value, `{{` is `{`,
 * spaces trimmed; null for an unknown variable or a `{` left open.
 */
export function expandProcTitle(template: string, value: (name: string) => string | undefined): string | null {
  let out = '';
  for (let i = 0; i < template.length; ) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    if (open + 1 >= template.length) return null;
    if (template[open + 1] === '{') {
      out += '{';
      i = open + 2;
      continue;
    }
    const close = template.indexOf('}', open + 1);
    if (close < 0) return null;
    const v = value(template.slice(open + 1, close));
    if (v === undefined) return null;
    out += v;
    i = close + 1;
  }
  return out.replace(/^ +| +$/g, '');
}

export function procTitleError(template: string): string | null {
  const expanded = expandProcTitle(template, (name) => TITLE_VARS[name]);
  return expanded === null || expanded === '' ? 'template format is invalid or contains unknown variables' : null;
}

export const SPECIAL: Record<string, SpecialParser> = {
  bind,
  'client-output-buffer-limit': outputBufferLimit,
  save,
  replicaof,
  'oom-score-adj-values': oomScoreAdjValues,
  'shutdown-on-sigint': shutdownOnSignal,
  'shutdown-on-sigterm': shutdownOnSignal,
  'notify-keyspace-events': notifyKeyspaceEvents,
  'latency-tracking-info-percentiles': latencyPercentiles,
  // Shown as an absolute path, as Redis shows its working directory.
  dir: (args) => resolve(args[0]!),
};
