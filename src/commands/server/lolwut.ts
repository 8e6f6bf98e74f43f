// LOLWUT [VERSION v] [args...] (redis lolwut.c, lolwut5.c, lolwut6.c, BSD-3, ported): Redis 7.0
// has no art of its own and prints "Redis ver. <version>"; VERSION 5 draws Georg Nees's
// "Schotter" in Braille characters, VERSION 6 a city skyline in ANSI colours. The drawings are
// Redis's algorithms with their own random numbers, so no two replies are the same (nor in Redis).

import { Errors } from '../../protocol/errors.js';
import { REDIS_COMPAT_VERSION } from '../../version.js';
import { int64, word } from '../args.js';
import type { Session } from '../types.js';

class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: number) {
    this.pixels = new Uint8Array(width * height).fill(background);
  }
  set(x: number, y: number, color: number): void {
    if (x >= 0 && x < this.width && y >= 0 && y < this.height) this.pixels[x + y * this.width] = color;
  }
  get(x: number, y: number): number {
    return x >= 0 && x < this.width && y >= 0 && y < this.height ? this.pixels[x + y * this.width]! : 0;
  }
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) (err -= dy), (x1 += sx);
      if (e2 < dx) (err += dx), (y1 += sy);
    }
  }
  /** A square of side `size` centred on (x, y), turned by `angle` radians. */
  square(x: number, y: number, size: number, angle: number, color: number): void {
    const r = Math.round(Math.fround(size / 1.4142135623));
    const px: number[] = [];
    const py: number[] = [];
    let k = Math.PI / 4 + angle;
    for (let j = 0; j < 4; j++, k += Math.PI / 2) {
      px.push(Math.round(Math.sin(k) * r + x));
      py.push(Math.round(Math.cos(k) * r + y));
    }
    for (let j = 0; j < 4; j++) this.line(px[j]!, py[j]!, px[(j + 1) % 4]!, py[(j + 1) % 4]!, color);
  }
}

/** C's rand() % n over Math.random. */
const rand = (n: number): number => Math.floor(Math.random() * n);
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

function schotter(cols: number, perRow: number, perCol: number): string {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = Math.fround((width - padding * 2) / perRow);
  const canvas = new Canvas(width, Math.trunc(side * perCol + padding * 2), 0);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(x * side + side / 2 + padding);
      let sy = Math.trunc(y * side + side / 2 + padding);
      // Rows further down are turned and moved more.
      let angle = 0;
      if (y > 1) {
        const r = () => (Math.random() / perCol) * y * (rand(2) ? -1 : 1);
        angle = r();
        sx = Math.trunc(sx + (r() * side) / 3);
        sy = Math.trunc(sy + (r() * side) / 3);
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  // Each character is a 2x4 block of pixels as a Braille pattern (U+2800 + the dots' bits).
  // Every row but one at height - 1 ends in a newline, as Redis's renderCanvas writes them.
  let out = '';
  for (let y = 0; y < canvas.height; y += 4) {
    let line = '';
    for (let x = 0; x < canvas.width; x += 2) {
      const bits = [[x, y], [x, y + 1], [x, y + 2], [x + 1, y], [x + 1, y + 1], [x + 1, y + 2], [x, y + 3], [x + 1, y + 3]];
      let byte = 0;
      bits.forEach(([px, py], i) => canvas.get(px!, py!) && (byte |= 1 << i));
      line += String.fromCharCode(0x2800 + byte);
    }
    out += y !== canvas.height - 1 ? line + '\n' : line;
  }
  return out;
}

function skyscraper(canvas: Canvas, xoff: number, width: number, height: number, windows: boolean, color: number): void {
  const starty = canvas.height - 1;
  const endy = starty - height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = xoff; x < xoff + width; x++) {
      if (y === endy && (x <= xoff + 1 || x >= xoff + width - 2)) continue; // the roof is narrower
      let c = color;
      if (windows && x > xoff + 1 && x < xoff + width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (xoff + 1);
        const rely = y - (endy + 1);
        // Windows two pixels wide, one tall (terminal characters are not square).
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do c = 1 + rand(2);
          while (c === color);
          if (relx % 2) c = canvas.get(x - 1, y);
        }
      }
      canvas.set(x, y, c);
    }
  }
}

const ANSI = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];

function skyline(cols: number, rows: number): string {
  const canvas = new Canvas(cols, rows, 3);
  const h = canvas.height;
  // Background skyscrapers without windows, the lighter gray behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < canvas.width; ) {
      offset += rand(8);
      const width = 10 + rand(9);
      const height = Math.trunc(h / 2) + (color === 2 ? Math.trunc(rand(h) / 2) : Math.trunc(rand(h) / 3));
      skyscraper(canvas, offset, width, height, false, color);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < canvas.width; ) {
    offset += rand(8);
    let width = 5 + rand(14);
    if (width % 4) width += width % 3;
    skyscraper(canvas, offset, width, Math.trunc(h / 3) + Math.trunc(rand(h) / 2), true, 0);
    offset += width + 5;
  }
  const lines: string[] = [];
  for (let y = 0; y < canvas.height; y++) {
    let line = '';
    for (let x = 0; x < canvas.width; x++) line += `\x1b[${ANSI[canvas.get(x, y)] ?? ANSI[0]} \x1b[0m`;
    lines.push(line);
  }
  return lines.join('\n');
}

/** The optional numeric arguments, or null once an error was replied. */
function numbers(ctx: Session, args: Buffer[], defaults: number[]): number[] | null {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const n = int64(args[i]!);
    if (n === null) {
      ctx.reply.error(Errors.notInteger);
      return null;
    }
    out[i] = n > 10_000n ? 10_000 : n < -10_000n ? -10_000 : Number(n);
  }
  return out;
}

export function lolwut(ctx: Session, args: Buffer[]): void {
  let rest = args.slice(1);
  let version = 0;
  if (args.length >= 3 && word(args[1]!) === 'version') {
    const v = int64(args[2]!);
    if (v === null) return ctx.reply.error(Errors.notInteger);
    version = Number(BigInt.asUintN(32, v)); // Redis prints it with %u
    rest = args.slice(3);
  }
  const footer = ` Redis ver. ${REDIS_COMPAT_VERSION}\n`;
  if (version === 5) {
    const n = numbers(ctx, rest, [66, 8, 12]);
    if (n === null) return;
    const art = schotter(clamp(n[0]!, 1, 1000), clamp(n[1]!, 1, 200), clamp(n[2]!, 1, 200));
    return ctx.reply.verbatim(`${art}\nGeorg Nees - schotter, plotter on paper, 1968.${footer}`);
  }
  if (version === 6) {
    const n = numbers(ctx, rest, [80, 20]);
    if (n === null) return;
    const art = skyline(clamp(n[0]!, 1, 1000), clamp(n[1]!, 1, 1000));
    return ctx.reply.verbatim(`${art}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori.${footer}`);
  }
  ctx.reply.verbatim(`Redis ver. ${REDIS_COMPAT_VERSION}\n`);
}
