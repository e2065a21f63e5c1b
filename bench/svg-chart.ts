/*
 * The chart of a bench run. Hand-written SVG: a chart library would be the largest
 * dependency of the benchmark for ~80 lines of output.
 */
import { costMetric, isValue, metricDefs, slowdown, type TargetResult } from './bench-metrics.js';
import { formatNumber, formatRatio } from './results-table.js';

const colors: Record<string, string> = { chalkfs: '#1f77b4', s3fs: '#d95f02', rclone: '#7570b3', local: '#555' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A horizontal bar chart of every figure as a slowdown against local disk (log scale,
 * 1× = as fast as local disk; shorter is better).
 */
export function renderChart(results: TargetResult[], title: string): string {
  const local = results.find((r) => r.name === 'local');
  const others = results.filter((r) => r.name !== 'local');
  const defs = metricDefs.filter((d) => d.id !== 'cold.requests' && !costMetric(d.id));
  const barH = 11;
  const groupH = others.length * barH + 10;
  const left = 230;
  const plotW = 560;
  const top = 60;
  const width = left + plotW + 140;
  const height = top + defs.length * groupH + 40;
  const minLog = -1; // 0.1×
  const maxLog = 3; // 1000×
  const x = (ratio: number): number => left + ((Math.log10(Math.min(Math.max(ratio, 0.1), 1000)) - minLog) / (maxLog - minLog)) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#444">Slowdown against local disk (log scale; 1× = local disk, shorter is better). Label: value, ratio.</text>`,
  ];
  others.forEach((r, i) => {
    out.push(`<rect x="${left + i * 90}" y="46" width="10" height="10" fill="${colors[r.name] ?? '#999'}"/>`);
    out.push(`<text x="${left + i * 90 + 14}" y="55">${r.name}</text>`);
  });
  for (const tick of [0.1, 1, 10, 100, 1000]) {
    out.push(`<line x1="${x(tick)}" y1="${top - 4}" x2="${x(tick)}" y2="${height - 30}" stroke="${tick === 1 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x(tick)}" y="${height - 16}" text-anchor="middle">${tick}×</text>`);
  }
  defs.forEach((def, g) => {
    const y0 = top + g * groupH;
    out.push(`<text x="${left - 6}" y="${y0 + groupH / 2}" text-anchor="end">${esc(`${def.label} (${def.unit})`)}</text>`);
    const ref = local?.cells[def.id];
    others.forEach((r, i) => {
      const y = y0 + i * barH;
      const cell = r.cells[def.id];
      const ratio = isValue(cell) && isValue(ref) ? slowdown(def, cell.value, ref.value) : undefined;
      if (ratio === undefined) {
        out.push(`<text x="${left + 4}" y="${y + barH - 2}" fill="#999">${r.name}: n/a</text>`);
        return;
      }
      const x0 = x(Math.min(1, ratio));
      const x1 = x(Math.max(1, ratio));
      out.push(`<rect x="${x0}" y="${y}" width="${Math.max(1, x1 - x0)}" height="${barH - 2}" fill="${colors[r.name] ?? '#999'}"/>`);
      out.push(`<text x="${x1 + 4}" y="${y + barH - 2}" font-size="9">${formatNumber((cell as { value: number }).value)}, ${formatRatio(ratio)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
