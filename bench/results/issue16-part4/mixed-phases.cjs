// phases of the chalkfs mixed workload per run dir (argv)
const fs = require('fs');
for (const dir of process.argv.slice(2)) {
  const f = fs.readdirSync(dir).find((x) => x.endsWith('.json')); if (!f) continue;
  const j = require(dir + '/' + f);
  for (const t of j.targets) {
    if (t.name !== 'chalkfs' && t.name !== 'local') continue;
    const m = t.details.mixed; const w = t.details.writer;
    for (const mode of ['delete', 'wal']) {
      const p = m[mode].phasesMs;
      console.log(dir.split('/').pop(), t.name.padEnd(7), mode.padEnd(6), Math.round(m[mode].totalMs), 'puts', m[mode].storeRequests.total, Object.entries(p).map(([k, v]) => `${k.split(' ').map(s=>s[0]).join('')}=${Math.round(v)}`).join(' '));
    }
    console.log(dir.split('/').pop(), t.name.padEnd(7), 'writer p50', Math.round(w.commit.p50Us), 'bulk', Math.round(t.cells['write.bulk'].value));
  }
}
