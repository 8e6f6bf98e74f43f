// Malformed requests for every command, built from redis-server 7.0's own COMMAND DOCS argument
// trees: a minimal and a full well-formed request per command, then wrong arity, every argument
// replaced by a wrong token, option words repeated, reordered or left without their value, and
// every key pointed at a key of each other type. The differential-args test sends them to sealkv
// and to redis-server and compares the replies.

import { type ReplyNode, type Rnd } from './differential.js';

/** One node of COMMAND DOCS' `arguments` tree. */
export interface DocArg {
  name: string;
  type: string;
  token?: string;
  flags: string[];
  arguments?: DocArg[];
}

export interface CommandDoc {
  /** Full name as COMMAND LIST gives it: `set`, `config|get`. */
  name: string;
  group: string;
  arguments: DocArg[];
}

const text = (n: ReplyNode): string => n.head.slice(1);

/** A RESP2 map (flat key, value list) or a RESP3 map as a JS map of nodes. */
function fields(n: ReplyNode): Map<string, ReplyNode> {
  const out = new Map<string, ReplyNode>();
  const items = n.items ?? [];
  for (let i = 0; i + 1 < items.length; i += 2) out.set(text(items[i]!), items[i + 1]!);
  return out;
}

function docArg(n: ReplyNode): DocArg {
  const f = fields(n);
  return {
    name: text(f.get('name')!),
    type: text(f.get('type')!),
    token: f.has('token') ? text(f.get('token')!) : undefined,
    flags: (f.get('flags')?.items ?? []).map(text),
    arguments: f.get('arguments')?.items?.map(docArg),
  };
}

/** Every command and subcommand of a COMMAND DOCS reply (parsed), with its argument tree. */
export function commandDocs(reply: ReplyNode, parent = ''): CommandDoc[] {
  const out: CommandDoc[] = [];
  const items = reply.items ?? [];
  for (let i = 0; i + 1 < items.length; i += 2) {
    const name = parent ? `${parent}|${text(items[i]!).split('|').pop()}` : text(items[i]!);
    const f = fields(items[i + 1]!);
    const subs = f.get('subcommands');
    if (subs?.items?.length) out.push(...commandDocs(subs, name));
    else out.push({ name, group: text(f.get('group') ?? { head: '+generic' }), arguments: (f.get('arguments')?.items ?? []).map(docArg) });
  }
  return out;
}

/** The key every data command reads by default, by COMMAND DOCS group; the setup makes them. */
const KEY_OF_GROUP: Record<string, string> = {
  string: 'str', bitmap: 'str', list: 'lst', set: 'st', 'sorted-set': 'zs', geo: 'geo', hash: 'hsh', stream: 'strm', hyperloglog: 'hll',
};
/** One key of each type, and one that does not exist: the WRONGTYPE targets. */
export const TYPED_KEYS = ['str', 'lst', 'hsh', 'st', 'zs', 'strm', 'none'];

/** The commands that make the typed keys, sent after FLUSHALL before every case. */
export const KEY_SETUP: string[][] = [
  ['SET', 'str', '10'],
  ['RPUSH', 'lst', 'a', 'b', 'c'],
  ['HSET', 'hsh', 'f', '1', 'g', 'v'],
  ['SADD', 'st', 'a', 'b', 'c'],
  ['ZADD', 'zs', '1', 'a', '2', 'b'],
  ['XADD', 'strm', '1-1', 'f', 'v'],
  ['XGROUP', 'CREATE', 'strm', 'grp', '0'],
  ['GEOADD', 'geo', '13.361389', '38.115556', 'a', '15.087269', '37.502669', 'b'],
  ['PFADD', 'hll', 'a', 'b'],
];

/** A well-formed value for an argument, from its type and name. */
function valueFor(cmd: CommandDoc, arg: DocArg): string {
  const name = arg.name.toLowerCase();
  switch (arg.type) {
    case 'key': return KEY_OF_GROUP[cmd.group] ?? 'str';
    case 'integer':
      if (name.includes('timeout') || name === 'milliseconds' && cmd.name.startsWith('xread')) return '1';
      if (name === 'port') return '7403';
      return name === 'numkeys' || name === 'numreplicas' ? (name === 'numkeys' ? '1' : '0') : '1';
    case 'double': return name.includes('timeout') ? '0.01' : name === 'longitude' ? '13.5' : name === 'latitude' ? '38.1' : '1.5';
    case 'unix-time': return '4102444800';
    case 'pattern': return '*';
    default: break;
  }
  if (name === 'script') return 'return 1';
  if (name === 'function-code') return '#!lua name=lib\nredis.register_function("f", function() return 1 end)';
  if (name === 'sha1') return '0'.repeat(40);
  if (name === 'group' || name === 'groupname') return 'grp';
  if (name === 'consumer' || name === 'consumername') return 'c1';
  if (name === 'host' || name === 'ip') return '127.0.0.1';
  if (name === 'id' || name === 'start' || name === 'end') return cmd.group === 'stream' ? '1-1' : '0';
  if (name === 'section') return 'server';
  if (name === 'parameter') return 'maxmemory-policy';
  if (name === 'member' || name === 'element' || name === 'pivot') return 'a';
  if (name === 'field') return 'f';
  return 'v';
}

/** What a request is made of: words, each remembering which argument it stands for. */
interface Word { word: string; arg?: DocArg; token?: boolean }

/**
 * A well-formed rendering: `full` includes every optional argument, else none; `variant` picks
 * which alternative of each one-of (the variant-th, wrapping), and repeats arguments that may
 * come more than once when odd.
 */
function render(cmd: CommandDoc, args: readonly DocArg[], full: boolean, variant = 0): Word[] {
  const out: Word[] = [];
  for (const arg of args) {
    if (arg.flags.includes('optional') && !full) continue;
    const times = arg.flags.includes('multiple') && variant % 2 === 1 ? 2 : 1;
    for (let t = 0; t < times; t++) {
      if (arg.token && (t === 0 || arg.flags.includes('multiple_token'))) out.push({ word: arg.token, arg, token: true });
      if (arg.type === 'pure-token') continue;
      if (arg.type === 'oneof') {
        const alternative = arg.arguments![variant % arg.arguments!.length]!;
        out.push(...render(cmd, [{ ...alternative, flags: alternative.flags.filter((f) => f !== 'optional') }], full, variant));
      } else if (arg.type === 'block') out.push(...render(cmd, arg.arguments!, full, variant));
      else out.push({ word: valueFor(cmd, arg), arg });
    }
  }
  return out;
}

/** How many alternatives the widest one-of of a tree has. */
const widest = (args: readonly DocArg[]): number =>
  Math.max(1, ...args.map((a) => Math.max(a.type === 'oneof' ? a.arguments!.length : 1, widest(a.arguments ?? []))));

/** Wrong tokens for a number, a string or an option word. */
const BAD_NUMBERS = ['x', '-1', '0', '99999999999999999999', '-inf', 'nan', '1e400', '', '1.5'];
/** The 64-bit and 32-bit edges and spellings strtol or strtod take and Redis's string2ll does not. */
const EDGE_NUMBERS = ['9223372036854775807', '-9223372036854775808', '9223372036854775808', '4294967296', '2147483648', '0x10', ' 1', '+1', '1e3', '-0', '01', 'inf'];
const BAD_WORDS = ['', 'BOGUS', '-1', `L${'o'.repeat(200)}ng`, 'a\0b', 'caf\u00e9 \r\n'];
/** Stream IDs that are special, out of range or half-formed. */
const BAD_IDS = ['-', '+', '$', '>', '*', '0-0', '1-*', '18446744073709551615-18446744073709551615', '18446744073709551616', '1-x', '-1-1'];
/** Everything a double mutation draws from. */
const POOL = [...new Set([...BAD_NUMBERS, ...EDGE_NUMBERS, ...BAD_WORDS, ...BAD_IDS, 'LIMIT', 'COUNT', 'WITHSCORES', 'NX', 'XX', 'GT', 'FULL', 'MATCH'])];

export interface ArgCase { args: string[]; what: string }

/** Every malformed (and the two well-formed) requests for one command. */
export function casesFor(cmd: CommandDoc, arity: number, rnd: Rnd): ArgCase[] {
  const head = cmd.name.split('|').map((w) => w.toUpperCase());
  const minimal = render(cmd, cmd.arguments, false);
  const full = render(cmd, cmd.arguments, true);
  const words = (ws: Word[]) => [...head, ...ws.map((w) => w.word)];
  const out: ArgCase[] = [
    { args: words(minimal), what: 'minimal' },
    { args: words(full), what: 'full' },
  ];
  const need = Math.abs(arity);
  if (need > head.length) out.push({ args: words(minimal).slice(0, need - 1), what: 'too few' }, { args: head, what: 'name only' });
  if (arity > 0) out.push({ args: [...words(minimal), 'extra'], what: 'too many' });
  else out.push({ args: [...words(full), 'EXTRA'], what: 'unknown word after a full request' });
  const variants = Array.from({ length: Math.max(2, widest(cmd.arguments)) }, (_, v) => render(cmd, cmd.arguments, true, v));
  const forms: [string, Word[]][] = [['minimal', minimal], ...variants.map((ws, v): [string, Word[]] => [`full#${v}`, ws])];
  for (const [form, ws] of forms) {
    if (form !== 'minimal') out.push({ args: words(ws), what: form });
    ws.forEach((w, i) => {
      const numeric = w.arg && ['integer', 'double', 'unix-time'].includes(w.arg.type) && !w.token;
      const stream = cmd.group === 'stream' && !w.token && w.arg?.type === 'string';
      const bad = numeric || (w.arg?.type === 'string' && !w.token) ? [...BAD_NUMBERS, ...EDGE_NUMBERS, ...BAD_WORDS, ...(stream ? BAD_IDS : [])] : w.token ? [...BAD_WORDS, w.word.toLowerCase()] : w.arg?.type === 'key' ? [] : BAD_WORDS;
      for (const b of bad) out.push({ args: words(ws.map((x, j) => (j === i ? { word: b } : x))), what: `${form} argument ${i + 1} (${w.arg?.name}) as ${JSON.stringify(b)}` });
      if (w.arg?.type === 'key') {
        for (const k of TYPED_KEYS) if (k !== w.word) out.push({ args: words(ws.map((x, j) => (j === i ? { word: k } : x))), what: `key ${i + 1} of type ${k}` });
      }
    });
  }
  // Which check comes first: a bad argument beside a missing key or a key of another type.
  for (const [form, ws] of forms) {
    const keys = ws.flatMap((w, i) => (w.arg?.type === 'key' ? [i] : []));
    ws.forEach((w, i) => {
      if (w.arg?.type === 'key') return;
      for (const b of ['x', '-1', 'BOGUS']) {
        for (const k of ['none', ws[keys[0]!]?.word === 'str' ? 'lst' : 'str']) {
          if (keys.length) out.push({ args: words(ws.map((x, j) => (j === i ? { word: b } : keys.includes(j) ? { word: k } : x))), what: `${form} argument ${i + 1} (${w.arg?.name}) as ${JSON.stringify(b)}, keys ${k}` });
        }
      }
    });
  }
  for (const full of variants) optionCases(full);
  // Two arguments wrong at once, drawn from the seed: which of two errors is reported first.
  for (const [form, ws] of forms) {
    for (let n = 0; n < 2 * ws.length && ws.length >= 2; n++) {
      const [i, j] = [Math.floor(rnd() * ws.length), Math.floor(rnd() * ws.length)];
      const swapped = ws.map((x, k) => (k === i || k === j ? { word: x.arg?.type === 'key' ? TYPED_KEYS[Math.floor(rnd() * TYPED_KEYS.length)]! : POOL[Math.floor(rnd() * POOL.length)]! } : x));
      out.push({ args: words(swapped), what: `${form} arguments ${i + 1} and ${j + 1} wrong` });
    }
  }
  return dedupe(out);

  // Option words: repeated, without their value (the request cut off after the word), in reverse order.
  function optionCases(full: Word[]): void {
    full.forEach((w, i) => {
      if (!w.token || (!w.arg?.flags.includes('optional') && w.arg?.type !== 'pure-token')) return;
      out.push({ args: words([...full.slice(0, i + 1), ...full.slice(i)]), what: `option ${w.word} repeated` });
      if (w.arg?.type !== 'pure-token') out.push({ args: words(full.slice(0, i + 1)), what: `option ${w.word} without its value` });
    });
    const firstOption = full.findIndex((w) => w.token && w.arg?.flags.includes('optional'));
    if (firstOption >= 0) out.push({ args: words([...full.slice(0, firstOption), ...full.slice(firstOption).reverse()]), what: 'options in reverse order' });
  }
}

function dedupe(cases: ArgCase[]): ArgCase[] {
  const seen = new Set<string>();
  return cases.filter((c) => {
    const id = JSON.stringify(c.args);
    return !seen.has(id) && (seen.add(id), true);
  });
}

/** A container's own malformed requests: no subcommand, an unknown one, odd spellings. */
export function containerCases(top: string, sub: string): ArgCase[] {
  const T = top.toUpperCase();
  return [
    { args: [T], what: 'no subcommand' },
    { args: [T, 'BOGUS'], what: 'unknown subcommand' },
    { args: [T, 'BOGUS', 'x', 'y'], what: 'unknown subcommand with arguments' },
    { args: [T, ''], what: 'empty subcommand' },
    { args: [T, `S${'u'.repeat(200)}b`], what: 'long unknown subcommand' },
    { args: [T, 'a\0b'], what: 'subcommand with a NUL' },
    { args: [T, sub.toLowerCase()], what: 'subcommand in lower case' },
    { args: [T, 'HELP', 'extra'], what: 'HELP with an argument' },
  ];
}

/** At most `n` cases: the arity ones always, the rest drawn with `rnd`. */
export function sample(cases: ArgCase[], n: number, rnd: Rnd): ArgCase[] {
  if (cases.length <= n) return cases;
  const fixed = cases.filter((c) => ['minimal', 'full', 'too few', 'name only', 'too many'].includes(c.what) || c.what.startsWith('unknown word'));
  const rest = cases.filter((c) => !fixed.includes(c));
  const chosen: ArgCase[] = [];
  while (chosen.length < n - fixed.length && rest.length) chosen.push(rest.splice(Math.floor(rnd() * rest.length), 1)[0]!);
  return [...fixed, ...chosen];
}

