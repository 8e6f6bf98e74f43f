// Lua 5.4's compile errors in the words of Redis's Lua 5.1, which scripts and tests match on.
// The grammar errors are mostly the same; what differs is how a few are written: 5.4 leaves the
// placeholder tokens unquoted (`near <eof>`, `<name> expected`) where 5.1 quoted every token,
// says `syntax error` where 5.1's assignment said `'=' expected`, adds `(starting at line N)`
// to an unfinished long string, and shows a control character as `'<\1>'` (5.1: `'char(1)'`)
// and a byte past 127 as `'<\195>'` (5.1: the byte itself).
// Rules over the message's shape, never whole expected strings. What 5.4 accepts and 5.1
// refused (or the reverse: `goto`, `//`, `\x` escapes...) cannot be reworded; README lists it.

const PREFIX = /^([^\n]*?:\d+: )([\s\S]*)$/;

export function syntaxError51(message: string): string {
  const m = PREFIX.exec(message);
  if (m === null) return message;
  let text = m[2]!;
  text = text
    .replace(/^<(eof|name)> expected/, "'<$1>' expected")
    .replace(/^(unfinished long (?:string|comment)) \(starting at line \d+\)/, '$1')
    // 5.1 read `f() = 1` as a call statement, then met the `=` (or `,`) as a new statement.
    .replace(/^syntax error near ('='|',')$/, 'unexpected symbol near $1')
    .replace(/^syntax error near /, "'=' expected near ")
    // 5.1 stopped at the backslash of a decimal escape over 255; 5.4 read on past it.
    .replace(/^decimal escape too large near '([\s\S]*)\\\d{1,3}[\s\S]?'$/, "escape sequence too large near '$1'")
    // 5.1 wrote char(N) for control characters only (iscntrl); any other byte went out as itself.
    .replace(/'<\\(\d+)>'/g, (_, n: string) => (Number(n) < 32 || Number(n) === 127 ? `'char(${n})'` : `'${String.fromCharCode(Number(n))}'`))
    // A NUL token is 0, which both print no `near` for; 5.1's assignment still said `'=' expected`.
    .replace(/^syntax error$/, "'=' expected")
    .replace(/ near <eof>$/, " near '<eof>'");
  return m[1]! + text;
}
