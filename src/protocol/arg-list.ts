// A command's arguments as the dispatcher and some handlers read them. An ordinary command's
// are an array of Buffers. One with very many (DEL, RPUSH, MSET with millions: LongArgs) can be
// handed over whole as a vector over one arena, whose Buffer views are made when read and
// dropped right after: a view costs ~100 bytes of V8 heap, so 2 M of them held at once cost
// more memory than Redis needs for the whole request and most of the CPU (the collector
// promoting them). `at()` reads both kinds alike (Array.prototype.at for arrays).
//
// Only handlers that read their arguments through at() and never keep the list are given a
// vector: they say so by being wrapped in takesArgList() (commands with such a handler are
// listed by the registry). Every other consumer gets an array: argArray() materializes a
// vector (the rare paths: MULTI queueing, CLIENT PAUSE, OOM and spill key checks, ACL key
// patterns, cluster slots), and the parser turns a long command for any other handler into an
// array a slice per event-loop turn.

export interface ArgList {
  readonly length: number;
  at(index: number): Buffer | undefined;
}

/** What a vector (LongArgs) offers beyond ArgList: all its views as an array. */
export interface ArgVector extends ArgList {
  toArray(): Buffer[];
}

/** The arguments as an array: themselves when they are one (the hot path), else every view made. */
export function argArray(args: ArgList): Buffer[] {
  return Array.isArray(args) ? (args as Buffer[]) : (args as ArgVector).toArray();
}

/** The first `n` arguments (fewer if there are not as many), e.g. for an error that quotes a few. */
export function firstArgs(args: ArgList, n: number): Buffer[] {
  if (Array.isArray(args)) return args as Buffer[];
  const out: Buffer[] = [];
  for (let i = 0; i < Math.min(n, args.length); i++) out.push(args.at(i)!);
  return out;
}

// eslint-disable-next-line @typescript-eslint/ban-types
const listHandlers = new WeakSet<Function>();

/**
 * Marks a handler that reads its arguments only through `length` and `at()` and keeps no
 * reference to the list past its call: a long request for it is handed over as a vector.
 */
export function takesArgList<C, R>(handler: (ctx: C, args: ArgList) => R): (ctx: C, args: ArgList) => R {
  listHandlers.add(handler);
  return handler;
}

export function isListHandler(handler: unknown): boolean {
  return typeof handler === 'function' && listHandlers.has(handler);
}

// eslint-disable-next-line @typescript-eslint/ban-types
const rawHandlers = new WeakSet<Function>();

/**
 * Marks a list handler (see takesArgList) that also reads RawArgs (raw-args.ts): a short request
 * for it whose bytes are all in one read comes as offsets into that read, with no views at all.
 */
export function takesRawArgs<C, R>(handler: (ctx: C, args: ArgList) => R): (ctx: C, args: ArgList) => R {
  rawHandlers.add(handler);
  return takesArgList(handler);
}

export function isRawHandler(handler: unknown): boolean {
  return typeof handler === 'function' && rawHandlers.has(handler);
}
