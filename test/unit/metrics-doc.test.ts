// docs/METRICS.md and deploy/grafana/chalkfs-dashboard.json against the metrics the code
// registers: the doc lists exactly the chalkfs_* metrics of the mount daemon and of the
// plugin, with their types and labels; the dashboard only queries series that exist and
// groups by labels that exist. Either drifting from the code fails here.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { Metrics } from '../../chalkfs/util/metrics.js';
import { PluginMetrics } from '../../chalkfs/plugin/plugin-metrics.js';
import { projectRoot } from '../../chalkfs/util/paths.js';

interface Registered {
  type: string;
  labels: string[];
}

async function registered(registry: Registry): Promise<Map<string, Registered>> {
  const out = new Map<string, Registered>();
  for (const m of await registry.getMetricsAsJSON()) {
    const metric = registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] };
    out.set(m.name, { type: String(m.type), labels: [...(metric.labelNames ?? [])].sort() });
  }
  return out;
}

/** The rows of the markdown table under `heading`: metric name, type, labels. */
function documented(markdown: string, heading: string): Map<string, Registered> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(heading));
  if (!section) throw new Error(`no "## ${heading}" in docs/METRICS.md`);
  const rows = new Map<string, Registered>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`([a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    const labels = [...(cells[3] ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!).sort();
    rows.set(name, { type: cells[2]!, labels });
  }
  return rows;
}

const chalkfsOnly = (m: Map<string, Registered>) => new Map([...m].filter(([name]) => name.startsWith('chalkfs_')));
const doc = readFileSync(join(projectRoot, 'docs', 'METRICS.md'), 'utf8');

describe('docs/METRICS.md', () => {
  it('lists exactly the mount daemon metrics, with their types and labels', async () => {
    expect(Object.fromEntries(documented(doc, 'Mount daemon metrics'))).toEqual(Object.fromEntries(chalkfsOnly(await registered(new Metrics().registry))));
  });

  it('lists exactly the Docker plugin metrics, with their types and labels', async () => {
    expect(Object.fromEntries(documented(doc, 'Docker plugin metrics'))).toEqual(Object.fromEntries(chalkfsOnly(await registered(new PluginMetrics().registry))));
  });

  it('notices a metric missing from the doc', async () => {
    const withExtra = await registered(new Metrics().registry);
    withExtra.set('chalkfs_not_documented_total', { type: 'counter', labels: [] });
    expect(Object.fromEntries(documented(doc, 'Mount daemon metrics'))).not.toEqual(Object.fromEntries(chalkfsOnly(withExtra)));
  });
});

describe('deploy/grafana/chalkfs-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(join(projectRoot, 'deploy', 'grafana', 'chalkfs-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

  /** Every series name the endpoints export: histograms as _bucket, _sum, _count. */
  async function exportedNames(): Promise<{ series: Set<string>; labels: Set<string> }> {
    const series = new Set<string>(['up']);
    // volume and mode are default labels; mountpoint, chalkfs_host and job come from the scrape (file_sd).
    const labels = new Set<string>(['le', 'volume', 'mode', 'component', 'mountpoint', 'chalkfs_host', 'job', 'instance']);
    for (const registry of [new Metrics().registry, new PluginMetrics().registry]) {
      for (const [name, m] of await registered(registry)) {
        if (m.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) series.add(name + suffix);
        else series.add(name);
        m.labels.forEach((l) => labels.add(l));
      }
    }
    return { series, labels };
  }

  it('has panels, each with a query', () => {
    expect(dashboard.panels.length).toBeGreaterThan(10);
    for (const panel of dashboard.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
  });

  it('queries only series the endpoints export', async () => {
    const { series } = await exportedNames();
    const used = exprs.flatMap((e) => [...e.matchAll(/\b((?:chalkfs|process|nodejs)_[a-z0-9_]+|up)\b(?=\s*[{[)])/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(exprs.length - 1);
    expect(used.filter((name) => !series.has(name))).toEqual([]);
  });

  it('groups and matches only by labels that exist', async () => {
    const { labels } = await exportedNames();
    const byLabels = exprs.flatMap((e) => [...e.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())));
    const matcherLabels = exprs.flatMap((e) => [...e.matchAll(/[{,]\s*([a-z_]+)\s*(?:=~|!=|=)/g)].map((m) => m[1]!));
    expect([...byLabels, ...matcherLabels].filter((l) => !labels.has(l))).toEqual([]);
  });
});
