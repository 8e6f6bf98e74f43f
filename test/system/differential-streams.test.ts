// Differential run of stream commands against redis-server 7: random sequences of XADD (explicit,
// partial and ms-* ids, MAXLEN/MINID/LIMIT/NOMKSTREAM), ranges, deletes, trims, XSETID, XREAD,
// consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO and MULTI, sent
// to both servers over raw sockets in RESP2 and RESP3; every reply must be the same bytes, except
// what depends on the clock or on Redis's radix tree (idle times, delivery times, tree sizes),
// which is blanked on both sides first. Ids are always explicit: auto ids depend on the clock.
//
// Bounded (DIFF_STREAM_COUNT sequences, 150; DIFF_STREAM_SEED, fixed). Skipped with a message
// where redis-server is not installed.

import { describeDifferential, int, parseReply, pick, renderReply, type ReplyNode, type Rnd, fromEnv } from '../helpers/differential.js';

const COUNT = fromEnv(['DIFF_STREAM_COUNT', 'DIFF_COUNT'], 150, 'count');
const SEED = fromEnv(['DIFF_STREAM_SEED', 'DIFF_SEED'], 20261206, 'seed');


const KEYS = ['s1', 's1', 's1', 's2', 'str', 'nokey'];
const GROUPS = ['g1', 'g1', 'g2', 'nogroup'];
const CONSUMERS = ['c1', 'c2', 'c3'];

function id(rnd: Rnd): string {
  const ms = int(rnd, 0, 8);
  const r = rnd();
  if (r < 0.15) return String(ms);
  if (r < 0.2) return pick(rnd, ['-', '+', 'bad', '18446744073709551615-18446744073709551615', '0-0']);
  return `${ms}-${int(rnd, 0, 3)}`;
}

function bound(rnd: Rnd, start: boolean): string {
  const r = rnd();
  if (r < 0.2) return start ? '-' : '+';
  if (r < 0.35) return `(${id(rnd)}`;
  return id(rnd);
}

function fields(rnd: Rnd): string[] {
  const out: string[] = [];
  for (let i = int(rnd, 1, 3); i > 0; i--) out.push(pick(rnd, ['f', 'g', 'name', '']), pick(rnd, ['v', '1', 'hello world', '', 'x'.repeat(int(rnd, 0, 80))]));
  return out;
}

function trimOpts(rnd: Rnd): string[] {
  const r = rnd();
  if (r < 0.5) return [];
  const strategy = rnd() < 0.6 ? ['MAXLEN', ...(rnd() < 0.3 ? [pick(rnd, ['=', '~'])] : []), String(int(rnd, 0, 6))] : ['MINID', ...(rnd() < 0.3 ? [pick(rnd, ['=', '~'])] : []), id(rnd)];
  if (rnd() < 0.15) strategy.push('LIMIT', String(int(rnd, 0, 3)));
  return strategy;
}

function streamCommand(rnd: Rnd): string[] {
  const key = pick(rnd, KEYS);
  const group = pick(rnd, GROUPS);
  const consumer = pick(rnd, CONSUMERS);
  switch (int(rnd, 0, 24)) {
    case 0: case 1: case 2: case 3: {
      const idArg = rnd() < 0.2 ? `${int(rnd, 0, 8)}-*` : id(rnd);
      return ['XADD', key, ...(rnd() < 0.1 ? ['NOMKSTREAM'] : []), ...trimOpts(rnd), idArg, ...fields(rnd)];
    }
    case 4: return ['XLEN', key];
    case 5: case 6: return ['XRANGE', key, bound(rnd, true), bound(rnd, false), ...(rnd() < 0.4 ? ['COUNT', String(int(rnd, -1, 3))] : [])];
    case 7: return ['XREVRANGE', key, bound(rnd, false), bound(rnd, true), ...(rnd() < 0.4 ? ['COUNT', String(int(rnd, 0, 3))] : [])];
    case 8: return ['XDEL', key, id(rnd), ...(rnd() < 0.3 ? [id(rnd)] : [])];
    case 9: {
      const opts = trimOpts(rnd);
      return ['XTRIM', key, ...(opts.length > 0 ? opts : ['MAXLEN', String(int(rnd, 0, 4))])];
    }
    case 10: return ['XSETID', key, id(rnd), ...(rnd() < 0.3 ? ['ENTRIESADDED', String(int(rnd, -1, 12))] : []), ...(rnd() < 0.2 ? ['MAXDELETEDID', id(rnd)] : [])];
    case 11: {
      const other = pick(rnd, KEYS);
      return ['XREAD', ...(rnd() < 0.4 ? ['COUNT', String(int(rnd, 0, 3))] : []), 'STREAMS', key, other, rnd() < 0.3 ? '$' : id(rnd), id(rnd)];
    }
    case 12: return ['XGROUP', 'CREATE', key, group, rnd() < 0.3 ? '$' : id(rnd), ...(rnd() < 0.4 ? ['MKSTREAM'] : []), ...(rnd() < 0.2 ? ['ENTRIESREAD', String(int(rnd, -1, 5))] : [])];
    case 13: return ['XGROUP', 'SETID', key, group, rnd() < 0.3 ? '$' : id(rnd), ...(rnd() < 0.3 ? ['ENTRIESREAD', String(int(rnd, -1, 5))] : [])];
    case 14: return ['XGROUP', pick(rnd, ['DESTROY', 'CREATECONSUMER', 'DELCONSUMER']), key, group, ...(rnd() < 0.9 ? [consumer] : [])].slice(0, rnd() < 0.3 ? 4 : 5);
    case 15: case 16: case 17:
      return ['XREADGROUP', 'GROUP', group, consumer, ...(rnd() < 0.4 ? ['COUNT', String(int(rnd, 0, 3))] : []), ...(rnd() < 0.15 ? ['NOACK'] : []), 'STREAMS', key, rnd() < 0.7 ? '>' : id(rnd)];
    case 18: return ['XACK', key, group, id(rnd), ...(rnd() < 0.4 ? [id(rnd)] : [])];
    case 19: return rnd() < 0.5 ? ['XPENDING', key, group] : ['XPENDING', key, group, ...(rnd() < 0.2 ? ['IDLE', '0'] : []), bound(rnd, true), bound(rnd, false), String(int(rnd, -1, 4)), ...(rnd() < 0.4 ? [consumer] : [])];
    case 20: return ['XCLAIM', key, group, consumer, pick(rnd, ['0', '0', '-5', 'x']), id(rnd), ...(rnd() < 0.4 ? [id(rnd)] : []), ...(rnd() < 0.8 ? ['JUSTID'] : []), ...(rnd() < 0.2 ? ['FORCE'] : []),
      ...(rnd() < 0.2 ? ['RETRYCOUNT', pick(rnd, [String(int(rnd, 0, 5)), '-1', 'x'])] : []), ...(rnd() < 0.15 ? ['IDLE', pick(rnd, ['0', '-1', 'x'])] : []),
      ...(rnd() < 0.1 ? ['TIME', pick(rnd, ['0', 'x'])] : []), ...(rnd() < 0.15 ? ['LASTID', id(rnd)] : []), ...(rnd() < 0.05 ? ['BOGUS'] : [])];
    case 21: return ['XAUTOCLAIM', key, group, consumer, pick(rnd, ['0', '0', '-1']), bound(rnd, true), ...(rnd() < 0.5 ? ['COUNT', pick(rnd, [String(int(rnd, 1, 3)), '0', '-1', '1000000000'])] : []), ...(rnd() < 0.5 ? ['JUSTID'] : [])];
    case 22: return pick(rnd, [['XINFO', 'STREAM', key], ['XINFO', 'GROUPS', key], ['XINFO', 'STREAM', key, 'FULL', 'COUNT', '2']]);
    case 23: return pick(rnd, [['SET', 'str', 'v'], ['DEL', key], ['EXISTS', key], ['TYPE', key], ['MULTI'], ['EXEC'], ['RENAME', 's1', 's2'], ['COPY', 's1', 's2']]);
    default: return ['XADD', key, `${int(rnd, 0, 8)}-${int(rnd, 0, 3)}`, ...fields(rnd)];
  }
}

/** Values that follow these names depend on the clock or on Redis's radix tree. */
const BLANKED = new Set(['$radix-tree-keys', '$radix-tree-nodes', '$seen-time', '$idle']);

/** Blanks clock- and tree-dependent parts: XINFO fields, XPENDING idle times, PEL delivery times. */
function blank(name: string, node: ReplyNode): ReplyNode {
  if (!node.items) return node;
  const items = node.items.map((item, i) => (i > 0 && BLANKED.has(node.items![i - 1]!.head) ? { head: ':*' } : blank(name, item)));
  // XPENDING extended rows [id, consumer, idle, count]; XINFO FULL PEL rows [id, (consumer,) time, count].
  if (name === 'xpending' && items.length === 4 && items[0]!.head.startsWith('$') && items[2]!.head.startsWith(':')) items[2] = { head: ':*' };
  if (name === 'xinfo' && (items.length === 4 || items.length === 3) && /^\$\d+-\d+$/.test(items[0]!.head) && items[items.length - 2]!.head.startsWith(':')) {
    items[items.length - 2] = { head: ':*' };
  }
  return { head: node.head, items };
}

function agree(args: string[], ours: string, theirs: string, queued: readonly string[]): boolean {
  const name = args[0]!.toLowerCase();
  const [a, b] = [parseReply(ours), parseReply(theirs)];
  if (name === 'exec' && a.items && b.items && a.items.length === b.items.length) {
    return a.items.every((item, i) => renderReply(blank(queued[i] ?? '', item)) === renderReply(blank(queued[i] ?? '', b.items![i]!)));
  }
  return renderReply(blank(name, a)) === renderReply(blank(name, b));
}

describeDifferential('differential stream commands against redis-server 7', [
  { what: 'stream sequences', count: COUNT, seed: SEED, length: 16, command: streamCommand, agree },
]);
