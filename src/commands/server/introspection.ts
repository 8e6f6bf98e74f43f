// COMMAND and its subcommands, answered from the command tables themselves (ARCHITECTURE
// convention 1): what the dispatcher runs is exactly what COMMAND describes.

import { Errors } from '../../protocol/errors.js';
import { globMatch } from '../../util/glob.js';
import { word } from '../args.js';
import { replyHelp } from '../connection/clients.js';
import { hasKeys, KEY_FLAG_NAMES, keysOf, legacyRange, type KeySpec } from '../key-specs.js';
import type { CommandFlag, CommandSpec, Session } from '../types.js';

interface Named {
  spec: CommandSpec;
  fullName: string;
}

/** No command name is longer: a longer argument is unknown without becoming a string. */
const NAME_MAX = 64;

/** 'get' or 'config|get' (any case) to its spec; undefined when unknown. */
function lookup(ctx: Session, arg: Buffer): Named | undefined {
  if (arg.length > 2 * NAME_MAX + 1) return undefined;
  const [top, sub, extra] = arg.toString('latin1').toLowerCase().split('|');
  const spec = ctx.server.commands.get(top!);
  if (!spec || extra !== undefined) return undefined;
  if (sub === undefined) return { spec, fullName: spec.name };
  const child = spec.subcommands?.find((s) => s.name === sub);
  return child && { spec: child, fullName: `${spec.name}|${child.name}` };
}

function topLevel(ctx: Session): Named[] {
  return [...ctx.server.commands.all()].map((spec) => ({ spec, fullName: spec.name }));
}

function children({ spec, fullName }: Named): Named[] {
  return (spec.subcommands ?? []).map((s) => ({ spec: s, fullName: `${fullName}|${s.name}` }));
}

/** Command flags in the order COMMAND INFO lists them (redis addReplyCommandFlags); may_replicate is hidden there. */
const FLAG_ORDER: readonly (CommandFlag | 'movablekeys')[] = [
  'write', 'readonly', 'denyoom', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale', 'skip_monitor',
  'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading', 'no_multi', 'movablekeys', 'allow_busy',
];

function replyFlagSet(ctx: Session, names: readonly string[]): void {
  ctx.reply.setLen(names.length);
  for (const n of names) ctx.reply.simple(n);
}

/** A key's flags as Redis names them ('RW', 'access'...); sealkv's own bits are left out. */
function keyFlagNames(flags: number): string[] {
  return KEY_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
}

/** One key spec as the map Redis 7.0 shows: notes, flags, begin_search, find_keys. */
function replyKeySpec(ctx: Session, ks: KeySpec): void {
  const r = ctx.reply;
  r.mapLen(ks.notes === undefined ? 3 : 4);
  if (ks.notes !== undefined) {
    r.bulkText('notes');
    r.bulkText(ks.notes);
  }
  r.bulkText('flags');
  replyFlagSet(ctx, keyFlagNames(ks.flags));
  r.bulkText('begin_search');
  r.mapLen(2);
  r.bulkText('type');
  r.bulkText(ks.begin.type);
  r.bulkText('spec');
  const b = ks.begin;
  if (b.type === 'index') {
    r.mapLen(1);
    r.bulkText('index');
    r.integer(b.index);
  } else if (b.type === 'keyword') {
    r.mapLen(2);
    r.bulkText('keyword');
    r.bulkText(b.keyword);
    r.bulkText('startfrom');
    r.integer(b.startFrom);
  } else {
    r.mapLen(0);
  }
  r.bulkText('find_keys');
  r.mapLen(2);
  r.bulkText('type');
  r.bulkText(ks.find.type);
  r.bulkText('spec');
  const f = ks.find;
  if (f.type === 'range') {
    r.mapLen(3);
    r.bulkText('lastkey');
    r.integer(f.lastKey);
    r.bulkText('keystep');
    r.integer(f.step);
    r.bulkText('limit');
    r.integer(f.limit);
  } else if (f.type === 'keynum') {
    r.mapLen(3);
    r.bulkText('keynumidx');
    r.integer(f.keynumIdx);
    r.bulkText('firstkey');
    r.integer(f.firstKey);
    r.bulkText('keystep');
    r.integer(f.step);
  } else {
    r.mapLen(0);
  }
}

/**
 * The 10-element Redis 7 COMMAND INFO entry: name, arity, flags, first/last/step (derived from
 * the key specs, as Redis does), categories, tips, key specs, subcommands.
 */
function replyInfo(ctx: Session, cmd: Named): void {
  const r = ctx.reply;
  const { spec } = cmd;
  const legacy = legacyRange(spec.keySpecs);
  r.arrayLen(10);
  r.bulkText(cmd.fullName);
  r.integer(spec.arity);
  replyFlagSet(ctx, FLAG_ORDER.filter((f) => (f === 'movablekeys' ? legacy.movable : spec.flags.includes(f))));
  r.integer(legacy.firstKey);
  r.integer(legacy.lastKey);
  r.integer(legacy.step);
  replyFlagSet(ctx, spec.categories);
  const tips = spec.tips ?? [];
  r.setLen(tips.length);
  for (const t of tips) r.bulkText(t);
  const keySpecs = spec.keySpecs ?? [];
  r.setLen(keySpecs.length);
  for (const ks of keySpecs) replyKeySpec(ctx, ks);
  const subs = children(cmd);
  if (subs.length === 0) return r.setLen(0);
  r.arrayLen(subs.length);
  for (const s of subs) replyInfo(ctx, s);
}

/** Plain COMMAND: every top-level command's info. */
function command(ctx: Session): void {
  const all = topLevel(ctx);
  ctx.reply.arrayLen(all.length);
  for (const cmd of all) replyInfo(ctx, cmd);
}

function commandCount(ctx: Session): void {
  ctx.reply.integer(ctx.server.commands.size);
}

/** COMMAND INFO [name...]: one entry per name asked, null for unknown names. */
function commandInfo(ctx: Session, args: Buffer[]): void {
  if (args.length === 2) return command(ctx);
  ctx.reply.arrayLen(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const cmd = lookup(ctx, args[i]!);
    if (cmd) replyInfo(ctx, cmd);
    else ctx.reply.nullBulk();
  }
}

function replyDocs(ctx: Session, cmd: Named): void {
  const r = ctx.reply;
  const { spec } = cmd;
  const subs = children(cmd);
  r.mapLen(3 + (spec.complexity ? 1 : 0) + (subs.length > 0 ? 1 : 0));
  r.bulkText('summary');
  r.bulkText(spec.summary);
  r.bulkText('since');
  r.bulkText(spec.since);
  r.bulkText('group');
  r.bulkText(spec.group);
  if (spec.complexity) {
    r.bulkText('complexity');
    r.bulkText(spec.complexity);
  }
  if (subs.length === 0) return;
  r.bulkText('subcommands');
  r.mapLen(subs.length);
  for (const s of subs) {
    r.bulkText(s.fullName);
    replyDocs(ctx, s);
  }
}

/** COMMAND DOCS [name...]: a map of name to docs; unknown names are left out (as Redis). */
function commandDocs(ctx: Session, args: Buffer[]): void {
  const cmds = args.length === 2 ? topLevel(ctx) : args.slice(2).flatMap((a) => lookup(ctx, a) ?? []);
  ctx.reply.mapLen(cmds.length);
  for (const cmd of cmds) {
    ctx.reply.bulkText(cmd.fullName);
    replyDocs(ctx, cmd);
  }
}

/** Every command and subcommand by full name, containers before their subcommands. */
function everyName(ctx: Session): Named[] {
  const out: Named[] = [];
  const walk = (cmd: Named) => {
    out.push(cmd);
    for (const s of children(cmd)) walk(s);
  };
  for (const cmd of topLevel(ctx)) walk(cmd);
  return out;
}

/** An option word, compared without turning a huge argument into a string. */
const isWord = (arg: Buffer, w: string): boolean => arg.length === w.length && word(arg) === w;

/** Longer patterns are not read (a string of that size could not be matched in bounded time anyway). */
const PATTERN_MAX = 64 * 1024;

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]. */
function commandList(ctx: Session, args: Buffer[]): void {
  let keep: (cmd: Named) => boolean = () => true;
  if (args.length === 5 && isWord(args[2]!, 'filterby')) {
    const kind = args[3]!;
    const value = args[4]!;
    // sealkv loads no modules; a category longer than any name matches nothing.
    if (isWord(kind, 'module')) keep = () => false;
    else if (isWord(kind, 'aclcat')) {
      const category = value.length <= NAME_MAX ? '@' + value.toString('latin1').toLowerCase() : '';
      keep = (c) => c.spec.categories.includes(category);
    } else if (isWord(kind, 'pattern')) {
      const pattern = value.length <= PATTERN_MAX ? value.toString('latin1') : null;
      keep = (c) => pattern !== null && globMatch(pattern, c.fullName, true);
    } else return ctx.reply.error(Errors.syntax);
  } else if (args.length !== 2) {
    return ctx.reply.error(Errors.syntax);
  }
  const names = everyName(ctx).filter(keep);
  ctx.reply.arrayLen(names.length);
  for (const cmd of names) ctx.reply.bulkText(cmd.fullName);
}

/**
 * The command a GETKEYS request names, found the way the dispatcher finds it (redis
 * lookupCommand): a container takes its subcommand from the next argument.
 */
function getkeysTarget(ctx: Session, argv: Buffer[]): CommandSpec | undefined {
  if (argv[0]!.length > NAME_MAX) return undefined;
  const top = ctx.server.commands.get(argv[0]!.toString('latin1'));
  if (!top || !top.subcommands || argv.length === 1) return top;
  if (argv[1]!.length > NAME_MAX) return undefined;
  const sub = argv[1]!.toString('latin1').toLowerCase();
  return top.subcommands.find((s) => s.name === sub);
}

/** COMMAND GETKEYS / GETKEYSANDFLAGS cmd arg...: the key arguments, found by keysOf. */
function getkeys(ctx: Session, args: Buffer[], withFlags: boolean): void {
  const argv = args.slice(2);
  const spec = getkeysTarget(ctx, argv);
  if (!spec) return ctx.reply.error(Errors.invalidCommandSpecified);
  if (!hasKeys(spec)) return ctx.reply.error(Errors.noKeyArguments);
  const { arity } = spec;
  if ((arity > 0 && arity !== argv.length) || argv.length < -arity) return ctx.reply.error(Errors.invalidCommandArgs);
  const keys = keysOf(spec, argv);
  if (keys.length === 0) {
    if (spec.flags.includes('no_mandatory_keys')) return ctx.reply.arrayLen(0);
    return ctx.reply.error(Errors.invalidCommandArguments);
  }
  ctx.reply.arrayLen(keys.length);
  for (const k of keys) {
    if (withFlags) ctx.reply.arrayLen(2);
    ctx.reply.bulk(argv[k.pos]!);
    if (withFlags) replyFlagSet(ctx, keyFlagNames(k.flags));
  }
}

const HELP = [
  'COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
  'HELP',
  '    Prints this help.',
];

const CATS = ['@slow', '@connection'] as const;
const base = { arity: 2, flags: ['loading', 'stale'], categories: CATS, group: 'server' } as const;
const ORDERLESS = ['nondeterministic_output_order'];

export const introspectionCommands: CommandSpec[] = [
  {
    ...base, name: 'command', arity: -1, tips: ORDERLESS, summary: 'Get array of Redis command details', since: '2.8.13',
    complexity: 'O(N) where N is the total number of Redis commands', handler: command,
    subcommands: [
      { ...base, name: 'count', summary: 'Get total number of Redis commands', since: '2.8.13', complexity: 'O(1)', handler: commandCount },
      { ...base, name: 'info', arity: -2, tips: ORDERLESS, summary: 'Get array of specific Redis command details, or all when no argument is given.', since: '2.8.13', complexity: 'O(N) where N is the number of commands to look up', handler: commandInfo },
      { ...base, name: 'docs', arity: -2, tips: ORDERLESS, summary: 'Get array of specific Redis command documentation', since: '7.0.0', complexity: 'O(N) where N is the number of commands to look up', handler: commandDocs },
      { ...base, name: 'list', arity: -2, tips: ORDERLESS, summary: 'Get an array of Redis command names', since: '7.0.0', complexity: 'O(N) where N is the total number of Redis commands', handler: commandList },
      { ...base, name: 'getkeys', arity: -4, summary: 'Extract keys given a full Redis command', since: '2.8.13', complexity: 'O(N) where N is the number of arguments to the command', handler: (ctx, args) => getkeys(ctx, args, false) },
      { ...base, name: 'getkeysandflags', arity: -4, summary: 'Extract keys and access flags given a full Redis command', since: '7.0.0', complexity: 'O(N) where N is the number of arguments to the command', handler: (ctx, args) => getkeys(ctx, args, true) },
      { ...base, name: 'help', summary: 'Show helpful text about the different subcommands', since: '5.0.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP) },
    ],
  },
];
