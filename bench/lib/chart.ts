// A dependency-free horizontal bar chart (SVG) of ratios, with the parity line at 1.0.

export interface Bar {
  label: string;
  value: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function barChart(title: string, bars: Bar[]): string {
  const rowH = 22;
  const left = 150;
  const width = 640;
  const plotW = width - left - 60;
  const max = Math.max(1.2, ...bars.map((b) => b.value)) * 1.05;
  const x = (v: number) => left + (v / max) * plotW;
  const height = 50 + bars.length * rowH + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  bars.forEach((b, i) => {
    const y = 40 + i * rowH;
    parts.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${rowH - 6}" fill="${b.value >= 1 ? '#2a9d8f' : '#457b9d'}"/>`,
      `<text x="${(x(b.value) + 4).toFixed(1)}" y="${y + 14}">${b.value.toFixed(2)}x</text>`,
    );
  });
  const bottom = 40 + bars.length * rowH;
  parts.push(
    `<line x1="${x(1).toFixed(1)}" y1="34" x2="${x(1).toFixed(1)}" y2="${bottom}" stroke="#e63946" stroke-dasharray="4 3"/>`,
    `<text x="${x(1).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" fill="#e63946">redis = 1.0</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#e63946', '#457b9d', '#2a9d8f', '#f4a261', '#6d597a', '#264653'];

/** A dependency-free line chart (SVG) with log-scaled axes, one line per series. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], tick: (x: number) => string = String): string {
  const width = 560;
  const height = 340;
  const left = 70;
  const right = 150;
  const top = 40;
  const bottom = 50;
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).filter((v) => v > 0);
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  if (xs.length === 0 || ys.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="40"><text y="20">${esc(title)}: no data</text></svg>\n`;
  const [x0, x1] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [y0, y1] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const px = (x: number) => left + ((Math.log10(x) - x0) / Math.max(1e-9, x1 - x0)) * (width - left - right);
  const py = (y: number) => top + (1 - (Math.log10(y) - y0) / Math.max(1e-9, y1 - y0)) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${(left + width - right) / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)} (log scale)</text>`,
    `<text x="14" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(top + height - bottom) / 2})">${esc(yLabel)} (log scale)</text>`,
  ];
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    parts.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${10 ** e >= 1 ? (10 ** e).toLocaleString('en-US') : (10 ** e).toPrecision(1)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${px(x).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${esc(tick(x))}</text>`);
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter((p) => p[0] > 0 && p[1] > 0);
    const dash = s.name.includes('redis') ? ' stroke-dasharray="5 3"' : '';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${color}"/>`);
    parts.push(`<line x1="${width - right + 10}" y1="${top + 10 + i * 18}" x2="${width - right + 30}" y2="${top + 10 + i * 18}" stroke="${color}" stroke-width="2"${dash}/>`);
    parts.push(`<text x="${width - right + 36}" y="${top + 14 + i * 18}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
