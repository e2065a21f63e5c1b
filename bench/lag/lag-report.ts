/*
 * The follower-lag bench's figures: per (target, journal mode), the lag from COMMIT
 * returning on the writer to the first read that sees the row on a long-lived reader
 * connection, against the goal of issue 15 (the follower's refresh interval plus two
 * store round trips, both measured in the same run). A table and a small SVG chart,
 * hand-written as bench/svg-chart.ts is.
 */
import { formatNumber } from '../results-table.js';

export interface LagSummary {
  target: 'local' | 'chalkfs';
  journalMode: string;
  commits: number;
  /** Commits no read saw before the reader stopped. */
  unseen: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Why the case could not run (e.g. a refusal), instead of figures. */
  error?: string;
}

export interface LagGoal {
  refreshMs: number;
  storeGetP50Ms: number;
  storePutP50Ms: number;
  /** refresh + 2 store round trips (the PUT's, the slower). */
  goalMs: number;
}

/** Lags (ms) of each commit: a row is visible from the first read whose max(id) reached it. */
export function lagsOf(commits: Map<number, number>, sightings: { id: number; at: number }[]): { lags: number[]; unseen: number } {
  const lags: number[] = [];
  let seen = 0;
  for (const s of sightings) {
    for (let id = seen + 1; id <= s.id; id++) {
      const at = commits.get(id);
      if (at !== undefined) lags.push(s.at - at);
    }
    seen = Math.max(seen, s.id);
  }
  return { lags, unseen: commits.size - lags.length };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function summarize(target: LagSummary['target'], journalMode: string, commits: Map<number, number>, sightings: { id: number; at: number }[]): LagSummary {
  const { lags, unseen } = lagsOf(commits, sightings);
  const sorted = [...lags].sort((a, b) => a - b);
  return { target, journalMode, commits: commits.size, unseen, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? Number.NaN };
}

export function renderLagTable(rows: LagSummary[], goal: LagGoal): string {
  const header = ['target', 'journal', 'commits', 'unseen', 'lag p50 ms', 'p99 ms', 'max ms', 'p50 ÷ goal'];
  const body = rows.map((r) =>
    r.error
      ? [r.target, r.journalMode, '', '', `n/a: ${r.error}`, '', '', '']
      : [r.target, r.journalMode, String(r.commits), String(r.unseen), formatNumber(r.p50Ms), formatNumber(r.p99Ms), formatNumber(r.maxMs), `${(r.p50Ms / goal.goalMs).toFixed(2)}×`],
  );
  const lines = [header, ...body].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  return `${lines.join('\n')}\n\ngoal: refresh ${goal.refreshMs} ms + 2 × store PUT p50 ${goal.storePutP50Ms.toFixed(1)} ms (GET p50 ${goal.storeGetP50Ms.toFixed(1)} ms) = ${goal.goalMs.toFixed(0)} ms\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Bars of p50 and p99 per case, with the goal as a line. */
export function renderLagChart(rows: LagSummary[], goal: LagGoal, title: string): string {
  const ok = rows.filter((r) => !r.error);
  const left = 170;
  const plotW = 520;
  const barH = 12;
  const top = 50;
  const height = top + ok.length * (2 * barH + 12) + 40;
  const maxMs = Math.max(goal.goalMs, ...ok.map((r) => r.p99Ms)) * 1.1;
  const x = (ms: number) => left + (ms / maxMs) * plotW;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + plotW + 80}" height="${height}" font-family="sans-serif" font-size="11">`];
  parts.push(`<text x="10" y="20" font-size="13">${esc(title)}</text>`);
  parts.push(`<text x="10" y="36">lag from COMMIT on the writer to first sight on a long-lived reader (ms); dark p50, light p99</text>`);
  ok.forEach((r, i) => {
    const y = top + i * (2 * barH + 12);
    const color = r.target === 'local' ? '#555' : '#1f77b4';
    parts.push(`<text x="10" y="${y + barH + 4}">${esc(`${r.target} ${r.journalMode}`)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${x(r.p50Ms) - left}" height="${barH}" fill="${color}"/><text x="${x(r.p50Ms) + 4}" y="${y + barH - 2}">${formatNumber(r.p50Ms)}</text>`);
    parts.push(`<rect x="${left}" y="${y + barH}" width="${x(r.p99Ms) - left}" height="${barH}" fill="${color}" opacity="0.4"/><text x="${x(r.p99Ms) + 4}" y="${y + 2 * barH - 2}">${formatNumber(r.p99Ms)}</text>`);
  });
  const gx = x(goal.goalMs);
  parts.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 30}" stroke="#d62728" stroke-dasharray="4 3"/><text x="${gx + 3}" y="${height - 18}" fill="#d62728">goal ${goal.goalMs.toFixed(0)} ms</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
