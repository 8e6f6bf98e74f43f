// ACL and its subcommands: SETUSER GETUSER DELUSER DRYRUN LIST USERS WHOAMI CAT GENPASS LOG LOAD SAVE HELP.

import { randomBytes } from 'node:crypto';
import { CATEGORIES } from '../../acl/catalogue.js';
import { checkPermissions } from '../../acl/permissions.js';
import { holdsSecret, safeRule } from '../../acl/secret.js';
import { HAS_SPACE, type AclSelector } from '../../acl/selector.js';
import { mergeSelectorArgs, type AclUser } from '../../acl/user.js';
import { Errors } from '../../protocol/errors.js';
import { plainBuffer } from '../../util/bytes.js';
import { integer, name, text, word } from '../args.js';
import { replyHelp } from '../connection/clients.js';
import type { CommandSpec, Session } from '../types.js';
import { dropRevokedSubscribers } from '../connection/pubsub.js';

/** Disconnects clients whose user was removed or replaced (DELUSER, LOAD), as Redis does. */
function dropOrphans(ctx: Session): void {
  for (const c of [...ctx.server.clients.values()]) {
    if (ctx.server.acl.get(c.aclUser.name) === c.aclUser) continue;
    if (c.id === ctx.id) ctx.closeAfterReply();
    else c.kill();
  }
}

/**
 * ACL SETUSER name rule...: selectors spread over several arguments are merged first (as
 * Redis); password rules are hashed from the argument bytes (secret.ts safeRule), and an error
 * that quotes one is written from those bytes.
 */
function setuser(ctx: Session, args: Buffer[]): void {
  if (HAS_SPACE.test(args[2]!.toString('latin1'))) return ctx.reply.error(Errors.aclUsernameSpaces);
  const rules = args.slice(3);
  const m = mergeSelectorArgs(rules);
  if ('unmatched' in m) return replyQuoting(ctx, Errors.aclUnmatchedParenthesis, [rules[m.unmatched]!]);
  const merged = m.merged.map(({ start, end }) => rules.slice(start, end));
  const existing = ctx.server.acl.get(name(args[2]!));
  // `*` stands for every channel in what dropRevokedSubscribers compares.
  const channelsBefore = existing === undefined ? undefined : existing.allChannels ? ['*'] : existing.channelPatterns().slice();
  const failed = ctx.server.acl.setUser(name(args[2]!), merged.map((parts) => parts.map(safeRule).join(' ')), true);
  if (failed === null) {
    if (existing !== undefined) dropRevokedSubscribers(ctx, existing, channelsBefore!);
    return ctx.reply.ok();
  }
  if ('unmatched' in failed) throw new Error('rules merged already cannot leave a selector open');
  replyQuoting(ctx, (rule) => Errors.aclSetuser(rule, failed.reason), merged[failed.index]!);
}

/** An error quoting rules given as arguments (joined by spaces): from their bytes when one holds a secret. */
function replyQuoting(ctx: Session, template: (rule: string) => string, parts: Buffer[]): void {
  if (!parts.some(holdsSecret)) return ctx.reply.error(template(parts.map(name).join(' ')));
  const joined = plainBuffer(parts.reduce((n, p) => n + p.length, 0) + parts.length - 1);
  let at = 0;
  for (const [i, p] of parts.entries()) {
    if (i > 0) joined[at++] = 0x20;
    at += p.copy(joined, at);
  }
  replyWithSecret(ctx, template(SLOT), joined);
  joined.fill(0);
}

/** Where replyWithSecret puts the secret's bytes in an error text. */
const SLOT = '\u0000';

/**
 * An error reply that quotes a password rule, as Redis's does ('<pw': no such password),
 * written from the argument's bytes so the password never becomes a string. Clipped and
 * scrubbed like every error text (protocol/errors.ts, reply.ts).
 */
function replyWithSecret(ctx: Session, template: string, secret: Buffer): void {
  const [before, after] = template.split(SLOT) as [string, string];
  const shown = secret.subarray(0, Math.min(secret.length, 128));
  const out = plainBuffer(1 + before.length + shown.length + after.length + 2);
  let at = out.write('-' + before, 0, 'latin1');
  shown.copy(out, at);
  for (let i = at; i < at + shown.length; i++) if (out[i] === 0x0d || out[i] === 0x0a) out[i] = 0x20;
  at += shown.length;
  out.write(after + '\r\n', at, 'latin1');
  ctx.server.stats.countError(before);
  ctx.reply.raw(out);
  out.fill(0);
}

/** ACL GETUSER: the root selector's rules at the top, as before selectors, then each selector as a map. */
function getuser(ctx: Session, args: Buffer[]): void {
  const u = ctx.server.acl.get(name(args[2]!));
  if (!u) return ctx.reply.nullBulk();
  const r = ctx.reply;
  r.mapLen(6);
  r.bulkText('flags');
  const flags = u.flags();
  r.setLen(flags.length);
  for (const f of flags) r.bulkText(f);
  r.bulkText('passwords');
  r.arrayLen(u.passwords.size);
  for (const p of u.passwords) r.bulkText(p);
  replySelector(ctx, u.root);
  r.bulkText('selectors');
  r.arrayLen(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    r.mapLen(3);
    replySelector(ctx, s);
  }
}

function replySelector(ctx: Session, s: AclSelector): void {
  const r = ctx.reply;
  r.bulkText('commands');
  r.bulkLatin1(s.describeCommands());
  r.bulkText('keys');
  r.bulkLatin1(s.describeKeys());
  r.bulkText('channels');
  r.bulkLatin1(s.describeChannels());
}

function deluser(ctx: Session, args: Buffer[]): void {
  const names = args.slice(2).map(name);
  if (names.includes('default')) return ctx.reply.error(Errors.aclDeleteDefault);
  const removed = ctx.server.acl.delete(names);
  ctx.reply.integer(removed.length);
  dropOrphans(ctx);
}

function list(ctx: Session): void {
  const acl = ctx.server.acl;
  const names = acl.names();
  ctx.reply.arrayLen(names.length);
  for (const n of names) ctx.reply.bulkLatin1(acl.get(n)!.describe());
}

function users(ctx: Session): void {
  const names = ctx.server.acl.names();
  ctx.reply.arrayLen(names.length);
  for (const n of names) ctx.reply.bulkLatin1(n);
}

function whoami(ctx: Session): void {
  ctx.reply.bulkLatin1(ctx.user);
}

function cat(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'acl'));
  if (args.length === 2) {
    ctx.reply.arrayLen(CATEGORIES.length);
    for (const c of CATEGORIES) ctx.reply.bulkText(c);
    return;
  }
  const commands = ctx.server.acl.catalogue.inCategory(word(args[2]!));
  if (!commands) return ctx.reply.error(Errors.aclUnknownCategory(args[2]!));
  ctx.reply.arrayLen(commands.length);
  for (const c of commands) ctx.reply.bulkText(c);
}

/** ACL GENPASS [bits]: random hex, bits rounded up to whole hex digits (default 256). */
function genpass(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'acl'));
  let bits = 256;
  if (args.length === 3) {
    // Redis reads a number first (its usual error), then checks the range.
    const n = integer(args[2]!);
    if (n === null) return ctx.reply.error(Errors.notInteger);
    if (n <= 0 || n > 4096) return ctx.reply.error(Errors.aclGenpassBits);
    bits = n;
  }
  const chars = Math.ceil(bits / 4);
  ctx.reply.bulkText(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

/**
 * ACL DRYRUN user command [arg...]: whether the user could run it, checked as the dispatcher
 * would (redis aclCommand "dryrun"). A refusal is a bulk reply, not an error. Arguments stay
 * bytes: only the command name and a refused key's name are shown (no key name with seal-keys).
 */
function dryrun(ctx: Session, args: Buffer[]): void {
  const user = ctx.server.acl.get(name(args[2]!));
  if (!user) return ctx.reply.error(Errors.aclUserNotFound(args[2]!));
  const argv = args.slice(3);
  const top = ctx.server.commands.get(word(argv[0]!));
  let spec = top;
  let fullName = top?.name ?? '';
  if (top?.subcommands && argv.length >= 2) {
    spec = top.subcommands.find((s) => s.name === word(argv[1]!));
    fullName = `${top.name}|${spec?.name ?? ''}`;
  }
  if (!spec) return ctx.reply.error(Errors.aclCommandNotFound(argv[0]!));
  if ((spec.arity > 0 && spec.arity !== argv.length) || argv.length < -spec.arity) return ctx.reply.error(Errors.wrongArity(fullName));
  if (user.unrestricted || spec.flags.includes('no_auth')) return ctx.reply.ok();
  const denied = checkPermissions(user, spec, fullName, argv, ctx.server.names.sealed);
  if (denied === null) return ctx.reply.ok();
  ctx.reply.bulkLatin1(
    denied.reason === 'key'
      ? `This user has no permissions to access the '${denied.object}' key`
      : denied.reason === 'channel'
        ? `This user has no permissions to access the '${denied.object}' channel`
        : `This user has no permissions to run the '${fullName}' command`,
  );
}

/** ACL LOG [count | RESET]. */
function log(ctx: Session, args: Buffer[]): void {
  if (args.length > 3) return ctx.reply.error(Errors.subcommandSyntax(text(args[1]!), 'acl'));
  const entries = ctx.server.acl.log;
  let count = 10;
  if (args.length === 3) {
    if (word(args[2]!) === 'reset') {
      entries.length = 0;
      return ctx.reply.ok();
    }
    const n = integer(args[2]!);
    if (n === null) return ctx.reply.error(Errors.notInteger);
    count = Math.max(0, n); // Redis shows no entries for a negative count

  }
  const shown = entries.slice(0, count);
  const r = ctx.reply;
  r.arrayLen(shown.length);
  for (const e of shown) {
    r.mapLen(7);
    r.bulkText('count');
    r.integer(e.count);
    r.bulkText('reason');
    r.bulkText(e.reason);
    r.bulkText('context');
    r.bulkText(e.context);
    r.bulkText('object');
    r.bulkLatin1(e.object);
    r.bulkText('username');
    r.bulkLatin1(e.username);
    r.bulkText('age-seconds');
    r.double((ctx.now - e.createdAt) / 1000);
    r.bulkText('client-info');
    r.bulkLatin1(e.clientInfo);
  }
}

function load(ctx: Session): void {
  const err = ctx.server.acl.load();
  if (err) return ctx.reply.error(err);
  ctx.reply.ok();
  dropOrphans(ctx);
}

function save(ctx: Session): void {
  const err = ctx.server.acl.save();
  if (err) return ctx.reply.error(err);
  ctx.reply.ok();
}

/** The user a session runs as: exported so AUTH/HELLO switch users the same way. */
export function becomeUser(ctx: Session, user: AclUser): void {
  ctx.aclUser = user;
  ctx.authenticated = true;
}

const HELP = [
  'ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
  'HELP',
  '    Prints this help.',
];

const ADMIN = ['@admin', '@slow', '@dangerous'] as const;
const admin = ['admin', 'noscript', 'loading', 'stale'] as const;
const plain = ['noscript', 'loading', 'stale'] as const;
const sub = { since: '6.0.0', group: 'server' } as const;

export const aclCommands: CommandSpec[] = [
  {
    name: 'acl', arity: -2, flags: [], categories: ['@slow'],
    // Redis's summary ends in a space; kept so COMMAND DOCS matches byte for byte.
    summary: 'A container for Access List Control commands ', since: '6.0.0', group: 'server', complexity: 'Depends on subcommand.',
    subcommands: [
      { ...sub, name: 'setuser', arity: -3, flags: admin, categories: ADMIN, summary: 'Modify or create the rules for a specific ACL user', complexity: 'O(N). Where N is the number of rules provided.', handler: setuser },
      { ...sub, name: 'getuser', arity: 3, flags: admin, categories: ADMIN, summary: 'Get the rules for a specific ACL user', complexity: 'O(N). Where N is the number of password, command and pattern rules that the user has.', handler: getuser },
      { ...sub, name: 'deluser', arity: -3, flags: admin, categories: ADMIN, summary: 'Remove the specified ACL users and the associated rules', complexity: 'O(1) amortized time considering the typical user.', handler: deluser },
      { ...sub, name: 'dryrun', arity: -4, flags: admin, categories: ADMIN, since: '7.0.0', summary: 'Returns whether the user can execute the given command without executing the command.', complexity: 'O(1).', handler: dryrun },
      { ...sub, name: 'list', arity: 2, flags: admin, categories: ADMIN, summary: 'List the current ACL rules in ACL config file format', complexity: 'O(N). Where N is the number of configured users.', handler: list },
      { ...sub, name: 'users', arity: 2, flags: admin, categories: ADMIN, summary: 'List the username of all the configured ACL rules', complexity: 'O(N). Where N is the number of configured users.', handler: users },
      { ...sub, name: 'whoami', arity: 2, flags: plain, categories: ['@slow'], summary: 'Return the name of the user associated to the current connection', complexity: 'O(1)', handler: whoami },
      { ...sub, name: 'cat', arity: -2, flags: plain, categories: ['@slow'], summary: 'List the ACL categories or the commands inside a category', complexity: 'O(1) since the categories and commands are a fixed set.', handler: cat },
      { ...sub, name: 'genpass', arity: -2, flags: plain, categories: ['@slow'], summary: 'Generate a pseudorandom secure password to use for ACL users', complexity: 'O(1)', handler: genpass },
      { ...sub, name: 'log', arity: -2, flags: admin, categories: ADMIN, summary: 'List latest events denied because of ACLs in place', complexity: 'O(N) with N being the number of entries shown.', handler: log },
      { ...sub, name: 'load', arity: 2, flags: admin, categories: ADMIN, summary: 'Reload the ACLs from the configured ACL file', complexity: 'O(N). Where N is the number of configured users.', handler: load },
      { ...sub, name: 'save', arity: 2, flags: admin, categories: ADMIN, summary: 'Save the current ACL rules in the configured ACL file', complexity: 'O(N). Where N is the number of configured users.', handler: save },
      { ...sub, name: 'help', arity: 2, flags: ['loading', 'stale'], categories: ['@slow'], summary: 'Show helpful text about the different subcommands', since: '6.0.0', complexity: 'O(1)', handler: (ctx) => replyHelp(ctx, HELP) },
    ],
  },
];
