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
