// Which commands a selector allows, kept as Redis 7.0 keeps them: one bit per command and
// subcommand, a bit for "commands added later" that only +@all sets, and first-argument
// exceptions (+select|0). Rules change the bits (ACLSetSelector); the rules shown by ACL LIST and
// GETUSER are worked out again from the bits (ACLDescribeSelectorCommandRules), so
// `+memory|doctor +memory` reads back as `+memory`.

import { CATEGORIES, type AclCommand, type CommandCatalogue } from './catalogue.js';

/** Why a command rule was refused; the reason words are Redis's (ACLSetUserStringError). */
export const enum RuleFault { Unknown, Syntax, FirstArgOfSubcommand }

export class CommandBits {
  private bits: Uint8Array;
  /** Set by +@all and cleared by -@all only: the description then starts from +@all. */
  private future = false;
  /** Every command allowed without looking at bits: +@all until a command is taken away. */
  private allFlag = false;
  /** Allowed first arguments of otherwise refused commands, by command id, as given. */
  private firstArgs: Map<number, string[]> | null = null;
  /** describe()'s answer until the next change (Redis keeps a user's ACL string the same way). */
  private described: string | null = null;

  constructor(private readonly catalogue: CommandCatalogue) {
    this.bits = new Uint8Array(catalogue.size);
  }

  copy(): CommandBits {
    const c = new CommandBits(this.catalogue);
    c.bits.set(this.bits);
    c.future = this.future;
    c.allFlag = this.allFlag;
    if (this.firstArgs) c.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, [...args]]));
    c.described = this.described;
    return c;
  }

  /** Whether every command is allowed (the dispatcher's fast path). */
  get allowsAll(): boolean {
    return this.allFlag || this.bits.every((b) => b === 1);
  }

  /** Applies `+...` or `-...`; returns null or why it was refused. */
  apply(rule: string): RuleFault | null {
    this.described = null;
    const lower = rule.toLowerCase();
    if (lower === '+@all' || lower === 'allcommands') return this.setAll(true);
    if (lower === '-@all' || lower === 'nocommands') return this.setAll(false);
    const allow = rule[0] === '+';
    if (rule[1] === '@') {
      const bit = this.catalogue.categoryBit(rule.slice(2));
      if (bit === 0) return RuleFault.Unknown;
      this.setCategory(bit, allow);
      return null;
    }
    const name = rule.slice(1);
    const bar = name.lastIndexOf('|');
    if (!allow || bar < 0) {
      const cmd = this.catalogue.lookup(name);
      if (cmd === undefined) return RuleFault.Unknown;
      this.change(cmd, allow);
      return null;
    }
    const cmd = this.catalogue.lookup(name.slice(0, bar));
    const first = name.slice(bar + 1);
    if (cmd === undefined) return RuleFault.Unknown;
    if (cmd.parent !== null) return RuleFault.FirstArgOfSubcommand;
    if (first === '') return RuleFault.Syntax;
    if (cmd.subcommands !== null) {
      const sub = this.catalogue.lookup(name);
      if (sub === undefined) return RuleFault.Unknown;
      this.change(sub, true);
    } else {
      this.addFirstArg(cmd.id, first);
    }
    return null;
  }

  /** Whether the command may run with these arguments (ACLSelectorCheckCmd, the command part). */
  allows(cmd: AclCommand, args: readonly Buffer[]): boolean {
    if (this.allFlag || this.bits[cmd.id] === 1) return true;
    const firsts = this.firstArgs?.get(cmd.id);
    if (firsts === undefined || args.length < 2) return false;
    const given = args[cmd.parent ? 2 : 1]?.toString('latin1').toLowerCase();
    return firsts.some((f) => f.toLowerCase() === given);
  }

  private setAll(allow: boolean): null {
    this.bits.fill(allow ? 1 : 0);
    this.future = allow;
    this.allFlag = allow;
    this.firstArgs = null;
    return null;
  }

  /** ACLChangeSelectorPerm: a container's rule covers every subcommand. */
  private change(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    for (const sub of cmd.subcommands ?? []) this.setBit(sub.id, allow);
  }

  private setBit(id: number, allow: boolean): void {
    this.bits[id] = allow ? 1 : 0;
    if (!allow) this.allFlag = false;
  }

  private setCategory(bit: number, allow: boolean): void {
    for (const cmd of this.catalogue.members(bit)) this.change(cmd, allow);
  }

  private addFirstArg(id: number, first: string): void {
    this.firstArgs ??= new Map();
    const list = this.firstArgs.get(id) ?? [];
    if (!list.some((f) => f.toLowerCase() === first.toLowerCase())) list.push(first);
    this.firstArgs.set(id, list);
  }

  /** Commands of a category allowed (on) and refused (off), containers and subcommands each counted. */
  private count(bit: number): { on: number; off: number } {
    const members = this.catalogue.members(bit);
    let on = 0;
    for (const cmd of members) on += this.bits[cmd.id]!;
    return { on, off: members.length - on };
  }

  /**
   * The rules that rebuild these bits, as Redis 7.0 words them: +@all or -@all, then the
   * categories that fit best (chosen greedily in CATEGORIES order), then single commands and
   * first arguments in table order (Redis's own order there is its hash table's, which changes
   * from one start to the next).
   */
  describe(): string {
    return (this.described ??= this.work());
  }

  private work(): string {
    const additive = !this.future;
    const rules = [additive ? '-@all' : '+@all'];
    const fake = new CommandBits(this.catalogue);
    fake.setAll(!additive);
    const temp = new CommandBits(this.catalogue);
    temp.bits.set(this.bits);
    const applied = new Set<number>();
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < CATEGORIES.length; j++) {
        if (applied.has(j)) continue;
        const { on, off } = temp.count(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best < 0) break;
      fake.setCategory(1 << best, additive);
      temp.setCategory(1 << best, !additive);
      rules.push(`${additive ? '+' : '-'}@${CATEGORIES[best]}`);
      applied.add(best);
    }
    const single = (cmd: AclCommand) => {
      const mine = this.bits[cmd.id] === 1;
      if (mine !== (fake.bits[cmd.id] === 1)) {
        rules.push((mine ? '+' : '-') + cmd.fullName);
        fake.change(cmd, mine);
      }
      for (const sub of cmd.subcommands ?? []) single(sub);
      if (!mine) for (const first of this.firstArgs?.get(cmd.id) ?? []) rules.push(`+${cmd.fullName}|${first}`);
    };
    for (const cmd of this.catalogue.commands) single(cmd);
    return rules.join(' ');
  }
}
