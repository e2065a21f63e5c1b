/*
 * The results as a table, for the console and the Markdown file of a run: each target's
 * figures with their slowdown against local disk, and chalkfs's advantage over each peer.
 * Its number formatting is shared with the chart and the target checks.
 */
import { isValue, metricDefs, slowdown, type Cell, type MetricDef, type TargetResult } from './bench-metrics.js';
import type { TargetName } from './targets/bench-target.js';

export interface TableOptions {
  markdown: boolean;
}

/** 3 significant-ish digits: 2.31, 23.1, 231, 23100. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toString();
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '–' : `${ratio >= 100 ? Math.round(ratio) : ratio.toFixed(2)}×`;
}

/**
 * The results as rows of text cells: metric, unit, one column per target showing the
 * value and its slowdown against local disk, then chalkfs's advantage over each peer.
 * n/a reasons are long, so they become numbered footnotes.
 */
export function buildTable(results: TargetResult[]): { header: string[]; rows: string[][]; footnotes: string[] } {
  const local = results.find((r) => r.name === 'local');
  const chalk = results.find((r) => r.name === 'chalkfs');
  const peers = results.filter((r) => r.name === 's3fs' || r.name === 'rclone');
  const footnotes: string[] = [];
  const note = (reason: string): string => {
    let i = footnotes.indexOf(reason);
    if (i < 0) i = footnotes.push(reason) - 1;
    return `n/a[${i + 1}]`;
  };
  const header = ['workload', 'unit', ...results.map((r) => `${r.name} (×local)`), ...(chalk ? peers.map((p) => `chalkfs vs ${p.name}`) : [])];
  const rows: string[][] = [];
  for (const def of metricDefs) {
    const ref = local?.cells[def.id];
    const row = [`${def.workload ? `${def.workload}. ` : ''}${def.label}`, def.unit];
    for (const r of results) row.push(cellText(def, r.cells[def.id], r.name === 'local' ? undefined : ref, note));
    if (chalk) {
      for (const p of peers) row.push(advantageText(def, chalk.cells[def.id], p.cells[def.id]));
    }
    rows.push(row);
  }
  return { header, rows, footnotes };
}

function cellText(def: MetricDef, cell: Cell | undefined, ref: Cell | undefined, note: (r: string) => string): string {
  if (!cell) return '–';
  if (!isValue(cell)) return note(cell.na);
  const ratio = isValue(ref) ? slowdown(def, cell.value, ref.value) : undefined;
  return ratio === undefined ? formatNumber(cell.value) : `${formatNumber(cell.value)} (${formatRatio(ratio)})`;
}

/** How many times better chalkfs is than the peer (>= 2 is the issue-6 target). */
export function advantage(def: MetricDef, chalk: Cell | undefined, peer: Cell | undefined): number | undefined {
  if (!isValue(chalk) || !isValue(peer)) return undefined;
  return slowdown(def, peer.value, chalk.value);
}

function advantageText(def: MetricDef, chalk: Cell | undefined, peer: Cell | undefined): string {
  if (!isValue(peer)) return peer ? 'peer n/a' : '–';
  if (!isValue(chalk)) return '–';
  const a = advantage(def, chalk, peer);
  return a === undefined ? '–' : `${formatRatio(a)} better`.replace(/^(0\.\d+×) better$/, '$1 (worse)');
}

/** Aligned plain text for the terminal, or a Markdown table for docs/BENCHMARKS.md. */
export function renderTable(table: { header: string[]; rows: string[][]; footnotes: string[] }, options: TableOptions): string {
  const { header, rows, footnotes } = table;
  if (options.markdown) {
    const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
    for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
    if (footnotes.length) lines.push('', ...footnotes.map((f, i) => `[${i + 1}] ${f}`));
    return lines.join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  if (footnotes.length) lines.push('', ...footnotes.map((f, i) => `[${i + 1}] ${f}`));
  return lines.join('\n');
}

export function resultFor(results: TargetResult[], name: TargetName): TargetResult | undefined {
  return results.find((r) => r.name === name);
}
