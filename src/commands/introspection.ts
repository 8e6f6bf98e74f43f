// COMMAND and its subcommands, answered from the command tables themselves (ARCHITECTURE
// convention 1): what the dispatcher runs is exactly what COMMAND describes.

import { Errors } from '../protocol/errors.js';
import { globMatch } from '../util/glob.js';
import { word } from './args.js';
import { replyHelp } from './clients.js';
import type { CommandSpec, Session } from './types.js';
import { nameString } from '../util/names.js';

interface Named {
  spec: CommandSpec;
  fullName: string;
}

/** 'get' or 'config|get' (any case) to its spec; undefined when unknown. */
function lookup(ctx: Session, raw: string): Named | undefined {
  const [top, sub, extra] = raw.toLowerCase().split('|');
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

/** The 10-element Redis 7 COMMAND INFO entry. sealkv keeps no tips or key specs: both empty. */
function replyInfo(ctx: Session, cmd: Named): void {
  const r = ctx.reply;
  const { spec } = cmd;
  r.arrayLen(10);
  r.bulkText(cmd.fullName);
  r.integer(spec.arity);
  r.setLen(spec.flags.length);
  for (const f of spec.flags) r.simple(f);
  r.integer(spec.firstKey);
  r.integer(spec.lastKey);
  r.integer(spec.step);
  r.setLen(spec.categories.length);
  for (const c of spec.categories) r.simple(c);
  r.setLen(0);
  r.setLen(0);
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
  for (const arg of args.slice(2)) {
    const cmd = lookup(ctx, nameString(arg));
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
  const cmds =
    args.length === 2
      ? topLevel(ctx)
      : args.slice(2).flatMap((a) => lookup(ctx, nameString(a)) ?? []);
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

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]. */
function commandList(ctx: Session, args: Buffer[]): void {
  let keep: (cmd: Named) => boolean = () => true;
  if (args.length === 5 && word(args[2]!) === 'filterby') {
    const value = nameString(args[4]!);
    const kind = word(args[3]!);
    if (kind === 'module') keep = () => false;
    else if (kind === 'aclcat') keep = (c) => c.spec.categories.includes('@' + value.toLowerCase());
    else if (kind === 'pattern') keep = (c) => globMatch(value, c.fullName, true);
    else return ctx.reply.error(Errors.syntax);
  } else if (args.length !== 2) {
    return ctx.reply.error(Errors.syntax);
  }
  const names = everyName(ctx).filter(keep);
  ctx.reply.arrayLen(names.length);
  for (const cmd of names) ctx.reply.bulkText(cmd.fullName);
}

/** The command a GETKEYS request names, resolved the way the dispatcher would. */
function getkeysTarget(ctx: Session, argv: Buffer[]): Named | undefined {
  const top = ctx.server.commands.get(nameString(argv[0]!));
  if (!top) return undefined;
  if (!top.subcommands || argv.length < 2) return { spec: top, fullName: top.name };
  return lookup(ctx, `${top.name}|${nameString(argv[1]!)}`);
}

/** COMMAND GETKEYS cmd arg...: the key arguments, from the command's key positions. */
function commandGetkeys(ctx: Session, args: Buffer[]): void {
  const argv = args.slice(2);
  const cmd = getkeysTarget(ctx, argv);
  if (!cmd) return ctx.reply.error(Errors.invalidCommandSpecified);
  const { arity, firstKey, step } = cmd.spec;
  if ((arity > 0 && arity !== argv.length) || argv.length < -arity) return ctx.reply.error(Errors.invalidCommandArgs);
  if (firstKey === 0) return ctx.reply.error(Errors.noKeyArguments);
  const last = cmd.spec.lastKey < 0 ? argv.length + cmd.spec.lastKey : Math.min(cmd.spec.lastKey, argv.length - 1);
  const keys: Buffer[] = [];
  for (let i = firstKey; i <= last; i += step) keys.push(argv[i]!);
  if (keys.length === 0) return ctx.reply.error(Errors.noKeyArguments);
  ctx.reply.arrayLen(keys.length);
  for (const k of keys) ctx.reply.bulk(k);
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
  'HELP',
  '    Prints this help.',
];

const CATS = ['@slow', '@connection'] as const;
const base = { arity: 2, flags: ['loading', 'stale'], firstKey: 0, lastKey: 0, step: 0, categories: CATS, group: 'server' } as const;

export const introspectionCommands: CommandSpec[] = [
  {
    ...base, name: 'command', arity: -1, summary: 'Get array of Redis command details', since: '2.8.13',
    complexity: 'O(N) where N is the total number of Redis commands', handler: command,
    subcommands: [
      { ...base, name: 'count', summary: 'Get total number of Redis commands', since: '2.8.13', complexity: 'O(1)', handler: commandCount },
      { ...base, name: 'info', arity: -2, summary: 'Get array of specific Redis command details, or all when no argument is given.', since: '2.8.13', complexity: 'O(N) where N is the number of commands to look up', handler: commandInfo },
      { ...base, name: 'docs', arity: -2, summary: 'Get array of specific Redis command documentation', since: '7.0.0', complexity: 'O(N) where N is the number of commands to look up', handler: commandDocs },
      { ...base, name: 'list', arity: -2, summary: 'Get an array of Redis command names', since: '7.0.0', complexity: 'O(N) where N is the total number of Redis commands', handler: commandList },
      { ...base, name: 'getkeys', arity: -4, summary: 'Extract keys given a full Redis command', since: '2.8.13', complexity: 'O(N) where N is the number of arguments to the command', handler: commandGetkeys },
      { ...base, name: 'help', summary: 'Show helpful text about the different subcommands', since: '5.0.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP) },
    ],
  },
];
